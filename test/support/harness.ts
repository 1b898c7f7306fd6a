import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import postgres from 'postgres';
import { expect, inject } from 'vitest';
import { createApp } from '../../api/app.js';
import { createApiKey, ROLES, type Role } from '../../db/api-keys.js';
import { connectDatabase, runMigrations, type Database } from '../../db/client.js';
import { NativeConnection } from '@temporalio/worker';
import { ensureDefaultPolicy, publishPolicy } from '../../db/policies.js';
import { createLogger } from '../../runtime/logger.js';
import { startWorkflowStartDispatcher } from '../../runtime/processes.js';
import { createWorker } from '../../worker.js';
import { testDataConverter, workflowBundle } from './temporal.js';

/** A fresh, migrated database on the run's PostgreSQL, dropped again by `close()`. */
export async function freshDatabase(): Promise<Database & { url: string; name: string }> {
  const adminUrl = inject('postgresAdminUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = adminUrl.replace(/\/postgres$/, `/${name}`);
  const database = connectDatabase(url, { max: 5 });
  await runMigrations(url);
  await ensureDefaultPolicy(database.db);
  return {
    ...database,
    url,
    name,
    async close() {
      await database.close();
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

export const testTaskQueue = () => `test-${randomBytes(4).toString('hex')}`;

export interface ApiHarness {
  database: Database & { url: string };
  keys: Record<Role, string>;
  temporal: { client: Client; connection: Connection; namespace: string; taskQueue: string };
  app: ReturnType<typeof createApp>;
  call: ReturnType<typeof apiCaller>;
  close(): Promise<void>;
}

/**
 * The real API (Hono app) on a fresh database, wired to the run's Temporal dev server, with one
 * API key per role. Requests go through `app.request`, the same handlers the server runs.
 */
export async function apiHarness(opts: { taskQueue?: string } = {}): Promise<ApiHarness> {
  const database = await freshDatabase();
  const keys = {} as Record<Role, string>;
  for (const role of ROLES) keys[role] = (await createApiKey(database.db, { name: `test ${role}`, role, createdBy: 'test' })).key;
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  const temporal = { client: new Client({ connection, dataConverter: testDataConverter }), connection, namespace: 'default', taskQueue: opts.taskQueue ?? testTaskQueue() };
  const app = createApp({ db: database.db, logger: createLogger('silent'), temporal, payloadCodec: testDataConverter.payloadCodecs![0] });
  return {
    database, keys, temporal, app,
    call: apiCaller(app, keys),
    async close() {
      await connection.close();
      await database.close();
    },
  };
}

type CallOptions = { role?: Role | null; body?: unknown; headers?: Record<string, string>; rawBody?: string };

/** JSON requests through the real Hono app, authenticated with the key of `role` (none for `null`). */
export function apiCaller(app: ReturnType<typeof createApp>, keys: Record<Role, string>) {
  return async (method: string, path: string, { role = 'admin', body, headers = {}, rawBody }: CallOptions = {}) => {
    const h: Record<string, string> = { ...headers };
    if (role) h.authorization = `Bearer ${keys[role]}`;
    if (body !== undefined || rawBody !== undefined) h['content-type'] ??= 'application/json';
    const res = await app.request(path, { method, headers: h, body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as any, headers: res.headers };
  };
}

/** A valid client registration body; override what a test cares about. */
export function clientBody(overrides: Record<string, unknown> = {}) {
  return { name: 'Acme Dental', mrr: 12000, maturity: 4, appetite: 2, timeZone: 'America/Chicago', ...overrides };
}

/** Polls `probe` until it returns a value passing `done`, or fails with the last value seen. */
export async function eventually<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await probe();
  }
  return last;
}

export interface WorkerHarness extends ApiHarness {
  /** The Temporal client the API and the tests use (the harness's `temporal.client`). */
  client: Client;
  close(): Promise<void>;
}

/**
 * apiHarness plus what a process needs to run behind it: a Baton worker on the harness's task queue
 * and the workflow-start outbox dispatcher (polling every `dispatchEveryMs`), with `policy` areas
 * merged onto the default policy first (e.g. fast delivery retries). `close()` stops them in order.
 */
export async function workerHarness(opts: { policy?: Record<string, unknown>; policyNote?: string; dispatchEveryMs?: number } = {}): Promise<WorkerHarness> {
  const h = await apiHarness();
  if (opts.policy) {
    const published = await publishPolicy(h.database.db, opts.policy, opts.policyNote ?? 'test policy', { actor: { kind: 'system' }, at: new Date().toISOString() }, 'merge');
    if (!published.ok) throw new Error(`test policy refused: ${JSON.stringify(published)}`);
  }
  const native = await NativeConnection.connect({ address: inject('temporalAddress') });
  const worker = await createWorker({ connection: native, namespace: 'default', taskQueue: h.temporal.taskQueue, workflowBundle: await workflowBundle(), db: h.database.db, dataConverter: testDataConverter });
  const running = worker.run();
  const stopDispatcher = startWorkflowStartDispatcher({ client: h.temporal.client, taskQueue: h.temporal.taskQueue }, h.database.db, createLogger('silent'), opts.dispatchEveryMs ?? 100);
  return {
    ...h,
    client: h.temporal.client,
    async close() {
      await stopDispatcher();
      worker.shutdown();
      await running;
      await native.close();
      await h.close();
    },
  };
}

/**
 * Delivery retries fast enough for a test (policy area `integrations`): attempts 0.2 s apart growing
 * to 1 s, the breaker open after 3 failures for 2 s. `extra` adds or overrides fields of the area.
 */
export const fastDeliveryPolicy = (extra: Record<string, unknown> = {}) => ({
  integrations: {
    deliveryMaxAttempts: 8, retryInitialSeconds: 0.2, retryBackoffCoefficient: 2, retryMaxSeconds: 1, retryAfterMaxSeconds: 5,
    requestTimeoutSeconds: 5, breakerFailureThreshold: 3, breakerOpenSeconds: 2, ...extra,
  },
});

/** Opens a follow-up CTA for the client's CSM, due in a week, through the API; its id. */
export async function openFollowUpCta(call: ReturnType<typeof apiCaller>, clientId: string, title: string): Promise<string> {
  const res = await call('POST', `/v1/clients/${clientId}/ctas`, { body: { kind: 'follow-up', title, ownerRole: 'CSM', dueAt: new Date(Date.now() + 7 * 86_400_000).toISOString() } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}
