/**
 * Policy as data (DOMAIN.md §4): every deadline, threshold, cadence and owner the workflows use,
 * as one typed, zod-validated, versioned document. Workflow code reads numbers from here only.
 *
 * Conventions: durations and amounts carry their unit in the key (`…Days` calendar days,
 * `…BusinessDays`, `…Hours` elapsed, `…BusinessHours`, `…Minutes`, `…Pct` 0–100, `…Usd`);
 * offsets relative to an anchor are signed (`renewalOffsetDays: -90`); weekdays are ISO
 * (1 = Mon … 7 = Sun, as in business-time.ts); times are local 'HH:mm' in the client's zone.
 *
 * Pure and deterministic (imported from Temporal workflow code): no I/O, no clock.
 */
import { z } from 'zod';
import { MSP_ROLES } from './roles.js';
import { isValidTimeZone } from './business-time.js';

// ---------------------------------------------------------------------------------------------
// Vocabulary

export const SEGMENTS = ['A', 'B', 'C', 'D'] as const;
export const TOUCH_TIERS = ['VIP', 'High', 'Mid', 'Tech'] as const;
export const MRR_TIERS = ['High', 'Mid', 'Low'] as const;

export const roleSchema = z.enum(MSP_ROLES);
export type Role = z.infer<typeof roleSchema>;
const touchTierSchema = z.enum(TOUCH_TIERS);
const meetingModeSchema = z.enum(['live', 'hybrid', 'async']);
const frequencySchema = z.enum([
  'weekly',
  'biweekly',
  'monthly',
  'quarterly',
  'semiannual',
  'annual',
  'triggerOnly',
  'none',
]);
type Frequency = z.infer<typeof frequencySchema>;
type Seg<T> = { A: T; B: T; C: T; D: T };

// ---------------------------------------------------------------------------------------------
// Leaf builders: each takes the seed default and a description naming its rule.

const TIME_RE = /^([01]\d|2[0-3]):[0-5]\d$/;
const DATE_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

// Generic builders cannot prove `{}` satisfies their input type; the parse fills every field.
const EMPTY = {} as never;
const int = () => z.number().int();
const count = (def: number, d: string) => int().min(0).default(def).describe(d);
const days = count;
const offsetDays = (def: number, d: string) => int().default(def).describe(d);
const hours = (def: number, d: string) => z.number().min(0).default(def).describe(d);
const minutes = (def: number, d: string) => int().min(0).default(def).describe(d);
const pct = (def: number, d: string) => z.number().min(0).max(100).default(def).describe(d);
const usd = (def: number, d: string) => z.number().min(0).default(def).describe(d);
const flag = (def: boolean, d: string) => z.boolean().default(def).describe(d);
const time = (def: string, d: string) =>
  z.string().regex(TIME_RE, 'expected HH:mm (00:00–23:59)').default(def).describe(d);
const weekday = (def: number, d: string) => int().min(1).max(7).default(def).describe(d);
const weekdays = (def: readonly number[], d: string) =>
  z
    .array(int().min(1).max(7))
    .refine((w) => new Set(w).size === w.length, 'weekdays must be unique')
    .default(() => [...def])
    .describe(d);
const role = (def: Role, d: string) => roleSchema.default(def).describe(d);
const roleOrNone = (def: Role | null, d: string) => roleSchema.nullable().default(def).describe(d);
const roles = (def: readonly Role[], d: string) => z.array(roleSchema).default(() => [...def]).describe(d);
const freq = (def: Frequency, d: string) => frequencySchema.default(def).describe(d);
/** A non-empty list of unique lower-case slugs, e.g. access-matrix systems. */
const slugList = (def: readonly string[], d: string) =>
  z
    .array(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case-with-dashes'))
    .min(1)
    .refine((l) => new Set(l).size === l.length, 'items must be unique')
    .default(() => [...def])
    .describe(d);

/** Nested objects default to `{}` parsed through their own field defaults (zod 4 `prefault`). */
function group<S extends z.ZodRawShape>(shape: S, d: string) {
  return z.object(shape).prefault(EMPTY).describe(d);
}

/** `{from, to}` window; `from ≤ to`. Units are in the key that holds it. */
function window(from: number, to: number, d: string) {
  return z
    .object({
      from: int().default(from).describe(`${d}: first day/hour of the window`),
      to: int().default(to).describe(`${d}: last day/hour of the window`),
    })
    .refine((w) => w.from <= w.to, { message: 'window must have from ≤ to', path: ['to'] })
    .prefault(EMPTY)
    .describe(d);
}

/** `{min, max}` range; `min ≤ max`. */
function range(min: number, max: number, d: string) {
  return z
    .object({
      min: z.number().min(0).default(min).describe(`${d}: minimum`),
      max: z.number().min(0).default(max).describe(`${d}: maximum`),
    })
    .refine((r) => r.min <= r.max, { message: 'range must have min ≤ max', path: ['max'] })
    .prefault(EMPTY)
    .describe(d);
}

/** One value per segment A–D, each with its own default. */
function perSegment<T extends z.ZodType>(build: (seg: (typeof SEGMENTS)[number]) => T, d: string) {
  return z.object({ A: build('A'), B: build('B'), C: build('C'), D: build('D') }).prefault(EMPTY).describe(d);
}
const segPct = (v: Seg<number>, d: string) => perSegment((s) => pct(v[s], d), d);
const segDays = (v: Seg<number>, d: string) => perSegment((s) => days(v[s], d), d);
const segFreq = (v: Seg<Frequency>, d: string) => perSegment((s) => freq(v[s], d), d);
const segRole = (v: Seg<Role>, d: string) => perSegment((s) => role(v[s], d), d);

/** Green/yellow colour band: green at or above `greenMin`, yellow at or above `yellowMin`, else red. */
function band(greenMin: number, yellowMin: number, d: string) {
  return z
    .object({
      greenMin: z.number().default(greenMin).describe(`${d}: green at or above`),
      yellowMin: z.number().default(yellowMin).describe(`${d}: yellow at or above, else red`),
    })
    .refine((b) => b.yellowMin < b.greenMin, { message: 'yellowMin must be < greenMin', path: ['yellowMin'] })
    .prefault(EMPTY)
    .describe(d);
}
const segBand = (v: Seg<[number, number]>, d: string) => perSegment((s) => band(v[s][0], v[s][1], d), d);

/** Weights in percent that must add up to 100. */
function weights<K extends string>(def: Record<K, number>, d: string) {
  const shape = Object.fromEntries(Object.entries(def).map(([k, v]) => [k, pct(v as number, d)])) as {
    [P in K]: ReturnType<typeof pct>;
  };
  return z
    .object(shape)
    .refine((w) => Math.abs(Object.values(w as Record<string, number>).reduce((a, b) => a + b, 0) - 100) < 1e-9, {
      message: 'weights must add up to 100',
    })
    .prefault(EMPTY)
    .describe(d);
}

/** A play's owner per segment and its dues; null = the play has no due of that kind. */
function play(owner: Seg<Role>, due: { hours?: number; days?: number; businessDays?: number }, d: string) {
  const due_ = (def: number | undefined, what: string) =>
    z.number().min(0).nullable().default(def ?? null).describe(`${d}: due in ${what}`);
  return group(
    {
      owner: segRole(owner, `${d}: owner by segment`),
      dueHours: due_(due.hours, 'elapsed hours'),
      dueDays: due_(due.days, 'calendar days'),
      dueBusinessDays: due_(due.businessDays, 'business days'),
    },
    d,
  );
}
const all = (r: Role): Seg<Role> => ({ A: r, B: r, C: r, D: r });
const abcd = (ab: Role, c: Role, d: Role): Seg<Role> => ({ A: ab, B: ab, C: c, D: d });

function issue(ctx: z.RefinementCtx, path: (string | number)[], message: string) {
  ctx.addIssue({ code: 'custom', message, path });
}

// ---------------------------------------------------------------------------------------------
// Calendar (C-1, C-2, C-7, A-14)

const calendar = group(
  {
    dayStart: time('09:00', 'Business hours open, client local time (C-1)'),
    dayEnd: z
      .string()
      .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'expected HH:mm (00:00–24:00)')
      .default('17:00')
      .describe('Business hours close, exclusive (C-1)'),
    workdays: weekdays([1, 2, 3, 4, 5], 'Business days as ISO weekdays, Mon–Fri (C-1)'),
    holidays: z
      .array(z.string().regex(DATE_RE, 'expected yyyy-MM-dd'))
      .refine((h) => new Set(h).size === h.length, 'holidays must be unique')
      .default(() => [])
      .describe('Non-business dates yyyy-MM-dd in the client zone (C-1)'),
    timeZone: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe("IANA zone; null = the client record's own zone (C-1)"),
    slaClock: z
      .enum(['elapsed', 'business'])
      .default('elapsed')
      .describe('Clock for hour SLAs such as 48h recap / 72h first action (A-14)'),
    fiscalYearEndMonthDay: z
      .string()
      .regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'expected MM-dd')
      .default('12-31')
      .describe('Default fiscal year-end when the client has none (C-7)'),
    quarters: z
      .enum(['calendar', 'fiscal'])
      .default('calendar')
      .describe('Quarters follow the calendar unless a client fiscal calendar is set (C-7)'),
  },
  'Business calendar (C-1, C-7, A-14)',
).superRefine((c, ctx) => {
  if (c.dayStart >= c.dayEnd) issue(ctx, ['dayEnd'], 'dayStart must be before dayEnd');
  if (c.workdays.length === 0) issue(ctx, ['workdays'], 'at least one workday is required');
});

// ---------------------------------------------------------------------------------------------
// Segmentation (R-1..R-3, R-7..R-9, R-110, A-1, A-2, A-16)

type TouchTierName = (typeof TOUCH_TIERS)[number];
const touchRow = (high: TouchTierName, mid: TouchTierName, low: TouchTierName, d: string) =>
  group(
    {
      High: touchTierSchema.default(high).describe(`${d}: High MRR`),
      Mid: touchTierSchema.default(mid).describe(`${d}: Mid MRR`),
      Low: touchTierSchema.default(low).describe(`${d}: Low MRR`),
    },
    d,
  );

const segmentation = group(
  {
    highScoreCutoff: z
      .union([z.literal(3), z.literal(4)])
      .default(3)
      .describe('Maturity/appetite score at or above which the band is High; 3 or 4 (R-1, A-2)'),
    goal5RequiresBothAtLeast: int()
      .min(1)
      .max(5)
      .default(4)
      .describe('Goal 5 needs maturity and appetite both ≥ this plus innovation-agenda ownership (R-1, A-2)'),
    mrrTiers: group(
      {
        highMin: usd(10000, 'MRR at or above which the tier is High (R-2, A-16)'),
        midMin: usd(2500, 'MRR at or above which the tier is Mid; below is Low (R-2, A-16)'),
      },
      'MRR tier boundaries in USD/month (R-2)',
    ).refine((t) => t.midMin < t.highMin, { message: 'midMin must be < highMin', path: ['midMin'] }),
    touchMatrix: group(
      {
        A: touchRow('VIP', 'High', 'Mid', 'Touch tier for A (R-3)'),
        B: touchRow('VIP', 'High', 'Mid', 'Touch tier for B (R-3)'),
        C: touchRow('High', 'Mid', 'Tech', 'Touch tier for C (R-3)'),
        D: touchRow('High', 'Mid', 'Tech', 'Touch tier for D (R-3)'),
      },
      'Touch tier by segment × MRR tier (R-3)',
    ),
    autoResegment: flag(false, 'Move segment automatically on contradicting health instead of a review CTA (R-7)'),
    segmentChangeLeadDays: days(14, 'New meeting types start in the first month beginning ≥ this after a change (R-9)'),
    reviewCtaDays: days(7, 'Segment-review CTA due (R-7, R-110)'),
    placementReviewIntervalMonths: int()
      .min(1)
      .max(12)
      .default(12)
      .describe('Placement reviewed at least this often, in calendar months (R-7 "at least annually", A-21)'),
    cToBDmiMinPct: pct(70, 'Evidence for C→B: DMI at least this (R-8)'),
    cToBEngagementGreenQuarters: count(2, 'Evidence for C→B: consecutive Engagement-Green quarters (R-8)'),
    falseAlertRetuneAbovePct: pct(15, 'Monthly segment false-alert rate above which thresholds are retuned (R-110)'),
  },
  'Primary/secondary segmentation (R-1..R-3, R-7..R-9)',
).superRefine((s, ctx) => {
  // Goal 5 sits inside High/High, so its bar cannot be below the High cut-off.
  if (s.goal5RequiresBothAtLeast < s.highScoreCutoff)
    issue(ctx, ['goal5RequiresBothAtLeast'], 'goal5RequiresBothAtLeast must be ≥ highScoreCutoff');
});

// ---------------------------------------------------------------------------------------------
// Investment

const investment = group(
  {
    mrrPctBySegment: segPct(
      { A: 9, B: 7, C: 5, D: 3 },
      '% of MRR reinvested in CS: Boutique 9, Premium 7, Standard 5, Value 3, Cost Driver 1 (R-4)',
    ),
    hourlyCostUsd: usd(80, 'Loaded hourly cost of CS time (R-5)'),
    proactiveSharePct: pct(60, 'Share of CS hours that is proactive (R-5, A-16)'),
    playbookSharePct: pct(40, 'Share of proactive budget spent on playbooks (R-5)'),
    fteHoursPerYear: hours(1680, 'Hours per FTE per year (R-6, A-16)'),
    csAvailableSharePct: pct(70, 'Share of FTE hours available for CS work (R-6)'),
  },
  'Investment model (R-4, R-5)',
);

// ---------------------------------------------------------------------------------------------
// Capacity (R-6, R-36..R-38)

const capacity = group(
  {
    requiredHoursPerClientYear: perSegment(
      (s) => hours({ A: 30, B: 20, C: 10, D: 5 }[s], 'Required CS hours per client per year (R-6)'),
      'Required CS hours per client per year by segment (R-6)',
    ),
    vcioMaxStrategicPerWeek: count(8, 'Max strategic meetings per vCIO per week (R-36)'),
    csmBatchWeekdays: weekdays([2, 4], 'CSM strategic-meeting batch days, Tue/Thu (R-36)'),
    noSlotWeekdays: weekdays([5], 'Weekdays never offered as all-hands slots, Fri (R-36)'),
    autoBookCapPct: pct(80, 'Auto-booking stops at this role-week load (R-37)'),
    loadTargetPct: pct(85, 'Average role-week load target, below (R-37)'),
    rebalanceAbovePct: pct(90, 'Next-week load above this → rebalance alert (R-37)'),
    monthSpreadMaxPct: pct(40, "Max share of a segment's quarterly meetings in one month (R-37)"),
    radarTopPastDue: count(10, 'Past-due strategic meetings listed on the weekly radar (R-38)'),
    prepHours: group(
      {
        strategic: hours(1, 'Preparation hours counted per strategic meeting in the load (R-37, R-24..R-26)'),
        tactical: hours(0.25, 'Preparation hours counted per tactical/service meeting in the load (R-37)'),
      },
      'Preparation hours added to a meeting\'s length in the load (R-37)',
    ),
    slotSearchDays: days(21, 'Auto-booking looks this many days past the planned date for the next allowed slot (R-36, R-37)'),
    slotStepMinutes: int().min(5).max(240).default(30).describe('When only a clash blocks a slot, auto-booking tries later times that day in steps of this (R-36)'),
    weekTimeZone: z.string().min(1).default('UTC').describe('IANA zone whose ISO weeks (Mon–Sun) the role-week load is counted in (R-37)'),
  },
  'Capacity guardrails (R-6, R-36..R-38)',
).superRefine((c, ctx) => {
  if (c.autoBookCapPct > c.rebalanceAbovePct)
    issue(ctx, ['autoBookCapPct'], 'autoBookCapPct must be ≤ rebalanceAbovePct');
  if (!isValidTimeZone(c.weekTimeZone)) issue(ctx, ['weekTimeZone'], `unknown IANA time zone '${c.weekTimeZone}'`);
});

// ---------------------------------------------------------------------------------------------
// Cadence matrix (§2.2, R-10..R-12, A-5, A-13)

interface SegmentCadenceDefaults {
  annualPlanning: { meetings: number; anchor: 'fyEnd' | 'renewal'; offsetDays: number; mode: 'live' | 'hybrid' | 'async' };
  strategic: {
    type: 'Monthly' | 'QBR' | 'Review' | 'None';
    perYear: number;
    executiveQbrPerYear: number;
    perYearAtTechTier: number | null;
    videoMinutes: [number, number] | null;
    mode: ('live' | 'hybrid' | 'async')[];
    accountable: Role | null;
    recorder: Role | null;
  };
  roadmap: { reviewedAt: 'executiveQbr' | 'qbr' | 'review' | 'annual'; horizon: 'multiYear' | 'twelveMonths' | 'oneToTwoQuarters' | 'lifecycleBoard' };
  budget: { frequency: 'eachStrategic' | 'semiannual' | 'quarterly' | 'annual'; view: 'rolling4QPlusYears' | 'rolling4Q' | 'semiannualView' | 'onePageList'; split: ('OpEx' | 'CapEx')[] };
  tactical: {
    type: 'checkIn' | 'serviceReview';
    byTouchTier: Record<(typeof TOUCH_TIERS)[number], Frequency>;
    asyncUpdate: Frequency;
    autoReport: Frequency;
    digitalTouch: Frequency;
  };
  liveTargetPct: number | null;
  defenseLoop: boolean;
}

function segmentCadence(seg: string, v: SegmentCadenceDefaults) {
  const ap = v.annualPlanning;
  const st = v.strategic;
  const tt = v.tactical;
  const p = `${seg}:`;
  return group(
    {
      annualPlanning: group(
        {
          meetings: count(ap.meetings, `${p} annual-planning meetings per cycle (R-62, §2.2)`),
          anchor: z.enum(['fyEnd', 'renewal']).default(ap.anchor).describe(`${p} date the final meeting hangs off (R-62)`),
          offsetDays: offsetDays(ap.offsetDays, `${p} final meeting = anchor + this (ROLL) (R-62)`),
          spacingDays: days(28, `${p} days between planning meetings M1/M2/M3 (R-62)`),
          mode: meetingModeSchema.default(ap.mode).describe(`${p} annual-planning mode (§2.2)`),
        },
        `${p} annual planning (§2.2, R-62)`,
      ),
      strategic: group(
        {
          type: z
            .enum(['Monthly', 'QBR', 'Review', 'None'])
            .default(st.type)
            .describe(`${p} strategic meeting type (§2.2, A-5)`),
          perYear: count(st.perYear, `${p} strategic meetings per year outside the annual-planning quarter (§2.2, A-5)`),
          executiveQbrPerYear: count(
            st.executiveQbrPerYear,
            `${p} of those, Executive QBRs (one per non-planning quarter) (§2.2)`,
          ),
          perYearAtTechTier: int()
            .min(0)
            .nullable()
            .default(st.perYearAtTechTier)
            .describe(`${p} strategic meetings per year at touch tier Tech; null = as perYear (§2.2, A-5)`),
          videoMinutes: z
            .object({
              min: z.number().min(0).describe(`${p} shortest video, minutes (§2.2)`),
              max: z.number().min(0).describe(`${p} longest video, minutes (§2.2)`),
            })
            .refine((r) => r.min <= r.max, { message: 'range must have min ≤ max', path: ['max'] })
            .nullable()
            .default(st.videoMinutes ? { min: st.videoMinutes[0], max: st.videoMinutes[1] } : null)
            .describe(`${p} length of the async review video; null = none (§2.2)`),
          mode: z
            .array(meetingModeSchema)
            .min(1)
            .default(() => [...st.mode])
            .describe(`${p} allowed strategic modes, preferred first (§2.2)`),
          accountable: roleOrNone(st.accountable, `${p} strategic Accountable; null = no strategic meetings (§2.19, A-11)`),
          recorder: roleOrNone(st.recorder, `${p} strategic recorder (§2.19, R-24)`),
        },
        `${p} strategic rhythm (§2.2)`,
      ),
      roadmap: group(
        {
          reviewedAt: z
            .enum(['executiveQbr', 'qbr', 'review', 'annual'])
            .default(v.roadmap.reviewedAt)
            .describe(`${p} meeting at which the roadmap is reviewed (§2.2, R-85)`),
          horizon: z
            .enum(['multiYear', 'twelveMonths', 'oneToTwoQuarters', 'lifecycleBoard'])
            .default(v.roadmap.horizon)
            .describe(`${p} roadmap depth (§2.2, R-85)`),
        },
        `${p} roadmap rhythm (§2.2)`,
      ),
      budget: group(
        {
          frequency: z
            .enum(['eachStrategic', 'semiannual', 'quarterly', 'annual'])
            .default(v.budget.frequency)
            .describe(`${p} budget review frequency (§2.2, R-81)`),
          view: z
            .enum(['rolling4QPlusYears', 'rolling4Q', 'semiannualView', 'onePageList'])
            .default(v.budget.view)
            .describe(`${p} budget format (§2.2, R-81)`),
          split: z
            .array(z.enum(['OpEx', 'CapEx']))
            .default(() => [...v.budget.split])
            .describe(`${p} budget split columns (R-81)`),
        },
        `${p} budget rhythm (§2.2)`,
      ),
      tactical: group(
        {
          type: z
            .enum(['checkIn', 'serviceReview'])
            .default(tt.type)
            .describe(`${p} tactical meeting kind (§2.2)`),
          byTouchTier: group(
            {
              VIP: freq(tt.byTouchTier.VIP, `${p} tactical frequency at VIP (§2.2)`),
              High: freq(tt.byTouchTier.High, `${p} tactical frequency at High (§2.2)`),
              Mid: freq(tt.byTouchTier.Mid, `${p} tactical frequency at Mid (§2.2)`),
              Tech: freq(tt.byTouchTier.Tech, `${p} tactical frequency at Tech (§2.2)`),
            },
            `${p} tactical/service frequency by touch tier (§2.2)`,
          ),
          asyncUpdate: freq(tt.asyncUpdate, `${p} async written update (optional for C) (§2.2)`),
          autoReport: freq(tt.autoReport, `${p} automatic report (§2.2)`),
          digitalTouch: freq(tt.digitalTouch, `${p} digital touch: email + 3-min video + booking link (§2.2)`),
        },
        `${p} tactical rhythm (§2.2)`,
      ),
      liveTargetPct: z
        .number()
        .min(0)
        .max(100)
        .nullable()
        .default(v.liveTargetPct)
        .describe(`${p} share of strategic meetings held live; null = async allowed (§2.2, R-39)`),
      defenseLoop: group(
        {
          enabled: flag(v.defenseLoop, `${p} run the Defense Loop (R-12)`),
          costToServeOverMonths: count(2, `${p} consecutive months over cost-to-serve target that trigger it (R-12)`),
        },
        `${p} D Defense Loop (R-12)`,
      ),
    },
    `Cadence for segment ${seg} (§2.2)`,
  );
}

const aOrBTactical = {
  type: 'checkIn',
  byTouchTier: { VIP: 'biweekly', High: 'monthly', Mid: 'quarterly', Tech: 'none' },
  asyncUpdate: 'none',
  autoReport: 'none',
  digitalTouch: 'none',
} as const;

const cadence = group(
  {
    A: segmentCadence('A', {
      annualPlanning: { meetings: 3, anchor: 'fyEnd', offsetDays: -30, mode: 'live' },
      strategic: {
        type: 'Monthly',
        perYear: 9,
        executiveQbrPerYear: 3,
        perYearAtTechTier: null,
        videoMinutes: null,
        mode: ['live'],
        accountable: 'vCIO',
        recorder: 'CSM',
      },
      roadmap: { reviewedAt: 'executiveQbr', horizon: 'multiYear' },
      budget: { frequency: 'eachStrategic', view: 'rolling4QPlusYears', split: ['OpEx', 'CapEx'] },
      tactical: { ...aOrBTactical, byTouchTier: { ...aOrBTactical.byTouchTier } },
      liveTargetPct: 80,
      defenseLoop: false,
    }),
    B: segmentCadence('B', {
      annualPlanning: { meetings: 2, anchor: 'fyEnd', offsetDays: -30, mode: 'live' },
      strategic: {
        type: 'QBR',
        perYear: 3,
        executiveQbrPerYear: 0,
        perYearAtTechTier: null,
        videoMinutes: null,
        mode: ['live', 'hybrid'],
        accountable: 'vCIO',
        recorder: 'CSM',
      },
      roadmap: { reviewedAt: 'qbr', horizon: 'twelveMonths' },
      budget: { frequency: 'semiannual', view: 'rolling4Q', split: ['OpEx', 'CapEx'] },
      tactical: { ...aOrBTactical, byTouchTier: { ...aOrBTactical.byTouchTier } },
      liveTargetPct: 80,
      defenseLoop: false,
    }),
    C: segmentCadence('C', {
      annualPlanning: { meetings: 1, anchor: 'fyEnd', offsetDays: -30, mode: 'hybrid' },
      strategic: {
        type: 'Review',
        perYear: 3,
        executiveQbrPerYear: 0,
        // C is semi-annual (annual + one mid-year review) only at touch tier Tech.
        perYearAtTechTier: 1,
        videoMinutes: [2, 3],
        mode: ['hybrid', 'async'],
        accountable: 'CSM',
        recorder: 'TAM',
      },
      roadmap: { reviewedAt: 'review', horizon: 'oneToTwoQuarters' },
      budget: { frequency: 'semiannual', view: 'semiannualView', split: [] },
      tactical: {
        type: 'serviceReview',
        byTouchTier: { VIP: 'biweekly', High: 'monthly', Mid: 'quarterly', Tech: 'triggerOnly' },
        asyncUpdate: 'monthly',
        autoReport: 'none',
        digitalTouch: 'none',
      },
      liveTargetPct: null,
      defenseLoop: false,
    }),
    D: segmentCadence('D', {
      annualPlanning: { meetings: 1, anchor: 'renewal', offsetDays: -90, mode: 'async' },
      strategic: {
        type: 'None',
        perYear: 0,
        executiveQbrPerYear: 0,
        perYearAtTechTier: null,
        videoMinutes: null,
        mode: ['async'],
        accountable: null,
        recorder: null,
      },
      roadmap: { reviewedAt: 'annual', horizon: 'lifecycleBoard' },
      budget: { frequency: 'quarterly', view: 'onePageList', split: [] },
      tactical: {
        type: 'serviceReview',
        byTouchTier: { VIP: 'biweekly', High: 'monthly', Mid: 'quarterly', Tech: 'triggerOnly' },
        asyncUpdate: 'none',
        autoReport: 'monthly',
        digitalTouch: 'quarterly',
      },
      liveTargetPct: null,
      defenseLoop: true,
    }),
    recurringSlot: group(
      {
        weekOfMonth: int().min(1).max(4).default(2).describe('Nth weekday of the month, 1–4 (R-11, A-13)'),
        weekday: weekday(2, 'ISO weekday of the recurring slot, Tue (R-11, A-13)'),
        time: time('10:00', 'Start time of the recurring slot (R-11, A-13)'),
      },
      'Recurring meeting slot: 2nd Tuesday 10:00 (R-11, A-13)',
    ),
    strategicMinutes: minutes(45, 'Strategic meeting length (R-11)'),
    strategicTimeboxMinutes: range(30, 45, 'Strategic timebox (R-11)'),
    tacticalMinutes: minutes(30, 'Tactical meeting length (R-11)'),
    tacticalTimeboxMinutes: range(20, 30, 'Tactical timebox (R-11)'),
    snapshotMaxMinutes: minutes(5, 'Executive Snapshot length cap (R-11)'),
    horizonMonths: count(12, 'Rolling booking horizon kept by the scheduler (R-10)'),
    tacticalSlot: group(
      {
        weekday: weekday(4, 'ISO weekday of tactical/service meetings, Thu (R-11, A-13)'),
        time: time('10:00', 'Start time of tactical/service meetings (R-11, A-13)'),
        monthlyWeek: int().min(1).max(4).default(2).describe('Week of the month for monthly and quarterly tactical meetings (R-11)'),
        biweeklyWeeks: z.array(int().min(1).max(4)).min(2).max(2).default(() => [1, 3]).describe('Weeks of the month for bi-weekly tactical meetings (R-11)'),
      },
      'Tactical/service meeting slot: 2nd Thursday 10:00, bi-weekly 1st and 3rd (R-11, A-13)',
    ),
  },
  'Cadence matrix (§2.2, R-10, R-11, A-5)',
);

// ---------------------------------------------------------------------------------------------
// Meeting cycle (R-24..R-32)

const meeting = group(
  {
    prepPackBusinessDays: days(5, 'Prep pack attached T-N business days before the meeting (R-24, C-4)'),
    prepPackDueTime: time('17:00', 'Time of day of the T-N bd prep deadline (C-4, R-24)'),
    prepCtaLeadBusinessDays: days(5, 'The prep-pack CTA opens this many business days before the prep pack is due (R-24)'),
    preReadOpensHoursBefore: hours(72, 'Pre-read window opens this long before start (R-26)'),
    preReadDueHoursBefore: hours(48, 'Pre-read + pre-flight due this long before start (R-26)'),
    maxDecisions: count(2, 'Max decisions (asks) per strategic session; more go to backlog (R-27)'),
    connectMinutes: minutes(2, 'Connect step length (R-27)'),
    clarifyMinutes: range(5, 10, 'Clarify step length: Snapshot + Health (R-27)'),
    recapHours: hours(48, 'Recap sent within this after the meeting ends (R-29)'),
    firstActionHours: hours(72, 'First action on any CTA within this of creation (R-30, C-5)'),
    chaseDays: window(7, 10, 'Open approvals chased on these days after the meeting (R-30)'),
  },
  'Meeting cycle (R-24..R-32)',
).superRefine((m, ctx) => {
  if (m.preReadOpensHoursBefore < m.preReadDueHoursBefore)
    issue(ctx, ['preReadDueHoursBefore'], 'pre-read must open before it is due (opens ≥ due hours before)');
});

// ---------------------------------------------------------------------------------------------
// CTAs: owners and escalation (R-122, C-5)

const ctas = group(
  {
    escalationChain: z
      .array(z.enum(['backup', 'csLead']))
      .min(1)
      .refine((c) => new Set(c).size === c.length, 'each level at most once')
      .default(() => ['backup' as const, 'csLead' as const])
      .describe('Who a CTA passes to, in order, each time its first-action SLA is breached: the named backup, then the CS Lead (R-122)'),
    escalationWindowHours: hours(72, 'After an escalation, the new owner has this long for a first action before the next level (R-122, C-5)'),
  },
  'CTA ownership and SLA escalation (R-122, C-5; first-action SLA is meeting.firstActionHours)',
);

// ---------------------------------------------------------------------------------------------
// Missed-cadence recovery (§2.5, R-33..R-35, A-13)

const missedCadence = group(
  {
    graceHours: hours(2, 'Meeting not marked held this long after scheduled end counts as missed (§2.5, A-13)'),
    lateCancelHours: hours(24, 'Cancellation less than this before start counts as missed (§2.5, A-13)'),
    rebookWithinDays: days(7, 'Rebook after the 1st miss within this (R-33)'),
    rescheduleWithinDays: days(7, 'Reschedule to ≤ original + this is not a miss (§2.5)'),
    reengageAtMiss: count(2, 'Consecutive misses that trigger Re-engage + At Risk (R-34)'),
    reviewAtMiss: count(3, 'Consecutive misses that trigger segment & cadence review (R-35)'),
    segmentReviewSlot: group(
      {
        weekOfMonth: int().min(1).max(4).default(1).describe('Monthly Segment Review: Nth weekday (R-35)'),
        weekday: weekday(2, 'Monthly Segment Review ISO weekday, Tue (R-35)'),
      },
      'Monthly Segment Review: first Tuesday (R-35)',
    ),
  },
  'Missed-cadence recovery (R-33..R-35)',
).superRefine((m, ctx) => {
  // The 1st miss is always a rebook, so escalation starts at the 2nd at the earliest.
  if (m.reengageAtMiss < 2) issue(ctx, ['reengageAtMiss'], 'reengageAtMiss must be ≥ 2');
  if (m.reviewAtMiss <= m.reengageAtMiss) issue(ctx, ['reviewAtMiss'], 'reviewAtMiss must be > reengageAtMiss');
});

// ---------------------------------------------------------------------------------------------
// Triggers (R-13..R-23, A-6, A-7, A-9, A-13)

const triggers = group(
  {
    renewalOffsetDays: offsetDays(-90, 'Renewal review on renewal + this (ROLL) (R-13)'),
    fyEndOffsetDays: offsetDays(-30, 'Budget session on FY-end + this (ROLL) (R-14)'),
    leadBusinessDays: days(10, 'Date triggers fire this many business days before the target (R-13, R-14, A-13)'),
    fireAt: time('09:00', 'Time of day date triggers fire (R-13, R-14)'),
    lateFyMeetWithinBusinessDays: days(10, 'FY learned late: meet within this (R-14)'),
    lateFyMinBusinessDaysBeforeFyEnd: days(1, 'FY learned late: meet at least this before FY-end (R-14)'),
    assessmentReviewDays: days(10, 'Roadmap review on assessment completion + this (ROLL) (R-15)'),
    assessmentReviewMinDays: days(1, 'Roadmap review not before completion + this (R-15)'),
    deliveryKickoffBusinessDays: days(10, 'Delivery kickoff within this after Approved (R-16)'),
    engagementDropMisses: count(2, 'Consecutive missed strategic meetings = engagement drop (R-17)'),
    decisionDroughtDays: days(30, 'Decision request pending this long = engagement drop (R-17, A-7)'),
    strategicDroughtSegments: z
      .array(z.enum(SEGMENTS))
      .default(() => ['A' as const])
      .describe('Segments where no decision in any strategic meeting for the drought also fires (R-17, A-7)'),
    resetWithinDays: days(7, '30-min reset session held within this (R-17)'),
    resetMinutes: minutes(30, 'Reset session length (R-17)'),
    adoptionSyncDays: days(5, 'TAM remediation sync within this (ROLL) (R-18, A-9)'),
    adoptionFixDays: days(14, 'Adoption fixed within this (R-18, A-9)'),
    thresholds: group(
      {
        mfaMinPct: pct(60, 'MFA coverage below this = adoption trigger + fix-first gate (R-18, R-121)'),
        endpointMinPct: pct(80, 'Endpoint coverage below this = adoption trigger + fix-first gate (R-18, R-121)'),
        backupMinPct: pct(95, 'Backup success below this, rolling window (R-114)'),
      },
      'Adoption thresholds (R-18, R-114, R-121)',
    ),
    backupWindowDays: days(30, 'Rolling window for backup success (R-114)'),
    stakeholderChange: group(
      {
        enabled: flag(true, 'Optional trigger: stakeholder change / champion left (R-19)'),
        withinDays: days(10, 'New-sponsor intro within this (R-19)'),
        handoffNoteHours: hours(24, 'Handoff note within this (R-19)'),
      },
      'Optional stakeholder-change trigger (R-19)',
    ),
    missedSla: group(
      {
        enabled: flag(true, 'Optional trigger: missed-SLA threshold (R-20)'),
        withinDays: days(5, 'Root cause + client comms within this (R-20)'),
      },
      'Optional missed-SLA trigger (R-20)',
    ),
    owners: group(
      {
        renewal: role('AM', 'Renewal trigger owner (R-13)'),
        deliveryKickoff: role('PM', 'Delivery kickoff owner (R-16)'),
        engagementDrop: role('CSM', 'Engagement-drop owner (R-17)'),
        adoption: role('TAM', 'Adoption-below-threshold owner (R-18)'),
        stakeholderChange: role('CSM', 'Stakeholder-change owner (R-19)'),
        missedSla: role('TAM', 'Missed-SLA owner (R-20)'),
      },
      'Fixed trigger owners; FY and assessment triggers use raci.<seg>.dateTriggerOwner (R-13..R-20)',
    ),
    coverageTargetPct: pct(100, 'Active clients with the six triggers or a queue (R-23)'),
    firstActionOnTimeTargetPct: pct(95, 'Trigger first actions within firstActionHours (R-23)'),
  },
  'Triggers (R-13..R-23)',
);

// ---------------------------------------------------------------------------------------------
// Onboarding Day 0–90 (R-46..R-58)

const onboarding = group(
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
    workingAgreementDaysAfterClose: days(30, 'Year booked + Working Agreement within this after close (R-58)'),
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

// ---------------------------------------------------------------------------------------------
// Annual planning (R-62..R-66)

const annualPlanning = group(
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

const discoveryAssessment = group(
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
  },
  'Discovery and assessment (R-67..R-70)',
);

// ---------------------------------------------------------------------------------------------
// Initiatives (R-71..R-75, A-4)

const initiatives = group(
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
  },
  'Initiatives (R-71..R-75)',
);

// ---------------------------------------------------------------------------------------------
// Proposals (R-76..R-80, A-17)

const proposals = group(
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

const budget = group(
  {
    preApprovalReengageDays: days(31, 'Pre-approval age → re-engage CTA (R-83, A-17)'),
    preApprovalResequenceDays: days(61, 'Pre-approval age → expires, initiative Parked (R-83, A-17)'),
    varianceGreenMaxPct: pct(20, 'Forecast vs actual variance within ±this is green (R-84)'),
    varianceInvestigateAbovePct: pct(20, 'Variance above this → investigate CTA + At Risk (R-84, R-93)'),
    realizationMinPct: pct(40, 'Budgeted → approved in-quarter below this … (R-84)'),
    realizationQuarters: count(2, '… for this many quarters → simplify scope (R-84)'),
    maxDecisionFlags: count(2, 'Max decision flags in a budget snapshot (R-82, prep pack)'),
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

const roadmap = group(
  {
    freshnessDays: segDays({ A: 120, B: 120, C: 180, D: 365 }, 'Roadmap reviewed at least this often (R-86)'),
    staleAfterQuarters: count(2, 'Roadmap unchanged longer than this → health warning (R-86)'),
    prepPackHorizonQuarters: count(2, 'Roadmap quarters shown in the prep pack (§1 Prep pack)'),
  },
  'Roadmap and strategy (R-85..R-87)',
);

// ---------------------------------------------------------------------------------------------
// Deliverables / reports

const deliverables = group(
  {
    unopenedReminderBusinessDays: days(5, 'Delivered but unopened this long → reminder + management alert (R-88)'),
    liveTargetPct: pct(80, 'A/B deliverables presented live at least this share (R-39, R-88)'),
    liveTargetSegments: z
      .array(z.enum(SEGMENTS))
      .default(() => ['A' as const, 'B' as const])
      .describe('Segments held to liveTargetPct (R-39)'),
  },
  'Deliverables and reports (R-88)',
);

// ---------------------------------------------------------------------------------------------
// Health (R-104..R-110, A-3, A-18, A-20)

const dims = { cx: 20, adoption: 20, engagement: 20, serviceQuality: 20, alignment: 20 };
const serviceBands: Seg<[number, number]> = { A: [85, 75], B: [80, 70], C: [75, 60], D: [70, 55] };

const health = group(
  {
    snapshotTimeOnLastBusinessDay: time('17:00', 'Monthly snapshot on the last business day at this time (§2.18)'),
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

const playsAndGates = group(
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
    fixFirstGate: flag(true, 'Block non-remediation proposals/tier-2 initiatives below adoption thresholds (R-121)'),
  },
  'Health plays and gates (R-32, R-111..R-121)',
);

// ---------------------------------------------------------------------------------------------
// At Risk (R-93..R-103, A-19)

const atRisk = group(
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
    repeatWindowDays: days(120, 'Repeat-risk window after closure (R-103)'),
  },
  'At Risk (R-93..R-103)',
).superRefine((r, ctx) => {
  if (r.h1Days.to >= r.h2Days.from) issue(ctx, ['h2Days', 'from'], 'h2Days must start after h1Days ends');
  if (r.resolveDays > r.escalateDays) issue(ctx, ['escalateDays'], 'escalateDays must be ≥ resolveDays');
});

// ---------------------------------------------------------------------------------------------
// KPIs

const kpis = group(
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
  'KPI targets (R-39, R-45, R-57, R-80, R-103)',
);

// ---------------------------------------------------------------------------------------------
// RACI by segment (§2.19, R-122, A-11)

interface SegmentRaciDefaults {
  cadenceOwner: Role;
  cadenceBackup: Role;
  annualPlanning: { accountable: Role; accountableFallback: Role | null; presenter: Role | null; recorder: Role | null; consulted: Role[]; backup: Role };
  strategic: { accountable: Role; presenter: Role; recorder: Role; consulted: Role[]; informed: Role[]; backup: Role } | null;
  serviceReview: { optional: boolean; accountable: Role; consulted: Role[]; informed: Role[]; backup: Role };
  roadmapBudget: { accountable: Role; responsible: Role | null; consulted: Role[] };
  adoption: { dataOwner: Role; followThrough: Role };
  atRisk: { owner: Role; presenter: Role };
  processOwners: { onboardingAccountable: Role; kickoffPresenter: Role; prepReviewSignoff: Role; dateTriggerOwner: Role; discoveryOwner: Role; reengagePresenter: Role };
}

const strategicRaci = (v: NonNullable<SegmentRaciDefaults['strategic']>, p: string) =>
  z.object({
    accountable: role(v.accountable, `${p} strategic Accountable (§2.19)`),
    presenter: role(v.presenter, `${p} strategic presenter (§2.19)`),
    recorder: role(v.recorder, `${p} strategic recorder (§2.19)`),
    consulted: roles(v.consulted, `${p} strategic Consulted (§2.19)`),
    informed: roles(v.informed, `${p} strategic Informed (§2.19)`),
    backup: role(v.backup, `${p} strategic backup (§2.19)`),
  });

function segmentRaci(seg: string, v: SegmentRaciDefaults) {
  const p = `${seg}:`;
  const defaultStrategic = v.strategic;
  return group(
    {
      cadenceOwner: role(v.cadenceOwner, `${p} Cadence Owner (§2.19, A-11)`),
      cadenceBackup: role(v.cadenceBackup, `${p} Cadence Owner backup (§2.19, R-122)`),
      annualPlanning: group(
        {
          accountable: role(v.annualPlanning.accountable, `${p} annual planning Accountable (§2.19)`),
          accountableFallback: roleOrNone(v.annualPlanning.accountableFallback, `${p} Accountable when none of that role (§2.19)`),
          presenter: roleOrNone(v.annualPlanning.presenter, `${p} annual planning presenter (§2.19)`),
          recorder: roleOrNone(v.annualPlanning.recorder, `${p} annual planning recorder (§2.19)`),
          consulted: roles(v.annualPlanning.consulted, `${p} annual planning Consulted (§2.19)`),
          backup: role(v.annualPlanning.backup, `${p} annual planning backup (§2.19, R-122)`),
        },
        `${p} annual planning RACI (§2.19)`,
      ),
      // D has no strategic meetings ("—"); if an MSP adds them, unset fields follow D's
      // annual-planning line (TAM, backup CSM) rather than another segment's roles.
      strategic: strategicRaci(
        defaultStrategic ?? { accountable: 'TAM', presenter: 'TAM', recorder: 'TAM', consulted: [], informed: [], backup: 'CSM' },
        p,
      )
        .nullable()
        .default(() => (defaultStrategic ? copyStrategicRaci(defaultStrategic) : null))
        .describe(`${p} strategic/QBR RACI; null = no strategic meetings (§2.19)`),
      serviceReview: group(
        {
          optional: flag(v.serviceReview.optional, `${p} Service Review optional (§2.19)`),
          accountable: role(v.serviceReview.accountable, `${p} Service Review Accountable (§2.19)`),
          consulted: roles(v.serviceReview.consulted, `${p} Service Review Consulted (on scope change) (§2.19)`),
          informed: roles(v.serviceReview.informed, `${p} Service Review Informed (§2.19)`),
          backup: role(v.serviceReview.backup, `${p} Service Review backup (§2.19)`),
        },
        `${p} Service Review RACI (§2.19)`,
      ),
      roadmapBudget: group(
        {
          accountable: role(v.roadmapBudget.accountable, `${p} roadmap & budget Accountable (§2.19, R-81, R-85)`),
          responsible: roleOrNone(v.roadmapBudget.responsible, `${p} roadmap & budget Responsible (§2.19)`),
          consulted: roles(v.roadmapBudget.consulted, `${p} roadmap & budget Consulted (§2.19)`),
        },
        `${p} roadmap & budget RACI (§2.19)`,
      ),
      adoption: group(
        {
          dataOwner: role(v.adoption.dataOwner, `${p} adoption/DMI data (§2.19)`),
          followThrough: role(v.adoption.followThrough, `${p} adoption follow-through (§2.19)`),
        },
        `${p} adoption/DMI RACI (§2.19)`,
      ),
      healthAlerts: group(
        {
          accountable: role('CSM', `${p} health & alerts Accountable (§2.19)`),
          responsible: role('TAM', `${p} health & alerts Responsible (§2.19)`),
          informed: roles(['AM', 'vCIO'], `${p} health & alerts Informed (§2.19)`),
          backup: role('AM', `${p} health & alerts backup (§2.19)`),
        },
        `${p} health & alerts RACI (§2.19)`,
      ),
      renewalPricing: group(
        {
          accountable: role('AM', `${p} renewal & pricing Accountable (§2.19)`),
          consulted: roles(['CSM'], `${p} renewal & pricing Consulted (§2.19)`),
          informed: roles(['vCIO'], `${p} renewal & pricing Informed (§2.19)`),
        },
        `${p} renewal & pricing RACI (§2.19)`,
      ),
      atRisk: group(
        {
          owner: role(v.atRisk.owner, `${p} At Risk owner; Service bucket uses atRisk.ownerByBucket (§2.19, R-94)`),
          presenter: role(v.atRisk.presenter, `${p} At Risk presenter (§2.19)`),
          commercial: role('AM', `${p} At Risk commercial lead (§2.19)`),
          escalation: role('CS Lead', `${p} At Risk escalation / CS Manager (§2.19, R-94)`),
        },
        `${p} At Risk RACI (§2.19)`,
      ),
      nrr: group(
        {
          accountable: role('AM', `${p} NRR/NDR Accountable (§2.19)`),
          responsible: role('TAM', `${p} NRR/NDR Responsible (§2.19)`),
          consulted: roles(['CSM', 'vCIO'], `${p} NRR/NDR Consulted (§2.19)`),
        },
        `${p} NRR/NDR RACI (§2.19)`,
      ),
      processOwners: group(
        {
          onboardingAccountable: role(v.processOwners.onboardingAccountable, `${p} onboarding Accountable (R-46, A-11)`),
          kickoffPresenter: role(v.processOwners.kickoffPresenter, `${p} kickoff presenter (R-47)`),
          prepReviewSignoff: role(v.processOwners.prepReviewSignoff, `${p} prep review sign-off (R-25)`),
          dateTriggerOwner: role(v.processOwners.dateTriggerOwner, `${p} FY-end and assessment trigger owner (R-14, R-15)`),
          discoveryOwner: role(v.processOwners.discoveryOwner, `${p} Discovery owner (R-64, R-67)`),
          reengagePresenter: role(v.processOwners.reengagePresenter, `${p} At Risk re-engage presenter (R-97)`),
        },
        `${p} owners of other segment-dependent steps (§2 rules citing A/B/C/D owners)`,
      ),
    },
    `RACI for segment ${seg} (§2.19)`,
  );
}

function copyStrategicRaci<T extends { consulted: Role[]; informed: Role[] }>(v: T): T {
  return { ...v, consulted: [...v.consulted], informed: [...v.informed] };
}

const abRaci = (): SegmentRaciDefaults => ({
  cadenceOwner: 'CSM',
  cadenceBackup: 'AM',
  annualPlanning: { accountable: 'vCIO', accountableFallback: null, presenter: 'vCIO', recorder: 'CSM', consulted: ['AM', 'TAM'], backup: 'CSM' },
  strategic: { accountable: 'vCIO', presenter: 'vCIO', recorder: 'CSM', consulted: ['AM', 'TAM'], informed: [], backup: 'CSM' },
  serviceReview: { optional: true, accountable: 'TAM', consulted: ['CSM', 'AM'], informed: ['vCIO'], backup: 'CSM' },
  roadmapBudget: { accountable: 'vCIO', responsible: 'CSM', consulted: ['AM', 'TAM'] },
  adoption: { dataOwner: 'TAM', followThrough: 'CSM' },
  atRisk: { owner: 'CSM', presenter: 'vCIO' },
  processOwners: {
    onboardingAccountable: 'CSM',
    kickoffPresenter: 'vCIO',
    prepReviewSignoff: 'vCIO',
    dateTriggerOwner: 'vCIO',
    discoveryOwner: 'vCIO',
    reengagePresenter: 'vCIO',
  },
});

const raci = group(
  {
    A: segmentRaci('A', {
      ...abRaci(),
      // A adds SMEs (vCISO/vCTO when justified) as Consulted and TAM as Informed.
      strategic: { accountable: 'vCIO', presenter: 'vCIO', recorder: 'CSM', consulted: ['AM', 'vCISO', 'vCTO'], informed: ['TAM'], backup: 'CSM' },
    }),
    B: segmentRaci('B', abRaci()),
    C: segmentRaci('C', {
      cadenceOwner: 'CSM',
      cadenceBackup: 'TAM',
      annualPlanning: { accountable: 'vCIO', accountableFallback: 'CSM', presenter: 'CSM', recorder: 'TAM', consulted: [], backup: 'AM' },
      strategic: { accountable: 'CSM', presenter: 'CSM', recorder: 'TAM', consulted: ['AM'], informed: [], backup: 'AM' },
      serviceReview: { optional: false, accountable: 'TAM', consulted: ['CSM', 'AM'], informed: ['vCIO'], backup: 'CSM' },
      roadmapBudget: { accountable: 'CSM', responsible: null, consulted: ['TAM', 'AM'] },
      adoption: { dataOwner: 'TAM', followThrough: 'CSM' },
      atRisk: { owner: 'CSM', presenter: 'CSM' },
      processOwners: {
        onboardingAccountable: 'CSM',
        kickoffPresenter: 'CSM',
        prepReviewSignoff: 'CSM',
        dateTriggerOwner: 'CSM',
        discoveryOwner: 'CSM',
        reengagePresenter: 'CSM',
      },
    }),
    D: segmentRaci('D', {
      cadenceOwner: 'TAM',
      cadenceBackup: 'CSM',
      annualPlanning: { accountable: 'TAM', accountableFallback: null, presenter: null, recorder: null, consulted: [], backup: 'CSM' },
      strategic: null,
      serviceReview: { optional: false, accountable: 'TAM', consulted: [], informed: [], backup: 'CSM' },
      roadmapBudget: { accountable: 'TAM', responsible: null, consulted: ['AM'] },
      adoption: { dataOwner: 'TAM', followThrough: 'TAM' },
      atRisk: { owner: 'TAM', presenter: 'TAM' },
      processOwners: {
        onboardingAccountable: 'TAM',
        kickoffPresenter: 'TAM',
        prepReviewSignoff: 'CSM',
        dateTriggerOwner: 'TAM',
        discoveryOwner: 'TAM',
        reengagePresenter: 'TAM',
      },
    }),
  },
  'Roles and RACI by segment (§2.19)',
);

// ---------------------------------------------------------------------------------------------
// The document

const policyShape = {
  calendar,
  segmentation,
  investment,
  capacity,
  cadence,
  meeting,
  ctas,
  missedCadence,
  triggers,
  onboarding,
  annualPlanning,
  discoveryAssessment,
  initiatives,
  proposals,
  budget,
  roadmap,
  deliverables,
  health,
  playsAndGates,
  atRisk,
  kpis,
  raci,
};

export const policySchema = z
  .object(policyShape)
  .superRefine((p, ctx) => {
    // The §2.2 matrix and the annual-planning area state the same anchors; a document that says two
    // different things is rejected rather than silently preferring one.
    for (const seg of SEGMENTS) {
      const ap = p.cadence?.[seg]?.annualPlanning;
      const area = p.annualPlanning;
      if (!ap || !area) continue;
      const expected = ap.anchor === 'fyEnd' ? area.finalMeetingOffsetDays : area.dAnchorRenewalOffsetDays;
      const areaKey = ap.anchor === 'fyEnd' ? 'finalMeetingOffsetDays' : 'dAnchorRenewalOffsetDays';
      if (ap.offsetDays !== expected)
        issue(ctx, ['cadence', seg, 'annualPlanning', 'offsetDays'], `must equal annualPlanning.${areaKey} (${expected})`);
      if (ap.spacingDays !== area.spacingDays)
        issue(ctx, ['cadence', seg, 'annualPlanning', 'spacingDays'], `must equal annualPlanning.spacingDays (${area.spacingDays})`);
    }
  })
  .describe('Baton policy document (DOMAIN.md §4)');

export type Policy = z.infer<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;

export interface PolicyIssue {
  path: string;
  message: string;
}
export type PolicyResult = { ok: true; policy: Policy } | { ok: false; issues: PolicyIssue[] };

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The §4 defaults. Frozen: callers derive new documents (applyClientOverrides), never mutate this. */
export const defaultPolicy: Policy = deepFreeze(policySchema.parse({}));

function toIssues(error: z.ZodError, unknownKeyMessage: (path: string[]) => string = () => 'Unknown key'): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  for (const i of error.issues) {
    const base = i.path.map(String);
    // One issue per unknown key, addressed at the key itself, so callers can point at it.
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) out.push({ path: [...base, k].join('.'), message: unknownKeyMessage([...base, k]) });
    } else {
      out.push({ path: base.join('.'), message: i.message });
    }
  }
  return out;
}

export function parsePolicy(input: unknown): PolicyResult {
  const r = policySchema.safeParse(input);
  return r.success ? { ok: true, policy: r.data } : { ok: false, issues: toIssues(r.error) };
}

// ---------------------------------------------------------------------------------------------
// Diff

export interface PolicyChange {
  path: string;
  before: unknown;
  after: unknown;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Leaf-level diff of two JSON documents, sorted by path; arrays are leaves compared as JSON. */
export function diffPolicies(before: unknown, after: unknown): PolicyChange[] {
  const out: PolicyChange[] = [];
  const walk = (a: unknown, b: unknown, path: string[]): void => {
    const aObj = isPlainObject(a);
    const bObj = isPlainObject(b);
    if ((aObj || a === undefined) && (bObj || b === undefined) && (aObj || bObj)) {
      const keys = new Set([...Object.keys(aObj ? a : {}), ...Object.keys(bObj ? b : {})]);
      for (const k of keys) walk(aObj ? a[k] : undefined, bObj ? b[k] : undefined, [...path, k]);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path: path.join('.'), before: a, after: b });
  };
  walk(before, after, []);
  // Code-unit order, not localeCompare: the result must not depend on the runtime's locale.
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// Per-client overrides

/**
 * Areas that govern one client's processes. Segmentation, investment, capacity, KPIs and
 * plays/gates are MSP-wide portfolio settings and cannot be overridden per client.
 */
export const CLIENT_OVERRIDE_AREAS = [
  'calendar',
  'cadence',
  'meeting',
  'missedCadence',
  'triggers',
  'onboarding',
  'annualPlanning',
  'discoveryAssessment',
  'proposals',
  'budget',
  'roadmap',
  'deliverables',
  'health',
  'atRisk',
  'raci',
] as const satisfies readonly (keyof Policy)[];
export type ClientOverrideArea = (typeof CLIENT_OVERRIDE_AREAS)[number];

type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;
export type ClientOverrides = DeepPartial<Pick<Policy, ClientOverrideArea>>;

/**
 * Deep-partial, strict mirror of a schema. Defaults are stripped (an override must not re-assert
 * seed values over the MSP's policy) and object-level refinements are dropped (they are checked
 * on the merged document); leaf constraints stay, so a bad value is reported at its own path.
 */
function overrideSchemaOf(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodPrefault) s = s.unwrap() as z.ZodType;
  if (s instanceof z.ZodNullable) {
    const inner = s.unwrap() as z.ZodType;
    return inner instanceof z.ZodObject ? overrideSchemaOf(inner).nullable() : s;
  }
  if (s instanceof z.ZodObject) {
    const shape: Record<string, z.ZodType> = {};
    for (const [k, v] of Object.entries(s.shape as Record<string, z.ZodType>)) shape[k] = overrideSchemaOf(v).optional();
    return z.strictObject(shape);
  }
  return s;
}

export const clientOverrideSchema = overrideSchemaOf(
  z.object(Object.fromEntries(CLIENT_OVERRIDE_AREAS.map((a) => [a, policyShape[a]]))),
) as z.ZodType<ClientOverrides>;

/** Objects merge key by key; arrays, scalars and null replace; undefined leaves the base. */
function deepMerge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = deepMerge(base[k], v);
  return out;
}

/** Applies a client's overrides to the MSP policy and re-validates the whole result. */
export function applyClientOverrides(policy: Policy, overrides: unknown): PolicyResult {
  const o = clientOverrideSchema.safeParse(overrides ?? {});
  if (!o.success) {
    const explain = (path: string[]) =>
      path.length === 1 && path[0]! in policyShape
        ? `'${path[0]}' is an MSP-wide setting and cannot be overridden per client`
        : 'Unknown key';
    return { ok: false, issues: toIssues(o.error, explain) };
  }
  return parsePolicy(deepMerge(policy, o.data));
}

// ---------------------------------------------------------------------------------------------
// Publishing

/**
 * Strict, complete mirror of a schema: every key is required (defaults are stripped, so a missing
 * key is an error, never a silent seed value) and unknown keys are refused. Object refinements
 * are dropped here and checked on the whole document by `parsePolicy` afterwards.
 */
function completeSchemaOf(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodPrefault) s = s.unwrap() as z.ZodType;
  if (s instanceof z.ZodNullable) {
    const inner = s.unwrap() as z.ZodType;
    return inner instanceof z.ZodObject ? completeSchemaOf(inner).nullable() : s;
  }
  if (s instanceof z.ZodObject) {
    const shape: Record<string, z.ZodType> = {};
    for (const [k, v] of Object.entries(s.shape as Record<string, z.ZodType>)) shape[k] = completeSchemaOf(v);
    return z.strictObject(shape);
  }
  return s;
}

const completePolicySchema = completeSchemaOf(z.object(policyShape));
const policyPatchSchema = overrideSchemaOf(z.object(policyShape));

/**
 * How a published document relates to the version in force:
 * - `replace` (default): the document is the whole policy; every key must be present.
 * - `merge`: the document is a deep patch on the active version (objects merge key by key;
 *   arrays, scalars and null replace).
 * Either way unknown keys are refused, naming each one, and the result is validated in full.
 */
export type PublishMode = 'replace' | 'merge';

export function parsePolicyForPublishing(document: unknown, mode: PublishMode, active: Policy): PolicyResult {
  const strict = (mode === 'replace' ? completePolicySchema : policyPatchSchema).safeParse(document);
  if (!strict.success) {
    return {
      ok: false,
      issues: toIssues(strict.error).map((i) =>
        /received undefined/.test(i.message)
          ? { path: i.path, message: 'Missing: a published document names every key (send the whole policy, or publish with mode "merge")' }
          : i,
      ),
    };
  }
  return parsePolicy(mode === 'replace' ? document : deepMerge(active, strict.data));
}
