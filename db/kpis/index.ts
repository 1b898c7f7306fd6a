/**
 * KPI reports: one family at a time, for a period, each figure with numerator, denominator,
 * target, trend against the previous period, the ids behind the numerator, per segment and per
 * owner — and the same as CSV.
 */
import { figure, periodAt, periodOf, previousPeriod, type Figure, type Observation, type Period, type PeriodKind } from '../../domain/kpi.js';
import type { Policy } from '../../domain/policy.js';
import type { Db } from '../client.js';
import { cadenceFamily } from './cadence.js';
import { governanceFamily } from './governance.js';
import { onboardingFamily } from './onboarding.js';
import { salesFamily } from './sales.js';
import { clientDirectory, ownerNames, type KpiContext, type KpiFamily, type KpiWindow } from './registry.js';

export type { FigureDefinition, KpiContext, KpiFamily } from './registry.js';

/** Every family served by GET /v1/portfolio/kpis/{family}. Register a new family here. */
export const KPI_FAMILIES = {
  cadence: cadenceFamily,
  onboarding: onboardingFamily,
  governance: governanceFamily,
  sales: salesFamily,
} as const satisfies Record<string, KpiFamily>;
export type KpiFamilyId = keyof typeof KPI_FAMILIES;
export const KPI_FAMILY_IDS = Object.keys(KPI_FAMILIES) as KpiFamilyId[];

export interface KpiReport {
  family: string;
  title: string;
  ruleIds: string[];
  policyVersion: number;
  period: Period & { asOf: string };
  previousPeriod: Period & { asOf: string };
  figures: Figure[];
  owners: { personId: string; name: string }[];
}

/** The window a period is measured in: events in [from, to), judged as of its end, or now while it runs. */
export function windowOf(p: Period, now: string): KpiWindow {
  return { from: p.from, to: p.to, asOf: Date.parse(now) < Date.parse(p.to) ? now : p.to };
}

/** Observations of every figure of a family for one window (the R-60 evaluation reuses them per cell). */
export async function observeFamily(db: Db, family: KpiFamily, window: KpiWindow, policy: Policy, clients = clientDirectory(db)): Promise<Map<string, Observation[]>> {
  const ctx: KpiContext = { db, policy, window, clients };
  const out = new Map<string, Observation[]>();
  for (const f of family.figures) out.set(f.id, await f.load(ctx));
  return out;
}

export async function kpiReport(
  db: Db, familyId: KpiFamilyId, opts: { period?: string; periodKind?: PeriodKind }, now: string, policy: { version: number; document: Policy },
): Promise<KpiReport> {
  const family: KpiFamily = KPI_FAMILIES[familyId];
  const zone = policy.document.governance.timeZone;
  const period = opts.period ? periodOf(opts.period, zone) : periodAt(now, opts.periodKind ?? family.defaultPeriod, zone);
  const previous = previousPeriod(period, zone);
  const clients = clientDirectory(db);
  const w = windowOf(period, now);
  const pw = windowOf(previous, now);
  const [current, before] = [await observeFamily(db, family, w, policy.document, clients), await observeFamily(db, family, pw, policy.document, clients)];
  const figures = family.figures.map((f) => figure(f, current.get(f.id)!, before.get(f.id)!, f.target(policy.document)));
  const ownerIds = [...new Set(figures.flatMap((f) => f.byOwner.map((o) => o.personId)).filter((x): x is string => !!x))];
  const names = await ownerNames(db, ownerIds);
  return {
    family: family.id, title: family.title, ruleIds: family.ruleIds, policyVersion: policy.version,
    period: { ...period, asOf: w.asOf }, previousPeriod: { ...previous, asOf: pw.asOf }, figures,
    owners: ownerIds.sort().map((id) => ({ personId: id, name: names.get(id) ?? '' })),
  };
}

const CSV_COLUMNS = ['family', 'period', 'figure', 'ruleId', 'scope', 'key', 'ownerName', 'value', 'numerator', 'denominator', 'target', 'meets', 'previousValue', 'delta', 'direction', 'improving'] as const;

/** RFC 4180: quoted when needed; a leading =, +, - or @ is prefixed with ' so spreadsheets do not run it as a formula. */
function cell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per figure and scope: the portfolio, each segment, each owner. */
export function kpiCsv(r: KpiReport): string {
  const names = new Map(r.owners.map((o) => [o.personId, o.name]));
  const rows: unknown[][] = [[...CSV_COLUMNS]];
  for (const f of r.figures) {
    const line = (scope: string, key: string, ownerName: string, v: Figure | Figure['bySegment'][string]) =>
      rows.push([r.family, r.period.label, f.id, f.ruleId, scope, key, ownerName, v.value, v.numerator, v.denominator, v.target, v.meets, v.trend.previousValue, v.trend.delta, v.trend.direction, v.trend.improving]);
    line('portfolio', '', '', f);
    for (const [s, v] of Object.entries(f.bySegment)) line('segment', s, '', v);
    for (const o of f.byOwner) line('owner', o.personId ?? 'unowned', o.personId ? names.get(o.personId) ?? '' : '', o);
  }
  return rows.map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}
