import { authorize } from '../domain/access.ts';
import * as issues from '../domain/issues.ts';
import type { Issue as IssueRow } from '../generated/prisma/client.ts';
import { builder } from './builder.ts';
import { IssueStatusEnum, SeverityEnum } from './enums.ts';
import { connection, pageQuery, toPage } from './pagination.ts';

builder.prismaObject('IssueHistory', {
  name: 'IssueHistoryEntry',
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime' }),
    userId: t.exposeID('userId', { nullable: true }),
    changes: t.stringList({ description: 'E.g. ["status changed to fixed"]', resolve: (entry) => JSON.parse(entry.changes) }),
  }),
});

export const IssueComment = builder.prismaObject('IssueComment', {
  fields: (t) => ({
    id: t.exposeID('id'),
    userId: t.exposeID('userId', { nullable: true }),
    body: t.exposeString('body'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const Issue = builder.prismaObject('Issue', {
  fields: (t) => ({
    id: t.exposeID('id'),
    pluginId: t.exposeString('pluginId'),
    status: t.field({ type: IssueStatusEnum, resolve: (issue) => issue.status as never }),
    severity: t.field({ type: SeverityEnum, resolve: (issue) => issue.severity as never }),
    organizationId: t.exposeID('organizationId'),
    teamId: t.exposeID('teamId', { nullable: true }),
    targetId: t.exposeString('targetId', { nullable: true }),
    providerId: t.exposeString('providerId', { nullable: true }),
    weakness: t.exposeString('weakness', { description: 'Display name of the plugin' }),
    history: t.relation('history', { query: { orderBy: { id: 'asc' } } }),
    comments: t.relation('comments', { query: { orderBy: { id: 'asc' } } }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const IssueConnection = connection<IssueRow>('Issue', Issue);

const CreateIssueInput = builder.inputType('CreateIssueInput', {
  fields: (t) => ({
    pluginId: t.string({ required: true }),
    severity: t.field({ type: SeverityEnum, required: true }),
    weakness: t.string({ required: true }),
    teamId: t.id(),
    targetId: t.string(),
    providerId: t.string(),
  }),
});

const UpdateIssueInput = builder.inputType('UpdateIssueInput', {
  fields: (t) => ({
    status: t.field({ type: IssueStatusEnum }),
    severity: t.field({ type: SeverityEnum }),
    weakness: t.string(),
    teamId: t.id(),
    targetId: t.string(),
    providerId: t.string(),
  }),
});

const idOrNull = (value: string | number | null | undefined) => (value == null ? value : String(value));

builder.queryFields((t) => ({
  issues: t.field({
    type: IssueConnection,
    description: 'Newest first',
    args: { status: t.arg({ type: IssueStatusEnum }), severity: t.arg({ type: SeverityEnum }), first: t.arg.int(), after: t.arg.string() },
    resolve: async (_root, args, ctx) => {
      const actor = authorize(ctx.actor, 'read');
      const { take, where } = pageQuery(args);
      const rows = await ctx.app.db.prisma.issue.findMany({
        where: { ...where, organizationId: actor.organizationId, ...(args.status ? { status: args.status } : {}), ...(args.severity ? { severity: args.severity } : {}) },
        orderBy: { id: 'desc' },
        take,
      });
      return toPage(rows, take);
    },
  }),
  issue: t.prismaField({
    type: 'Issue',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      const actor = authorize(ctx.actor, 'read');
      return ctx.app.db.prisma.issue.findFirst({ ...query, where: { id: String(args.id), organizationId: actor.organizationId } });
    },
  }),
}));

builder.mutationFields((t) => ({
  createIssue: t.field({
    type: Issue,
    description: 'Emits issue.created',
    args: { input: t.arg({ type: CreateIssueInput, required: true }) },
    resolve: (_root, args, ctx) =>
      issues.createIssue(ctx.app, authorize(ctx.actor, 'change issues'), { ...args.input, teamId: idOrNull(args.input.teamId) }),
  }),
  updateIssue: t.field({
    type: Issue,
    description: 'Emits issue.status_changed, issue.severity_changed or issue.updated per the event rules; nothing when nothing changed',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateIssueInput, required: true }) },
    resolve: (_root, args, ctx) =>
      issues.updateIssue(ctx.app, authorize(ctx.actor, 'change issues'), String(args.id), { ...args.input, teamId: idOrNull(args.input.teamId) }),
  }),
  addIssueComment: t.field({
    type: IssueComment,
    description: 'Emits issue.comment_added',
    args: { issueId: t.arg.id({ required: true }), body: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => issues.addIssueComment(ctx.app, authorize(ctx.actor, 'change issues'), String(args.issueId), args.body),
  }),
}));
