/** Policy areas: Annual planning (R-62..R-66), Discovery and assessment (R-67..R-70), Initiatives (R-71..R-75, A-4), Proposals (R-76..R-80, A-17), Budget (R-81..R-84), Roadmap / strategy (R-85..R-87), Deliverables / reports. Pure (imported from workflow code). */
import { z } from 'zod';
import { SEGMENTS, count, days, flag, group, hours, issue, minutes, offsetDays, pct, perSegment, range, role, segDays, segFreq, segRole, time, usd, window } from './vocabulary.js';

// ---------------------------------------------------------------------------------------------
// Annual planning (R-62..R-66)

/** What a planning cycle produces (R-65 outputs; R-66 amendment and project). */
export const CYCLE_OUTPUT_KINDS = ['roadmap', 'okrLink', 'initiative', 'budgetVersion', 'sow', 'amendment', 'project'] as const;

/**
 * One step of a planning cycle. `doneBy`: `start` when the cycle is triggered (the
 * auto-scheduler booked it), `meeting` when the cycle's `meeting`-th meeting (1-based,
 * chronological) is held, `trigger` when a date trigger attaches to the cycle's meeting (R-21: D's
 * auto report goes out when the renewal trigger fires), `report` when someone reports it done.
 */
const cycleStep = () => z.strictObject({
  key: z.string().regex(/^[a-zA-Z][a-zA-Z0-9]{0,39}$/).describe('Step key'),
  label: z.string().min(1).max(200).describe('What the step is'),
  tool: z.string().min(1).max(200).describe('The tool it uses (R-65)'),
  hours: z.number().min(0).max(100).describe('Planned CS hours'),
  doneBy: z.enum(['start', 'meeting', 'trigger', 'report']).describe('What marks it done'),
  meeting: z.number().int().min(1).max(6).optional().describe("The cycle's meeting (1-based) whose holding marks it done"),
  optional: z.boolean().default(false).describe('Optional (D: the call); not needed to close the cycle'),
});
export type CycleStepPolicy = z.output<ReturnType<typeof cycleStep>>;

const CYCLE_STEPS: Record<(typeof SEGMENTS)[number], z.input<ReturnType<typeof cycleStep>>[]> = {
  // 0.5 + 2.5 + 1.5 + 0.5 + 1.5 + 1.5 + 1 = 9.0 h (band 7–10).
  A: [
    { key: 'trigger', label: 'Trigger: cycle booked by the scheduler', tool: 'auto-scheduler', hours: 0.5, doneBy: 'start' },
    { key: 'prep', label: 'Prep: discovery, assessments, prep binder', tool: 'discovery + assessment tools, prep-binder generator', hours: 2.5, doneBy: 'report' },
    { key: 'm1', label: 'M1: 90-min CEO session on goals, SWOT and state', tool: 'printed binder, note tool', hours: 1.5, doneBy: 'meeting', meeting: 1 },
    { key: 'followUp', label: 'Follow-up: minutes and action items', tool: 'minutes + action-item tool', hours: 0.5, doneBy: 'report' },
    { key: 'm2', label: 'M2: confirm priorities', tool: 'SWOT/goals/initiative docs', hours: 1.5, doneBy: 'meeting', meeting: 2 },
    { key: 'budgeting', label: 'Budgeting incl. the M3 review', tool: 'budget tool', hours: 1.5, doneBy: 'meeting', meeting: 3 },
    { key: 'sow', label: 'SOW finalised and sent', tool: 'SOW generator', hours: 1, doneBy: 'report' },
  ],
  // two meetings, 4–6 h (5.0 h).
  B: [
    { key: 'trigger', label: 'Trigger: cycle booked by the scheduler', tool: 'auto-scheduler', hours: 0.5, doneBy: 'start' },
    { key: 'prep', label: 'Prep: discovery review and priorities draft', tool: 'discovery + assessment tools', hours: 1.5, doneBy: 'report' },
    { key: 'm1', label: 'M1: discovery review and priorities', tool: 'discovery summary, note tool', hours: 1, doneBy: 'meeting', meeting: 1 },
    { key: 'followUp', label: 'Follow-up: minutes and action items', tool: 'minutes + action-item tool', hours: 0.5, doneBy: 'report' },
    { key: 'm2', label: 'M2: budget', tool: 'budget tool', hours: 1, doneBy: 'meeting', meeting: 2 },
    { key: 'sow', label: 'SOW or amendment sent', tool: 'SOW generator', hours: 0.5, doneBy: 'report' },
  ],
  // one meeting and async work, 2–3 h (2.5 h).
  C: [
    { key: 'trigger', label: 'Trigger: cycle booked by the scheduler', tool: 'auto-scheduler', hours: 0.25, doneBy: 'start' },
    { key: 'prep', label: 'Prep: discovery and roadmap draft', tool: 'discovery tool, roadmap', hours: 0.75, doneBy: 'report' },
    { key: 'meeting', label: 'Annual planning meeting', tool: 'roadmap, budget snapshot', hours: 0.75, doneBy: 'meeting', meeting: 1 },
    { key: 'async', label: 'Async follow-up: roadmap and budget by email', tool: 'email, budget tool', hours: 0.75, doneBy: 'report' },
  ],
  // async, email only, 1–2 h (1.5 h): auto report, 2-question survey, email, optional call.
  D: [
    { key: 'autoReport', label: 'Auto report with the lightweight discovery form and async pack', tool: 'report generator', hours: 0.25, doneBy: 'trigger' },
    { key: 'survey', label: '2-question survey answered', tool: 'survey', hours: 0.25, doneBy: 'report' },
    { key: 'checkIn', label: 'Annual IT Strategy check-in by email (with the renewal review)', tool: 'email', hours: 0.5, doneBy: 'meeting', meeting: 1 },
    { key: 'call', label: 'Optional call', tool: 'phone/video', hours: 0.5, doneBy: 'report', optional: true },
  ],
};

export const annualPlanning = () => group(
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
    discoveryOwner: segRole({ A: 'vCIO', B: 'vCIO', C: 'CSM', D: 'TAM' }, 'Owner of the Business Discovery before M1: vCIO (A/B), CSM (C), TAM (D) (R-64)'),
    cycleSteps: perSegment(
      (s) => { const step = cycleStep(); return z.array(step).min(1).max(12).default(() => CYCLE_STEPS[s].map((x) => step.parse(x)))
        .refine((steps) => new Set(steps.map((x) => x.key)).size === steps.length, { message: 'step keys must be unique' })
        .describe(`${s}: the planning cycle's steps with their tool and planned CS hours (R-65, R-66)`); },
      "A planning cycle's steps by segment: A per R-65 (9.0 h), B/C/D split within R-66's bands (A-15)",
    ),
    topInitiatives: range(2, 3, "Top initiatives a cycle's output names, each with owner and date (R-65)"),
    closingOutputs: z.array(z.enum(CYCLE_OUTPUT_KINDS)).min(1).max(CYCLE_OUTPUT_KINDS.length).default(() => ['roadmap', 'sow', 'amendment', 'project'] as (typeof CYCLE_OUTPUT_KINDS)[number][])
      .describe('Outputs that close a planning cycle; without one the cycle loops back to prep (R-66)'),
  },
  'Annual planning (R-62..R-66)',
);

// ---------------------------------------------------------------------------------------------
// Discovery and assessment (R-67..R-70)

export const discoveryAssessment = () => group(
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

export const initiatives = () => group(
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

export const proposals = () => group(
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

export const budget = () => group(
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

export const roadmap = () => group(
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

export const deliverables = () => group(
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
