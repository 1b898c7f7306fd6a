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
const yearInRange = (y: number) => y >= MIN_BUSINESS_YEAR && y <= MAX_BUSINESS_YEAR;
const RANGE_MESSAGE = `must lie in the years ${MIN_BUSINESS_YEAR}–${MAX_BUSINESS_YEAR}`;

export const IsoDate = z.iso.date()
  .refine((v) => yearInRange(Number(v.slice(0, 4))), RANGE_MESSAGE)
  .openapi({ example: '2027-03-31', description: `A calendar date, years ${MIN_BUSINESS_YEAR}–${MAX_BUSINESS_YEAR}.` });
/** An RFC 3339 instant with an offset; the instant (in UTC) must lie in the business years. */
export const IsoInstant = z.iso.datetime({ offset: true })
  .refine((v) => {
    const t = Date.parse(v);
    return Number.isFinite(t) && yearInRange(new Date(t).getUTCFullYear());
  }, RANGE_MESSAGE)
  .openapi({ example: '2027-03-31T09:00:00-05:00', description: `An RFC 3339 instant with offset, years ${MIN_BUSINESS_YEAR}–${MAX_BUSINESS_YEAR}.` });
/** The canonical UTC form of an instant, as stored and compared in PostgreSQL. */
export const utcInstant = (v: string) => new Date(v).toISOString();

export const TimeZone = z.string().max(64).refine(isValidTimeZone, { message: 'must be an IANA time zone such as America/Chicago' }).openapi({ example: 'America/Chicago' });
export const MonthDay = z
  .string()
  .max(5)
  .regex(/^\d{2}-\d{2}$/, 'must be MM-DD')
  .refine((v) => DateTime.fromFormat(`2024-${v}`, 'yyyy-MM-dd').isValid, 'must be a real calendar day')
  .openapi({ example: '12-31' });
export const Segment = z.enum(['A', 'B', 'C', 'D']);
export const TouchTier = z.enum(['VIP', 'High', 'Mid', 'Tech']);
export const MspRole = z.enum(MSP_ROLES);
export const Score = z.number().int().min(1).max(5);

/**
 * A whole number in a query or path parameter, written in decimal digits only: `0x1`, `1e2`,
 * ` 1` or `1.0` are 400s, not silently read as numbers.
 */
export const intParam = (min: number, max: number) =>
  z.string().regex(/^\d{1,9}$/, 'must be a whole number in decimal digits').transform(Number).pipe(z.number().int().min(min).max(max));

/** A list that must not repeat itself; the OpenAPI document says so (`uniqueItems`). */
export const uniqueList = <T extends z.ZodType>(item: T, maxItems: number, what = 'items') =>
  z.array(item).max(maxItems).refine((l) => new Set(l.map((x) => JSON.stringify(x))).size === l.length, `${what} must be unique`).openapi({ uniqueItems: true });

/** `a,b` or repeated query params → array. */
export const csv = <T extends z.ZodType>(item: T, maxItems = 50) =>
  z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(item).max(maxItems)).optional();

export const Stakeholder = z.object({
  name: z.string().min(1).max(200),
  email: z.email().max(254).optional(),
  title: z.string().max(200).optional(),
  roles: uniqueList(z.enum(STAKEHOLDER_ROLES), STAKEHOLDER_ROLES.length, 'roles').min(1),
});

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
