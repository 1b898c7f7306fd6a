import { describe, expect, it } from 'vitest';
import { dateOf, latestEnd, monthlyAmount, monthlyRecurring, psaExternalRef, psaImportRows, regionOf, zoneOf, type PsaCompany } from '../../domain/psa-import.js';

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

describe('what a PSA holds beyond the name (mrr, zone, region) and a re-sync', () => {
  it('converts one billing amount per cycle to a month, and refuses to guess an unknown cycle', () => {
    expect(monthlyAmount(1500, 'Monthly')).toBe(1500);
    expect(monthlyAmount(3000, 'Quarterly')).toBe(1000);
    expect(monthlyAmount(1000, 'quarterly')).toBe(333.33);
    expect(monthlyAmount(6000, 'Semi-Annual')).toBe(1000);
    expect(monthlyAmount(6000, 'Half Yearly')).toBe(1000);
    expect(monthlyAmount(24000, 'Annual')).toBe(2000);
    expect(monthlyAmount('12000', 'Yearly')).toBe(1000);
    expect(monthlyAmount(100, 'Weekly')).toBe(433.33);
    for (const cycle of ['Bi-Monthly', 'One Time', '', null, undefined, 7]) expect(monthlyAmount(1000, cycle)).toBeNull();
    for (const amount of [-5, 'abc', null, undefined, Number.NaN]) expect(monthlyAmount(amount, 'Monthly')).toBeNull();
    expect(monthlyRecurring([1000, null, 333.33, 0.005])).toBe(1333.34);
    expect(monthlyRecurring([null, null])).toBeUndefined();
    expect(monthlyRecurring([])).toBeUndefined();
  });

  it('maps an IANA name or a Windows zone id, nothing else', () => {
    expect(zoneOf('America/Chicago')).toBe('America/Chicago');
    expect(zoneOf('Central Standard Time')).toBe('America/Chicago');
    expect(zoneOf(' GMT Standard Time ')).toBe('Europe/London');
    for (const name of ['Central', '(UTC-06:00) Central Time (US & Canada)', 'Mars/Olympus', 'EST', '', null, 42]) expect(zoneOf(name)).toBeUndefined();
  });

  it('maps an address to a region the holiday data knows, by code or name; an unknown state keeps the country, an unknown country gives none', () => {
    const catalogue = {
      countries: { US: 'United States of America', GB: 'United Kingdom', DE: 'Germany' } as Record<string, string>,
      states: (c: string): Record<string, string> => (c === 'US' ? { IL: 'Illinois', TX: 'Texas' } : c === 'DE' ? { BY: 'Bayern' } : {}),
    };
    expect(regionOf({ country: 'United States', state: 'IL' }, catalogue)).toBe('US-IL');
    expect(regionOf({ country: 'United States of America', state: 'texas' }, catalogue)).toBe('US-TX');
    expect(regionOf({ country: 'us', state: null }, catalogue)).toBe('US');
    expect(regionOf({ country: 'Germany', state: 'Bayern' }, catalogue)).toBe('DE-BY');
    expect(regionOf({ country: 'UK', state: 'Greater London' }, catalogue)).toBe('GB');
    expect(regionOf({ country: 'Federal Republic', countryCode: 'DE', state: 'BY' }, catalogue)).toBe('DE-BY'); // the vendor's code first
    expect(regionOf({ country: 'Germany', countryCode: 'XX', state: null }, catalogue)).toBe('DE'); // then the name
    expect(regionOf({ country: 'Atlantis', state: 'IL' }, catalogue)).toBeNull();
    expect(regionOf({ country: null, state: 'IL' }, catalogue)).toBeNull();
  });

  it('takes mrr, zone and region from the PSA over a default, an override over the PSA; an unmapped value falls back without a row error', () => {
    const regionOfAddress = (a: { country: string | null }) => (a.country === 'US' ? 'US-CO' : null);
    const withRegion = psaImportRows([
      company('1', { mrr: 2500, timeZone: 'America/Denver', address: { country: 'US', state: 'CO' } }),
      company('2', { mrr: 2500, address: { country: 'Atlantis', state: null } }),
    ], CONNECTOR, '2026-12-04', { defaults: DEFAULTS as never, overrides: new Map([['2', { mrr: 9000 }]]) as never, onboardingDays: 90, regionOf: regionOfAddress });
    expect(withRegion.errors).toEqual([]);
    expect(withRegion.rows.map((x) => [x.client.mrr, x.client.timeZone, x.client.region])).toEqual([[2500, 'America/Denver', 'US-CO'], [9000, 'Europe/Paris', null]]);
  });

  it('a re-sync keeps what Baton holds for a client already imported (not the defaults), takes what the PSA holds now, and starts nothing unless asked', () => {
    const existing = new Map([['connectwise:c1:7', { mrr: 1200, maturity: 4, appetite: 5, timeZone: 'America/Chicago', ownsInnovationAgenda: true, region: 'US-IL', fiscalYearEnd: '06-30' }]]);
    const r = psaImportRows([company('7', { renewalDate: '2027-03-01', mrr: 1500 }), company('8')], CONNECTOR, '2026-12-04', {
      defaults: { maturity: 1, appetite: 1, mrr: 50, timeZone: 'Europe/Paris' } as never, overrides: new Map(), onboardingDays: 90, existing,
    });
    expect(r.errors).toEqual([expect.objectContaining({ row: 2, column: 'lifecycle' })]); // a new company still needs its lifecycle
    expect(r.rows[0]!.client).toMatchObject({ mrr: 1500, maturity: 4, appetite: 5, timeZone: 'America/Chicago', ownsInnovationAgenda: true, region: 'US-IL', fiscalYearEnd: '06-30', renewalDate: '2027-03-01', lifecycle: 'none' });
  });
});
