import { DateTime } from 'luxon';
import { atLocalTime, localDateOf, roll, type BusinessCalendar, type Instant } from './business-time.js';

/**
 * a client's placement is reviewed at least annually. The next review falls `intervalMonths`
 * after the previous anchor (calendar months, A-21), ROLLed to a business day (C-2) and due at
 * `time` in the client's zone.
 */
export function nextPlacementReview(anchor: Instant, intervalMonths: number, time: string, cal: BusinessCalendar): { dueAt: string; localDate: string } {
  const anchorDate = localDateOf(anchor, cal);
  const target = DateTime.fromISO(anchorDate, { zone: 'UTC' }).plus({ months: intervalMonths }).toISODate()!;
  const localDate = roll(target, cal, anchorDate);
  return { dueAt: atLocalTime(localDate, time, cal), localDate };
}
