/** Policy areas: Segmentation (R-1..R-3, R-7..R-9, R-110, A-1, A-2, A-16). Pure (imported from workflow code). */
import { z } from 'zod';
import { TOUCH_TIERS, band, count, days, flag, group, int, issue, pct, touchTierSchema, usd } from './vocabulary.js';

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

export const segmentation = () => group(
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
