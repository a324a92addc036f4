// The one Pothos builder. The Prisma client comes from the request's context, so the schema can be
// built (and printed) without a database.
import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import type { App } from '../app.ts';
import type { Actor } from '../domain/access.ts';
import type PrismaTypes from '../generated/pothos-types.ts';
import { getDatamodel } from '../generated/pothos-types.ts';

export interface Context {
  app: App;
  /** Null when the request carried no valid token. */
  actor: Actor | null;
  /** The HTTP request's id (x-request-id), for the lines logged while it is handled; none over WebSocket. */
  requestId?: string;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
  };
}>({
  plugins: [PrismaPlugin],
  defaultFieldNullability: false,
  prisma: {
    client: (ctx) => ctx.app.db.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
  },
});

builder.addScalarType('DateTime', DateTimeResolver, { description: 'ISO 8601 UTC string' });
builder.addScalarType('JSON', JSONResolver, {});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
