/**
 * Onboarding KPIs from the onboarding's own ledger facts: every deadline it planned
 * (`deadline.set`, with its owner role and whether it was skipped) and every one it missed
 * (`deadline.missed`). A deadline counts in the period its due instant falls in, once due by asOf;
 * hit = never missed. Owner: the client's holder of the deadline's owner role (§2.19).
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Observation } from '../../domain/kpi.js';
import { events } from '../schema.js';
import { ownerOf, type FigureDefinition, type KpiContext, type KpiFamily } from './registry.js';

const ts = (iso: string) => sql`${iso}::timestamptz`;

async function deadlineObservations(ctx: KpiContext, deadline: string): Promise<Observation[]> {
  const { from, to, asOf } = ctx.window;
  const dueAt = sql`(${events.data}->>'dueAt')::timestamptz`;
  const set = await ctx.db.select({ id: events.id, clientId: events.clientId, workflowId: events.workflowId, why: events.why }).from(events)
    .where(and(eq(events.process, 'onboarding'), eq(events.type, 'deadline.set'), sql`${events.data}->>'deadline' = ${deadline}`,
      sql`${dueAt} >= ${ts(from)} and ${dueAt} < ${ts(to)} and ${dueAt} <= ${ts(asOf)}`, sql`coalesce((${events.why}->>'skipped')::boolean, false) = false`))
    .orderBy(events.id);
  if (!set.length) return [];
  const missed = new Set((await ctx.db.select({ workflowId: events.workflowId }).from(events)
    .where(and(eq(events.process, 'onboarding'), eq(events.type, 'deadline.missed'), sql`${events.data}->>'deadline' = ${deadline}`, inArray(events.workflowId, set.map((s) => s.workflowId!)))))
    .map((m) => m.workflowId));
  const dir = await ctx.clients();
  // One onboarding per client: the deadline is named by its workflow.
  return set.map((s) => {
    const info = dir.get(s.clientId!);
    const role = String((s.why as { ownerRole?: string }).ownerRole ?? 'CSM');
    return { id: `${s.workflowId}#${deadline}`, clientId: s.clientId, segment: info?.segment ?? null, ownerPersonId: ownerOf(info, role), hit: !missed.has(s.workflowId) };
  });
}

const deadlineFigure = (id: string, label: string, deadline: string, what: string, target: (p: Parameters<FigureDefinition['target']>[0]) => number, policyKeys: string[]): FigureDefinition => ({
  id, label, ruleId: 'R-57', kind: 'share', unit: 'pct', better: 'higher',
  definition: { denominator: `Onboardings whose ${what} (deadline ${deadline}) fell due in the period, by asOf; skipped ones (D without risk, R-51) left out`, numerator: 'Those never recorded missed (deadline.missed)' },
  policyKeys, target, load: (ctx) => deadlineObservations(ctx, deadline),
});

export const onboardingFamily: KpiFamily = {
  id: 'onboarding', title: 'Onboarding KPIs', ruleIds: ['R-57'], defaultPeriod: 'month',
  figures: [
    deadlineFigure('kickoffOnTime', 'Kickoff within 5 business days', 'kickoff.held', 'kickoff (Day 0 + 5 bd, R-47)', (p) => p.kpis.onboarding.kickoffOnTimePct, ['kpis.onboarding.kickoffOnTimePct', 'onboarding.kickoffBusinessDays']),
    deadlineFigure('accessByDay14', 'Access by Day 14', 'access.checkpoint', 'access checkpoint (≥95 % by Day 14, R-49)', (p) => p.kpis.onboarding.accessByCheckpointPct, ['kpis.onboarding.accessByCheckpointPct']),
    deadlineFigure('earlyWinsByDay30', 'Early wins by Day 30', 'quickWins.checkpoint', 'quick wins + Early Wins Report (by Day 30, R-52)', (p) => p.kpis.onboarding.earlyWinsByCheckpointPct, ['kpis.onboarding.earlyWinsByCheckpointPct']),
    deadlineFigure('discoveryWithin30Days', 'Discovery within 30 days', 'discovery.checkpoint', 'discovery and targeted assessments (by Day 28, R-51)', (p) => p.kpis.onboarding.discoveryWithin30DaysPct, ['kpis.onboarding.discoveryWithin30DaysPct']),
  ],
};
