import { authorize, requireActor, type Role } from '../domain/access.ts';
import * as accounts from '../domain/accounts.ts';
import { builder } from './builder.ts';
import { RoleEnum } from './enums.ts';

export const Organization = builder.prismaObject('Organization', {
  fields: (t) => ({ id: t.exposeID('id'), name: t.exposeString('name') }),
});

export const Team = builder.prismaObject('Team', {
  fields: (t) => ({ id: t.exposeID('id'), name: t.exposeString('name') }),
});

export const User = builder.prismaObject('User', {
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    email: t.exposeString('email', { nullable: true, description: 'Null for API users made by createApiToken' }),
    role: t.field({ type: RoleEnum, resolve: (user) => user.role as Role }),
  }),
});

const Viewer = builder.objectRef<{ userId: string; organizationId: string }>('Viewer').implement({
  fields: (t) => ({
    user: t.prismaField({
      type: 'User',
      resolve: (query, viewer, _args, ctx) => ctx.app.db.prisma.user.findUniqueOrThrow({ ...query, where: { id: viewer.userId } }),
    }),
    organization: t.prismaField({
      type: 'Organization',
      resolve: (query, viewer, _args, ctx) => ctx.app.db.prisma.organization.findUniqueOrThrow({ ...query, where: { id: viewer.organizationId } }),
    }),
    teams: t.prismaField({
      type: ['Team'],
      description: "The organization's teams",
      resolve: (query, viewer, _args, ctx) =>
        ctx.app.db.prisma.team.findMany({ ...query, where: { organizationId: viewer.organizationId }, orderBy: { name: 'asc' } }),
    }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({ type: Viewer, resolve: (_root, _args, ctx) => requireActor(ctx.actor) }),
);

const CreateApiTokenPayload = builder
  .objectRef<{ user: Awaited<ReturnType<typeof accounts.createApiToken>>['user']; token: string }>('CreateApiTokenPayload')
  .implement({
    fields: (t) => ({
      user: t.field({ type: User, resolve: (payload) => payload.user }),
      token: t.exposeString('token', { description: 'Shown once' }),
    }),
  });

builder.mutationFields((t) => ({
  createApiToken: t.field({
    type: CreateApiTokenPayload,
    description: "Admin only: a new API user of the viewer's organization with that role, and its token",
    args: { name: t.arg.string({ required: true }), role: t.arg({ type: RoleEnum, required: true }) },
    resolve: (_root, args, ctx) => accounts.createApiToken(ctx.app, authorize(ctx.actor, 'manage API tokens'), args.name, args.role),
  }),
  createTeam: t.field({
    type: Team,
    description: 'Admin only; names unique per organization',
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => accounts.createTeam(ctx.app, authorize(ctx.actor, 'manage teams'), args.name),
  }),
}));
