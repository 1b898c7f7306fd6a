/**
 * Consultative Sales KPIs from the sale's own ledger facts (process `sale`) and the planning
 * records of its prospects. Each figure counts what happened in the period (by `occurred_at`):
 * decision reviews with the Snapshot, viable price tests that got a pre-approval, conversions whose
 * proposal is tied to its initiative, parks with a reason, and whole days from the decision
 * review's end to the proposal (median). Owner: the prospect's AM.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Observation } from '../../domain/kpi.js';
import { events, proposals } from '../schema.js';
import { ownerOf, type FigureDefinition, type KpiContext, type KpiFamily } from './registry.js';

const ts = (iso: string) => sql`${iso}::timestamptz`;
const inWindow = (ctx: KpiContext) => sql`${events.occurredAt} >= ${ts(ctx.window.from)} and ${events.occurredAt} < ${ts(ctx.window.to)} and ${events.occurredAt} <= ${ts(ctx.window.asOf)}`;

async function saleEvents(ctx: KpiContext, type: string) {
  return ctx.db.select({ id: events.id, clientId: events.clientId, data: events.data }).from(events)
    .where(and(eq(events.process, 'sale'), eq(events.type, type), inWindow(ctx))).orderBy(events.id);
}

async function observe(ctx: KpiContext, rows: { id: string; clientId: string | null }[], hit: (i: number) => boolean, value?: (i: number) => number | undefined): Promise<Observation[]> {
  const dir = await ctx.clients();
  return rows.map((r, i) => {
    const info = r.clientId ? dir.get(r.clientId) : undefined;
    const v = value?.(i);
    return { id: r.id, clientId: r.clientId, segment: info?.segment ?? null, ownerPersonId: ownerOf(info, 'AM'), hit: hit(i), ...(v !== undefined ? { value: v } : {}) };
  });
}

const snapshot: FigureDefinition = {
  id: 'snapshot', label: 'Decision reviews with the Executive Snapshot', ruleId: 'R-45', kind: 'share', unit: 'pct', better: 'higher',
  definition: { denominator: 'Sale decision reviews held in the period (sale.decision_review_held)', numerator: 'Those that opened with the Executive Snapshot' },
  policyKeys: ['kpis.sales.snapshotPct'], target: (p) => p.kpis.sales.snapshotPct,
  async load(ctx) {
    const rows = await saleEvents(ctx, 'sale.decision_review_held');
    return observe(ctx, rows, (i) => (rows[i]!.data as { snapshot?: boolean }).snapshot === true);
  },
};

const preApprovalViable: FigureDefinition = {
  id: 'preApprovalOnViable', label: 'Pre-approval on viable items', ruleId: 'R-45', kind: 'share', unit: 'pct', better: 'higher',
  definition: { denominator: 'Viable price tests logged in the period on clients that came through a sale (price_test.logged, outcome viable)', numerator: 'Those whose initiative got a pre-approval by asOf (pre_approval.logged)' },
  policyKeys: ['kpis.sales.preApprovalViablePct'], target: (p) => p.kpis.sales.preApprovalViablePct,
  async load(ctx) {
    const sold = ctx.db.select({ clientId: events.clientId }).from(events).where(and(eq(events.process, 'sale'), eq(events.type, 'sale.started')));
    const rows = await ctx.db.select({ id: events.id, clientId: events.clientId, data: events.data }).from(events)
      .where(and(eq(events.type, 'price_test.logged'), sql`${events.data}->>'outcome' = 'viable'`, inArray(events.clientId, sold), inWindow(ctx))).orderBy(events.id);
    if (!rows.length) return [];
    const ids = rows.map((r) => String((r.data as { initiativeId: string }).initiativeId));
    const approved = new Set((await ctx.db.select({ initiativeId: sql<string>`${events.data}->>'initiativeId'` }).from(events)
      .where(and(eq(events.type, 'pre_approval.logged'), sql`${events.data}->>'initiativeId' in ${ids}`, sql`${events.occurredAt} <= ${ts(ctx.window.asOf)}`))).map((r) => r.initiativeId));
    return observe(ctx, rows, (i) => approved.has(ids[i]!));
  },
};

const proposalsLinked: FigureDefinition = {
  id: 'proposalsLinked', label: 'Proposals linked to an initiative', ruleId: 'R-45', kind: 'share', unit: 'pct', better: 'higher',
  definition: { denominator: 'Sales converted in the period (sale.converted)', numerator: 'Those whose proposal is stored tied to the initiative the sale names' },
  policyKeys: ['kpis.sales.proposalsLinkedPct'], target: (p) => p.kpis.sales.proposalsLinkedPct,
  async load(ctx) {
    const rows = await saleEvents(ctx, 'sale.converted');
    if (!rows.length) return [];
    const data = rows.map((r) => r.data as { proposalId: string; initiativeId: string });
    const linked = new Map((await ctx.db.select({ id: proposals.id, initiativeId: proposals.initiativeId }).from(proposals).where(inArray(proposals.id, data.map((d) => d.proposalId)))).map((p) => [p.id, p.initiativeId]));
    return observe(ctx, rows, (i) => linked.get(data[i]!.proposalId) === data[i]!.initiativeId);
  },
};

const reasons: FigureDefinition = {
  id: 'reasonsCaptured', label: 'Parks and declines with a reason', ruleId: 'R-45', kind: 'share', unit: 'pct', better: 'higher',
  definition: { denominator: 'Sales parked in the period (sale.parked)', numerator: 'Those with a reason from the policy list' },
  policyKeys: ['kpis.sales.reasonsCapturedPct', 'proposals.declineReasons'], target: (p) => p.kpis.sales.reasonsCapturedPct,
  async load(ctx) {
    const rows = await saleEvents(ctx, 'sale.parked');
    return observe(ctx, rows, (i) => ctx.policy.proposals.declineReasons.includes(String((rows[i]!.data as { reason?: string }).reason ?? '')));
  },
};

const daysToProposal: FigureDefinition = {
  id: 'daysToProposal', label: 'Days to proposal (median)', ruleId: 'R-45', kind: 'median', unit: 'days', better: 'lower',
  definition: { denominator: 'Sales converted in the period with a decision review (sale.converted)', numerator: 'Those whose proposal came within the target days of the review\'s end' },
  policyKeys: ['kpis.sales.daysToProposalMedianMax'], target: (p) => p.kpis.sales.daysToProposalMedianMax,
  async load(ctx) {
    const rows = (await saleEvents(ctx, 'sale.converted')).filter((r) => typeof (r.data as { daysToProposal?: unknown }).daysToProposal === 'number');
    const days = rows.map((r) => (r.data as { daysToProposal: number }).daysToProposal);
    return observe(ctx, rows, (i) => days[i]! <= ctx.policy.kpis.sales.daysToProposalMedianMax, (i) => days[i]);
  },
};

export const salesFamily: KpiFamily = {
  id: 'sales', title: 'Consultative Sales KPIs', ruleIds: ['R-45'], defaultPeriod: 'month',
  figures: [snapshot, preApprovalViable, proposalsLinked, reasons, daysToProposal],
};
