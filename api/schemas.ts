import { z } from '@hono/zod-openapi';
import { DateTime } from 'luxon';
import { isValidTimeZone } from '../domain/business-time.js';
import { MSP_ROLES, STAKEHOLDER_ROLES } from '../domain/roles.js';

export const Id = z.string().uuid();
export const IsoDate = z.iso.date().openapi({ example: '2027-03-31' });
export const IsoInstant = z.iso.datetime({ offset: true });
export const TimeZone = z.string().refine(isValidTimeZone, { message: 'must be an IANA time zone such as America/Chicago' }).openapi({ example: 'America/Chicago' });
export const MonthDay = z
  .string()
  .regex(/^\d{2}-\d{2}$/, 'must be MM-DD')
  .refine((v) => DateTime.fromFormat(`2024-${v}`, 'yyyy-MM-dd').isValid, 'must be a real calendar day')
  .openapi({ example: '12-31' });
export const Segment = z.enum(['A', 'B', 'C', 'D']);
export const TouchTier = z.enum(['VIP', 'High', 'Mid', 'Tech']);
export const MspRole = z.enum(MSP_ROLES);
export const Score = z.number().int().min(1).max(5);

/** `a,b` or repeated query params → array. */
export const csv = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(item)).optional();

export const Stakeholder = z.object({
  name: z.string().min(1).max(200),
  email: z.email().optional(),
  title: z.string().max(200).optional(),
  roles: z.array(z.enum(STAKEHOLDER_ROLES)).min(1),
});

export const Pagination = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: z.string().optional().openapi({ description: 'Cursor from the previous page\'s `next`.' }),
});
