/**
 * A rehearsal's per-client report, taken one client at a time so a portfolio's report never has to sit
 * in memory whole (issue 19): a `summary` of counts (always), and in `full` detail the client's ledger
 * timeline and final process states as well.
 */
import { and, asc, count, eq, ne, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import type { LedgerEvent } from '../db/ledger.js';
import { clients, ctas, events, initiatives, meetings, proposals, risks } from '../db/schema.js';
import type { CadenceQueryResult, HealthQueryResult, OnboardingQueryResult, PlanningLoopQueryResult, RiskQueryResult } from '../workflows/contracts.js';

export type ReportDetail = 'full' | 'summary';

/** Each client's final process states and CTAs (full detail). */
export interface ClientState {
  ref: string;
  onboarding: OnboardingQueryResult | null;
  onboardingHistoryEvents: number | null;
  /** The cadence's status and the events in its current run's history (earlier runs continued as new). */
  cadence: CadenceQueryResult | null;
  cadenceHistoryEvents: number | null;
  /** Every run of the cadence, oldest first (it continues as new each simulated year): when it started and its history length. */
  cadenceRuns: { startedAt: string; events: number }[];
  ctas: (typeof ctas.$inferSelect)[];
  meetings: (typeof meetings.$inferSelect)[];
  /** The planning loop (issue 11): its initiatives and proposals as stored, the loop's status and each planning workflow's history length. */
  initiatives: (typeof initiatives.$inferSelect)[];
  proposals: (typeof proposals.$inferSelect)[];
  planning: PlanningLoopQueryResult | null;
  planningHistoryEvents: Record<string, number>;
  /** The health process's status and its history length (null when it never started). */
  health: HealthQueryResult | null;
  healthHistoryEvents: number | null;
  /** Every risk of the client (oldest first) with its process's status and history length. */
  risks: { row: typeof risks.$inferSelect; status: RiskQueryResult | null; historyEvents: number | null }[];
}

/** Counts that say what happened to a client, whatever the detail. */
export interface ClientSummary {
  ref: string;
  segment: string | null;
  touchTier: string | null;
  events: number;
  lastEventAt: string | null;
  eventsByType: Record<string, number>;
  /** Meetings on the calendar by kind, and by state (scheduled, held, missed, cancelled, …). */
  meetings: { total: number; strategic: number; byKind: Record<string, number>; byState: Record<string, number> };
  ctas: { total: number; open: number; byKind: Record<string, number>; byEscalation: Record<string, number> };
  cadence: { phase: string; bookedThrough: string | null; consecutiveMisses: number | null } | null;
  onboarding: { phase: string } | null;
}

export interface ClientReport {
  clientId: string;
  summary: ClientSummary;
  /** Full detail only. */
  timeline?: LedgerEvent[];
  state?: ClientState;
}

export interface PortfolioTotals {
  clients: number;
  events: number;
  meetings: number;
  meetingsByKind: Record<string, number>;
  ctas: number;
  openCtas: number;
  /** `cta.escalated` events. */
  escalations: number;
  /** `deadline.missed` and `meeting.missed` events. */
  misses: number;
}

export async function clientSummary(db: Database['db'], clientId: string, ref: string, cadence: CadenceQueryResult | null, onboarding: OnboardingQueryResult | null): Promise<ClientSummary> {
  const [row] = await db.select({ segment: clients.segment, touchTier: clients.touchTier }).from(clients).where(eq(clients.id, clientId));
  const byType = await db.select({ type: events.type, n: count(), last: sql<string | null>`max(${events.occurredAt})` }).from(events).where(eq(events.clientId, clientId)).groupBy(events.type).orderBy(asc(events.type));
  const meetingRows = await db.select({ kind: meetings.kind, state: meetings.state, strategic: meetings.strategic, n: count() }).from(meetings).where(eq(meetings.clientId, clientId)).groupBy(meetings.kind, meetings.state, meetings.strategic);
  const ctaRows = await db.select({ kind: ctas.kind, state: ctas.state, escalation: ctas.escalationLevel, n: count() }).from(ctas).where(eq(ctas.clientId, clientId)).groupBy(ctas.kind, ctas.state, ctas.escalationLevel);
  const add = (m: Record<string, number>, k: string, n: number) => void (m[k] = (m[k] ?? 0) + n);
  const s: ClientSummary = {
    ref, segment: row?.segment ?? null, touchTier: row?.touchTier ?? null,
    events: 0, lastEventAt: null, eventsByType: {},
    meetings: { total: 0, strategic: 0, byKind: {}, byState: {} },
    ctas: { total: 0, open: 0, byKind: {}, byEscalation: {} },
    cadence: cadence && 'bookedThrough' in cadence ? { phase: cadence.phase, bookedThrough: cadence.bookedThrough, consecutiveMisses: cadence.consecutiveMisses } : cadence ? { phase: cadence.phase, bookedThrough: null, consecutiveMisses: null } : null,
    onboarding: onboarding ? { phase: onboarding.phase } : null,
  };
  for (const r of byType) {
    s.events += r.n;
    s.eventsByType[r.type] = r.n;
    const last = r.last ? new Date(r.last).toISOString() : null;
    if (last && (!s.lastEventAt || last > s.lastEventAt)) s.lastEventAt = last;
  }
  for (const r of meetingRows) {
    s.meetings.total += r.n;
    if (r.strategic) s.meetings.strategic += r.n;
    add(s.meetings.byKind, r.kind, r.n);
    add(s.meetings.byState, r.state, r.n);
  }
  for (const r of ctaRows) {
    s.ctas.total += r.n;
    if (r.state !== 'done' && r.state !== 'cancelled') s.ctas.open += r.n;
    add(s.ctas.byKind, r.kind, r.n);
    add(s.ctas.byEscalation, r.escalation, r.n);
  }
  return s;
}

export function emptyTotals(): PortfolioTotals {
  return { clients: 0, events: 0, meetings: 0, meetingsByKind: {}, ctas: 0, openCtas: 0, escalations: 0, misses: 0 };
}

export function addToTotals(t: PortfolioTotals, s: ClientSummary): void {
  t.clients += 1;
  t.events += s.events;
  t.meetings += s.meetings.total;
  for (const [k, n] of Object.entries(s.meetings.byKind)) t.meetingsByKind[k] = (t.meetingsByKind[k] ?? 0) + n;
  t.ctas += s.ctas.total;
  t.openCtas += s.ctas.open;
  t.escalations += s.eventsByType['cta.escalated'] ?? 0;
  t.misses += (s.eventsByType['deadline.missed'] ?? 0) + (s.eventsByType['meeting.missed'] ?? 0);
}

/** Open CTAs (each has an SLA clock workflow `cta/<id>`) for the stall report; portfolio CTAs have no client. */
export async function openCtaIds(db: Database['db']): Promise<{ id: string; clientId: string | null }[]> {
  return db.select({ id: ctas.id, clientId: ctas.clientId }).from(ctas).where(and(ne(ctas.state, 'done'), ne(ctas.state, 'cancelled')));
}
