import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KPI_FAMILIES } from '../../db/kpis/index.js';
import { portfolioDocsPath, renderPortfolioDocs } from '../../scripts/kpi-docs.js';
import { evaluate, figure, periodAt, periodOf, previousPeriod, trendOf, type FigureSpec, type Observation } from '../../domain/kpi.js';

const spec = (kind: FigureSpec['kind'], better: FigureSpec['better'] = 'higher'): FigureSpec => ({
  id: 'f', label: 'F', ruleId: 'R-39', kind, unit: kind === 'share' ? 'pct' : kind === 'median' ? 'days' : 'count', better, definition: { denominator: 'd', numerator: 'n' }, policyKeys: [],
});
const o = (id: string, hit: boolean, segment: string | null = 'A', owner: string | null = 'p1', value?: number): Observation => ({ id, clientId: `c-${id}`, segment, ownerPersonId: owner, hit, ...(value !== undefined ? { value } : {}) });

describe('KPI figures', () => {
  it('a share: numerator over denominator in percent with one decimal, meets at or above its target', () => {
    expect(evaluate(spec('share'), [o('1', true), o('2', true), o('3', false)], 60)).toEqual({ value: 66.7, numerator: 2, denominator: 3, target: 60, meets: true });
    expect(evaluate(spec('share'), [o('1', true), o('2', false)], 95)).toMatchObject({ value: 50, meets: false });
    expect(evaluate(spec('share'), [], 95)).toEqual({ value: null, numerator: 0, denominator: 0, target: 95, meets: null });
  });

  it('a median: the middle value, meets at or under its target; the numerator counts those within it', () => {
    expect(evaluate(spec('median', 'lower'), [o('1', true, 'A', 'p1', 10), o('2', true, 'A', 'p1', 12), o('3', false, 'A', 'p1', 30), o('4', true, 'A', 'p1', 13)], 14)).toEqual({ value: 12.5, numerator: 3, denominator: 4, target: 14, meets: true });
  });

  it('a count that should trend down: meets when none, or fewer than last period', () => {
    expect(evaluate(spec('count', 'lower'), [o('1', true), o('2', true)], null, 3)).toMatchObject({ value: 2, meets: true });
    expect(evaluate(spec('count', 'lower'), [o('1', true), o('2', true)], null, 2)).toMatchObject({ value: 2, meets: false });
    expect(evaluate(spec('count', 'lower'), [], null, null)).toMatchObject({ value: 0, meets: true });
  });

  it('the trend against the previous period says which way and whether that is better', () => {
    expect(trendOf(80, 70, 'higher')).toEqual({ previousValue: 70, delta: 10, direction: 'up', improving: true });
    expect(trendOf(3, 5, 'lower')).toEqual({ previousValue: 5, delta: -2, direction: 'down', improving: true });
    expect(trendOf(50, 50, 'higher')).toEqual({ previousValue: 50, delta: 0, direction: 'flat', improving: null });
    expect(trendOf(50, null, 'higher')).toMatchObject({ direction: null, improving: null });
  });

  it('the same figure per segment and per owner, with the ids behind the numerator', () => {
    const now = [o('1', true, 'A', 'p1'), o('2', false, 'A', 'p2'), o('3', true, 'B', 'p1'), o('4', true, 'B', null)];
    const before = [o('9', false, 'A', 'p1'), o('8', true, 'C', 'p3')];
    const f = figure(spec('share'), now, before, 90);
    expect(f).toMatchObject({ value: 75, numerator: 3, denominator: 4, meets: false, ids: ['1', '3', '4'], idsTruncated: false, trend: { previousValue: 50, delta: 25, direction: 'up', improving: true } });
    expect(f.bySegment.A).toMatchObject({ value: 50, numerator: 1, denominator: 2, trend: { previousValue: 0 } });
    expect(f.bySegment.B).toMatchObject({ value: 100, meets: true, trend: { previousValue: null } });
    expect(f.bySegment.D).toMatchObject({ value: null, denominator: 0, meets: null });
    expect(f.byOwner.map((x) => [x.personId, x.numerator, x.denominator])).toEqual([['p1', 2, 2], ['p2', 0, 1], ['p3', 0, 0], [null, 1, 1]]);
  });
});

describe('periods', () => {
  it('names months and quarters in the MSP zone and steps back one', () => {
    expect(periodOf('2027-03', 'UTC')).toEqual({ kind: 'month', label: '2027-03', from: '2027-03-01T00:00:00.000Z', to: '2027-04-01T00:00:00.000Z' });
    expect(periodOf('2027-Q1', 'America/Chicago')).toEqual({ kind: 'quarter', label: '2027-Q1', from: '2027-01-01T06:00:00.000Z', to: '2027-04-01T05:00:00.000Z' });
    expect(previousPeriod(periodOf('2027-01', 'UTC'), 'UTC').label).toBe('2026-12');
    expect(periodAt('2027-04-01T03:00:00Z', 'month', 'America/Chicago').label).toBe('2027-03');
    expect(() => periodOf('2027-13', 'UTC')).toThrow(/Invalid period/);
  });
});

describe('docs/portfolio.md', () => {
  it('carries the current KPI definitions of every family', () => {
    const onDisk = fs.readFileSync(portfolioDocsPath, 'utf8');
    expect(onDisk === renderPortfolioDocs(onDisk), 'docs/portfolio.md is out of date: run `npx tsx scripts/kpi-docs.ts`').toBe(true);
    for (const family of Object.values(KPI_FAMILIES)) for (const f of family.figures) expect(onDisk).toContain(`\`${f.id}\``);
  });
});
