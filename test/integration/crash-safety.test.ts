import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { requestScopedIdFor } from '../../api/idempotency.js';
import { createActivities } from '../../activities/index.js';
import { findPrincipal } from '../../db/api-keys.js';
import { createClient, getClient } from '../../db/clients.js';
import { clientTimeline, systemActor } from '../../db/ledger.js';
import { clients, events, idempotencyRecords, workflowStarts } from '../../db/schema.js';
import { createLogger } from '../../runtime/logger.js';
import { dispatchPendingWorkflowStarts } from '../../runtime/processes.js';
import { placementReviewWorkflowId } from '../../workflows/contracts.js';
import { ctaClocksWorkflowId } from '../../workflows/contracts.js';
import { apiCaller, apiHarness, clientBody, type ApiHarness } from '../support/harness.js';

/**
 * Crashes lose nothing (issue 10): a request whose API died mid-way leaves its Idempotency-Key
 * pending only for a lease, and its retry answers with what the first attempt committed; a client
 * or CTA committed without its workflow gets it from the outbox; activities end permanent failures
 * as non-retryable; timestamps read back exactly as stored.
 */
let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
}, 60_000);
afterAll(() => h?.close());

async function exists(workflowId: string): Promise<boolean> {
  try {
    await h.temporal.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

describe('Idempotency-Key after the API died mid-request', () => {
  it('holds a pending key only for its lease; the retry then answers with the client the first attempt created, once', async () => {
    const principal = (await findPrincipal(h.database.db, h.keys.ops))!;
    const key = 'register-acme-after-crash';
    const body = clientBody({ name: 'Crashed Dental', externalRef: 'crm-crash-1' });
    // The first attempt: claimed the key, committed the client (named by the key), died before answering.
    await h.database.db.insert(idempotencyRecords).values({
      principalId: principal.id, key, method: 'POST', path: '/v1/clients', requestHash: requestHashOf('/v1/clients', JSON.stringify(body)),
      leaseExpiresAt: sql`now() + interval '30 seconds'` as never,
    });
    const firstId = requestScopedIdFor(principal.id, key, 'client');
    await createClient(h.database.db, body, { actor: { kind: 'api-key', id: principal.id, name: principal.name, role: principal.role }, at: new Date().toISOString() }, firstId);

    const during = await h.call('POST', '/v1/clients', { role: 'ops', headers: { 'idempotency-key': key }, body });
    expect(during.status).toBe(409);
    expect(during.body.type).toBe('urn:baton:problem:idempotency-in-progress');
    expect(Number(during.headers.get('retry-after'))).toBeGreaterThan(0);

    // The lease runs out (the API is gone): the retry takes the key over.
    await h.database.db.update(idempotencyRecords).set({ leaseExpiresAt: sql`now() - interval '1 second'` as never }).where(eq(idempotencyRecords.key, key));
    const retry = await h.call('POST', '/v1/clients', { role: 'ops', headers: { 'idempotency-key': key }, body });
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(firstId);
    const replay = await h.call('POST', '/v1/clients', { role: 'ops', headers: { 'idempotency-key': key }, body });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.id).toBe(firstId);

    const named = await h.database.db.select().from(clients).where(eq(clients.name, 'Crashed Dental'));
    expect(named).toHaveLength(1);
    expect(await clientTimeline(h.database.db, firstId, { types: ['client.registered'] })).toHaveLength(1);
    // The retry also started what the first attempt could not: the placement review.
    expect(await exists(placementReviewWorkflowId(firstId))).toBe(true);
  });

  it('a retry of a CTA first action whose first attempt died answers with that first action, not a conflict', async () => {
    const client = (await h.call('POST', '/v1/clients', { body: clientBody({ name: 'CTA Crash' }) })).body.id;
    const cta = (await h.call('POST', `/v1/clients/${client}/ctas`, { body: { kind: 'follow-up', title: 'Call the sponsor', ownerRole: 'CSM', dueAt: '2027-03-02T23:00:00.000Z' } })).body.id;
    const principal = (await findPrincipal(h.database.db, h.keys.admin))!;
    const key = 'first-action-crash';
    const body = { note: 'Called, left a message' };
    const first = await h.call('POST', `/v1/ctas/${cta}/first-action`, { headers: { 'idempotency-key': key }, body });
    expect(first.status).toBe(200);
    // Simulate a crash after the commit: the stored answer is lost and the key left pending with an expired lease.
    await h.database.db.update(idempotencyRecords).set({ state: 'pending', status: null, responseBody: null, leaseExpiresAt: sql`now() - interval '1 second'` as never })
      .where(and(eq(idempotencyRecords.principalId, principal.id), eq(idempotencyRecords.key, key)));
    const retry = await h.call('POST', `/v1/ctas/${cta}/first-action`, { headers: { 'idempotency-key': key }, body });
    expect(retry.status).toBe(200);
    expect(retry.body.state).toBe('first_action');
    const other = await h.call('POST', `/v1/ctas/${cta}/first-action`, { headers: { 'idempotency-key': 'someone-else' }, body });
    expect(other.status).toBe(409);
  });
});

describe('outbox of workflow starts', () => {
  it('starts the placement review and CTA clock of rows committed by an API that never reached Temporal', async () => {
    // An API without Temporal commits the rows (as one that died right after its commit would).
    const offline = apiCaller(createApp({ db: h.database.db, logger: createLogger('silent') }), h.keys);
    const client = (await offline('POST', '/v1/clients', { body: clientBody({ name: 'Outbox Dental' }) })).body.id;
    const cta = (await offline('POST', `/v1/clients/${client}/ctas`, { body: { kind: 'follow-up', title: 'Outbox CTA', ownerRole: 'CSM', dueAt: '2027-03-02T23:00:00.000Z' } })).body.id;
    expect(await exists(placementReviewWorkflowId(client))).toBe(false);
    expect(await exists(ctaClocksWorkflowId(client))).toBe(false);

    const started = await dispatchPendingWorkflowStarts(h.temporal, h.database.db);
    expect(started).toBeGreaterThanOrEqual(2);
    expect(await exists(placementReviewWorkflowId(client))).toBe(true);
    expect(await exists(ctaClocksWorkflowId(client))).toBe(true);
    const pending = await h.database.db.select().from(workflowStarts).where(sql`${workflowStarts.dispatchedAt} is null`);
    expect(pending).toEqual([]);
  });
});

describe('activities end permanent failures as non-retryable', () => {
  it('a NUL that reaches PostgreSQL is a non-retryable DataException without the SQL parameters', async () => {
    const activities = createActivities({ db: h.database.db });
    const client = (await h.call('POST', '/v1/clients', { body: clientBody({ name: 'Activity Dental' }) })).body.id;
    const err = await activities.recordProcessEffects({
      clientId: client, process: 'onboarding', workflowId: `client/${client}/onboarding`, batchKey: 'action-1', actor: systemActor, at: new Date().toISOString(), firstActionHours: 72,
      effects: [{ kind: 'event', type: 'meeting.held', ruleId: 'R-27', why: {}, data: { meetingId: 'm-1', decisions: 0, attendees: ['CE\u0000O'] } } as never],
    }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'DataException', nonRetryable: true });
    expect((err as Error).message).toMatch(/^PostgreSQL 22/);
    expect((err as Error).message).not.toContain('CE');

    const missing = await activities.prepareCadence({ clientId: '00000000-0000-4000-8000-000000000000', lockedAt: new Date().toISOString(), policyVersion: 1 }).then(() => undefined, (e: unknown) => e);
    expect(missing).toMatchObject({ type: 'ClientNotFound', nonRetryable: true });
  });
});

describe('timestamps', () => {
  it('read back exactly as stored, also in years PostgreSQL and JavaScript parse differently', async () => {
    const client = (await h.call('POST', '/v1/clients', { body: clientBody({ name: 'Ancient Dental' }) })).body.id;
    for (const at of ['0035-06-01T12:00:00.000Z', '0012-01-01T00:00:00.000Z', '1900-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z']) {
      await h.database.db.insert(events).values({ id: `ts-${at}`, occurredAt: at, clientId: client, process: 'test', type: 'signal.late', actor: systemActor, data: {} });
      const [row] = await h.database.db.select().from(events).where(eq(events.id, `ts-${at}`));
      expect(row!.occurredAt).toBe(at);
    }
    expect((await getClient(h.database.db, client))!.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });
});

function requestHashOf(path: string, body: string) {
  // The same hash the middleware computes (method, path, raw body).
  return createHash('sha256').update(`POST ${path}\n${body}`).digest('hex');
}
