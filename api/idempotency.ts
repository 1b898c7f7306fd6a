import { createHash, randomUUID } from 'node:crypto';
import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Context, MiddlewareHandler } from 'hono';
import { idempotencyRecords } from '../db/schema.js';
import { apiOptions, type ApiEnv } from './context.js';
import { ProblemError } from './problem.js';

const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** The request's Idempotency-Key, if any; a malformed one is a 400. */
export function idempotencyKeyOf(c: Context<ApiEnv>): string | undefined {
  const key = c.req.header('idempotency-key');
  if (key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new ProblemError(400, 'validation', 'Invalid request', 'Idempotency-Key must be 1–255 visible ASCII characters.', { errors: [{ location: 'header', path: 'idempotency-key', message: 'invalid' }] });
  }
  return key;
}

/** A UUID (v5 layout) from a SHA-256 of `name`. */
function uuidFrom(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The id of what this request creates (`kind`: client, person, cta, …). With an Idempotency-Key it
 * derives from (principal, key), so a retry of a request whose first attempt died half-way finds
 * what that attempt committed instead of creating it twice; without a key it is random.
 */
export function requestScopedId(c: Context<ApiEnv>, kind: string): string {
  const key = idempotencyKeyOf(c);
  return key === undefined ? randomUUID() : requestScopedIdFor(c.get('principal').id, key, kind);
}
export const requestScopedIdFor = (principalId: string, key: string, kind: string) => uuidFrom(`baton/request/${principalId}/${key}/${kind}`);

/** Whether an earlier attempt with this request's Idempotency-Key died before answering (its lease ran out). */
export const isTakeover = (c: Context<ApiEnv>) => c.get('idempotencyTakeover') === true;

const recordOf = (principalId: string, key: string) => and(eq(idempotencyRecords.principalId, principalId), eq(idempotencyRecords.key, key));

/**
 * `Idempotency-Key` on POST (IETF draft-ietf-httpapi-idempotency-key-header): the first response
 * to a (principal, key) pair is stored; the same key with the same request replays it; with another
 * request it is a 422; while the first is still running it is a 409 with Retry-After. 5xx
 * responses are not kept, so a failed request can be retried with the same key.
 *
 * A request holds its key for a lease (`idempotencyLeaseSeconds`). If the API dies mid-request the
 * key is left pending; once the lease has run out, a retry with the same key and body takes it
 * over and runs again, and since what a request creates is named by its key (`requestScopedId`),
 * the rerun finds what the first attempt committed and answers with it rather than doing it twice.
 */
export const idempotency: MiddlewareHandler<ApiEnv> = async (c, next) => {
  if (c.req.method !== 'POST') return next();
  const key = idempotencyKeyOf(c);
  if (key === undefined) return next();
  const { db } = c.get('deps');
  const leaseSeconds = apiOptions(c.get('deps')).idempotencyLeaseSeconds;
  const lease = sql`now() + make_interval(secs => ${leaseSeconds})`;
  const principalId = c.get('principal').id;
  const body = await c.req.text();
  const requestHash = createHash('sha256').update(`${c.req.method} ${c.req.path}\n${body}`).digest('hex');

  const claimed = await db
    .insert(idempotencyRecords)
    .values({ principalId, key, method: c.req.method, path: c.req.path, requestHash, leaseExpiresAt: lease as never })
    .onConflictDoNothing()
    .returning({ key: idempotencyRecords.key });
  if (claimed.length === 0) {
    const [prior] = await db.select({
      method: idempotencyRecords.method, path: idempotencyRecords.path, requestHash: idempotencyRecords.requestHash, state: idempotencyRecords.state,
      status: idempotencyRecords.status, responseBody: idempotencyRecords.responseBody, responseContentType: idempotencyRecords.responseContentType,
      leaseLeftSeconds: sql<number | null>`ceil(extract(epoch from (${idempotencyRecords.leaseExpiresAt} - now())))::int`,
    }).from(idempotencyRecords).where(recordOf(principalId, key));
    if (prior && prior.requestHash !== requestHash) {
      throw new ProblemError(422, 'idempotency-key-reused', 'Idempotency-Key reused', `The key ${key} was first used for a different request (${prior.method} ${prior.path} with another body).`);
    }
    if (prior?.state === 'done') {
      return c.body(prior.responseBody ?? '', prior.status as never, {
        'content-type': prior.responseContentType ?? 'application/json',
        'idempotent-replayed': 'true',
      });
    }
    // Pending: still running, or its attempt died. Only an expired lease can be taken over, by one retry.
    const taken = prior && (prior.leaseLeftSeconds ?? 0) <= 0
      ? await db.update(idempotencyRecords).set({ leaseExpiresAt: lease as never })
        .where(and(recordOf(principalId, key), eq(idempotencyRecords.state, 'pending'), or(isNull(idempotencyRecords.leaseExpiresAt), lt(idempotencyRecords.leaseExpiresAt, sql`now()`))))
        .returning({ key: idempotencyRecords.key })
      : [];
    if (taken.length === 0) {
      const retryAfter = Math.max(1, prior?.leaseLeftSeconds ?? 1);
      throw new ProblemError(409, 'idempotency-in-progress', 'Request in progress', `A request with Idempotency-Key ${key} is still being processed; retry in ${retryAfter} s.`, {}, { 'Retry-After': String(retryAfter) });
    }
    c.set('idempotencyTakeover', true);
  }

  const release = () => db.delete(idempotencyRecords).where(and(recordOf(principalId, key), eq(idempotencyRecords.state, 'pending')));
  try {
    await next();
  } catch (err) {
    await release();
    throw err;
  }
  const res = c.res;
  // A secret shown once must not be stored in clear for replay: the key is released instead, and a
  // retry runs the handler again, which finds what the first attempt created (requestScopedId) and answers without the secret.
  if (res.status >= 500 || c.get('responseHoldsSecret') === true) {
    await release();
    return;
  }
  const text = await res.clone().text();
  await db
    .update(idempotencyRecords)
    .set({ state: 'done', status: res.status, responseBody: text, responseContentType: res.headers.get('content-type'), completedAt: sql`now()`, leaseExpiresAt: null })
    .where(recordOf(principalId, key));
};

/** Housekeeping: records older than `days` are dropped (the IETF draft suggests ≥24 h). */
export async function pruneIdempotencyRecords(db: ApiEnv['Variables']['deps']['db'], days = 7) {
  await db.delete(idempotencyRecords).where(lt(idempotencyRecords.createdAt, sql`now() - make_interval(days => ${days})`));
}
