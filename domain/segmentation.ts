/**
 * Client placement (DOMAIN.md §2.1): segment and goal level from maturity/appetite,
 * MRR tier and touch tier. Every threshold comes from `policy.segmentation`.
 *
 * Pure and deterministic (imported from Temporal workflow code).
 */
import type { Policy } from './policy.js';

export type Segment = 'A' | 'B' | 'C' | 'D';
export type TouchTier = 'VIP' | 'High' | 'Mid' | 'Tech';
export type MrrTier = 'High' | 'Mid' | 'Low';
export type Archetype = 'Transform' | 'Modernize' | 'Educate' | 'Sustain';
export type GoalLevel = 1 | 2 | 3 | 4 | 5;
export type Band = 'Low' | 'High';
export type SegmentationPolicy = Policy['segmentation'];

export interface SegmentationInput {
  /** Maturity score, integer 1..5. */
  maturity: number;
  /** Appetite score, integer 1..5. */
  appetite: number;
  /** Monthly recurring revenue, ≥ 0. */
  mrr: number;
  /** The client owns its innovation/OKR agenda (Goal 5 condition, A-2). */
  ownsInnovationAgenda?: boolean;
}

export interface SegmentationResult {
  segment: Segment;
  goalLevel: GoalLevel;
  archetype: Archetype;
  mrrTier: MrrTier;
  touchTier: TouchTier;
  maturityBand: Band;
  appetiteBand: Band;
  /** The rules that decided this result, in order, without duplicates. */
  ruleIds: string[];
  /** One sentence per decision, citing its rule. */
  explanation: string[];
}

// R-1 with A-1 (follow §1.1 S#1): High M/Low A → C (Educate), Low M/High A → B (Modernize).
const QUADRANTS: Record<`${Band}/${Band}`, { segment: Segment; goalLevel: GoalLevel; archetype: Archetype }> = {
  'Low/Low': { segment: 'D', goalLevel: 1, archetype: 'Sustain' },
  'High/Low': { segment: 'C', goalLevel: 2, archetype: 'Educate' },
  'Low/High': { segment: 'B', goalLevel: 3, archetype: 'Modernize' },
  'High/High': { segment: 'A', goalLevel: 4, archetype: 'Transform' },
};

/** Scores A-2 disputes: the seed's "High 3,5" leaves 3 open, so the cut-off may be 3 or 4. */
const CONTESTED_SCORE = 3;

function assertScore(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > 5) {
    throw new RangeError(`${name} must be an integer score from 1 to 5, got ${String(value)}`);
  }
}

function assertMrr(mrr: number): void {
  if (!Number.isFinite(mrr) || mrr < 0) throw new RangeError(`MRR must be a finite number ≥ 0, got ${String(mrr)}`);
}

/** High ≥ highMin, Mid ≥ midMin, else Low. */
export function mrrTierFor(mrr: number, policy: SegmentationPolicy): MrrTier {
  assertMrr(mrr);
  if (mrr >= policy.mrrTiers.highMin) return 'High';
  if (mrr >= policy.mrrTiers.midMin) return 'Mid';
  return 'Low';
}

/** touch tier from the policy's segment × MRR-tier matrix. */
export function touchTierFor(segment: Segment, mrrTier: MrrTier, policy: SegmentationPolicy): TouchTier {
  return policy.touchMatrix[segment][mrrTier];
}

export function segmentClient(input: SegmentationInput, policy: SegmentationPolicy): SegmentationResult {
  const { maturity, appetite, mrr } = input;
  assertScore('maturity', maturity);
  assertScore('appetite', appetite);
  assertMrr(mrr);

  const cutoff = policy.highScoreCutoff;
  const ruleIds: string[] = ['R-1'];
  const explanation: string[] = [];
  let a2 = false;

  const bandOf = (name: string, score: number): Band => {
    const band: Band = score >= cutoff ? 'High' : 'Low';
    const contested = score === CONTESTED_SCORE;
    a2 ||= contested;
    const cmp = band === 'High' ? '≥' : '<';
    explanation.push(`${name} ${score} ${cmp} cutoff ${cutoff} → ${band} (${contested ? 'A-2' : 'R-1'})`);
    return band;
  };
  const maturityBand = bandOf('maturity', maturity);
  const appetiteBand = bandOf('appetite', appetite);

  const quadrant = QUADRANTS[`${maturityBand}/${appetiteBand}`];
  let { goalLevel } = quadrant;
  const mixed = maturityBand !== appetiteBand;
  if (mixed) ruleIds.push('A-1');
  explanation.push(
    `${maturityBand} maturity / ${appetiteBand} appetite → segment ${quadrant.segment}, ` +
      `Goal ${quadrant.goalLevel}, ${quadrant.archetype} (${mixed ? 'R-1, A-1' : 'R-1'})`,
  );

  // High/High always answers the Goal 4 vs 5 question, which only A-2 settles.
  if (quadrant.segment === 'A') {
    a2 = true;
    const bar = policy.goal5RequiresBothAtLeast;
    const bothHigh = maturity >= bar && appetite >= bar;
    const owns = input.ownsInnovationAgenda === true;
    if (bothHigh && owns) {
      goalLevel = 5;
      explanation.push(`maturity ${maturity} and appetite ${appetite} both ≥ ${bar} and client owns its innovation agenda → Goal 5 (A-2)`);
    } else if (!bothHigh) {
      explanation.push(`maturity ${maturity} / appetite ${appetite} not both ≥ ${bar} → Goal 4 (A-2)`);
    } else {
      explanation.push(`both scores ≥ ${bar} but client does not own its innovation agenda → Goal 4 (A-2)`);
    }
  }
  if (a2) ruleIds.push('A-2');

  const mrrTier = mrrTierFor(mrr, policy);
  ruleIds.push('R-2');
  const { highMin, midMin } = policy.mrrTiers;
  explanation.push(
    mrrTier === 'High'
      ? `MRR ${mrr} ≥ ${highMin} → MRR tier High (R-2)`
      : mrrTier === 'Mid'
        ? `MRR ${mrr} ≥ ${midMin} and < ${highMin} → MRR tier Mid (R-2)`
        : `MRR ${mrr} < ${midMin} → MRR tier Low (R-2)`,
  );

  const touchTier = touchTierFor(quadrant.segment, mrrTier, policy);
  ruleIds.push('R-3');
  explanation.push(`segment ${quadrant.segment} × MRR tier ${mrrTier} → touch tier ${touchTier} (R-3)`);

  return {
    segment: quadrant.segment,
    goalLevel,
    archetype: quadrant.archetype,
    mrrTier,
    touchTier,
    maturityBand,
    appetiteBand,
    ruleIds,
    explanation,
  };
}
