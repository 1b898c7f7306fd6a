/** Policy areas: Health (R-104..R-110, A-3, A-18, A-20), Plays and gates (R-32, R-60, R-111..R-121), At Risk (R-93..R-103, A-19). Pure (imported from workflow code). */
import { z } from 'zod';
import { SEGMENTS, abcd, all, band, count, days, flag, freq, group, hours, int, issue, minutes, pct, perSegment, play, range, role, segBand, segDays, segFreq, segPct, time, usd, weights, window, type Seg } from './vocabulary.js';

// ---------------------------------------------------------------------------------------------
// Health (R-104..R-110, A-3, A-18, A-20)

const dims = { cx: 20, adoption: 20, engagement: 20, serviceQuality: 20, alignment: 20 };
const serviceBands: Seg<[number, number]> = { A: [85, 75], B: [80, 70], C: [75, 60], D: [70, 55] };

export const health = () => group(
  {
    snapshotTimeOnLastBusinessDay: time('17:00', 'Monthly snapshot on the last business day at this time (§2.18)'),
    windowDays: days(
      90,
      "Window of the signals Baton derives from its own meetings and decisions (cadence adherence, stakeholder mix, decision velocity, follow-up, recaps) and of the pulse average (R-104, R-106, R-107)",
    ),
    weightsPct: perSegment(
      (s) => weights(dims, `${s}: composite weights per dimension, sum 100; 0 allowed (R-109, A-18)`),
      'Composite weights by segment (R-109)',
    ),
    composite: band(75, 60, 'Composite colour: G ≥ greenMin, Y ≥ yellowMin, else R (R-109)'),
    sponsorHeartbeatDays: days(120, 'Sponsor heartbeat healthy at or below this (R-104, R-106)'),
    sponsorReminderDays: z
      .array(int().min(0))
      .default(() => [90, 120])
      .describe('Sponsor heartbeat reminders at these ages, days (R-104)'),
    cx: group(
      {
        pulse: band(4.5, 4.0, 'Post-meeting pulse average, 1–5 (R-104)'),
        complaintsGreenMax: count(0, 'Complaints/month at or below this are green (R-104)'),
        complaintsYellowMax: count(1, 'Complaints/month at or below this are yellow; above red (R-104)'),
        complaintWindowDays: days(30, 'Complaints per month are counted over this rolling window (R-104)'),
        scorePulseFactor: z.number().min(0).default(20).describe('CX score = this × pulse … (R-104)'),
        scoreSponsorPenalty: z.number().min(0).default(10).describe('… − this if sponsor heartbeat exceeded (R-104)'),
        scoreComplaintPenalty: z.number().min(0).default(10).describe('… − this per complaint, floor 0 (R-104)'),
        responseTargetPct: segPct({ A: 50, B: 50, C: 30, D: 30 }, 'Pulse response-rate target (R-104)'),
      },
      'CX dimension (R-104, A-20)',
    ).superRefine((c, ctx) => {
      if (c.complaintsGreenMax > c.complaintsYellowMax)
        issue(ctx, ['complaintsYellowMax'], 'complaintsYellowMax must be ≥ complaintsGreenMax');
    }),
    adoption: group(
      {
        bands: segBand({ A: [90, 80], B: [80, 65], C: [70, 55], D: [70, 50] }, 'DMI colour bands (R-105, A-3)'),
        refresh: segFreq(
          { A: 'quarterly', B: 'quarterly', C: 'semiannual', D: 'semiannual' },
          'DMI refresh cadence (R-105)',
        ),
        refreshWhileRed: freq('monthly', 'DMI refresh cadence while Red (R-105)'),
        vitalInsights: range(5, 8, 'Vital insights per DMI (R-105)'),
        maxInsights: count(20, 'Max insights per DMI (R-105)'),
        defaultWeights: z
          .record(z.string(), int().min(1).max(5))
          .default(() => ({
            mfa: 5,
            endpoint: 4,
            backup: 4,
            conditionalAccess: 3,
            emailSecurity: 3,
            collaboration: 2,
            encryption: 2,
          }))
          .describe('Default insight weights 1–5 (R-105)'),
      },
      'Adoption / DMI dimension (R-105)',
    ),
    engagement: group(
      {
        weightsPct: weights(
          { cadenceAdherence: 30, stakeholderMix: 30, decisionVelocity: 25, followUpClosure: 15 },
          'Engagement score weights (R-106)',
        ),
        latencyTargetDays: segDays(
          { A: 14, B: 30, C: 45, D: 45 },
          'Decision latency target; D not in the seed, as C (R-106)',
        ),
        greenCadenceMinPct: pct(90, 'Green needs cadence adherence ≥ this (R-106)'),
        greenRecapMinPct: pct(95, 'Green needs recaps on time ≥ this (R-106)'),
        greenQbrDecisionMinPct: pct(70, 'Green needs QBRs with a decision ≥ this (R-106)'),
        redCadenceBelowPct: pct(80, 'Red when cadence adherence < this (R-106)'),
        redRecapBelowPct: pct(80, 'Red when recaps on time < this (R-106)'),
        redQbrsWithoutDecision: count(2, 'Red when the last N QBRs had no decision (R-106)'),
      },
      'Engagement dimension (R-106, A-3)',
    ),
    serviceQuality: group(
      {
        weightsPct: weights(
          { sla: 30, milestones: 25, recurrence: 25, recapFollowThrough: 20 },
          'Service Quality score weights (R-107)',
        ),
        bands: segBand(serviceBands, 'Service Quality colour bands (R-107)'),
        slaGreenPct: segPct({ A: 97, B: 95, C: 92, D: 90 }, 'Per-signal green: SLA (R-107)'),
        milestonesGreenPct: segPct({ A: 90, B: 85, C: 80, D: 75 }, 'Per-signal green: on-time milestones (R-107)'),
        repeatMaxPct: segPct({ A: 5, B: 8, C: 10, D: 15 }, 'Per-signal green: repeat/reopen at most (R-107)'),
        recapGreenPct: segPct({ A: 95, B: 95, C: 92, D: 90 }, 'Per-signal green: recap follow-through (R-107)'),
        recurrenceWindowDays: days(30, 'Reopen/repeat window (R-107)'),
        recurrencePenaltyPerPct: z
          .number()
          .min(0)
          .default(1)
          .describe('Recurrence score = 100 − this × max(reopen %, repeat %), floor 0 (R-107 normalisation)'),
        portfolioGreenAimPct: pct(80, 'Portfolio aim: share of clients Green (R-107)'),
      },
      'Service Quality dimension (R-107, A-18)',
    ),
    alignment: group(
      {
        method: z
          .enum(['rubric', 'checklist'])
          .default('rubric')
          .describe('Alignment scoring: weighted rubric or four 25-pt checks (R-108, A-3)'),
        weightsPct: weights({ presence: 40, perception: 30, performance: 30 }, 'Alignment rubric weights (R-108)'),
        bands: segBand(serviceBands, 'Alignment rubric colour bands, as R-107 (R-108)'),
        checklist: band(85, 65, 'Alignment checklist colour: four 25-pt checks (R-108)'),
      },
      'Service Level Alignment dimension (R-108)',
    ),
    maturityWeightsPct: weights(
      { adoption: 40, serviceQuality: 30, engagement: 20, alignment: 10 },
      'Derived maturity score weights (R-109)',
    ),
    appetiteWeightsPct: weights(
      { cx: 40, engagement: 30, adoption: 20, alignment: 10 },
      'Derived appetite score weights (R-109)',
    ),
    scoreBandWidth: z.number().positive().default(20).describe('0–100 → 1–5 by ceil(x / this), 0 → 1 (R-109)'),
  },
  'Health (R-104..R-110)',
);

// ---------------------------------------------------------------------------------------------
// Plays and gates (R-32, R-60, R-111..R-121)

export const playsAndGates = () => group(
  {
    consecutiveRedMonths: count(2, 'Consecutive Red months that gate credit / pause initiatives (R-32, R-120)'),
    pauseThresholdUsd: usd(10000, 'Initiatives above this pause on 2 Red Quality/Alignment months (R-120)'),
    aGateAttendancePct: pct(95, 'A quarter: exec attendance below this defers credit (R-32)'),
    aGateLatencyDays: days(14, 'A quarter: decision latency above this defers credit (R-32)'),
    governanceBreachMonths: count(2, 'Governance KPI breach months → Corrective Play (R-60)'),
    cxRed: play(all('CSM'), { hours: 72, days: 7 }, 'CX Red → CTA; review/fix (R-111)'),
    cxRedEscalateToVcio: z
      .array(z.enum(SEGMENTS))
      .default(() => ['A' as const, 'B' as const])
      .describe('Segments whose CX Red goes to vCIO review (R-111)'),
    negativePulse: play(all('CSM'), { hours: 48, days: 14 }, '"We own the miss" call; check-in days (R-112)'),
    fixPlanPoints: count(3, 'Points in the negative-pulse fix plan (R-112)'),
    engagementRed: group(
      {
        cadence: play(all('CSM'), { hours: 72 }, 'Engagement Red: cadence reset (R-113)'),
        sponsor: play(all('AM'), { days: 10 }, 'Engagement Red: exec intro + value recap, AM/CSM (R-113)'),
        noDecisions: play(all('vCIO'), { days: 7 }, 'Engagement Red: unblock/resequence roadmap (R-113)'),
        recap: play(all('CSM'), { hours: 72 }, 'Engagement Red: recap discipline reset (R-113)'),
        complaint: play(all('CSM'), { hours: 72 }, 'Engagement Red: re-engage stakeholders (R-113)'),
        decisionMakerAbsent: play(all('CSM'), { days: 5 }, 'Engagement Red: sponsor re-intro (R-113)'),
        decisionMakerAbsentCount: count(2, 'Decision-maker absences that fire the re-intro (R-113)'),
      },
      'Engagement Red plays by cause (R-113)',
    ),
    backupLow: play(all('TAM'), { days: 3 }, 'Backup success low → root cause + test restore (R-114)'),
    dmiDrop: play(abcd('vCIO', 'CSM', 'CSM'), { days: 7 }, 'DMI drop/flat → resequence + quick wins (R-115)'),
    dmiDropPoints: count(10, 'DMI drop in points that fires the play (R-115)'),
    dmiFlatCycles: count(2, 'Flat DMI cycles that fire the play (R-115)'),
    dmiFlatTolerancePoints: z.number().min(0).default(1).describe('A DMI change smaller than this many points counts as flat (R-115)'),
    slaRed: play(all('TAM'), { days: 5 }, 'SLA Red → root cause + comms + prevention (R-116)'),
    milestoneLate: play(abcd('vCIO', 'PM', 'PM'), { hours: 72 }, 'Milestone late → resequence, ETA (R-117, A-9)'),
    milestoneLateDays: days(14, 'Milestone late by more than this fires the play (R-117)'),
    reopen: play(all('TAM'), { days: 7 }, 'Reopen rate high → mini-RCA (R-118, A-9)'),
    reopenAbovePct: pct(8, 'Reopen rate over the window above this (R-118)'),
    reopenWindowDays: days(30, 'Reopen-rate window (R-118)'),
    rcaMaxMinutes: minutes(15, 'Mini-RCA (5-Why) timebox (R-118)'),
    rcaWithinBusinessDays: days(5, 'Mini-RCA held within this (R-118)'),
    removeTopRepeaters: count(2, 'Top repeaters removed after the RCA (R-118)'),
    alignmentPerception: play(all('CSM'), { businessDays: 5 }, 'Perception Red → value check (R-119)'),
    alignmentPresence: play(all('TAM'), { days: 10 }, 'Presence gap → add/replace service, TAM/CSM (R-119)'),
    alignmentLateRoadmap: play(all('vCIO'), { hours: 72 }, 'Late roadmap/lifecycle twice → resequence (R-119)'),
    alignmentSegmentDrift: play(all('CSM'), { days: 7 }, 'Segment drift → review (R-119)'),
    alignmentNotRelevant: play(all('vCIO'), { days: 7 }, '"Roadmap not relevant" → goal check (R-119)'),
    goalCheckMinutes: minutes(20, 'Goal-check session length (R-119)'),
    qualityRedReview: play(all('vCIO'), { days: 7 }, 'Service Quality Red two consecutive months → vCIO roadmap review (R-120)'),
    fixFirstGate: flag(true, 'Block non-remediation proposals/tier-2 initiatives below adoption thresholds (R-121)'),
  },
  'Health plays and gates (R-32, R-111..R-121)',
);

// ---------------------------------------------------------------------------------------------
// At Risk (R-93..R-103, A-19)

/** R-102's exit criteria: health at/above baseline 30 consecutive days, SLA trend normal 2 cycles, approved roadmap/budget reset, detractors followed up. */
export const EXIT_CRITERIA = ['healthAtBaseline', 'slaTrendNormal', 'roadmapBudgetReset', 'detractorsFollowedUp'] as const;
export type ExitCriterion = (typeof EXIT_CRITERIA)[number];
const exitCriteria = (def: ExitCriterion[], bucket: string) =>
  z
    .array(z.enum(EXIT_CRITERIA))
    .min(1)
    .refine((l) => new Set(l).size === l.length, 'criteria must be unique')
    .default(() => [...def])
    .describe(`Exit criteria of ${bucket} risks (R-102)`);

export const atRisk = () => group(
  {
    missedStrategicMeetings: count(2, 'Consecutive missed strategic meetings open At Risk (R-93, R-34)'),
    noRoadmapMovementDays: perSegment(
      (s) =>
        int()
          .min(0)
          .nullable()
          .default(({ A: 120, B: 120, C: 180, D: null } as const)[s])
          .describe(`${s}: no roadmap movement this long opens At Risk; null = not applicable (R-93)`),
      'No roadmap movement ≥ this opens At Risk; null = not applicable (R-93)',
    ),
    csatBelow: z.number().min(0).max(5).default(4.0).describe('Monthly CSAT below this opens At Risk (R-93)'),
    detractorTickets: count(2, 'Detractor tickets within the window open At Risk (R-93)'),
    detractorWindowDays: days(30, 'Detractor-ticket window (R-93)'),
    slaBreachTrendCycles: count(2, 'SLA breach trend over this many cycles (R-93)'),
    backlogAgingDays: days(30, 'Backlog aging above this (R-93)'),
    proposalUndecidedDays: days(30, 'Proposal undecided above this (R-93, A-17)'),
    severity: group(
      {
        highMin: int().min(1).max(9).default(6).describe('Impact × Likelihood ≥ this = High (R-94)'),
        mediumMin: int().min(1).max(9).default(3).describe('Impact × Likelihood ≥ this = Medium, else Low (R-94)'),
      },
      'Severity from the 3×3 matrix (R-94, A-19)',
    ).refine((s) => s.mediumMin < s.highMin, { message: 'mediumMin must be < highMin', path: ['mediumMin'] }),
    ownerByBucket: group(
      {
        Service: role('TAM', 'Owner of Service risks (R-94)'),
        Delivery: role('CSM', 'Owner of Delivery risks (R-94)'),
        Strategic: role('CSM', 'Owner of Strategic risks (R-94)'),
        Financial: role('CSM', 'Owner of Financial risks (R-94)'),
      },
      'Risk owner by bucket (R-94)',
    ),
    sponsor: role('CS Lead', 'MSP sponsor / CS Manager escalation (R-94)'),
    defaultImpact: int().min(1).max(3).default(2).describe('R-94 impact (1–3) when the trigger gives none (A-19)'),
    defaultLikelihood: int().min(1).max(3).default(2).describe('R-94 likelihood (1–3) when the trigger gives none (A-19)'),
    ackBusinessHours: group(
      {
        High: hours(4, 'Acknowledge High within (R-95)'),
        Medium: hours(8, 'Acknowledge Medium within (R-95)'),
        Low: hours(8, 'Acknowledge Low within (R-95)'),
      },
      'Client acknowledgement in business hours (R-95)',
    ),
    stabiliseDays: days(3, 'Stabilise by Day N (R-96)'),
    reengageWindowDays: window(2, 5, 'Executive re-engage session on these days (R-97)'),
    reengageBusinessDays: days(5, 'Re-engage also within this many bd; earlier wins (R-97)'),
    reengageMinutes: range(30, 45, 'Executive re-engage length (R-97)'),
    savePlanHours: hours(48, 'Save Plan within this after the session … (R-98, A-9)'),
    savePlanBusinessDays: days(5, '… and within this after detection, earlier wins (R-98, A-9)'),
    h1Days: window(0, 14, 'Save Plan H1 containment, days (§1 Save Plan)'),
    h2Days: window(15, 60, 'Save Plan H2 correction, days (§1 Save Plan)'),
    progressEmailDays: days(7, 'Weekly progress email from Save Plan + this (R-99)'),
    clientTouchDays: days(14, 'Client touch interval (bi-weekly; C/D weekly email) (R-99)'),
    noMovementDays: days(14, 'No movement this long → reset with two options (R-100, C-3)'),
    resetWithinDays: days(7, 'No-movement reset held within this (R-100)'),
    resolveDays: days(30, 'Not resolved at Day N → reclassify CTA (R-101)'),
    escalateDays: days(60, 'Open > this → escalate to leadership (R-101)'),
    exitHealthyDays: days(30, 'Exit: health ≥ baseline this many consecutive days (R-102)'),
    exitSlaCycles: count(2, 'Exit: SLA trend normal this many cycles (R-102)'),
    afterActionBusinessDays: days(5, 'After-Action within this after exit (R-102)'),
    exitCriteriaByBucket: group(
      {
        Service: exitCriteria(['healthAtBaseline', 'slaTrendNormal', 'detractorsFollowedUp'], 'Service'),
        Delivery: exitCriteria(['healthAtBaseline', 'roadmapBudgetReset'], 'Delivery'),
        Strategic: exitCriteria(['healthAtBaseline', 'roadmapBudgetReset', 'detractorsFollowedUp'], 'Strategic'),
        Financial: exitCriteria(['healthAtBaseline', 'roadmapBudgetReset'], 'Financial'),
      },
      'Exit-to-green criteria that apply to each bucket; all must hold (R-102, A-19)',
    ),
    repeatWindowDays: days(120, 'Repeat-risk window after closure (R-103)'),
  },
  'At Risk (R-93..R-103)',
).superRefine((r, ctx) => {
  if (r.h1Days.to >= r.h2Days.from) issue(ctx, ['h2Days', 'from'], 'h2Days must start after h1Days ends');
  if (r.resolveDays > r.escalateDays) issue(ctx, ['escalateDays'], 'escalateDays must be ≥ resolveDays');
});
