/**
 * Policy as data (DOMAIN.md §4): every deadline, threshold, cadence and owner the workflows use,
 * as one typed, zod-validated, versioned document. Workflow code reads numbers from here only.
 * Each area lives in its own module under domain/policy/ (calendar, segmentation, capacity,
 * cadence, meetings, triggers, onboarding, sales, planning, health, kpis, raci, governance); this module assembles
 * the document and holds parsing, diffing and per-client overrides.
 *
 * Conventions: durations and amounts carry their unit in the key (`…Days` calendar days,
 * `…BusinessDays`, `…Hours` elapsed, `…BusinessHours`, `…Minutes`, `…Pct` 0–100, `…Usd`);
 * offsets relative to an anchor are signed (`renewalOffsetDays: -90`); weekdays are ISO
 * (1 = Mon … 7 = Sun, as in business-time.ts); times are local 'HH:mm' in the client's zone.
 *
 * Pure and deterministic (imported from Temporal workflow code): no I/O, no clock.
 */
import { inWorkflowContext } from '@temporalio/workflow';
import { z } from 'zod';
import { issue, SEGMENTS } from './policy/vocabulary.js';
import { calendar } from './policy/calendar.js';
import { segmentation } from './policy/segmentation.js';
import { investment, capacity } from './policy/capacity.js';
import { cadence } from './policy/cadence.js';
import { meeting, ctas, missedCadence } from './policy/meetings.js';
import { triggers } from './policy/triggers.js';
import { onboarding } from './policy/onboarding.js';
import { annualPlanning, discoveryAssessment, initiatives, proposals, budget, roadmap, deliverables } from './policy/planning.js';
import { health, playsAndGates, atRisk } from './policy/health.js';
import { kpis } from './policy/kpis.js';
import { sales } from './policy/sales.js';
import { raci } from './policy/raci.js';
import { integrations } from './policy/integrations.js';
import { governance } from './policy/governance.js';
import { upsell } from './policy/upsell.js';

export { MRR_TIERS, PUBLIC_HOLIDAY_TYPES, roleSchema, SEGMENTS, TOUCH_TIERS, type Role } from './policy/vocabulary.js';

// ---------------------------------------------------------------------------------------------
// The document

/**
 * The document's areas, each a builder of its zod schema. Nothing is built when this module is
 * imported: inside a workflow every module is evaluated again for each workflow the worker runs (a
 * reused V8 context gives each workflow its own modules), and building these schemas was nearly all
 * of a new or replayed workflow's setup cost (issues 17, 19; `npm run bench -- --only workflow-setup`).
 * They are built on first use, once per module instance.
 */
const policyAreas = {
  calendar,
  segmentation,
  investment,
  capacity,
  cadence,
  meeting,
  ctas,
  missedCadence,
  triggers,
  onboarding,
  sales,
  annualPlanning,
  discoveryAssessment,
  initiatives,
  proposals,
  budget,
  roadmap,
  deliverables,
  health,
  playsAndGates,
  atRisk,
  kpis,
  raci,
  governance,
  integrations,
  upsell,
};
type PolicyShape = { [K in keyof typeof policyAreas]: ReturnType<(typeof policyAreas)[K]> };
/** The area names, in the document's order, without building anything. */
const POLICY_AREA_NAMES = Object.keys(policyAreas) as (keyof typeof policyAreas)[];

let builtShape: PolicyShape | undefined;
function policyShape(): PolicyShape {
  return (builtShape ??= Object.fromEntries(POLICY_AREA_NAMES.map((k) => [k, policyAreas[k]()])) as PolicyShape);
}

function buildPolicySchema() {
  return z
    .object(policyShape())
    .superRefine((p, ctx) => {
      // The §2.2 matrix and the annual-planning area state the same anchors; a document that says two
      // different things is rejected rather than silently preferring one.
      for (const seg of SEGMENTS) {
        const ap = p.cadence?.[seg]?.annualPlanning;
        const area = p.annualPlanning;
        if (!ap || !area) continue;
        const expected = ap.anchor === 'fyEnd' ? area.finalMeetingOffsetDays : area.dAnchorRenewalOffsetDays;
        const areaKey = ap.anchor === 'fyEnd' ? 'finalMeetingOffsetDays' : 'dAnchorRenewalOffsetDays';
        if (ap.offsetDays !== expected)
          issue(ctx, ['cadence', seg, 'annualPlanning', 'offsetDays'], `must equal annualPlanning.${areaKey} (${expected})`);
        if (ap.spacingDays !== area.spacingDays)
          issue(ctx, ['cadence', seg, 'annualPlanning', 'spacingDays'], `must equal annualPlanning.spacingDays (${area.spacingDays})`);
      }
    })
    .describe('Baton policy document (DOMAIN.md §4)');
}
type PolicySchema = ReturnType<typeof buildPolicySchema>;
let builtSchema: PolicySchema | undefined;
/** The policy document's schema, built on first use (see `policyAreas`). */
export function policySchema(): PolicySchema {
  return (builtSchema ??= buildPolicySchema());
}

export type Policy = z.infer<PolicySchema>;
export type PolicyInput = z.input<PolicySchema>;

export interface PolicyIssue {
  path: string;
  message: string;
}
export type PolicyResult = { ok: true; policy: Policy } | { ok: false; issues: PolicyIssue[] };

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Inside a workflow this module is evaluated again for every workflow the worker runs (a reused V8 context
 * gives each workflow its own modules), and parsing the defaults was a third of that cost while no workflow
 * reads them: workflows parse the policy their input carries (issue 19, portfolio rehearsals). There a read
 * of `defaultPolicy` fails loudly instead.
 */
const notInWorkflows = new Proxy({} as Policy, {
  get(_, key) {
    throw new Error(`defaultPolicy.${String(key)} read inside a workflow: workflows use the policy document their input carries`);
  },
});

/** The §4 defaults. Frozen: callers derive new documents (applyClientOverrides), never mutate this. */
export const defaultPolicy: Policy = inWorkflowContext() ? notInWorkflows : deepFreeze(policySchema().parse({}));

function toIssues(error: z.ZodError, unknownKeyMessage: (path: string[]) => string = () => 'Unknown key'): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  for (const i of error.issues) {
    const base = i.path.map(String);
    // One issue per unknown key, addressed at the key itself, so callers can point at it.
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) out.push({ path: [...base, k].join('.'), message: unknownKeyMessage([...base, k]) });
    } else {
      out.push({ path: base.join('.'), message: i.message });
    }
  }
  return out;
}

export function parsePolicy(input: unknown): PolicyResult {
  const r = policySchema().safeParse(input);
  return r.success ? { ok: true, policy: r.data } : { ok: false, issues: toIssues(r.error) };
}

// ---------------------------------------------------------------------------------------------
// Diff

export interface PolicyChange {
  path: string;
  before: unknown;
  after: unknown;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Leaf-level diff of two JSON documents, sorted by path; arrays are leaves compared as JSON. */
export function diffPolicies(before: unknown, after: unknown): PolicyChange[] {
  const out: PolicyChange[] = [];
  const walk = (a: unknown, b: unknown, path: string[]): void => {
    const aObj = isPlainObject(a);
    const bObj = isPlainObject(b);
    if ((aObj || a === undefined) && (bObj || b === undefined) && (aObj || bObj)) {
      const keys = new Set([...Object.keys(aObj ? a : {}), ...Object.keys(bObj ? b : {})]);
      for (const k of keys) walk(aObj ? a[k] : undefined, bObj ? b[k] : undefined, [...path, k]);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path: path.join('.'), before: a, after: b });
  };
  walk(before, after, []);
  // Code-unit order, not localeCompare: the result must not depend on the runtime's locale.
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// Per-client overrides

/**
 * Areas that govern one client's processes. Segmentation, investment, capacity, KPIs and
 * plays/gates are MSP-wide portfolio settings and cannot be overridden per client.
 */
export const CLIENT_OVERRIDE_AREAS = [
  'calendar',
  'cadence',
  'meeting',
  'missedCadence',
  'triggers',
  'onboarding',
  'annualPlanning',
  'discoveryAssessment',
  'proposals',
  'budget',
  'roadmap',
  'deliverables',
  'health',
  'atRisk',
  'raci',
] as const satisfies readonly (keyof Policy)[];
export type ClientOverrideArea = (typeof CLIENT_OVERRIDE_AREAS)[number];

type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;
export type ClientOverrides = DeepPartial<Pick<Policy, ClientOverrideArea>>;

/**
 * Strict mirror of a schema, defaults stripped: unknown keys are refused everywhere and object
 * refinements dropped (they are checked on the whole document by `parsePolicy` afterwards), while
 * leaf constraints stay so a bad value is reported at its own path. `partial`: every key optional
 * (client overrides must not re-assert seed values over the MSP's policy); otherwise every key is
 * required (a published document is complete: a missing key is an error, never a silent seed).
 */
function strictMirrorOf(schema: z.ZodType, partial: boolean): z.ZodType {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodPrefault) s = s.unwrap() as z.ZodType;
  if (s instanceof z.ZodNullable) {
    const inner = s.unwrap() as z.ZodType;
    return inner instanceof z.ZodObject ? strictMirrorOf(inner, partial).nullable() : s;
  }
  if (s instanceof z.ZodObject) {
    const shape: Record<string, z.ZodType> = {};
    for (const [k, v] of Object.entries(s.shape as Record<string, z.ZodType>)) shape[k] = partial ? strictMirrorOf(v, partial).optional() : strictMirrorOf(v, partial);
    return z.strictObject(shape);
  }
  return s;
}

// The strict mirrors are built on first use (z.lazy): this module is evaluated again for every workflow a
// worker runs (a reused V8 context gives each workflow its own modules), and building them was most of that
// cost while workflows never publish a policy (issue 19: portfolio rehearsals spent their time here).
export const clientOverrideSchema = z.lazy(() => strictMirrorOf(
  z.object(Object.fromEntries(CLIENT_OVERRIDE_AREAS.map((a) => [a, policyShape()[a]]))),
  true,
)) as z.ZodType<ClientOverrides>;

/** Objects merge key by key; arrays, scalars and null replace; undefined leaves the base. */
function deepMerge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = deepMerge(base[k], v);
  return out;
}

/** Applies a client's overrides to the MSP policy and re-validates the whole result. */
export function applyClientOverrides(policy: Policy, overrides: unknown): PolicyResult {
  const o = clientOverrideSchema.safeParse(overrides ?? {});
  if (!o.success) {
    const explain = (path: string[]) =>
      path.length === 1 && path[0]! in policyAreas
        ? `'${path[0]}' is an MSP-wide setting and cannot be overridden per client`
        : 'Unknown key';
    return { ok: false, issues: toIssues(o.error, explain) };
  }
  return parsePolicy(deepMerge(policy, o.data));
}

// ---------------------------------------------------------------------------------------------
// Publishing

const completePolicySchema = z.lazy(() => strictMirrorOf(z.object(policyShape()), false));
const policyPatchSchema = z.lazy(() => strictMirrorOf(z.object(policyShape()), true));

/**
 * How a published document relates to the version in force:
 * - `replace` (default): the document is the whole policy; every key must be present.
 * - `merge`: the document is a deep patch on the active version (objects merge key by key;
 *   arrays, scalars and null replace).
 * Either way unknown keys are refused, naming each one, and the result is validated in full.
 */
export type PublishMode = 'replace' | 'merge';

export function parsePolicyForPublishing(document: unknown, mode: PublishMode, active: Policy): PolicyResult {
  const strict = (mode === 'replace' ? completePolicySchema : policyPatchSchema).safeParse(document);
  if (!strict.success) {
    return {
      ok: false,
      issues: toIssues(strict.error).map((i) =>
        /received undefined/.test(i.message)
          ? { path: i.path, message: 'Missing: a published document names every key (send the whole policy, or publish with mode "merge")' }
          : i,
      ),
    };
  }
  return parsePolicy(mode === 'replace' ? document : deepMerge(active, strict.data));
}
