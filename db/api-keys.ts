import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from './client.js';
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
 * Creates a key; only its hash is stored. With an `id` from an Idempotency-Key, a retry whose
 * first attempt died before answering gets the same key record with a fresh secret: the first
 * secret was never shown to anyone, so replacing it loses nothing.
 */
export async function createApiKey(db: Db, input: { name: string; role: Role; createdBy: string; key?: string; id?: string }) {
  const key = input.key ?? `baton_${randomBytes(32).toString('base64url')}`;
  const values = { id: input.id ?? randomUUID(), name: input.name, role: input.role, prefix: key.slice(0, 12), hash: hashKey(key), createdBy: input.createdBy };
  const [row] = await db
    .insert(apiKeys)
    .values(values)
    .onConflictDoUpdate({ target: apiKeys.id, set: { prefix: values.prefix, hash: values.hash }, setWhere: and(eq(apiKeys.createdBy, values.createdBy), isNull(apiKeys.revokedAt)) })
    .returning();
  if (!row) throw new Error(`API key ${values.id} exists and cannot be re-issued`);
  return { key, record: publicKey(row) };
}

export const publicKey = (row: typeof apiKeys.$inferSelect) => ({
  id: row.id, name: row.name, role: row.role as Role, prefix: row.prefix, createdBy: row.createdBy,
  createdAt: row.createdAt, lastUsedAt: row.lastUsedAt, revokedAt: row.revokedAt,
});

export async function findPrincipal(db: Db, key: string): Promise<Principal | undefined> {
  const [row] = await db.select().from(apiKeys).where(and(eq(apiKeys.hash, hashKey(key)), isNull(apiKeys.revokedAt)));
  if (!row) return undefined;
  // Last-used is informative only; at most one write a minute per key.
  await db.update(apiKeys).set({ lastUsedAt: sql`now()` })
    .where(and(eq(apiKeys.id, row.id), sql`(${apiKeys.lastUsedAt} is null or ${apiKeys.lastUsedAt} < now() - interval '1 minute')`));
  return { id: row.id, name: row.name, role: row.role as Role };
}

/** Keys by creation (then id); `after` is the id of the last key of the previous page. */
export async function listApiKeys(db: Db, page: { after?: string; limit?: number } = {}) {
  const rows = await db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
  const start = page.after ? rows.findIndex((r) => r.id === page.after) + 1 : 0;
  return rows.slice(start, page.limit === undefined ? undefined : start + page.limit).map(publicKey);
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
    return row ? publicKey(row) : undefined;
  });
}

export async function hasActiveAdmin(db: Db): Promise<boolean> {
  const rows = await db.select({ id: apiKeys.id }).from(apiKeys).where(and(eq(apiKeys.role, 'admin'), isNull(apiKeys.revokedAt))).limit(1);
  return rows.length > 0;
}
