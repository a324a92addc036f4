// What the API's errors mean for a person: a message per field (extensions.field) and one for the rest.
import type { CombinedError } from 'urql';

export interface ApiErrors {
  /** Messages by input field name (the API's extensions.field). */
  fields: Record<string, string>;
  /** Messages not about a known field. */
  general: string[];
}

function codeOf(error: CombinedError): string | undefined {
  const code = error.graphQLErrors[0]?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isUnauthenticated(error: CombinedError): boolean {
  return error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
}

export function isForbidden(error: CombinedError | undefined): boolean {
  return !!error && error.graphQLErrors.some((e) => e.extensions?.code === 'FORBIDDEN');
}

/** The message without the "field: " prefix the API puts before a field's rule. */
function ruleOf(message: string, field: string): string {
  return message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
}

export function apiErrors(error: CombinedError | undefined, knownFields: readonly string[] = []): ApiErrors {
  const result: ApiErrors = { fields: {}, general: [] };
  if (!error) return result;
  if (error.networkError && error.graphQLErrors.length === 0) {
    result.general.push(`Could not reach the Hookwarden API (${error.networkError.message}).`);
    return result;
  }
  for (const e of error.graphQLErrors) {
    const raw = e.extensions?.field;
    const field = typeof raw === 'string' ? raw.split(/[.[]/)[0] : undefined;
    if (field && knownFields.includes(field) && !result.fields[field]) result.fields[field] = ruleOf(e.message, raw as string);
    else result.general.push(e.message);
  }
  return result;
}

/** One sentence for an error that is not about a form field. */
export function errorText(error: CombinedError): string {
  switch (codeOf(error)) {
    case 'FORBIDDEN':
      return 'Your role may not do this; ask an admin of your organization.';
    case 'UNAUTHENTICATED':
      return 'Your token is no longer accepted. Sign in again.';
    default:
      return apiErrors(error).general.join(' ') || error.message;
  }
}
