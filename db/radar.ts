/**
 * The portfolio Cadence Radar (DOMAIN.md §2.6 ): past-due strategic meetings with
 * owner and next date, the cadence KPIs against their policy targets (`kpis.cadence.*`), and the
 * 30-day load by role. Computed from the meetings, ctas and clients tables, cadence process only
 * (`process = 'cadence'`); instants are compared in UTC, windows are closed at both ends.
 */
import { and, asc, count, eq, gte, inArray, isNotNull, isNull, lt, lte, min, or, sql, countDistinct } from 'drizzle-orm';
import { pct1 } from '../domain/capacity.js';
import { SEGMENTS, type Policy } from '../domain/policy.js';
import { capacityReport, type SpanLoad } from './capacity.js';
import { capacityFigures, capacityGapAlert } from './portfolio.js';
import type { Db } from './client.js';
import { clients, ctas, meetings, people } from './schema.js';

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
}

export function figure(numerator: number, denominator: number, target: number): Figure {
  return { value: pct1(numerator, denominator), numerator, denominator, target, meets: denominator > 0 ? numerator * 100 >= target * denominator : null };
}

const ts = (iso: string) => sql`${iso}::timestamptz`;
/** When a held meeting happened: heldAt, else its scheduled end (a held row should carry heldAt). */
const heldInstant = sql`coalesce(${meetings.heldAt}, ${meetings.endsAt})`;

export async function portfolioRadar(
  db: Pick<Db, 'select'>,
  now: Date | string,
  policy: { version: number; document: Policy },
  { lookbackDays = 30 }: { lookbackDays?: number } = {},
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

  // past due = a strategic meeting not marked held within the grace of its end (§2.5), still owed (not superseded by a rebook/reset).
  const pastDueWhere = and(cadenceStrategic, inArray(meetings.state, ['scheduled', 'missed']), isNull(meetings.supersededBy), lt(meetings.endsAt, windows.pastDueEndedBefore));
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
    // clients with any cadence meeting, by segment …
    db.select({ segment: clients.segment, n: countDistinct(clients.id) }).from(clients)
      .innerJoin(meetings, and(eq(meetings.clientId, clients.id), eq(meetings.process, CADENCE)))
      .groupBy(clients.segment),
    // … and those whose executive sponsor attended a held cadence meeting in the heartbeat window.
    db.select({ segment: clients.segment, n: countDistinct(clients.id) }).from(clients)
      .innerJoin(meetings, and(eq(meetings.clientId, clients.id), eq(meetings.process, CADENCE)))
      .where(and(eq(meetings.state, 'held'), eq(meetings.sponsorPresent, true), sql`${heldInstant} between ${ts(windows.sponsorFrom)} and ${ts(asOf)}`))
      .groupBy(clients.segment),
    capacityReport(db, asOf, policy),
  ]);

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
  };
}
