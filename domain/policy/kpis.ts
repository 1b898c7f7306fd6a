/** Policy areas: KPIs. Pure (imported from workflow code). */
import { days, group, hours, pct, time } from './vocabulary.js';

// ---------------------------------------------------------------------------------------------
// KPIs

export const kpis = () => group(
  {
    cadence: group(
      {
        coverageNext30DaysPct: pct(90, 'Accounts with a due meeting booked in the next 30 d (R-39, A-10)'),
        coverageWindowDays: days(30, 'Coverage look-ahead (R-39, A-10)'),
        recapOnTimePct: pct(95, 'Recaps within recapHours (R-39)'),
        firstActionOnTimePct: pct(95, 'First actions within firstActionHours (R-39)'),
        meetingsWithDecisionPct: pct(70, 'Strategic meetings with ≥1 decision (R-39)'),
        prepPackOnTimePct: pct(95, 'Prep packs on time (R-39)'),
        sponsorHeartbeatAbPct: pct(90, 'A/B sponsor heartbeat healthy (R-39)'),
        sponsorHeartbeatCdPct: pct(75, 'C/D sponsor heartbeat healthy (R-39)'),
        snapshotPct: pct(95, 'Meetings opened with the Snapshot (R-39)'),
        abLivePct: pct(80, 'A/B strategic meetings live (R-39)'),
      },
      'Cadence KPIs (R-39)',
    ),
    sales: group(
      {
        snapshotPct: pct(95, 'Sales decision reviews with Snapshot (R-45)'),
        preApprovalViablePct: pct(60, 'Pre-approval on viable items (R-45)'),
        proposalsLinkedPct: pct(100, 'Proposals linked to initiatives (R-45)'),
        reasonsCapturedPct: pct(90, 'Decline reasons captured (R-45)'),
        daysToProposalMedianMax: days(14, 'Median days to proposal (R-45)'),
      },
      'Consultative Sales KPIs (R-45)',
    ),
    onboarding: group(
      {
        kickoffOnTimePct: pct(90, 'Kickoff within kickoffBusinessDays (R-57)'),
        accessByCheckpointPct: pct(90, 'Access by Day 14 (R-57)'),
        earlyWinsByCheckpointPct: pct(80, 'Early wins by Day 30 (R-57)'),
        initiativesOnRoadmapPct: pct(100, 'Initiatives on roadmap/budget (R-57)'),
        discoveryWithin30DaysPct: pct(100, 'New clients get Discovery within 30 d (R-57; the R-51 Day 28 checkpoint)'),
      },
      'Onboarding KPIs (R-57)',
    ),
    proposals: group(
      {
        reasonsCapturedPct: pct(90, 'Decline/park/expiry reasons captured (R-80)'),
        linkedPct: pct(100, 'Proposals linked to initiatives (R-80)'),
      },
      'Proposal KPIs (R-80)',
    ),
    governance: group(
      {
        recapOnTimePct: pct(95, 'R-60 monthly governance: recaps sent within meeting.recapHours, per owner and segment (as R-39)'),
        firstActionOnTimePct: pct(95, 'R-60 monthly governance: first actions within meeting.firstActionHours (as R-39)'),
        heldPerPlanPct: pct(90, 'R-60 monthly governance: strategic meetings held of those planned in the month (R-106 green cadence adherence)'),
        decisionRatePct: pct(70, 'R-60 monthly governance: strategic meetings held with ≥1 decision (as R-39)'),
      },
      'R-60 monthly governance KPIs per owner and segment; a breach playsAndGates.governanceBreachMonths months running opens the Corrective Play and gates credit',
    ),
    atRisk: group(
      {
        ackHighBusinessHours: hours(4, 'High risks acknowledged within (R-103)'),
        planBusinessDays: days(5, 'Save Plan within (R-103)'),
        actionsOnTimePct: pct(90, 'Save Plan actions on time (R-103)'),
        resolutionDays: days(30, 'Resolution within (R-103)'),
        repeatRiskMaxPct: pct(10, 'Repeat risk within repeatWindowDays below (R-103)'),
      },
      'At Risk KPIs (R-103)',
    ),
  },
  'KPI targets (R-39, R-45, R-57, R-60, R-80, R-103)',
);
