/**
 * R-60 monthly governance KPIs per owner and segment: recap, first action, % held per plan and
 * decision rate, from the cadence's meetings and CTAs (the loaders of db/kpis/cadence.ts) against
 * `kpis.governance.*`. Snapshot, pre-approval aging and proposal velocity join when the planning
 * loop records them (docs/portfolio.md). Two breached months running per owner × segment open the
 * Corrective Play and gate credit (db/governance.ts).
 */
import { decisionObservations, firstActionObservations, heldPerPlanObservations, recapObservations } from './cadence.js';
import type { KpiFamily } from './registry.js';

export const governanceFamily: KpiFamily = {
  id: 'governance', title: 'Monthly governance KPIs (R-60)', ruleIds: ['R-60'], defaultPeriod: 'month',
  figures: [
    {
      id: 'recapOnTime', label: 'Recap within 48h', ruleId: 'R-60', kind: 'share', unit: 'pct', better: 'higher',
      definition: { denominator: 'Strategic meetings held in the month whose recap is due by asOf or sent', numerator: 'Recap sent by its due (R-29)' },
      policyKeys: ['kpis.governance.recapOnTimePct'], target: (p) => p.kpis.governance.recapOnTimePct, load: recapObservations,
    },
    {
      id: 'firstActionOnTime', label: 'First action within 72h', ruleId: 'R-60', kind: 'share', unit: 'pct', better: 'higher',
      definition: { denominator: 'Cadence CTAs opened in the month whose first-action SLA fell by asOf (or acted on)', numerator: 'First action by firstActionDueAt (C-5)' },
      policyKeys: ['kpis.governance.firstActionOnTimePct'], target: (p) => p.kpis.governance.firstActionOnTimePct, load: (ctx) => firstActionObservations(ctx),
    },
    {
      id: 'heldPerPlan', label: '% held per plan', ruleId: 'R-60', kind: 'share', unit: 'pct', better: 'higher',
      definition: { denominator: 'Strategic meetings planned to start in the month, past their grace by asOf: held, missed, cancelled or never marked (moved, superseded and unbooked ones left out)', numerator: 'Held' },
      policyKeys: ['kpis.governance.heldPerPlanPct', 'missedCadence.graceHours'], target: (p) => p.kpis.governance.heldPerPlanPct, load: heldPerPlanObservations,
    },
    {
      id: 'decisionRate', label: 'Decision rate', ruleId: 'R-60', kind: 'share', unit: 'pct', better: 'higher',
      definition: { denominator: 'Strategic meetings held in the month', numerator: 'Those with at least one decision (R-27)' },
      policyKeys: ['kpis.governance.decisionRatePct'], target: (p) => p.kpis.governance.decisionRatePct, load: decisionObservations,
    },
  ],
};
