/**
 * The governance routines' data side (R-125): each session's agenda assembled from the data, the
 * session row and its ledger event, and the CTAs a session opens or closes — R-60 Corrective Plays
 * with their credit gates, R-37 rebalance and month-spread proposals — all in one transaction keyed
 * by the session id, so a retried convene changes nothing twice.
 *
 * Health colours (the heatmap's, the R-32 Red-months credit gate, R-8 placement evidence) come
 * from issue 12's health process through `healthSeam`; until it exists the agenda says so.
 */
import { and, asc, desc, eq, gte, inArray, isNull, like, lt, lte, notInArray, or, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { localDateOf, makeCalendar } from '../domain/business-time.js';
import {
  governanceGate, nextSession, quarterWindow, ROUTINE_SPECS, SIX_TRIGGERS, triggerCoverage, type CellMonth, type Routine, type SessionSlot,
} from '../domain/governance.js';
import type { GovernanceSession } from '../domain/governance-process.js';
import { evaluate, periodAt, previousPeriod, type Observation, type Period } from '../domain/kpi.js';
import type { Policy } from '../domain/policy.js';
import { SEGMENT_KEYS } from '../domain/portfolio.js';
import type { Db } from './client.js';
import { openCreditGates } from './credit-gates.js';
import { completeCta, ctaIdFor, openCta, type CtaRow } from './ctas.js';
import { KPI_FAMILIES, kpiReport, observeFamily, windowOf } from './kpis/index.js';
import { governanceFamily } from './kpis/governance.js';
import { clientDirectory } from './kpis/registry.js';
import { appendEvent } from './ledger.js';
import { activePolicy } from './policies.js';
import { capacityFigures, capacityGapAlert, rebalanceProposals, segmentMonthSpread } from './portfolio.js';
import { portfolioRadar } from './radar.js';
import { clients, creditGates, ctas, defenseLoopIntakes, events, governanceSessions, meetings, people, roleAssignments } from './schema.js';

export type GovernanceSessionRow = typeof governanceSessions.$inferSelect;

/** Longest list an agenda section stores (the section's `total` says how many there were). */
export const AGENDA_LIST_MAX = 200;
const PORTFOLIO = 'governance';
const DAY_MS = 86_400_000;
const ts = (iso: string) => sql`${iso}::timestamptz`;
const list = <T>(items: T[]) => ({ total: items.length, items: items.slice(0, AGENDA_LIST_MAX) });

/**
 * Issue 12 seam: health colours per client (the Monthly Segment Review heatmap, the R-32 credit
 * gate on two Red months of Engagement/CX/Alignment, R-8 placement evidence). The health process
 * replaces `healthSeam.colours`; until then it answers null and the agenda says the colours are
 * not available.
 */
export interface HealthColours { composite: 'Green' | 'Yellow' | 'Red' | null; cx?: string | null; engagement?: string | null; alignment?: string | null; consecutiveRedMonths?: Record<string, number> }
export const healthSeam: { colours(db: Db, clientIds: string[], month: string): Promise<Map<string, HealthColours> | null> } = {
  async colours() {
    return null;
  },
};

// ---------------------------------------------------------------------------------------------
// Writes the session and what it opens

interface CtaOp { open?: Parameters<typeof openCta>[1]; complete?: { ctaId: string; note: string } }
interface GateOp { kind: 'gate' | 'release'; gateId: string; personId: string | null; segment: string | null; months?: string[]; greenMonth?: string; reason: Record<string, unknown>; cta?: Parameters<typeof openCta>[1] }

export interface Convened { session: GovernanceSession; ctasOpened: string[]; existed: boolean }

/** The slot a due session really has under the policy now (R-125: the times are policy; a change applies at once). */
export function resolveDueSlot(routine: Routine, planned: SessionSlot, at: string, policy: Policy): { convene?: SessionSlot; next?: SessionSlot } {
  const current = nextSession(routine, new Date(Date.parse(planned.scheduledFor) - 1).toISOString(), policy);
  if (!current) return {};
  // The planned period still meets later under the new times: wait for it.
  if (current.period === planned.period && Date.parse(current.scheduledFor) > Date.parse(at)) return { next: current };
  return { convene: current.period === planned.period ? current : planned };
}

export async function conveneSession(db: Db, input: { routine: Routine; planned: SessionSlot; at: string; workflowId: string; heartbeat?: () => void }): Promise<{ convened?: Convened; next?: SessionSlot; firstActionHours: number; ctaClocks: string[] }> {
  const { document: policy, version } = await activePolicy(db);
  const due = resolveDueSlot(input.routine, input.planned, input.at, policy);
  const firstActionHours = policy.meeting.firstActionHours;
  if (!due.convene) return { next: due.next, firstActionHours, ctaClocks: [] };
  const slot = due.convene;
  const heldBy = new Date(Date.parse(slot.endsAt) + policy.governance.heldGraceHours * 3_600_000).toISOString();
  const session: GovernanceSession = { sessionId: slot.sessionId, period: slot.period, scheduledFor: slot.scheduledFor, endsAt: slot.endsAt, heldBy, status: 'convened' };
  const next = nextSession(input.routine, slot.scheduledFor, policy);
  const [existing] = await db.select().from(governanceSessions).where(eq(governanceSessions.id, slot.sessionId));
  if (existing) {
    return { convened: { session: { ...session, status: existing.state as GovernanceSession['status'], heldBy: existing.heldBy }, ctasOpened: [], existed: true }, next, firstActionHours, ctaClocks: [] };
  }
  const built = await assembleAgenda(db, input.routine, slot, input.at, policy, input.heartbeat);
  const opened: CtaRow[] = [];
  await db.transaction(async (t) => {
    const tx = t as unknown as Db;
    const inserted = await tx.insert(governanceSessions).values({
      id: slot.sessionId, routine: input.routine, period: slot.period, scheduledFor: slot.scheduledFor, endsAt: slot.endsAt, heldBy, state: 'convened',
      agenda: built.agenda, policyVersion: version, workflowId: input.workflowId, createdAt: input.at, updatedAt: input.at,
    }).onConflictDoNothing().returning({ id: governanceSessions.id });
    if (!inserted.length) return;
    for (const op of built.ctas) {
      if (op.open) {
        const before = await tx.select({ id: ctas.id }).from(ctas).where(eq(ctas.id, ctaIdFor(op.open.key)));
        const row = await openCta(tx, op.open);
        if (!before.length) opened.push(row);
      }
      if (op.complete) await completeCta(tx, op.complete.ctaId, op.complete.note, { actor: { kind: 'system' }, at: input.at }, `${PORTFOLIO}/${slot.sessionId}/complete/${op.complete.ctaId}`);
    }
    for (const g of built.gates) {
      if (g.kind === 'gate') {
        const cta = await openCta(tx, g.cta!);
        opened.push(cta);
        await tx.insert(creditGates).values({ id: g.gateId, ruleId: 'R-60', personId: g.personId, segment: g.segment, openedAt: input.at, reason: g.reason, ctaId: cta.id }).onConflictDoNothing();
        await appendEvent(tx, { id: `${PORTFOLIO}/credit-gate/${g.gateId}/gated`, occurredAt: input.at, clientId: null, process: PORTFOLIO, workflowId: input.workflowId, type: 'credit.gated', ruleId: 'R-60', actor: { kind: 'system' }, why: g.reason, data: { gateId: g.gateId, ruleId: 'R-60', personId: g.personId, segment: g.segment as 'A' | null, months: g.months!, ctaId: cta.id } });
      } else {
        await tx.update(creditGates).set({ closedAt: input.at, releaseReason: g.reason }).where(and(eq(creditGates.id, g.gateId), isNull(creditGates.closedAt)));
        await appendEvent(tx, { id: `${PORTFOLIO}/credit-gate/${g.gateId}/released`, occurredAt: input.at, clientId: null, process: PORTFOLIO, workflowId: input.workflowId, type: 'credit.gate_released', ruleId: 'R-60', actor: { kind: 'system' }, why: g.reason, data: { gateId: g.gateId, ruleId: 'R-60', personId: g.personId, segment: g.segment as 'A' | null, greenMonth: g.greenMonth! } });
      }
    }
    await appendEvent(tx, {
      id: `${PORTFOLIO}/${slot.sessionId}/convened`, occurredAt: input.at, clientId: null, process: PORTFOLIO, workflowId: input.workflowId, type: 'governance.session_convened', ruleId: 'R-125', actor: { kind: 'system' },
      why: { ...slot.why, policyVersion: version }, data: { sessionId: slot.sessionId, routine: input.routine, period: slot.period, scheduledFor: slot.scheduledFor, heldBy, items: built.items, ctasOpened: opened.map((c) => c.id) },
    });
  });
  return { convened: { session, ctasOpened: opened.map((c) => c.id), existed: false }, next, firstActionHours, ctaClocks: opened.map((c) => c.id) };
}

/** A session's outcome (held or missed), written with the kernel's batch (effect `governanceSessionUpdate`). */
export async function updateGovernanceSession(tx: Pick<Db, 'update'>, sessionId: string, changes: { state: 'held' | 'missed'; heldAt?: string; attendees?: { personId: string; name: string }[]; notes?: string; late?: boolean }, at: string) {
  await tx.update(governanceSessions).set({
    state: changes.state, ...(changes.heldAt ? { heldAt: changes.heldAt } : {}), ...(changes.attendees ? { attendees: changes.attendees } : {}),
    ...(changes.notes !== undefined ? { notes: changes.notes } : {}), ...(changes.late !== undefined ? { late: changes.late } : {}), updatedAt: at,
  }).where(eq(governanceSessions.id, sessionId));
}

export async function getSession(db: Pick<Db, 'select'>, id: string): Promise<GovernanceSessionRow | undefined> {
  return (await db.select().from(governanceSessions).where(eq(governanceSessions.id, id)))[0];
}

export async function listSessions(db: Pick<Db, 'select'>, f: { routine?: string[]; state?: string[]; after?: string; limit: number }) {
  const where = [];
  if (f.routine?.length) where.push(inArray(governanceSessions.routine, f.routine));
  if (f.state?.length) where.push(inArray(governanceSessions.state, f.state));
  if (f.after) {
    const [cursor] = await db.select({ scheduledFor: governanceSessions.scheduledFor }).from(governanceSessions).where(eq(governanceSessions.id, f.after));
    if (cursor) where.push(or(lt(governanceSessions.scheduledFor, cursor.scheduledFor), and(eq(governanceSessions.scheduledFor, cursor.scheduledFor), lt(governanceSessions.id, f.after)))!);
  }
  const rows = await db.select().from(governanceSessions).where(where.length ? and(...where) : undefined)
    .orderBy(desc(governanceSessions.scheduledFor), desc(governanceSessions.id)).limit(f.limit + 1);
  return { items: rows.slice(0, f.limit), next: rows.length > f.limit ? rows[f.limit - 1]!.id : undefined };
}

// ---------------------------------------------------------------------------------------------
// Agendas

interface Built { agenda: Record<string, unknown>; items: Record<string, number>; ctas: CtaOp[]; gates: GateOp[] }

export async function assembleAgenda(db: Db, routine: Routine, slot: SessionSlot, at: string, policy: Policy, heartbeat: () => void = () => {}): Promise<Built> {
  const spec = ROUTINE_SPECS[routine];
  const b: Built = { agenda: {}, items: {}, ctas: [], gates: [] };
  const sections: Record<string, unknown> = {};
  const add = (name: string, value: unknown, count: number) => {
    sections[name] = value;
    b.items[name] = count;
    heartbeat();
  };
  const ctx: AgendaContext = { db, policy, at, slot, add, b, heartbeat };
  if (routine === 'weeklyAmCsm') await weeklyAmCsm(ctx);
  else if (routine === 'weeklyCsOps') await weeklyCsOps(ctx);
  else if (routine === 'monthlySegmentReview') await monthlySegmentReview(ctx);
  else await quarterlyPortfolio(ctx);
  b.agenda = { routine, title: spec.title, ruleIds: spec.ruleIds, period: slot.period, scheduledFor: slot.scheduledFor, asOf: at, sections };
  return b;
}

interface AgendaContext {
  db: Db; policy: Policy; at: string; slot: SessionSlot;
  add(name: string, value: unknown, count: number): void;
  b: Built;
  heartbeat(): void;
}

async function names(db: Pick<Db, 'select'>, ids: (string | null)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((x): x is string => !!x))];
  if (!wanted.length) return new Map();
  return new Map((await db.select({ id: people.id, name: people.name }).from(people).where(inArray(people.id, wanted))).map((p) => [p.id, p.name]));
}

/** R-125 Weekly AM/CSM: the next 14 days of QBRs, asks and assets. */
async function weeklyAmCsm({ db, policy, at, add }: AgendaContext) {
  const until = new Date(Date.parse(at) + policy.governance.weeklyAmCsm.lookaheadDays * DAY_MS).toISOString();
  const qbrs = await db.select({
    meetingId: meetings.id, clientId: meetings.clientId, clientName: clients.name, kind: meetings.kind, startsAt: meetings.startsAt, mode: meetings.mode,
    ownerPersonId: meetings.accountablePersonId, ownerRole: meetings.accountableRole,
  }).from(meetings).innerJoin(clients, eq(clients.id, meetings.clientId))
    .where(and(eq(meetings.process, 'cadence'), eq(meetings.strategic, true), eq(meetings.state, 'scheduled'), gte(meetings.startsAt, at), lte(meetings.startsAt, until)))
    .orderBy(asc(meetings.startsAt), asc(meetings.id));
  const open = ['open', 'first_action', 'escalated'];
  const ctaCols = { ctaId: ctas.id, clientId: ctas.clientId, clientName: clients.name, kind: ctas.kind, title: ctas.title, dueAt: ctas.dueAt, state: ctas.state, ownerPersonId: ctas.ownerPersonId, meetingId: sql<string | null>`${ctas.data}->>'meetingId'` };
  const asks = await db.select(ctaCols).from(ctas).leftJoin(clients, eq(clients.id, ctas.clientId))
    .where(and(inArray(ctas.kind, ['decision', 'chase-approval', 'decision-call']), inArray(ctas.state, open), lte(ctas.dueAt, until)))
    .orderBy(asc(ctas.dueAt), asc(ctas.id));
  const assets = await db.select(ctaCols).from(ctas).leftJoin(clients, eq(clients.id, ctas.clientId))
    .where(and(or(inArray(ctas.kind, ['prep-pack', 'recap']), like(ctas.kind, 'deliverable-%')), inArray(ctas.state, open), lte(ctas.dueAt, until)))
    .orderBy(asc(ctas.dueAt), asc(ctas.id));
  const prep = new Map(assets.filter((a) => a.kind === 'prep-pack' && a.meetingId).map((a) => [a.meetingId!, a.state]));
  const who = await names(db, [...qbrs, ...asks, ...assets].map((x) => x.ownerPersonId));
  const named = <T extends { ownerPersonId: string | null }>(x: T) => ({ ...x, ownerName: x.ownerPersonId ? who.get(x.ownerPersonId) ?? null : null });
  add('qbrs', { window: { from: at, to: until }, ...list(qbrs.map((q) => ({ ...named(q), prepPack: prep.get(q.meetingId) ?? 'done or not due' }))) }, qbrs.length);
  add('asks', { rule: 'open decisions, approval chases and decision calls due in the window or overdue (R-27, R-30)', ...list(asks.map(named)) }, asks.length);
  add('assets', { rule: 'prep packs, recaps and non-meeting deliverables due in the window or overdue (R-24, R-29, §2.2)', ...list(assets.map(named)) }, assets.length);
}

/** R-125 Weekly CS Ops + R-38 Cadence Radar + R-23 trigger audit/queue + R-37 rebalance and spread. */
async function weeklyCsOps({ db, policy, at, slot, add, b }: AgendaContext) {
  const radar = await portfolioRadar(db, at, { version: 0, document: policy });
  add('radar', { rule: 'R-38: top past-due strategic meetings with owner and next date; 30-day load by role', pastDue: radar.pastDue, loadByRole: radar.loadByRole }, radar.pastDue.items.length);

  const g = policy.governance;
  const weekAgo = new Date(Date.parse(at) - 7 * DAY_MS).toISOString();
  const noisySince = new Date(Date.parse(at) - g.noisyTriggerWindowDays * DAY_MS).toISOString();
  const fired = await db.select({ trigger: sql<string>`${events.data}->>'trigger'`, n: sql<number>`count(*)::int` }).from(events)
    .where(and(eq(events.type, 'trigger.fired'), gte(events.occurredAt, weekAgo), lte(events.occurredAt, at))).groupBy(sql`${events.data}->>'trigger'`);
  const noisy = await db.select({ clientId: events.clientId, trigger: sql<string>`${events.data}->>'trigger'`, n: sql<number>`count(*)::int` }).from(events)
    .where(and(eq(events.type, 'trigger.fired'), gte(events.occurredAt, noisySince), lte(events.occurredAt, at)))
    .groupBy(events.clientId, sql`${events.data}->>'trigger'`).having(sql`count(*) >= ${g.noisyTriggerFires}`);
  add('triggerAudit', { rule: 'R-38: fires this week by trigger; noisy triggers to prune', firedLast7Days: Object.fromEntries(fired.map((f) => [f.trigger, f.n])), noisy: list(noisy) }, noisy.length);

  const coverage = await triggerCoverageOf(db);
  const queued = coverage.filter((c) => c.queued.length);
  add('triggerQueue', { rule: 'R-23: clients whose six triggers are not all automated are worked here by hand, same 72h first action', automatedClients: coverage.length - queued.length, clients: coverage.length, ...list(queued) }, queued.length);

  const unowned = await db.select({ ctaId: ctas.id, clientId: ctas.clientId, title: ctas.title }).from(ctas).where(and(isNull(ctas.ownerPersonId), inArray(ctas.state, ['open', 'first_action', 'escalated']))).orderBy(asc(ctas.id));
  const ownerRoles = new Map(SEGMENT_KEYS.map((s) => [s, policy.raci[s].cadenceOwner]));
  const noOwner = (await db.select({ clientId: clients.id, name: clients.name, segment: clients.segment, assigned: sql<string[]>`coalesce(array_agg(${roleAssignments.role}) filter (where ${roleAssignments.role} is not null), '{}')` })
    .from(clients).leftJoin(roleAssignments, eq(roleAssignments.clientId, clients.id)).groupBy(clients.id).orderBy(asc(clients.id)))
    .filter((c) => !c.assigned.includes(ownerRoles.get(c.segment as 'A')!)).map((c) => ({ clientId: c.clientId, name: c.name, segment: c.segment, missingRole: ownerRoles.get(c.segment as 'A') }));
  const unbooked = await db.select({ meetingId: meetings.id, clientId: meetings.clientId, kind: meetings.kind, startsAt: meetings.startsAt }).from(meetings)
    .where(and(eq(meetings.state, 'unbooked'), isNull(meetings.supersededBy), gte(meetings.startsAt, at), lte(meetings.startsAt, new Date(Date.parse(at) + 30 * DAY_MS).toISOString())))
    .orderBy(asc(meetings.startsAt), asc(meetings.id));
  add('dataFixes', { unownedCtas: list(unowned), clientsWithoutCadenceOwner: list(noOwner), unbookedNext30Days: list(unbooked) }, unowned.length + noOwner.length + unbooked.length);
  add('healthDeltas', { available: false, note: 'Health deltas come from the health process (issue 12): healthSeam in db/governance.ts.' }, 0);

  // R-37: next week over the rebalance line → a CTA to that person proposing which B/C meetings to move.
  const proposals = await rebalanceProposals(db, policy, at);
  const dueAtWeekStart = (week: string) => DateTime.fromISO(week, { zone: policy.capacity.weekTimeZone }).toUTC().toISO()!;
  for (const p of proposals) {
    b.ctas.push({
      open: {
        key: `portfolio/rebalance/${p.personId}/${p.week}`, clientId: null, ownerPersonId: p.personId, process: 'portfolio', kind: 'rebalance', ruleId: 'R-37', ownerRole: 'CS Lead',
        title: `Rebalance ${p.week}: load ${p.loadPct} % over ${policy.capacity.rebalanceAbovePct} %; move ${p.moves.length} B/C meeting(s)`,
        dueAt: dueAtWeekStart(p.week), firstActionHours: policy.meeting.firstActionHours, openedAt: at, actor: { kind: 'system' },
        why: { rule: 'R-37: next week > rebalanceAbovePct → move B/C meetings', loadPct: p.loadPct, target: policy.capacity.loadTargetPct, policyKeys: ['capacity.rebalanceAbovePct', 'capacity.loadTargetPct', 'governance.rebalanceSegments'] },
        data: { proposal: p, how: 'move each meeting with POST /v1/clients/{clientId}/cadence/meetings/{meetingId}/rescheduled (agreed more than 7 days ahead: a re-plan, A-29)' },
      },
    });
  }
  // R-37 month rule, this quarter and the next: one CTA per segment and quarter over the line; closed once spread.
  const spread = await segmentMonthSpread(db, policy, at);
  const openSpread = await db.select({ id: ctas.id, data: ctas.data }).from(ctas).where(and(isNull(ctas.clientId), eq(ctas.kind, 'month-spread'), inArray(ctas.state, ['open', 'first_action', 'escalated'])));
  const nextWeekly = nextSession('weeklyCsOps', slot.scheduledFor, policy);
  for (const q of spread) {
    const key = `portfolio/month-spread/${q.segment}/${q.quarter}`;
    if (q.over) {
      b.ctas.push({
        open: {
          key, clientId: null, process: 'portfolio', kind: 'month-spread', ruleId: 'R-37', ownerRole: policy.governance.monthSpreadOwner,
          title: `Spread ${q.segment} meetings of ${q.quarter}: a month holds more than ${policy.capacity.monthSpreadMaxPct} %; move ${q.moves.length}`,
          dueAt: nextWeekly?.scheduledFor ?? new Date(Date.parse(at) + 7 * DAY_MS).toISOString(), firstActionHours: policy.meeting.firstActionHours, openedAt: at, actor: { kind: 'system' },
          why: { rule: 'R-37: no month holds more than monthSpreadMaxPct of a segment\'s quarterly meetings', months: q.months, allowedPerMonth: q.allowedPerMonth, policyKeys: ['capacity.monthSpreadMaxPct'] },
          data: { spread: q },
        },
      });
    } else {
      const stale = openSpread.find((c) => c.id === ctaIdFor(key));
      if (stale) b.ctas.push({ complete: { ctaId: stale.id, note: `spread: no month holds more than ${q.allowedPerMonth} of ${q.meetings}` } });
    }
  }
  add('capacity', { rule: 'R-37: next-week rebalance and month spread', rebalance: list(proposals), monthSpread: list(spread) }, proposals.length + spread.filter((q) => q.over).length);
}

/** R-23: each client's six triggers, automated or queued. */
export async function triggerCoverageOf(db: Pick<Db, 'select' | 'selectDistinct'>) {
  const [rows, running] = await Promise.all([
    db.select({ clientId: clients.id, name: clients.name, segment: clients.segment, renewalDate: clients.renewalDate }).from(clients).orderBy(asc(clients.id)),
    db.selectDistinct({ clientId: events.clientId }).from(events).where(and(eq(events.type, 'process.started'), eq(events.process, 'cadence'))),
  ]);
  const withCadence = new Set(running.map((r) => r.clientId));
  return rows.map((r) => ({ clientId: r.clientId, name: r.name, segment: r.segment, ...triggerCoverage({ cadenceRunning: withCadence.has(r.clientId), renewalDate: r.renewalDate }) }));
}

/** R-23 monthly smoke test: each of the six triggers fired at least once in the month (pilot clients, or all). */
export async function smokeTest(db: Pick<Db, 'select'>, policy: Policy, month: Period) {
  const pilots = policy.governance.smokeTestClientIds;
  const rows = await db.select({ trigger: sql<string>`${events.data}->>'trigger'`, n: sql<number>`count(*)::int` }).from(events)
    .where(and(eq(events.type, 'trigger.fired'), gte(events.occurredAt, month.from), lt(events.occurredAt, month.to), ...(pilots.length ? [inArray(events.clientId, pilots)] : [])))
    .groupBy(sql`${events.data}->>'trigger'`);
  const fired = new Map(rows.map((r) => [r.trigger, r.n]));
  const triggers = SIX_TRIGGERS.map((t) => ({ trigger: t, fired: fired.get(t) ?? 0, passed: (fired.get(t) ?? 0) > 0 }));
  return { rule: 'R-23: each of the six triggers fired at least once in the month', month: month.label, scope: pilots.length ? { pilotClients: [...pilots] } : 'portfolio', passed: triggers.every((t) => t.passed), triggers };
}

/** R-60: owner × segment cells of the governance KPIs for the months given (oldest first). */
export async function governanceCells(db: Db, policy: Policy, months: Period[], now: string) {
  const dir = clientDirectory(db);
  const cells = new Map<string, { personId: string | null; segment: string | null; months: (CellMonth & { figures: { id: string; numerator: number; denominator: number; value: number | null; target: number | null; meets: boolean | null }[] })[] }>();
  for (const [mi, month] of months.entries()) {
    const obs = await observeFamily(db, governanceFamily, windowOf(month, now), policy, dir);
    for (const f of governanceFamily.figures) {
      const byCell = new Map<string, Observation[]>();
      for (const o of obs.get(f.id)!) {
        const key = `${o.ownerPersonId ?? ''}|${o.segment ?? ''}`;
        byCell.set(key, [...(byCell.get(key) ?? []), o]);
      }
      for (const [key, cellObs] of byCell) {
        const [personId, segment] = key.split('|');
        const cell = cells.get(key) ?? { personId: personId || null, segment: segment || null, months: months.map((m) => ({ month: m.label, breached: null, figures: [] })) };
        const v = evaluate(f, cellObs, f.target(policy));
        cell.months[mi]!.figures.push({ id: f.id, numerator: v.numerator, denominator: v.denominator, value: v.value, target: v.target, meets: v.meets });
        cells.set(key, cell);
      }
    }
  }
  for (const c of cells.values()) {
    for (const m of c.months) m.breached = m.figures.some((f) => f.meets === false) ? true : m.figures.some((f) => f.meets === true) ? false : null;
  }
  return [...cells.values()].sort((a, b) => ((a.personId ?? '') + (a.segment ?? '') < (b.personId ?? '') + (b.segment ?? '') ? -1 : 1));
}

/** R-125 Monthly Segment Review, on the policy's first Tuesday, looking back at the month just ended. */
async function monthlySegmentReview({ db, policy, at, slot, add, b, heartbeat }: AgendaContext) {
  const zone = policy.governance.timeZone;
  const month = previousPeriod(periodAt(slot.scheduledFor, 'month', zone), zone);
  const now = at;

  // Heatmap: the cadence KPIs per segment for the month, plus health colours when issue 12 provides them.
  const cadence = await kpiReport(db, 'cadence', { period: month.label }, now, { version: 0, document: policy });
  heartbeat();
  const clientRows = await db.select({ id: clients.id, segment: clients.segment, touchTier: clients.touchTier }).from(clients);
  const colours = await healthSeam.colours(db, clientRows.map((c) => c.id), month.label);
  const heatmap = Object.fromEntries(SEGMENT_KEYS.map((s) => [s, {
    clients: clientRows.filter((c) => c.segment === s).length,
    touchTiers: Object.fromEntries(['VIP', 'High', 'Mid', 'Tech'].map((t) => [t, clientRows.filter((c) => c.segment === s && c.touchTier === t).length])),
    kpis: Object.fromEntries(cadence.figures.map((f) => [f.id, { value: f.bySegment[s]!.value, target: f.bySegment[s]!.target, meets: f.bySegment[s]!.meets }])),
    health: colours ? countColours([...colours.entries()].filter(([id]) => clientRows.find((c) => c.id === id)?.segment === s).map(([, c]) => c.composite)) : null,
  }]));
  add('heatmap', { month: month.label, healthAvailable: colours !== null, segments: heatmap }, SEGMENT_KEYS.length);

  // Owners: who holds what, open and overdue CTAs.
  const owners = await db.select({
    personId: people.id, name: people.name,
    clients: sql<number>`(select count(distinct ${roleAssignments.clientId})::int from ${roleAssignments} where ${roleAssignments.personId} = ${people.id})`,
    openCtas: sql<number>`(select count(*)::int from ${ctas} where ${ctas.ownerPersonId} = ${people.id} and ${ctas.state} in ('open','first_action','escalated'))`,
    overdueCtas: sql<number>`(select count(*)::int from ${ctas} where ${ctas.ownerPersonId} = ${people.id} and ${ctas.state} in ('open','first_action','escalated') and ${ctas.dueAt} < ${ts(at)})`,
  }).from(people).where(eq(people.active, true)).orderBy(asc(people.name), asc(people.id));
  add('owners', list(owners), owners.length);
  add('campaigns', { tracked: false, note: 'Campaigns (Pre-Flight → In-Flight → Close-Out, R-125) are not recorded in Baton yet.' }, 0);

  // R-35: cadence reviews due at this review (in the client's zone), or overdue.
  const reviewDate = slot.localDate;
  const reviews = await db.select({ ctaId: ctas.id, clientId: ctas.clientId, clientName: clients.name, timeZone: clients.timeZone, dueAt: ctas.dueAt, title: ctas.title, ownerPersonId: ctas.ownerPersonId, createdAt: ctas.createdAt })
    .from(ctas).innerJoin(clients, eq(clients.id, ctas.clientId))
    .where(and(eq(ctas.kind, 'cadence-review'), inArray(ctas.state, ['open', 'first_action', 'escalated']), lte(ctas.createdAt, at)))
    .orderBy(asc(ctas.dueAt), asc(ctas.id));
  const dueHere = reviews.filter((r) => localDateOf(r.dueAt, makeCalendar({ timeZone: r.timeZone })) <= reviewDate)
    .map(({ timeZone: _z, ...r }) => ({ ...r, decide: 'downgrade cadence or executive reset; record with POST /v1/clients/{clientId}/cadence/cadence-review (R-35)' }));
  add('cadenceReviews', { rule: 'R-35: segmentation & cadence review CTAs due at this review', reviewDate, ...list(dueHere) }, dueHere.length);

  // R-60: governance KPIs per owner × segment; two breached months → Corrective Play + credit gated, until green.
  const months: Period[] = [month];
  for (let i = 1; i < Math.max(1, policy.playsAndGates.governanceBreachMonths); i++) months.unshift(previousPeriod(months[0]!, zone));
  const cells = await governanceCells(db, policy, months, now);
  heartbeat();
  const open = await openCreditGates(db);
  const gatedBy = new Map(open.filter((g) => g.ruleId === 'R-60').map((g) => [`${g.personId ?? ''}|${g.segment ?? ''}`, g]));
  const who = await names(db, cells.map((c) => c.personId));
  for (const c of cells) {
    if (!c.personId) continue; // nobody to coach: shown, not gated
    const key = `${c.personId}|${c.segment ?? ''}`;
    const gate = gatedBy.get(key);
    const v = governanceGate(c.months, !!gate, policy.playsAndGates.governanceBreachMonths);
    const breachedFigures = c.months.map((m) => ({ month: m.month, figures: m.figures.filter((f) => f.meets === false).map((f) => f.id) }));
    if (v.kind === 'gate') {
      const gateId = ctaIdFor(`credit-gate/R-60/${c.personId}/${c.segment ?? ''}/${v.months.join(',')}`);
      b.gates.push({
        kind: 'gate', gateId, personId: c.personId, segment: c.segment, months: v.months, reason: { rule: 'R-60: breach two consecutive months', months: breachedFigures, policyKeys: ['playsAndGates.governanceBreachMonths', 'kpis.governance'] },
        cta: {
          key: `portfolio/corrective-play/${gateId}`, clientId: null, process: 'portfolio', kind: 'corrective-play', ruleId: 'R-60', ownerRole: policy.governance.correctivePlayOwner,
          title: `Corrective Play for ${who.get(c.personId) ?? c.personId} (segment ${c.segment ?? 'all'}): template refresh + coaching; credit gated until green`,
          dueAt: new Date(Date.parse(at) + policy.governance.correctivePlayDueDays * DAY_MS).toISOString(), firstActionHours: policy.meeting.firstActionHours, openedAt: at, actor: { kind: 'system' },
          why: { rule: 'R-60', months: breachedFigures }, data: { personId: c.personId, segment: c.segment, gateId, months: c.months, play: ['template refresh', 'coaching'] },
        },
      });
    } else if (v.kind === 'release') {
      b.gates.push({ kind: 'release', gateId: gate!.id, personId: c.personId, segment: c.segment, greenMonth: v.greenMonth, reason: { rule: 'R-60: green month', month: v.greenMonth, figures: c.months.at(-1)!.figures } });
    }
  }
  const cellsOut = cells.map((c) => ({ ...c, ownerName: c.personId ? who.get(c.personId) ?? null : null, gated: gatedBy.has(`${c.personId ?? ''}|${c.segment ?? ''}`) }));
  add('governanceKpis', { rule: 'R-60', months: months.map((m) => m.label), breachMonths: policy.playsAndGates.governanceBreachMonths, ...list(cellsOut), gating: b.gates.filter((g) => g.kind === 'gate').length, releasing: b.gates.filter((g) => g.kind === 'release').length }, cellsOut.length);

  // R-32 credit-gate check: open gates, decisions logged without credit, and the health gate when issue 12 has it.
  const uncredited = await db.select({ eventId: events.id, clientId: events.clientId, title: sql<string>`${events.data}->>'title'`, ownerRole: sql<string>`${events.data}->>'ownerRole'` }).from(events)
    .where(and(eq(events.type, 'decision.logged'), gte(events.occurredAt, month.from), lt(events.occurredAt, month.to), sql`(${events.data}->>'credited')::boolean = false`)).orderBy(asc(events.seq));
  add('creditGate', {
    rule: 'R-32: credit needs owner + date + budget; deferred while gated',
    openGates: list(open.map((g) => ({ gateId: g.id, ruleId: g.ruleId, personId: g.personId, segment: g.segment, openedAt: g.openedAt, ctaId: g.ctaId }))),
    uncreditedDecisions: list(uncredited),
    healthGate: colours === null ? { available: false, note: 'R-32 / R-120 Red-months gate comes from the health process (issue 12).' } : { available: true },
  }, open.length + uncredited.length);

  // R-32 A-gate: A quarters with exec attendance < 95 % (decision latency needs the decision requests, issue 11).
  const q = DateTime.fromISO(month.from, { setZone: false }).setZone(zone).startOf('quarter');
  const qFrom = q.toUTC().toISO()!;
  const aRows = await db.select({ clientId: meetings.clientId, name: clients.name, held: sql<number>`count(*)::int`, withSponsor: sql<number>`count(*) filter (where ${meetings.sponsorPresent})::int` })
    .from(meetings).innerJoin(clients, eq(clients.id, meetings.clientId))
    .where(and(eq(clients.segment, 'A'), eq(meetings.process, 'cadence'), eq(meetings.strategic, true), eq(meetings.state, 'held'), gte(meetings.heldAt, qFrom), lt(meetings.heldAt, month.to)))
    .groupBy(meetings.clientId, clients.name).orderBy(asc(meetings.clientId));
  const aGate = aRows.map((r) => {
    const attendance = evaluate({ kind: 'share', better: 'higher' }, Array.from({ length: r.held }, (_, i) => ({ id: String(i), clientId: r.clientId, segment: 'A', ownerPersonId: null, hit: i < r.withSponsor })), policy.playsAndGates.aGateAttendancePct);
    return { clientId: r.clientId, name: r.name, quarterFrom: qFrom, strategicHeld: r.held, execAttendancePct: attendance.value, creditDeferred: attendance.meets === false, decisionLatency: { available: false } };
  });
  add('aGate', { rule: `R-32: A quarter with exec attendance < ${policy.playsAndGates.aGateAttendancePct} % or decision latency > ${policy.playsAndGates.aGateLatencyDays} d defers credit`, ...list(aGate), deferred: aGate.filter((a) => a.creditDeferred).length }, aGate.filter((a) => a.creditDeferred).length);

  // R-23 smoke test and coverage.
  const smoke = await smokeTest(db, policy, month);
  const coverage = await triggerCoverageOf(db);
  const automated = coverage.filter((c) => !c.queued.length).length;
  add('triggers', { smokeTest: smoke, coverage: { automatedClients: automated, clients: coverage.length, pct: coverage.length ? Math.round((automated / coverage.length) * 1000) / 10 : null, target: policy.triggers.coverageTargetPct } }, smoke.triggers.filter((t) => !t.passed).length);

  // R-12 D Defense Loop: intakes, triggers, the auto report and the quarterly brief (the cadence plans both as deliverables).
  const dClients = await db.select({ id: clients.id, name: clients.name }).from(clients).where(eq(clients.segment, 'D')).orderBy(asc(clients.id));
  const intakes = new Set((await db.select({ clientId: defenseLoopIntakes.clientId }).from(defenseLoopIntakes).where(eq(defenseLoopIntakes.month, month.label))).map((i) => i.clientId));
  const fired = await db.select({ clientId: events.clientId, trigger: sql<string>`${events.data}->>'trigger'`, ctaId: sql<string>`${events.data}->>'ctaId'` }).from(events)
    .where(and(eq(events.type, 'defense.trigger_fired'), sql`${events.data}->>'month' = ${month.label}`)).orderBy(asc(events.seq));
  const reports = await db.select({ clientId: ctas.clientId, state: ctas.state, completedAt: ctas.completedAt, dueAt: ctas.dueAt }).from(ctas)
    .where(and(eq(ctas.kind, 'deliverable-autoReport'), sql`${ctas.data}->>'deliverable' = ${`autoReport/${month.label}`}`));
  const reportOf = new Map(reports.map((r) => [r.clientId, r]));
  const loop = policy.cadence.D.defenseLoop.enabled ? dClients.map((c) => ({
    clientId: c.id, name: c.name, intakeRecorded: intakes.has(c.id), triggers: fired.filter((f) => f.clientId === c.id).map((f) => ({ trigger: f.trigger, ctaId: f.ctaId })),
    assuranceSummary: reportOf.get(c.id) ? { state: reportOf.get(c.id)!.state, dueAt: reportOf.get(c.id)!.dueAt, completedAt: reportOf.get(c.id)!.completedAt } : null,
  })) : [];
  add('defenseLoop', { rule: 'R-12: monthly risk intake + stability check + 1-page assurance summary; its three triggers', month: month.label, enabled: policy.cadence.D.defenseLoop.enabled, missingIntakes: loop.filter((l) => !l.intakeRecorded).length, ...list(loop) }, loop.filter((l) => !l.intakeRecorded || l.triggers.length).length);

  const capacity = await capacityFigures(db, policy);
  const alert = await capacityGapAlert(db);
  add('capacity', { rule: 'R-6', figures: { requiredHours: capacity.requiredHours, availableHours: capacity.availableHours, gapHours: capacity.gapHours, utilisationPct: capacity.utilisationPct }, gap: capacity.gap, alert: alert ? { ctaId: alert.id, state: alert.state } : null, options: capacity.options }, capacity.gap ? 1 : 0);
}

function countColours(values: (string | null)[]) {
  return { Green: values.filter((v) => v === 'Green').length, Yellow: values.filter((v) => v === 'Yellow').length, Red: values.filter((v) => v === 'Red').length, unknown: values.filter((v) => !v).length };
}

/** R-125 Quarterly Portfolio: placement (R-7, R-8), RACI, capacity and investment, the quarter's KPIs, the R-125 window. */
async function quarterlyPortfolio({ db, policy, at, slot, add }: AgendaContext) {
  const zone = policy.governance.timeZone;
  const quarter = previousPeriod(periodAt(slot.scheduledFor, 'quarter', zone), zone);
  const active = await activePolicy(db);
  const rows = await db.select({ id: clients.id, name: clients.name, segment: clients.segment, segmentSource: clients.segmentSource, segmentOverride: clients.segmentOverride, placementPolicyVersion: clients.placementPolicyVersion }).from(clients).orderBy(asc(clients.id));
  const reviewsDue = await db.select({ clientId: events.clientId, occurredAt: events.occurredAt }).from(events).where(and(eq(events.type, 'segment.review_due'), gte(events.occurredAt, quarter.from), lt(events.occurredAt, quarter.to))).orderBy(asc(events.seq));
  const changes = await db.select({ clientId: events.clientId, type: events.type, occurredAt: events.occurredAt, data: events.data }).from(events)
    .where(and(inArray(events.type, ['segment.changed', 'segment.overridden', 'segment.override_cleared']), gte(events.occurredAt, quarter.from), lt(events.occurredAt, quarter.to))).orderBy(asc(events.seq));
  add('placement', {
    rule: 'R-7 placement reviewed each quarterly governance; R-8 evidence (DMI, Engagement Green) comes from the health process (issue 12)',
    bySegment: Object.fromEntries(SEGMENT_KEYS.map((s) => [s, rows.filter((r) => r.segment === s).length])),
    overrides: list(rows.filter((r) => r.segmentSource === 'override').map((r) => ({ clientId: r.id, name: r.name, segment: r.segment, override: r.segmentOverride }))),
    reviewsDueLastQuarter: list(reviewsDue), changesLastQuarter: list(changes),
    placedUnderOlderPolicy: list(rows.filter((r) => r.placementPolicyVersion < active.version).map((r) => ({ clientId: r.id, name: r.name, placementPolicyVersion: r.placementPolicyVersion }))),
    evidence: { available: false },
  }, rows.filter((r) => r.segmentSource === 'override').length + reviewsDue.length);

  // RACI: each client has the Cadence Owner, its backup and the strategic Accountable its segment needs (§2.19, R-122).
  const assigned = await db.select({ clientId: roleAssignments.clientId, role: roleAssignments.role }).from(roleAssignments);
  const has = new Set(assigned.map((a) => `${a.clientId}|${a.role}`));
  const gaps = rows.flatMap((r) => {
    const raci = policy.raci[r.segment as 'A'];
    const needed = [...new Set([raci.cadenceOwner, raci.cadenceBackup, ...(raci.strategic ? [raci.strategic.accountable] : [])])];
    const missing = needed.filter((role) => !has.has(`${r.id}|${role}`));
    return missing.length ? [{ clientId: r.id, name: r.name, segment: r.segment, missingRoles: missing }] : [];
  });
  add('raci', { rule: '§2.19, R-122: one Accountable and one named backup per deliverable', ...list(gaps) }, gaps.length);
  add('okrsAndPlaybooks', { tracked: false, note: 'OKRs and playbooks are not recorded in Baton yet.' }, 0);

  const capacity = await capacityFigures(db, policy);
  add('capacity', { rule: 'R-4..R-6', ...capacity }, capacity.gap ? 1 : 0);
  const kpis: Record<string, unknown> = {};
  for (const family of Object.keys(KPI_FAMILIES) as (keyof typeof KPI_FAMILIES)[]) {
    const r = await kpiReport(db, family, { period: quarter.label }, at, { version: active.version, document: policy });
    kpis[family] = r.figures.map((f) => ({ id: f.id, value: f.value, numerator: f.numerator, denominator: f.denominator, target: f.target, meets: f.meets, trend: f.trend }));
  }
  add('kpis', { quarter: quarter.label, families: kpis }, Object.keys(kpis).length);
  add('thresholds', { rule: 'R-125: thresholds change at most once a quarter, in the window at its start', window: quarterWindow(slot.scheduledFor, policy) }, 0);
}

/** Open portfolio CTAs of a kind (for the capacity view). */
export async function openPortfolioCtas(db: Pick<Db, 'select'>, kinds: string[]) {
  return db.select().from(ctas).where(and(isNull(ctas.clientId), inArray(ctas.kind, kinds), notInArray(ctas.state, ['done', 'cancelled']))).orderBy(asc(ctas.createdAt), asc(ctas.id));
}
