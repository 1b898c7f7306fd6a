import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../api/app.js';
import { listenForApiKeyChanges, revokeApiKey, ROLES, type Role } from '../../db/api-keys.js';
import { connectDatabase } from '../../db/client.js';
import { createLogger } from '../../runtime/logger.js';
import { apiHarness, clientBody, type ApiHarness } from '../support/harness.js';

/**
 * The role matrix, checked on every operation of the OpenAPI document: each role gets through
 * exactly the operations whose `x-baton-roles` list it (anything but 401/403), and a 403
 * problem elsewhere; no key at all is a 401 everywhere.
 */
let h: ApiHarness;
let clientId: string;
let personId: string;
const samplePaths: Record<string, string> = {};

beforeAll(async () => {
  h = await apiHarness();
  const created = await h.call('POST', '/v1/clients', { body: clientBody() });
  clientId = created.body.id;
  const person = await h.call('POST', '/v1/people', { body: { name: 'Ada', email: 'ada@msp.example', roles: ['CSM'] } });
  personId = person.body.id;
  Object.assign(samplePaths, { clientId, personId, role: 'CSM', version: '1', keyId: '00000000-0000-4000-8000-000000000000' });
});
afterAll(() => h.close());

function concrete(path: string) {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(samplePaths[name] ?? 'x'));
}

describe('authentication and roles on every operation', () => {
  it('every /v1 operation in the OpenAPI document declares its roles and bearer security', async () => {
    const doc = (await h.call('GET', '/openapi.json', { role: null })).body;
    const ops = Object.entries(doc.paths).flatMap(([path, item]: [string, any]) => Object.entries(item).map(([method, op]: [string, any]) => ({ path, method, op })));
    expect(ops.length).toBeGreaterThan(15);
    for (const { path, op } of ops.filter((o) => o.path.startsWith('/v1'))) {
      expect(op['x-baton-roles'], `${path} roles`).toBeInstanceOf(Array);
      expect(op.security, `${path} security`).toEqual([{ Bearer: [] }]);
      expect(op.operationId, `${path} operationId`).toMatch(/^[a-z][A-Za-z0-9]+$/);
    }
  });

  it('answers 401 problem+json without a key, with a malformed header, and with an unknown key', async () => {
    const doc = (await h.call('GET', '/openapi.json', { role: null })).body;
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const method of Object.keys(item)) {
        const res = await h.call(method.toUpperCase(), concrete(path), { role: null, body: method === 'get' || method === 'delete' ? undefined : {} });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect(res.body).toMatchObject({ type: 'urn:baton:problem:unauthorized', status: 401 });
      }
    }
    expect((await h.call('GET', '/v1/clients', { role: null, headers: { authorization: 'Basic abc' } })).status).toBe(401);
    expect((await h.call('GET', '/v1/clients', { role: null, headers: { authorization: 'Bearer not-a-real-key' } })).status).toBe(401);
  });

  it.each(ROLES)('role %s is allowed exactly where x-baton-roles lists it', async (role: Role) => {
    const doc = (await h.call('GET', '/openapi.json', { role: null })).body;
    let allowed = 0;
    let forbidden = 0;
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        if (!path.startsWith('/v1')) continue;
        // Destructive operations are probed with bodies that fail validation, so nothing changes.
        const res = await h.call(method.toUpperCase(), concrete(path), { role, body: method === 'get' || method === 'delete' ? undefined : { invalid: true } });
        if (op['x-baton-roles'].includes(role)) {
          expect([401, 403], `${role} ${method} ${path}`).not.toContain(res.status);
          allowed++;
        } else {
          expect(res.status, `${role} ${method} ${path}`).toBe(403);
          expect(res.body).toMatchObject({ type: 'urn:baton:problem:forbidden', allowedRoles: op['x-baton-roles'] });
          forbidden++;
        }
      }
    }
    expect(allowed + forbidden).toBeGreaterThan(15);
    if (role === 'admin') expect(forbidden).toBe(0);
    else expect(forbidden).toBeGreaterThan(0);
  });

  it('a revoked key stops working at once', async () => {
    const created = await h.call('POST', '/v1/api-keys', { body: { name: 'temp', role: 'ops' } });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    const ok = await h.app.request('/v1/clients', { headers: { authorization: `Bearer ${key}` } });
    expect(ok.status).toBe(200);
    expect((await h.call('DELETE', `/v1/api-keys/${created.body.id}`)).status).toBe(200);
    const after = await h.app.request('/v1/clients', { headers: { authorization: `Bearer ${key}` } });
    expect(after.status).toBe(401);
  });

  it('a revoked key stops working at once in this process although keys are cached, even while requests with it run', async () => {
    const created = await h.call('POST', '/v1/api-keys', { body: { name: 'cached', role: 'ops' } });
    const get = () => Promise.resolve(h.app.request('/v1/clients', { headers: { authorization: `Bearer ${created.body.key}` } })).then((r) => r.status);
    expect([await get(), await get()]).toEqual([200, 200]); // the second answered from the cache
    // Requests in flight while the revocation commits must not put the key back into the cache.
    const [, revoked] = await Promise.all([Promise.all(Array.from({ length: 5 }, get)), h.call('DELETE', `/v1/api-keys/${created.body.id}`)]);
    expect(revoked.status).toBe(200);
    expect([await get(), await get()]).toEqual([401, 401]);
  });

  it('a key revoked by another process (the CLI, another API replica) stops working in this one', async () => {
    // A second API process on its own connections, listening for key changes as `baton api` does.
    const replica = connectDatabase(h.database.url);
    const cli = connectDatabase(h.database.url);
    const unlisten = await listenForApiKeyChanges(replica);
    try {
      const app = createApp({ db: replica.db, logger: createLogger('silent'), temporal: h.temporal });
      const created = await h.call('POST', '/v1/api-keys', { body: { name: 'replica', role: 'ops' } });
      const get = () => Promise.resolve(app.request('/v1/clients', { headers: { authorization: `Bearer ${created.body.key}` } })).then((r) => r.status);
      expect([await get(), await get()]).toEqual([200, 200]);
      await revokeApiKey(cli.db, created.body.id);
      // The notice is delivered when the revocation commits; poll only for its arrival, never for a cache expiry (60 s).
      await vi.waitFor(async () => expect(await get()).toBe(401), { timeout: 5_000, interval: 20 });
    } finally {
      await unlisten();
      await replica.close();
      await cli.close();
    }
  });

  it('a cached key re-issued under its Idempotency-Key stops working at once', async () => {
    const headers = { 'idempotency-key': 'create-key-retry-cached' };
    const first = await h.call('POST', '/v1/api-keys', { body: { name: 'reissued', role: 'automation' }, headers });
    const works = async (key: string) => (await h.app.request('/v1/clients', { headers: { authorization: `Bearer ${key}` } })).status;
    expect(await works(first.body.key)).toBe(200);
    // The first answer was never kept (it shows a secret), so the retry re-issues the record with a new key.
    const retry = await h.call('POST', '/v1/api-keys', { body: { name: 'reissued', role: 'automation' }, headers });
    expect(retry.body.id).toBe(first.body.id);
    expect([await works(first.body.key), await works(retry.body.key)]).toEqual([401, 200]);
  });

  it('a key created with an Idempotency-Key is never stored in clear; a retry re-issues the same record with a new key', async () => {
    const headers = { 'idempotency-key': 'create-key-retry-1' };
    const first = await h.call('POST', '/v1/api-keys', { body: { name: 'retried', role: 'automation' }, headers });
    const retry = await h.call('POST', '/v1/api-keys', { body: { name: 'retried', role: 'automation' }, headers });
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(retry.body.id).toBe(first.body.id);
    expect(retry.body.key).not.toBe(first.body.key);
    const works = async (key: string) => (await h.app.request('/v1/clients', { headers: { authorization: `Bearer ${key}` } })).status;
    expect([await works(first.body.key), await works(retry.body.key)]).toEqual([401, 200]);
    const stored = await h.database.sql`select coalesce(response_body, '') as body from idempotency_records`;
    for (const row of stored) expect(row.body).not.toContain(retry.body.key);
    expect((await h.call('GET', '/v1/api-keys')).body.items.filter((k: { name: string }) => k.name === 'retried')).toHaveLength(1);
  });

  it('a retry under the Idempotency-Key of a key revoked since is a 409 that says why, and brings nothing back', async () => {
    const headers = { 'idempotency-key': 'create-key-then-revoked' };
    const first = await h.call('POST', '/v1/api-keys', { body: { name: 'revoked later', role: 'ops' }, headers });
    expect(first.status).toBe(201);
    expect((await h.call('DELETE', `/v1/api-keys/${first.body.id}`)).status).toBe(200);
    // Found by the fuzzer: this was a 500 (the re-issue's conditional upsert matched no row).
    const retry = await h.call('POST', '/v1/api-keys', { body: { name: 'revoked later', role: 'ops' }, headers });
    expect(retry.status).toBe(409);
    expect(retry.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(retry.body.detail).toMatch(/was revoked.*never re-issued.*new Idempotency-Key/);
    expect(retry.body).not.toHaveProperty('key');
    const [row] = await h.database.sql`select revoked_at from api_keys where id = ${first.body.id}`;
    expect(row!.revoked_at).not.toBeNull();
    expect((await h.app.request('/v1/clients', { headers: { authorization: `Bearer ${first.body.key}` } })).status).toBe(401);
  });

  it('keys are stored hashed and listed without the key', async () => {
    const list = await h.call('GET', '/v1/api-keys');
    expect(list.status).toBe(200);
    for (const k of list.body.items) expect(k).not.toHaveProperty('key');
    const rows = await h.database.sql`select hash from api_keys`;
    for (const row of rows) {
      expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(Object.values(h.keys)).not.toContain(row.hash);
    }
  });

  it('refuses to revoke the last active admin key', async () => {
    const list = await h.call('GET', '/v1/api-keys');
    const admins = list.body.items.filter((k: any) => k.role === 'admin' && !k.revokedAt);
    expect(admins).toHaveLength(1);
    const res = await h.call('DELETE', `/v1/api-keys/${admins[0].id}`);
    expect(res.status).toBe(409);
  });
});
