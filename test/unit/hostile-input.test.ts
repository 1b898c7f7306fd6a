import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { classifyActivityError } from '../../activities/failures.js';
import { feedText } from '../../api/calendar.js';
import { jsonTextErrors } from '../../api/input-rules.js';
import { safeErrorForLog, safeErrorMessage } from '../../db/errors.js';
import { LedgerEventError } from '../../db/ledger.js';
import { pgTimestampToIso } from '../../db/schema.js';

const pgError = (code: string, message = 'boom') => Object.assign(new Error(message), { code, severity: 'ERROR', parameters: ['secret'], detail: 'Key (email)=(ada@example.com)' });
const drizzleError = (cause: Error) => Object.assign(new Error('Failed query: insert into "events" values ($1)\nparams: secret'), { cause });

describe('activity failure classification (one place for every activity)', () => {
  it.each([
    ['22P05', 'DataException', true], ['22021', 'DataException', true], ['23503', 'IntegrityViolation', true], ['23502', 'IntegrityViolation', true],
    ['42P01', 'InvalidStatement', true], ['23505', 'UniqueViolation', false], ['40001', 'DatabaseError', false], ['08006', 'DatabaseError', false],
  ] as const)('SQLSTATE %s → %s (non-retryable: %s), without SQL parameters', (code, type, nonRetryable) => {
    const f = classifyActivityError(drizzleError(pgError(code))) as ApplicationFailure;
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect(f).toMatchObject({ type, nonRetryable });
    expect(f.message).toBe(`PostgreSQL ${code}: boom`);
    expect(f.cause).toBeUndefined();
  });

  it('zod and ledger-schema errors are permanent; application failures pass as they are; the rest is retryable', () => {
    expect(classifyActivityError(z.string().safeParse(1).error)).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    expect(classifyActivityError(new LedgerEventError('bad event'))).toMatchObject({ type: 'InvalidLedgerEvent', nonRetryable: true });
    const own = ApplicationFailure.create({ type: 'ClientNotFound', nonRetryable: true });
    expect(classifyActivityError(own)).toBe(own);
    expect(classifyActivityError(new Error('ECONNRESET'))).toMatchObject({ type: 'TransientError', nonRetryable: false });
  });
});

describe('log-safe errors', () => {
  it('drop bound parameters and PostgreSQL detail, keep the SQL text and the SQLSTATE', () => {
    const err = drizzleError(pgError('23505', 'duplicate key value violates unique constraint "people_email_uq"'));
    expect(safeErrorMessage(err)).toBe('PostgreSQL 23505: duplicate key value violates unique constraint "people_email_uq"');
    const logged = JSON.stringify(safeErrorForLog(err));
    expect(logged).toContain('Failed query: insert into');
    expect(logged).toContain('23505');
    expect(logged).not.toContain('secret');
    expect(logged).not.toContain('ada@example.com');
  });
});

describe('lossless timestamp reads (PostgreSQL text → ISO)', () => {
  it.each([
    ['2026-11-23 12:00:00+00', '2026-11-23T12:00:00.000Z'],
    ['2026-11-23 12:00:00.123456+05:30', '2026-11-23T06:30:00.123Z'],
    ['0035-01-01 00:00:00+00', '0035-01-01T00:00:00.000Z'],
    ['0012-06-30 23:59:59.5-03', '0012-07-01T02:59:59.500Z'],
    ['9999-12-31 23:59:59.999+00', '9999-12-31T23:59:59.999Z'],
    ['0001-01-01 00:00:00+00 BC', '0000-01-01T00:00:00.000Z'],
    ['1900-01-01 00:00:00+00:19:32', '1899-12-31T23:40:28.000Z'],
  ])('%s → %s', (pg, iso) => {
    expect(pgTimestampToIso(pg)).toBe(iso);
  });
  it('refuses what is not a timestamp (infinity)', () => {
    expect(() => pgTimestampToIso('infinity')).toThrow(/not a PostgreSQL timestamptz/);
  });
});

describe('the text rule and feed text', () => {
  it('names every offending string and key, and lets tab, LF and CR through', () => {
    expect(jsonTextErrors({ a: 'ok\t\r\n', b: ['x', 'y\u0000'], c: { 'k\u0007': 1 }, d: 'é\u0085' })).toEqual([
      { location: 'body', path: 'b.1', message: expect.any(String) },
      { location: 'body', path: 'c."k\\u0007"', message: expect.any(String) },
      { location: 'body', path: 'd', message: expect.any(String) },
    ]);
  });
  it('feed text has no line breaks or controls left', () => {
    expect(feedText('a\r\nBEGIN:VEVENT\u2028b\u0000c')).toBe('a BEGIN:VEVENT b c');
  });
});
