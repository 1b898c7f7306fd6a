/**
 * Credit gates as facts (R-32, R-60): a scope whose decisions do not count as expansion credit
 * until the gate is released. R-60 gates an owner × segment whose monthly governance KPIs breached
 * two months running, until a green month. The R-32 credit gate (issue 12's health process, the
 * Decision Log) reads `openCreditGates` at decision time and records the verdict with its inputs.
 */
import { and, asc, eq, isNull, or, type SQL } from 'drizzle-orm';
import type { Db } from './client.js';
import { creditGates } from './schema.js';

export type CreditGateRow = typeof creditGates.$inferSelect;

/**
 * The open gates that apply to a decision owned by `personId` for a client of `segment`: gates on
 * that owner and segment, on the owner in every segment, or on the whole segment.
 */
export async function openCreditGates(db: Pick<Db, 'select'>, scope: { personId?: string | null; segment?: string | null } = {}): Promise<CreditGateRow[]> {
  const where: SQL[] = [isNull(creditGates.closedAt)];
  if (scope.personId !== undefined) where.push(or(isNull(creditGates.personId), eq(creditGates.personId, scope.personId ?? ''))!);
  if (scope.segment !== undefined) where.push(or(isNull(creditGates.segment), eq(creditGates.segment, scope.segment ?? ''))!);
  return db.select().from(creditGates).where(and(...where)).orderBy(asc(creditGates.openedAt), asc(creditGates.id));
}

/** Whether credit is gated for that owner and segment (any open gate applies). */
export async function isCreditGated(db: Pick<Db, 'select'>, scope: { personId: string | null; segment: string }): Promise<boolean> {
  return (await openCreditGates(db, scope)).length > 0;
}

export async function listCreditGates(db: Pick<Db, 'select'>, opts: { open?: boolean } = {}): Promise<CreditGateRow[]> {
  return db.select().from(creditGates).where(opts.open === undefined ? undefined : opts.open ? isNull(creditGates.closedAt) : undefined)
    .orderBy(asc(creditGates.openedAt), asc(creditGates.id));
}
