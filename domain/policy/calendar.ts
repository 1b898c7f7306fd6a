/** Policy areas: Calendar (C-1, C-2, C-7, A-14). Pure (imported from workflow code). */
import { z } from 'zod';
import { DATE_RE, PUBLIC_HOLIDAY_TYPES, days, group, hours, int, issue, time, weekdays } from './vocabulary.js';

// ---------------------------------------------------------------------------------------------
// Calendar (C-1, C-2, C-7, A-14)

export const calendar = () => group(
  {
    dayStart: time('09:00', 'Business hours open, client local time (C-1)'),
    dayEnd: z
      .string()
      .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'expected HH:mm (00:00–24:00)')
      .default('17:00')
      .describe('Business hours close, exclusive (C-1)'),
    workdays: weekdays([1, 2, 3, 4, 5], 'Business days as ISO weekdays, Mon–Fri (C-1)'),
    holidays: z
      .array(z.string().regex(DATE_RE, 'expected yyyy-MM-dd'))
      .refine((h) => new Set(h).size === h.length, 'holidays must be unique')
      .default(() => [])
      .describe('Non-business dates yyyy-MM-dd in the client zone (C-1)'),
    publicHolidayTypes: z
      .array(z.enum(PUBLIC_HOLIDAY_TYPES))
      .min(1)
      .refine((t) => new Set(t).size === t.length, 'types must be unique')
      .default(() => ['public' as const])
      .describe("Which holidays of the client's region (date-holidays types) are non-business days; the region seeds the holidays (C-1)"),
    publicHolidayYears: int()
      .min(1)
      .max(30)
      .default(10)
      .describe("Years of the region's public holidays a cadence gets at its lock, from the lock's year; it keeps that calendar across continue-as-new (C-1)"),
    timeZone: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe("IANA zone; null = the client record's own zone (C-1)"),
    slaClock: z
      .enum(['elapsed', 'business'])
      .default('elapsed')
      .describe('Clock for hour SLAs such as 48h recap / 72h first action (A-14)'),
    fiscalYearEndMonthDay: z
      .string()
      .regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'expected MM-dd')
      .default('12-31')
      .describe('Default fiscal year-end when the client has none (C-7)'),
    quarters: z
      .enum(['calendar', 'fiscal'])
      .default('calendar')
      .describe('Quarters follow the calendar unless a client fiscal calendar is set (C-7)'),
  },
  'Business calendar (C-1, C-7, A-14)',
).superRefine((c, ctx) => {
  if (c.dayStart >= c.dayEnd) issue(ctx, ['dayEnd'], 'dayStart must be before dayEnd');
  if (c.workdays.length === 0) issue(ctx, ['workdays'], 'at least one workday is required');
});
