import { Context } from '@temporalio/activity';
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { LedgerEventError } from '../db/ledger.js';
import { safeErrorMessage, sqlStateOf } from '../db/errors.js';

/**
 * Failure types an activity may end with (the `type` of its ApplicationFailure). Non-retryable
 * ones are permanent: retrying cannot change the outcome, so the workflow should record the
 * process as failed instead of retrying forever.
 */
export const ACTIVITY_FAILURES = {
  /** PostgreSQL SQLSTATE class 22 (data exception: NUL in text, a value out of range, bad date). Non-retryable. */
  DataException: { retryable: false },
  /** PostgreSQL class 23 other than 23505 (foreign key, not null, check violation). Non-retryable. */
  IntegrityViolation: { retryable: false },
  /** PostgreSQL class 42 (syntax error, undefined table or column: a code/schema mismatch). Non-retryable. */
  InvalidStatement: { retryable: false },
  /** A zod validation failed on data an activity read or was given. Non-retryable. */
  InvalidInput: { retryable: false },
  /** A ledger event does not match its catalogue schema (domain/events.ts). Non-retryable. */
  InvalidLedgerEvent: { retryable: false },
  /** The client the process belongs to does not exist. Non-retryable. */
  ClientNotFound: { retryable: false },
  /** PostgreSQL 23505 unique violation: usually a race that the retry resolves (the row is then found). Retryable. */
  UniqueViolation: { retryable: true },
  /** Any other PostgreSQL error (connection, serialization, deadlock, resources). Retryable. */
  DatabaseError: { retryable: true },
  /** Anything else (network, Temporal unreachable…). Retryable. */
  TransientError: { retryable: true },
} as const;
export type ActivityFailureType = keyof typeof ACTIVITY_FAILURES;

function failure(type: ActivityFailureType, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: !ACTIVITY_FAILURES[type].retryable });
}

/**
 * What an error means for a retry, in one place. The message carries no SQL parameters (they go
 * into workflow histories and logs), and the original error is not attached as the cause for the
 * same reason.
 */
export function classifyActivityError(err: unknown): unknown {
  if (err instanceof TemporalFailure) return err; // already classified (ApplicationFailure) or Temporal's own (cancellation)
  const message = safeErrorMessage(err);
  const state = sqlStateOf(err);
  if (state) {
    if (state.startsWith('22')) return failure('DataException', message);
    if (state === '23505') return failure('UniqueViolation', message);
    if (state.startsWith('23')) return failure('IntegrityViolation', message);
    if (state.startsWith('42')) return failure('InvalidStatement', message);
    return failure('DatabaseError', message);
  }
  if (err instanceof LedgerEventError) return failure('InvalidLedgerEvent', message);
  if (err instanceof Error && (err.name === 'ZodError' || err.name === '$ZodError')) return failure('InvalidInput', message);
  return failure('TransientError', message);
}

type AnyActivity = (...args: never[]) => Promise<unknown>;

/** Wraps every activity so each failure leaves it classified (`classifyActivityError`). */
export function withFailureClassification<T extends Record<string, AnyActivity>>(activities: T): T {
  const out: Record<string, AnyActivity> = {};
  for (const [name, fn] of Object.entries(activities)) {
    out[name] = {
      async [name](...args: never[]) {
        try {
          return await fn(...args);
        } catch (err) {
          throw classifyActivityError(err);
        }
      },
    }[name]!;
  }
  return out as T;
}

/**
 * Tells Temporal a long activity is alive (per meeting booked, per effect recorded), so with a
 * heartbeat timeout a worker killed mid-activity is noticed in seconds rather than at the end of
 * the start-to-close timeout. Outside an activity (direct calls in tests) it does nothing; in a
 * local activity too (its workflow task is what shows it alive; the SDK would log each one as failed).
 */
export function heartbeat(details?: unknown): void {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return; // not running as an activity
  }
  if (!ctx.info.isLocal) ctx.heartbeat(details);
}
