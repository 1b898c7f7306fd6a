import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Database, Db } from './client.js';
import { apiKeys } from './schema.js';

export const ROLES = ['admin', 'ops', 'automation', 'manager'] as const;
export type Role = (typeof ROLES)[number];
/**
 * Who calls: an API key (`kind` absent or `api-key`), or a person signed in to the console with
 * OpenID Connect (`user`: id `oidc:<subject>`, their email, role from the IdP's groups).
 */
export interface Principal { id: string; name: string; role: Role; kind?: 'api-key' | 'user'; email?: string }

/** Keys are 32 random bytes, so one SHA-256 is enough; only the hash is stored. */
export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * Principals by key hash, per database (tests run many databases in one process), so an
 * authenticated request costs no query (issue 17). Correctness first: every write that can make a
 * cached key wrong (revoke, re-issue) clears the cache of its process at once and tells the other
 * processes with a PostgreSQL NOTIFY sent in the same transaction (`listenForApiKeyChanges`); a
 * process whose listening connection dropped clears its cache when it listens again. The TTL only
 * bounds how long an entry lives should a notice still be lost.
 */
const PRINCIPAL_TTL_MS = 60_000;
/** Last-used is informative only: at most one write a minute per key. */
const LAST_USED_EVERY_MS = 60_000;
/** Bounds the cache against a flood of distinct valid keys; cleared whole when full (keys are few). */
const PRINCIPAL_CACHE_MAX = 10_000;
export const API_KEYS_CHANNEL = 'baton_api_keys';
interface CachedPrincipal { principal: Principal; loadedAt: number; touchedAt: number }
/** `generation` moves on every clear, so a lookup that read the row before a revocation committed cannot cache it after. */
interface PrincipalCache { entries: Map<string, CachedPrincipal>; generation: number }
const principalCaches = new WeakMap<Db, PrincipalCache>();
const principalCache = (db: Db) => principalCaches.get(db) ?? principalCaches.set(db, { entries: new Map(), generation: 0 }).get(db)!;
/** Forgets every cached principal of this database handle (a key was revoked or re-issued). */
export function forgetCachedPrincipals(db: Db): void {
  const cache = principalCache(db);
  cache.entries.clear();
  cache.generation += 1;
}
const noticeKeyChange = (tx: Pick<Db, 'execute'>) => tx.execute(sql`select pg_notify(${API_KEYS_CHANNEL}, '')`);

/**
 * Clears this process's cached principals whenever another process revokes or re-issues a key
 * (and whenever the listening connection is re-established, since notices sent while it was down
 * are lost). Call once per API process; returns the function that stops listening.
 */
export async function listenForApiKeyChanges(database: Database): Promise<() => Promise<void>> {
  const forget = () => forgetCachedPrincipals(database.db);
  const { unlisten } = await database.sql.listen(API_KEYS_CHANNEL, forget, forget);
  return unlisten;
}

/**
 * Creates a key; only its hash is stored. With an `id` from an Idempotency-Key, a retry whose
 * first attempt died before answering gets the same key record with a fresh secret: the first
 * secret was never shown to anyone, so replacing it loses nothing.
 */
export async function createApiKey(db: Db, input: { name: string; role: Role; createdBy: string; key?: string; id?: string }) {
  const key = input.key ?? `baton_${randomBytes(32).toString('base64url')}`;
  const values = { id: input.id ?? randomUUID(), name: input.name, role: input.role, prefix: key.slice(0, 12), hash: hashKey(key), createdBy: input.createdBy };
  const [row] = await db.transaction(async (tx) => {
    const rows = await tx
      .insert(apiKeys)
      .values(values)
      .onConflictDoUpdate({ target: apiKeys.id, set: { prefix: values.prefix, hash: values.hash }, setWhere: and(eq(apiKeys.createdBy, values.createdBy), isNull(apiKeys.revokedAt)) })
      .returning();
    // A re-issue replaces the hash: the lost key must stop working in every process.
    if (input.id) await noticeKeyChange(tx);
    return rows;
  });
  if (input.id) forgetCachedPrincipals(db);
  if (!row) throw new ApiKeyNotReissuableError(values.id);
  return { key, record: publicKey(row) };
}

export const publicKey = (row: typeof apiKeys.$inferSelect) => ({
  id: row.id, name: row.name, role: row.role as Role, prefix: row.prefix, createdBy: row.createdBy,
  createdAt: row.createdAt, lastUsedAt: row.lastUsedAt, revokedAt: row.revokedAt,
});

export async function findPrincipal(db: Db, key: string): Promise<Principal | undefined> {
  const hash = hashKey(key);
  const cache = principalCache(db);
  const generation = cache.generation;
  const now = Date.now();
  const cached = cache.entries.get(hash);
  if (cached && now - cached.loadedAt < PRINCIPAL_TTL_MS) {
    if (now - cached.touchedAt >= LAST_USED_EVERY_MS) {
      cached.touchedAt = now;
      await touchLastUsed(db, cached.principal.id);
    }
    return cached.principal;
  }
  // Unknown and revoked keys are not cached: a wrong key always costs its query (and the auth throttle counts it).
  const [row] = await db.select({ id: apiKeys.id, name: apiKeys.name, role: apiKeys.role, lastUsedAt: apiKeys.lastUsedAt })
    .from(apiKeys).where(and(eq(apiKeys.hash, hash), isNull(apiKeys.revokedAt)));
  if (!row) return undefined;
  const principal: Principal = { id: row.id, name: row.name, role: row.role as Role };
  if (!row.lastUsedAt || now - Date.parse(row.lastUsedAt) >= LAST_USED_EVERY_MS) await touchLastUsed(db, row.id);
  if (cache.generation !== generation) return principal; // a key changed meanwhile: answer this request, cache nothing
  if (cache.entries.size >= PRINCIPAL_CACHE_MAX) cache.entries.clear();
  cache.entries.set(hash, { principal, loadedAt: now, touchedAt: now });
  return principal;
}

const touchLastUsed = (db: Db, id: string) => db.update(apiKeys).set({ lastUsedAt: sql`now()` })
  .where(and(eq(apiKeys.id, id), sql`(${apiKeys.lastUsedAt} is null or ${apiKeys.lastUsedAt} < now() - interval '1 minute')`));

/** Keys by creation (then id); `after` is the id of the last key of the previous page. */
export async function listApiKeys(db: Db, page: { after?: string; limit?: number } = {}) {
  const rows = await db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
  const start = page.after ? rows.findIndex((r) => r.id === page.after) + 1 : 0;
  return rows.slice(start, page.limit === undefined ? undefined : start + page.limit).map(publicKey);
}

/** A retry's key record was revoked (or belongs to another creator): a revoked key is never brought back. */
export class ApiKeyNotReissuableError extends Error {
  override name = 'ApiKeyNotReissuableError';
  constructor(readonly id: string) {
    super(`The API key ${id} created under this Idempotency-Key was revoked, and a revoked key is never re-issued; send a new Idempotency-Key to create another.`);
  }
}

export class LastAdminKeyError extends Error {
  override name = 'LastAdminKeyError';
  constructor() {
    super('This is the last active admin key; create another admin key first.');
  }
}

/**
 * Revokes a key (revoking twice keeps the first time). The last active admin key cannot be
 * revoked — checked under a lock on the active admin keys, so two concurrent revocations of the
 * last two cannot both pass. Throws LastAdminKeyError.
 */
export async function revokeApiKey(db: Db, id: string) {
  return db.transaction(async (tx) => {
    const admins = await tx.select({ id: apiKeys.id }).from(apiKeys).where(and(eq(apiKeys.role, 'admin'), isNull(apiKeys.revokedAt))).orderBy(asc(apiKeys.id)).for('update');
    if (admins.length === 1 && admins[0]!.id === id) throw new LastAdminKeyError();
    const [row] = await tx.update(apiKeys).set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` }).where(eq(apiKeys.id, id)).returning();
    // Delivered to every listening process when this transaction commits (listenForApiKeyChanges).
    await noticeKeyChange(tx);
    return row ? publicKey(row) : undefined;
  }).finally(() => forgetCachedPrincipals(db));
}

export async function hasActiveAdmin(db: Db): Promise<boolean> {
  const rows = await db.select({ id: apiKeys.id }).from(apiKeys).where(and(eq(apiKeys.role, 'admin'), isNull(apiKeys.revokedAt))).limit(1);
  return rows.length > 0;
}
