import { createHash } from 'node:crypto';
import { and, asc, desc, eq, gt, gte, inArray, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import { severityOf } from '../domain/at-risk.js';
import type { RiskRowChanges } from '../domain/effects.js';
import type { Bucket } from '../domain/health-process.js';
import type { Policy } from '../domain/policy.js';
import type { Db } from './client.js';
import { enqueueWorkflowStart } from './outbox.js';
import { risks } from './schema.js';

export type RiskRow = typeof risks.$inferSelect;
type Executor = Pick<Db, 'select' | 'insert' | 'update'>;
const DAY_MS = 86_400_000;

/** A risk's id from what opened it (a signal's ledger event id, a request's key): a retried opening finds the same risk. */
export function riskIdFor(seed: string): string {
  const h = createHash('sha256').update(`baton/risk/${seed}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface RiskOpening {
  clientId: string;
  bucket: Bucket;
  impact?: number;
  likelihood?: number;
  trigger: string;
  ruleId: string;
  source: { process: string; workflowId?: string | null; eventId?: string; evidence: Record<string, unknown> };
  firstActionCtaId?: string | null;
  openedAt: string;
  /** Names the risk this opening would create (deterministic). */
  seed: string;
}

export type RiskOpeningOutcome =
  | { outcome: 'opened'; riskId: string; fresh: boolean }
  | { outcome: 'appended'; riskId: string };

/**
 * opens a risk for the client and bucket, or — when one is open already — says which
 * one the trigger appends evidence to. At most one open risk per client and bucket (a partial
 * unique index settles races); a new row's workflow start goes to the outbox in the same
 * transaction. Idempotent: the same seed opens (and then finds) the same risk.
 */
export async function openOrAppendRisk(tx: Executor, o: RiskOpening, policy: Policy): Promise<RiskOpeningOutcome> {
  const id = riskIdFor(o.seed);
  const [self] = await tx.select({ id: risks.id }).from(risks).where(eq(risks.id, id));
  if (self) return { outcome: 'opened', riskId: id, fresh: false };
  const open = await openRiskOf(tx, o.clientId, o.bucket);
  if (open) return { outcome: 'appended', riskId: open.id };
  const ar = policy.atRisk;
  const impact = o.impact ?? ar.defaultImpact;
  const likelihood = o.likelihood ?? ar.defaultLikelihood;
  // a new risk within the repeat window of a closure is a repeat.
  const [previous] = await tx.select({ id: risks.id }).from(risks)
    .where(and(eq(risks.clientId, o.clientId), eq(risks.status, 'closed'), gte(risks.closedAt, new Date(Date.parse(o.openedAt) - ar.repeatWindowDays * DAY_MS).toISOString())))
    .orderBy(desc(risks.closedAt)).limit(1);
  const inserted = await tx.insert(risks).values({
    id, clientId: o.clientId, bucket: o.bucket, severity: severityOf(impact, likelihood, ar.severity), impact, likelihood, status: 'open', trigger: o.trigger, ruleId: o.ruleId,
    source: o.source, firstActionCtaId: o.firstActionCtaId ?? null, repeatOf: previous?.id ?? null, openedAt: o.openedAt, lastMovementAt: o.openedAt, createdAt: o.openedAt, updatedAt: o.openedAt,
  }).onConflictDoNothing().returning({ id: risks.id });
  if (inserted.length) {
    await enqueueWorkflowStart(tx, 'risk', id);
    return { outcome: 'opened', riskId: id, fresh: true };
  }
  const winner = await openRiskOf(tx, o.clientId, o.bucket);
  if (winner) return { outcome: 'appended', riskId: winner.id };
  throw new Error(`risk ${id} could neither be opened nor found`);
}

export async function openRiskOf(db: Pick<Db, 'select'>, clientId: string, bucket: string): Promise<RiskRow | undefined> {
  return (await db.select().from(risks).where(and(eq(risks.clientId, clientId), eq(risks.bucket, bucket), eq(risks.status, 'open'))))[0];
}

export async function getRisk(db: Pick<Db, 'select'>, id: string): Promise<RiskRow | undefined> {
  return (await db.select().from(risks).where(eq(risks.id, id)))[0];
}

/** The row follows the risk process (effect `riskUpdate`). */
export async function updateRiskRow(tx: Executor, riskId: string, changes: RiskRowChanges, at: string): Promise<void> {
  await tx.update(risks).set({ ...changes, updatedAt: at } as never).where(eq(risks.id, riskId));
}

export interface RiskFilter {
  clientId?: string;
  status?: string[];
  bucket?: string[];
  severity?: string[];
  repeat?: boolean;
  /** Past an open clock: acknowledgement, Save Plan or re-engage not done by its due. */
  overdue?: boolean;
  now: string;
  after?: string;
  limit: number;
}

export async function listRisks(db: Pick<Db, 'select'>, f: RiskFilter) {
  const where: SQL[] = [];
  if (f.clientId) where.push(eq(risks.clientId, f.clientId));
  if (f.status?.length) where.push(inArray(risks.status, f.status));
  if (f.bucket?.length) where.push(inArray(risks.bucket, f.bucket));
  if (f.severity?.length) where.push(inArray(risks.severity, f.severity));
  if (f.repeat !== undefined) where.push(f.repeat ? sql`${risks.repeatOf} is not null` : sql`${risks.repeatOf} is null`);
  if (f.overdue) {
    where.push(eq(risks.status, 'open'));
    where.push(or(
      and(sql`${risks.acknowledgedAt} is null`, lt(risks.ackDueAt, f.now)),
      and(sql`${risks.savePlanAt} is null`, lt(risks.savePlanDueAt, f.now)),
      and(sql`${risks.reengageHeldAt} is null`, lt(risks.reengageDueAt, f.now)),
    )!);
  }
  if (f.after) where.push(gt(risks.id, f.after));
  const rows = await db.select().from(risks).where(where.length ? and(...where) : undefined).orderBy(asc(risks.id)).limit(f.limit + 1);
  return { items: rows.slice(0, f.limit), next: rows.length > f.limit ? rows[f.limit - 1]!.id : undefined };
}

/** Open risks of the client other than `exceptId` in `bucket` (a reclassification into it would make two, A-19). */
export async function otherOpenRiskIn(db: Pick<Db, 'select'>, clientId: string, bucket: string, exceptId: string) {
  return (await db.select({ id: risks.id }).from(risks).where(and(eq(risks.clientId, clientId), eq(risks.bucket, bucket), eq(risks.status, 'open'), ne(risks.id, exceptId))))[0];
}

/** Risks whose process may still have work (open, or closed with the After-Action pending): the worker makes sure each runs. */
export async function risksToRun(db: Pick<Db, 'select'>) {
  return db.select({ id: risks.id, clientId: risks.clientId }).from(risks).where(or(eq(risks.status, 'open'), sql`${risks.afterActionAt} is null`)).orderBy(asc(risks.openedAt));
}
