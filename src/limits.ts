// Limits on what one request may ask of the server: depth, size of the selection, and (when
// configured) mutations per token per minute.
import { GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql';

export const MAX_DEPTH = 12;
export const MAX_FIELDS = 500;

/** Rejects operations nested deeper than maxDepth or selecting more than maxFields fields (fragments expanded). */
export function operationLimitsRule(maxDepth = MAX_DEPTH, maxFields = MAX_FIELDS) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    function measure(set: SelectionSetNode, depth: number, seen: Set<string>, totals: { fields: number; depth: number }): void {
      if (totals.fields > maxFields || totals.depth > maxDepth) return;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          totals.fields += 1;
          totals.depth = Math.max(totals.depth, depth);
          if (selection.selectionSet) measure(selection.selectionSet, depth + 1, seen, totals);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          measure(selection.selectionSet, depth, seen, totals);
        } else {
          const fragment = fragments.get(selection.name.value);
          // A fragment spread inside itself is reported by graphql-js's own NoFragmentCycles rule.
          if (!fragment || seen.has(fragment.name.value)) continue;
          measure(fragment.selectionSet, depth, new Set([...seen, fragment.name.value]), totals);
        }
      }
    }
    return {
      OperationDefinition(operation) {
        const totals = { fields: 0, depth: 0 };
        measure(operation.selectionSet, 1, new Set(), totals);
        if (totals.depth > maxDepth) {
          context.reportError(new GraphQLError(`operation is nested deeper than ${maxDepth} levels`, { nodes: [operation], extensions: { code: 'BAD_USER_INPUT' } }));
        } else if (totals.fields > maxFields) {
          context.reportError(new GraphQLError(`operation selects more than ${maxFields} fields`, { nodes: [operation], extensions: { code: 'BAD_USER_INPUT' } }));
        }
      },
    };
  };
}

/**
 * A token bucket per key: `perMinute` requests a minute, bursts up to the same number.
 * take() answers 0 when allowed, or the seconds to wait.
 */
export function createRateLimiter(perMinute: number, now: () => number = Date.now) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const ratePerMs = perMinute / 60_000;
  return {
    take(key: string): number {
      const t = now();
      const bucket = buckets.get(key) ?? { tokens: perMinute, at: t };
      bucket.tokens = Math.min(perMinute, bucket.tokens + (t - bucket.at) * ratePerMs);
      bucket.at = t;
      buckets.set(key, bucket);
      if (buckets.size > 100_000) buckets.clear(); // bounded memory: forgetting only forgives
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.ceil((1 - bucket.tokens) / ratePerMs / 1000);
    },
  };
}

/** The path of the first string (or key) in value that is not well-formed UTF-16, or null. */
export function illFormedPath(value: unknown, path: string): string | null {
  const stack: Array<[unknown, string]> = [[value, path]];
  while (stack.length) {
    const [current, at] = stack.pop()!;
    if (typeof current === 'string') {
      if (!current.isWellFormed()) return at;
    } else if (Array.isArray(current)) {
      current.forEach((item, i) => stack.push([item, `${at}[${i}]`]));
    } else if (current && typeof current === 'object') {
      for (const [key, item] of Object.entries(current)) {
        if (!key.isWellFormed()) return at;
        stack.push([item, `${at}.${key}`]);
      }
    }
  }
  return null;
}

/** Whether JSON nests deeper than max levels (checked without recursion, so any depth is safe). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [current, depth] = stack.pop()!;
    if (!current || typeof current !== 'object') continue;
    if (depth >= max) return true;
    for (const item of Object.values(current)) stack.push([item, depth + 1]);
  }
  return false;
}
