/**
 * The KPI framework: a figure is computed from observations — one
 * per thing measured (a meeting, a CTA, a client, an onboarding deadline) — each saying whether it
 * counts in the numerator, to which client, segment and owner it belongs, and (for median
 * figures) its value. The same observations give the figure for the portfolio, per segment and per
 * owner, and the ids behind the numerator. Trend compares with the previous period.
 *
 * Pure: the loaders that turn the database into observations live in db/kpis/.
 */
import { DateTime } from 'luxon';

export interface Observation {
  /** What was measured: meeting, CTA, client or deadline id. */
  id: string;
  clientId: string | null;
  segment: string | null;
  ownerPersonId: string | null;
  /** Counts in the numerator (share and count figures; for a median: at or within the target). */
  hit: boolean;
  /** Median figures: the measured value (e.g. days to proposal). */
  value?: number;
}

export type FigureKind = 'share' | 'median' | 'count';

/** How one figure is defined: what it counts, against which target, and where its rule comes from. */
export interface FigureSpec {
  id: string;
  label: string;
  ruleId: string;
  kind: FigureKind;
  /** share: percent 0–100; median: the value's unit; count: how many. */
  unit: 'pct' | 'days' | 'count';
  /** Which way is better, for the trend. */
  better: 'higher' | 'lower';
  /** Denominator and numerator in words, for the docs and the response. */
  definition: { denominator: string; numerator: string };
  policyKeys: string[];
}

export interface Trend {
  previousValue: number | null;
  delta: number | null;
  direction: 'up' | 'down' | 'flat' | null;
  /** Whether the move is the good way (`better`); null without two values or when flat. */
  improving: boolean | null;
}

export interface FigureValue {
  value: number | null;
  numerator: number;
  denominator: number;
  target: number | null;
  /** Target met; null when nothing was measured (or there is no target). */
  meets: boolean | null;
}

export interface ScopedFigure extends FigureValue {
  trend: Trend;
}

export const KPI_MAX_IDS = 500;

export interface Figure extends ScopedFigure {
  id: string;
  label: string;
  ruleId: string;
  kind: FigureKind;
  unit: FigureSpec['unit'];
  better: FigureSpec['better'];
  definition: FigureSpec['definition'];
  policyKeys: string[];
  /** Ids behind the numerator (the denominator's for count figures), at most KPI_MAX_IDS. */
  ids: string[];
  idsTruncated: boolean;
  bySegment: Record<string, ScopedFigure>;
  byOwner: (ScopedFigure & { personId: string | null })[];
}

const pct1 = (n: number, d: number) => (d > 0 ? Math.round((n / d) * 1000) / 10 : null);

function median(values: number[]): number | null {
  if (!values.length) return null;
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return Math.round((v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2) * 10) / 10;
}

/** One figure's value from its observations. `previous` is the previous period's value (count figures need it for `meets`). */
export function evaluate(spec: Pick<FigureSpec, 'kind' | 'better'>, obs: Observation[], target: number | null, previous: number | null = null): FigureValue {
  const numerator = obs.filter((o) => o.hit).length;
  const denominator = obs.length;
  if (spec.kind === 'share') {
    return { value: pct1(numerator, denominator), numerator, denominator, target, meets: denominator > 0 && target !== null ? numerator * 100 >= target * denominator : null };
  }
  if (spec.kind === 'median') {
    const value = median(obs.map((o) => o.value).filter((v): v is number => typeof v === 'number'));
    return { value, numerator, denominator, target, meets: value === null || target === null ? null : spec.better === 'lower' ? value <= target : value >= target };
  }
  // count: "trending down" (R-39 past due): none at all, or fewer than last period.
  const value = denominator;
  const meets = spec.better === 'lower' ? value === 0 || (previous !== null && value < previous) : previous !== null && value > previous;
  return { value, numerator: value, denominator, target, meets };
}

export function trendOf(value: number | null, previous: number | null, better: FigureSpec['better']): Trend {
  if (value === null || previous === null) return { previousValue: previous, delta: null, direction: null, improving: null };
  const delta = Math.round((value - previous) * 10) / 10;
  const direction = delta > 0 ? 'up' : delta < 0 ? 'down' : 'flat';
  return { previousValue: previous, delta, direction, improving: direction === 'flat' ? null : (direction === 'up') === (better === 'higher') };
}

function groupBy(obs: Observation[], key: (o: Observation) => string | null): Map<string | null, Observation[]> {
  const out = new Map<string | null, Observation[]>();
  for (const o of obs) {
    const k = key(o);
    out.set(k, [...(out.get(k) ?? []), o]);
  }
  return out;
}

const SEGMENTS = ['A', 'B', 'C', 'D'];

/**
 * The whole figure: portfolio value with its trend against `previousObs`, the ids behind the
 * numerator, and the same per segment (A–D, always present) and per owner (every owner seen in
 * either period, `personId: null` for what nobody owns), owners ordered by id.
 */
export function figure(spec: FigureSpec, obs: Observation[], previousObs: Observation[], target: number | null): Figure {
  const scoped = (now: Observation[], before: Observation[]): ScopedFigure => {
    const prev = evaluate(spec, before, target).value;
    const v = evaluate(spec, now, target, prev);
    return { ...v, trend: trendOf(v.value, prev, spec.better) };
  };
  const all = scoped(obs, previousObs);
  const behind = (spec.kind === 'count' ? obs : obs.filter((o) => o.hit)).map((o) => o.id);
  const seg = groupBy(obs, (o) => o.segment);
  const segPrev = groupBy(previousObs, (o) => o.segment);
  const own = groupBy(obs, (o) => o.ownerPersonId);
  const ownPrev = groupBy(previousObs, (o) => o.ownerPersonId);
  const owners = [...new Set([...own.keys(), ...ownPrev.keys()])].sort((a, b) => (a === null ? 1 : b === null ? -1 : a < b ? -1 : a > b ? 1 : 0));
  return {
    id: spec.id, label: spec.label, ruleId: spec.ruleId, kind: spec.kind, unit: spec.unit, better: spec.better, definition: spec.definition, policyKeys: spec.policyKeys,
    ...all,
    ids: behind.slice(0, KPI_MAX_IDS), idsTruncated: behind.length > KPI_MAX_IDS,
    bySegment: Object.fromEntries(SEGMENTS.map((s) => [s, scoped(seg.get(s) ?? [], segPrev.get(s) ?? [])])),
    byOwner: owners.map((p) => ({ personId: p, ...scoped(own.get(p) ?? [], ownPrev.get(p) ?? []) })),
  };
}

// ---------------------------------------------------------------------------------------------
// Periods

export type PeriodKind = 'month' | 'quarter';
export interface Period { kind: PeriodKind; label: string; from: string; to: string }

export const PERIOD_RE = /^(\d{4})-(0[1-9]|1[0-2]|Q[1-4])$/;

/** The period named `label` (`2027-03` or `2027-Q1`) in `zone`: [from, to) as instants. */
export function periodOf(label: string, zone: string): Period {
  const m = PERIOD_RE.exec(label);
  if (!m) throw new RangeError(`Invalid period '${label}': expected yyyy-MM or yyyy-Qn`);
  const quarter = m[2]!.startsWith('Q');
  const start = DateTime.fromObject({ year: Number(m[1]), month: quarter ? (Number(m[2]!.slice(1)) - 1) * 3 + 1 : Number(m[2]), day: 1 }, { zone });
  const end = start.plus({ months: quarter ? 3 : 1 });
  return { kind: quarter ? 'quarter' : 'month', label, from: start.toUTC().toISO()!, to: end.toUTC().toISO()! };
}

/** The period of `kind` holding `at` in `zone`. */
export function periodAt(at: string, kind: PeriodKind, zone: string): Period {
  const t = DateTime.fromISO(at, { setZone: false }).setZone(zone);
  return periodOf(kind === 'month' ? t.toFormat('yyyy-MM') : `${t.year}-Q${t.quarter}`, zone);
}

/** The period before `p`. */
export function previousPeriod(p: Period, zone: string): Period {
  return periodAt(new Date(Date.parse(p.from) - 1).toISOString(), p.kind, zone);
}
