import { createHash } from 'node:crypto';
import { and, eq, lt, sql } from 'drizzle-orm';
import type { Context, MiddlewareHandler } from 'hono';
import { idempotencyRecords } from '../db/schema.js';
import type { ApiEnv } from './context.js';
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

/**
 * `Idempotency-Key` on POST (IETF draft-ietf-httpapi-idempotency-key-header): the first response
 * to a (principal, key) pair is stored; the same key with the same request replays it; with another
 * request it is a 422; while the first is still running it is a 409. 5xx responses are not kept,
 * so a failed request can be retried with the same key.
 */
export const idempotency: MiddlewareHandler<ApiEnv> = async (c, next) => {
  if (c.req.method !== 'POST') return next();
  const key = idempotencyKeyOf(c);
  if (key === undefined) return next();
  const { db } = c.get('deps');
  const principalId = c.get('principal').id;
  const body = await c.req.text();
  const requestHash = createHash('sha256').update(`${c.req.method} ${c.req.path}\n${body}`).digest('hex');

  const claimed = await db
    .insert(idempotencyRecords)
    .values({ principalId, key, method: c.req.method, path: c.req.path, requestHash })
    .onConflictDoNothing()
    .returning({ key: idempotencyRecords.key });
  if (claimed.length === 0) {
    const [prior] = await db.select().from(idempotencyRecords).where(and(eq(idempotencyRecords.principalId, principalId), eq(idempotencyRecords.key, key)));
    if (prior && prior.requestHash !== requestHash) {
      throw new ProblemError(422, 'idempotency-key-reused', 'Idempotency-Key reused', `The key ${key} was first used for a different request (${prior.method} ${prior.path} with another body).`);
    }
    if (!prior || prior.state !== 'done') throw new ProblemError(409, 'idempotency-in-progress', 'Request in progress', `A request with Idempotency-Key ${key} is still being processed; retry shortly.`);
    return c.body(prior.responseBody ?? '', prior.status as never, {
      'content-type': prior.responseContentType ?? 'application/json',
      'idempotent-replayed': 'true',
    });
  }

  const release = () => db.delete(idempotencyRecords).where(and(eq(idempotencyRecords.principalId, principalId), eq(idempotencyRecords.key, key)));
  try {
    await next();
  } catch (err) {
    await release();
    throw err;
  }
  const res = c.res;
  if (res.status >= 500) {
    await release();
    return;
  }
  const text = await res.clone().text();
  await db
    .update(idempotencyRecords)
    .set({ state: 'done', status: res.status, responseBody: text, responseContentType: res.headers.get('content-type'), completedAt: sql`now()` })
    .where(and(eq(idempotencyRecords.principalId, principalId), eq(idempotencyRecords.key, key)));
};

/** Housekeeping: records older than `days` are dropped (the IETF draft suggests ≥24 h). */
export async function pruneIdempotencyRecords(db: ApiEnv['Variables']['deps']['db'], days = 7) {
  await db.delete(idempotencyRecords).where(lt(idempotencyRecords.createdAt, sql`now() - make_interval(days => ${days})`));
}
