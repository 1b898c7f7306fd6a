import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/business-time.js';
import { loadHours, pickSlot, slotProblems, weekOf, weekRange, type Booking, type SlotRequest } from '../../domain/capacity.js';
import { defaultPolicy, parsePolicy, type Policy } from '../../domain/policy.js';

// America/Chicago. 2026-03-02 is a Monday (ISO 2026-W10); US DST starts Sun 2026-03-08 (CST −06:00 → CDT −05:00)
// and ends Sun 2026-11-01 (CDT → CST). 2026-03-03/05/10 are Tue/Thu/Tue, 2026-03-06 a Friday.
const chicago = makeCalendar({ timeZone: 'America/Chicago' });

function withCapacity(patch: Partial<Policy['capacity']>): Policy {
  const r = parsePolicy({ ...defaultPolicy, capacity: { ...defaultPolicy.capacity, ...patch } });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.policy;
}
const policy = withCapacity({ weekTimeZone: 'America/Chicago' });

/** A 45-min strategic meeting with 1 h prep (1.75 h of load) at a local Chicago instant. */
const req = (startsAt: string, role: SlotRequest['role'], over: Partial<SlotRequest> = {}): SlotRequest => ({
  startsAt, endsAt: new Date(Date.parse(startsAt) + 45 * 60_000).toISOString(), strategic: true, prepHours: 1, role, ...over,
});
let n = 0;
const booking = (startsAt: string, minutes: number, over: Partial<Booking> = {}): Booking => ({
  id: `b${++n}`, startsAt, endsAt: new Date(Date.parse(startsAt) + minutes * 60_000).toISOString(), strategic: false, prepHours: 0, ...over,
});
const vcio = { personId: 'p-vcio', weeklyCapacityHours: 40 };
const csm = { personId: 'p-csm', weeklyCapacityHours: 40 };

describe('load and weeks (R-37)', () => {
  it('load is the meeting length plus its prep hours', () => {
    expect(loadHours({ startsAt: '2026-03-03T10:00:00.000-06:00', endsAt: '2026-03-03T10:45:00.000-06:00', prepHours: 1 })).toBe(1.75);
    expect(loadHours({ startsAt: '2026-03-03T10:00:00.000-06:00', endsAt: '2026-03-03T10:30:00.000-06:00', prepHours: 0.25 })).toBe(0.75);
  });

  it('weeks are ISO weeks in the week zone: a Sunday evening in Chicago is already Monday in UTC', () => {
    const sundayEvening = '2026-03-08T19:00:00.000-05:00'; // = 2026-03-09T00:00Z
    expect(weekOf(sundayEvening, 'America/Chicago')).toBe('2026-W10');
    expect(weekOf(sundayEvening, 'UTC')).toBe('2026-W11');
    expect(weekOf('2026-03-02T00:00:00.000-06:00', 'America/Chicago')).toBe('2026-W10');
    expect(weekOf('2026-03-01T23:59:59.999-06:00', 'America/Chicago')).toBe('2026-W09');
    // ISO week-year: 2027-01-01 (a Friday) is in 2026's week 53.
    expect(weekOf('2027-01-01T12:00:00.000-06:00', 'America/Chicago')).toBe('2026-W53');
  });

  it('the week of the DST switch is 167 hours long in Chicago', () => {
    const w = weekRange('2026-03-05T12:00:00.000-06:00', 'America/Chicago');
    expect(w).toEqual({ week: '2026-W10', startsOn: '2026-03-02', from: '2026-03-02T06:00:00.000Z', to: '2026-03-09T05:00:00.000Z' });
    expect((Date.parse(w.to) - Date.parse(w.from)) / 3_600_000).toBe(167);
  });
});

describe('slot problems (R-36, R-37)', () => {
  it('a tactical slot on a Tuesday with nothing booked is fine', () => {
    expect(slotProblems(req('2026-03-03T10:00:00.000-06:00', 'AM', { strategic: false }), vcio, [], policy, chicago)).toEqual([]);
  });

  it('weekend and holiday → notBusinessDay (client calendar)', () => {
    expect(slotProblems(req('2026-03-07T10:00:00.000-06:00', 'AM'), null, [], policy, chicago)).toEqual(['notBusinessDay']);
    const withHoliday = makeCalendar({ timeZone: 'America/Chicago', holidays: ['2026-03-03'] });
    expect(slotProblems(req('2026-03-03T10:00:00.000-06:00', 'AM'), null, [], policy, withHoliday)).toEqual(['notBusinessDay']);
  });

  it('no Friday slots → noSlotWeekday, whatever the role', () => {
    expect(slotProblems(req('2026-03-06T10:00:00.000-06:00', 'vCIO'), vcio, [], policy, chicago)).toEqual(['noSlotWeekday']);
    expect(slotProblems(req('2026-03-06T10:00:00.000-06:00', 'TAM', { strategic: false }), null, [], policy, chicago)).toEqual(['noSlotWeekday']);
  });

  it('a CSM strategic meeting only on batch days Tue/Thu → notBatchDay; tactical and vCIO meetings are not bound', () => {
    expect(slotProblems(req('2026-03-04T10:00:00.000-06:00', 'CSM'), csm, [], policy, chicago)).toEqual(['notBatchDay']);
    expect(slotProblems(req('2026-03-05T10:00:00.000-06:00', 'CSM'), csm, [], policy, chicago)).toEqual([]);
    expect(slotProblems(req('2026-03-04T10:00:00.000-06:00', 'CSM', { strategic: false }), csm, [], policy, chicago)).toEqual([]);
    expect(slotProblems(req('2026-03-04T10:00:00.000-06:00', 'vCIO'), vcio, [], policy, chicago)).toEqual([]);
  });

  it('the weekday is the client\'s: Tuesday 23:30 in Chicago is Wednesday in UTC, still a batch day', () => {
    expect(slotProblems(req('2026-03-03T23:30:00.000-06:00', 'CSM'), csm, [], policy, chicago)).toEqual([]);
  });

  it('overlap with any of the person\'s bookings → doubleBooked; back-to-back is fine', () => {
    const existing = booking('2026-03-03T10:30:00.000-06:00', 45);
    expect(slotProblems(req('2026-03-03T10:00:00.000-06:00', 'CSM'), csm, [existing], policy, chicago)).toEqual(['doubleBooked']);
    expect(slotProblems(req('2026-03-03T09:45:00.000-06:00', 'CSM'), csm, [existing], policy, chicago)).toEqual([]);
    expect(slotProblems(req('2026-03-03T11:15:00.000-06:00', 'CSM'), csm, [existing], policy, chicago)).toEqual([]);
  });

  it('a vCIO with 8 strategic meetings that week → strategicWeekCap; 7 is fine; tactical ones do not count', () => {
    const days = ['2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05'];
    const eight = days.flatMap((d) => [booking(`${d}T09:00:00.000-06:00`, 45, { strategic: true, prepHours: 1 }), booking(`${d}T13:00:00.000-06:00`, 45, { strategic: true, prepHours: 1 })]);
    const request = req('2026-03-05T15:00:00.000-06:00', 'vCIO');
    expect(slotProblems(request, vcio, eight, policy, chicago)).toEqual(['strategicWeekCap']);
    expect(slotProblems(request, vcio, eight.slice(1), policy, chicago)).toEqual([]);
    expect(slotProblems(request, vcio, [...eight.slice(1), booking('2026-03-02T15:00:00.000-06:00', 30)], policy, chicago)).toEqual([]);
    // A CSM has no strategic-meeting count cap (Thursday is a batch day).
    expect(slotProblems({ ...request, role: 'CSM' }, csm, eight, policy, chicago)).toEqual([]);
    // The cap follows the policy.
    expect(slotProblems(request, vcio, eight.slice(2), withCapacity({ weekTimeZone: 'America/Chicago', vcioMaxStrategicPerWeek: 6 }), chicago)).toEqual(['strategicWeekCap']);
  });

  it('load over 80 % of the person\'s week after this booking → loadCap; exactly 80 % is allowed', () => {
    const person = { personId: 'p', weeklyCapacityHours: 10 };
    const request = req('2026-03-05T10:00:00.000-06:00', 'TAM', { strategic: false }); // 1.75 h
    const atEighty = [booking('2026-03-02T09:00:00.000-06:00', 300, { prepHours: 1.25 })]; // 6.25 h → 8.0 h = 80 %
    expect(slotProblems(request, person, atEighty, policy, chicago)).toEqual([]);
    const over = [booking('2026-03-02T09:00:00.000-06:00', 300, { prepHours: 1.5 })]; // 6.5 h → 8.25 h = 82.5 %
    expect(slotProblems(request, person, over, policy, chicago)).toEqual(['loadCap']);
    // Bookings of another week do not count.
    expect(slotProblems(request, person, [booking('2026-03-09T09:00:00.000-05:00', 480)], policy, chicago)).toEqual([]);
    // Nobody has room when the week has no hours.
    expect(slotProblems(request, { personId: 'p', weeklyCapacityHours: 0 }, [], policy, chicago)).toEqual(['loadCap']);
  });

  it('counts the load in the week zone: a Tokyo Monday-morning workshop is Sunday in Chicago, Monday in UTC', () => {
    const person = { personId: 'p', weeklyCapacityHours: 10 };
    const tokyoMonday = booking('2026-03-09T09:00:00.000+09:00', 240, { prepHours: 1 }); // 5 h, = Sun 2026-03-08 19:00 CDT
    const mondayChicago = booking('2026-03-09T09:00:00.000-05:00', 180); // 3 h
    const request = req('2026-03-10T10:00:00.000-05:00', 'vCIO'); // 1.75 h
    expect(slotProblems(request, person, [tokyoMonday, mondayChicago], policy, chicago)).toEqual([]); // 4.75 h = 47.5 %
    expect(slotProblems(request, person, [tokyoMonday, mondayChicago], withCapacity({ weekTimeZone: 'UTC' }), chicago)).toEqual(['loadCap']); // 9.75 h
  });

  it('with nobody in the role only the calendar checks apply', () => {
    const clash = booking('2026-03-04T10:00:00.000-06:00', 600, { strategic: true, prepHours: 40 });
    expect(slotProblems(req('2026-03-04T10:00:00.000-06:00', 'vCIO'), null, [clash], policy, chicago)).toEqual([]);
    expect(slotProblems(req('2026-03-06T10:00:00.000-06:00', 'CSM'), null, [clash], policy, chicago)).toEqual(['noSlotWeekday', 'notBatchDay']);
  });

  it('lists several problems in a fixed order', () => {
    const clash = booking('2026-03-06T10:00:00.000-06:00', 45);
    expect(slotProblems(req('2026-03-06T10:00:00.000-06:00', 'CSM'), csm, [clash], policy, chicago)).toEqual(['noSlotWeekday', 'notBatchDay', 'doubleBooked']);
  });
});

describe('picking a slot (R-36, R-37)', () => {
  it('keeps a slot with no problem as requested', () => {
    const r = req('2026-03-03T10:00:00.000-06:00', 'CSM');
    const picked = pickSlot(r, csm, [], policy, chicago);
    expect(picked).toMatchObject({ ok: true, startsAt: r.startsAt, endsAt: r.endsAt, movedBecause: [] });
    expect(picked).not.toHaveProperty('movedFrom');
  });

  it('moves a CSM Friday QBR across the spring DST switch to Tuesday at the same local time', () => {
    const r = req('2026-03-06T10:00:00.000-06:00', 'CSM');
    const picked = pickSlot(r, csm, [], policy, chicago);
    expect(picked).toMatchObject({
      ok: true, startsAt: '2026-03-10T10:00:00.000-05:00', endsAt: '2026-03-10T10:45:00.000-05:00', movedFrom: r.startsAt,
      movedBecause: ['notBusinessDay', 'noSlotWeekday', 'notBatchDay'],
    });
    if (!picked.ok) throw new Error('expected a slot');
    expect(picked.why).toMatchObject({ localTime: '10:00', daysLater: 4, zone: 'America/Chicago' });
    expect((picked.why.tried as { startsAt: string; problems: string[] }[]).map((t) => [t.startsAt, t.problems])).toEqual([
      ['2026-03-06T10:00:00.000-06:00', ['noSlotWeekday', 'notBatchDay']],
      ['2026-03-07T10:00:00.000-06:00', ['notBusinessDay', 'notBatchDay']],
      ['2026-03-08T10:00:00.000-05:00', ['notBusinessDay', 'notBatchDay']],
      ['2026-03-09T10:00:00.000-05:00', ['notBatchDay']],
    ]);
  });

  it('moves across the autumn DST switch keeping 10:00 local (−05:00 → −06:00)', () => {
    const r = req('2026-10-30T10:00:00.000-05:00', 'CSM');
    expect(pickSlot(r, csm, [], policy, chicago)).toMatchObject({ ok: true, startsAt: '2026-11-03T10:00:00.000-06:00', endsAt: '2026-11-03T10:45:00.000-06:00', movedFrom: r.startsAt });
  });

  it('a clash moves to the next free time that day, in steps of capacity.slotStepMinutes', () => {
    const r = req('2026-03-03T10:00:00.000-06:00', 'CSM');
    // Busy 10:00–10:30: 10:30 is free.
    expect(pickSlot(r, csm, [booking('2026-03-03T10:00:00.000-06:00', 30)], policy, chicago)).toMatchObject({ ok: true, startsAt: '2026-03-03T10:30:00.000-06:00', endsAt: '2026-03-03T11:15:00.000-06:00', movedBecause: ['doubleBooked'] });
    // Busy 10:00–11:10: 10:30 and 11:00 clash, 11:30 is free; with 60-minute steps, 11:00 clashes and 12:00 is taken.
    const busy = [booking('2026-03-03T10:00:00.000-06:00', 70)];
    expect(pickSlot(r, csm, busy, policy, chicago)).toMatchObject({ ok: true, startsAt: '2026-03-03T11:30:00.000-06:00' });
    expect(pickSlot(r, csm, busy, withCapacity({ slotStepMinutes: 60 }), chicago)).toMatchObject({ ok: true, startsAt: '2026-03-03T12:00:00.000-06:00' });
  });

  it('a day taken until its close moves to the next batch day (the meeting must end by dayEnd)', () => {
    const r = req('2026-03-03T10:00:00.000-06:00', 'CSM');
    const picked = pickSlot(r, csm, [booking('2026-03-03T10:00:00.000-06:00', 7 * 60)], policy, chicago);
    expect(picked).toMatchObject({ ok: true, startsAt: '2026-03-05T10:00:00.000-06:00', movedBecause: ['notBatchDay', 'doubleBooked'] });
    if (!picked.ok) throw new Error('expected a slot');
    // Tue 10:00 … 16:00 (13 times; 16:30 + 45 min would end after 17:00), then Wed (not a batch day).
    expect(picked.why.triedCount).toBe(14);
  });

  it('a client holiday on the batch day moves to the next batch day', () => {
    const cal = makeCalendar({ timeZone: 'America/Chicago', holidays: ['2026-03-10'] });
    expect(pickSlot(req('2026-03-10T10:00:00.000-05:00', 'CSM'), csm, [], policy, cal)).toMatchObject({ ok: true, startsAt: '2026-03-12T10:00:00.000-05:00', movedBecause: ['notBusinessDay', 'notBatchDay'] });
  });

  it('a vCIO at the weekly cap moves to the next week (Monday in the week zone)', () => {
    const days = ['2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05'];
    const eight = days.flatMap((d) => [booking(`${d}T09:00:00.000-06:00`, 45, { strategic: true, prepHours: 1 }), booking(`${d}T13:00:00.000-06:00`, 45, { strategic: true, prepHours: 1 })]);
    const picked = pickSlot(req('2026-03-05T15:00:00.000-06:00', 'vCIO'), vcio, eight, policy, chicago);
    expect(picked).toMatchObject({ ok: true, startsAt: '2026-03-09T15:00:00.000-05:00', movedBecause: ['notBusinessDay', 'noSlotWeekday', 'strategicWeekCap'] });
    if (!picked.ok) throw new Error('expected a slot');
    expect(picked.why.checks).toMatchObject({ week: '2026-W11', strategicInWeek: 0, bookedHours: 0, meetingHours: 1.75, loadPctAfter: 4.4 });
  });

  it('a full week moves to the first day of a week with room', () => {
    const person = { personId: 'p', weeklyCapacityHours: 10 };
    const full = [booking('2026-03-02T09:00:00.000-06:00', 420)]; // 7 h; +1.75 h = 87.5 %
    expect(pickSlot(req('2026-03-03T10:00:00.000-06:00', 'vCIO'), person, full, policy, chicago))
      .toMatchObject({ ok: true, startsAt: '2026-03-09T10:00:00.000-05:00', movedBecause: ['notBusinessDay', 'noSlotWeekday', 'loadCap'] });
  });

  it('A-22: with no batch day free in the window, a date Baton picks takes the earliest business day rather than staying unbooked', () => {
    const short = withCapacity({ weekTimeZone: 'America/Chicago', slotSearchDays: 3 });
    // Wed 4 Mar: not a batch day; Thu 5 Mar: the CSM is booked all day; Fri: no-slot weekday; Sat: weekend.
    const picked = pickSlot(req('2026-03-04T10:00:00.000-06:00', 'CSM'), csm, [booking('2026-03-05T09:00:00.000-06:00', 8 * 60)], short, chicago);
    expect(picked).toMatchObject({ ok: true, startsAt: '2026-03-04T10:00:00.000-06:00', movedBecause: [] });
    if (!picked.ok) throw new Error('expected a slot');
    expect(picked.why).toMatchObject({ preferencesWaived: ['noSlotWeekday', 'notBatchDay'], rule: 'A-22' });
  });

  it('A-22: a date from an anchor ignores batch days and Fridays, and is booked on that date', () => {
    const friday = req('2026-03-06T10:00:00.000-06:00', 'CSM');
    expect(pickSlot(friday, csm, [], policy, chicago, 'ignore')).toMatchObject({ ok: true, startsAt: friday.startsAt, movedBecause: [] });
    // Steered, the same Friday moves to the next batch day (Tue 10 Mar).
    expect(pickSlot(friday, csm, [], policy, chicago)).toMatchObject({ ok: true, startsAt: '2026-03-10T10:00:00.000-05:00', movedBecause: ['notBusinessDay', 'noSlotWeekday', 'notBatchDay'] });
  });

  it('A-22: batch days bind every strategic meeting the CSM attends, not only those the CSM is Accountable for', () => {
    const wednesday = req('2026-03-04T10:00:00.000-06:00', 'vCIO', { csmAttends: true });
    expect(slotProblems(wednesday, vcio, [], policy, chicago)).toEqual(['notBatchDay']);
    expect(slotProblems({ ...wednesday, csmAttends: false }, vcio, [], policy, chicago)).toEqual([]);
  });

  it('gives up after capacity.slotSearchDays when the hard rules fail every day', () => {
    const short = withCapacity({ weekTimeZone: 'America/Chicago', slotSearchDays: 3 });
    const fullDays = ['2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06'].map((d) => booking(`${d}T09:00:00.000-06:00`, 8 * 60, { id: `b-${d}` }));
    const picked = pickSlot(req('2026-03-03T10:00:00.000-06:00', 'CSM'), csm, fullDays, short, chicago);
    expect(picked).toMatchObject({ ok: false, reasons: ['noSlotWeekday', 'notBatchDay', 'doubleBooked', 'loadCap'] });
    if (picked.ok) throw new Error('expected no slot');
    expect(picked.why.searchedDays).toBe(3);
  });

  it('searches 21 days by default', () => {
    // A calendar of Fridays only, each one booked full: nothing passes the hard rules.
    const fridaysOnly = makeCalendar({ timeZone: 'America/Chicago', workdays: [5] });
    const fridays = ['2026-03-06', '2026-03-13', '2026-03-20'].map((d) => booking(`${d}T09:00:00.000-06:00`, 8 * 60, { id: `b-${d}` }));
    const picked = pickSlot(req('2026-03-03T10:00:00.000-06:00', 'CSM'), csm, fridays, policy, fridaysOnly);
    expect(picked.ok).toBe(false);
    if (picked.ok) throw new Error('expected no slot');
    expect(picked.why.searchedDays).toBe(21);
  });
});
