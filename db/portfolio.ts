/**
 * The portfolio's capacity (R-4..R-6, R-37) read from the registry, and the one capacity-gap alert
 * a portfolio CTA open while the required hours exceed the team's, its figures kept current,
 * closed by the system when the gap closes.
 *
 * The alert is re-evaluated after every change of clients (registration, placement inputs, segment
 * overrides), people (team hours) or policy: each such write records, in its own transaction, that
 * the portfolio needs a look (`workflow_starts` kind `capacity-gap`, the outbox); the API runs the
 * evaluation right after its commit and the worker's dispatcher catches whatever a crash left
 * behind. The evaluation is an idempotent read-then-write under a transaction-scoped advisory lock,
 * so concurrent changes serialise and a retry changes nothing twice. No workflow: there is nothing
 * to wait for, only a state to reconcile.
 */
import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { capacityGapAction, monthSpread, portfolioCapacity, quarterOf, rebalanceProposal, type PortfolioCapacity, type QuarterSpread, type RebalanceProposal, type SegmentKey } from '../domain/portfolio.js';
import type { Policy } from '../domain/policy.js';
import { weekOf, weekRange } from '../domain/capacity.js';
import type { Db } from './client.js';
import { capacityReport, LOAD_STATES } from './capacity.js';
import { completeCta, ctaIdFor, openCta, type CtaRow } from './ctas.js';
import { appendEvent } from './ledger.js';
import { activePolicy } from './policies.js';
import { clients, ctas, meetings, people, workflowStarts } from './schema.js';
import { DateTime } from 'luxon';

export const CAPACITY_GAP_KEY = 'portfolio/capacity-gap';
export const CAPACITY_GAP_CTA_ID = ctaIdFor(CAPACITY_GAP_KEY);
const PORTFOLIO = 'portfolio';
/** Advisory-lock key of the capacity-gap evaluation (one per database). */
const LOCK = sql`hashtext('baton/capacity-gap')`;

type Executor = Pick<Db, 'select'>;

/** R-6 figures from the registry: every client's segment and MRR, every active person. */
export async function capacityFigures(db: Executor, policy: Policy): Promise<PortfolioCapacity> {
  const [rows, staff] = await Promise.all([
    // A prospect counts once it signs.
    db.select({ segment: clients.segment, mrr: clients.mrr }).from(clients).where(eq(clients.stage, 'client')),
    db.select({ personId: people.id, roles: people.roles, weeklyCapacityHours: people.weeklyCapacityHours }).from(people).where(eq(people.active, true)),
  ]);
  return portfolioCapacity(rows.map((r) => ({ segment: r.segment as SegmentKey, mrr: r.mrr })), staff, policy);
}

/** The alert as it stands: the open one, else the latest closed episode, or undefined. */
export async function capacityGapAlert(db: Executor): Promise<CtaRow | undefined> {
  const [row] = await db.select().from(ctas).where(and(isNull(ctas.clientId), eq(ctas.kind, 'capacity-gap')))
    .orderBy(sql`${ctas.state} in ('done', 'cancelled')`, desc(ctas.createdAt), desc(ctas.id)).limit(1);
  return row;
}

const figuresOf = (c: PortfolioCapacity) => ({ requiredHours: c.requiredHours, availableHours: c.availableHours, gapHours: c.gapHours, utilisationPct: c.utilisationPct });

export type GapOutcome = { action: 'opened' | 'updated' | 'closed' | 'none'; capacity: PortfolioCapacity; ctaId: string | null };

/**
 * one open alert while required > available. An alert closed earlier re-opens as a new episode
 * (the CTA of an episode keeps its history), so the CTA id is per episode: `portfolio/capacity-gap`
 * for the first, `…#2` for the next, and so on.
 */
export async function reconcileCapacityGap(db: Db, at: string): Promise<GapOutcome> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${LOCK})`);
    const policy = (await activePolicy(tx as unknown as Db)).document;
    const capacity = await capacityFigures(tx, policy);
    const [open] = await tx.select().from(ctas).where(and(isNull(ctas.clientId), eq(ctas.kind, 'capacity-gap'), inArray(ctas.state, ['open', 'first_action', 'escalated'])));
    const action = capacityGapAction(capacity, !!open);
    const data = { figures: figuresOf(capacity), bySegment: capacity.bySegment, team: capacity.team, options: capacity.options, ruleId: 'R-6' };
    if (action.kind === 'open') {
      const [{ n }] = (await tx.select({ n: sql<number>`count(*)::int` }).from(ctas).where(and(isNull(ctas.clientId), eq(ctas.kind, 'capacity-gap')))) as [{ n: number }];
      const key = n === 0 ? CAPACITY_GAP_KEY : `${CAPACITY_GAP_KEY}#${n + 1}`;
      const row = await openCta(tx as unknown as Db, {
        key, clientId: null, process: PORTFOLIO, kind: 'capacity-gap', ruleId: 'R-6', ownerRole: 'CS Lead',
        title: `Capacity gap: ${capacity.requiredHours} h required, ${capacity.availableHours} h available (${capacity.gapHours} h short): raise boundaries, cut hours per segment or lower the investment %`,
        dueAt: new Date(Date.parse(at) + policy.segmentation.reviewCtaDays * 86_400_000).toISOString(), firstActionHours: policy.meeting.firstActionHours, openedAt: at,
        actor: { kind: 'system' }, why: { ...figuresOf(capacity), rule: 'R-6: required > available', policyKeys: capacity.policyKeys }, data,
      });
      await appendEvent(tx, { id: `${PORTFOLIO}/${row.id}/gap-opened`, occurredAt: at, clientId: null, process: PORTFOLIO, type: 'capacity.gap_opened', ruleId: 'R-6', actor: { kind: 'system' }, why: { options: capacity.options.map((o) => o.option) }, data: { ctaId: row.id, ...figuresOf(capacity) } });
      return { action: 'opened', capacity, ctaId: row.id };
    }
    if (action.kind === 'update') {
      if (JSON.stringify((open!.data as { figures?: unknown }).figures) !== JSON.stringify(data.figures)) {
        await tx.update(ctas).set({ data: { ...open!.data, ...data }, updatedAt: at }).where(eq(ctas.id, open!.id));
        return { action: 'updated', capacity, ctaId: open!.id };
      }
      return { action: 'none', capacity, ctaId: open!.id };
    }
    if (action.kind === 'close') {
      await tx.update(ctas).set({ data: { ...open!.data, ...data }, updatedAt: at }).where(eq(ctas.id, open!.id));
      await completeCta(tx as unknown as Db, open!.id, `gap closed: ${capacity.requiredHours} h required, ${capacity.availableHours} h available`, { actor: { kind: 'system' }, at }, `${PORTFOLIO}/${open!.id}/closed`);
      await appendEvent(tx, { id: `${PORTFOLIO}/${open!.id}/gap-closed`, occurredAt: at, clientId: null, process: PORTFOLIO, type: 'capacity.gap_closed', ruleId: 'R-6', actor: { kind: 'system' }, why: { rule: 'R-6: required ≤ available' }, data: { ctaId: open!.id, ...figuresOf(capacity) } });
      return { action: 'closed', capacity, ctaId: open!.id };
    }
    return { action: 'none', capacity, ctaId: null };
  });
}

/** Records, inside the caller's transaction, that the portfolio's capacity needs a look (clients, people or policy changed). */
export async function markCapacityChanged(tx: Pick<Db, 'insert'>): Promise<void> {
  await tx.insert(workflowStarts).values({ kind: 'capacity-gap', subjectId: PORTFOLIO })
    .onConflictDoUpdate({ target: [workflowStarts.kind, workflowStarts.subjectId], set: { dispatchedAt: null, createdAt: sql`now()` } });
}

/**
 * Runs the evaluation the outbox asks for: claims the row first (so a change committed after the
 * claim re-arms it and is evaluated on the next pass), evaluates, and puts the claim back if the
 * evaluation fails.
 */
export async function dispatchCapacityGap(db: Db, at: string): Promise<GapOutcome | undefined> {
  const claimed = await db.update(workflowStarts).set({ dispatchedAt: sql`now()`, attempts: sql`${workflowStarts.attempts} + 1` })
    .where(and(eq(workflowStarts.kind, 'capacity-gap'), eq(workflowStarts.subjectId, PORTFOLIO), isNull(workflowStarts.dispatchedAt))).returning({ kind: workflowStarts.kind });
  if (!claimed.length) return undefined;
  try {
    return await reconcileCapacityGap(db, at);
  } catch (err) {
    await db.update(workflowStarts).set({ dispatchedAt: null, lastError: String((err as Error).message).slice(0, 2000) }).where(and(eq(workflowStarts.kind, 'capacity-gap'), eq(workflowStarts.subjectId, PORTFOLIO)));
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// R-37 spread and rebalance, read from the meetings

/**
 * R-37 month rule over the quarter holding `at` and the next one (in governance.timeZone): a
 * segment's quarterly meetings are its strategic rhythm (QBR, Review, Monthly Strategic) — the ones
 * the scheduler places by the recurring slot; anchored meetings (planning, triggers, resets) and the
 * tactical series are left out.
 */
export async function segmentMonthSpread(db: Executor, policy: Policy, at: string): Promise<QuarterSpread[]> {
  const zone = policy.governance.timeZone;
  const local = DateTime.fromISO(at, { setZone: false }).setZone(zone);
  const q = quarterOf(local.toISODate()!);
  const from = DateTime.fromISO(q.startDate, { zone }).toUTC().toISO()!;
  const to = DateTime.fromISO(q.startDate, { zone }).plus({ months: 6 }).toUTC().toISO()!;
  const rows = await db.select({
    meetingId: meetings.id, clientId: meetings.clientId, segment: sql<string>`coalesce(${meetings.segment}, ${clients.segment})`, startsAt: meetings.startsAt, state: meetings.state, strategic: meetings.strategic,
  }).from(meetings).innerJoin(clients, eq(clients.id, meetings.clientId))
    .where(and(eq(meetings.process, 'cadence'), inArray(meetings.state, [...LOAD_STATES]), isNull(meetings.supersededBy),
      sql`${meetings.data}->>'kind' = 'strategic'`, sql`${meetings.startsAt} >= ${from}::timestamptz and ${meetings.startsAt} < ${to}::timestamptz`))
    .orderBy(asc(meetings.startsAt), asc(meetings.id));
  return monthSpread(rows, policy, zone, at);
}

/** everyone whose next week is over the rebalance line, with the B/C meetings to move. */
export async function rebalanceProposals(db: Db, policy: Policy, at: string): Promise<RebalanceProposal[]> {
  const report = await capacityReport(db, at, { version: 0, document: policy });
  const zone = policy.capacity.weekTimeZone;
  const out: RebalanceProposal[] = [];
  for (const p of report.people) {
    const i = p.weeks.findIndex((w) => w.week === report.nextWeek);
    const week = p.weeks[i];
    if (!week?.overRebalance) continue;
    const range = weekRange(DateTime.fromISO(week.startsOn, { zone }).plus({ hours: 12 }).toISO()!, zone);
    const rows = await db.select({
      meetingId: meetings.id, clientId: meetings.clientId, segment: sql<string | null>`coalesce(${meetings.segment}, ${clients.segment})`, startsAt: meetings.startsAt, endsAt: meetings.endsAt,
      prepHours: meetings.prepHours, strategic: meetings.strategic, kind: sql<string>`coalesce(${meetings.data}->>'kind', '')`,
    }).from(meetings).innerJoin(clients, eq(clients.id, meetings.clientId))
      .where(and(eq(meetings.accountablePersonId, p.personId), inArray(meetings.state, [...LOAD_STATES]), sql`${meetings.startsAt} >= ${range.from}::timestamptz and ${meetings.startsAt} < ${range.to}::timestamptz`))
      .orderBy(asc(meetings.startsAt), asc(meetings.id));
    const proposal = rebalanceProposal({
      personId: p.personId, week: week.week, weeklyCapacityHours: p.weeklyCapacityHours,
      meetings: rows.map((r) => ({ ...r, state: 'scheduled' })).filter((r) => weekOf(r.startsAt, zone) === week.week),
      laterWeeks: p.weeks.slice(i + 1).map((w) => ({ week: w.week, hours: w.hours })),
    }, policy);
    if (proposal) out.push(proposal);
  }
  return out;
}
