import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/business-time.js';
import { dueDateIn, periodOf, planDeliverables } from '../../domain/deliverables-plan.js';
import { defaultPolicy, parsePolicy } from '../../domain/policy.js';
import { policyWith } from '../support/policy.js';

/**
 * The cadence's non-meeting touches as dated deliverables (§2.2 tactical row, R-12, R-88, R-122,
 * C-7), from the policy's cadence matrix. America/Chicago: CDT −05:00 until Sun 1 Nov 2026, then CST.
 */
const cal = makeCalendar({ timeZone: 'America/Chicago' });
const LOCK = '2026-04-23T09:00:00-05:00';
const brief = (ds: ReturnType<typeof planDeliverables>) => ds.map((x) => [x.key, x.dueAt, x.ownerRole]);

describe('D: monthly auto service report and quarterly digital touch (§2.2, R-12)', () => {
  const plan = planDeliverables({ segment: 'D', from: LOCK, to: '2026-12-31T23:59:59-06:00' }, defaultPolicy, cal);

  it('each due 17:00 on the last business day of its month or calendar quarter, owned by the TAM (D Cadence Owner)', () => {
    expect(brief(plan)).toEqual([
      ['autoReport/2026-04', '2026-04-30T17:00:00.000-05:00', 'TAM'],
      ['autoReport/2026-05', '2026-05-29T17:00:00.000-05:00', 'TAM'], // 31 May is a Sunday
      ['autoReport/2026-06', '2026-06-30T17:00:00.000-05:00', 'TAM'],
      ['digitalTouch/2026-Q2', '2026-06-30T17:00:00.000-05:00', 'TAM'],
      ['autoReport/2026-07', '2026-07-31T17:00:00.000-05:00', 'TAM'],
      ['autoReport/2026-08', '2026-08-31T17:00:00.000-05:00', 'TAM'],
      ['autoReport/2026-09', '2026-09-30T17:00:00.000-05:00', 'TAM'],
      ['digitalTouch/2026-Q3', '2026-09-30T17:00:00.000-05:00', 'TAM'],
      ['autoReport/2026-10', '2026-10-30T17:00:00.000-05:00', 'TAM'], // 31 Oct is a Saturday
      ['autoReport/2026-11', '2026-11-30T17:00:00.000-06:00', 'TAM'], // standard time again
      ['autoReport/2026-12', '2026-12-31T17:00:00.000-06:00', 'TAM'],
      ['digitalTouch/2026-Q4', '2026-12-31T17:00:00.000-06:00', 'TAM'],
    ]);
  });

  it('names the rule, the backup (R-122), the format and the Defense Loop contents (R-12)', () => {
    const report = plan.find((x) => x.key === 'autoReport/2026-05')!;
    expect(report).toMatchObject({
      kind: 'autoReport', frequency: 'monthly', ruleId: 'R-12', backupRole: 'CSM', optional: false, mode: 'async',
      title: 'Monthly auto service report for 2026-05', contents: ['risk intake', 'stability check', '1-page assurance summary'],
      period: { label: '2026-05', startDate: '2026-05-01', endDate: '2026-05-31' },
      why: { dueDate: '2026-05-29', businessDayOfPeriod: -1, policyKeys: expect.arrayContaining(['cadence.D.tactical.autoReport', 'deliverables.touchDueBusinessDay', 'raci.D.cadenceOwner']) },
    });
    const touch = plan.find((x) => x.key === 'digitalTouch/2026-Q3')!;
    expect(touch).toMatchObject({
      ruleId: '§2.2', format: ['email', '3-min video', 'booking link'], title: 'Quarterly digital touch (email + 3-min video + booking link) for 2026-Q3',
      period: { startDate: '2026-07-01', endDate: '2026-09-30' }, contents: ['assurance brief: refreshed SLOs', '90-day plan'],
    });
  });

  it('without the Defense Loop the auto report is the R-88 service report', () => {
    const off = policyWith({ cadence: { D: { defenseLoop: { enabled: false } } } });
    const [first] = planDeliverables({ segment: 'D', from: LOCK, to: '2026-05-01T00:00:00-05:00' }, off, cal);
    expect(first).toMatchObject({ key: 'autoReport/2026-04', ruleId: 'R-88', contents: ['service report'] });
  });

  it('holidays move the due day to the business day before (or after, for the first)', () => {
    const holidays = makeCalendar({ timeZone: 'America/Chicago', holidays: ['2026-06-30', '2026-06-29'] });
    const june = planDeliverables({ segment: 'D', from: '2026-06-01T00:00:00-05:00', to: '2026-07-01T00:00:00-05:00' }, defaultPolicy, holidays);
    expect(brief(june)).toEqual([['autoReport/2026-06', '2026-06-26T17:00:00.000-05:00', 'TAM'], ['digitalTouch/2026-Q2', '2026-06-26T17:00:00.000-05:00', 'TAM']]);
    expect(june[0]!.why).toMatchObject({ holidaysInPeriod: ['2026-06-29', '2026-06-30'] });
    const first = policyWith({ deliverables: { touchDueBusinessDay: 1, touchDueTime: '09:30' } });
    const jan = planDeliverables({ segment: 'D', from: '2026-12-31T18:00:00-06:00', to: '2027-01-31T00:00:00-06:00' }, first, makeCalendar({ timeZone: 'America/Chicago', holidays: ['2027-01-01'] }));
    // Fri 1 Jan is a holiday: the first business day is Mon 4 Jan.
    expect(brief(jan)).toEqual([['autoReport/2027-01', '2027-01-04T09:30:00.000-06:00', 'TAM'], ['digitalTouch/2027-Q1', '2027-01-04T09:30:00.000-06:00', 'TAM']]);
  });

  it('the range is (from, to]: a touch due exactly at `from` belongs to the previous plan, one due at `to` to this one', () => {
    const at = '2026-04-30T17:00:00.000-05:00';
    expect(planDeliverables({ segment: 'D', from: at, to: '2026-05-29T17:00:00-05:00' }, defaultPolicy, cal).map((x) => x.key)).toEqual(['autoReport/2026-05']);
    expect(planDeliverables({ segment: 'D', from: LOCK, to: at }, defaultPolicy, cal).map((x) => x.key)).toEqual(['autoReport/2026-04']);
    expect(planDeliverables({ segment: 'D', from: at, to: LOCK }, defaultPolicy, cal)).toEqual([]);
  });

  it('quarters follow the client\'s fiscal year (C-7): FY ending 30 Jun → Q1 is Jul–Sep, named by the year it ends in', () => {
    const fy = planDeliverables({ segment: 'D', fiscalYearEnd: '06-30', from: LOCK, to: '2027-04-01T00:00:00-05:00' }, defaultPolicy, cal).filter((x) => x.kind === 'digitalTouch');
    expect(fy.map((x) => [x.key, x.period.startDate, x.period.endDate, x.dueAt])).toEqual([
      ['digitalTouch/FY2026-Q4', '2026-04-01', '2026-06-30', '2026-06-30T17:00:00.000-05:00'],
      ['digitalTouch/FY2027-Q1', '2026-07-01', '2026-09-30', '2026-09-30T17:00:00.000-05:00'],
      ['digitalTouch/FY2027-Q2', '2026-10-01', '2026-12-31', '2026-12-31T17:00:00.000-06:00'],
      ['digitalTouch/FY2027-Q3', '2027-01-01', '2027-03-31', '2027-03-31T17:00:00.000-05:00'],
    ]);
  });
});

describe('C: the optional monthly async update (§2.2)', () => {
  it('is optional, owned by the CSM (C Cadence Owner) with the TAM as backup', () => {
    const plan = planDeliverables({ segment: 'C', from: LOCK, to: '2026-07-01T00:00:00-05:00' }, defaultPolicy, cal);
    expect(plan.map((x) => [x.key, x.dueAt, x.ownerRole, x.backupRole, x.optional])).toEqual([
      ['asyncUpdate/2026-04', '2026-04-30T17:00:00.000-05:00', 'CSM', 'TAM', true],
      ['asyncUpdate/2026-05', '2026-05-29T17:00:00.000-05:00', 'CSM', 'TAM', true],
      ['asyncUpdate/2026-06', '2026-06-30T17:00:00.000-05:00', 'CSM', 'TAM', true],
    ]);
    expect(plan[0]).toMatchObject({ title: 'Optional monthly async update for 2026-04', ruleId: '§2.2', format: ['email', 'written update'] });
  });

  it('an MSP that makes it mandatory gets it as a plain deliverable', () => {
    const plan = planDeliverables({ segment: 'C', from: LOCK, to: '2026-05-01T00:00:00-05:00' }, policyWith({ deliverables: { asyncUpdateOptional: false } }), cal);
    expect(plan[0]).toMatchObject({ optional: false, title: 'Monthly async update for 2026-04' });
  });
});

describe('the matrix decides what is planned', () => {
  it('A and B have no non-meeting touches by default; trigger-only and none plan nothing', () => {
    for (const segment of ['A', 'B'] as const) expect(planDeliverables({ segment, from: LOCK, to: '2027-04-23T09:00:00-05:00' }, defaultPolicy, cal)).toEqual([]);
    const trig = policyWith({ cadence: { D: { tactical: { autoReport: 'triggerOnly', digitalTouch: 'none' } } } });
    expect(planDeliverables({ segment: 'D', from: LOCK, to: '2027-04-23T09:00:00-05:00' }, trig, cal)).toEqual([]);
  });

  it('weekly, bi-weekly, semi-annual and annual periods', () => {
    const p = policyWith({ cadence: { B: { tactical: { asyncUpdate: 'weekly', autoReport: 'biweekly', digitalTouch: 'semiannual' } } } });
    const plan = planDeliverables({ segment: 'B', from: '2026-06-01T00:00:00-05:00', to: '2026-06-30T23:00:00-05:00' }, p, cal);
    expect(plan.filter((x) => x.kind === 'asyncUpdate').map((x) => [x.key, x.dueAt.slice(0, 10)])).toEqual([
      ['asyncUpdate/2026-W23', '2026-06-05'], ['asyncUpdate/2026-W24', '2026-06-12'], ['asyncUpdate/2026-W25', '2026-06-19'], ['asyncUpdate/2026-W26', '2026-06-26'],
    ]);
    // Fortnights from Mon 5 Jan 1970: 1 Jun 2026 starts one (20,602 days later = 1,471.6 fortnights → the one from 25 May).
    expect(plan.filter((x) => x.kind === 'autoReport').map((x) => [x.period.startDate, x.period.endDate, x.dueAt.slice(0, 10)])).toEqual([
      ['2026-05-25', '2026-06-07', '2026-06-05'], ['2026-06-08', '2026-06-21', '2026-06-19'],
    ]);
    expect(plan.filter((x) => x.kind === 'digitalTouch').map((x) => [x.key, x.dueAt])).toEqual([['digitalTouch/2026-H1', '2026-06-30T17:00:00.000-05:00']]);
    expect(periodOf('annual', '2026-08-15', '03-31')).toEqual({ label: 'FY2027', startDate: '2026-04-01', endDate: '2027-03-31' });
    expect(periodOf('semiannual', '2026-08-15', '03-31')).toEqual({ label: 'FY2027-H1', startDate: '2026-04-01', endDate: '2026-09-30' });
    expect(periodOf('quarterly', '2026-02-28')).toEqual({ label: '2026-Q1', startDate: '2026-01-01', endDate: '2026-03-31' });
  });

  it('a period with fewer business days than asked uses its last; one with none is due on its last day', () => {
    const allOff = makeCalendar({ timeZone: 'America/Chicago', holidays: ['2026-06-01', '2026-06-02', '2026-06-03', '2026-06-04', '2026-06-05'] });
    expect(dueDateIn({ label: 'w', startDate: '2026-06-01', endDate: '2026-06-07' }, 3, allOff)).toBe('2026-06-07');
    expect(dueDateIn({ label: 'w', startDate: '2026-06-01', endDate: '2026-06-07' }, 9, cal)).toBe('2026-06-05');
    expect(dueDateIn({ label: 'w', startDate: '2026-06-01', endDate: '2026-06-07' }, -9, cal)).toBe('2026-06-01');
    expect(() => dueDateIn({ label: 'w', startDate: '2026-06-01', endDate: '2026-06-07' }, 0, cal)).toThrow(RangeError);
  });

  it('the policy refuses a due day of 0 and an invalid fiscal year-end is an error', () => {
    expect(parsePolicy({ deliverables: { touchDueBusinessDay: 0 } }).ok).toBe(false);
    expect(() => planDeliverables({ segment: 'D', fiscalYearEnd: '13-01', from: LOCK, to: '2026-06-01T00:00:00Z' }, defaultPolicy, cal)).toThrow(/fiscalYearEnd/);
  });

  it('a year of D touches: 12 reports and 4 digital touches, keys unique and stable across overlapping plans', () => {
    const year = planDeliverables({ segment: 'D', from: '2026-12-31T23:59:59-06:00', to: '2027-12-31T23:59:59-06:00' }, defaultPolicy, cal);
    expect(year.filter((x) => x.kind === 'autoReport')).toHaveLength(12);
    expect(year.filter((x) => x.kind === 'digitalTouch')).toHaveLength(4);
    expect(new Set(year.map((x) => x.key)).size).toBe(year.length);
    const half = planDeliverables({ segment: 'D', from: '2027-06-15T00:00:00-05:00', to: '2027-12-31T23:59:59-06:00' }, defaultPolicy, cal);
    for (const x of half) expect(year.find((y) => y.key === x.key)).toEqual(x);
  });
});
