/** Policy area: Governance rhythm. Pure (imported from workflow code). */
import { z } from 'zod';
import { count, days, flag, group, hours, int, issue, minutes, role, time, weekday } from './vocabulary.js';
import { isValidTimeZone } from '../business-time.js';

// ---------------------------------------------------------------------------------------------
// Governance routines and the threshold-change rule

const weeklyShape = (weekdayDefault: number, timeDefault: string, minutesDefault: number, d: string) => ({
  enabled: flag(true, `${d}: runs (R-125)`),
  weekday: weekday(weekdayDefault, `${d}: ISO weekday, 1 = Mon (R-125)`),
  time: time(timeDefault, `${d}: start, local time in governance.timeZone (R-125)`),
  minutes: minutes(minutesDefault, `${d}: length (R-125)`),
});

/**
 * Path prefixes of the policy that are thresholds in the sense of R-125 ("thresholds change at most
 * once a quarter, never mid-quarter"): colour bands, KPI targets, trigger and gate lines, segment
 * boundaries and the load lines. A change under one of them is a threshold change.
 */
export const DEFAULT_THRESHOLD_PATHS = [
  'segmentation.highScoreCutoff',
  'segmentation.goal5RequiresBothAtLeast',
  'segmentation.mrrTiers',
  'segmentation.cToBDmiMinPct',
  'segmentation.cToBEngagementGreenQuarters',
  'segmentation.falseAlertRetuneAbovePct',
  'capacity.autoBookCapPct',
  'capacity.loadTargetPct',
  'capacity.rebalanceAbovePct',
  'capacity.monthSpreadMaxPct',
  'triggers.thresholds',
  'health',
  'playsAndGates',
  'atRisk',
  'kpis',
  'governance.thresholdPaths',
  'governance.thresholdChangeWindowDays',
] as const;

export const governance = () => group(
  {
    timeZone: z.string().min(1).default('UTC').describe('IANA zone of the MSP: when the governance routines run and where quarters start (R-125, C-7)'),
    weeklyAmCsm: group(
      {
        ...weeklyShape(1, '09:00', 30, 'Weekly AM/CSM (R-125)'),
        lookaheadDays: days(14, 'Weekly AM/CSM: QBRs, asks and assets of the next N days (R-125)'),
      },
      'Weekly AM/CSM, 30 min: next 14 days of QBRs, asks, assets (R-125)',
    ),
    weeklyCsOps: group(
      weeklyShape(1, '11:00', 30, 'Weekly CS Ops'),
      'Weekly CS Ops and Cadence Radar, 20–30 min: health deltas, trigger audit and queue, data fixes, top past-due strategic meetings, 30-day load by role (R-125, R-38, R-23)',
    ),
    monthlySegmentReview: group(
      {
        enabled: flag(true, 'Monthly Segment Review: runs (R-125)'),
        time: time('10:00', 'Monthly Segment Review: start, local time in governance.timeZone; the day is missedCadence.segmentReviewSlot (first Tuesday, R-35)'),
        minutes: minutes(60, 'Monthly Segment Review: length (R-125)'),
      },
      'Monthly Segment Review, 60 min, on missedCadence.segmentReviewSlot: heatmap, owners, campaigns, credit-gate and A-gate checks, R-35 cadence reviews, R-60 governance KPIs, R-23 smoke test, R-12 Defense Loop (R-125)',
    ),
    quarterlyPortfolio: group(
      {
        enabled: flag(true, 'Quarterly Portfolio: runs (R-125)'),
        weekOfMonth: int().min(1).max(4).default(1).describe('Quarterly Portfolio: Nth weekday of the quarter\'s first month (R-125)'),
        weekday: weekday(3, 'Quarterly Portfolio: ISO weekday, Wed, the day after the first-Tuesday Monthly Segment Review (R-125)'),
        time: time('10:00', 'Quarterly Portfolio: start, local time in governance.timeZone (R-125)'),
        minutes: minutes(90, 'Quarterly Portfolio: length (R-125)'),
      },
      'Quarterly Portfolio, 90 min, in the first week of each calendar quarter: OKRs, playbooks, RACI, segment placement (R-125, R-7, R-8)',
    ),
    heldGraceHours: hours(24, 'A session not reported held this long after its end is recorded as missed (R-125)'),
    thresholdChangeWindowDays: days(14, 'A threshold may change only in the first N days of a calendar quarter (after the Quarterly Portfolio review), at most once a quarter; later is mid-quarter (R-125)'),
    thresholdPaths: z
      .array(z.string().regex(/^[A-Za-z]+(\.[A-Za-z0-9]+)*$/, 'a dotted policy path'))
      .min(1)
      .default(() => [...DEFAULT_THRESHOLD_PATHS])
      .describe('Policy paths (prefixes) that are thresholds (R-125)'),
    correctivePlayOwner: role('CS Lead', 'Owner of the Corrective Play CTA: template refresh + coaching (R-60)'),
    correctivePlayDueDays: days(14, 'Corrective Play CTA due this many days after it opens (R-60)'),
    monthSpreadOwner: role('CS Lead', 'Owner of the month-spread CTA: which meetings to move (R-37)'),
    rebalanceSegments: z
      .array(z.enum(['A', 'B', 'C', 'D']))
      .min(1)
      .default(() => ['B' as const, 'C' as const])
      .describe('Segments whose meetings the next-week rebalance proposes to move, B/C (R-37)'),
    rebalanceWeeksAhead: count(4, 'A meeting proposed for a move goes to the first of the next N weeks with room under capacity.loadTargetPct (R-37)'),
    noisyTriggerFires: count(3, 'Noisy triggers: one trigger firing this often for one client within noisyTriggerWindowDays is listed for pruning at the weekly radar (R-38)'),
    noisyTriggerWindowDays: days(30, 'Noisy-trigger window (R-38)'),
    smokeTestClientIds: z
      .array(z.string().uuid())
      .max(100)
      .default(() => [])
      .describe('Monthly smoke test: pilot or sandbox clients whose triggers must each fire once a month; empty = the whole portfolio (R-23)'),
  },
  'Governance rhythm: routines, R-60 corrective plays, R-125 threshold changes, R-37 spread (R-23, R-37, R-38, R-60, R-125)',
).superRefine((g, ctx) => {
  if (!isValidTimeZone(g.timeZone)) issue(ctx, ['timeZone'], `unknown IANA time zone '${g.timeZone}'`);
});
