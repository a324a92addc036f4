// Organizations, users, API tokens and teams.
import type { App } from '../app.ts';
import { badInput, conflict, isUniqueViolation } from '../errors.ts';
import type { Actor, Role } from './access.ts';
import { newIdAt } from './ids.ts';
import { hashToken, newApiToken } from './secrets.ts';

function requireName(field: string, value: string, max = 100): string {
  const trimmed = value.trim();
  if (trimmed.length === 0) throw badInput(field, 'must not be empty');
  if (trimmed.length > max) throw badInput(field, `must be at most ${max} characters`);
  return trimmed;
}

/**
 * Known tokens, per running app, for a short while: every request names its token, and a token
 * never changes what it stands for (there is no revocation or role change yet; when there is,
 * it must clear this cache).
 */
const ACTOR_TTL_MS = 30_000;
const ACTOR_CACHE_SIZE = 10_000;
const actorCaches = new WeakMap<App, Map<string, { actor: Actor; until: number }>>();

/** The actor a bearer token stands for, or null when it is unknown. */
export async function actorForToken(app: App, token: string): Promise<Actor | null> {
  const hash = hashToken(token);
  let cache = actorCaches.get(app);
  if (!cache) actorCaches.set(app, (cache = new Map()));
  const cached = cache.get(hash);
  if (cached && cached.until > Date.now()) return cached.actor;
  const found = await app.db.prisma.apiToken.findUnique({
    where: { tokenHash: hash },
    select: { user: { select: { id: true, organizationId: true, role: true } } },
  });
  if (!found) return null;
  const actor = { userId: found.user.id, organizationId: found.user.organizationId, role: found.user.role as Role };
  if (cache.size >= ACTOR_CACHE_SIZE) cache.clear();
  cache.set(hash, { actor, until: Date.now() + ACTOR_TTL_MS });
  return actor;
}

/** Creates the organization and its admin, or reuses them, and issues a new admin token. */
export async function bootstrap(app: App, orgName: string, email: string): Promise<string> {
  const name = requireName('org', orgName);
  const address = email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(address)) throw badInput('email', 'must be an email address');
  const token = newApiToken();
  await app.db.prisma.$transaction(async (tx) => {
    const org = (await tx.organization.findUnique({ where: { name } })) ?? (await tx.organization.create({ data: { ...ids('org'), name } }));
    const user =
      (await tx.user.findUnique({ where: { organizationId_email: { organizationId: org.id, email: address } } })) ??
      (await tx.user.create({ data: { ...ids('usr'), organizationId: org.id, name: address, email: address, role: 'ADMIN' } }));
    await tx.apiToken.create({ data: { ...ids('tok'), userId: user.id, tokenHash: hashToken(token) } });
  });
  return token;
}

function ids(prefix: 'org' | 'usr' | 'tok' | 'team'): { id: string; createdAt: Date } {
  const { id, at } = newIdAt(prefix);
  return { id, createdAt: at };
}

/** A new API user of the actor's organization with that role, and its token (shown once). */
export async function createApiToken(app: App, actor: Actor, name: string, role: Role) {
  const userName = requireName('name', name);
  const token = newApiToken();
  const user = await app.db.prisma.$transaction(async (tx) => {
    const created = await tx.user.create({ data: { ...ids('usr'), organizationId: actor.organizationId, name: userName, email: null, role } });
    await tx.apiToken.create({ data: { ...ids('tok'), userId: created.id, tokenHash: hashToken(token) } });
    return created;
  });
  return { user, token };
}

export async function createTeam(app: App, actor: Actor, name: string) {
  const teamName = requireName('name', name);
  try {
    return await app.db.prisma.$transaction((tx) => tx.team.create({ data: { ...ids('team'), organizationId: actor.organizationId, name: teamName } }));
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('name', `a team named "${teamName}" already exists`);
    throw error;
  }
}

/** BAD_USER_INPUT on `field` unless the team exists in the actor's organization. */
export async function requireTeam(app: App, actor: Actor, teamId: string, field = 'teamId'): Promise<void> {
  const team = await app.db.prisma.team.findFirst({ where: { id: teamId, organizationId: actor.organizationId }, select: { id: true } });
  if (!team) throw badInput(field, `no team ${teamId} in your organization`);
}
