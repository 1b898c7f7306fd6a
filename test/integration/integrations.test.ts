import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { openHistoryPayloads } from '../../runtime/payload-codec.js';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { createApiKey, ROLES, type Role } from '../../db/api-keys.js';
import { clientTimeline } from '../../db/ledger.js';
import { publishPolicy } from '../../db/policies.js';
import { connectorBreakers, deliveries, idempotencyRecords, webhookSubscriptions } from '../../db/schema.js';
import { createLogger } from '../../runtime/logger.js';
import { startWorkflowStartDispatcher } from '../../runtime/processes.js';
import { INTEGRATION_KEY_ENV } from '../../runtime/secret-box.js';
import { deliveryWorkflowId } from '../../workflows/contracts.js';
import { createWorker } from '../../worker.js';
import { apiCaller, clientBody, eventually, freshDatabase, testTaskQueue } from '../support/harness.js';
import { testDataConverter, workflowBundle } from '../support/temporal.js';
import { webhookReceiver } from '../support/webhook-receiver.js';
import { smtpSink } from '../support/smtp-sink.js';
import { configureMailer } from '../../runtime/mailer.js';

/**
 * Email to CTA owners and outbound webhooks through the outbox (issue 15) on the real Temporal dev server and PostgreSQL,
 * delivered to a local receiver that verifies every Standard Webhooks signature: subscriptions
 * with a secret shown once and sealed at rest, the test delivery, ledger events fanned out in
 * their own transaction, an outage that queues deliveries and drains them with no duplicate,
 * Retry-After honoured, dead letters after the policy's attempts, and the timeline.
 */
process.env[INTEGRATION_KEY_ENV] ??= randomBytes(32).toString('base64');

let db: Awaited<ReturnType<typeof freshDatabase>>;
let connection: Connection;
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let stopDispatcher: () => Promise<void>;
let call: ReturnType<typeof apiCaller>;
let clientId: string;
let client: Client;
let avery: string;
const taskQueue = testTaskQueue();

/** Short waits so the suite stays fast; the shape (backoff, breaker, attempts) is the production one. */
const POLICY = {
  integrations: {
    deliveryMaxAttempts: 6, retryInitialSeconds: 0.2, retryBackoffCoefficient: 2, retryMaxSeconds: 1, retryAfterMaxSeconds: 5,
    requestTimeoutSeconds: 5, breakerFailureThreshold: 3, breakerOpenSeconds: 2,
  },
};

beforeAll(async () => {
  db = await freshDatabase();
  const published = await publishPolicy(db.db, POLICY, 'fast delivery retries for the test', { actor: { kind: 'system' }, at: new Date().toISOString() }, 'merge');
  expect(published.ok).toBe(true);
  const keys = {} as Record<Role, string>;
  for (const role of ROLES) keys[role] = (await createApiKey(db.db, { name: `test ${role}`, role, createdBy: 'test' })).key;
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection, dataConverter: testDataConverter });
  native = await NativeConnection.connect({ address: inject('temporalAddress') });
  // This file's worker polls with the autoscaling poller behaviour (BATON_WORKER_WORKFLOW_POLLERS=autoscaling), the others with the SDK's fixed default.
  worker = await createWorker({ connection: native, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(), db: db.db, dataConverter: testDataConverter, tuning: { workflowPollers: 'autoscaling' } });
  running = worker.run();
  const logger = createLogger('silent');
  const app = createApp({ db: db.db, logger, temporal: { client, namespace: 'default', taskQueue } });
  call = apiCaller(app, keys);
  // The worker's outbox dispatcher, polling often so the test does not wait on its 5 s default.
  stopDispatcher = startWorkflowStartDispatcher({ client, taskQueue }, db.db, logger, 100);

  const csm = (await call('POST', '/v1/people', { body: { name: 'Casey CSM', email: 'casey@msp.example', roles: ['CSM'] } })).body.id;
  clientId = (await call('POST', '/v1/clients', { body: clientBody({ name: 'Hooked Co' }) })).body.id;
  avery = (await call('POST', '/v1/people', { body: { name: 'Avery <AM>', email: 'avery@msp.example', roles: ['AM'] } })).body.id;
  expect((await call('PUT', `/v1/clients/${clientId}/assignments/CSM`, { body: { personId: csm, backupPersonId: avery } })).status).toBe(200);
});
afterAll(async () => {
  await stopDispatcher?.();
  worker?.shutdown();
  await running;
  await native?.close();
  await connection?.close();
  await db?.close();
});

/** `RECORD_HISTORIES=1` refreshes the replay fixture of the delivery workflow (test/unit/replay.test.ts). */
async function record(workflowId: string, name: string) {
  if (!process.env.RECORD_HISTORIES) return;
  const handle = client.workflow.getHandle(workflowId);
  await handle.result();
  // Fixtures are kept unencrypted (test/unit/replay.test.ts seals them itself with a key of its own).
  const history = await handle.fetchHistory();
  await openHistoryPayloads(history, testDataConverter.payloadCodecs![0]!);
  fs.writeFileSync(path.join(import.meta.dirname, `../fixtures/histories/${name}.json`), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
}

async function subscribe(url: string, eventTypes: string[]) {
  const res = await call('POST', '/v1/webhook-subscriptions', { body: { url, eventTypes, description: 'CS tooling' } });
  expect(res.status).toBe(201);
  return res.body as { id: string; secret: string };
}
const openCta = async (title: string, extra: Record<string, unknown> = {}) => {
  const res = await call('POST', `/v1/clients/${clientId}/ctas`, { body: { kind: 'follow-up', title, ownerRole: 'CSM', dueAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), ...extra } });
  expect(res.status).toBe(201);
  return res.body.id as string;
};
const deliveryLog = async (subscriptionId: string) => (await call('GET', `/v1/deliveries?subscriptionId=${subscriptionId}`, { role: 'ops' })).body.items as any[];

describe('webhook subscriptions (admin API)', () => {
  it('shows the whsec_ secret once, keeps it sealed at rest, and never returns it again', async () => {
    const receiver = await webhookReceiver();
    const res = await call('POST', '/v1/webhook-subscriptions', { body: { url: receiver.url, eventTypes: ['cta.opened'] }, headers: { 'idempotency-key': 'sub-1' } });
    expect(res.status).toBe(201);
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const { id, secret } = res.body;

    const [row] = await db.db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id));
    expect(row!.secretSealed).not.toContain(secret.slice(6));
    expect(JSON.stringify((await call('GET', `/v1/webhook-subscriptions/${id}`)).body)).not.toContain('whsec_');
    expect(JSON.stringify((await call('GET', '/v1/webhook-subscriptions')).body)).not.toContain('whsec_');
    // A retried create (same Idempotency-Key) answers the same subscription without the secret, and nothing kept it in clear.
    const again = await call('POST', '/v1/webhook-subscriptions', { body: { url: receiver.url, eventTypes: ['cta.opened'] }, headers: { 'idempotency-key': 'sub-1' } });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(id);
    expect(again.body.secret).toBeUndefined();
    expect(JSON.stringify(await db.db.select().from(idempotencyRecords))).not.toContain(secret.slice(6));
    await receiver.stop();
    expect((await call('DELETE', `/v1/webhook-subscriptions/${id}`)).body.active).toBe(false);
  });

  it('refuses bad input with problem+json and non-admins with 403', async () => {
    const bad = [
      { url: 'ftp://example.com/x', eventTypes: ['cta.opened'] },
      { url: 'https://example.com/x', eventTypes: ['no.such'] },
      { url: 'https://example.com/x', eventTypes: ['delivery.delivered'] },
      { url: 'https://example.com/x', eventTypes: ['cta.opened', 'cta.opened'] },
      { url: 'https://example.com/x', eventTypes: [] },
      { url: 'https://example.com/x', eventTypes: ['cta.opened'], secret: 'mine' },
    ];
    for (const body of bad) {
      const res = await call('POST', '/v1/webhook-subscriptions', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    for (const role of ['ops', 'manager', 'automation'] as const) {
      expect((await call('POST', '/v1/webhook-subscriptions', { role, body: { url: 'https://example.com/x', eventTypes: ['cta.opened'] } })).status).toBe(403);
    }
    expect((await call('GET', '/v1/deliveries', { role: 'automation' })).status).toBe(403);
    expect((await call('GET', `/v1/webhook-subscriptions/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await call('POST', `/v1/webhook-subscriptions/${crypto.randomUUID()}/test`)).status).toBe(404);
  });
});

describe('delivery', () => {
  it('sends a signed test delivery the receiver verifies', async () => {
    const receiver = await webhookReceiver();
    const sub = await subscribe(receiver.url, ['cta.opened']);
    receiver.setSecret(sub.secret);
    const queued = await call('POST', `/v1/webhook-subscriptions/${sub.id}/test`);
    expect(queued.status).toBe(202);
    const done = await eventually(async () => (await call('GET', `/v1/deliveries/${queued.body.id}`, { role: 'ops' })).body, (d) => d.state === 'delivered');
    expect(done).toMatchObject({ attempts: 1, lastStatus: 204, eventType: 'webhook.test', connector: `webhook:${sub.id}` });
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]).toMatchObject({ id: queued.body.id, verified: true, body: { type: 'webhook.test', data: { subscriptionId: sub.id } } });
    // The signature is real: the same request does not verify under another secret.
    const other = await webhookReceiver();
    other.setSecret(`whsec_${randomBytes(32).toString('base64')}`);
    await fetch(other.url, { method: 'POST', body: JSON.stringify(receiver.requests[0]!.body), headers: { 'webhook-id': queued.body.id, 'webhook-timestamp': String(receiver.requests[0]!.timestamp), 'webhook-signature': 'v1,AAAA' } });
    expect(other.requests[0]!.verified).toBe(false);
    await Promise.all([receiver.stop(), other.stop()]);
    await call('DELETE', `/v1/webhook-subscriptions/${sub.id}`);
  });

  it('delivers each ledger event once, queues through an outage and drains on recovery with no duplicate', async () => {
    const receiver = await webhookReceiver();
    const sub = await subscribe(receiver.url, ['cta.opened']);
    receiver.setSecret(sub.secret);

    const first = await openCta('Review the backup report');
    // The delivery was written with the CTA's own transaction: it is in the log as soon as the API answered.
    expect((await deliveryLog(sub.id)).map((d) => d.eventId)).toEqual([`cta/${first}/opened`]);
    await eventually(() => deliveryLog(sub.id), (l) => l.every((d) => d.state === 'delivered'));

    await receiver.stop();
    const during = [await openCta('Chase the renewal quote'), await openCta('Book the QBR'), await openCta('Send the roadmap')];
    // While the receiver is down, deliveries retry and the connector's breaker opens (no call is made while it is).
    await eventually(() => deliveryLog(sub.id), (l) => l.length === 4 && l.filter((d) => d.state === 'retrying' && d.attempts >= 1).length === 3);
    const [breaker] = await eventually(() => db.db.select().from(connectorBreakers).where(eq(connectorBreakers.connector, `webhook:${sub.id}`)), (b) => !!b[0]?.openUntil);
    expect(breaker!.consecutiveFailures).toBeGreaterThanOrEqual(3);
    expect(receiver.requests).toHaveLength(1);

    await receiver.start();
    const log = await eventually(() => deliveryLog(sub.id), (l) => l.length === 4 && l.every((d) => d.state === 'delivered'), 30_000);
    // 0 duplicates: every delivery reached the receiver exactly once, verified, carrying its own event.
    const ids = receiver.requests.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(log.map((d) => d.id).sort());
    expect(receiver.requests.every((r) => r.verified && r.status === 204)).toBe(true);
    expect(receiver.requests.map((r) => r.body.data.data.ctaId).sort()).toEqual([first, ...during].sort());
    expect(receiver.requests.every((r) => r.body.type === 'cta.opened' && r.body.data.clientId === clientId)).toBe(true);

    // Visible on the client's timeline.
    const delivered = await clientTimeline(db.db, clientId, { types: ['delivery.delivered'] });
    expect(delivered.filter((e) => (e.data as any).connector === `webhook:${sub.id}`)).toHaveLength(4);
    expect((await db.db.select().from(connectorBreakers).where(eq(connectorBreakers.connector, `webhook:${sub.id}`)))[0]).toMatchObject({ consecutiveFailures: 0, openUntil: null });
    await receiver.stop();
    await call('DELETE', `/v1/webhook-subscriptions/${sub.id}`);
  });

  it('honours Retry-After on a 429 and keeps the same webhook-id on the retry', async () => {
    const receiver = await webhookReceiver();
    const sub = await subscribe(receiver.url, ['cta.opened']);
    receiver.setSecret(sub.secret);
    receiver.setResponder(() => (receiver.requests.length === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
    await openCta('Throttled follow-up');
    const [d] = await eventually(() => deliveryLog(sub.id), (l) => l[0]?.state === 'delivered');
    expect(d).toMatchObject({ attempts: 2, lastStatus: 200 });
    expect(receiver.requests.map((r) => [r.id, r.status])).toEqual([[d.id, 429], [d.id, 200]]);
    // The policy's backoff would retry after 0.2 s; the receiver asked for 2 s.
    expect(receiver.requests[1]!.receivedAt - receiver.requests[0]!.receivedAt).toBeGreaterThanOrEqual(2_000);
    await receiver.stop();
    await call('DELETE', `/v1/webhook-subscriptions/${sub.id}`);
  });

  it('dead-letters after the policy\'s attempts, and at once when the receiver refuses the message', async () => {
    const failing = await webhookReceiver();
    const sub = await subscribe(failing.url, ['cta.opened']);
    failing.setSecret(sub.secret);
    failing.setResponder(() => ({ status: 500 }));
    const refusing = await webhookReceiver();
    const sub2 = await subscribe(refusing.url, ['cta.opened']);
    refusing.setSecret(sub2.secret);
    refusing.setResponder(() => ({ status: 400 }));

    const ctaId = await openCta('Nobody listens');
    const [dead] = await eventually(() => deliveryLog(sub.id), (l) => l[0]?.state === 'dead', 30_000);
    expect(dead).toMatchObject({ attempts: 6, lastStatus: 500 });
    expect(failing.requests.map((r) => r.id)).toEqual(Array(6).fill(dead.id));
    await record(deliveryWorkflowId(dead.id), 'delivery-dead-lettered');
    const [refused] = await eventually(() => deliveryLog(sub2.id), (l) => l[0]?.state === 'dead');
    expect(refused).toMatchObject({ attempts: 1, lastStatus: 400 });

    const events = (await clientTimeline(db.db, clientId, { types: ['delivery.dead_lettered'] })).map((e) => e.data as any);
    expect(events).toEqual(expect.arrayContaining([
      expect.objectContaining({ deliveryId: dead.id, eventId: `cta/${ctaId}/opened`, attempts: 6, reason: expect.stringContaining('6 attempts failed') }),
      expect.objectContaining({ deliveryId: refused.id, attempts: 1, reason: expect.stringContaining('refused by the receiver') }),
    ]));
    // A dead delivery stays dead: nothing retries it.
    const before = failing.requests.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(failing.requests).toHaveLength(before);
    expect((await call('GET', `/v1/deliveries?state=dead&clientId=${clientId}`, { role: 'manager' })).body.items.length).toBeGreaterThanOrEqual(2);
    await Promise.all([failing.stop(), refusing.stop()]);
  });

  it('fans out nothing to a disabled subscription', async () => {
    const receiver = await webhookReceiver();
    const sub = await subscribe(receiver.url, ['cta.opened']);
    await call('DELETE', `/v1/webhook-subscriptions/${sub.id}`);
    await openCta('After unsubscribing');
    expect(await db.db.select().from(deliveries).where(eq(deliveries.subscriptionId, sub.id))).toEqual([]);
    await receiver.stop();
  });
});

describe('email to CTA owners (SMTP)', () => {
  let sink: Awaited<ReturnType<typeof smtpSink>>;
  beforeAll(async () => {
    sink = await smtpSink();
    configureMailer(sink.url, 'Baton <baton@msp.example>');
  });
  afterAll(async () => {
    configureMailer(undefined, undefined);
    await sink?.stop();
  });
  const emailLog = async (ctaId: string) => (await db.db.select().from(deliveries).where(eq(deliveries.channel, 'email'))).filter((d) => (d.payload as any).ctaId === ctaId);

  it('mails the owner when a CTA opens and the backup when it escalates, HTML and text, escaped', async () => {
    // A 3.6 s first-action SLA: the CTA's real clock escalates it to the named backup.
    const ctaId = await openCta('Renew the <Fortinet> licence & support', { firstActionHours: 0.001 });
    const [opened, escalated] = await eventually(async () => sink.messages.filter((m) => m.text?.includes(ctaId)), (l) => l.length >= 2, 30_000);
    expect(opened).toMatchObject({ subject: 'New CTA for Hooked Co: Renew the <Fortinet> licence & support', from: { value: [{ address: 'baton@msp.example', name: 'Baton' }] }, to: { value: [{ address: 'casey@msp.example', name: 'Casey CSM' }] } });
    expect(opened!.text).toContain('First action due:');
    expect(opened!.html).toContain('<h2>Renew the &lt;Fortinet&gt; licence &amp; support</h2>');
    expect(escalated).toMatchObject({ subject: 'Escalated to you — Hooked Co: Renew the <Fortinet> licence & support', to: { value: [{ address: 'avery@msp.example', name: 'Avery <AM>' }] } });
    expect(escalated!.html).toContain('Hello Avery &lt;AM&gt;,');
    expect(escalated!.text).toContain('(backup)');
    // One message per delivery, identified by it; on the timeline as delivered.
    const log = await eventually(() => emailLog(ctaId), (l) => l.length === 2 && l.every((d) => d.state === 'delivered'));
    expect(sink.messages.filter((m) => m.text?.includes(ctaId)).map((m) => m.messageId).sort()).toEqual(log.map((d) => `<${d.id}@baton>`).sort());
    const delivered = (await clientTimeline(db.db, clientId, { types: ['delivery.delivered'] })).filter((e) => (e.data as any).channel === 'email' && log.some((d) => d.id === (e.data as any).deliveryId));
    expect(delivered).toHaveLength(2);
  });

  it('queues email while the SMTP server is down and sends each once when it is back', async () => {
    await sink.stop();
    const ctaIds = [await openCta('Call about the outage report'), await openCta('Confirm the DR test date')];
    await eventually(async () => (await Promise.all(ctaIds.map(emailLog))).flat(), (l) => l.length === 2 && l.every((d) => d.state === 'retrying' && d.attempts >= 1));
    await sink.start();
    const log = await eventually(async () => (await Promise.all(ctaIds.map(emailLog))).flat(), (l) => l.length === 2 && l.every((d) => d.state === 'delivered'), 30_000);
    const received = sink.messages.filter((m) => ctaIds.some((id) => m.text?.includes(id)));
    expect(received.map((m) => m.messageId).sort()).toEqual(log.map((d) => `<${d.id}@baton>`).sort());
  });
});
