import { describe, expect, it } from 'vitest';
import { clientCalendar, clientHolidays, localYear, publicHolidays, regionProblem } from '../../db/client-calendar.js';
import { addBusinessDays, makeCalendar } from '../../domain/business-time.js';
import { applyClientOverrides, defaultPolicy, type Policy } from '../../domain/policy.js';

const client = (extra: Partial<Parameters<typeof clientHolidays>[0]> = {}) => ({ timeZone: 'America/Chicago', holidays: [], region: 'US-IL', publicHolidayExceptions: [], ...extra });
const withCalendar = (calendar: Record<string, unknown>): Policy => {
  const r = applyClientOverrides(defaultPolicy, { calendar });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.policy;
};

describe('public holidays from the client\'s region (C-1, date-holidays)', () => {
  it('US-IL 2026: the federal holidays plus Illinois\' own, public ones only', () => {
    const h = publicHolidays('US-IL', 2026, 2026);
    expect(h).toEqual(expect.arrayContaining(['2026-01-01', '2026-07-03', '2026-11-26', '2026-12-25', '2026-03-02']));
    // Observances (the day after Thanksgiving, Halloween) and optional days (Christmas Eve) are not non-business days by default.
    expect(h).not.toContain('2026-11-27');
    expect(h).not.toContain('2026-12-24');
    expect([...h].sort()).toEqual(h);
  });

  it('the policy decides which holiday types count (calendar.publicHolidayTypes)', () => {
    const p = withCalendar({ publicHolidayTypes: ['public', 'optional'] });
    expect(clientHolidays(client(), p, 2026, 2026)).toContain('2026-12-24');
    expect(clientHolidays(client(), defaultPolicy, 2026, 2026)).not.toContain('2026-12-24');
  });

  it('a state adds its own days to the country\'s: Bavaria keeps Epiphany and Corpus Christi, Berlin does not', () => {
    expect(publicHolidays('DE-BY', 2026, 2026)).toEqual(expect.arrayContaining(['2026-01-06', '2026-06-04']));
    expect(publicHolidays('DE-BE', 2026, 2026)).not.toContain('2026-06-04');
    expect(publicHolidays('DE', 2026, 2026)).toContain('2026-10-03');
  });

  it('policy dates, the region\'s holidays minus the exceptions, and the client\'s own dates, sorted and unique', () => {
    const p = withCalendar({ holidays: ['2026-12-24', '2026-11-26'] });
    const h = clientHolidays(client({ holidays: ['2026-08-14'], publicHolidayExceptions: ['2026-10-12', '2026-11-26'] }), p, 2026, 2026);
    expect(h).toContain('2026-08-14'); // the client's own
    expect(h).not.toContain('2026-10-12'); // Columbus Day: worked
    expect(h).toContain('2026-11-26'); // an exception cannot reopen a date of the MSP's own policy
    expect(h).toContain('2026-12-24');
    expect(new Set(h).size).toBe(h.length);
    expect([...h].sort()).toEqual(h);
    expect(clientHolidays(client({ region: null }), defaultPolicy, 2026, 2030)).toEqual([]);
  });

  it('covers every year asked for: a cadence locked in 2026 still knows Thanksgiving 2035', () => {
    const cal = clientCalendar(client(), defaultPolicy, 2026, 2026 + defaultPolicy.calendar.publicHolidayYears);
    expect(cal.holidays).toEqual(expect.arrayContaining(['2026-11-26', '2035-11-22', '2036-11-27']));
    expect(cal).toMatchObject({ timeZone: 'America/Chicago', workdays: [1, 2, 3, 4, 5], dayStart: '09:00', dayEnd: '17:00' });
    // And it works as a business calendar: Fri 20 Nov 2026 + 5 bd skips Thanksgiving.
    expect(addBusinessDays('2026-11-20', 5, makeCalendar(cal))).toBe('2026-11-30');
  });

  it('knows which regions exist, and says what is wrong with one that does not', () => {
    expect(regionProblem('US')).toBeUndefined();
    expect(regionProblem('US-IL')).toBeUndefined();
    expect(regionProblem('GB-SCT')).toBeUndefined();
    expect(regionProblem('XX')).toMatch(/^unknown country XX/);
    expect(regionProblem('US-ZZ')).toMatch(/^unknown state or province ZZ of US \(United States of America\); known: .*IL/);
    expect(regionProblem('us-il')).toMatch(/^expected a country code/);
  });

  it('holiday years are the client\'s local years', () => {
    expect(localYear('2027-01-01T03:00:00Z', 'America/Chicago')).toBe(2026);
    expect(localYear('2027-01-01T03:00:00Z', 'Europe/Berlin')).toBe(2027);
  });
});
