/** Policy areas: Onboarding Day 0–90 (R-46..R-58). Pure (imported from workflow code). */
import { all, count, days, group, hours, issue, pct, role, slugList, window } from './vocabulary.js';

// ---------------------------------------------------------------------------------------------
// Onboarding Day 0–90 (R-46..R-58)

export const onboarding = () => group(
  {
    kickoffBusinessDays: days(5, 'Kickoff held ≤ Day 0 + this (R-47)'),
    accessCheckpointDay: days(14, 'Access matrix checkpoint day (R-49, C-3)'),
    accessThresholdPct: pct(95, 'Access coverage required at the checkpoint and for the gate (R-48, R-49)'),
    docsCheckpointDay: days(21, 'Documentation pack checkpoint day (R-49, C-3)'),
    assessmentsByDay: days(28, 'Discovery + assessments done by this day (R-51)'),
    quickWinsRequired: count(2, 'Quick wins required (R-52)'),
    quickWinsCheckpointDay: days(30, 'Quick wins + Early Wins Report by this day (R-52)'),
    roadmapWindowDays: window(30, 45, 'Roadmap + Budget v1 + pre-approvals window, days (R-53)'),
    proposalsWindowDays: window(30, 60, 'Proposals with EDS window, days (R-54)'),
    daysToProposalMax: days(14, 'Days from roadmap confirmation to proposal, per-item warning (R-54)'),
    cadenceLockWindowDays: window(45, 60, 'Health baseline + cadence lock window, days (R-55, R-10)'),
    reviewDay: days(60, 'Day-60 review (R-56)'),
    closeoutDay: days(90, 'Day-90 closeout and handoff to Engagement (R-56)'),
    discoveryWithinDays: days(30, 'New clients get Discovery within this (R-57)'),
    workingAgreementDaysAfterClose: days(30, 'Year booked + Working Agreement within this after close (R-58); the date ROLLs (C-2)'),
    workingAgreementOwner: role('CSM', 'Publishes the Working Agreement: response times, channels, escalation (R-58 "CSM/AM")'),
    handoffPacketItems: slugList(
      ['discovery-one-pager', 'initiative-cards', 'pre-approval-log', 'roadmap-budget-snapshot', 'stakeholder-map', 'cadence-invites'],
      'Handoff packet items that must all be in before the kickoff invite (R-44, R-46)',
    ),
    accessMatrixSystems: slugList(
      ['tenants', 'rmm', 'psa', 'identity', 'backup', 'security-portals'],
      'Default access matrix rows when a start names none (R-49); access % is granted rows / rows',
    ),
    escalationCtaHours: hours(72, 'Escalation CTA to the exec sponsor owner due this long after a Day 14/21 miss (R-50)'),
  },
  'Onboarding (R-46..R-58)',
).superRefine((o, ctx) => {
  if (o.accessCheckpointDay > o.docsCheckpointDay)
    issue(ctx, ['docsCheckpointDay'], 'docsCheckpointDay must be ≥ accessCheckpointDay');
  if (o.reviewDay > o.closeoutDay) issue(ctx, ['closeoutDay'], 'closeoutDay must be ≥ reviewDay');
  if (o.cadenceLockWindowDays.to > o.closeoutDay)
    issue(ctx, ['cadenceLockWindowDays', 'to'], 'cadence lock must happen by closeoutDay');
});
