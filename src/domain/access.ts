// Who may do what: the one place that decides it. Resolvers ask here; nothing else checks roles.
import { forbidden, unauthenticated } from '../errors.ts';

export type Role = 'ADMIN' | 'MEMBER' | 'VIEWER';
export const ROLES: readonly Role[] = ['ADMIN', 'MEMBER', 'VIEWER'];

export interface Actor {
  userId: string;
  organizationId: string;
  role: Role;
}

const RULES = {
  'manage webhooks': ['ADMIN'],
  'see webhook urls and headers': ['ADMIN'],
  'see deliveries': ['ADMIN'],
  'manage API tokens': ['ADMIN'],
  'manage teams': ['ADMIN'],
  'manage event types': ['ADMIN'],
  'change issues': ['ADMIN', 'MEMBER'],
  'publish events': ['ADMIN', 'MEMBER'],
  read: ['ADMIN', 'MEMBER', 'VIEWER'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof RULES;

export function can(actor: Actor, permission: Permission): boolean {
  return (RULES[permission] as readonly Role[]).includes(actor.role);
}

/** The actor, or UNAUTHENTICATED when the request carried no valid token. */
export function requireActor(actor: Actor | null): Actor {
  if (!actor) throw unauthenticated();
  return actor;
}

/** The actor when it may; UNAUTHENTICATED or FORBIDDEN otherwise. */
export function authorize(actor: Actor | null, permission: Permission): Actor {
  const known = requireActor(actor);
  if (!can(known, permission)) throw forbidden(permission);
  return known;
}
