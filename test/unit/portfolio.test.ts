import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../domain/policy.js';
import { capacityGapAction, clientInvestment, investmentOf, monthSpread, portfolioCapacity, rebalanceProposal, type SegmentKey } from '../../domain/portfolio.js';
import { policyWith } from '../support/policy.js';


describe('investment per client (R-4, R-5)', () => {
  it('reproduces the seed\'s worked example: 5 % × 50 % × 40 % on $2,000 MRR = $240 = 3.2 h at $75', () => {
    const i = investmentOf({ mrrUsd: 2000, segment: 'C', investmentPct: 5, hourlyCostUsd: 75, proactiveSharePct: 50, playbookSharePct: 40 }, 10);
    expect(i.csBudgetYearUsd).toBe(1200); // 2,000 × 12 × 5 %
    expect(i.hoursPerYear).toBe(16); // 1,200 ÷ 75
    expect(i.proactiveHoursPerYear).toBe(8); // 16 × 50 %
    expect(i.playbookBudgetYearUsd).toBe(240); // 1,200 × 50 % × 40 %
    expect(i.playbookHoursPerYear).toBe(3.2); // 240 ÷ 75
  });

  it('takes every input from the policy: the worked example through a C client under cost $75 and proactive 50 %', () => {
    const p = policyWith((d) => { d.investment.hourlyCostUsd = 75; d.investment.proactiveSharePct = 50; });
    const i = clientInvestment({ mrr: 2000, segment: 'C' }, p);
    expect(i).toMatchObject({ investmentPct: 5, csBudgetYearUsd: 1200, playbookBudgetYearUsd: 240, playbookHoursPerYear: 3.2, requiredHoursPerYear: 10 });
    expect(i.inputs).toEqual({ mrrUsd: 2000, segment: 'C', investmentPct: 5, hourlyCostUsd: 75, proactiveSharePct: 50, playbookSharePct: 40 });
    expect(i.policyKeys).toContain('investment.mrrPctBySegment.C');
    expect(i.ruleIds).toEqual(['R-4', 'R-5']);
  });

  it('applies the §4 defaults to an A client at $12,000 MRR: 9 %, $80/h, proactive 60 %, playbook 40 %', () => {
    const i = clientInvestment({ mrr: 12000, segment: 'A' }, defaultPolicy);
    expect(i.csBudgetYearUsd).toBe(12960); // 12,000 × 12 × 9 %
    expect(i.hoursPerYear).toBe(162); // 12,960 ÷ 80
    expect(i.proactiveHoursPerYear).toBe(97.2); // 162 × 60 %
    expect(i.playbookBudgetYearUsd).toBe(3110.4); // 12,960 × 60 % × 40 %
    expect(i.playbookHoursPerYear).toBe(38.88); // 3,110.40 ÷ 80
  });
});

describe('portfolio capacity (R-6)', () => {
  const mix = (counts: Record<SegmentKey, number>, mrr = 1000) => (Object.entries(counts) as [SegmentKey, number][]).flatMap(([segment, n]) => Array.from({ length: n }, () => ({ segment, mrr })));
  const csm = (id: string, hours = 40) => ({ personId: id, roles: ['CSM'], weeklyCapacityHours: hours });

  it('sets required hours by segment against FTE hours × CS share: no gap for 3 A, 10 B, 20 C, 40 D and one CSM', () => {
    const c = portfolioCapacity(mix({ A: 3, B: 10, C: 20, D: 40 }), [csm('p1'), { personId: 'pm', roles: ['PM'], weeklyCapacityHours: 40 }], defaultPolicy);
    expect(c.requiredHours).toBe(690); // 3×30 + 10×20 + 20×10 + 40×5
    expect(c.team).toMatchObject({ people: 1, source: 'fte', hoursPerPerson: 1176 }); // the PM is not in investment.teamRoles
    expect(c.availableHours).toBe(1176); // 1,680 × 70 %
    expect(c.gap).toBe(false);
    expect(c.options).toEqual([]);
    expect(c.bySegment.B).toMatchObject({ clients: 10, requiredHoursPerClient: 20, requiredHours: 200, mrrUsd: 10000, csBudgetYearUsd: 8400, fundedHoursPerYear: 105 });
  });

  it('opens a gap with its three options when required > available: 30 A, 20 B, 20 C against one CSM', () => {
    const c = portfolioCapacity(mix({ A: 30, B: 20, C: 20, D: 0 }), [csm('p1')], defaultPolicy);
    expect(c.requiredHours).toBe(1500); // 900 + 400 + 200
    expect(c.gapHours).toBe(324); // 1,500 − 1,176
    expect(c.utilisationPct).toBe(127.6); // 1,500 ÷ 1,176
    expect(c.options.map((o) => o.option)).toEqual(['raiseBoundaries', 'cutHoursPerSegment', 'lowerInvestmentPct']);
    const cut = c.options[1]!.figures as { cutPct: number; requiredHoursPerClientTo: Record<string, number> };
    expect(cut.cutPct).toBe(21.6); // 324 ÷ 1,500, rounded up
    expect(cut.requiredHoursPerClientTo).toEqual({ A: 23.5, B: 15.6, C: 7.8, D: 3.9 }); // × 1,176 ÷ 1,500, rounded down
    const moves = (c.options[0]!.figures as { moves: { from: string; hoursFreedPerClient: number; clientsToMove: number }[] }).moves;
    expect(moves).toEqual([
      { from: 'A', to: 'B', clients: 30, hoursFreedPerClient: 10, clientsToMove: 33 },
      { from: 'B', to: 'C', clients: 20, hoursFreedPerClient: 10, clientsToMove: 33 },
      { from: 'C', to: 'D', clients: 20, hoursFreedPerClient: 5, clientsToMove: 65 },
    ]);
  });

  it('counts people\'s own weekly hours when the policy says so, each person once', () => {
    const p = policyWith((d) => { d.investment.teamHoursSource = 'weeklyHours'; });
    const c = portfolioCapacity([], [csm('p1', 40), { personId: 'p2', roles: ['AM', 'TAM'], weeklyCapacityHours: 20 }], p);
    expect(c.availableHours).toBe(1764); // (40 + 20) × 42 weeks × 70 %
    expect(c.team.people).toBe(2);
  });

  it('keeps one alert: open it on a gap, update it while the gap stays, close it when it closes', () => {
    expect(capacityGapAction({ gap: true }, false)).toEqual({ kind: 'open' });
    expect(capacityGapAction({ gap: true }, true)).toEqual({ kind: 'update' });
    expect(capacityGapAction({ gap: false }, true)).toEqual({ kind: 'close' });
    expect(capacityGapAction({ gap: false }, false)).toEqual({ kind: 'none' });
  });
});

describe('R-37 month rule: no month holds more than 40 % of a segment\'s quarterly meetings', () => {
  const m = (id: string, startsAt: string, state = 'scheduled', segment = 'B') => ({ meetingId: id, clientId: `c-${id}`, segment, startsAt, state, strategic: true });

  it('flags a quarter whose B meetings all fall in January and proposes moving the latest ones to the emptiest months', () => {
    const rows = [m('a', '2027-01-12T16:00:00Z'), m('b', '2027-01-12T17:00:00Z'), m('c', '2027-01-12T18:00:00Z'), m('d', '2027-01-19T16:00:00Z'), m('e', '2027-01-26T16:00:00Z')];
    const [q] = monthSpread(rows, defaultPolicy, 'UTC', '2026-12-01T00:00:00Z');
    expect(q).toMatchObject({ segment: 'B', quarter: '2027-Q1', meetings: 5, allowedPerMonth: 2, over: true }); // ⌊5 × 40 %⌋ = 2
    expect(q!.months).toEqual([{ month: '2027-01', meetings: 5, sharePct: 100 }, { month: '2027-02', meetings: 0, sharePct: 0 }, { month: '2027-03', meetings: 0, sharePct: 0 }]);
    expect(q!.moves.map((x) => [x.meetingId, x.toMonth])).toEqual([['e', '2027-02'], ['d', '2027-03'], ['c', '2027-02']]);
  });

  it('accepts the most even split when 40 % cannot be met in whole meetings (4 meetings: 2/1/1), and never moves held or past meetings', () => {
    const even = monthSpread([m('a', '2027-01-12T16:00:00Z'), m('b', '2027-01-13T16:00:00Z'), m('c', '2027-02-09T16:00:00Z'), m('d', '2027-03-09T16:00:00Z')], defaultPolicy, 'UTC', '2026-12-01T00:00:00Z');
    expect(even[0]).toMatchObject({ allowedPerMonth: 2, over: false, moves: [] });
    const held = monthSpread([m('a', '2027-01-12T16:00:00Z', 'held'), m('b', '2027-01-13T16:00:00Z', 'held'), m('c', '2027-01-14T16:00:00Z', 'held')], defaultPolicy, 'UTC', '2027-01-20T00:00:00Z');
    expect(held[0]).toMatchObject({ allowedPerMonth: 1, over: true, moves: [] });
  });

  it('counts months and quarters in the MSP zone and each segment apart', () => {
    const rows = [m('a', '2027-04-01T03:00:00Z'), m('b', '2027-01-05T16:00:00Z', 'scheduled', 'C')];
    const out = monthSpread(rows, defaultPolicy, 'America/Chicago', '2026-12-01T00:00:00Z');
    expect(out.map((q) => [q.segment, q.quarter, q.months.find((x) => x.meetings)!.month])).toEqual([['B', '2027-Q1', '2027-03'], ['C', '2027-Q1', '2027-01']]);
  });
});

describe('R-37 next-week rebalance', () => {
  const mtg = (id: string, segment: string, kind: string, strategic: boolean, minutes: number, prepHours: number, startsAt: string) => ({
    meetingId: id, clientId: `c-${id}`, segment, kind, strategic, prepHours, startsAt, endsAt: new Date(Date.parse(startsAt) + minutes * 60_000).toISOString(),
  });
  const week = [
    mtg('a-strat', 'A', 'strategic', true, 60, 1, '2027-03-15T15:00:00Z'), // 2 h
    mtg('b-qbr', 'B', 'strategic', true, 45, 1, '2027-03-16T15:00:00Z'), // 1.75 h
    mtg('b-plan', 'B', 'annualPlanning', true, 45, 1, '2027-03-16T17:00:00Z'), // 1.75 h, anchored: never moved
    mtg('c-tac', 'C', 'tactical', false, 30, 0.25, '2027-03-17T15:00:00Z'), // 0.75 h
    mtg('b-tac', 'B', 'tactical', false, 30, 0.25, '2027-03-18T15:00:00Z'), // 0.75 h
    mtg('d-tac', 'D', 'tactical', false, 30, 0.25, '2027-03-18T16:00:00Z'), // 0.75 h: D is not moved
    mtg('c-rev', 'C', 'strategic', true, 45, 1, '2027-03-19T15:00:00Z'), // 1.75 h
  ];

  it('moves B/C tactical meetings first until the week is at or below the 85 % target, each to the first later week with room', () => {
    const p = rebalanceProposal({ personId: 'p1', week: '2027-W11', weeklyCapacityHours: 10, meetings: week, laterWeeks: [{ week: '2027-W12', hours: 7.5 }, { week: '2027-W13', hours: 0 }] }, defaultPolicy)!;
    expect(p.hours).toBe(9.5);
    expect(p.loadPct).toBe(95); // > 90 % (capacity.rebalanceAbovePct)
    expect(p.moves.map((x) => [x.meetingId, x.toWeek])).toEqual([['b-tac', '2027-W12'], ['c-tac', '2027-W13']]); // 7.5 + 0.75 = 8.25 ≤ 8.5; + 0.75 = 9 > 8.5
    expect(p.loadPctAfter).toBe(80); // 8 ÷ 10
    expect(p.notEnough).toBe(false);
  });

  it('proposes nothing at or under the rebalance line, and says when B/C moves cannot reach the target', () => {
    expect(rebalanceProposal({ personId: 'p1', week: 'W', weeklyCapacityHours: 20, meetings: week, laterWeeks: [] }, defaultPolicy)).toBeUndefined(); // 47.5 %
    const heavy = rebalanceProposal({ personId: 'p1', week: 'W', weeklyCapacityHours: 5, meetings: week, laterWeeks: [] }, defaultPolicy)!;
    expect(heavy.moves.map((x) => x.meetingId)).toEqual(['b-tac', 'c-tac', 'c-rev', 'b-qbr']);
    expect(heavy).toMatchObject({ notEnough: true, loadPctAfter: 90 }); // 4.5 h of A, D and anchored meetings stay
    expect(heavy.moves.every((x) => x.toWeek === null)).toBe(true);
  });
});
