/**
 * The portfolio Cadence Radar (DOMAIN.md §2.6 ): past-due strategic meetings with
 * owner and next date, the cadence KPIs against their policy targets (`kpis.cadence.*`), and the
 * 30-day load by role. Computed from the meetings, ctas and clients tables, cadence process only
 * (`process = 'cadence'`); instants are compared in UTC, windows are closed at both ends.
 */
import { and, asc, count, eq, exists, gte, inArray, isNotNull, isNull, lt, lte, min, or, sql } from 'drizzle-orm';
import { pct1 } from '../domain/capacity.js';
import { SEGMENTS, type Policy } from '../domain/policy.js';
import { capacityReport, type CapacityReport, type SpanLoad } from './capacity.js';
import { capacityFigures, capacityGapAlert } from './portfolio.js';
import type { Db } from './client.js';
import { clients, ctas, meetings, people, risks } from './schema.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const CADENCE = 'cadence';
/** The R-38 "30-day load by role". */
const LOAD_DAYS = 30;

/** One KPI: percent (one decimal; null when the denominator is 0) against its target. */
export interface Figure {
  value: number | null;
  numerator: number;
  denominator: number;
  /** Percent, from policy.kpis.cadence.*. */
  target: number;
  /** value ≥ target; null when there is nothing to measure. */
  meets: boolean | null;
}

export interface PastDueMeeting {
  meetingId: string;
  clientId: string;
  clientName: string;
  kind: string;
  startsAt: string;
  state: 'scheduled' | 'missed';
  owner: { personId: string | null; name: string | null; role: string | null };
  /** The client's next scheduled strategic (cadence) meeting after now, or null: R-38 "gets owner + date". */
  nextDate: string | null;
}

export interface RoleLoadFigure extends SpanLoad {
  role: string;
  people: number;
  overAutoBookCap: boolean;
  overRebalance: boolean;
}

export interface PortfolioRadar {
  asOf: string;
  lookbackDays: number;
  policyVersion: number;
  windows: { lookbackFrom: string; coverageTo: string; sponsorFrom: string; pastDueEndedBefore: string };
  pastDue: { total: number; items: PastDueMeeting[] };
  coverageNext30Days: Figure;
  recapWithin48h: Figure;
  firstActionWithin72h: Figure;
  meetingsWithDecision: Figure;
  sponsorSeenBySegment: Record<(typeof SEGMENTS)[number], Figure>;
  loadByRole: RoleLoadFigure[];
  /** R-6 on the radar: required vs available hours and the one capacity-gap alert. */
  capacityGap: { requiredHours: number; availableHours: number; gapHours: number; utilisationPct: number | null; gap: boolean; alert: { ctaId: string; state: string } | null };
  atRisk: AtRiskKpis;
}

/** A share (percent, one decimal; null without a denominator). */
export interface Share { value: number | null; numerator: number; denominator: number }

/** R-103 At Risk KPIs over risks opened (or closed) in the lookback, plus what is open now. */
export interface AtRiskKpis {
  open: { total: number; bySeverity: Record<'High' | 'Medium' | 'Low', number>; byBucket: Record<'Service' | 'Delivery' | 'Strategic' | 'Financial', number>; overdue: number };
  /** High risks acknowledged within their R-95 business hours (target: `kpis.atRisk.ackHighBusinessHours`). */
  acknowledgedInTimeHigh: Share & { targetBusinessHours: number };
  /** Save Plans published by their R-98 due (≤ `kpis.atRisk.planBusinessDays` bd after detection). */
  savePlanInTime: Share & { targetBusinessDays: number };
  /** Risk CTAs with a first action within their SLA (C-5, R-103 "first action 72h"). */
  firstActionInTime: Share;
  /** Save Plan actions done by their date (`kpis.atRisk.actionsOnTimePct`). */
  actionsOnTime: Figure;
  /** Risks closed in the lookback within `kpis.atRisk.resolutionDays`, and the median days. */
  resolvedInTime: Share & { targetDays: number; medianDays: number | null };
  /** Risks opened in the lookback that repeat a closure within the repeat window; `meets` = below `kpis.atRisk.repeatRiskMaxPct`. */
  repeatRisk: Figure;
}

export function figure(numerator: number, denominator: number, target: number): Figure {
  return { value: pct1(numerator, denominator), numerator, denominator, target, meets: denominator > 0 ? numerator * 100 >= target * denominator : null };
}

const ts = (iso: string) => sql`${iso}::timestamptz`;
/** When a held meeting happened: heldAt, else its scheduled end (a held row should carry heldAt). */
const heldInstant = sql`coalesce(${meetings.heldAt}, ${meetings.endsAt})`;

/**
 * past due = a strategic cadence meeting not marked held within the grace of its end (§2.5,
 * `missedCadence.graceHours`), still owed (not superseded by a rebook/reset). Also the
 * `baton_strategic_meetings_past_due` gauge (db/metrics.ts).
 */
export function pastDueStrategicMeetings(endedBefore: string) {
  return and(eq(meetings.process, CADENCE), eq(meetings.strategic, true), inArray(meetings.state, ['scheduled', 'missed']), isNull(meetings.supersededBy), lt(meetings.endsAt, endedBefore));
}

export async function portfolioRadar(
  db: Pick<Db, 'select'>,
  now: Date | string,
  policy: { version: number; document: Policy },
  { lookbackDays = 30, capacity: known }: { lookbackDays?: number; capacity?: CapacityReport } = {},
): Promise<PortfolioRadar> {
  const p = policy.document;
  const k = p.kpis.cadence;
  const asOf = (typeof now === 'string' ? new Date(now) : now).toISOString();
  const nowMs = Date.parse(asOf);
  const at = (offsetMs: number) => new Date(nowMs + offsetMs).toISOString();
  const windows = {
    lookbackFrom: at(-lookbackDays * DAY_MS),
    coverageTo: at(k.coverageWindowDays * DAY_MS),
    sponsorFrom: at(-p.health.sponsorHeartbeatDays * DAY_MS),
    pastDueEndedBefore: at(-p.missedCadence.graceHours * HOUR_MS),
  };
  const cadenceStrategic = and(eq(meetings.process, CADENCE), eq(meetings.strategic, true));
  const pastDueWhere = pastDueStrategicMeetings(windows.pastDueEndedBefore);
  const [[pastDueTotal], pastDueRows] = await Promise.all([
    db.select({ n: count() }).from(meetings).where(pastDueWhere),
    db.select({
      meetingId: meetings.id, clientId: meetings.clientId, clientName: clients.name, kind: meetings.kind, startsAt: meetings.startsAt, state: meetings.state,
      personId: meetings.accountablePersonId, personName: people.name, role: meetings.accountableRole,
    })
      .from(meetings).innerJoin(clients, eq(clients.id, meetings.clientId)).leftJoin(people, eq(people.id, meetings.accountablePersonId))
      .where(pastDueWhere).orderBy(asc(meetings.startsAt), asc(meetings.id)).limit(p.capacity.radarTopPastDue),
  ]);
  const pastDueClients = [...new Set(pastDueRows.map((r) => r.clientId))];
  const nextDates = new Map<string, string>();
  if (pastDueClients.length) {
    const rows = await db.select({ clientId: meetings.clientId, next: min(meetings.startsAt) }).from(meetings)
      .where(and(cadenceStrategic, eq(meetings.state, 'scheduled'), inArray(meetings.clientId, pastDueClients), sql`${meetings.startsAt} > ${ts(asOf)}`))
      .groupBy(meetings.clientId);
    for (const r of rows) if (r.next) nextDates.set(r.clientId, new Date(r.next).toISOString());
  }

  const [gapFigures, gapAlert] = await Promise.all([capacityFigures(db, p), capacityGapAlert(db)]);
  const [coverage, recap, firstAction, decision, sponsorDen, sponsorNum, capacity] = await Promise.all([
    // accounts with a cadence meeting due in the window; covered = none of them left unbooked.
    db.select({ clientId: meetings.clientId, unbooked: sql<boolean>`bool_or(${meetings.state} = 'unbooked')` }).from(meetings)
      .where(and(eq(meetings.process, CADENCE), inArray(meetings.state, ['scheduled', 'unbooked']), isNull(meetings.supersededBy),
        gte(meetings.startsAt, asOf), lte(meetings.startsAt, windows.coverageTo)))
      .groupBy(meetings.clientId),
    // recaps of strategic meetings held in the lookback, once due (or sent).
    db.select({
      numerator: sql<number>`count(*) filter (where ${meetings.recapSentAt} <= coalesce(${meetings.recapDueAt}, ${meetings.endsAt} + ${p.meeting.recapHours}::float8 * interval '1 hour'))`.mapWith(Number),
      denominator: count(),
    }).from(meetings)
      .where(and(cadenceStrategic, eq(meetings.state, 'held'), sql`${heldInstant} between ${ts(windows.lookbackFrom)} and ${ts(asOf)}`,
        or(sql`coalesce(${meetings.recapDueAt}, ${meetings.endsAt} + ${p.meeting.recapHours}::float8 * interval '1 hour') <= ${ts(asOf)}`, isNotNull(meetings.recapSentAt)))),
    // C-5, R-30, R-39: cadence CTAs opened in the lookback, once their first action is due (or done); a CTA cancelled before any action is not measured.
    db.select({
      numerator: sql<number>`count(*) filter (where ${ctas.firstActionAt} <= ${ctas.firstActionDueAt})`.mapWith(Number),
      denominator: count(),
    }).from(ctas)
      .where(and(eq(ctas.process, CADENCE), gte(ctas.createdAt, windows.lookbackFrom), lte(ctas.createdAt, asOf),
        or(lte(ctas.firstActionDueAt, asOf), isNotNull(ctas.firstActionAt)),
        or(sql`${ctas.state} <> 'cancelled'`, isNotNull(ctas.firstActionAt)))),
    // strategic meetings held in the lookback with at least one decision.
    db.select({
      numerator: sql<number>`count(*) filter (where ${meetings.decisionCount} >= 1)`.mapWith(Number),
      denominator: count(),
    }).from(meetings)
      .where(and(cadenceStrategic, eq(meetings.state, 'held'), sql`${heldInstant} between ${ts(windows.lookbackFrom)} and ${ts(asOf)}`)),
    // clients with any cadence meeting, by segment (EXISTS: one index probe per client, not a join of every meeting) …
    db.select({ segment: clients.segment, n: count() }).from(clients)
      .where(exists(db.select({ one: sql`1` }).from(meetings).where(and(eq(meetings.clientId, clients.id), eq(meetings.process, CADENCE)))))
      .groupBy(clients.segment),
    // … and those whose executive sponsor attended a held cadence meeting in the heartbeat window.
    db.select({ segment: clients.segment, n: count() }).from(clients)
      .where(exists(db.select({ one: sql`1` }).from(meetings).where(and(eq(meetings.clientId, clients.id), eq(meetings.process, CADENCE),
        eq(meetings.state, 'held'), eq(meetings.sponsorPresent, true), sql`${heldInstant} between ${ts(windows.sponsorFrom)} and ${ts(asOf)}`))))
      .groupBy(clients.segment),
    // A caller that shows the capacity report too (the console's portfolio) passes the one it read at the same instant.
    known && known.asOf === asOf ? known : capacityReport(db, asOf, policy),
  ]);
  const atRisk = await atRiskKpis(db, asOf, windows.lookbackFrom, p);

  const bySegment = (rows: { segment: string; n: number }[]) => new Map(rows.map((r) => [r.segment, Number(r.n)]));
  const den = bySegment(sponsorDen);
  const num = bySegment(sponsorNum);
  const sponsorSeenBySegment = Object.fromEntries(
    SEGMENTS.map((s) => [s, figure(num.get(s) ?? 0, den.get(s) ?? 0, s === 'A' || s === 'B' ? k.sponsorHeartbeatAbPct : k.sponsorHeartbeatCdPct)]),
  ) as PortfolioRadar['sponsorSeenBySegment'];

  const c = p.capacity;
  const loadByRole: RoleLoadFigure[] = capacity.roles.map((r) => {
    const exact = r.next30.availableHours > 0 ? (r.next30.hours / r.next30.availableHours) * 100 : null;
    return { role: r.role, people: r.people, ...r.next30, overAutoBookCap: exact !== null && exact > c.autoBookCapPct, overRebalance: exact !== null && exact > c.rebalanceAbovePct };
  });

  return {
    asOf, lookbackDays, policyVersion: policy.version, windows,
    pastDue: {
      total: pastDueTotal?.n ?? 0,
      items: pastDueRows.map((r) => ({
        meetingId: r.meetingId, clientId: r.clientId, clientName: r.clientName, kind: r.kind, startsAt: r.startsAt, state: r.state as PastDueMeeting['state'],
        owner: { personId: r.personId, name: r.personName, role: r.role }, nextDate: nextDates.get(r.clientId) ?? null,
      })),
    },
    coverageNext30Days: figure(coverage.filter((r) => !r.unbooked).length, coverage.length, k.coverageNext30DaysPct),
    recapWithin48h: figure(recap[0]?.numerator ?? 0, recap[0]?.denominator ?? 0, k.recapOnTimePct),
    firstActionWithin72h: figure(firstAction[0]?.numerator ?? 0, firstAction[0]?.denominator ?? 0, k.firstActionOnTimePct),
    meetingsWithDecision: figure(decision[0]?.numerator ?? 0, decision[0]?.denominator ?? 0, k.meetingsWithDecisionPct),
    sponsorSeenBySegment,
    loadByRole,
    capacityGap: {
      requiredHours: gapFigures.requiredHours, availableHours: gapFigures.availableHours, gapHours: gapFigures.gapHours, utilisationPct: gapFigures.utilisationPct, gap: gapFigures.gap,
      alert: gapAlert && gapAlert.state !== 'done' && gapAlert.state !== 'cancelled' ? { ctaId: gapAlert.id, state: gapAlert.state } : null,
    },
    atRisk,
  };
}

const share = (numerator: number, denominator: number): Share => ({ value: pct1(numerator, denominator), numerator, denominator });

/** R-103 from the risks table (the At Risk processes' read model) and the risk CTAs. */
async function atRiskKpis(db: Pick<Db, 'select'>, asOf: string, from: string, p: Policy): Promise<AtRiskKpis> {
  const k = p.kpis.atRisk;
  const [open, recent, closed, riskCtas] = await Promise.all([
    db.select().from(risks).where(eq(risks.status, 'open')),
    db.select().from(risks).where(and(gte(risks.openedAt, from), lte(risks.openedAt, asOf))),
    db.select({ openedAt: risks.openedAt, closedAt: risks.closedAt }).from(risks).where(and(eq(risks.status, 'closed'), gte(risks.closedAt, from), lte(risks.closedAt, asOf))),
    db.select({ firstActionAt: ctas.firstActionAt, firstActionDueAt: ctas.firstActionDueAt, state: ctas.state }).from(ctas)
      .where(and(eq(ctas.process, 'risk'), gte(ctas.createdAt, from), lte(ctas.createdAt, asOf), or(lte(ctas.firstActionDueAt, asOf), isNotNull(ctas.firstActionAt)))),
  ]);
  const t = Date.parse(asOf);
  const before = (a: string | null, b: string | null) => a !== null && b !== null && Date.parse(a) <= Date.parse(b);
  const past = (due: string | null, done: string | null) => due !== null && done === null && Date.parse(due) < t;
  const bySeverity = { High: 0, Medium: 0, Low: 0 };
  const byBucket = { Service: 0, Delivery: 0, Strategic: 0, Financial: 0 };
  for (const r of open) {
    bySeverity[r.severity as keyof typeof bySeverity] += 1;
    byBucket[r.bucket as keyof typeof byBucket] += 1;
  }
  const highDue = recent.filter((r) => r.severity === 'High' && (r.acknowledgedAt !== null || (r.ackDueAt !== null && Date.parse(r.ackDueAt) <= t)));
  const planDue = recent.filter((r) => r.savePlanAt !== null || (r.savePlanDueAt !== null && Date.parse(r.savePlanDueAt) <= t));
  const withActions = [...new Map([...recent, ...open].map((r) => [r.id, r])).values()];
  const days = closed.map((r) => (Date.parse(r.closedAt!) - Date.parse(r.openedAt)) / DAY_MS).sort((a, b) => a - b);
  const mid = Math.floor(days.length / 2);
  const repeats = recent.filter((r) => r.repeatOf !== null).length;
  return {
    open: { total: open.length, bySeverity, byBucket, overdue: open.filter((r) => past(r.ackDueAt, r.acknowledgedAt) || past(r.savePlanDueAt, r.savePlanAt) || past(r.reengageDueAt, r.reengageHeldAt)).length },
    acknowledgedInTimeHigh: { ...share(highDue.filter((r) => before(r.acknowledgedAt, r.ackDueAt)).length, highDue.length), targetBusinessHours: k.ackHighBusinessHours },
    savePlanInTime: { ...share(planDue.filter((r) => before(r.savePlanAt, r.savePlanDueAt)).length, planDue.length), targetBusinessDays: k.planBusinessDays },
    firstActionInTime: share(riskCtas.filter((c) => before(c.firstActionAt, c.firstActionDueAt)).length, riskCtas.filter((c) => c.state !== 'cancelled' || c.firstActionAt !== null).length),
    actionsOnTime: figure(withActions.reduce((a, r) => a + r.actionsOnTime, 0), withActions.reduce((a, r) => a + r.actionsDone, 0), k.actionsOnTimePct),
    resolvedInTime: { ...share(days.filter((d) => d <= k.resolutionDays).length, days.length), targetDays: k.resolutionDays, medianDays: days.length ? Math.round((days.length % 2 ? days[mid]! : (days[mid - 1]! + days[mid]!) / 2) * 10) / 10 : null },
    repeatRisk: { ...figure(repeats, recent.length, k.repeatRiskMaxPct), meets: recent.length ? repeats * 100 < k.repeatRiskMaxPct * recent.length : null },
  };
}
