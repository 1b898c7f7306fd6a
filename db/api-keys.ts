import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { apiKeys } from './schema.js';

export const ROLES = ['admin', 'ops', 'automation', 'manager'] as const;
export type Role = (typeof ROLES)[number];
export interface Principal { id: string; name: string; role: Role }

/** Keys are 32 random bytes, so one SHA-256 is enough; only the hash is stored. */
export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export async function createApiKey(db: Db, input: { name: string; role: Role; createdBy: string; key?: string }) {
  const key = input.key ?? `baton_${randomBytes(32).toString('base64url')}`;
  const [row] = await db
    .insert(apiKeys)
    .values({ id: randomUUID(), name: input.name, role: input.role, prefix: key.slice(0, 12), hash: hashKey(key), createdBy: input.createdBy })
    .returning();
  return { key, record: publicKey(row!) };
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

export async function listApiKeys(db: Db) {
  return (await db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt))).map(publicKey);
}

export async function revokeApiKey(db: Db, id: string) {
  const [row] = await db.update(apiKeys).set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` }).where(eq(apiKeys.id, id)).returning();
  return row ? publicKey(row) : undefined;
}

export async function hasActiveAdmin(db: Db): Promise<boolean> {
  const rows = await db.select({ id: apiKeys.id }).from(apiKeys).where(and(eq(apiKeys.role, 'admin'), isNull(apiKeys.revokedAt))).limit(1);
  return rows.length > 0;
}
