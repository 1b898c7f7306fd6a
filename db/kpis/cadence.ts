/**
 * Cadence KPIs (R-39, A-10; R-23 for trigger first actions) from the meetings and CTAs the
 * engagement cadence writes (`process = 'cadence'`). Windows: events in [from, to), judged as of
 * `asOf`. Owners: a meeting's Accountable person, a CTA's owner, a client's Cadence Owner (§2.19).
 * The loaders are shared with the R-60 governance family (db/kpis/governance.ts).
 */
import { and, eq, gte, inArray, isNull, like, lt, lte, or, sql } from 'drizzle-orm';
import type { Observation } from '../../domain/kpi.js';
import { ctas, meetings } from '../schema.js';
import { ownerOf, type FigureDefinition, type KpiContext, type KpiFamily } from './registry.js';

const CADENCE = 'cadence';
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const ts = (iso: string) => sql`${iso}::timestamptz`;
const heldInstant = sql`coalesce(${meetings.heldAt}, ${meetings.endsAt})`;
const cadenceStrategic = and(eq(meetings.process, CADENCE), eq(meetings.strategic, true));

const segmentOf = async (ctx: KpiContext, clientId: string, booked: string | null) => booked ?? (await ctx.clients()).get(clientId)?.segment ?? null;

/** Strategic cadence meetings held in the window. */
export async function heldStrategic(ctx: KpiContext) {
  const { from, to, asOf } = ctx.window;
  return ctx.db.select({
    id: meetings.id, clientId: meetings.clientId, segment: meetings.segment, ownerPersonId: meetings.accountablePersonId, mode: meetings.mode,
    decisionCount: meetings.decisionCount, recapSentAt: meetings.recapSentAt,
    recapDue: sql<string>`coalesce(${meetings.recapDueAt}, ${meetings.endsAt} + ${ctx.policy.meeting.recapHours}::float8 * interval '1 hour')`.mapWith((v: unknown) => new Date(v as string).toISOString()),
  }).from(meetings)
    .where(and(cadenceStrategic, eq(meetings.state, 'held'), sql`${heldInstant} >= ${ts(from)} and ${heldInstant} < ${ts(to)} and ${heldInstant} <= ${ts(asOf)}`))
    .orderBy(meetings.id);
}

async function observe<T extends { id: string; clientId: string; segment: string | null; ownerPersonId: string | null }>(ctx: KpiContext, rows: T[], hit: (r: T) => boolean): Promise<Observation[]> {
  const out: Observation[] = [];
  for (const r of rows) out.push({ id: r.id, clientId: r.clientId, segment: await segmentOf(ctx, r.clientId, r.segment), ownerPersonId: r.ownerPersonId, hit: hit(r) });
  return out;
}

/** recaps of strategic meetings held in the window, once due (or sent); on time = sent by the due. */
export async function recapObservations(ctx: KpiContext): Promise<Observation[]> {
  const rows = (await heldStrategic(ctx)).filter((r) => Date.parse(r.recapDue) <= Date.parse(ctx.window.asOf) || r.recapSentAt !== null);
  return observe(ctx, rows, (r) => r.recapSentAt !== null && Date.parse(r.recapSentAt) <= Date.parse(r.recapDue));
}

/** strategic meetings held in the window; hit = at least one decision. */
export async function decisionObservations(ctx: KpiContext): Promise<Observation[]> {
  return observe(ctx, await heldStrategic(ctx), (r) => (r.decisionCount ?? 0) >= 1);
}

/** C-5, R-30, R-39: cadence CTAs opened in the window whose first action is due by asOf (or done); cancelled before any action: not measured. */
export async function firstActionObservations(ctx: KpiContext, kindLike?: string): Promise<Observation[]> {
  const { from, to, asOf } = ctx.window;
  const rows = await ctx.db.select({ id: ctas.id, clientId: ctas.clientId, ownerPersonId: ctas.ownerPersonId, firstActionAt: ctas.firstActionAt, firstActionDueAt: ctas.firstActionDueAt })
    .from(ctas)
    .where(and(eq(ctas.process, CADENCE), gte(ctas.createdAt, from), lt(ctas.createdAt, to), lte(ctas.createdAt, asOf),
      or(lte(ctas.firstActionDueAt, asOf), sql`${ctas.firstActionAt} <= ${ts(asOf)}`),
      or(sql`${ctas.state} <> 'cancelled'`, sql`${ctas.firstActionAt} is not null`),
      ...(kindLike ? [like(ctas.kind, kindLike)] : [])))
    .orderBy(ctas.id);
  return observe(ctx, rows.map((r) => ({ ...r, clientId: r.clientId!, segment: null })), (r) => r.firstActionAt !== null && Date.parse(r.firstActionAt) <= Date.parse(r.firstActionDueAt) && Date.parse(r.firstActionAt) <= Date.parse(asOf));
}

/**
 * R-60 "% held per plan": strategic cadence meetings planned to start in the window and past their
 * grace by asOf — held, missed, cancelled or never marked — not those moved or replaced (their
 * replacement counts) nor unbooked ones; hit = held.
 */
export async function heldPerPlanObservations(ctx: KpiContext): Promise<Observation[]> {
  const { from, to, asOf } = ctx.window;
  const graceMs = ctx.policy.missedCadence.graceHours * HOUR_MS;
  const rows = await ctx.db.select({ id: meetings.id, clientId: meetings.clientId, segment: meetings.segment, ownerPersonId: meetings.accountablePersonId, state: meetings.state, endsAt: meetings.endsAt })
    .from(meetings)
    .where(and(cadenceStrategic, gte(meetings.startsAt, from), lt(meetings.startsAt, to), inArray(meetings.state, ['held', 'missed', 'scheduled', 'cancelled']), isNull(meetings.supersededBy)))
    .orderBy(meetings.id);
  return observe(ctx, rows.filter((r) => r.state === 'held' || Date.parse(r.endsAt) + graceMs <= Date.parse(asOf)), (r) => r.state === 'held');
}

const cadence: FigureDefinition[] = [
  {
    id: 'coverageNext30Days', label: 'Coverage next 30 days', ruleId: 'R-39', kind: 'share', unit: 'pct', better: 'higher',
    definition: { denominator: 'Clients with a cadence meeting due (scheduled, held, missed or left unbooked; not superseded) in [asOf, asOf + kpis.cadence.coverageWindowDays] (A-10)', numerator: 'Those with none of those meetings left unbooked' },
    policyKeys: ['kpis.cadence.coverageNext30DaysPct', 'kpis.cadence.coverageWindowDays'],
    target: (p) => p.kpis.cadence.coverageNext30DaysPct,
    async load(ctx) {
      const { asOf } = ctx.window;
      const until = new Date(Date.parse(asOf) + ctx.policy.kpis.cadence.coverageWindowDays * DAY_MS).toISOString();
      const rows = await ctx.db.select({ clientId: meetings.clientId, unbooked: sql<boolean>`bool_or(${meetings.state} = 'unbooked')` }).from(meetings)
        .where(and(eq(meetings.process, CADENCE), inArray(meetings.state, ['scheduled', 'held', 'missed', 'unbooked']), isNull(meetings.supersededBy), gte(meetings.startsAt, asOf), lte(meetings.startsAt, until)))
        .groupBy(meetings.clientId).orderBy(meetings.clientId);
      const dir = await ctx.clients();
      const p = ctx.policy;
      return rows.map((r) => {
        const info = dir.get(r.clientId);
        const seg = (info?.segment ?? 'A') as 'A';
        return { id: r.clientId, clientId: r.clientId, segment: info?.segment ?? null, ownerPersonId: ownerOf(info, p.raci[seg].cadenceOwner), hit: !r.unbooked };
      });
    },
  },
  {
    id: 'recapOnTime', label: 'Recap within 48h', ruleId: 'R-39', kind: 'share', unit: 'pct', better: 'higher',
    definition: { denominator: 'Strategic meetings held in the period whose recap is due by asOf (recapDueAt, else end + meeting.recapHours) or already sent', numerator: 'Recap sent at or before it was due (R-29)' },
    policyKeys: ['kpis.cadence.recapOnTimePct', 'meeting.recapHours'],
    target: (p) => p.kpis.cadence.recapOnTimePct,
    load: recapObservations,
  },
  {
    id: 'firstActionOnTime', label: 'First action within 72h', ruleId: 'R-39', kind: 'share', unit: 'pct', better: 'higher',
    definition: { denominator: 'Cadence CTAs opened in the period whose first-action SLA fell by asOf (or acted on); cancelled before any action: left out', numerator: 'First action at or before firstActionDueAt (C-5; deliverables: done by their due, A-28)' },
    policyKeys: ['kpis.cadence.firstActionOnTimePct', 'meeting.firstActionHours'],
    target: (p) => p.kpis.cadence.firstActionOnTimePct,
    load: (ctx) => firstActionObservations(ctx),
  },
  {
    id: 'meetingsWithDecision', label: 'Strategic meetings with a decision', ruleId: 'R-39', kind: 'share', unit: 'pct', better: 'higher',
    definition: { denominator: 'Strategic meetings held in the period', numerator: 'Those with at least one decision (R-27)' },
    policyKeys: ['kpis.cadence.meetingsWithDecisionPct'],
    target: (p) => p.kpis.cadence.meetingsWithDecisionPct,
    load: decisionObservations,
  },
  {
    id: 'prepPackOnTime', label: 'Prep pack on time', ruleId: 'R-39', kind: 'share', unit: 'pct', better: 'higher',
    definition: { denominator: 'Prep-pack CTAs (R-24) due in the period by asOf, or done; cancelled undone (the meeting went away): left out', numerator: 'Done at or before the T-5 bd due' },
    policyKeys: ['kpis.cadence.prepPackOnTimePct', 'meeting.prepPackBusinessDays'],
    target: (p) => p.kpis.cadence.prepPackOnTimePct,
    async load(ctx) {
      const { from, to, asOf } = ctx.window;
      const rows = await ctx.db.select({ id: ctas.id, clientId: ctas.clientId, ownerPersonId: ctas.ownerPersonId, completedAt: ctas.completedAt, dueAt: ctas.dueAt }).from(ctas)
        .where(and(eq(ctas.process, CADENCE), eq(ctas.kind, 'prep-pack'), gte(ctas.dueAt, from), lt(ctas.dueAt, to),
          or(lte(ctas.dueAt, asOf), sql`${ctas.completedAt} <= ${ts(asOf)}`), or(sql`${ctas.state} <> 'cancelled'`, sql`${ctas.completedAt} is not null`)))
        .orderBy(ctas.id);
      return observe(ctx, rows.map((r) => ({ ...r, clientId: r.clientId!, segment: null })), (r) => r.completedAt !== null && Date.parse(r.completedAt) <= Date.parse(r.dueAt));
    },
  },
  ...(['AB', 'CD'] as const).map((pair): FigureDefinition => ({
    id: `sponsorHeartbeat${pair}`, label: `Sponsor seen ≤120 days (${pair[0]}/${pair[1]})`, ruleId: 'R-39', kind: 'share', unit: 'pct', better: 'higher',
    definition: { denominator: `${pair[0]}/${pair[1]} clients with any cadence meeting`, numerator: 'Those whose executive sponsor attended a held cadence meeting in the health.sponsorHeartbeatDays (120) days up to asOf (R-104)' },
    policyKeys: [`kpis.cadence.sponsorHeartbeat${pair === 'AB' ? 'Ab' : 'Cd'}Pct`, 'health.sponsorHeartbeatDays'],
    target: (p) => (pair === 'AB' ? p.kpis.cadence.sponsorHeartbeatAbPct : p.kpis.cadence.sponsorHeartbeatCdPct),
    async load(ctx) {
      const { asOf } = ctx.window;
      const since = new Date(Date.parse(asOf) - ctx.policy.health.sponsorHeartbeatDays * DAY_MS).toISOString();
      const rows = await ctx.db.select({
        clientId: meetings.clientId,
        seen: sql<boolean>`bool_or(${meetings.state} = 'held' and ${meetings.sponsorPresent} and ${heldInstant} between ${ts(since)} and ${ts(asOf)})`,
      }).from(meetings).where(and(eq(meetings.process, CADENCE), lte(meetings.startsAt, asOf))).groupBy(meetings.clientId).orderBy(meetings.clientId);
      const dir = await ctx.clients();
      const p = ctx.policy;
      return rows.flatMap((r) => {
        const info = dir.get(r.clientId);
        if (!info || !pair.includes(info.segment)) return [];
        return [{ id: r.clientId, clientId: r.clientId, segment: info.segment, ownerPersonId: ownerOf(info, p.raci[info.segment as 'A'].cadenceOwner), hit: !!r.seen }];
      });
    },
  })),
  {
    id: 'abLive', label: 'A/B strategic meetings live', ruleId: 'R-39', kind: 'share', unit: 'pct', better: 'higher',
    definition: { denominator: 'Strategic meetings of A/B clients held in the period', numerator: 'Those held live (mode live)' },
    policyKeys: ['kpis.cadence.abLivePct'],
    target: (p) => p.kpis.cadence.abLivePct,
    async load(ctx) {
      const held = await heldStrategic(ctx);
      const obs = await observe(ctx, held, (r) => r.mode === 'live');
      return obs.filter((o) => o.segment === 'A' || o.segment === 'B');
    },
  },
  {
    id: 'pastDue', label: 'Past-due strategic meetings', ruleId: 'R-39', kind: 'count', unit: 'count', better: 'lower',
    definition: { denominator: 'Strategic cadence meetings scheduled or missed, not superseded by a rebook or reset, ended more than missedCadence.graceHours before asOf (R-38)', numerator: 'The same (a count); target: trending down, i.e. fewer than last period or none' },
    policyKeys: ['missedCadence.graceHours'],
    target: () => null,
    async load(ctx) {
      const before = new Date(Date.parse(ctx.window.asOf) - ctx.policy.missedCadence.graceHours * HOUR_MS).toISOString();
      const rows = await ctx.db.select({ id: meetings.id, clientId: meetings.clientId, segment: meetings.segment, ownerPersonId: meetings.accountablePersonId }).from(meetings)
        .where(and(cadenceStrategic, inArray(meetings.state, ['scheduled', 'missed']), isNull(meetings.supersededBy), lt(meetings.endsAt, before)))
        .orderBy(meetings.id);
      return observe(ctx, rows, () => true);
    },
  },
  {
    id: 'triggerFirstActionOnTime', label: 'Trigger first action within 72h', ruleId: 'R-23', kind: 'share', unit: 'pct', better: 'higher',
    definition: { denominator: 'Trigger CTAs (R-13..R-19) opened in the period whose first-action SLA fell by asOf (or acted on)', numerator: 'First action at or before firstActionDueAt' },
    policyKeys: ['triggers.firstActionOnTimeTargetPct', 'meeting.firstActionHours'],
    target: (p) => p.triggers.firstActionOnTimeTargetPct,
    load: (ctx) => firstActionObservations(ctx, 'trigger-%'),
  },
];

export const cadenceFamily: KpiFamily = {
  id: 'cadence', title: 'Cadence KPIs', ruleIds: ['R-39', 'A-10', 'R-23'], defaultPeriod: 'month', figures: cadence,
};
