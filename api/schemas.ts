import { z } from '@hono/zod-openapi';
import { DateTime } from 'luxon';
import { isValidTimeZone } from '../domain/business-time.js';
import { MSP_ROLES, STAKEHOLDER_ROLES } from '../domain/roles.js';

/**
 * Ids are UUIDs, matched case-insensitively: an upper-case id names the same resource (RFC 4122 §3
 * says UUIDs are compared without regard to case), so it is lower-cased before any lookup.
 */
export const Id = z.string().uuid().toLowerCase();

/**
 * Business dates and instants lie in years 1900–9999. Earlier years are never business facts here
 * (and PostgreSQL and JavaScript disagree about years below 100); later ones do not fit ISO 8601's
 * four-digit year.
 */
export const MIN_BUSINESS_YEAR = 1900;
export const MAX_BUSINESS_YEAR = 9999;
const RANGE_MESSAGE = `must lie in the years ${MIN_BUSINESS_YEAR}–${MAX_BUSINESS_YEAR}`;

/**
 * zod's own ISO date and date-time grammars (z.regexes.date, z.iso.datetime with an offset),
 * restricted to the years 1900–9999 — as one pattern each, so the OpenAPI document states exactly
 * what the server accepts (leap days included).
 */
const LEAP_DAY = '(?:(?:19|[2-9]\\d)(?:[02468][48]|[13579][26]|[2468]0)|(?:[2468][048]|[3579][26])00)-02-29';
const dateOf = (year: string) => `(?:${LEAP_DAY}|${year}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8])))`;
const DATE = dateOf('(?:19\\d\\d|[2-9]\\d{3})');
/** Instants stop at 9998 (9999 is not a leap year), so no offset can carry one past 9999 in UTC. */
const INSTANT_DATE = dateOf('(?:19\\d\\d|[2-8]\\d{3}|9[0-8]\\d\\d|99[0-8]\\d|999[0-8])');
const TIME = 'T(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d{1,9})?(?:Z|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)';
export const IsoDate = z.string().max(10).regex(new RegExp(`^${DATE}$`), `must be a date YYYY-MM-DD in the years ${MIN_BUSINESS_YEAR}–${MAX_BUSINESS_YEAR}`)
  .openapi({ format: 'date', example: '2027-03-31', description: `A calendar date, years ${MIN_BUSINESS_YEAR}–${MAX_BUSINESS_YEAR}.` });
/** An RFC 3339 instant with seconds and an offset, written in a business year. */
export const IsoInstant = z.string().max(40).regex(new RegExp(`^${INSTANT_DATE}${TIME}$`), `must be an RFC 3339 date-time with seconds and an offset, in the years ${MIN_BUSINESS_YEAR}–${MAX_BUSINESS_YEAR - 1}`)
  .openapi({ format: 'date-time', example: '2027-03-31T09:00:00-05:00', description: `An RFC 3339 instant with offset, years ${MIN_BUSINESS_YEAR}–${MAX_BUSINESS_YEAR - 1}.` });
/** A month `yyyy-MM` (or, with quarters, `yyyy-Qn`) in a business year; 1900–9998 so the period after it is one too. */
const PERIOD_YEAR = '(?:19\\d\\d|[2-8]\\d{3}|9[0-8]\\d\\d|99[0-8]\\d|999[0-8])';
export const YearMonth = z.string().max(7).regex(new RegExp(`^${PERIOD_YEAR}-(?:0[1-9]|1[0-2])$`), `a month yyyy-MM in the years ${MIN_BUSINESS_YEAR}–${MAX_BUSINESS_YEAR - 1}`);
export const MonthOrQuarter = z.string().max(7).regex(new RegExp(`^${PERIOD_YEAR}-(?:0[1-9]|1[0-2]|Q[1-4])$`), `a month yyyy-MM or a quarter yyyy-Qn in the years ${MIN_BUSINESS_YEAR}–${MAX_BUSINESS_YEAR - 1}`);
/** The canonical UTC form of an instant, as stored and compared in PostgreSQL. */
export const utcInstant = (v: string) => new Date(v).toISOString();

/** IANA zones; the document lists the canonical names (the server also takes aliases such as US/Eastern). */
export const TimeZone = z.string().max(64).refine(isValidTimeZone, { message: 'must be an IANA time zone such as America/Chicago' })
  .openapi({ example: 'America/Chicago', enum: Intl.supportedValuesOf('timeZone').filter(isValidTimeZone) } as never);
/** Every MM-DD of a leap year: what a fiscal year-end may be. */
const MONTH_DAYS = Array.from({ length: 366 }, (_, i) => DateTime.fromObject({ year: 2024, month: 1, day: 1 }).plus({ days: i }).toFormat('MM-dd'));
export const MonthDay = z
  .string()
  .max(5)
  .regex(/^\d{2}-\d{2}$/, 'must be MM-DD')
  .refine((v) => DateTime.fromFormat(`2024-${v}`, 'yyyy-MM-dd').isValid, 'must be a real calendar day')
  .openapi({ example: '12-31', enum: MONTH_DAYS } as never);
export const Segment = z.enum(['A', 'B', 'C', 'D']);
export const TouchTier = z.enum(['VIP', 'High', 'Mid', 'Tech']);
export const MspRole = z.enum(MSP_ROLES);
export const Score = z.number().int().min(1).max(5);

/**
 * A whole number in a query or path parameter, written in decimal digits only: `0x1`, `1e2`,
 * ` 1` or `1.0` are 400s, not silently read as numbers.
 */
export const intParam = (min: number, max: number) =>
  z.string().regex(/^\d{1,9}$/, 'must be a whole number in decimal digits').transform(Number).pipe(z.number().int().min(min).max(max))
    // Documented as what it is: an integer in [min, max] (the text form is the server's business).
    .openapi({ type: 'integer', minimum: min, maximum: max, pattern: undefined } as never);

/** A list that must not repeat itself; the OpenAPI document says so (`uniqueItems`). */
export const uniqueList = <T extends z.ZodType>(item: T, maxItems: number, what = 'items') =>
  z.array(item).max(maxItems).refine((l) => new Set(l.map((x) => JSON.stringify(x))).size === l.length, `${what} must be unique`).openapi({ uniqueItems: true });

/** `a,b` or repeated query params → array. */
export const csv = <T extends z.ZodType>(item: T, maxItems = 50) =>
  z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(item).max(maxItems)).optional();

/** An email address as the server checks it (zod's rule, stated as the pattern). */
export const Email = z.string().max(254).regex(z.regexes.email, 'Invalid email address');

/**
 * Free text: `min`–`max` characters with no leading or trailing whitespace (refused, not trimmed,
 * so what the document allows is exactly what the server accepts) and the text rule of
 * api/input-rules.ts, both stated in one pattern.
 */
export const text = (min: number, max: number) => z.string().min(min).max(max).regex(TRIMMED_TEXT, 'must not start or end with whitespace or contain control characters');
const CONTROL = '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F';
const TRIMMED_TEXT = new RegExp(`^(?:[^\\s${CONTROL}](?:[^${CONTROL}]*[^\\s${CONTROL}])?)?$`);

export const Stakeholder = z.object({
  name: text(1, 200),
  email: Email.optional(),
  title: text(0, 200).optional(),
  roles: uniqueList(z.enum(STAKEHOLDER_ROLES), STAKEHOLDER_ROLES.length, 'roles').min(1),
}).strict();

/** Page sizes: every list answers at most `MAX_PAGE_SIZE` items, `DEFAULT_PAGE_SIZE` unless asked. */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;
export const Pagination = z.object({
  limit: intParam(1, MAX_PAGE_SIZE).optional().transform((v) => v ?? DEFAULT_PAGE_SIZE)
    .openapi({ description: `Page size, default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}.` }),
  after: z.string().max(200).optional().openapi({ description: 'Cursor from the previous page\'s `next`.' }),
});
/** A page of a list: `next` is the cursor of the following page, absent on the last one. */
export const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next: z.string().optional().openapi({ description: 'Pass as `after` for the next page; absent on the last page.' }) });
