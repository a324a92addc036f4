// The GraphQL schema: each domain file adds its types and fields to the one builder.
import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.ts';
import './accounts.ts';
import './webhooks.ts';
import './deliveries.ts';
import './issues.ts';
import './events.ts';
import './console.ts';

export const schema = builder.toSchema();

/** What schema.graphql holds. */
export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
