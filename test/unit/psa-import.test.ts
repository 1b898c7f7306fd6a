import { describe, expect, it } from 'vitest';
import { dateOf, latestEnd, psaExternalRef, psaImportRows, type PsaCompany } from '../../domain/psa-import.js';

/** A PSA's companies → the CSV import's rows (issue 15, "Getting clients in"): one mapping, the CSV's own rules. */
const CONNECTOR = { type: 'connectwise', id: 'c1' };
const DEFAULTS = { mrr: 1000, maturity: 3, appetite: 2, timeZone: 'Europe/Paris', lifecycle: 'engagement' };
const company = (id: string, over: Partial<PsaCompany> = {}): PsaCompany => ({ id, name: `Company ${id}`, renewalDate: null, ...over });
const rowsOf = (companies: PsaCompany[], overrides: [string, Record<string, unknown>][] = [], defaults: Record<string, unknown> = DEFAULTS) =>
  psaImportRows(companies, CONNECTOR, '2026-12-04', { defaults: defaults as never, overrides: new Map(overrides) as never, onboardingDays: 90 });

describe('psaImportRows', () => {
  it('prefixes externalRef with the connector, takes the renewal from the agreements, and lets an override win over a default', () => {
    const r = rowsOf([company('7', { renewalDate: '2027-01-13' }), company('8')], [['8', { mrr: 9000, lifecycle: 'none', renewalDate: '2027-05-01' }]]);
    expect(r.errors).toEqual([]);
    expect(r.rows.map((x) => [x.row, x.client.externalRef, x.client.mrr, x.client.lifecycle, x.client.renewalDate, x.client.timeZone])).toEqual([
      [1, 'connectwise:c1:7', 1000, 'engagement', '2027-01-13', 'Europe/Paris'],
      [2, 'connectwise:c1:8', 9000, 'none', '2027-05-01', 'Europe/Paris'],
    ]);
    expect(psaExternalRef({ type: 'autotask', id: 'c1' }, '7')).not.toBe(r.rows[0]!.client.externalRef);
  });

  it('names the company in every problem and says where a value the PSA lacks comes from', () => {
    const r = rowsOf([company('7'), company('9', { name: ' Spaced ' })], [['9', { onboardingStep: 3, lifecycle: 'onboarding' }]], { ...DEFAULTS, mrr: undefined });
    expect(r.rows).toEqual([]);
    expect(r.errors).toEqual([
      { row: 1, column: 'mrr', message: 'company 7 "Company 7": required (the PSA has no mrr: give defaults.mrr or overrides[].mrr)' },
      { row: 2, column: 'mrr', message: expect.stringContaining('company 9 " Spaced ": required') },
      { row: 2, column: 'signedAt', message: expect.stringContaining('required when lifecycle is onboarding') },
    ]);
  });

  it('reads vendor dates and picks the latest end', () => {
    expect(dateOf('2027-01-14T00:00:00Z')).toBe('2027-01-14');
    expect(dateOf('14/01/2027')).toBeNull();
    expect(dateOf(undefined)).toBeNull();
    expect(latestEnd([null, '2026-06-30', '2027-01-14', '2026-12-31'])).toBe('2027-01-14');
    expect(latestEnd([null])).toBeNull();
  });
});
