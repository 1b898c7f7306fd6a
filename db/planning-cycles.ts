import { and, asc, eq, gt, inArray, or, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { planningCycles } from './schema.js';
import type { PlanningCycleRowChanges } from '../domain/effects.js';

type Executor = Pick<Db, 'select' | 'insert' | 'update'>;
export type PlanningCycleRow = typeof planningCycles.$inferSelect;

/** The cycle's read-model row, written with its ledger events (one transaction, recordProcessEffects). */
export async function upsertPlanningCycle(tx: Executor, clientId: string, fiscalYear: number, workflowId: string, row: PlanningCycleRowChanges, at: string) {
  const values = { clientId, fiscalYear, workflowId, ...row, updatedAt: at };
  await tx.insert(planningCycles).values(values).onConflictDoUpdate({ target: [planningCycles.clientId, planningCycles.fiscalYear], set: values });
}

export async function getPlanningCycle(db: Pick<Db, 'select'>, clientId: string, fiscalYear: number): Promise<PlanningCycleRow | undefined> {
  return (await db.select().from(planningCycles).where(and(eq(planningCycles.clientId, clientId), eq(planningCycles.fiscalYear, fiscalYear))))[0];
}

/** Cycles by client id then year; cursor `<clientId>/<year>` of the last row of the previous page. */
export async function listPlanningCycles(db: Pick<Db, 'select'>, q: { clientId?: string; fiscalYear?: number; stage?: string[]; after?: { clientId: string; fiscalYear: number }; limit: number }) {
  const rows = await db.select().from(planningCycles).where(and(
    ...(q.clientId ? [eq(planningCycles.clientId, q.clientId)] : []),
    ...(q.fiscalYear !== undefined ? [eq(planningCycles.fiscalYear, q.fiscalYear)] : []),
    ...(q.stage?.length ? [inArray(planningCycles.stage, q.stage)] : []),
    ...(q.after ? [or(gt(planningCycles.clientId, q.after.clientId), and(eq(planningCycles.clientId, q.after.clientId), gt(planningCycles.fiscalYear, q.after.fiscalYear)))!] : []),
    sql`true`,
  )).orderBy(asc(planningCycles.clientId), asc(planningCycles.fiscalYear)).limit(q.limit + 1);
  const items = rows.slice(0, q.limit);
  const last = items[items.length - 1];
  return { items, next: rows.length > q.limit && last ? `${last.clientId}/${last.fiscalYear}` : undefined };
}
