import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/business-time.js';
import { budgetProblems, budgetSnapshot, nextBudgetVersion, realization, variance, type BudgetLineInput } from '../../domain/budget.js';
import { assessmentOwner, assessmentRequirement, categoryProblems, discoveryPlan, frequencyMonths, insightProblems } from '../../domain/discovery.js';
import { defaultPolicy, parsePolicy } from '../../domain/policy.js';
import { addQuarters, nextQuarter, parseQuarter, quarterBasis, quarterCloseAt, quarterOf, quarterRange, quartersBetween } from '../../domain/quarters.js';
import { placeBigRocks, roadmapChanged, roadmapProblems } from '../../domain/roadmap.js';

/** The pure rules of the planning loop's records (issue 11): quarters (C-7), budget (R-81..R-84), roadmap, Discovery and Assessment (R-67..R-70). */
const policy = defaultPolicy;
const chicago = makeCalendar({ timeZone: 'America/Chicago' });

describe('quarters (C-7)', () => {
  it('names calendar quarters by the calendar year', () => {
    expect(['2026-01-01', '2026-03-31', '2026-04-01', '2026-09-30', '2026-12-31'].map((d) => quarterOf(d))).toEqual(['2026-Q1', '2026-Q1', '2026-Q2', '2026-Q3', '2026-Q4']);
  });

  it('names fiscal quarters by the calendar year the fiscal year ends in (FY-end 06-30: Jul–Sep 2026 is 2027-Q1)', () => {
    const fy = quarterBasis('fiscal', '06-30');
    expect(fy).toEqual({ fyEndMonth: 6 });
    expect(['2026-07-01', '2026-09-30', '2026-10-01', '2027-01-15', '2027-06-30'].map((d) => quarterOf(d, fy))).toEqual(['2027-Q1', '2027-Q1', '2027-Q2', '2027-Q3', '2027-Q4']);
    expect(quarterRange('2027-Q1', fy)).toEqual({ start: '2026-07-01', end: '2026-09-30' });
    expect(quarterRange('2027-Q4', fy)).toEqual({ start: '2027-04-01', end: '2027-06-30' });
    // `calendar` mode ignores the fiscal year-end.
    expect(quarterBasis('calendar', '06-30')).toEqual({ fyEndMonth: 12 });
  });

  it('gives a calendar quarter its first and last day', () => {
    expect(quarterRange('2026-Q1')).toEqual({ start: '2026-01-01', end: '2026-03-31' });
    expect(quarterRange('2024-Q1')).toEqual({ start: '2024-01-01', end: '2024-03-31' });
    expect(quarterRange('2026-Q4')).toEqual({ start: '2026-10-01', end: '2026-12-31' });
  });

  it('adds and counts quarters across years', () => {
    expect(addQuarters('2026-Q3', 1)).toBe('2026-Q4');
    expect(nextQuarter('2026-Q4')).toBe('2027-Q1');
    expect(addQuarters('2026-Q1', -1)).toBe('2025-Q4');
    expect(addQuarters('2026-Q2', 7)).toBe('2028-Q1');
    expect(quartersBetween('2026-Q3', '2027-Q2')).toBe(3);
    expect(quartersBetween('2027-Q2', '2026-Q3')).toBe(-3);
  });

  it('refuses a malformed quarter', () => {
    expect(() => parseQuarter('2026-Q5')).toThrow(/YYYY-Qn/);
    expect(() => parseQuarter('Q3 2026')).toThrow(RangeError);
  });

  it('closes a quarter on its last business day at the policy time (R-61, R-84)', () => {
    // 2026-09-30 is a Wednesday: 17:00 CDT.
    expect(quarterCloseAt('2026-Q3', '17:00', chicago)).toBe('2026-09-30T17:00:00.000-05:00');
    // 2027-03-31 is a Wednesday too; 2026-Q2 ends Tuesday 30 June.
    expect(quarterCloseAt('2026-Q2', '17:00', chicago)).toBe('2026-06-30T17:00:00.000-05:00');
    // 2025-Q2 ends on Monday 30 June; 2026-Q1 ends Tuesday 31 March; 2028-Q4 ends on a Sunday → Friday 29 December, CST.
    expect(quarterCloseAt('2028-Q4', '17:00', chicago)).toBe('2028-12-29T17:00:00.000-06:00');
    // A holiday on the last day moves the close back a business day.
    const withHoliday = makeCalendar({ timeZone: 'America/Chicago', holidays: ['2026-09-30'] });
    expect(quarterCloseAt('2026-Q3', '17:00', withHoliday)).toBe('2026-09-29T17:00:00.000-05:00');
  });
});

describe('budget versions (R-81..R-84)', () => {
  const ctx = (segment: 'A' | 'B' | 'C' | 'D', extra: Partial<Parameters<typeof budgetProblems>[1]> = {}) => ({
    segment, initiatives: new Set(['i-1', 'i-2', 'i-3']), preApprovals: new Map([['pa-1', 'i-1']]), policy, ...extra,
  });
  const line = (extra: Partial<BudgetLineInput> = {}): BudgetLineInput => ({ initiativeId: 'i-1', quarter: '2026-Q3', amountUsd: 1000, spendType: 'OpEx', ...extra });

  it('accepts lines that each name an initiative of the client', () => {
    expect(budgetProblems([line(), line({ initiativeId: 'i-2', spendType: 'CapEx' })], ctx('B'))).toEqual([]);
  });

  it('refuses an orphan line, naming its path (R-82)', () => {
    expect(budgetProblems([line(), line({ initiativeId: 'elsewhere' })], ctx('C'))).toEqual([
      { path: 'lines.1.initiativeId', message: expect.stringContaining('R-82') },
    ]);
  });

  it('refuses a malformed quarter (C-7)', () => {
    expect(budgetProblems([line({ quarter: '2026Q3' })], ctx('C')).map((p) => p.path)).toEqual(['lines.0.quarter']);
  });

  it('wants the OpEx/CapEx split where the segment budgets it (A, B) and not elsewhere (R-81)', () => {
    expect(budgetProblems([line({ spendType: undefined })], ctx('A'))).toEqual([{ path: 'lines.0.spendType', message: 'segment A budgets split OpEx/CapEx (R-81)' }]);
    expect(budgetProblems([line({ spendType: undefined })], ctx('B')).map((p) => p.path)).toEqual(['lines.0.spendType']);
    expect(budgetProblems([line({ spendType: undefined })], ctx('C'))).toEqual([]);
    expect(budgetProblems([line({ spendType: undefined })], ctx('D'))).toEqual([]);
  });

  it('takes the pre-approval field only in the A format, and only a pre-approval of that initiative (R-81)', () => {
    expect(budgetProblems([line({ preApprovalId: 'pa-1' })], ctx('A'))).toEqual([]);
    expect(budgetProblems([line({ preApprovalId: 'pa-1' })], ctx('B'))).toEqual([{ path: 'lines.0.preApprovalId', message: expect.stringContaining('A format') }]);
    expect(budgetProblems([line({ initiativeId: 'i-2', preApprovalId: 'pa-1' })], ctx('A'))).toEqual([{ path: 'lines.0.preApprovalId', message: 'pa-1 is not a pre-approval of initiative i-2' }]);
  });

  it('allows at most the policy\'s decision flags (R-82: ≤2 decisions)', () => {
    const flagged = (id: string) => line({ initiativeId: id, decisionFlag: true });
    expect(budgetProblems([flagged('i-1'), flagged('i-2')], ctx('C'))).toEqual([]);
    expect(budgetProblems([flagged('i-1'), flagged('i-2'), flagged('i-3')], ctx('C'))).toEqual([{ path: 'lines', message: expect.stringContaining('3 were sent') }]);
  });

  it('numbers versions v0 (sales), v1 (onboarding or the first by hand), then on (R-82)', () => {
    expect(nextBudgetVersion(undefined, 'sales')).toBe(0);
    expect(nextBudgetVersion(undefined, 'onboarding')).toBe(1);
    expect(nextBudgetVersion(undefined, 'manual')).toBe(1);
    expect(nextBudgetVersion(0, 'onboarding')).toBe(1);
    expect(nextBudgetVersion(4, 'park')).toBe(5);
  });

  it('snapshots totals by quarter and spend type, top risks (flagged first, then the largest unapproved) and ≤2 decisions (R-82)', () => {
    const lines = [
      { initiativeId: 'i-1', quarter: '2026-Q3', amountUsd: 12000, spendType: 'OpEx', decisionFlag: true },
      { initiativeId: 'i-2', quarter: '2026-Q3', amountUsd: 3000.5, spendType: 'CapEx', decisionFlag: false },
      { initiativeId: 'i-3', quarter: '2026-Q4', amountUsd: 9000, spendType: null, decisionFlag: true },
      { initiativeId: 'i-4', quarter: '2026-Q4', amountUsd: 20000, spendType: 'OpEx', decisionFlag: false },
      { initiativeId: 'i-5', quarter: '2026-Q4', amountUsd: 50000, spendType: 'OpEx', decisionFlag: true },
    ];
    const initiatives = new Map([
      ['i-1', { title: 'MFA', state: 'PreApproved', flags: [] }],
      ['i-2', { title: 'Backup', state: 'Proposed', flags: ['Stalled'] }],
      ['i-3', { title: 'Assets', state: 'Identified', flags: [] }],
      ['i-4', { title: 'Wi-Fi', state: 'Approved', flags: [] }],
      ['i-5', { title: 'ERP', state: 'Qualified', flags: [] }],
    ]);
    const s = budgetSnapshot(lines, initiatives, policy);
    expect(s.totalUsd).toBe(94000.5);
    expect(s.byQuarter).toEqual({ '2026-Q3': 15000.5, '2026-Q4': 79000 });
    expect(s.bySpendType).toEqual({ OpEx: 82000, CapEx: 3000.5, unsplit: 9000 });
    // The stalled one first; then unapproved by size; the approved Wi-Fi is no risk.
    expect(s.topRisks.map((r) => [r.initiativeId, r.why])).toEqual([
      ['i-2', 'flagged Stalled'], ['i-5', 'not approved yet (Qualified)'], ['i-1', 'not approved yet (PreApproved)'],
    ]);
    expect(s.decisions.map((d) => d.title)).toEqual(['MFA', 'Assets']);
  });

  it('measures forecast vs actual variance; beyond ±20 % is investigate (R-84)', () => {
    expect(variance(10000, 12000, policy)).toEqual({ variancePct: 20, status: 'green' });
    expect(variance(10000, 12001, policy)).toEqual({ variancePct: 20.01, status: 'investigate' });
    expect(variance(10000, 7500, policy)).toEqual({ variancePct: -25, status: 'investigate' });
    expect(variance(10000, null, policy)).toEqual({ variancePct: null, status: 'notMeasured' });
    expect(variance(0, 500, policy)).toEqual({ variancePct: null, status: 'notMeasured' });
  });

  it('measures realization; below 40 % counts toward simplify-scope (R-84)', () => {
    expect(realization(10000, 4000, policy)).toEqual({ pct: 40, below: false });
    expect(realization(10000, 3999, policy)).toEqual({ pct: 39.99, below: true });
    expect(realization(10000, 15000, policy)).toEqual({ pct: 100, below: false });
    expect(realization(0, 0, policy)).toEqual({ pct: null, below: false });
  });

  it('reads its thresholds from the policy, not from code', () => {
    const parsed = parsePolicy({ budget: { varianceGreenMaxPct: 10, varianceInvestigateAbovePct: 10, realizationMinPct: 60 } });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const strict = parsed.policy;
    expect(variance(10000, 11500, strict).status).toBe('investigate');
    expect(realization(10000, 5000, strict).below).toBe(true);
  });
});

describe('roadmap versions (R-85, R-86)', () => {
  const ctx = { initiatives: new Set(['i-1', 'i-2', 'i-3', 'i-4']), proposals: new Map([['p-1', 'i-1']]), lanes: ['Stability', 'Efficiency', 'Growth'] as const };

  it('accepts items linked to the client\'s initiatives and their proposals', () => {
    expect(roadmapProblems([{ initiativeId: 'i-1', proposalId: 'p-1', quarter: '2026-Q3', lane: 'Stability' }, { initiativeId: 'i-2', quarter: '2026-Q4', lane: 'Growth' }], ctx)).toEqual([]);
  });

  it('refuses orphans, a proposal of another initiative, a bad quarter, an unknown lane and a twice-listed initiative, naming each path (R-85, A-4)', () => {
    const problems = roadmapProblems([
      { initiativeId: 'nope', quarter: '2026-Q3', lane: 'Stability' },
      { initiativeId: 'i-2', proposalId: 'p-1', quarter: '2026-Q3', lane: 'Stability' },
      { initiativeId: 'i-3', quarter: '2026-13', lane: 'Innovation' },
      { initiativeId: 'i-2', quarter: '2026-Q4', lane: 'Growth' },
    ], ctx);
    expect(problems.map((p) => p.path)).toEqual(['items.0.initiativeId', 'items.1.proposalId', 'items.2.quarter', 'items.2.lane', 'items.3.initiativeId']);
    expect(problems[0]!.message).toContain('R-85');
    expect(problems[3]!.message).toContain('A-4');
    expect(problems[4]!.message).toContain('twice');
  });

  it('keeps at most two big rocks a quarter; the third goes to the next quarter with room, with a note (R-86)', () => {
    const big = new Set(['i-1', 'i-2', 'i-3', 'i-4']);
    const { items, moved } = placeBigRocks([
      { initiativeId: 'i-1', quarter: '2026-Q3', lane: 'Stability' },
      { initiativeId: 'i-2', quarter: '2026-Q3', lane: 'Growth' },
      { initiativeId: 'i-3', quarter: '2026-Q3', lane: 'Efficiency', note: 'asked for by the CFO' },
      { initiativeId: 'i-4', quarter: '2026-Q4', lane: 'Stability' },
      { initiativeId: 'small', quarter: '2026-Q3', lane: 'Stability' },
    ], (id) => big.has(id), policy.initiatives.bigRocksPerQuarter);
    expect(items.map((i) => [i.initiativeId, i.quarter, i.bigRock])).toEqual([
      ['i-1', '2026-Q3', true], ['i-2', '2026-Q3', true], ['i-3', '2026-Q4', true], ['i-4', '2026-Q4', true], ['small', '2026-Q3', false],
    ]);
    expect(items[2]!.note).toBe('asked for by the CFO; moved from 2026-Q3: at most 2 big rocks per quarter (R-86)');
    expect(moved).toEqual([{ initiativeId: 'i-3', from: '2026-Q3', to: '2026-Q4' }]);
  });

  it('skips full quarters when placing an extra big rock', () => {
    const { moved } = placeBigRocks(['a', 'b', 'c', 'd', 'e'].map((id, i) => ({ initiativeId: id, quarter: i < 2 ? '2026-Q4' : '2026-Q3', lane: 'Stability' })), () => true, 2);
    // a, b fill Q4; c, d fill Q3; e (Q3) skips the full Q4 to 2027-Q1.
    expect(moved).toEqual([{ initiativeId: 'e', from: '2026-Q3', to: '2027-Q1' }]);
  });

  it('tells a version that moves something from a review that moves nothing', () => {
    const v1 = [{ initiativeId: 'i-1', quarter: '2026-Q3', lane: 'Stability' }, { initiativeId: 'i-2', quarter: '2026-Q4', lane: 'Growth' }];
    expect(roadmapChanged(undefined, v1)).toBe(true);
    expect(roadmapChanged(undefined, [])).toBe(false);
    expect(roadmapChanged(v1, [...v1].reverse())).toBe(false);
    expect(roadmapChanged(v1, [v1[0]!, { ...v1[1]!, quarter: '2027-Q1' }])).toBe(true);
    expect(roadmapChanged(v1, [v1[0]!])).toBe(true);
    expect(roadmapChanged(v1, [...v1, { initiativeId: 'i-3', quarter: '2026-Q4', lane: 'Growth' }])).toBe(true);
  });
});

describe('Discovery and Assessment (R-67..R-70)', () => {
  it('plans Discovery by segment: owner, format and cadence (R-67)', () => {
    expect((['A', 'B', 'C', 'D'] as const).map((s) => discoveryPlan(policy, s))).toEqual([
      { ownerRole: 'vCIO', format: 'multiStakeholder', cadence: 'quarterly' },
      { ownerRole: 'vCIO', format: 'insideQbr', cadence: 'quarterly' },
      { ownerRole: 'CSM', format: 'oneToOneOrAsync', cadence: 'semiannual' },
      { ownerRole: 'TAM', format: 'lightIntake', cadence: 'annual' },
    ]);
  });

  it('asks for an assessment by goal level; Goal 1 only with evident appetite (R-69)', () => {
    expect([1, 2, 3, 4, 5].map((g) => assessmentRequirement(policy, g, 1))).toEqual([
      { requirement: 'ifAppetite', due: false }, { requirement: 'recommended', due: true }, { requirement: 'recommended', due: true },
      { requirement: 'mandatory', due: true }, { requirement: 'innovationReadiness', due: true },
    ]);
    expect(assessmentRequirement(policy, 1, policy.segmentation.highScoreCutoff)).toEqual({ requirement: 'ifAppetite', due: true });
    // Out-of-range goal levels clamp.
    expect(assessmentRequirement(policy, 9, 1).requirement).toBe('innovationReadiness');
    expect(assessmentRequirement(policy, 0, 1).requirement).toBe('ifAppetite');
  });

  it('gives assessments to the vCIO (A/B) and TAM (C/D) (R-69)', () => {
    expect((['A', 'B', 'C', 'D'] as const).map((s) => assessmentOwner(policy, s))).toEqual(['vCIO', 'vCIO', 'TAM', 'TAM']);
  });

  it('scores 5–7 categories, each once (R-70)', () => {
    const cats = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `Category ${i}` }));
    expect(categoryProblems(cats(5), policy)).toEqual([]);
    expect(categoryProblems(cats(7), policy)).toEqual([]);
    expect(categoryProblems(cats(4), policy)).toEqual([{ path: 'categories', message: 'an assessment scores 5–7 categories (R-70); 4 were sent' }]);
    expect(categoryProblems(cats(8), policy).map((p) => p.path)).toEqual(['categories']);
    expect(categoryProblems([...cats(5), { name: 'category 1' }], policy)).toEqual([{ path: 'categories.5.name', message: 'category category 1 is scored twice' }]);
  });

  it('wants an initiative card for an insight routed to an initiative or the roadmap, not for one routed to an assessment (R-68, R-71)', () => {
    expect(insightProblems([{ route: 'assessment' }, { route: 'initiative', initiative: { title: 'x' } }])).toEqual([]);
    expect(insightProblems([{ route: 'initiative' }, { route: 'roadmap' }]).map((p) => [p.path, p.message.includes('the roadmap')])).toEqual([
      ['insights.0.initiative', false], ['insights.1.initiative', true],
    ]);
  });

  it('reads a cadence as months between occurrences', () => {
    expect((['monthly', 'quarterly', 'semiannual', 'annual', 'triggerOnly', 'weekly'] as const).map(frequencyMonths)).toEqual([1, 3, 6, 12, null, null]);
  });
});
