import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/business-time.js';
import {
  cadenceHorizon, horizonMonths, planMonths, replanForSegmentChange, type BookedMeeting, type PlanInput, type PlannedMeeting,
} from '../../domain/cadence-plan.js';
import { defaultPolicy, parsePolicy, type Policy } from '../../domain/policy.js';

// America/Chicago; US DST ends Sun 2026-11-01 (-05:00 → -06:00) and starts Sun 2027-03-14.
// 2nd Tuesdays (R-11 recurring slot): 2026-06-09, 07-14, 08-11, 09-08, 10-13, 11-10, 12-08, 2027-01-12, 02-09, 03-09, 04-13, 05-11.
// 2nd Thursdays (cadence.tacticalSlot): 2026-06-11, 07-09, 08-13, 09-10, 10-08, 11-12, 12-10, 2027-01-14, 02-11, 03-11, 04-08, 05-13.
const chicago = makeCalendar({ timeZone: 'America/Chicago' });

function withPolicy(patch: Record<string, unknown>, base: Policy = policy): Policy {
  const r = parsePolicy({ ...base, ...patch });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.policy;
}

// Most tests pin a separate tactical slot on the 2nd Thursday (bi-weekly 1st + 3rd) and 45-min planning meetings: a
// policy an MSP may keep. The defaults (one shared slot, A-25; A's 90-min M1, R-65) have their own tests at the end.
const policy = withPolicy({
  cadence: {
    ...defaultPolicy.cadence,
    tacticalSlot: { weekday: 4, time: '10:00', monthlyWeek: 2, biweeklyWeeks: [1, 3] },
    A: { ...defaultPolicy.cadence.A, annualPlanning: { ...defaultPolicy.cadence.A.annualPlanning, firstMeetingMinutes: null } },
  },
}, defaultPolicy);
const LOCK = '2026-05-15T12:00:00.000-05:00'; // a Friday; R-63 threshold = 2026-06-14
const HORIZON = horizonMonths('2026-05', 12); // 2026-06 … 2027-05 (R-10)

const input = (over: Partial<PlanInput> & Pick<PlanInput, 'segment'>): PlanInput => ({
  touchTier: 'High', fiscalYearEnd: '12-31', renewalDate: null, lockedAt: LOCK, ...over,
});
/** Compact view: key → template @ start [agenda]. */
const brief = (ms: PlannedMeeting[]) => ms.map((m) => `${m.key} ${m.template} ${m.startsAt}${m.agenda.length ? ` [${m.agenda.join('+')}]` : ''}`);
const byKey = (ms: PlannedMeeting[], key: string) => {
  const m = ms.find((x) => x.key === key);
  if (!m) throw new Error(`no meeting ${key} in ${ms.map((x) => x.key).join(', ')}`);
  return m;
};
const toBooked = (ms: PlannedMeeting[], after: string): BookedMeeting[] =>
  ms.filter((m) => Date.parse(m.startsAt) > Date.parse(after)).map((m) => ({ key: m.key, kind: m.kind, template: m.template, month: m.month, startsAt: m.startsAt }));

describe('rolling horizon (R-10)', () => {
  it('is the n months after the given month; at lock, cadence.horizonMonths after the lock month', () => {
    expect(horizonMonths('2026-11', 3)).toEqual(['2026-12', '2027-01', '2027-02']);
    expect(horizonMonths('2026-05', 0)).toEqual([]);
    expect(cadenceHorizon(LOCK, policy, chicago)).toEqual(HORIZON);
    expect(HORIZON[0]).toBe('2026-06');
    expect(HORIZON[11]).toBe('2027-05');
    // The lock's LOCAL month counts: 2026-06-01 02:00Z is still May 31 in Chicago.
    expect(cadenceHorizon('2026-06-01T02:00:00Z', withPolicy({ cadence: { ...policy.cadence, horizonMonths: 2 } }), chicago)).toEqual(['2026-06', '2026-07']);
    expect(() => horizonMonths('2026-5', 1)).toThrow(RangeError);
  });
});

describe('segment A, FY-end 12-31, touch tier High (R-62, §2.2, A-5)', () => {
  const plan = planMonths(input({ segment: 'A' }), HORIZON, policy, chicago);

  it('R-62: M3 = FY-end − 30 d = Tue 2026-12-01; M2, M1 each 28 d earlier, at the slot time, 45 min, live, vCIO-led', () => {
    const ap = plan.filter((m) => m.kind === 'annualPlanning');
    expect(brief(ap)).toEqual([
      'ap/2026/M1 M1 2026-10-06T10:00:00.000-05:00 [budget]',
      'ap/2026/M2 M2 2026-11-03T10:00:00.000-06:00 [budget]',
      'ap/2026/M3 M3 2026-12-01T10:00:00.000-06:00 [budget]',
    ]);
    const m3 = byKey(plan, 'ap/2026/M3');
    expect(m3).toMatchObject({
      kind: 'annualPlanning', strategic: true, month: '2026-12', localDate: '2026-12-01', endsAt: '2026-12-01T10:45:00.000-06:00',
      mode: 'live', ruleId: 'R-62', raci: { accountable: 'vCIO', presenter: 'vCIO', recorder: 'CSM', backup: 'CSM' },
    });
    expect(m3.why).toMatchObject({ cycle: 2026, anchor: 'fyEnd', anchorDate: '2026-12-31', offsetDays: -30, final: true, unrolledDate: '2026-12-01' });
    expect(m3.why.rolledFrom).toBeUndefined(); // a Tuesday: ROLL (C-2) leaves it alone
    expect(byKey(plan, 'ap/2026/M1').why).toMatchObject({ spacingDays: 28, before: '2026-11-03', r63: { firstMeeting: '2026-10-06', minFirstDate: '2026-06-14' } });
  });

  it('DST: the November planning meeting is at 10:00 local with offset -06:00, October at -05:00', () => {
    expect(byKey(plan, 'ap/2026/M2').startsAt).toBe('2026-11-03T10:00:00.000-06:00');
    expect(byKey(plan, 'ap/2026/M2').endsAt).toBe('2026-11-03T10:45:00.000-06:00');
    expect(byKey(plan, 'ap/2026/M1').startsAt).toBe('2026-10-06T10:00:00.000-05:00');
  });

  it('§2.2: a strategic meeting every non-planning month; the first of each quarter without M3 is an Executive QBR', () => {
    const st = plan.filter((m) => m.kind === 'strategic');
    expect(brief(st)).toEqual([
      // Q2 2026's Executive QBR was April's slot, before the lock: June stays a monthly meeting.
      'strategic/2026-06 Monthly Strategic 2026-06-09T10:00:00.000-05:00 [budget]',
      'strategic/2026-07 Executive QBR 2026-07-14T10:00:00.000-05:00 [roadmap+budget]',
      'strategic/2026-08 Monthly Strategic 2026-08-11T10:00:00.000-05:00 [budget]',
      'strategic/2026-09 Monthly Strategic 2026-09-08T10:00:00.000-05:00 [budget]',
      'strategic/2027-01 Executive QBR 2027-01-12T10:00:00.000-06:00 [roadmap+budget]',
      'strategic/2027-02 Monthly Strategic 2027-02-09T10:00:00.000-06:00 [budget]',
      'strategic/2027-03 Monthly Strategic 2027-03-09T10:00:00.000-06:00 [budget]',
      'strategic/2027-04 Executive QBR 2027-04-13T10:00:00.000-05:00 [roadmap+budget]',
      'strategic/2027-05 Monthly Strategic 2027-05-11T10:00:00.000-05:00 [budget]',
    ]);
    expect(st.every((m) => m.mode === 'live' && m.ruleId === 'R-10' && m.strategic)).toBe(true);
    expect(byKey(plan, 'strategic/2027-01')).toMatchObject({
      endsAt: '2027-01-12T10:45:00.000-06:00',
      raci: { accountable: 'vCIO', presenter: 'vCIO', recorder: 'CSM', backup: 'CSM' },
      why: { executiveQbr: { ordinal: 1, of: 3, cycleYear: 2027 }, quarter: '2027-01..2027-03' },
    });
  });

  it('§2.2 tactical at High: one Check-in a month, 2nd Thursday 10:00, 30 min, Cadence Owner CSM / backup AM, no agenda flags', () => {
    const tac = plan.filter((m) => m.kind === 'tactical');
    expect(tac.map((m) => m.startsAt)).toEqual([
      '2026-06-11T10:00:00.000-05:00', '2026-07-09T10:00:00.000-05:00', '2026-08-13T10:00:00.000-05:00', '2026-09-10T10:00:00.000-05:00',
      '2026-10-08T10:00:00.000-05:00', '2026-11-12T10:00:00.000-06:00', '2026-12-10T10:00:00.000-06:00', '2027-01-14T10:00:00.000-06:00',
      '2027-02-11T10:00:00.000-06:00', '2027-03-11T10:00:00.000-06:00', '2027-04-08T10:00:00.000-05:00', '2027-05-13T10:00:00.000-05:00',
    ]);
    expect(byKey(plan, 'tactical/2026-11/1')).toMatchObject({
      template: 'Check-in', strategic: false, mode: 'live', agenda: [], endsAt: '2026-11-12T10:30:00.000-06:00',
      raci: { accountable: 'CSM', presenter: 'CSM', recorder: null, backup: 'AM' },
    });
    expect(plan).toHaveLength(3 + 9 + 12);
  });

  it('plans are sorted by start and the same for any order or subset of months (rolling horizon)', () => {
    const starts = plan.map((m) => Date.parse(m.startsAt));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    const some = planMonths(input({ segment: 'A' }), ['2027-04', '2026-11', '2027-04'], policy, chicago);
    expect(some.map((m) => m.key)).toEqual(['ap/2026/M2', 'tactical/2026-11/1', 'tactical/2027-04/1', 'strategic/2027-04']);
    expect(byKey(some, 'strategic/2027-04')).toEqual(byKey(plan, 'strategic/2027-04'));
  });

  it('R-10: nothing at or before the lock instant', () => {
    const atSlot = planMonths(input({ segment: 'A', lockedAt: '2026-06-09T10:00:00.000-05:00' }), ['2026-06'], policy, chicago);
    expect(atSlot.map((m) => m.key)).toEqual(['tactical/2026-06/1']);
    const justBefore = planMonths(input({ segment: 'A', lockedAt: '2026-06-09T09:59:59.999-05:00' }), ['2026-06'], policy, chicago);
    expect(justBefore.map((m) => m.key)).toEqual(['strategic/2026-06', 'tactical/2026-06/1']);
  });
});

describe('segment B, FY-end 06-30, touch tier Mid', () => {
  const b = input({ segment: 'B', touchTier: 'Mid', fiscalYearEnd: '06-30' });
  const plan = planMonths(b, HORIZON, policy, chicago);

  it('R-63 skips the 2026 cycle (M1 2026-05-01 is before the lock); 2027: M2 = Mon 05-31, M1 = 05-03', () => {
    expect(brief(plan)).toEqual([
      'tactical/2026-07/1 Check-in 2026-07-09T10:00:00.000-05:00',
      'strategic/2026-07 QBR 2026-07-14T10:00:00.000-05:00 [roadmap]',
      'tactical/2026-10/1 Check-in 2026-10-08T10:00:00.000-05:00',
      'strategic/2026-10 QBR 2026-10-13T10:00:00.000-05:00 [roadmap]',
      // Semi-annual budget: the QBR closest to 6 months after the 2026 final (05-29 → target 11-29): 01-12 (44 d) beats 10-13 (47 d).
      'strategic/2027-01 QBR 2027-01-12T10:00:00.000-06:00 [roadmap+budget]',
      'tactical/2027-01/1 Check-in 2027-01-14T10:00:00.000-06:00',
      'tactical/2027-04/1 Check-in 2027-04-08T10:00:00.000-05:00',
      // B's M1/M2 carry the slot keys M2/M3: the final meeting is 'M3' in every segment.
      'ap/2027/M2 M1 2027-05-03T10:00:00.000-05:00',
      'ap/2027/M3 M2 2027-05-31T10:00:00.000-05:00 [budget]',
    ]);
    expect(byKey(plan, 'strategic/2027-01').why).toMatchObject({ budgetSixMonthsAfterFinal: '2026-05-29' });
    // Q2 2027 holds the final planning meeting: no QBR that quarter; Q2 2026's QBR (April) preceded the lock.
    expect(plan.filter((m) => m.template === 'QBR').map((m) => m.month)).toEqual(['2026-07', '2026-10', '2027-01']);
    expect(byKey(plan, 'ap/2027/M3')).toMatchObject({ mode: 'live', raci: { accountable: 'vCIO', presenter: 'vCIO', recorder: 'CSM', backup: 'CSM' } });
    expect(byKey(plan, 'strategic/2026-07')).toMatchObject({ mode: 'live', raci: { accountable: 'vCIO', presenter: 'vCIO', recorder: 'CSM', backup: 'CSM' } });
  });

  it('C-2: a final meeting on a holiday ROLLs to the previous business day, and M1 counts from the rolled date', () => {
    const memorial = makeCalendar({ timeZone: 'America/Chicago', holidays: ['2027-05-31'] });
    const ap = planMonths(b, HORIZON, policy, memorial).filter((m) => m.kind === 'annualPlanning');
    expect(brief(ap)).toEqual([
      'ap/2027/M2 M1 2027-04-30T10:00:00.000-05:00',
      'ap/2027/M3 M2 2027-05-28T10:00:00.000-05:00 [budget]',
    ]);
    expect(ap[1]!.why).toMatchObject({ unrolledDate: '2027-05-31', rolledFrom: '2027-05-31' });
    expect(ap[0]!.why).toMatchObject({ before: '2027-05-28', unrolledDate: '2027-04-30' });
  });
});

describe('R-63: the first cycle is the first whose M1 is ≥ 30 d after the lock', () => {
  const months = ['2026-10', '2026-11', '2026-12'];

  it('M1 exactly 30 days after the lock date is planned', () => {
    const plan = planMonths(input({ segment: 'A', lockedAt: '2026-09-06T12:00:00.000-05:00' }), months, policy, chicago);
    expect(plan.filter((m) => m.kind !== 'tactical').map((m) => m.key)).toEqual(['ap/2026/M1', 'ap/2026/M2', 'ap/2026/M3']);
  });

  it('29 days is too soon: the cycle is skipped and its months get monthly strategic meetings; the 4th Executive QBR of the year is capped (executiveQbrPerYear 3)', () => {
    const plan = planMonths(input({ segment: 'A', lockedAt: '2026-09-07T12:00:00.000-05:00' }), months, policy, chicago);
    expect(brief(plan.filter((m) => m.kind !== 'tactical'))).toEqual([
      'strategic/2026-10 Monthly Strategic 2026-10-13T10:00:00.000-05:00 [budget]',
      'strategic/2026-11 Monthly Strategic 2026-11-10T10:00:00.000-06:00 [budget]',
      'strategic/2026-12 Monthly Strategic 2026-12-08T10:00:00.000-06:00 [budget]',
    ]);
    expect(byKey(plan, 'strategic/2026-10').why).toMatchObject({ executiveQbrCapReached: { cap: 3, cycleYear: 2026 } });
  });
});

describe('segment C, FY-end 12-31', () => {
  it('touch tier Mid: one hybrid Annual Planning meeting, a Review each non-planning quarter, quarterly Service Reviews', () => {
    const plan = planMonths(input({ segment: 'C', touchTier: 'Mid' }), HORIZON, policy, chicago);
    expect(brief(plan)).toEqual([
      'tactical/2026-07/1 Service Review 2026-07-09T10:00:00.000-05:00',
      // Semi-annual budget: closest Review to 2025-12-01 + 6 months (2026-06-01): 07-14 (43 d) beats 04-14 (48 d).
      'strategic/2026-07 Review 2026-07-14T10:00:00.000-05:00 [roadmap+budget]',
      'tactical/2026-10/1 Service Review 2026-10-08T10:00:00.000-05:00',
      'ap/2026/M3 Annual Planning 2026-12-01T10:00:00.000-06:00 [budget]',
      'strategic/2027-01 Review 2027-01-12T10:00:00.000-06:00 [roadmap]',
      'tactical/2027-01/1 Service Review 2027-01-14T10:00:00.000-06:00',
      'tactical/2027-04/1 Service Review 2027-04-08T10:00:00.000-05:00',
      'strategic/2027-04 Review 2027-04-13T10:00:00.000-05:00 [roadmap]',
    ]);
    expect(byKey(plan, 'ap/2026/M3')).toMatchObject({ mode: 'hybrid', raci: { accountable: 'vCIO', presenter: 'CSM', recorder: 'TAM', backup: 'AM' } });
    expect(byKey(plan, 'strategic/2027-01')).toMatchObject({ mode: 'hybrid', raci: { accountable: 'CSM', presenter: 'CSM', recorder: 'TAM', backup: 'AM' } });
    expect(byKey(plan, 'tactical/2026-10/1')).toMatchObject({ mode: 'hybrid', strategic: false, raci: { accountable: 'TAM', presenter: 'TAM', recorder: null, backup: 'CSM' } });
  });

  it('§2.19: with no vCIO on the account the planning Accountable falls back to the CSM', () => {
    const plan = planMonths(input({ segment: 'C', touchTier: 'Mid', staffedRoles: ['AM', 'TAM', 'CSM'] }), ['2026-12'], policy, chicago);
    expect(byKey(plan, 'ap/2026/M3')).toMatchObject({ raci: { accountable: 'CSM', presenter: 'CSM', recorder: 'TAM', backup: 'AM' }, why: { accountableFallback: 'raci.C.annualPlanning.accountableFallback' } });
  });

  it('A-5 touch tier Tech: only the annual meeting and one Mid-year Review 6 months after it; service reviews are trigger-only', () => {
    const plan = planMonths(input({ segment: 'C', touchTier: 'Tech' }), HORIZON, policy, chicago);
    expect(brief(plan)).toEqual([
      // 6 months after the 2025-12 final planning meeting; it carries the semi-annual budget view.
      'strategic/2026-06 Mid-year Review 2026-06-09T10:00:00.000-05:00 [roadmap+budget]',
      'ap/2026/M3 Annual Planning 2026-12-01T10:00:00.000-06:00 [budget]',
    ]);
    expect(byKey(plan, 'strategic/2026-06').why).toMatchObject({ perYearAtTechTier: 1, finalMeeting: '2025-12-01', monthsAfterFinal: 6 });
    // The next one is June 2027, 6 months after 2026-12-01.
    expect(brief(planMonths(input({ segment: 'C', touchTier: 'Tech' }), ['2027-06'], policy, chicago))).toEqual([
      'strategic/2027-06 Mid-year Review 2027-06-08T10:00:00.000-05:00 [roadmap+budget]',
    ]);
  });
});

describe('segment D (R-62 anchor renewal − 90 d, async, TAM)', () => {
  it('with a renewal date: Annual IT Strategy = 2027-03-15 − 90 d = Tue 2026-12-15; quarterly Service Reviews carry the budget list', () => {
    const plan = planMonths(input({ segment: 'D', touchTier: 'Mid', renewalDate: '2025-03-15' }), HORIZON, policy, chicago);
    expect(brief(plan)).toEqual([
      'tactical/2026-07/1 Service Review 2026-07-09T10:00:00.000-05:00 [budget]',
      'tactical/2026-10/1 Service Review 2026-10-08T10:00:00.000-05:00 [budget]',
      'ap/2027/annual Annual IT Strategy 2026-12-15T10:00:00.000-06:00 [roadmap]',
      'tactical/2027-01/1 Service Review 2027-01-14T10:00:00.000-06:00 [budget]',
      'tactical/2027-04/1 Service Review 2027-04-08T10:00:00.000-05:00 [budget]',
    ]);
    expect(byKey(plan, 'ap/2027/annual')).toMatchObject({
      mode: 'async', strategic: true, ruleId: 'R-62', raci: { accountable: 'TAM', presenter: null, recorder: null, backup: 'CSM' },
      why: { cycle: 2027, anchor: 'renewal', anchorDate: '2027-03-15', offsetDays: -90 },
    });
    expect(byKey(plan, 'tactical/2026-07/1')).toMatchObject({ mode: 'async', raci: { accountable: 'TAM', presenter: 'TAM', recorder: null, backup: 'CSM' } });
    expect(plan.some((m) => m.kind === 'strategic')).toBe(false);
  });

  it('without a renewal date: contract anniversary (the lock date 05-15) − 90 d = Sun 2027-02-14, ROLLed to Fri 02-12', () => {
    const plan = planMonths(input({ segment: 'D', touchTier: 'High' }), HORIZON, policy, chicago);
    expect(byKey(plan, 'ap/2027/annual')).toMatchObject({
      startsAt: '2027-02-12T10:00:00.000-06:00', template: 'Annual IT Strategy',
      why: { anchor: 'contractAnniversary', anchorDate: '2027-05-15', unrolledDate: '2027-02-14', rolledFrom: '2027-02-14' },
    });
    // High: monthly Service Reviews; the budget list rides on each quarter's first one (April 2026's preceded the lock).
    const tac = plan.filter((m) => m.kind === 'tactical');
    expect(tac).toHaveLength(12);
    expect(tac.filter((m) => m.agenda.includes('budget')).map((m) => m.month)).toEqual(['2026-07', '2026-10', '2027-01', '2027-04']);
    expect(plan).toHaveLength(13);
  });
});

describe('slots: ROLL, bi-weekly, policy (R-11, C-2, A-13)', () => {
  it('a holiday on the recurring slot ROLLs the strategic meeting to the previous business day', () => {
    const july4th = makeCalendar({ timeZone: 'America/Chicago', holidays: ['2026-07-14'] });
    const m = byKey(planMonths(input({ segment: 'A' }), ['2026-07'], policy, july4th), 'strategic/2026-07');
    expect(m).toMatchObject({ startsAt: '2026-07-13T10:00:00.000-05:00', localDate: '2026-07-13', template: 'Executive QBR', why: { rolledFrom: '2026-07-14' } });
  });

  it('VIP: bi-weekly Check-ins on the 1st and 3rd Thursday; a holiday on the 1st of the month ROLLs forward, never into the previous month', () => {
    const vip = input({ segment: 'A', touchTier: 'VIP' });
    expect(brief(planMonths(vip, ['2026-10'], policy, chicago).filter((m) => m.kind === 'tactical'))).toEqual([
      'tactical/2026-10/1 Check-in 2026-10-01T10:00:00.000-05:00',
      'tactical/2026-10/2 Check-in 2026-10-15T10:00:00.000-05:00',
    ]);
    const oct1 = makeCalendar({ timeZone: 'America/Chicago', holidays: ['2026-10-01'] });
    expect(byKey(planMonths(vip, ['2026-10'], policy, oct1), 'tactical/2026-10/1')).toMatchObject({
      startsAt: '2026-10-02T10:00:00.000-05:00', why: { weekOfMonth: 1, frequency: 'biweekly', rolledFrom: '2026-10-01' },
    });
  });

  it('times and lengths come from the policy', () => {
    const p = withPolicy({
      cadence: {
        ...policy.cadence,
        recurringSlot: { weekOfMonth: 3, weekday: 3, time: '14:00' },
        strategicMinutes: 60,
        tacticalSlot: { ...policy.cadence.tacticalSlot, weekday: 1, time: '08:30', monthlyWeek: 1 },
        tacticalMinutes: 25,
      },
    });
    const plan = planMonths(input({ segment: 'A' }), ['2026-08', '2026-10'], p, chicago);
    expect(byKey(plan, 'strategic/2026-08')).toMatchObject({ startsAt: '2026-08-19T14:00:00.000-05:00', endsAt: '2026-08-19T15:00:00.000-05:00' });
    expect(byKey(plan, 'ap/2026/M1')).toMatchObject({ startsAt: '2026-10-06T14:00:00.000-05:00', endsAt: '2026-10-06T15:00:00.000-05:00' });
    expect(byKey(plan, 'tactical/2026-08/1')).toMatchObject({ startsAt: '2026-08-03T08:30:00.000-05:00', endsAt: '2026-08-03T08:55:00.000-05:00' });
  });

  it('C-7: with fiscal quarters (FY-end 01-31) QBRs and quarterly check-ins follow Feb–Apr, May–Jul, Aug–Oct, Nov–Jan', () => {
    const fiscal = withPolicy({ calendar: { ...policy.calendar, quarters: 'fiscal' } });
    const b = input({ segment: 'B', touchTier: 'Mid', fiscalYearEnd: '01-31' });
    const plan = planMonths(b, HORIZON, fiscal, chicago);
    expect(plan.filter((m) => m.kind === 'strategic').map((m) => m.month)).toEqual(['2026-08', '2027-02', '2027-05']);
    expect(plan.filter((m) => m.kind === 'tactical').map((m) => m.month)).toEqual(['2026-08', '2026-11', '2027-02', '2027-05']);
    expect(byKey(plan, 'ap/2027/M3').startsAt).toBe('2027-01-01T10:00:00.000-06:00');
    // Calendar quarters (the default) for the same client:
    const cal = planMonths(b, HORIZON, policy, chicago);
    expect(cal.filter((m) => m.kind === 'strategic').map((m) => m.month)).toEqual(['2026-07', '2026-10', '2027-04']);
  });

  it('rejects malformed input', () => {
    expect(() => planMonths(input({ segment: 'A' }), ['2026-13'], policy, chicago)).toThrow(RangeError);
    expect(() => planMonths(input({ segment: 'A', fiscalYearEnd: '02-30' }), HORIZON, policy, chicago)).toThrow(RangeError);
    expect(() => planMonths(input({ segment: 'A', lockedAt: '2026-05-15T12:00:00' }), HORIZON, policy, chicago)).toThrow(RangeError);
    expect(planMonths(input({ segment: 'A' }), [], policy, chicago)).toEqual([]);
  });
});

describe('R-9 segment change (A-12)', () => {
  it('effective month = first month starting ≥ 14 d after the change (local calendar days)', () => {
    const none: BookedMeeting[] = [];
    const change = (changedAt: string) => replanForSegmentChange(none, { ...input({ segment: 'B' }), from: 'A', changedAt }, HORIZON, policy, chicago).effectiveMonth;
    expect(change('2026-09-17T16:00:00.000-05:00')).toBe('2026-10'); // + 14 = 10-01
    expect(change('2026-09-18T08:00:00.000-05:00')).toBe('2026-11'); // + 14 = 10-02
  });

  it('A → B: booked dates kept; A-only meetings cancelled; the early Monthly Strategic becomes a QBR', () => {
    const a = planMonths(input({ segment: 'A' }), HORIZON, policy, chicago);
    const changedAt = '2026-08-20T09:00:00.000-05:00'; // + 14 d = 09-03 → effective 2026-10
    const diff = replanForSegmentChange(toBooked(a, changedAt), { ...input({ segment: 'B' }), from: 'A', changedAt }, HORIZON, policy, chicago);
    expect(diff.effectiveMonth).toBe('2026-10');
    expect(diff.cancel.map((c) => c.key)).toEqual(['ap/2026/M1', 'strategic/2027-02', 'strategic/2027-03', 'strategic/2027-05']);
    expect(diff.add).toEqual([]);
    const restyled = Object.fromEntries(diff.restyle.map((r) => [r.key, `${r.template} ${r.startsAt} ${r.mode} [${r.agenda.join('+')}]`]));
    expect(restyled).toEqual({
      // Before the effective month: B uses strategic meetings, so A's September meeting keeps its date as a QBR.
      'strategic/2026-09': 'QBR 2026-09-08T10:00:00.000-05:00 live [roadmap]',
      'tactical/2026-09/1': 'Check-in 2026-09-10T10:00:00.000-05:00 live []',
      // A's M2/M3 are B's M1/M2 on the same dates (final = FY-end − 30 d in both).
      'ap/2026/M2': 'M1 2026-11-03T10:00:00.000-06:00 live []',
      'ap/2026/M3': 'M2 2026-12-01T10:00:00.000-06:00 live [budget]',
      'strategic/2027-01': 'QBR 2027-01-12T10:00:00.000-06:00 live [roadmap]',
      'strategic/2027-04': 'QBR 2027-04-13T10:00:00.000-05:00 live [roadmap]',
      ...Object.fromEntries(['2026-10-08', '2026-11-12', '2026-12-10', '2027-01-14', '2027-02-11', '2027-03-11', '2027-04-08', '2027-05-13'].map((d) => {
        const offset = d >= '2026-11-01' && d < '2027-03-14' ? '-06:00' : '-05:00';
        return [`tactical/${d.slice(0, 7)}/1`, `Check-in ${d}T10:00:00.000${offset} live []`];
      })),
    });
    const m3 = diff.restyle.find((r) => r.key === 'ap/2026/M3')!;
    expect(m3).toMatchObject({ ruleId: 'R-9', kind: 'annualPlanning', raci: { accountable: 'vCIO', presenter: 'vCIO', recorder: 'CSM', backup: 'CSM' } });
    expect(m3.why).toMatchObject({ ruleId: 'R-9', from: 'A', to: 'B', changedAt, effectiveMonth: '2026-10', leadDays: 14, fromTemplate: 'M3' });
    expect(diff.cancel[0]!.why).toMatchObject({ ruleId: 'R-9', from: 'A', to: 'B', effectiveMonth: '2026-10', leadDays: 14, fromTemplate: 'M1' });
  });

  const bMid = input({ segment: 'B', touchTier: 'Mid' });
  const bPlan = planMonths(bMid, HORIZON, policy, chicago);
  const changedAt = '2026-09-20T09:00:00.000-05:00'; // + 14 d = 10-04 → effective 2026-11
  const booked = toBooked(bPlan, changedAt);

  it('B → C: check-ins become TAM Service Reviews, QBRs become CSM Reviews, B\'s M1 is cancelled, M2 becomes the Annual Planning meeting', () => {
    expect(booked.map((b) => b.key)).toEqual(['tactical/2026-10/1', 'ap/2026/M2', 'ap/2026/M3', 'strategic/2027-01', 'tactical/2027-01/1', 'tactical/2027-04/1', 'strategic/2027-04']);
    const diff = replanForSegmentChange(booked, { ...bMid, segment: 'C', from: 'B', changedAt }, HORIZON, policy, chicago);
    expect(diff.effectiveMonth).toBe('2026-11');
    expect(diff.cancel.map((c) => c.key)).toEqual(['ap/2026/M2']);
    expect(diff.add).toEqual([]);
    expect(diff.restyle.map((r) => `${r.key} ${r.template} ${r.startsAt} ${r.mode} [${r.agenda.join('+')}]`)).toEqual([
      // Before the effective month: C has Service Reviews at Mid, so the check-in is restyled, date kept.
      'tactical/2026-10/1 Service Review 2026-10-08T10:00:00.000-05:00 hybrid []',
      'ap/2026/M3 Annual Planning 2026-12-01T10:00:00.000-06:00 hybrid [budget]',
      'strategic/2027-01 Review 2027-01-12T10:00:00.000-06:00 hybrid [roadmap]',
      'tactical/2027-01/1 Service Review 2027-01-14T10:00:00.000-06:00 hybrid []',
      'tactical/2027-04/1 Service Review 2027-04-08T10:00:00.000-05:00 hybrid []',
      'strategic/2027-04 Review 2027-04-13T10:00:00.000-05:00 hybrid [roadmap]',
    ]);
    expect(diff.restyle[0]).toMatchObject({ raci: { accountable: 'TAM', presenter: 'TAM', recorder: null, backup: 'CSM' }, why: { fromTemplate: 'Check-in', effectiveMonth: '2026-11' } });
    expect(diff.restyle[1]).toMatchObject({ raci: { accountable: 'vCIO', presenter: 'CSM', recorder: 'TAM', backup: 'AM' } });
    expect(diff.restyle[2]).toMatchObject({ raci: { accountable: 'CSM', presenter: 'CSM', recorder: 'TAM', backup: 'AM' }, why: { from: 'B', to: 'C', fromTemplate: 'QBR' } });
  });

  it('B → D: a QBR before the effective month is cancelled (D has no strategic meetings); D\'s Annual IT Strategy is added', () => {
    const withOctQbr: BookedMeeting[] = [
      { key: 'strategic/2026-10', kind: 'strategic', template: 'QBR', month: '2026-10', startsAt: '2026-10-13T10:00:00.000-05:00' },
      ...booked,
    ];
    const diff = replanForSegmentChange(withOctQbr, { ...bMid, segment: 'D', from: 'B', changedAt }, HORIZON, policy, chicago);
    expect(diff.cancel.map((c) => c.key)).toEqual(['strategic/2026-10', 'ap/2026/M2', 'ap/2026/M3', 'strategic/2027-01', 'strategic/2027-04']);
    expect(diff.cancel[0]!.why).toMatchObject({ ruleId: 'R-9', reason: 'segment D does not use this strategic meeting' });
    expect(diff.restyle.map((r) => `${r.key} ${r.template} ${r.mode} [${r.agenda.join('+')}]`)).toEqual([
      'tactical/2026-10/1 Service Review async [budget]',
      'tactical/2027-01/1 Service Review async [budget]',
      'tactical/2027-04/1 Service Review async [budget]',
    ]);
    expect(diff.add).toHaveLength(1);
    expect(diff.add[0]).toMatchObject({
      key: 'ap/2027/annual', template: 'Annual IT Strategy', startsAt: '2027-02-12T10:00:00.000-06:00', mode: 'async', ruleId: 'R-62',
      why: { ruleId: 'R-9', from: 'B', to: 'D', changedAt, effectiveMonth: '2026-11', leadDays: 14, planRuleId: 'R-62' },
    });
  });

  it('B → A: A\'s extra monthly meetings are added from the effective month; no planning meeting is doubled', () => {
    const diff = replanForSegmentChange(booked, { ...bMid, segment: 'A', from: 'B', changedAt }, HORIZON, policy, chicago);
    expect(brief(diff.add)).toEqual([
      'strategic/2027-02 Monthly Strategic 2027-02-09T10:00:00.000-06:00 [budget]',
      'strategic/2027-03 Monthly Strategic 2027-03-09T10:00:00.000-06:00 [budget]',
      'strategic/2027-05 Monthly Strategic 2027-05-11T10:00:00.000-05:00 [budget]',
    ]);
    expect(diff.cancel).toEqual([]);
    expect(diff.restyle.filter((r) => r.kind !== 'tactical').map((r) => `${r.key} ${r.template} ${r.startsAt}`)).toEqual([
      'ap/2026/M2 M2 2026-11-03T10:00:00.000-06:00',
      'ap/2026/M3 M3 2026-12-01T10:00:00.000-06:00',
      'strategic/2027-01 Executive QBR 2027-01-12T10:00:00.000-06:00',
      'strategic/2027-04 Executive QBR 2027-04-13T10:00:00.000-05:00',
    ]);
  });
});

describe('default slots: one recurring slot for both series (A-25) and A\'s 90-min M1 (R-65)', () => {
  it('A-25: VIP check-ins take the 2nd and 4th Tuesday 10:00; the 2nd-Tuesday occurrence is skipped where a strategic meeting holds it', () => {
    const plan = planMonths(input({ segment: 'A', touchTier: 'VIP' }), ['2026-07', '2026-08'], defaultPolicy, chicago);
    expect(brief(plan)).toEqual([
      'strategic/2026-07 Executive QBR 2026-07-14T10:00:00.000-05:00 [roadmap+budget]',
      'tactical/2026-07/2 Check-in 2026-07-28T10:00:00.000-05:00',
      'strategic/2026-08 Monthly Strategic 2026-08-11T10:00:00.000-05:00 [budget]',
      'tactical/2026-08/2 Check-in 2026-08-25T10:00:00.000-05:00',
    ]);
    expect(byKey(plan, 'strategic/2026-07').why).toMatchObject({ coversTactical: 'tactical/2026-07/1', coverRule: 'A-25' });
  });

  it('A-25: a C client at High tier has its monthly Service Review on the 2nd Tuesday, except in months with a Review there', () => {
    const plan = planMonths(input({ segment: 'C' }), ['2026-06', '2026-07'], defaultPolicy, chicago);
    expect(brief(plan)).toEqual([
      'tactical/2026-06/1 Service Review 2026-06-09T10:00:00.000-05:00',
      'strategic/2026-07 Review 2026-07-14T10:00:00.000-05:00 [roadmap+budget]',
    ]);
  });

  it('R-65: A\'s M1 is the 90-minute CEO session; M2 and M3 keep the strategic length', () => {
    const plan = planMonths(input({ segment: 'A', lockedAt: '2026-01-05T12:00:00.000-06:00' }), ['2026-10', '2026-11', '2026-12'], defaultPolicy, chicago);
    const lengths = plan.filter((m) => m.kind === 'annualPlanning').map((m) => [m.template, (Date.parse(m.endsAt) - Date.parse(m.startsAt)) / 60_000]);
    expect(lengths).toEqual([['M1', 90], ['M2', 45], ['M3', 45]]);
  });
});
