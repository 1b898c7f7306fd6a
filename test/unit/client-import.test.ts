import { describe, expect, it } from 'vitest';
import { mapImportRow, parseClientCsv } from '../../domain/client-import.js';

/** Issue 15, getting clients in: the CSV columns → a client at its lifecycle state, and every problem by row and column. */
const LIMITS = { maxRows: 5, onboardingDays: 90 };
const TODAY = '2026-12-04';
const HEADER = 'externalRef,name,mrr,maturity,appetite,timeZone,lifecycle,signedAt,onboardingStep,region,renewalDate,fiscalYearEnd,ownsInnovationAgenda';

describe('mapImportRow', () => {
  const base = { externalRef: 'PSA-1', name: 'Acme', mrr: '12500.50', maturity: '4', appetite: '3', timeZone: 'America/Chicago', lifecycle: 'engagement' };

  it('maps an engagement row with defaults for the optional columns', () => {
    const r = mapImportRow(base, 2, TODAY, LIMITS);
    expect(r).toEqual({ ok: true, value: { row: 2, client: {
      externalRef: 'PSA-1', name: 'Acme', mrr: 12500.5, maturity: 4, appetite: 3, timeZone: 'America/Chicago', lifecycle: 'engagement',
      ownsInnovationAgenda: false, region: null, renewalDate: null, fiscalYearEnd: '12-31',
    } } });
  });

  it('maps a mid-onboarding row to its signature date and step', () => {
    const r = mapImportRow({ ...base, lifecycle: 'onboarding', signedAt: '2026-11-01', onboardingStep: '3', region: 'us-il', ownsInnovationAgenda: 'yes' }, 7, TODAY, LIMITS);
    expect(r.ok && r.value.client).toMatchObject({ lifecycle: 'onboarding', onboarding: { signedOn: '2026-11-01', step: 3 }, region: 'US-IL', ownsInnovationAgenda: true });
  });

  it('names every bad cell with its row and column', () => {
    const r = mapImportRow({ externalRef: ' x', name: '', mrr: '1e3', maturity: '6', appetite: '2.5', timeZone: 'Mars/Base', lifecycle: 'active', renewalDate: '2027-02-30', fiscalYearEnd: '13-01', ownsInnovationAgenda: 'maybe' }, 4, TODAY, LIMITS);
    expect(r.ok).toBe(false);
    const byColumn = Object.fromEntries((r.ok ? [] : r.errors).map((e) => [e.column, e]));
    expect(Object.keys(byColumn).sort()).toEqual(['appetite', 'externalRef', 'fiscalYearEnd', 'lifecycle', 'maturity', 'mrr', 'name', 'ownsInnovationAgenda', 'renewalDate', 'timeZone']);
    expect(byColumn.maturity).toEqual({ row: 4, column: 'maturity', message: 'must be 1–5' });
    expect(byColumn.mrr!.message).toContain('digits');
    expect(byColumn.lifecycle!.message).toContain('onboarding, engagement, none');
  });

  it('asks an onboarding row for Day 0 and step, refuses one past Day 90 (R-56) or in the future, and onboarding columns on other rows', () => {
    const missing = mapImportRow({ ...base, lifecycle: 'onboarding' }, 2, TODAY, LIMITS);
    expect(missing.ok ? [] : missing.errors.map((e) => e.column)).toEqual(['signedAt', 'onboardingStep']);
    const over = mapImportRow({ ...base, lifecycle: 'onboarding', signedAt: '2026-08-01', onboardingStep: '8' }, 2, TODAY, LIMITS);
    expect(over.ok ? '' : over.errors[0]!.message).toContain('import the client as engagement');
    const future = mapImportRow({ ...base, lifecycle: 'onboarding', signedAt: '2026-12-05', onboardingStep: '0' }, 2, TODAY, LIMITS);
    expect(future.ok ? '' : future.errors[0]!.message).toBe('must not be after the import day');
    const stray = mapImportRow({ ...base, onboardingStep: '2' }, 2, TODAY, LIMITS);
    expect(stray.ok ? [] : stray.errors).toEqual([{ row: 2, column: 'onboardingStep', message: 'only for lifecycle onboarding' }]);
    expect(mapImportRow({ ...base, lifecycle: 'onboarding', signedAt: '2026-11-01', onboardingStep: '9' }, 2, TODAY, LIMITS).ok).toBe(false);
  });
});

describe('parseClientCsv', () => {
  it('parses quoted cells, a BOM and blank lines, naming rows by their line', () => {
    const csv = `\uFEFF${HEADER}\n"PSA-1","Acme, Inc.",100,3,3,UTC,engagement,,,,2027-03-31,06-30,\n\nPSA-2,Beta,50,9,3,UTC,none,,,,,,\n`;
    const r = parseClientCsv(csv, TODAY, LIMITS);
    expect(r.total).toBe(2);
    expect(r.rows.map((x) => [x.row, x.client.name, x.client.renewalDate, x.client.fiscalYearEnd])).toEqual([[2, 'Acme, Inc.', '2027-03-31', '06-30']]);
    expect(r.errors).toEqual([{ row: 4, column: 'maturity', message: 'must be 1–5' }]);
  });

  it('refuses unknown and missing columns, a duplicate externalRef, too many rows and broken quoting', () => {
    expect(parseClientCsv('externalRef,name,colour\nA,B,red\n', TODAY, LIMITS).errors.map((e) => e.column)).toEqual(['colour', 'mrr', 'maturity', 'appetite', 'timeZone', 'lifecycle']);
    const dup = parseClientCsv(`${HEADER}\nA,One,1,3,3,UTC,none\nA,Two,1,3,3,UTC,none\n`.replace(/none\n/g, 'none,,,,,,\n'), TODAY, LIMITS);
    expect(dup.errors).toEqual([{ row: 3, column: 'externalRef', message: 'duplicate of row 2: each client once per file' }]);
    const many = parseClientCsv(`${HEADER}\n${Array.from({ length: 6 }, (_, i) => `R${i},N,1,3,3,UTC,none,,,,,,`).join('\n')}`, TODAY, LIMITS);
    expect(many.errors[0]!.message).toContain('at most 5 per import');
    expect(parseClientCsv(`${HEADER}\n"A,B,1,3,3,UTC,none,,,,,,\n`, TODAY, LIMITS).errors[0]!.message).toContain('not a well-formed CSV');
    expect(parseClientCsv(`${HEADER}\n`, TODAY, LIMITS).errors).toEqual([{ row: 1, column: null, message: 'no client rows after the header' }]);
  });
});
