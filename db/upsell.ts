import { and, asc, eq, gt, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from './client.js';
import { enqueueWorkflowStart } from './outbox.js';
import { meetings, upsells } from './schema.js';

/**
 * The upsell play's rows (DOMAIN §2.16, R-89..R-92): the API inserts one per logged signal (with its
 * Initiative Card, in one transaction, and the workflow start in the outbox); the workflow
 * `upsell/{id}` merges its progress through the `upsellUpdate` effect in the kernel's transaction.
 */
type Tx = Pick<Db, 'select' | 'insert' | 'update'>;
export type UpsellRow = typeof upsells.$inferSelect;
export type NewUpsell = Omit<typeof upsells.$inferInsert, 'progress' | 'updatedAt'>;

export const UPSELL_PROCESS = 'upsell';
export const upsellWorkflowIdOf = (signalId: string) => `upsell/${signalId}`;

/** Inserts the row (idempotent by id) and asks the outbox to start its process. */
export async function insertUpsell(tx: Tx, n: NewUpsell): Promise<{ row: UpsellRow; created: boolean }> {
  const inserted = await tx.insert(upsells).values({ ...n, progress: {}, updatedAt: n.createdAt }).onConflictDoNothing().returning();
  if (!inserted[0]) return { row: (await tx.select().from(upsells).where(eq(upsells.id, n.id)))[0]!, created: false };
  await enqueueWorkflowStart(tx, 'upsell', n.id);
  return { row: inserted[0], created: true };
}

export async function getUpsell(db: Pick<Db, 'select'>, clientId: string, id: string): Promise<UpsellRow | undefined> {
  return (await db.select().from(upsells).where(and(eq(upsells.clientId, clientId), eq(upsells.id, id))))[0];
}

export async function getUpsellById(db: Pick<Db, 'select'>, id: string): Promise<UpsellRow | undefined> {
  return (await db.select().from(upsells).where(eq(upsells.id, id)))[0];
}

export async function listUpsells(db: Pick<Db, 'select'>, clientId: string, f: { state?: string[]; kind?: string; after?: string; limit: number }): Promise<{ items: UpsellRow[]; next?: string }> {
  const where: SQL[] = [eq(upsells.clientId, clientId)];
  if (f.state?.length) where.push(inArray(upsells.state, f.state));
  if (f.kind) where.push(eq(upsells.kind, f.kind));
  if (f.after) where.push(gt(upsells.id, f.after));
  const rows = await db.select().from(upsells).where(and(...where)).orderBy(asc(upsells.id)).limit(f.limit + 1);
  return { items: rows.slice(0, f.limit), ...(rows.length > f.limit ? { next: rows[f.limit - 1]!.id } : {}) };
}

/** The workflow's `upsellUpdate`: `state` to its column, the rest merged into `progress`. */
export async function updateUpsellRow(tx: Pick<Db, 'update'>, signalId: string, changes: Record<string, unknown>, at: string): Promise<void> {
  const { state, ...rest } = changes;
  await tx.update(upsells).set({
    ...(typeof state === 'string' ? { state } : {}),
    progress: sql`${upsells.progress} || ${JSON.stringify(rest)}::jsonb`,
    updatedAt: at,
  }).where(eq(upsells.id, signalId));
}

/** the client's scheduled meetings from `at` on (the touches a proposal can be presented at). */
export async function scheduledMeetings(db: Pick<Db, 'select'>, clientId: string, at: string, limit = 50) {
  return db.select({ meetingId: meetings.id, kind: meetings.kind, startsAt: meetings.startsAt, strategic: meetings.strategic }).from(meetings)
    .where(and(eq(meetings.clientId, clientId), eq(meetings.state, 'scheduled'), gt(meetings.startsAt, at)))
    .orderBy(asc(meetings.startsAt), asc(meetings.id)).limit(limit);
}
