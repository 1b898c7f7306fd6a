/**
 * Importing a connected PSA's companies (issue 15, "Getting clients in"), pure: a vendor's
 * companies, primary contacts and agreement end dates — read by the connector's module
 * (activities/connectwise.ts, autotask.ts, halopsa.ts) into `PsaCompany` — become the SAME import
 * records the CSV import reads (domain/client-import.ts `mapImportRow`), so validation, the dry
 * run, matching by `externalRef` and the mid-life start of processes are one path
 * (api/routes/client-import.ts `importClientRows`).
 *
 * What a PSA does not hold (maturity, appetite, mrr, time zone, lifecycle…) comes from the
 * request's `defaults`, overridden per company by `overrides`; a company still missing a required
 * value is a row error naming the company, never a crash.
 */
import { findIana } from 'windows-iana';
import { isValidTimeZone } from './business-time.js';
import { IMPORT_COLUMNS, mapImportRow, type ImportError, type ImportRow } from './client-import.js';

/** One vendor company as every PSA module reads it. */
export interface PsaCompany {
  /** The vendor's company id (ConnectWise company id, Autotask company id, HaloPSA client id). */
  id: string;
  name: string;
  /** The company's primary contact (ConnectWise `defaultFlag`, Autotask `primaryContactID`, HaloPSA the client's main contact), if any. */
  primaryContact?: { name: string; email: string | null; title: string | null };
  /** The latest end date (YYYY-MM-DD) of the company's live agreements/contracts: its renewal. Null when none ends. */
  renewalDate: string | null;
  /** Monthly recurring revenue from the live agreements' billing amounts (`monthlyRecurring`), when the vendor gives one Baton can convert. */
  mrr?: number;
  /** An IANA zone read from the vendor (`zoneOf`): only a name that maps without guessing. */
  timeZone?: string;
  /** The company's address as the vendor gives it (country: a name, countryCode: the vendor's code for it; state: a code or a name), for `regionOf`. */
  address?: { country: string | null; countryCode?: string | null; state: string | null };
}

/** What Baton already holds for a client imported earlier (a re-sync fills what the PSA and the request do not give from it, not from `defaults`). */
export interface ExistingClientFields {
  mrr: number; maturity: number; appetite: number; timeZone: string; ownsInnovationAgenda: boolean; region: string | null; fiscalYearEnd: string;
}

/** The import fields a request may give for every company (`defaults`) or one (`overrides`); the CSV columns minus what the PSA supplies. */
export const PSA_FILLED_COLUMNS = ['externalRef', 'name', 'renewalDate'] as const;
export type PsaImportFields = Partial<Record<Exclude<(typeof IMPORT_COLUMNS)[number]['name'], (typeof PSA_FILLED_COLUMNS)[number]>, string | number | boolean>>;

/** `<type>:<connectorId>:<companyId>`: two PSAs (or two tenants of one) never collide on a client. */
export const psaExternalRef = (connector: { type: string; id: string }, companyId: string) => `${connector.type}:${connector.id}:${companyId}`;

const cellText = (v: string | number | boolean | null | undefined) => (v === undefined || v === null ? '' : String(v));

/**
 * Companies → import rows. A row is named by the company's position in the vendor's listing
 * (1-based, the order the vendor paged them), and each problem's message names the company, so a
 * dry run reads like the CSV's. An override wins over a default; `renewalDate` from the agreement
 * wins over neither (the PSA is the record of the contract) unless an override gives one.
 */
export function psaImportRows(
  companies: PsaCompany[], connector: { type: string; id: string }, today: string,
  opts: {
    defaults: PsaImportFields; overrides: Map<string, PsaImportFields & { renewalDate?: string }>; onboardingDays: number;
    /** Clients already imported from this connector, by externalRef (a re-sync). */
    existing?: Map<string, ExistingClientFields>;
    /** The company's address → a region the holiday data knows, or null (see `regionOf`). */
    regionOf?: (address: NonNullable<PsaCompany['address']>) => string | null;
  },
): { rows: ImportRow[]; errors: ImportError[]; total: number } {
  const rows: ImportRow[] = [];
  const errors: ImportError[] = [];
  companies.forEach((company, i) => {
    const row = i + 1;
    const override = opts.overrides.get(company.id) ?? {};
    const externalRef = psaExternalRef(connector, company.id);
    const known = opts.existing?.get(externalRef);
    const region = company.address && opts.regionOf ? opts.regionOf(company.address) : null;
    // What the PSA holds wins over what Baton holds, which wins over a default; an override wins over all.
    const fromPsa: PsaImportFields = {
      ...(company.mrr !== undefined ? { mrr: company.mrr } : {}),
      ...(company.timeZone ? { timeZone: company.timeZone } : {}),
      ...(region ? { region } : {}),
    };
    const base: PsaImportFields = known
      ? { lifecycle: 'none', ...pick(opts.defaults, ['lifecycle', 'signedAt', 'onboardingStep']), ...known, region: known.region ?? '' }
      : opts.defaults;
    const record: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...base, ...fromPsa, ...override })) record[k] = cellText(v);
    record.externalRef = externalRef;
    record.name = company.name.trim();
    record.renewalDate = override.renewalDate ?? company.renewalDate ?? '';
    const mapped = mapImportRow(record, row, today, { onboardingDays: opts.onboardingDays });
    if (mapped.ok) rows.push(mapped.value);
    else errors.push(...mapped.errors.map((e) => ({ ...e, message: `company ${company.id} "${company.name.slice(0, 100)}": ${e.message}${missingHint(e, record)}` })));
  });
  return { rows, errors, total: companies.length };
}

const pick = (o: PsaImportFields, keys: (keyof PsaImportFields)[]): PsaImportFields =>
  Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));

/** A required value the PSA does not hold: say where to give it. */
const missingHint = (e: ImportError, record: Record<string, string>) =>
  e.column && !(PSA_FILLED_COLUMNS as readonly string[]).includes(e.column) && (record[e.column] ?? '') === ''
    ? ` (the PSA has no ${e.column}: give defaults.${e.column} or overrides[].${e.column})`
    : '';

/** A vendor date-time (`2027-01-14T00:00:00Z`, `2027-01-14`) → YYYY-MM-DD, or null when it is not one. */
export function dateOf(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(v.trim());
  return m ? m[1]! : null;
}

/** The renewal of several agreements: the latest end date among them, or null when none ends. */
export function latestEnd(dates: (string | null)[]): string | null {
  return dates.reduce<string | null>((best, d) => (d && (!best || d > best) ? d : best), null);
}

/**
 * Months in one billing cycle, read from the cycle's name as the vendor shows it (ConnectWise's
 * agreement `billingCycle.name`, HaloPSA's `billing_period_string`): Monthly 1, Quarterly 3,
 * Semi-annual / Half-yearly / Bi-annual 6, Annual / Yearly 12, Weekly 12/52. Null for anything
 * else — one-time, "Bi-monthly" (every two months or twice a month?), an unknown name — so no
 * amount is guessed into an MRR.
 */
export function monthsPerCycle(cycle: unknown): number | null {
  if (typeof cycle !== 'string') return null;
  const s = cycle.trim().toLowerCase().replace(/[\s_-]+/g, ' ');
  if (/^bi ?monthly$/.test(s)) return null;
  if (/^(semi ?annual(ly)?|half ?year(ly)?|bi ?annual(ly)?|six ?month(s|ly)?|6 months?)$/.test(s)) return 6;
  if (/^(month(ly)?|1 months?)$/.test(s)) return 1;
  if (/^(quarter(ly)?|3 months?)$/.test(s)) return 3;
  if (/^(annual(ly)?|year(ly)?|12 months?)$/.test(s)) return 12;
  if (/^week(ly)?$/.test(s)) return 12 / 52;
  return null;
}

/** One billing amount per cycle → per month (rounded to the cent), or null when the amount is not a non-negative number or the cycle is not one `monthsPerCycle` knows. */
export function monthlyAmount(amount: unknown, cycle: unknown): number | null {
  const n = typeof amount === 'number' ? amount : typeof amount === 'string' && amount.trim() ? Number(amount) : NaN;
  const months = monthsPerCycle(cycle);
  if (!Number.isFinite(n) || n < 0 || months === null) return null;
  return Math.round((n / months) * 100) / 100;
}

/** A company's MRR: the sum of its live agreements' monthly amounts, or undefined when none has one (then the CSV's rules apply: `defaults`/`overrides`, or the client's own). */
export function monthlyRecurring(amounts: (number | null)[]): number | undefined {
  const known = amounts.filter((a): a is number => a !== null);
  return known.length ? Math.round(known.reduce((s, a) => s + a, 0) * 100) / 100 : undefined;
}

/** An IANA zone by name (`Area/Location`, or `UTC`): abbreviations such as `EST` are not taken for one. */
const isIanaZone = (z: string) => (z.includes('/') || z === 'UTC') && isValidTimeZone(z);

/**
 * A vendor's time-zone name → an IANA zone, or undefined: an IANA name as given (`America/Chicago`),
 * or a Windows id from CLDR's table (`Central Standard Time`). A display label such as "Central"
 * or "(UTC-06:00) Central Time (US & Canada)" is not mapped: the company then takes the request's
 * `timeZone` (or keeps its own on a re-sync), and no row error is raised for it.
 */
export function zoneOf(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  const s = name.trim();
  if (!s || s.length > 64) return undefined;
  // A Windows zone id (what Windows and several PSAs use) → the IANA zone the Unicode CLDR table names for it (territory 001).
  const fromWindows = findIana(s)[0];
  if (fromWindows && isIanaZone(fromWindows)) return fromWindows;
  return isIanaZone(s) ? s : undefined;
}

/** The holiday data's catalogue (ISO code → English name), as `date-holidays` lists it. */
export interface RegionCatalogue {
  countries: Record<string, string>;
  states(country: string): Record<string, string>;
}

const COUNTRY_ALIASES: Record<string, string> = { 'united states': 'US', usa: 'US', 'u.s.a.': 'US', 'u.s.': 'US', us: 'US', uk: 'GB', 'great britain': 'GB' };
const norm = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');

/**
 * An address's country and state → a region (C-1: `US`, `US-IL`) the holiday data knows, or null.
 * The country by its code (ISO 3166-1 alpha-2), else its English name (a few common aliases: USA, UK); the state by code or
 * name within it — an unknown state keeps the country alone, an unknown country gives null (the
 * region then comes from the request or stays as it is, never a row error).
 */
export function regionOf(address: { country: string | null; countryCode?: string | null; state: string | null }, catalogue: RegionCatalogue): string | null {
  const codeOf = (given: string | null | undefined) => {
    if (!given?.trim()) return undefined;
    const wanted = norm(given);
    return Object.keys(catalogue.countries).find((c) => c.toLowerCase() === wanted)
      ?? Object.entries(catalogue.countries).find(([, n]) => norm(n) === wanted)?.[0]
      ?? (COUNTRY_ALIASES[wanted] && catalogue.countries[COUNTRY_ALIASES[wanted]!] ? COUNTRY_ALIASES[wanted] : undefined);
  };
  const code = codeOf(address.countryCode) ?? codeOf(address.country);
  if (!code) return null;
  if (!address.state?.trim()) return code;
  const states = catalogue.states(code);
  const s = norm(address.state);
  const state = Object.keys(states).find((k) => k.toLowerCase() === s) ?? Object.entries(states).find(([, n]) => norm(n) === s)?.[0];
  // C-1's region is `CC` or `CC-SSS`: a longer subdivision code keeps the country alone.
  return state && /^[A-Z0-9]{1,3}$/.test(state) ? `${code}-${state}` : code;
}
