import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { accessFromOnboardingFacts, type AccessRow } from '../domain/access-record.js';
import type { Db } from './client.js';
import { clientAccess, events } from './schema.js';

/** The client's access record: one row per access-matrix system. */
export type AccessRecordRow = typeof clientAccess.$inferSelect;
type Executor = Pick<Db, 'select' | 'insert'>;

/**
 * Upserts rows of the record. A grant is kept from the first time it was recorded (a repeat or a
 * later "not granted" seed never clears or moves it); `source` says what recorded the grant.
 */
export async function recordAccess(db: Executor, clientId: string, rows: readonly AccessRow[], source: 'onboarding' | 'late-report' | 'ledger', at: string): Promise<void> {
  if (!rows.length) return;
  await db.insert(clientAccess)
    .values(rows.map((r) => ({ clientId, system: r.system, grantedAt: r.grantedAt, source, createdAt: at, updatedAt: at })))
    .onConflictDoUpdate({
      target: [clientAccess.clientId, clientAccess.system],
      set: {
        grantedAt: sql`coalesce(${clientAccess.grantedAt}, excluded.granted_at)`,
        source: sql`case when ${clientAccess.grantedAt} is null and excluded.granted_at is not null then excluded.source else ${clientAccess.source} end`,
        updatedAt: sql`case when ${clientAccess.grantedAt} is null and excluded.granted_at is not null then excluded.updated_at else ${clientAccess.updatedAt} end`,
      },
    });
}

export async function accessRecordOf(db: Pick<Db, 'select'>, clientId: string): Promise<AccessRecordRow[]> {
  return db.select().from(clientAccess).where(eq(clientAccess.clientId, clientId)).orderBy(asc(clientAccess.createdAt), asc(clientAccess.system));
}

/**
 * The record, rebuilt from the client's onboarding facts on the ledger when it has no rows yet
 * (onboardings started before the record existed kept it only in their own state).
 */
export async function ensureAccessRecord(db: Executor, clientId: string, at: string): Promise<AccessRecordRow[]> {
  const rows = await accessRecordOf(db, clientId);
  if (rows.length) return rows;
  const facts = await db.select({ type: events.type, process: events.process, occurredAt: events.occurredAt, data: events.data }).from(events)
    .where(and(eq(events.clientId, clientId), eq(events.process, 'onboarding'), inArray(events.type, ['process.started', 'process.fact_recorded'])))
    .orderBy(asc(events.seq));
  await recordAccess(db, clientId, accessFromOnboardingFacts(facts), 'ledger', at);
  return accessRecordOf(db, clientId);
}
