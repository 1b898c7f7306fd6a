import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { createApiKey } from '../../db/api-keys.js';
import { createLogger } from '../../runtime/logger.js';
import { freePort } from '../../runtime/ports.js';
import { apiCaller, clientBody, freshDatabase } from '../support/harness.js';
import { testDataConverter } from '../support/temporal.js';

/**
 * A report that reaches a Temporal server which cannot answer (a starved dev server answering
 * "shard status unknown", a frontend restarting) is refused as 503 `process-busy` with Retry-After:
 * nothing was recorded and the same request with the same Idempotency-Key is safe later. Found by
 * `npm run bench` under load (issue 17): the Update failed as UNAVAILABLE, then so did the describe
 * that tells a finished process from a busy one, and the API answered 500.
 */
let close: () => Promise<void>;
let call: ReturnType<typeof apiCaller>;
let clientId: string;

beforeAll(async () => {
  const database = await freshDatabase();
  const key = (await createApiKey(database.db, { name: 'ops', role: 'ops', createdBy: 'test' })).key;
  // Nothing listens on this port, and the connection does not retry: every call fails at once as UNAVAILABLE.
  const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, interceptors: [] });
  const temporal = { client: new Client({ connection, dataConverter: testDataConverter }), connection, namespace: 'default', taskQueue: 'unreachable' };
  const app = createApp({ db: database.db, logger: createLogger('silent'), temporal });
  call = apiCaller(app, { ops: key } as never);
  // Registration commits the client and leaves its placement review in the outbox when Temporal does not answer.
  const created = await call('POST', '/v1/clients', { role: 'ops' as never, body: clientBody() });
  expect(created.status).toBe(201);
  clientId = created.body.id;
  close = async () => {
    await connection.close().catch(() => {});
    await database.close();
  };
});
afterAll(() => close());

describe('a report while Temporal cannot answer', () => {
  it('is 503 process-busy with Retry-After, never a 500', async () => {
    const res = await call('POST', `/v1/clients/${clientId}/onboarding/recap-sent`, { role: 'ops' as never, body: {}, headers: { 'idempotency-key': 'recap-1' } });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.body).toMatchObject({ type: 'urn:baton:problem:process-busy', status: 503 });
    expect(res.body.detail).toMatch(/nothing was recorded.*same Idempotency-Key/);
  });
});
