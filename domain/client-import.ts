/**
 * CSV import of an MSP's existing clients (issue 15, "Getting clients in"): the documented
 * columns, one row → one client with the lifecycle it is in, and every problem as
 * `{ row, column, message }` so a dry run lists them all at once. Pure: parsing (csv-parse) and
 * mapping only; the route writes (api/routes/client-import.ts), db/client-import.ts matches by
 * `externalRef`.
 *
 * A client is imported at the state it is in, never back-dated (docs/integrations.md "Importing
 * clients"): `lifecycle=engagement` starts its cadence from the import day (R-10: the next
 * meetings from today; date triggers only ahead); `lifecycle=onboarding` starts its
 * onboarding at `onboardingStep` with the earlier steps done and the deadlines already past not
 * judged (R-46..R-56); `lifecycle=none` only registers it.
 */
import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { ONBOARDING_STEPS } from './onboarding.js';

export const IMPORT_LIFECYCLES = ['onboarding', 'engagement', 'none'] as const;
export type ImportLifecycle = (typeof IMPORT_LIFECYCLES)[number];

/** The documented columns, in the order a template lists them; `required` ones must be present in the header. */
export const IMPORT_COLUMNS = [
  { name: 'externalRef', required: true, description: "The client's id in your PSA/CRM: what a re-import matches on (never duplicated)." },
  { name: 'name', required: true, description: 'Client name, 1–200 characters.' },
  { name: 'mrr', required: true, description: 'Monthly recurring revenue, a number ≥ 0 (R-2).' },
  { name: 'maturity', required: true, description: 'IT maturity 1–5 (R-1).' },
  { name: 'appetite', required: true, description: 'Appetite for change 1–5 (R-1).' },
  { name: 'timeZone', required: true, description: 'IANA time zone, e.g. America/Chicago (C-1).' },
  { name: 'lifecycle', required: true, description: '`onboarding` (mid-onboarding: needs signedAt and onboardingStep), `engagement` (past onboarding: cadence from the import day), or `none` (register only).' },
  { name: 'signedAt', required: false, description: 'Onboarding: the signature date (Day 0) YYYY-MM-DD, not in the future and at most `onboarding.closeoutDay` days ago (R-56).' },
  { name: 'onboardingStep', required: false, description: 'Onboarding: the step the client is at, 0–8 (R-46..R-56); the steps before it count as done before the import.' },
  { name: 'ownsInnovationAgenda', required: false, description: '`true`/`false` (A-2); empty: false.' },
  { name: 'region', required: false, description: 'ISO 3166 country, optionally with subdivision: US, US-IL (C-1).' },
  { name: 'renewalDate', required: false, description: 'Contract renewal date YYYY-MM-DD (R-13).' },
  { name: 'fiscalYearEnd', required: false, description: 'Fiscal year-end MM-DD (C-7); empty: 12-31.' },
] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number]['name'];
const COLUMN_NAMES: readonly string[] = IMPORT_COLUMNS.map((c) => c.name);

export interface ImportError { row: number; column: string | null; message: string }

export interface ImportedClient {
  externalRef: string;
  name: string;
  mrr: number;
  maturity: number;
  appetite: number;
  timeZone: string;
  ownsInnovationAgenda: boolean;
  region: string | null;
  renewalDate: string | null;
  fiscalYearEnd: string;
  lifecycle: ImportLifecycle;
  /** Onboarding only: the signature date (Day 0, yyyy-MM-dd in the client's zone) and the step it is at. */
  onboarding?: { signedOn: string; step: number };
}

export interface ImportRow { row: number; client: ImportedClient }

export interface ImportLimits {
  maxRows: number;
  /** `onboarding.closeoutDay`: an onboarding signed longer ago than this is over. */
  onboardingDays: number;
}

const TEXT = /^[^\s\p{Cc}](?:[^\p{Cc}]*[^\s\p{Cc}])?$/u;
const REGION = /^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$/;
const isZone = (z: string) => DateTime.local().setZone(z).isValid;

const required = (msg = 'required') => z.string({ error: msg }).min(1, msg);
const textCell = (max: number) => required().max(max, `at most ${max} characters`).regex(TEXT, 'must not start or end with spaces or hold control characters');
const numberCell = (schema: z.ZodNumber) => required().regex(/^-?\d+(?:\.\d+)?$/, 'must be a number written in digits, e.g. 12500.50').transform(Number).pipe(schema);
const dateCell = required().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD').refine((v) => DateTime.fromISO(v, { zone: 'utc' }).isValid, 'must be a real calendar date');
const boolCell = z.string().transform((v, ctx) => {
  const s = v.toLowerCase();
  if (s === '' || s === 'false' || s === 'no' || s === '0') return false;
  if (s === 'true' || s === 'yes' || s === '1') return true;
  ctx.addIssue({ code: 'custom', message: 'must be true or false' });
  return z.NEVER;
});

const CELLS = {
  externalRef: textCell(200),
  name: textCell(200),
  mrr: numberCell(z.number().min(0, 'must be ≥ 0').max(100_000_000, 'must be ≤ 100000000')),
  maturity: numberCell(z.number().int('must be a whole number 1–5').min(1, 'must be 1–5').max(5, 'must be 1–5')),
  appetite: numberCell(z.number().int('must be a whole number 1–5').min(1, 'must be 1–5').max(5, 'must be 1–5')),
  timeZone: required().max(64).refine(isZone, 'must be an IANA time zone such as America/Chicago'),
  lifecycle: z.enum(IMPORT_LIFECYCLES, { error: `must be one of ${IMPORT_LIFECYCLES.join(', ')}` }),
  ownsInnovationAgenda: boolCell,
  region: z.string().max(6, 'must be a country code such as US or US-IL').transform((v) => v.toUpperCase()).refine((v) => v === '' || REGION.test(v), 'must be a country code such as US or US-IL'),
  renewalDate: z.union([z.literal(''), dateCell], { error: 'must be a date YYYY-MM-DD' }),
  fiscalYearEnd: z.string().refine((v) => v === '' || (/^\d{2}-\d{2}$/.test(v) && DateTime.fromFormat(`2024-${v}`, 'yyyy-MM-dd').isValid), 'must be a month-day MM-DD such as 06-30'),
  signedAt: z.union([z.literal(''), dateCell], { error: 'must be a date YYYY-MM-DD' }),
  onboardingStep: z.string().refine((v) => v === '' || /^[0-8]$/.test(v), `must be a step number 0–${ONBOARDING_STEPS.length - 1}`),
} satisfies Record<ImportColumn, z.ZodType>;

/**
 * Maps one parsed record (column → cell text) to a client, or lists every problem in it. `today`
 * is the import day (yyyy-MM-dd, UTC): an onboarding cannot be signed after it, nor more than
 * `onboardingDays` before it (then it is over: import it as `engagement`, R-56).
 */
export function mapImportRow(record: Record<string, string>, row: number, today: string, limits: Pick<ImportLimits, 'onboardingDays'>): { ok: true; value: ImportRow } | { ok: false; errors: ImportError[] } {
  const errors: ImportError[] = [];
  const cell = <K extends ImportColumn>(column: K): z.output<(typeof CELLS)[K]> | undefined => {
    const r = (CELLS[column] as z.ZodType).safeParse(record[column] ?? '');
    if (r.success) return r.data as never;
    errors.push({ row, column, message: r.error.issues[0]?.message ?? 'invalid' });
    return undefined;
  };
  const v = {
    externalRef: cell('externalRef'), name: cell('name'), mrr: cell('mrr'), maturity: cell('maturity'), appetite: cell('appetite'), timeZone: cell('timeZone'),
    lifecycle: cell('lifecycle'), ownsInnovationAgenda: cell('ownsInnovationAgenda'), region: cell('region'), renewalDate: cell('renewalDate'),
    fiscalYearEnd: cell('fiscalYearEnd'), signedAt: cell('signedAt'), onboardingStep: cell('onboardingStep'),
  };
  let onboarding: ImportedClient['onboarding'];
  if (v.lifecycle === 'onboarding') {
    if (v.signedAt === '') errors.push({ row, column: 'signedAt', message: 'required when lifecycle is onboarding (Day 0, R-46)' });
    if (v.onboardingStep === '') errors.push({ row, column: 'onboardingStep', message: 'required when lifecycle is onboarding (the step it is at, 0–8)' });
    if (v.signedAt) {
      const age = DateTime.fromISO(today, { zone: 'utc' }).diff(DateTime.fromISO(v.signedAt, { zone: 'utc' }), 'days').days;
      if (age < 0) errors.push({ row, column: 'signedAt', message: 'must not be after the import day' });
      else if (age > limits.onboardingDays) errors.push({ row, column: 'signedAt', message: `more than ${limits.onboardingDays} days ago: the onboarding is over (R-56 Day ${limits.onboardingDays}); import the client as engagement` });
      else if (v.onboardingStep) onboarding = { signedOn: v.signedAt, step: Number(v.onboardingStep) };
    }
  } else {
    if (v.signedAt) errors.push({ row, column: 'signedAt', message: 'only for lifecycle onboarding' });
    if (v.onboardingStep) errors.push({ row, column: 'onboardingStep', message: 'only for lifecycle onboarding' });
  }
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      row,
      client: {
        externalRef: v.externalRef!, name: v.name!, mrr: v.mrr!, maturity: v.maturity!, appetite: v.appetite!, timeZone: v.timeZone!, lifecycle: v.lifecycle!,
        ownsInnovationAgenda: v.ownsInnovationAgenda!, region: v.region || null, renewalDate: v.renewalDate || null, fiscalYearEnd: v.fiscalYearEnd || '12-31',
        ...(onboarding ? { onboarding } : {}),
      },
    },
  };
}

/**
 * Parses the whole file (RFC 4180 via csv-parse: quoted fields, embedded commas and line breaks, a
 * BOM) and maps every row. Header problems (unknown or missing columns) are row 1; a row is named
 * by its line in the file (the header is line 1), as an editor shows it. Never throws on input.
 */
export function parseClientCsv(csv: string, today: string, limits: ImportLimits): { rows: ImportRow[]; errors: ImportError[]; total: number } {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(csv, {
      columns: (header: string[]) => header.map((h) => h.trim()),
      bom: true, trim: true, skip_empty_lines: true, info: true, max_record_size: 64 * 1024,
    }) as never;
  } catch (err) {
    const e = err as Error & { lines?: number; column?: string | number };
    return { rows: [], errors: [{ row: e.lines ?? 1, column: typeof e.column === 'string' ? e.column : null, message: `not a well-formed CSV: ${e.message}`.slice(0, 300) }], total: 0 };
  }
  const header = csv.length ? Object.keys(records[0]?.record ?? headerOf(csv)) : [];
  const headerErrors: ImportError[] = [
    ...header.filter((h) => !COLUMN_NAMES.includes(h)).map((h) => ({ row: 1, column: h.slice(0, 100), message: `unknown column; the columns are ${COLUMN_NAMES.join(', ')}` })),
    ...IMPORT_COLUMNS.filter((c) => c.required && !header.includes(c.name)).map((c) => ({ row: 1, column: c.name, message: 'required column missing from the header' })),
  ];
  if (headerErrors.length) return { rows: [], errors: headerErrors, total: records.length };
  if (records.length === 0) return { rows: [], errors: [{ row: 1, column: null, message: 'no client rows after the header' }], total: 0 };
  if (records.length > limits.maxRows) {
    return { rows: [], errors: [{ row: 1, column: null, message: `${records.length} rows: at most ${limits.maxRows} per import (integrations.importMaxRows); split the file` }], total: records.length };
  }
  const rows: ImportRow[] = [];
  const errors: ImportError[] = [];
  const seen = new Map<string, number>();
  for (const { record, info } of records) {
    // csv-parse's line count when the record ended: the row's line (its last one for a quoted multi-line cell).
    const row = info.lines;
    const mapped = mapImportRow(record, row, today, limits);
    if (!mapped.ok) {
      errors.push(...mapped.errors);
      continue;
    }
    const first = seen.get(mapped.value.client.externalRef);
    if (first !== undefined) {
      errors.push({ row, column: 'externalRef', message: `duplicate of row ${first}: each client once per file` });
      continue;
    }
    seen.set(mapped.value.client.externalRef, row);
    rows.push(mapped.value);
  }
  return { rows, errors, total: records.length };
}

/** The header of a file with no data rows (csv-parse returns no record to read it from). */
function headerOf(csv: string): Record<string, string> {
  try {
    const [first] = parse(csv, { bom: true, trim: true, to_line: 1 }) as string[][];
    return Object.fromEntries((first ?? []).map((h) => [h, '']));
  } catch {
    return {};
  }
}
