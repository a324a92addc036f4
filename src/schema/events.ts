import { authorize } from '../domain/access.ts';
import type { EventRecord } from '../domain/envelope.ts';
import * as eventTypes from '../domain/event-types.ts';
import { builder } from './builder.ts';

const EventType = builder.objectRef<eventTypes.EventTypeView>('EventType').implement({
  fields: (t) => ({
    name: t.exposeString('name', { description: 'E.g. "issue.created"' }),
    description: t.exposeString('description'),
    builtIn: t.exposeBoolean('builtIn', { description: 'issue.* events are built in and emitted by issue mutations' }),
  }),
});

const Event = builder.objectRef<EventRecord>('Event').implement({
  fields: (t) => ({
    id: t.exposeID('id', { description: '"evt_…": sent as webhook-id and as the envelope\'s id' }),
    type: t.exposeString('type'),
    timestamp: t.field({ type: 'DateTime', resolve: (event) => event.createdAt }),
    teamId: t.exposeID('teamId', { nullable: true }),
    data: t.field({ type: 'JSON', resolve: (event) => event.data }),
    metadata: t.field({ type: 'JSON', nullable: true, resolve: (event) => event.metadata }),
  }),
});

const PublishEventInput = builder.inputType('PublishEventInput', {
  fields: (t) => ({
    type: t.string({ required: true, description: 'A custom event type registered with createEventType (issue.* cannot be published by hand)' }),
    data: t.field({ type: 'JSON', required: true, description: 'At most 256 KiB as JSON' }),
    metadata: t.field({ type: 'JSON' }),
    teamId: t.id(),
    idempotencyKey: t.string({ description: 'The same key within 24 h returns the first event and delivers nothing new' }),
  }),
});

builder.queryField('webhookEventTypes', (t) =>
  t.field({
    type: [EventType],
    resolve: (_root, _args, ctx) => eventTypes.listEventTypes(ctx.app.db.prisma, authorize(ctx.actor, 'read').organizationId),
  }),
);

builder.mutationFields((t) => ({
  createEventType: t.field({
    type: EventType,
    description: 'Admin only: a custom event type such as scan.completed (issue.* and webhook.* are reserved)',
    args: { name: t.arg.string({ required: true }), description: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => eventTypes.createEventType(ctx.app, authorize(ctx.actor, 'manage event types'), args.name, args.description),
  }),
  publishEvent: t.field({
    type: Event,
    args: { input: t.arg({ type: PublishEventInput, required: true }) },
    resolve: (_root, args, ctx) =>
      eventTypes.publishEvent(ctx.app, authorize(ctx.actor, 'publish events'), {
        ...args.input,
        data: args.input.data,
        teamId: args.input.teamId == null ? null : String(args.input.teamId),
      }),
  }),
}));
