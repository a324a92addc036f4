// One error per code of the contract. Errors a user can cause say which field and which rule;
// anything else is masked by the server as INTERNAL_SERVER_ERROR.
import { GraphQLError } from 'graphql';

export type ErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'BAD_USER_INPUT' | 'CONFLICT' | 'RATE_LIMITED';

function error(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

export const unauthenticated = () => error('UNAUTHENTICATED', 'a valid API token is required (Authorization: Bearer <token>)');
export const forbidden = (what: string) => error('FORBIDDEN', `your role may not ${what}`);
export const notFound = (what: string, id: string) => error('NOT_FOUND', `${what} ${id} not found`);
export const badInput = (field: string, message: string) => error('BAD_USER_INPUT', `${field}: ${message}`, { field });
export const conflict = (field: string, message: string) => error('CONFLICT', `${field}: ${message}`, { field });

/**
 * A write broke a unique constraint (someone else created the same thing first): from Prisma's
 * model API (P2002), a raw statement through Prisma (P2010), pg or better-sqlite3.
 */
export function isUniqueViolation(error: unknown): boolean {
  const failure = error as { code?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: string } } } } | null;
  const code = failure?.code;
  return (
    code === 'P2002' ||
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    (code === 'P2010' && failure?.meta?.driverAdapterError?.cause?.kind === 'UniqueConstraintViolation')
  );
}

export function isUserError(value: unknown): value is GraphQLError {
  return value instanceof GraphQLError && typeof value.extensions?.code === 'string' && value.extensions.code !== 'INTERNAL_SERVER_ERROR';
}
