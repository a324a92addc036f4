// Relay-style connections over time-ordered ids: newest first, the cursor is the last id seen.
import type { ObjectRef } from '@pothos/core';
import { badInput } from '../errors.ts';
import { builder } from './builder.ts';

export const DEFAULT_PAGE = 20;
export const MAX_PAGE = 100;

export const PageInfo = builder
  .objectRef<{ hasNextPage: boolean; endCursor: string | null }>('PageInfo')
  .implement({
    fields: (t) => ({
      hasNextPage: t.exposeBoolean('hasNextPage'),
      endCursor: t.exposeString('endCursor', { nullable: true }),
    }),
  });

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** How many rows to fetch (one more than the page, to know whether another follows) and the id bound. */
export function pageQuery(args: PageArgs): { take: number; where: { id?: { lt: string } } } {
  const first = args.first ?? DEFAULT_PAGE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) throw badInput('first', `must be between 1 and ${MAX_PAGE}`);
  return { take: first + 1, where: args.after ? { id: { lt: args.after } } : {} };
}

export interface Page<T> {
  edges: Array<{ node: T; cursor: string }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export function toPage<T extends { id: string }>(rows: T[], take: number): Page<T> {
  const nodes = rows.slice(0, take - 1);
  return {
    edges: nodes.map((node) => ({ node, cursor: node.id })),
    pageInfo: { hasNextPage: rows.length >= take, endCursor: nodes.at(-1)?.id ?? null },
  };
}

/** The `<Name>Connection` and `<Name>Edge` types of a node type. */
// The node ref's first type parameter is Pothos' internal SchemaTypes, which only the builder knows.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function connection<T extends { id: string }>(name: string, nodeRef: ObjectRef<any, T>) {
  const Edge = builder.objectRef<{ node: T; cursor: string }>(`${name}Edge`).implement({
    fields: (t) => ({
      // The generic node cannot be matched against the ref's resolver type; the ref fixes it.
      node: t.field({ type: nodeRef, resolve: (edge) => edge.node as never }),
      cursor: t.exposeString('cursor'),
    }),
  });
  return builder.objectRef<Page<T>>(`${name}Connection`).implement({
    fields: (t) => ({
      edges: t.field({ type: [Edge], resolve: (page) => page.edges }),
      pageInfo: t.field({ type: PageInfo, resolve: (page) => page.pageInfo }),
    }),
  });
}
