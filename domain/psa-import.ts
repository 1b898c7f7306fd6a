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
  opts: { defaults: PsaImportFields; overrides: Map<string, PsaImportFields & { renewalDate?: string }>; onboardingDays: number },
): { rows: ImportRow[]; errors: ImportError[]; total: number } {
  const rows: ImportRow[] = [];
  const errors: ImportError[] = [];
  companies.forEach((company, i) => {
    const row = i + 1;
    const override = opts.overrides.get(company.id) ?? {};
    const record: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...opts.defaults, ...override })) record[k] = cellText(v);
    record.externalRef = psaExternalRef(connector, company.id);
    record.name = company.name.trim();
    record.renewalDate = override.renewalDate ?? company.renewalDate ?? '';
    const mapped = mapImportRow(record, row, today, { onboardingDays: opts.onboardingDays });
    if (mapped.ok) rows.push(mapped.value);
    else errors.push(...mapped.errors.map((e) => ({ ...e, message: `company ${company.id} "${company.name.slice(0, 100)}": ${e.message}${missingHint(e, record)}` })));
  });
  return { rows, errors, total: companies.length };
}

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
