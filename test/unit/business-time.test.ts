import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  addBusinessDays,
  addBusinessHours,
  addCalendarDays,
  addElapsedHours,
  ageDays,
  atLocalTime,
  businessDaysBeforeAt,
  checkpoint,
  endOfLocalDay,
  isBusinessDay,
  isValidTimeZone,
  isWithinBusinessHours,
  lastBusinessInstantAtOrBefore,
  localDateOf,
  makeCalendar,
  nextBusinessDay,
  prepPackDue,
  previousBusinessDay,
  roll,
  toIso,
  type BusinessCalendar,
} from '../../domain/business-time.js';

// Weekdays checked with Luxon: 2026-03-06 Fri, 03-08 Sun (US DST), 03-29 Sun (EU DST),
// 05-25 Mon, 07-03 Fri, 09-07 Mon, 10-25 Sun (EU), 11-01 Sun (US), 11-23 Mon,
// 12-24 Thu, 12-25 Fri, 2027-01-01 Fri.
const US_HOLIDAYS = [
  '2026-05-25', // Memorial Day, Monday
  '2026-07-03', // Independence Day observed, Friday
  '2026-09-07', // Labor Day, Monday
  '2026-11-26', // Thanksgiving, Thursday
  '2026-11-27',
  // year-end shutdown: every weekday Dec 24 .. Jan 1
  '2026-12-24',
  '2026-12-25',
  '2026-12-28',
  '2026-12-29',
  '2026-12-30',
  '2026-12-31',
  '2027-01-01',
];
const chicago = makeCalendar({ timeZone: 'America/Chicago', holidays: US_HOLIDAYS });
const berlin = makeCalendar({ timeZone: 'Europe/Berlin', holidays: ['2026-04-03', '2026-04-06', '2026-12-25'] });

describe('makeCalendar / isValidTimeZone', () => {
  it('fills C-1 defaults', () => {
    expect(makeCalendar({ timeZone: 'America/Chicago' })).toEqual({
      timeZone: 'America/Chicago',
      holidays: [],
      workdays: [1, 2, 3, 4, 5],
      dayStart: '09:00',
      dayEnd: '17:00',
    });
  });

  it('rejects an invalid zone with a clear RangeError', () => {
    expect(() => makeCalendar({ timeZone: 'Mars/Olympus_Mons' })).toThrow(RangeError);
    expect(() => makeCalendar({ timeZone: 'Mars/Olympus_Mons' })).toThrow(/Invalid time zone 'Mars\/Olympus_Mons'/);
    expect(() => makeCalendar({ timeZone: '' })).toThrow(RangeError);
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });

  it('rejects bad HH:mm, inverted hours, bad holidays and workdays', () => {
    expect(() => makeCalendar({ timeZone: 'UTC', dayStart: '9:00' })).toThrow(/Invalid time '9:00'/);
    expect(() => makeCalendar({ timeZone: 'UTC', dayEnd: '25:00' })).toThrow(RangeError);
    expect(() => makeCalendar({ timeZone: 'UTC', dayStart: '17:00', dayEnd: '09:00' })).toThrow(/dayStart must be before dayEnd/);
    expect(() => makeCalendar({ timeZone: 'UTC', holidays: ['2026-02-30'] })).toThrow(/Invalid local date '2026-02-30'/);
    expect(() => makeCalendar({ timeZone: 'UTC', holidays: ['2026/12/25'] })).toThrow(RangeError);
    expect(() => makeCalendar({ timeZone: 'UTC', workdays: [] })).toThrow(/workdays/);
    expect(() => makeCalendar({ timeZone: 'UTC', workdays: [0, 1] })).toThrow(/workdays/);
  });

  it('a hand-built calendar with a bad zone fails on use', () => {
    const bad: BusinessCalendar = { ...chicago, timeZone: 'Nowhere/Land' };
    expect(() => atLocalTime('2026-03-09', '09:00', bad)).toThrow(/Invalid time zone 'Nowhere\/Land'/);
  });
});

describe('instants and local dates', () => {
  it('localDateOf uses the client zone', () => {
    expect(localDateOf('2026-03-03T03:00:00Z', chicago)).toBe('2026-03-02');
    expect(localDateOf('2026-03-02T23:30:00Z', berlin)).toBe('2026-03-03');
    expect(localDateOf(Date.UTC(2026, 2, 3, 3), chicago)).toBe('2026-03-02');
  });

  it('toIso: UTC by default, client offset with a calendar, millis always', () => {
    expect(toIso(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(toIso(new Date('2026-03-09T15:00:00Z'))).toBe('2026-03-09T15:00:00.000Z');
    expect(toIso('2026-03-09T15:00:00Z', chicago)).toBe('2026-03-09T10:00:00.000-05:00');
    expect(toIso('2026-03-09T10:00:00-05:00')).toBe('2026-03-09T15:00:00.000Z');
  });

  it('rejects offset-less or malformed instants', () => {
    expect(() => toIso('2026-03-09T10:00:00')).toThrow(RangeError);
    expect(() => toIso('not a date Z')).toThrow(RangeError);
    expect(() => toIso(Number.NaN)).toThrow(RangeError);
  });

  it('addCalendarDays crosses months, years and DST without drift', () => {
    expect(addCalendarDays('2026-03-07', 1)).toBe('2026-03-08');
    expect(addCalendarDays('2026-03-08', 1)).toBe('2026-03-09');
    expect(addCalendarDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addCalendarDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(() => addCalendarDays('2026-13-01', 1)).toThrow(RangeError);
  });
});

describe('business days (C-1 bd)', () => {
  it('weekends are not business days', () => {
    expect(isBusinessDay('2026-03-06', chicago)).toBe(true);
    expect(isBusinessDay('2026-03-07', chicago)).toBe(false);
    expect(isBusinessDay('2026-03-08', chicago)).toBe(false);
    expect(isBusinessDay('2026-11-23', chicago)).toBe(true);
  });

  it('steps over weekends; the start day is not counted; n = 0 is identity', () => {
    expect(addBusinessDays('2026-03-06', 1, chicago)).toBe('2026-03-09');
    expect(addBusinessDays('2026-03-07', 1, chicago)).toBe('2026-03-09');
    expect(addBusinessDays('2026-03-07', -1, chicago)).toBe('2026-03-06');
    expect(addBusinessDays('2026-03-09', 5, chicago)).toBe('2026-03-16');
    expect(addBusinessDays('2026-03-16', -5, chicago)).toBe('2026-03-09');
    expect(addBusinessDays('2026-03-07', 0, chicago)).toBe('2026-03-07');
    expect(() => addBusinessDays('2026-03-07', 1.5, chicago)).toThrow(RangeError);
  });

  it('holiday on a Friday and on a Monday', () => {
    expect(isBusinessDay('2026-07-03', chicago)).toBe(false);
    expect(nextBusinessDay('2026-07-02', chicago)).toBe('2026-07-06');
    expect(previousBusinessDay('2026-07-06', chicago)).toBe('2026-07-02');
    expect(isBusinessDay('2026-05-25', chicago)).toBe(false);
    expect(nextBusinessDay('2026-05-22', chicago)).toBe('2026-05-26');
    expect(previousBusinessDay('2026-05-26', chicago)).toBe('2026-05-22');
    expect(addBusinessDays('2026-11-25', 1, chicago)).toBe('2026-11-30'); // Thanksgiving Thu+Fri
  });

  it('year-end holiday run Dec 24 – Jan 1 crosses the year', () => {
    expect(nextBusinessDay('2026-12-23', chicago)).toBe('2027-01-04');
    expect(previousBusinessDay('2027-01-04', chicago)).toBe('2026-12-23');
    expect(addBusinessDays('2026-12-22', 2, chicago)).toBe('2027-01-04');
    expect(addBusinessDays('2027-01-05', -3, chicago)).toBe('2026-12-22');
  });

  it('custom workdays (Sun–Thu week)', () => {
    const cal = makeCalendar({ timeZone: 'Asia/Jerusalem', workdays: [7, 1, 2, 3, 4] });
    expect(nextBusinessDay('2026-03-05', cal)).toBe('2026-03-08'); // Thu -> Sun
  });

  it('a calendar with no business day at all fails instead of looping', () => {
    const none: BusinessCalendar = { ...chicago, workdays: [] };
    expect(() => nextBusinessDay('2026-03-09', none)).toThrow(/No business day/);
  });
});

describe('roll (C-2)', () => {
  it('business days stay; weekends and holidays move back', () => {
    expect(roll('2026-03-09', chicago)).toBe('2026-03-09');
    expect(roll('2026-03-07', chicago)).toBe('2026-03-06');
    expect(roll('2026-03-08', chicago)).toBe('2026-03-06');
    expect(roll('2026-05-25', chicago)).toBe('2026-05-22');
    expect(roll('2026-12-28', chicago)).toBe('2026-12-23');
    expect(roll('2027-01-01', chicago)).toBe('2026-12-23');
  });

  it('moves forward when rolling back would precede `earliest`', () => {
    expect(roll('2026-03-07', chicago, '2026-03-07')).toBe('2026-03-09');
    expect(roll('2026-03-08', chicago, '2026-03-07')).toBe('2026-03-09');
    expect(roll('2026-03-07', chicago, '2026-03-06')).toBe('2026-03-06'); // equal is allowed
    expect(roll('2026-12-28', chicago, '2026-12-26')).toBe('2027-01-04');
    expect(roll('2026-12-28', chicago, '2026-12-23')).toBe('2026-12-23');
    expect(roll('2026-03-09', chicago, '2026-03-09')).toBe('2026-03-09');
  });

  it('A-21: +N calendar days then ROLL, with the causing event as earliest', () => {
    expect(roll(addCalendarDays('2026-03-06', 1), chicago, '2026-03-06')).toBe('2026-03-06');
    // event on Sat 2026-12-19, "+10 days" = Tue 12-29 (holiday): back to 12-23 is fine
    expect(roll(addCalendarDays('2026-12-19', 10), chicago, '2026-12-19')).toBe('2026-12-23');
    // event on Thu 12-24 (holiday), "+7 days" = Thu 12-31: back to 12-23 precedes the event
    expect(roll(addCalendarDays('2026-12-24', 7), chicago, '2026-12-24')).toBe('2027-01-04');
  });
});

describe('atLocalTime / endOfLocalDay across DST', () => {
  it('America/Chicago, spring forward 2026-03-08', () => {
    expect(atLocalTime('2026-03-06', '17:00', chicago)).toBe('2026-03-06T17:00:00.000-06:00');
    expect(atLocalTime('2026-03-09', '17:00', chicago)).toBe('2026-03-09T17:00:00.000-05:00');
    expect(atLocalTime('2026-03-08', '01:59', chicago)).toBe('2026-03-08T01:59:00.000-06:00');
    // 02:30 does not exist: Luxon moves it forward by the gap
    expect(atLocalTime('2026-03-08', '02:30', chicago)).toBe('2026-03-08T03:30:00.000-05:00');
    expect(atLocalTime('2026-03-08', '03:00', chicago)).toBe('2026-03-08T03:00:00.000-05:00');
  });

  it('America/Chicago, fall back 2026-11-01: ambiguous time takes the earlier instant', () => {
    expect(atLocalTime('2026-11-01', '01:30', chicago)).toBe('2026-11-01T01:30:00.000-05:00');
    expect(atLocalTime('2026-11-01', '02:00', chicago)).toBe('2026-11-01T02:00:00.000-06:00');
    expect(atLocalTime('2026-10-30', '09:00', chicago)).toBe('2026-10-30T09:00:00.000-05:00');
    expect(atLocalTime('2026-11-02', '09:00', chicago)).toBe('2026-11-02T09:00:00.000-06:00');
  });

  it('Europe/Berlin, 2026-03-29 and 2026-10-25', () => {
    expect(atLocalTime('2026-03-27', '09:00', berlin)).toBe('2026-03-27T09:00:00.000+01:00');
    expect(atLocalTime('2026-03-29', '02:30', berlin)).toBe('2026-03-29T03:30:00.000+02:00');
    expect(atLocalTime('2026-03-30', '09:00', berlin)).toBe('2026-03-30T09:00:00.000+02:00');
    expect(atLocalTime('2026-10-25', '02:30', berlin)).toBe('2026-10-25T02:30:00.000+02:00');
    expect(atLocalTime('2026-10-26', '09:00', berlin)).toBe('2026-10-26T09:00:00.000+01:00');
  });

  it('24:00 is 00:00 of the next date; endOfLocalDay picks the right offset', () => {
    expect(atLocalTime('2026-03-07', '24:00', chicago)).toBe('2026-03-08T00:00:00.000-06:00');
    expect(endOfLocalDay('2026-03-07', chicago)).toBe('2026-03-08T00:00:00.000-06:00');
    expect(endOfLocalDay('2026-03-08', chicago)).toBe('2026-03-09T00:00:00.000-05:00');
    expect(endOfLocalDay('2026-10-31', chicago)).toBe('2026-11-01T00:00:00.000-05:00');
    expect(endOfLocalDay('2026-11-01', chicago)).toBe('2026-11-02T00:00:00.000-06:00');
    expect(endOfLocalDay('2026-12-31', berlin)).toBe('2027-01-01T00:00:00.000+01:00');
  });

  it('rejects bad times', () => {
    expect(() => atLocalTime('2026-03-09', '24:30', chicago)).toThrow(RangeError);
    expect(() => atLocalTime('2026-03-09', '12:60', chicago)).toThrow(RangeError);
    expect(() => atLocalTime('2026-03-09', '1200', chicago)).toThrow(RangeError);
  });
});

describe('checkpoint / ageDays (C-3)', () => {
  const anchor = '2026-03-02T15:30:00-06:00'; // Monday afternoon, before the DST switch

  it('Day 14 / Day 21 from an afternoon anchor end at 24:00 local, after DST', () => {
    expect(checkpoint(anchor, 14, chicago)).toBe('2026-03-17T00:00:00.000-05:00');
    expect(checkpoint(anchor, 21, chicago)).toBe('2026-03-24T00:00:00.000-05:00');
    expect(checkpoint(anchor, 0, chicago)).toBe('2026-03-03T00:00:00.000-06:00');
  });

  it('uses the anchor’s local date, not its UTC date', () => {
    // 2026-03-03T03:00Z is Mon 2026-03-02 21:00 in Chicago
    expect(checkpoint('2026-03-03T03:00:00Z', 14, chicago)).toBe('2026-03-17T00:00:00.000-05:00');
    expect(checkpoint('2026-03-03T03:00:00Z', 14, berlin)).toBe('2026-03-18T00:00:00.000+01:00');
  });

  it('never rolls (weekend / holiday checkpoints stay) and handles fall back', () => {
    expect(checkpoint('2026-12-17T14:00:00-06:00', 14, chicago)).toBe('2027-01-01T00:00:00.000-06:00');
    expect(checkpoint('2026-10-20T14:00:00-05:00', 14, chicago)).toBe('2026-11-04T00:00:00.000-06:00');
    expect(checkpoint('2026-10-11T16:00:00+02:00', 14, berlin)).toBe('2026-10-26T00:00:00.000+01:00');
    expect(checkpoint('2026-03-15T16:00:00+01:00', 14, berlin)).toBe('2026-03-30T00:00:00.000+02:00');
  });

  it('ageDays boundaries: 23h59 -> 0, 24h -> 1, real elapsed time across DST', () => {
    expect(ageDays('2026-03-02T15:30:00Z', '2026-03-03T15:29:00Z')).toBe(0);
    expect(ageDays('2026-03-02T15:30:00Z', '2026-03-03T15:29:59.999Z')).toBe(0);
    expect(ageDays('2026-03-02T15:30:00Z', '2026-03-03T15:30:00Z')).toBe(1);
    expect(ageDays('2026-03-02T15:30:00Z', '2026-03-17T15:30:00Z')).toBe(15);
    // Sat 12:00 CST -> Sun 12:00 CDT is only 23 h
    expect(ageDays('2026-03-07T12:00:00-06:00', '2026-03-08T12:00:00-05:00')).toBe(0);
    expect(ageDays('2026-03-07T12:00:00-06:00', '2026-03-08T13:00:00-05:00')).toBe(1);
    expect(ageDays('2026-03-03T00:00:00Z', '2026-03-02T23:00:00Z')).toBe(-1);
  });
});

describe('addElapsedHours (C-1 h, A-14)', () => {
  it('counts weekends and nights; wall clock shifts across DST', () => {
    expect(addElapsedHours('2026-03-06T16:00:00-06:00', 48)).toBe('2026-03-08T22:00:00.000Z');
    expect(addElapsedHours('2026-03-06T16:00:00-06:00', 48, chicago)).toBe('2026-03-08T17:00:00.000-05:00');
    expect(addElapsedHours('2026-03-06T16:00:00-06:00', 72, chicago)).toBe('2026-03-09T17:00:00.000-05:00');
    expect(addElapsedHours('2026-03-06T16:00:00-06:00', -48, chicago)).toBe('2026-03-04T16:00:00.000-06:00');
    expect(addElapsedHours('2026-03-06T16:00:00-06:00', 0.25, chicago)).toBe('2026-03-06T16:15:00.000-06:00');
  });
});

describe('addBusinessHours (C-1 bh)', () => {
  it('Friday 16:00 + 2 bh = Monday 10:00 local, across both DST switches', () => {
    expect(addBusinessHours('2026-03-06T16:00:00-06:00', 2, chicago)).toBe('2026-03-09T10:00:00.000-05:00');
    expect(addBusinessHours('2026-10-30T16:00:00-05:00', 2, chicago)).toBe('2026-11-02T10:00:00.000-06:00');
    expect(addBusinessHours('2026-03-27T16:00:00+01:00', 2, berlin)).toBe('2026-03-30T10:00:00.000+02:00');
    expect(addBusinessHours('2026-10-23T16:00:00+02:00', 2, berlin)).toBe('2026-10-26T10:00:00.000+01:00');
    expect(addBusinessHours('2026-03-06T22:00:00Z', 2, chicago)).toBe('2026-03-09T10:00:00.000-05:00');
  });

  it('starts counting at the next opening when outside business time', () => {
    expect(addBusinessHours('2026-03-09T07:00:00-05:00', 1, chicago)).toBe('2026-03-09T10:00:00.000-05:00');
    expect(addBusinessHours('2026-03-09T18:00:00-05:00', 1, chicago)).toBe('2026-03-10T10:00:00.000-05:00');
    expect(addBusinessHours('2026-03-07T12:00:00-06:00', 3, chicago)).toBe('2026-03-09T12:00:00.000-05:00');
  });

  it('8 bh = 1 business day; a full window ends at dayEnd exactly; fractions', () => {
    expect(addBusinessHours('2026-03-10T11:00:00-05:00', 8, chicago)).toBe('2026-03-11T11:00:00.000-05:00');
    expect(addBusinessHours('2026-03-09T09:00:00-05:00', 8, chicago)).toBe('2026-03-09T17:00:00.000-05:00');
    expect(addBusinessHours('2026-03-09T09:00:00-05:00', 0.5, chicago)).toBe('2026-03-09T09:30:00.000-05:00');
    expect(addBusinessHours('2026-03-09T16:45:00-05:00', 0.5, chicago)).toBe('2026-03-10T09:15:00.000-05:00');
    expect(addBusinessHours('2026-03-09T09:00:00-05:00', 40, chicago)).toBe('2026-03-13T17:00:00.000-05:00');
  });

  it('skips holidays, including the year-end run', () => {
    expect(addBusinessHours('2026-07-02T16:00:00-05:00', 2, chicago)).toBe('2026-07-06T10:00:00.000-05:00');
    expect(addBusinessHours('2026-12-23T16:00:00-06:00', 2, chicago)).toBe('2027-01-04T10:00:00.000-06:00');
  });

  it('hours = 0 returns from unchanged (in the zone offset); negative throws', () => {
    expect(addBusinessHours('2026-03-07T16:00:00Z', 0, chicago)).toBe('2026-03-07T10:00:00.000-06:00');
    expect(() => addBusinessHours('2026-03-07T16:00:00Z', -1, chicago)).toThrow(RangeError);
  });
});

describe('isWithinBusinessHours / lastBusinessInstantAtOrBefore (R-26)', () => {
  it('window is [dayStart, dayEnd) on business days', () => {
    expect(isWithinBusinessHours('2026-03-09T09:00:00-05:00', chicago)).toBe(true);
    expect(isWithinBusinessHours('2026-03-09T16:59:59.999-05:00', chicago)).toBe(true);
    expect(isWithinBusinessHours('2026-03-09T17:00:00-05:00', chicago)).toBe(false);
    expect(isWithinBusinessHours('2026-03-09T08:59:00-05:00', chicago)).toBe(false);
    expect(isWithinBusinessHours('2026-03-07T12:00:00-06:00', chicago)).toBe(false);
    expect(isWithinBusinessHours('2026-07-03T12:00:00-05:00', chicago)).toBe(false);
  });

  it('Saturday -> Friday close', () => {
    expect(lastBusinessInstantAtOrBefore('2026-03-07T12:00:00-06:00', chicago)).toBe('2026-03-06T17:00:00.000-06:00');
  });

  it('Monday 07:00 -> previous Friday close (across DST)', () => {
    expect(lastBusinessInstantAtOrBefore('2026-03-09T07:00:00-05:00', chicago)).toBe('2026-03-06T17:00:00.000-06:00');
  });

  it('Wednesday 12:00 -> itself; Wednesday 18:00 -> Wednesday close', () => {
    expect(lastBusinessInstantAtOrBefore('2026-03-11T12:00:00-05:00', chicago)).toBe('2026-03-11T12:00:00.000-05:00');
    expect(lastBusinessInstantAtOrBefore('2026-03-11T18:00:00-05:00', chicago)).toBe('2026-03-11T17:00:00.000-05:00');
    expect(lastBusinessInstantAtOrBefore('2026-03-11T17:00:00-05:00', chicago)).toBe('2026-03-11T17:00:00.000-05:00');
  });

  it('Tuesday 08:00 after a Monday holiday -> Friday close', () => {
    expect(lastBusinessInstantAtOrBefore('2026-05-26T08:00:00-05:00', chicago)).toBe('2026-05-22T17:00:00.000-05:00');
  });

  it('R-26: Monday 10:00 meeting, start - 48h falls on Saturday -> Friday 17:00', () => {
    const limit = addElapsedHours('2026-03-09T10:00:00-05:00', -48, chicago);
    expect(limit).toBe('2026-03-07T09:00:00.000-06:00');
    expect(lastBusinessInstantAtOrBefore(limit, chicago)).toBe('2026-03-06T17:00:00.000-06:00');
  });
});

describe('T-n bd (C-4) and prep pack due (R-24)', () => {
  const meeting = '2026-05-26T10:00:00-05:00'; // Tuesday after Memorial Day

  it('T-5 bd at 17:00 skips the Monday holiday', () => {
    expect(businessDaysBeforeAt(meeting, 5, '17:00', chicago)).toBe('2026-05-18T17:00:00.000-05:00');
    expect(businessDaysBeforeAt('2026-09-08T10:00:00-05:00', 5, '17:00', chicago)).toBe('2026-08-31T17:00:00.000-05:00');
    expect(businessDaysBeforeAt('2026-11-23T10:00:00-06:00', 5, '17:00', chicago)).toBe('2026-11-16T17:00:00.000-06:00');
    expect(businessDaysBeforeAt('2027-01-05T10:00:00-06:00', 5, '17:00', chicago)).toBe('2026-12-18T17:00:00.000-06:00');
  });

  it('uses the meeting’s local date, not its UTC date', () => {
    // Mon 2026-03-16 20:00 CDT = Tue 01:00Z
    expect(businessDaysBeforeAt('2026-03-17T01:00:00Z', 1, '17:00', chicago)).toBe('2026-03-13T17:00:00.000-05:00');
  });

  it('booked well ahead (or exactly at T-5): on time', () => {
    expect(prepPackDue(meeting, '2026-05-01T10:00:00-05:00', 5, '17:00', chicago)).toEqual({
      dueAt: '2026-05-18T17:00:00.000-05:00',
      late: false,
    });
    expect(prepPackDue(meeting, '2026-05-18T22:00:00Z', 5, '17:00', chicago)).toEqual({
      dueAt: '2026-05-18T17:00:00.000-05:00',
      late: false,
    });
  });

  it('booked < 5 bd ahead: 17:00 on the previous business day, late', () => {
    expect(prepPackDue(meeting, '2026-05-19T09:00:00-05:00', 5, '17:00', chicago)).toEqual({
      dueAt: '2026-05-22T17:00:00.000-05:00',
      late: true,
    });
    expect(prepPackDue(meeting, '2026-05-22T17:00:00-05:00', 5, '17:00', chicago)).toEqual({
      dueAt: '2026-05-22T17:00:00.000-05:00',
      late: true,
    });
  });

  it('booked after even that: due at booking, late', () => {
    expect(prepPackDue(meeting, '2026-05-22T18:00:00-05:00', 5, '17:00', chicago)).toEqual({
      dueAt: '2026-05-22T18:00:00.000-05:00',
      late: true,
    });
    expect(prepPackDue(meeting, '2026-05-23T15:00:00Z', 5, '17:00', chicago)).toEqual({
      dueAt: '2026-05-23T10:00:00.000-05:00',
      late: true,
    });
  });
});

// --- properties --------------------------------------------------------------------------------

const CALS = [chicago, berlin];
const calArb = fc.constantFrom(...CALS);
/** Any date 2025-01-01 .. 2028-12-31 (covers both year-end holiday runs and four DST years). */
const dateArb = fc.integer({ min: 0, max: 4 * 366 }).map((i) => addCalendarDays('2025-01-01', i));
const instantArb = fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2028, 11, 31) });
const hoursArb = fc.integer({ min: 1, max: 100 * 60 }).map((m) => m / 60);

function atBusinessClose(iso: string, cal: BusinessCalendar): boolean {
  const date = localDateOf(iso, cal);
  return isBusinessDay(date, cal) && atLocalTime(date, cal.dayEnd, cal) === iso;
}

describe('properties', () => {
  it('addBusinessDays(d, n) lands on a business day for n != 0', () => {
    fc.assert(
      fc.property(calArb, dateArb, fc.integer({ min: -60, max: 60 }).filter((n) => n !== 0), (cal, d, n) =>
        isBusinessDay(addBusinessDays(d, n, cal), cal),
      ),
    );
  });

  it('addBusinessDays(addBusinessDays(d, n), -n) = d for a business day d', () => {
    fc.assert(
      fc.property(calArb, dateArb, fc.integer({ min: -60, max: 60 }), (cal, d, n) => {
        fc.pre(isBusinessDay(d, cal));
        return addBusinessDays(addBusinessDays(d, n, cal), -n, cal) === d;
      }),
    );
  });

  it('roll() always returns a business day, never before `earliest` when earliest <= date', () => {
    fc.assert(
      fc.property(calArb, dateArb, fc.option(fc.integer({ min: 0, max: 10 })), (cal, d, back) => {
        const earliest = back === null ? undefined : addCalendarDays(d, -back);
        const r = roll(d, cal, earliest);
        return isBusinessDay(r, cal) && (earliest === undefined || r >= earliest);
      }),
    );
  });

  it('addBusinessHours lands inside business hours or exactly at a dayEnd', () => {
    fc.assert(
      fc.property(calArb, instantArb, hoursArb, (cal, from, h) => {
        const r = addBusinessHours(from, h, cal);
        return isWithinBusinessHours(r, cal) || atBusinessClose(r, cal);
      }),
    );
  });

  it('addBusinessHours is monotone in hours and additive', () => {
    fc.assert(
      fc.property(calArb, instantArb, hoursArb, hoursArb, (cal, from, a, b) => {
        const ra = Date.parse(addBusinessHours(from, a, cal));
        const rab = addBusinessHours(from, a + b, cal);
        return ra >= from && Date.parse(rab) > ra && addBusinessHours(ra, b, cal) === rab;
      }),
    );
  });
});
