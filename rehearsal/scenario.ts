/**
 * The rehearsal scenario format (docs/rehearsal.md): who exists, when the scenario starts and ends,
 * and a list of timed API calls named by OpenAPI operationId. Parsing and time arithmetic are pure
 * so they are unit-tested apart from the servers a rehearsal starts.
 */
import { DateTime } from 'luxon';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { addBusinessDays, isValidTimeZone, localDateOf, makeCalendar, type BusinessCalendar } from '../domain/business-time.js';

const Ref = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'a ref is letters, digits, _ or -, starting with a letter');
const Instant = z.iso.datetime({ offset: true });
/** `+3bd`, `+36h`, `+2d+4h`, `+90m`, `+1w`: from the scenario start. */
export const OFFSET_RE = /^(\+\d+(?:bd|m|h|d|w))+$/;
const When = z.union([Instant, z.string().regex(OFFSET_RE, 'an ISO instant with offset, or an offset from start such as +3bd, +36h, +2d+4h')]);
const Role = z.enum(['admin', 'ops', 'automation', 'manager']);

export const ScenarioSchema = z.object({
  name: z.string().min(1).default('scenario'),
  description: z.string().optional(),
  /** Zone used for `d`/`bd` offsets (business days also skip `holidays`). */
  timeZone: z.string().refine(isValidTimeZone, 'an IANA time zone').default('UTC'),
  holidays: z.array(z.iso.date()).default([]),
  start: Instant,
  end: When,
  /** Policy areas deep-merged onto the default policy and published before anything else (rehearse a policy change). */
  policy: z.record(z.string(), z.unknown()).optional(),
  people: z.array(z.object({ ref: Ref, name: z.string().min(1), email: z.email().optional(), roles: z.array(z.string()).min(1) }).strict()).default([]),
  clients: z.array(z.object({
    ref: Ref,
    assignments: z.record(z.string(), z.object({ person: Ref, backup: Ref.optional() }).strict()).default({}),
  }).catchall(z.unknown())).default([]),
  /** Governance routines to run from the start (R-125): `true` for all four, or a list. */
  governance: z.union([z.boolean(), z.array(z.enum(['weeklyAmCsm', 'weeklyCsOps', 'monthlySegmentReview', 'quarterlyPortfolio']))]).default(false),
  steps: z.array(z.object({
    at: When,
    op: z.string().min(1).describe('OpenAPI operationId, e.g. recordKickoffHeld'),
    params: z.record(z.string(), z.string()).default({}),
    query: z.record(z.string(), z.string()).default({}),
    body: z.unknown().optional(),
    as: Role.default('ops'),
    idempotencyKey: z.string().min(1).max(255).optional(),
    /** Expected HTTP status; a mismatch is reported and makes the rehearsal fail. */
    expect: z.number().int().min(100).max(599).optional(),
    /** New refs from the response body, by dotted path: `{ kickoffCta: ctasOpened.0 }` makes `$kickoffCta` usable in later steps. */
    capture: z.record(Ref, z.string().regex(/^[A-Za-z0-9_]+(\[[A-Za-z0-9_]+=[^\].]*\])?(\.[A-Za-z0-9_]+(\[[A-Za-z0-9_]+=[^\].]*\])?)*$/, 'a dotted path such as ctasOpened.0, items.0.id or meetings[template=QBR].meetingId')).default({}),
    note: z.string().optional(),
  }).strict()).default([]),
}).strict();
export type Scenario = z.infer<typeof ScenarioSchema>;

export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

/** Parses YAML or JSON text; every problem is listed with its path. */
export function parseScenario(text: string): Scenario {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ScenarioError(`The scenario is not valid YAML/JSON: ${(err as Error).message}`);
  }
  const r = ScenarioSchema.safeParse(raw);
  if (!r.success) throw new ScenarioError(`Invalid scenario:\n${r.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n')}`);
  const refs = new Set<string>();
  for (const x of [...r.data.people, ...r.data.clients]) {
    if (refs.has(x.ref)) throw new ScenarioError(`Invalid scenario: ref "${x.ref}" is used twice`);
    refs.add(x.ref);
  }
  return r.data;
}

export function scenarioCalendar(s: Pick<Scenario, 'timeZone' | 'holidays'>): BusinessCalendar {
  return makeCalendar({ timeZone: s.timeZone, holidays: s.holidays });
}

/** An ISO instant, or `start` plus the offset terms in order (`bd` keeps the local time of day). */
export function resolveWhen(when: string, start: string, cal: BusinessCalendar): number {
  if (!when.startsWith('+')) return Date.parse(when);
  let t = DateTime.fromISO(start, { setZone: false }).setZone(cal.timeZone);
  for (const [, n, unit] of when.matchAll(/\+(\d+)(bd|m|h|d|w)/g)) {
    const k = Number(n);
    if (unit === 'm') t = t.plus({ minutes: k });
    else if (unit === 'h') t = t.plus({ hours: k });
    else if (unit === 'd') t = t.plus({ days: k });
    else if (unit === 'w') t = t.plus({ weeks: k });
    else {
      const date = addBusinessDays(localDateOf(t.toISO()!, cal), k, cal);
      t = DateTime.fromISO(`${date}T${t.toFormat('HH:mm:ss.SSS')}`, { zone: cal.timeZone });
    }
  }
  return t.toMillis();
}

/** Every step's instant; steps must not go back in time, and nothing may lie after `end`. */
export function timeline(s: Scenario): { startMs: number; endMs: number; steps: number[] } {
  const cal = scenarioCalendar(s);
  const startMs = Date.parse(s.start);
  const endMs = resolveWhen(s.end, s.start, cal);
  if (endMs < startMs) throw new ScenarioError(`end (${new Date(endMs).toISOString()}) is before start (${s.start})`);
  let prev = startMs;
  const steps = s.steps.map((step, i) => {
    const t = resolveWhen(step.at, s.start, cal);
    if (t < prev) throw new ScenarioError(`steps.${i} (${step.op} at ${step.at} = ${new Date(t).toISOString()}) is before the previous step or the start; list steps in time order`);
    if (t > endMs) throw new ScenarioError(`steps.${i} (${step.op} at ${step.at}) is after end (${new Date(endMs).toISOString()})`);
    prev = t;
    return t;
  });
  return { startMs, endMs, steps };
}

/** Replaces every string `$ref` (the whole string) with the id it names. */
export function substituteRefs(value: unknown, ids: Record<string, string>, where: string): unknown {
  if (typeof value === 'string' && value.startsWith('$') && value.length > 1) {
    const id = ids[value.slice(1)];
    if (id === undefined) throw new ScenarioError(`${where}: unknown ref ${value}`);
    return id;
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteRefs(v, ids, `${where}.${i}`));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteRefs(v, ids, `${where}.${k}`)]));
  return value;
}

/** The value at a dotted path (`items.0.id`) of a JSON body, or undefined. */
export function valueAt(body: unknown, dotted: string): unknown {
  let v: unknown = body;
  for (const part of dotted.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    // `meetings[template=QBR]`: the first array element whose field has that value (e.g. a booked meeting's id).
    const select = /^([^[\]]+)\[([^=\]]+)=([^\]]*)\]$/.exec(part);
    if (select) {
      const list = (v as Record<string, unknown>)[select[1]!];
      v = Array.isArray(list) ? list.find((x) => x && typeof x === 'object' && String((x as Record<string, unknown>)[select[2]!]) === select[3]) : undefined;
      continue;
    }
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** Deep merge for policy areas: objects merge, everything else replaces. */
export function deepMerge(base: unknown, patch: unknown): unknown {
  if (patch && typeof patch === 'object' && !Array.isArray(patch) && base && typeof base === 'object' && !Array.isArray(base)) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(patch)) out[k] = deepMerge(out[k], v);
    return out;
  }
  return patch;
}
