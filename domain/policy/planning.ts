/** Policy areas: Annual planning (R-62..R-66), Discovery and assessment (R-67..R-70), Initiatives (R-71..R-75, A-4), Proposals (R-76..R-80, A-17), Budget (R-81..R-84), Roadmap / strategy (R-85..R-87), Deliverables / reports. Pure (imported from workflow code). */
import { z } from 'zod';
import { SEGMENTS, count, days, flag, group, hours, issue, minutes, offsetDays, pct, perSegment, range, role, segDays, segFreq, segRole, time, usd, window } from './vocabulary.js';

// ---------------------------------------------------------------------------------------------
// Annual planning (R-62..R-66)

export const annualPlanning = group(
  {
    finalMeetingOffsetDays: offsetDays(-30, 'Final (budget) meeting = FY-end + this (R-62)'),
    spacingDays: days(28, 'M2 = M3 − this, M1 = M2 − this (R-62)'),
    discoveryWindowDays: window(-42, -28, 'Business Discovery window relative to M1, days (R-64)'),
    dAnchorRenewalOffsetDays: offsetDays(-90, 'D Annual IT Strategy = renewal + this (R-62)'),
    firstCycleMinDaysAfterCadenceLock: days(30, 'First cycle = first whose M1 is ≥ this after cadence lock (R-63)'),
    cycleHours: perSegment(
      (s) =>
        range(
          { A: 7, B: 4, C: 2, D: 1 }[s],
          { A: 10, B: 6, C: 3, D: 2 }[s],
          `${s}: CS hours per annual-planning cycle (R-65, R-66)`,
        ),
      'CS hours per annual-planning cycle by segment (R-65, R-66, A-15)',
    ),
  },
  'Annual planning (R-62..R-66)',
);

// ---------------------------------------------------------------------------------------------
// Discovery and assessment (R-67..R-70)

export const discoveryAssessment = group(
  {
    discoveryCadence: segFreq(
      { A: 'quarterly', B: 'quarterly', C: 'semiannual', D: 'annual' },
      'Discovery cadence; B may be semiannual inside QBR, D trigger-based (R-67)',
    ),
    discoveryFormat: perSegment(
      (s) =>
        z
          .enum(['multiStakeholder', 'insideQbr', 'oneToOneOrAsync', 'lightIntake'])
          .default(({ A: 'multiStakeholder', B: 'insideQbr', C: 'oneToOneOrAsync', D: 'lightIntake' } as const)[s])
          .describe(`${s}: Discovery format (R-67)`),
      'Discovery format by segment (R-67)',
    ),
    assessmentCadence: segFreq(
      { A: 'quarterly', B: 'quarterly', C: 'semiannual', D: 'annual' },
      'Assessment cadence; B may be semiannual, D as needed (R-69)',
    ),
    assessmentByGoal: group(
      Object.fromEntries(
        (
          [
            ['goal1', 'ifAppetite'],
            ['goal2', 'recommended'],
            ['goal3', 'recommended'],
            ['goal4', 'mandatory'],
            ['goal5', 'innovationReadiness'],
          ] as const
        ).map(([k, v]) => [
          k,
          z
            .enum(['ifAppetite', 'recommended', 'mandatory', 'innovationReadiness'])
            .default(v)
            .describe(`Assessment requirement at ${k} (R-69)`),
        ]),
      ) as Record<
        'goal1' | 'goal2' | 'goal3' | 'goal4' | 'goal5',
        z.ZodDefault<z.ZodEnum<{ ifAppetite: 'ifAppetite'; recommended: 'recommended'; mandatory: 'mandatory'; innovationReadiness: 'innovationReadiness' }>>
      >,
      'Assessment requirement by goal level (R-69)',
    ),
    assessmentCategories: range(5, 7, 'Categories per assessment (R-70)'),
    assessmentOwner: segRole({ A: 'vCIO', B: 'vCIO', C: 'TAM', D: 'TAM' }, 'Owner of assessments: vCIO (A/B), TAM (C/D) (R-69, R-70)'),
    newClientDiscoveryDays: days(30, 'A client with no Discovery yet gets one within this many days of registration (R-57)'),
  },
  'Discovery and assessment (R-67..R-70)',
);

// ---------------------------------------------------------------------------------------------
// Initiatives (R-71..R-75, A-4)

export const initiatives = group(
  {
    stalledDays: days(45, 'No state change this long → Stalled + vCIO CTA (R-75)'),
    bigRocksPerQuarter: count(2, 'Max big rocks per quarter; extras pushed (R-86)'),
    bigRockMinCostUsd: usd(10000, 'Initiatives at or above this cost are big rocks (R-86)'),
    lanes: z
      .array(z.enum(['Stability', 'Efficiency', 'Growth', 'Innovation']))
      .min(1)
      .default(() => ['Stability' as const, 'Efficiency' as const, 'Growth' as const])
      .describe('Roadmap lanes (A-4, R-85)'),
    innovationLaneForGoal5: flag(true, 'Goal-5 clients may add an Innovation lane (A-4)'),
    goal1PerYear: range(1, 2, 'Initiative volume guide for Goal 1, per year (R-72)'),
    goal2PerQuarter: range(1, 3, 'Initiative volume guide for Goal 2, per quarter (R-72)'),
    stalledOwner: role('vCIO', 'Owner of the Stalled follow-up CTA (R-75)'),
    stalledCtaHours: hours(72, 'Stalled follow-up CTA due this long after the flag (R-75)'),
  },
  'Initiatives (R-71..R-75)',
);

// ---------------------------------------------------------------------------------------------
// Proposals (R-76..R-80, A-17)

export const proposals = group(
  {
    freshMaxAgeDays: days(14, 'Aging bucket 0–this days (R-78)'),
    agingMaxAgeDays: days(30, 'Aging bucket fresh+1–this days; above is overdue (R-78, A-17)'),
    resetAtAgeDays: days(31, 'age_days at which a Re-engage reset is offered (R-78, A-17)'),
    resetWithinDays: days(7, 'Reset session held within this (R-78)'),
    expireAtAgeDays: days(61, 'age_days with no client decision → Expired (R-79, A-17)'),
    expiryAction: z
      .enum(['parkNextQuarter', 'close'])
      .default('parkNextQuarter')
      .describe('What expiry does to the initiative (R-79, A-17)'),
    maxOptions: count(2, 'Max options on the Executive Decision Sheet (R-77)'),
    declineReasons: z
      .array(z.string().min(1))
      .min(1)
      .default(() => ['price', 'timing', 'relevance', 'dependency', 'other'])
      .describe('Allowed decline/park/expiry reasons (R-80)'),
    recurringDeclineCount: count(2, 'Relevance/timing declines counted as recurring → Alignment risk (R-80, R-93)'),
    resetMinutes: minutes(20, 'Length of the live reset "now vs next quarter" offered at resetAtAgeDays (R-78)'),
    reengageOwner: role('AM', 'Owner of the re-engage CTA at resetAtAgeDays and of the decline-reason CTA (R-78, R-79, R-80)'),
    reasonHours: hours(72, 'Decline-reason CTA due this long after expiry (R-79, R-80)'),
  },
  'Proposals (R-76..R-80)',
).superRefine((p, ctx) => {
  if (p.freshMaxAgeDays >= p.agingMaxAgeDays)
    issue(ctx, ['agingMaxAgeDays'], 'agingMaxAgeDays must be > freshMaxAgeDays');
  if (p.resetAtAgeDays <= p.agingMaxAgeDays)
    issue(ctx, ['resetAtAgeDays'], 'resetAtAgeDays must be > agingMaxAgeDays');
  if (p.expireAtAgeDays <= p.resetAtAgeDays) issue(ctx, ['expireAtAgeDays'], 'expireAtAgeDays must be > resetAtAgeDays');
});

// ---------------------------------------------------------------------------------------------
// Budget (R-81..R-84)

export const budget = group(
  {
    preApprovalReengageDays: days(31, 'Pre-approval age → re-engage CTA (R-83, A-17)'),
    preApprovalResequenceDays: days(61, 'Pre-approval age → expires, initiative Parked (R-83, A-17)'),
    varianceGreenMaxPct: pct(20, 'Forecast vs actual variance within ±this is green (R-84)'),
    varianceInvestigateAbovePct: pct(20, 'Variance above this → investigate CTA + At Risk (R-84, R-93)'),
    realizationMinPct: pct(40, 'Budgeted → approved in-quarter below this … (R-84)'),
    realizationQuarters: count(2, '… for this many quarters → simplify scope (R-84)'),
    maxDecisionFlags: count(2, 'Max decision flags in a budget snapshot (R-82, prep pack)'),
    preApprovalOwner: role('AM', 'Owner of pre-approval re-engage CTAs and of the capture-budget CTA after a decision failing the credit gate (R-83, R-32, R-43)'),
    quarterCloseTime: time('17:00', 'Quarter close: local time on the last business day of the quarter (R-61, R-84)'),
    artefactCtaHours: hours(72, 'Quarter close: CTA to a decision\'s Accountable when it produced no artefact, due this long after the close (R-61)'),
    varianceOwner: segRole({ A: 'vCIO', B: 'vCIO', C: 'CSM', D: 'CSM' }, 'Owner of the variance-investigate and simplify-scope CTAs (R-84)'),
    topRisks: count(3, 'Risks listed in a Budget Snapshot (R-82)'),
  },
  'Budget (R-81..R-84)',
).superRefine((b, ctx) => {
  if (b.preApprovalReengageDays >= b.preApprovalResequenceDays)
    issue(ctx, ['preApprovalResequenceDays'], 'preApprovalResequenceDays must be > preApprovalReengageDays');
  if (b.varianceGreenMaxPct > b.varianceInvestigateAbovePct)
    issue(ctx, ['varianceInvestigateAbovePct'], 'varianceInvestigateAbovePct must be ≥ varianceGreenMaxPct');
});

// ---------------------------------------------------------------------------------------------
// Roadmap / strategy (R-85..R-87)

export const roadmap = group(
  {
    freshnessDays: segDays({ A: 120, B: 120, C: 180, D: 365 }, 'Roadmap reviewed at least this often (R-86)'),
    staleAfterQuarters: count(2, 'Roadmap unchanged longer than this → health warning (R-86)'),
    prepPackHorizonQuarters: count(2, 'Roadmap quarters shown in the prep pack (§1 Prep pack)'),
    freshnessCtaHours: hours(72, 'Roadmap freshness CTA due this long after the review fell due (R-86)'),
  },
  'Roadmap and strategy (R-85..R-87)',
);

// ---------------------------------------------------------------------------------------------
// Deliverables / reports

export const deliverables = group(
  {
    unopenedReminderBusinessDays: days(5, 'Delivered but unopened this long → reminder + management alert (R-88)'),
    unopenedEscalationBusinessDays: days(5, 'Still unopened this long after the reminder → escalation (R-88 "no response → escalation")'),
    reportOwner: segRole({ A: 'vCIO', B: 'vCIO', C: 'CSM', D: 'TAM' }, 'Presenter of delivered reports; owns the unopened reminder (R-88)'),
    managerAlertRole: role('CS Lead', 'Who gets the management alert for an unopened report (R-88)'),
    escalationOwner: role('AM', 'Owner of the escalation when a reminded report still gets no response (R-88)'),
    reportFormat: perSegment(
      (s) =>
        z
          .enum(['autoEmailPortal', 'asyncPdfVideo', 'liveHybrid', 'live'])
          .default(({ A: 'live', B: 'liveHybrid', C: 'asyncPdfVideo', D: 'autoEmailPortal' } as const)[s])
          .describe(`${s}: report format (R-88)`),
      'Report format by segment: D auto email/portal, C async PDF + video, B live/hybrid, A live (R-88)',
    ),
    liveTargetPct: pct(80, 'A/B deliverables presented live at least this share (R-39, R-88)'),
    liveTargetSegments: z
      .array(z.enum(SEGMENTS))
      .default(() => ['A' as const, 'B' as const])
      .describe('Segments held to liveTargetPct (R-39)'),
    // The cadence's non-meeting touches (§2.2 tactical row: asyncUpdate, autoReport, digitalTouch
    // frequencies live in cadence.<segment>.tactical; owners are the segment's Cadence Owner and
    // backup, R-122). When in its period each one is due:
    touchDueBusinessDay: z
      .number()
      .int()
      .min(-20)
      .max(20)
      .refine((n) => n !== 0, '0 is not a business day of the period: use 1 for the first, −1 for the last')
      .default(-1)
      .describe('Business day of its period (week, month, quarter…) a non-meeting touch is due: 1 = first, −1 = last (§2.2, R-12)'),
    touchDueTime: time('17:00', 'Local time a non-meeting touch is due on its day (§2.2, R-12)'),
    asyncUpdateOptional: flag(true, 'The async written update is optional (§2.2: C "optional monthly async update")'),
  },
  'Deliverables and reports (R-88)',
);
