/**
 * Budget versions (DOMAIN §2.14 R-81..R-84): validation of a version's lines (no orphans, format by
 * segment), version numbering (v0 sales, v1 onboarding, v2…), the Budget Snapshot a session opens
 * with, and the quarter-close measures (variance and realization).
 *
 * Pure and deterministic: no I/O, no clock.
 */
import type { Policy } from './policy.js';
import { QUARTER_RE } from './quarters.js';

export const BUDGET_SOURCES = ['manual', 'sales', 'onboarding', 'recap', 'park'] as const;
export type PlanSource = (typeof BUDGET_SOURCES)[number];

export interface BudgetLineInput {
  initiativeId: string;
  quarter: string;
  amountUsd: number;
  spendType?: 'OpEx' | 'CapEx';
  decisionFlag?: boolean;
  preApprovalId?: string;
  label?: string;
}

export interface Problem { path: string; message: string }

/**
 * no orphan lines (every line has an initiative id of this client); at most
 * `budget.maxDecisionFlags` decision flags (the snapshot's ≤2 decisions). R-81: segments whose
 * budget splits OpEx/CapEx (B, A) need the split on every line; the pre-approval field is A's.
 */
export function budgetProblems(lines: BudgetLineInput[], ctx: { segment: 'A' | 'B' | 'C' | 'D'; initiatives: ReadonlySet<string>; preApprovals: ReadonlyMap<string, string>; policy: Policy }): Problem[] {
  const out: Problem[] = [];
  const split = ctx.policy.cadence[ctx.segment].budget.split;
  lines.forEach((l, i) => {
    if (!ctx.initiatives.has(l.initiativeId)) out.push({ path: `lines.${i}.initiativeId`, message: `${l.initiativeId} is not an initiative of this client: every line has an initiative id (R-82)` });
    if (!QUARTER_RE.test(l.quarter)) out.push({ path: `lines.${i}.quarter`, message: 'a quarter is YYYY-Qn (C-7)' });
    if (split.length && !l.spendType) out.push({ path: `lines.${i}.spendType`, message: `segment ${ctx.segment} budgets split ${split.join('/')} (R-81)` });
    if (l.preApprovalId !== undefined) {
      if (ctx.segment !== 'A') out.push({ path: `lines.${i}.preApprovalId`, message: 'the pre-approval field per line is the A format (R-81)' });
      else if (ctx.preApprovals.get(l.preApprovalId) !== l.initiativeId) out.push({ path: `lines.${i}.preApprovalId`, message: `${l.preApprovalId} is not a pre-approval of initiative ${l.initiativeId}` });
    }
  });
  const flags = lines.filter((l) => l.decisionFlag).length;
  if (flags > ctx.policy.budget.maxDecisionFlags) out.push({ path: 'lines', message: `at most ${ctx.policy.budget.maxDecisionFlags} decision flags (R-82: ≤2 decisions in the Budget Snapshot); ${flags} were sent` });
  return out;
}

/** v0 is the sales budget, v1 onboarding's, then v2…; a client's first version is v0 only when it comes from sales. */
export function nextBudgetVersion(latest: number | undefined, source: PlanSource): number {
  if (latest === undefined) return source === 'sales' ? 0 : 1;
  return latest + 1;
}

export interface SnapshotLine { initiativeId: string; quarter: string; amountUsd: number; spendType: string | null; decisionFlag: boolean }
export interface SnapshotInitiative { title: string; state: string; flags: string[] }

/** R-82 Budget Snapshot: totals by quarter, OpEx/CapEx, top risks (flagged initiatives first, then the largest lines not yet approved), ≤2 decisions. */
export function budgetSnapshot(lines: SnapshotLine[], initiatives: ReadonlyMap<string, SnapshotInitiative>, policy: Policy) {
  const byQuarter: Record<string, number> = {};
  const bySpend: Record<string, number> = {};
  for (const l of lines) {
    byQuarter[l.quarter] = round((byQuarter[l.quarter] ?? 0) + l.amountUsd);
    const k = l.spendType ?? 'unsplit';
    bySpend[k] = round((bySpend[k] ?? 0) + l.amountUsd);
  }
  const settled = ['Approved', 'InDelivery', 'Delivered', 'Verified'];
  const risks = lines
    .map((l) => ({ l, i: initiatives.get(l.initiativeId) }))
    .filter(({ i }) => i && (i.flags.length > 0 || !settled.includes(i.state)))
    .sort((a, b) => (b.i!.flags.length > 0 ? 1 : 0) - (a.i!.flags.length > 0 ? 1 : 0) || b.l.amountUsd - a.l.amountUsd || a.l.initiativeId.localeCompare(b.l.initiativeId))
    .slice(0, policy.budget.topRisks)
    .map(({ l, i }) => ({ initiativeId: l.initiativeId, title: i!.title, quarter: l.quarter, amountUsd: l.amountUsd, why: i!.flags.length ? `flagged ${i!.flags.join(', ')}` : `not approved yet (${i!.state})` }));
  const decisions = lines.filter((l) => l.decisionFlag).slice(0, policy.budget.maxDecisionFlags).map((l) => ({ initiativeId: l.initiativeId, title: initiatives.get(l.initiativeId)?.title ?? l.initiativeId, quarter: l.quarter, amountUsd: l.amountUsd }));
  return { totalUsd: round(lines.reduce((s, l) => s + l.amountUsd, 0)), byQuarter, bySpendType: bySpend, topRisks: risks, decisions };
}

export const round = (n: number) => Math.round(n * 100) / 100;

/** forecast vs actual for a quarter; beyond ±varianceInvestigateAbovePct → investigate. */
export function variance(forecastUsd: number, actualUsd: number | null, policy: Policy): { variancePct: number | null; status: 'green' | 'investigate' | 'notMeasured' } {
  if (actualUsd === null || forecastUsd <= 0) return { variancePct: null, status: 'notMeasured' };
  const variancePct = round(((actualUsd - forecastUsd) / forecastUsd) * 100);
  return { variancePct, status: Math.abs(variancePct) > policy.budget.varianceInvestigateAbovePct ? 'investigate' : 'green' };
}

/** budgeted → approved in-quarter; below `realizationMinPct` counts toward simplify-scope. */
export function realization(budgetedUsd: number, approvedUsd: number, policy: Policy): { pct: number | null; below: boolean } {
  if (budgetedUsd <= 0) return { pct: null, below: false };
  const pct = round(Math.min(100, (approvedUsd / budgetedUsd) * 100));
  return { pct, below: pct < policy.budget.realizationMinPct };
}
