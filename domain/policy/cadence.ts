/** Policy areas: Cadence matrix (§2.2, R-10..R-12, A-5, A-13). Pure (imported from workflow code). */
import { z } from 'zod';
import { TOUCH_TIERS, count, days, flag, freq, group, int, meetingModeSchema, minutes, offsetDays, range, roleOrNone, time, weekday, type Frequency, type Role } from './vocabulary.js';

// ---------------------------------------------------------------------------------------------
// Cadence matrix (§2.2, R-10..R-12, A-5, A-13)

interface SegmentCadenceDefaults {
  annualPlanning: { meetings: number; anchor: 'fyEnd' | 'renewal'; offsetDays: number; mode: 'live' | 'hybrid' | 'async'; firstMeetingMinutes?: number };
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
          firstMeetingMinutes: int()
            .min(1)
            .nullable()
            .default(ap.firstMeetingMinutes ?? null)
            .describe(`${p} length of the cycle's first meeting (M1) when it differs from cadence.strategicMinutes: A's M1 is the 90-min CEO session (R-65); null = strategicMinutes`),
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
          incidentSpikeFactor: z.number().min(1).default(1.5).describe(`${p} incident spike: a month's incidents at least this × the average of the trailing months (R-12; the seed names the trigger, not its line)`),
          incidentSpikeMin: count(3, `${p} incident spike: and at least this many incidents in the month (R-12)`),
          trailingMonths: count(3, `${p} months the incident average is taken over (R-12)`),
          exceptionAgeRisingMonths: count(2, `${p} rising exception age: the oldest open exception's age rose this many months running (R-12)`),
          triggerCtaDueDays: count(5, `${p} a Defense Loop trigger's stability-review CTA to the TAM is due this many days later (R-12; as R-116's root cause)`),
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

export const cadence = () => group(
  {
    A: segmentCadence('A', {
      annualPlanning: { meetings: 3, anchor: 'fyEnd', offsetDays: -30, mode: 'live', firstMeetingMinutes: 90 },
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
        weekday: weekday(2, 'ISO weekday of tactical/service meetings; by default the recurring slot\'s, Tue (R-11, A-25)'),
        time: time('10:00', 'Start time of tactical/service meetings; by default the recurring slot\'s (R-11, A-25)'),
        monthlyWeek: int().min(1).max(4).default(2).describe('Week of the month for monthly and quarterly tactical meetings (R-11, A-25)'),
        biweeklyWeeks: z.array(int().min(1).max(4)).min(2).max(2).default(() => [2, 4]).describe('Weeks of the month for bi-weekly tactical meetings: the recurring slot\'s week and two weeks later (R-11, A-25)'),
      },
      'Tactical/service series slot (A-25): by default the recurring slot itself (2nd Tuesday 10:00; bi-weekly 2nd and 4th), so tactical and strategic series share one slot; an occurrence a strategic meeting holds is skipped (the strategic meeting covers it)',
    ),
  },
  'Cadence matrix (§2.2, R-10, R-11, A-5)',
);
