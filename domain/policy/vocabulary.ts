/**
 * Shared vocabulary and leaf builders of the policy document (DOMAIN.md §4): each builder takes the
 * seed default and a description naming its rule. Pure (imported from workflow code).
 */
import { z } from 'zod';
import { MSP_ROLES } from '../roles.js';

// ---------------------------------------------------------------------------------------------
// Vocabulary

export const SEGMENTS = ['A', 'B', 'C', 'D'] as const;
export const TOUCH_TIERS = ['VIP', 'High', 'Mid', 'Tech'] as const;
export const MRR_TIERS = ['High', 'Mid', 'Low'] as const;
/** The holiday types of the date-holidays data (a client's region seeds its calendar from it). */
export const PUBLIC_HOLIDAY_TYPES = ['public', 'bank', 'school', 'optional', 'observance'] as const;

export const roleSchema = z.enum(MSP_ROLES);
export type Role = z.infer<typeof roleSchema>;
export const touchTierSchema = z.enum(TOUCH_TIERS);
export const meetingModeSchema = z.enum(['live', 'hybrid', 'async']);
export const frequencySchema = z.enum([
  'weekly',
  'biweekly',
  'monthly',
  'quarterly',
  'semiannual',
  'annual',
  'triggerOnly',
  'none',
]);
export type Frequency = z.infer<typeof frequencySchema>;
export type Seg<T> = { A: T; B: T; C: T; D: T };

// ---------------------------------------------------------------------------------------------
// Leaf builders: each takes the seed default and a description naming its rule.

export const TIME_RE = /^([01]\d|2[0-3]):[0-5]\d$/;
export const DATE_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

// Generic builders cannot prove `{}` satisfies their input type; the parse fills every field.
export const EMPTY = {} as never;
export const int = () => z.number().int();
export const count = (def: number, d: string) => int().min(0).default(def).describe(d);
export const days = count;
export const offsetDays = (def: number, d: string) => int().default(def).describe(d);
export const hours = (def: number, d: string) => z.number().min(0).default(def).describe(d);
export const minutes = (def: number, d: string) => int().min(0).default(def).describe(d);
export const pct = (def: number, d: string) => z.number().min(0).max(100).default(def).describe(d);
export const usd = (def: number, d: string) => z.number().min(0).default(def).describe(d);
export const flag = (def: boolean, d: string) => z.boolean().default(def).describe(d);
export const time = (def: string, d: string) =>
  z.string().regex(TIME_RE, 'expected HH:mm (00:00–23:59)').default(def).describe(d);
export const weekday = (def: number, d: string) => int().min(1).max(7).default(def).describe(d);
export const weekdays = (def: readonly number[], d: string) =>
  z
    .array(int().min(1).max(7))
    .refine((w) => new Set(w).size === w.length, 'weekdays must be unique')
    .default(() => [...def])
    .describe(d);
export const role = (def: Role, d: string) => roleSchema.default(def).describe(d);
export const roleOrNone = (def: Role | null, d: string) => roleSchema.nullable().default(def).describe(d);
export const roles = (def: readonly Role[], d: string) => z.array(roleSchema).default(() => [...def]).describe(d);
export const freq = (def: Frequency, d: string) => frequencySchema.default(def).describe(d);
/** A non-empty list of unique lower-case slugs, e.g. access-matrix systems. */
export const slugList = (def: readonly string[], d: string) =>
  z
    .array(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case-with-dashes'))
    .min(1)
    .refine((l) => new Set(l).size === l.length, 'items must be unique')
    .default(() => [...def])
    .describe(d);

/** Nested objects default to `{}` parsed through their own field defaults (zod 4 `prefault`). */
export function group<S extends z.ZodRawShape>(shape: S, d: string) {
  return z.object(shape).prefault(EMPTY).describe(d);
}

/** `{from, to}` window; `from ≤ to`. Units are in the key that holds it. */
export function window(from: number, to: number, d: string) {
  return z
    .object({
      from: int().default(from).describe(`${d}: first day/hour of the window`),
      to: int().default(to).describe(`${d}: last day/hour of the window`),
    })
    .refine((w) => w.from <= w.to, { message: 'window must have from ≤ to', path: ['to'] })
    .prefault(EMPTY)
    .describe(d);
}

/** `{min, max}` range; `min ≤ max`. */
export function range(min: number, max: number, d: string) {
  return z
    .object({
      min: z.number().min(0).default(min).describe(`${d}: minimum`),
      max: z.number().min(0).default(max).describe(`${d}: maximum`),
    })
    .refine((r) => r.min <= r.max, { message: 'range must have min ≤ max', path: ['max'] })
    .prefault(EMPTY)
    .describe(d);
}

/** One value per segment A–D, each with its own default. */
export function perSegment<T extends z.ZodType>(build: (seg: (typeof SEGMENTS)[number]) => T, d: string) {
  return z.object({ A: build('A'), B: build('B'), C: build('C'), D: build('D') }).prefault(EMPTY).describe(d);
}
export const segPct = (v: Seg<number>, d: string) => perSegment((s) => pct(v[s], d), d);
export const segDays = (v: Seg<number>, d: string) => perSegment((s) => days(v[s], d), d);
export const segFreq = (v: Seg<Frequency>, d: string) => perSegment((s) => freq(v[s], d), d);
export const segRole = (v: Seg<Role>, d: string) => perSegment((s) => role(v[s], d), d);

/** Green/yellow colour band: green at or above `greenMin`, yellow at or above `yellowMin`, else red. */
export function band(greenMin: number, yellowMin: number, d: string) {
  return z
    .object({
      greenMin: z.number().default(greenMin).describe(`${d}: green at or above`),
      yellowMin: z.number().default(yellowMin).describe(`${d}: yellow at or above, else red`),
    })
    .refine((b) => b.yellowMin < b.greenMin, { message: 'yellowMin must be < greenMin', path: ['yellowMin'] })
    .prefault(EMPTY)
    .describe(d);
}
export const segBand = (v: Seg<[number, number]>, d: string) => perSegment((s) => band(v[s][0], v[s][1], d), d);

/** Weights in percent that must add up to 100. */
export function weights<K extends string>(def: Record<K, number>, d: string) {
  const shape = Object.fromEntries(Object.entries(def).map(([k, v]) => [k, pct(v as number, d)])) as {
    [P in K]: ReturnType<typeof pct>;
  };
  return z
    .object(shape)
    .refine((w) => Math.abs(Object.values(w as Record<string, number>).reduce((a, b) => a + b, 0) - 100) < 1e-9, {
      message: 'weights must add up to 100',
    })
    .prefault(EMPTY)
    .describe(d);
}

/** A play's owner per segment and its dues; null = the play has no due of that kind. */
export function play(owner: Seg<Role>, due: { hours?: number; days?: number; businessDays?: number }, d: string) {
  const due_ = (def: number | undefined, what: string) =>
    z.number().min(0).nullable().default(def ?? null).describe(`${d}: due in ${what}`);
  return group(
    {
      owner: segRole(owner, `${d}: owner by segment`),
      dueHours: due_(due.hours, 'elapsed hours'),
      dueDays: due_(due.days, 'calendar days'),
      dueBusinessDays: due_(due.businessDays, 'business days'),
    },
    d,
  );
}
export const all = (r: Role): Seg<Role> => ({ A: r, B: r, C: r, D: r });
export const abcd = (ab: Role, c: Role, d: Role): Seg<Role> => ({ A: ab, B: ab, C: c, D: d });

export function issue(ctx: z.RefinementCtx, path: (string | number)[], message: string) {
  ctx.addIssue({ code: 'custom', message, path });
}
