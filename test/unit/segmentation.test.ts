import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultPolicy, parsePolicy, type Policy } from '../../domain/policy.js';
import {
  mrrTierFor,
  segmentClient,
  touchTierFor,
  type MrrTier,
  type Segment,
  type TouchTier,
} from '../../domain/segmentation.js';

const seg = defaultPolicy.segmentation;

function withSegmentation(patch: Record<string, unknown>): Policy['segmentation'] {
  const r = parsePolicy({ segmentation: patch });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.policy.segmentation;
}
const cutoff4 = withSegmentation({ highScoreCutoff: 4 });

describe('segmentClient: quadrants (R-1, A-1)', () => {
  it.each([
    [1, 1, 'D', 1, 'Sustain', 'Low', 'Low'],
    [5, 2, 'C', 2, 'Educate', 'High', 'Low'],
    [2, 5, 'B', 3, 'Modernize', 'Low', 'High'],
    [5, 5, 'A', 4, 'Transform', 'High', 'High'],
  ] as const)('maturity %d / appetite %d → %s, Goal %d, %s', (maturity, appetite, segment, goalLevel, archetype, mb, ab) => {
    expect(segmentClient({ maturity, appetite, mrr: 5000 }, seg)).toMatchObject({
      segment,
      goalLevel,
      archetype,
      maturityBand: mb,
      appetiteBand: ab,
    });
  });

  it('the issue example: maturity 4, appetite 2, MRR 12000 → C, Goal 2, touch tier High', () => {
    const r = segmentClient({ maturity: 4, appetite: 2, mrr: 12000 }, seg);
    expect(r).toEqual({
      segment: 'C',
      goalLevel: 2,
      archetype: 'Educate',
      mrrTier: 'High',
      touchTier: 'High',
      maturityBand: 'High',
      appetiteBand: 'Low',
      ruleIds: ['R-1', 'A-1', 'R-2', 'R-3'],
      explanation: [
        'maturity 4 ≥ cutoff 3 → High (R-1)',
        'appetite 2 < cutoff 3 → Low (R-1)',
        'High maturity / Low appetite → segment C, Goal 2, Educate (R-1, A-1)',
        'MRR 12000 ≥ 10000 → MRR tier High (R-2)',
        'segment C × MRR tier High → touch tier High (R-3)',
      ],
    });
  });
});

describe('segmentClient: cut-off 3 vs 4 (A-2)', () => {
  it('score 3 is High at cut-off 3 and Low at cut-off 4', () => {
    expect(segmentClient({ maturity: 3, appetite: 3, mrr: 0 }, seg)).toMatchObject({ segment: 'A', goalLevel: 4 });
    expect(segmentClient({ maturity: 3, appetite: 3, mrr: 0 }, cutoff4)).toMatchObject({ segment: 'D', goalLevel: 1 });
    expect(segmentClient({ maturity: 3, appetite: 4, mrr: 0 }, cutoff4)).toMatchObject({ segment: 'B', goalLevel: 3 });
    expect(segmentClient({ maturity: 4, appetite: 3, mrr: 0 }, cutoff4)).toMatchObject({ segment: 'C', goalLevel: 2 });
  });

  it('scores 2 and 4 do not depend on the cut-off', () => {
    for (const p of [seg, cutoff4]) {
      expect(segmentClient({ maturity: 4, appetite: 2, mrr: 0 }, p).segment).toBe('C');
      expect(segmentClient({ maturity: 2, appetite: 4, mrr: 0 }, p).segment).toBe('B');
    }
  });

  it('a contested score of 3 cites A-2 in ruleIds and explanation', () => {
    const r = segmentClient({ maturity: 3, appetite: 1, mrr: 0 }, seg);
    expect(r.ruleIds).toEqual(['R-1', 'A-1', 'A-2', 'R-2', 'R-3']);
    expect(r.explanation[0]).toBe('maturity 3 ≥ cutoff 3 → High (A-2)');
    const low = segmentClient({ maturity: 3, appetite: 1, mrr: 0 }, cutoff4);
    expect(low.ruleIds).toEqual(['R-1', 'A-2', 'R-2', 'R-3']);
    expect(low.explanation[0]).toBe('maturity 3 < cutoff 4 → Low (A-2)');
  });
});

describe('segmentClient: Goal 5 (A-2)', () => {
  it('needs both scores ≥ 4 and innovation-agenda ownership', () => {
    expect(segmentClient({ maturity: 4, appetite: 4, mrr: 0, ownsInnovationAgenda: true }, seg).goalLevel).toBe(5);
    expect(segmentClient({ maturity: 5, appetite: 5, mrr: 0, ownsInnovationAgenda: false }, seg).goalLevel).toBe(4);
    expect(segmentClient({ maturity: 5, appetite: 5, mrr: 0 }, seg).goalLevel).toBe(4);
    expect(segmentClient({ maturity: 3, appetite: 5, mrr: 0, ownsInnovationAgenda: true }, seg).goalLevel).toBe(4);
    expect(segmentClient({ maturity: 5, appetite: 3, mrr: 0, ownsInnovationAgenda: true }, seg).goalLevel).toBe(4);
  });

  it('Goal 5 stays segment A / Transform', () => {
    expect(segmentClient({ maturity: 5, appetite: 4, mrr: 0, ownsInnovationAgenda: true }, seg)).toMatchObject({
      segment: 'A',
      goalLevel: 5,
      archetype: 'Transform',
    });
  });

  it('follows goal5RequiresBothAtLeast', () => {
    const p5 = withSegmentation({ goal5RequiresBothAtLeast: 5 });
    expect(segmentClient({ maturity: 4, appetite: 5, mrr: 0, ownsInnovationAgenda: true }, p5).goalLevel).toBe(4);
    expect(segmentClient({ maturity: 5, appetite: 5, mrr: 0, ownsInnovationAgenda: true }, p5).goalLevel).toBe(5);
  });

  it('explains the Goal-5 decision and lists A-2 once', () => {
    const yes = segmentClient({ maturity: 4, appetite: 5, mrr: 0, ownsInnovationAgenda: true }, seg);
    expect(yes.ruleIds).toEqual(['R-1', 'A-2', 'R-2', 'R-3']);
    expect(yes.explanation[3]).toBe(
      'maturity 4 and appetite 5 both ≥ 4 and client owns its innovation agenda → Goal 5 (A-2)',
    );
    const noFlag = segmentClient({ maturity: 4, appetite: 5, mrr: 0 }, seg);
    expect(noFlag.explanation[3]).toBe('both scores ≥ 4 but client does not own its innovation agenda → Goal 4 (A-2)');
    const notBoth = segmentClient({ maturity: 3, appetite: 5, mrr: 0, ownsInnovationAgenda: true }, seg);
    expect(notBoth.ruleIds).toEqual(['R-1', 'A-2', 'R-2', 'R-3']);
    expect(notBoth.explanation[3]).toBe('maturity 3 / appetite 5 not both ≥ 4 → Goal 4 (A-2)');
  });

  it('outside High/High the flag is irrelevant and A-2 is not cited', () => {
    const r = segmentClient({ maturity: 5, appetite: 1, mrr: 0, ownsInnovationAgenda: true }, seg);
    expect(r).toMatchObject({ segment: 'C', goalLevel: 2 });
    expect(r.ruleIds).toEqual(['R-1', 'A-1', 'R-2', 'R-3']);
  });
});

describe('MRR tier (R-2)', () => {
  it.each([
    [0, 'Low'],
    [2499.99, 'Low'],
    [2500, 'Mid'],
    [9999.99, 'Mid'],
    [10000, 'High'],
    [1_000_000, 'High'],
  ] as const)('MRR %d → %s', (mrr, tier) => {
    expect(mrrTierFor(mrr, seg)).toBe(tier);
    expect(segmentClient({ maturity: 1, appetite: 1, mrr }, seg).mrrTier).toBe(tier);
  });

  it('follows the policy boundaries', () => {
    const p = withSegmentation({ mrrTiers: { highMin: 5000, midMin: 1500 } });
    expect(mrrTierFor(1499.99, p)).toBe('Low');
    expect(mrrTierFor(1500, p)).toBe('Mid');
    expect(mrrTierFor(5000, p)).toBe('High');
  });

  it('explains Mid and Low tiers', () => {
    expect(segmentClient({ maturity: 1, appetite: 1, mrr: 2500 }, seg).explanation).toContain(
      'MRR 2500 ≥ 2500 and < 10000 → MRR tier Mid (R-2)',
    );
    expect(segmentClient({ maturity: 1, appetite: 1, mrr: 100 }, seg).explanation).toContain(
      'MRR 100 < 2500 → MRR tier Low (R-2)',
    );
  });
});

describe('touch tier (R-3)', () => {
  const matrix: [Segment, MrrTier, TouchTier][] = [
    ['A', 'High', 'VIP'],
    ['A', 'Mid', 'High'],
    ['A', 'Low', 'Mid'],
    ['B', 'High', 'VIP'],
    ['B', 'Mid', 'High'],
    ['B', 'Low', 'Mid'],
    ['C', 'High', 'High'],
    ['C', 'Mid', 'Mid'],
    ['C', 'Low', 'Tech'],
    ['D', 'High', 'High'],
    ['D', 'Mid', 'Mid'],
    ['D', 'Low', 'Tech'],
  ];
  it.each(matrix)('segment %s × MRR %s → %s', (segment, mrrTier, touch) => {
    expect(touchTierFor(segment, mrrTier, seg)).toBe(touch);
  });

  it('segmentClient uses the matrix end to end', () => {
    const scores: Record<Segment, [number, number]> = { A: [5, 5], B: [1, 5], C: [5, 1], D: [1, 1] };
    const mrrs: Record<MrrTier, number> = { High: 20000, Mid: 5000, Low: 1000 };
    for (const [segment, mrrTier, touch] of matrix) {
      const [maturity, appetite] = scores[segment];
      expect(segmentClient({ maturity, appetite, mrr: mrrs[mrrTier] }, seg).touchTier).toBe(touch);
    }
  });

  it('follows a policy-edited matrix', () => {
    const p = withSegmentation({ touchMatrix: { D: { Low: 'Mid' } } });
    expect(touchTierFor('D', 'Low', p)).toBe('Mid');
    expect(touchTierFor('C', 'Low', p)).toBe('Tech');
  });
});

describe('input validation', () => {
  it.each([0, 6, -1, 2.5, Number.NaN])('rejects maturity %d with a RangeError', (maturity) => {
    expect(() => segmentClient({ maturity, appetite: 3, mrr: 0 }, seg)).toThrow(RangeError);
    expect(() => segmentClient({ maturity, appetite: 3, mrr: 0 }, seg)).toThrow(/maturity must be an integer score from 1 to 5/);
  });

  it.each([0, 6])('rejects appetite %d with a RangeError', (appetite) => {
    expect(() => segmentClient({ maturity: 3, appetite, mrr: 0 }, seg)).toThrow(/appetite must be an integer score from 1 to 5/);
  });

  it.each([-0.01, Number.NaN, Number.POSITIVE_INFINITY])('rejects MRR %d with a RangeError', (mrr) => {
    expect(() => segmentClient({ maturity: 3, appetite: 3, mrr }, seg)).toThrow(RangeError);
    expect(() => mrrTierFor(mrr, seg)).toThrow(/MRR must be a finite number ≥ 0/);
  });
});

describe('properties', () => {
  const input = fc.record({
    maturity: fc.integer({ min: 1, max: 5 }),
    appetite: fc.integer({ min: 1, max: 5 }),
    mrr: fc.double({ min: 0, max: 1e6, noNaN: true }),
    ownsInnovationAgenda: fc.boolean(),
  });
  const cutoff = fc.constantFrom<3 | 4>(3, 4);

  it('the segment is always consistent with the bands, the goal with the segment', () => {
    fc.assert(
      fc.property(input, cutoff, (i, c) => {
        const p = c === 3 ? seg : cutoff4;
        const r = segmentClient(i, p);
        expect(r.maturityBand).toBe(i.maturity >= c ? 'High' : 'Low');
        expect(r.appetiteBand).toBe(i.appetite >= c ? 'High' : 'Low');
        const expected = { 'High/High': 'A', 'Low/High': 'B', 'High/Low': 'C', 'Low/Low': 'D' }[
          `${r.maturityBand}/${r.appetiteBand}` as const
        ];
        expect(r.segment).toBe(expected);
        const goals: Record<Segment, number[]> = { A: [4, 5], B: [3], C: [2], D: [1] };
        expect(goals[r.segment]).toContain(r.goalLevel);
        expect(r.goalLevel === 5).toBe(i.maturity >= 4 && i.appetite >= 4 && i.ownsInnovationAgenda);
        expect(r.touchTier).toBe(touchTierFor(r.segment, r.mrrTier, p));
      }),
    );
  });

  it('ruleIds always start with R-1, end with R-2, R-3, and match the explanation', () => {
    fc.assert(
      fc.property(input, cutoff, (i, c) => {
        const r = segmentClient(i, c === 3 ? seg : cutoff4);
        expect(r.ruleIds[0]).toBe('R-1');
        expect(r.ruleIds.slice(-2)).toEqual(['R-2', 'R-3']);
        expect(new Set(r.ruleIds).size).toBe(r.ruleIds.length);
        expect(r.ruleIds.includes('A-1')).toBe(r.segment === 'B' || r.segment === 'C');
        expect(r.ruleIds.includes('A-2')).toBe(r.segment === 'A' || i.maturity === 3 || i.appetite === 3);
        const cited = new Set(r.explanation.flatMap((s) => s.match(/[RA]-\d+/g) ?? []));
        expect([...cited].sort()).toEqual([...r.ruleIds].sort());
      }),
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(input, (i) => {
        expect(segmentClient(i, seg)).toEqual(segmentClient({ ...i }, seg));
      }),
    );
  });
});
