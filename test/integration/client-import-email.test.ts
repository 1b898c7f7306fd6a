import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { openHistoryPayloads } from '../../runtime/payload-codec.js';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { and, eq } from 'drizzle-orm';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { createApiKey, ROLES, type Role } from '../../db/api-keys.js';
import { clientTimeline } from '../../db/ledger.js';
import { publishPolicy } from '../../db/policies.js';
import { deliveries } from '../../db/schema.js';
import { createLogger } from '../../runtime/logger.js';
import { configureMailer } from '../../runtime/mailer.js';
import { ensureNotificationSchedule, startWorkflowStartDispatcher } from '../../runtime/processes.js';
import { INTEGRATION_KEY_ENV } from '../../runtime/secret-box.js';
import { cadenceWorkflowId, NOTIFICATION_SCHEDULE_ID, onboardingWorkflowId, type NotificationSweepResult } from '../../workflows/contracts.js';
import { createWorker } from '../../worker.js';
import { apiCaller, eventually, freshDatabase, testTaskQueue } from '../support/harness.js';
import { smtpSink } from '../support/smtp-sink.js';
import { testDataConverter, workflowBundle } from '../support/temporal.js';

/**
 * Issue 15 on the real Temporal dev server and PostgreSQL: importing existing clients from CSV
 * (dry run with per-row errors, idempotent by externalRef, each client started at the state it is
 * in without back-dated CTAs) and the email a person gets besides opened/escalated — "due soon"
 * reminders and the daily digest from the notification schedule, received by a real SMTP server
 * and parsed back, with the one-click unsubscribe (RFC 8058) that stops one category only.
 */
process.env[INTEGRATION_KEY_ENV] ??= randomBytes(32).toString('base64');

let db: Awaited<ReturnType<typeof freshDatabase>>;
let connection: Connection;
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let stopDispatcher: () => Promise<void>;
let call: ReturnType<typeof apiCaller>;
let app: ReturnType<typeof createApp>;
let client: Client;
let sink: Awaited<ReturnType<typeof smtpSink>>;
const taskQueue = testTaskQueue();
const PUBLIC_URL = 'https://baton.msp.example';

const POLICY = {
  integrations: {
    deliveryMaxAttempts: 6, retryInitialSeconds: 0.2, retryBackoffCoefficient: 2, retryMaxSeconds: 1, retryAfterMaxSeconds: 5, requestTimeoutSeconds: 5,
    // The digest is due from midnight (so at any hour the test runs); "due soon" is the next 24 h.
    digestLocalTime: '00:00', dueSoonHours: 24, importMaxRows: 10,
  },
};

beforeAll(async () => {
  db = await freshDatabase();
  expect((await publishPolicy(db.db, POLICY, 'test timings', { actor: { kind: 'system' }, at: new Date().toISOString() }, 'merge')).ok).toBe(true);
  const keys = {} as Record<Role, string>;
  for (const role of ROLES) keys[role] = (await createApiKey(db.db, { name: `test ${role}`, role, createdBy: 'test' })).key;
  sink = await smtpSink();
  configureMailer(sink.url, 'Baton <baton@msp.example>', PUBLIC_URL);
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection, dataConverter: testDataConverter });
  native = await NativeConnection.connect({ address: inject('temporalAddress') });
  worker = await createWorker({ connection: native, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(), db: db.db, dataConverter: testDataConverter });
  running = worker.run();
  const logger = createLogger('silent');
  app = createApp({ db: db.db, logger, temporal: { client, namespace: 'default', taskQueue } });
  call = apiCaller(app, keys);
  stopDispatcher = startWorkflowStartDispatcher({ client, taskQueue }, db.db, logger, 100);
});
afterAll(async () => {
  await client?.schedule.getHandle(NOTIFICATION_SCHEDULE_ID).delete().catch(() => undefined);
  configureMailer(undefined, undefined);
  await stopDispatcher?.();
  worker?.shutdown();
  await running;
  await sink?.stop();
  await native?.close();
  await connection?.close();
  await db?.close();
});

const HEADER = 'externalRef,name,mrr,maturity,appetite,timeZone,lifecycle,signedAt,onboardingStep,renewalDate,fiscalYearEnd';
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
/** A client past Day 90 (engagement), one mid-onboarding (Day 20, at step 3), one only registered. */
const GOOD = [
  `PSA-100,"Longtime Dental, LLC",15000,4,4,America/Chicago,engagement,,,${daysAgo(-40)},06-30`,
  `PSA-200,Fresh Logistics,8000,3,3,America/New_York,onboarding,${daysAgo(20)},3,,`,
  'PSA-300,Dormant Ltd,2000,2,2,UTC,none,,,,',
];
const importCsv = (rows: string[], dryRun = false) => call('POST', '/v1/clients/import', { body: { csv: [HEADER, ...rows].join('\n'), dryRun }, role: 'ops' });
const listClients = async () => (await call('GET', '/v1/clients?limit=100')).body.items as any[];

/** `RECORD_HISTORIES=1` writes the replay fixture of a run (test/unit/replay.test.ts), payloads opened as the other fixtures are. */
async function record(workflowId: string, name: string) {
  if (!process.env.RECORD_HISTORIES) return;
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  await openHistoryPayloads(history, testDataConverter.payloadCodecs![0]!);
  fs.writeFileSync(path.join(import.meta.dirname, `../fixtures/histories/${name}.json`), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
}

describe('CSV import of existing clients', () => {
  let importedAt: number;
  let byRef: Record<string, string>;

  it('answers a dry run with every problem by row and column, and writes nothing', async () => {
    const rows = [...GOOD, 'PSA-400,Broken Co,-5,7,3,Mars/Olympus,engagement,,,,', `PSA-500,Late Onboarding,100,3,3,UTC,onboarding,${daysAgo(200)},4,,`, 'PSA-100,Twice,1,3,3,UTC,none,,,,'];
    const dry = await importCsv(rows, true);
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, total: 6, created: 3, updated: 0, unchanged: 0 });
    expect(dry.body.errors).toEqual([
      { row: 5, column: 'mrr', message: 'must be ≥ 0' },
      { row: 5, column: 'maturity', message: 'must be 1–5' },
      { row: 5, column: 'timeZone', message: expect.stringContaining('IANA') },
      { row: 6, column: 'signedAt', message: expect.stringContaining('import the client as engagement') },
      { row: 7, column: 'externalRef', message: 'duplicate of row 2: each client once per file' },
    ]);
    expect(dry.body.rows.map((r: any) => [r.row, r.action, r.clientId])).toEqual([[2, 'create', null], [3, 'create', null], [4, 'create', null]]);
    // The same file for real: 422 with the same rows, and still nothing written.
    const real = await importCsv(rows);
    expect(real.status).toBe(422);
    expect(real.headers.get('content-type')).toContain('application/problem+json');
    expect(real.body.rowErrors).toEqual(dry.body.errors);
    expect(await listClients()).toEqual([]);
  });

  it('refuses a file over the policy\'s size limits with a clear problem', async () => {
    const many = await importCsv(Array.from({ length: 11 }, (_, i) => `R-${i},Name,1,3,3,UTC,none,,,,`));
    expect(many.status).toBe(422);
    expect(many.body.rowErrors[0].message).toContain('at most 10 per import (integrations.importMaxRows)');
    expect((await call('POST', '/v1/policy/versions', { body: { document: { integrations: { importMaxBytes: 1024 } }, note: 'tiny imports', mode: 'merge' } })).status).toBeLessThan(300);
    const big = await importCsv(Array.from({ length: 10 }, (_, i) => `R-${i},${'N'.repeat(150)},1,3,3,UTC,none,,,,`));
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ type: 'urn:baton:problem:payload-too-large', maxBytes: 1024 });
    expect((await call('POST', '/v1/policy/versions', { body: { document: { integrations: { importMaxBytes: 250_000 } }, note: 'back again', mode: 'merge' } })).status).toBeLessThan(300);
    expect((await call('POST', '/v1/clients/import', { body: { csv: `${HEADER}\nA,B,1,3,3,UTC,none,,,,` }, role: 'manager' })).status).toBe(403);
  });

  it('imports, and a re-import updates or leaves alone by externalRef, never duplicating', async () => {
    importedAt = Date.now();
    const first = await importCsv(GOOD);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ dryRun: false, total: 3, created: 3, updated: 0, unchanged: 0, errors: [] });
    expect(first.body.rows.map((r: any) => [r.externalRef, r.processes])).toEqual([
      ['PSA-100', { onboarding: 'none', cadence: 'running' }],
      ['PSA-200', { onboarding: 'started', cadence: 'none' }],
      ['PSA-300', { onboarding: 'none', cadence: 'none' }],
    ]);
    byRef = Object.fromEntries(first.body.rows.map((r: any) => [r.externalRef, r.clientId]));
    const again = await importCsv(GOOD);
    expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
    expect(again.body.rows.map((r: any) => [r.clientId, r.processes])).toEqual([
      [byRef['PSA-100'], { onboarding: 'none', cadence: 'running' }],
      [byRef['PSA-200'], { onboarding: 'running', cadence: 'none' }],
      [byRef['PSA-300'], { onboarding: 'none', cadence: 'none' }],
    ]);
    const changed = await importCsv([GOOD[0]!.replace(',15000,', ',16000,'), ...GOOD.slice(1)]);
    expect(changed.body).toMatchObject({ created: 0, updated: 1, unchanged: 2 });
    expect(changed.body.rows[0]).toMatchObject({ action: 'update', changes: ['mrr'], clientId: byRef['PSA-100'] });
    const clients = await listClients();
    expect(clients.map((c) => c.externalRef).sort()).toEqual(['PSA-100', 'PSA-200', 'PSA-300']);
    expect(clients.find((c) => c.externalRef === 'PSA-100')).toMatchObject({ name: 'Longtime Dental, LLC', mrr: 16000, fiscalYearEnd: '06-30' });
  });

  it('starts a mid-onboarding client at its step and a client past Day 90 on a cadence from today, with no back-dated CTA', async () => {
    const onboardingId = byRef['PSA-200']!;
    const status = await eventually(async () => (await call('GET', `/v1/clients/${onboardingId}/onboarding`)).body, (b) => b?.currentStep?.number === 3);
    expect(status.steps.slice(0, 3).map((s: any) => s.state)).toEqual(['done', 'done', 'done']);
    expect(status.gates[0].open).toBe(true);
    // Every deadline before the import is not judged; the ones ahead (Day 28 discovery on) wait as usual.
    for (const d of status.deadlines) {
      if (Date.parse(d.dueAt) <= importedAt) expect(d.status).toBe('skipped');
    }
    expect(status.deadlines.find((d: any) => d.key === 'discovery.checkpoint').status).toBe('pending');
    const cadence = await eventually(async () => (await call('GET', `/v1/clients/${byRef['PSA-100']}/cadence`)).body, (b) => b?.meetings?.length > 0);
    expect(cadence.meetings.every((m: any) => Date.parse(m.startsAt) >= importedAt)).toBe(true);
    for (const clientId of [onboardingId, byRef['PSA-100']!]) {
      const timeline = await clientTimeline(db.db, clientId, {});
      expect(timeline.filter((e) => e.type === 'deadline.missed')).toEqual([]);
      const ctas = (await call('GET', `/v1/ctas?clientId=${clientId}&limit=200`)).body.items as any[];
      expect(ctas.filter((c) => Date.parse(c.dueAt) < importedAt || c.overdue)).toEqual([]);
    }
    const onboardingEvents = await clientTimeline(db.db, onboardingId, { types: ['process.fact_recorded', 'step.completed'] });
    expect(onboardingEvents.map((e) => [e.type, (e.data as any).fact ?? (e.data as any).step])).toEqual([['process.fact_recorded', 'imported'], ['step.completed', 0], ['step.completed', 1], ['step.completed', 2]]);
    await record(onboardingWorkflowId(onboardingId), 'onboarding-imported-mid-life');
    expect((await client.workflow.getHandle(cadenceWorkflowId(byRef['PSA-300']!)).describe().catch(() => undefined))).toBeUndefined();
  });
});

/** A raw header's value as sent (mailparser folds the List-* headers into one `list` object). */
const header = (m: ParsedMail, key: string) => m.headerLines.find((h) => h.key === key)?.line.slice(key.length + 1).trim();
const unsubscribeLink = (m: ParsedMail) => /<(https:[^>]+)>/.exec(header(m, 'list-unsubscribe') ?? '')?.[1] ?? '';

describe('due-soon reminders, the daily digest and unsubscribe (SMTP)', () => {
  let dana: string;
  let clientId: string;
  const mailsTo = (subject: RegExp) => sink.messages.filter((m) => m.to && JSON.stringify(m.to).includes('dana@msp.example') && subject.test(m.subject ?? ''));
  const openCta = async (title: string, dueInHours: number) => {
    const res = await call('POST', `/v1/clients/${clientId}/ctas`, { body: { kind: 'follow-up', title, ownerRole: 'CSM', dueAt: new Date(Date.now() + dueInHours * 3_600_000).toISOString() } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  /** Runs the schedule now and answers what that sweep did. */
  const sweep = async (): Promise<NotificationSweepResult> => {
    const handle = client.schedule.getHandle(NOTIFICATION_SCHEDULE_ID);
    const before = (await handle.describe()).info.recentActions.length;
    await handle.trigger();
    const info = await eventually(async () => (await handle.describe()).info, (i) => i.recentActions.length > before, 15_000);
    const action = info.recentActions.at(-1)!.action;
    return client.workflow.getHandle(action.workflow.workflowId, action.workflow.firstExecutionRunId).result();
  };

  beforeAll(async () => {
    clientId = (await call('POST', '/v1/clients', { body: { name: 'Mail & Co', mrr: 9000, maturity: 3, appetite: 3, timeZone: 'UTC' } })).body.id;
    dana = (await call('POST', '/v1/people', { body: { name: 'Dana CSM', email: 'dana@msp.example', roles: ['CSM'] } })).body.id;
    expect((await call('PUT', `/v1/clients/${clientId}/assignments/CSM`, { body: { personId: dana } })).status).toBe(200);
    expect(await ensureNotificationSchedule({ client, taskQueue }, db.db)).toBe(NOTIFICATION_SCHEDULE_ID);
  });

  it('sends a due-soon reminder and one digest per person per day, HTML and text, with a one-click unsubscribe', async () => {
    const soon = await openCta('Call the sponsor <today>', 5);
    await openCta('Send the QBR deck', 24 * 6);
    const first = await sweep();
    expect(first.dueSoon).toBeGreaterThanOrEqual(1);
    expect(first.digests).toBeGreaterThanOrEqual(1);
    const [reminder] = await eventually(async () => mailsTo(/^Due soon/), (l) => l.length === 1);
    expect(reminder!.subject).toBe('Due soon — Mail & Co: Call the sponsor <today>');
    expect(reminder!.text).toContain(`CTA ${soon}`);
    expect(reminder!.html).toContain('Call the sponsor &lt;today&gt;');
    expect(header(reminder!, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(unsubscribeLink(reminder!)).toMatch(new RegExp(`^${PUBLIC_URL}/unsubscribe\\?token=u1\\.`));
    const [digest] = await eventually(async () => mailsTo(/^Your Baton digest/), (l) => l.length === 1);
    expect(digest!.subject).toMatch(/^Your Baton digest for \d{4}-\d{2}-\d{2}: 2 open CTAs$/);
    expect(digest!.text).toContain('[due soon] Mail & Co: Call the sponsor <today>');
    expect(digest!.html).toContain('Send the QBR deck');
    // The same day, a second sweep queues nothing new: one reminder per CTA and due instant, one digest per person and day.
    const second = await sweep();
    expect(second).toMatchObject({ dueSoon: 0, digests: 0 });
    const rows = await db.db.select().from(deliveries).where(and(eq(deliveries.channel, 'email'), eq(deliveries.eventType, 'email.digest')));
    expect(rows.filter((r) => (r.payload as any).personId === dana)).toHaveLength(1);
    await record(`${(await client.schedule.getHandle(NOTIFICATION_SCHEDULE_ID).describe()).info.recentActions.at(-1)!.action.workflow.workflowId}`, 'notification-sweep');
  });

  it('stops only the unsubscribed category: the one-click link without login, and the preferences API', async () => {
    const [reminder] = mailsTo(/^Due soon/);
    const link = new URL(unsubscribeLink(reminder!));
    const target = `${link.pathname}${link.search}`;
    // The footer's GET shows a page and changes nothing (mail scanners follow links); a forged token is a 404.
    const page = await app.request(target);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('"due soon" reminders');
    expect((await call('GET', `/v1/people/${dana}/email-preferences`)).body).toEqual({ opened: true, dueSoon: true, escalated: true, digest: true });
    const forged = await app.request(`/unsubscribe?token=${link.searchParams.get('token')!.replace(/.$/, 'A')}x`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(forged.status).toBe(404);
    const oneClick = await app.request(target, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(oneClick.status).toBe(200);
    expect((await call('GET', `/v1/people/${dana}/email-preferences`, { role: 'manager' })).body).toEqual({ opened: true, dueSoon: false, escalated: true, digest: true });

    // A new CTA due in 3 h: its "opened" email still comes; no reminder is queued for it.
    const cta = await openCta('Confirm the renewal call', 3);
    await eventually(async () => mailsTo(/^New CTA/).filter((m) => m.text?.includes(cta)), (l) => l.length === 1);
    expect((await sweep()).dueSoon).toBe(0);
    const reminders = await db.db.select().from(deliveries).where(eq(deliveries.eventType, 'cta.due_soon'));
    expect(reminders.filter((r) => (r.payload as any).ctaId === cta)).toEqual([]);

    const patched = await call('PATCH', `/v1/people/${dana}/email-preferences`, { body: { digest: false }, role: 'ops' });
    expect(patched.body).toEqual({ opened: true, dueSoon: false, escalated: true, digest: false });
    expect((await call('PATCH', `/v1/people/${dana}/email-preferences`, { body: {} })).status).toBe(400);
    expect((await call('PATCH', `/v1/people/${dana}/email-preferences`, { body: { digest: true }, role: 'manager' })).status).toBe(403);
    expect((await call('PATCH', `/v1/people/${randomUUID()}/email-preferences`, { body: { digest: true } })).status).toBe(404);
  });
});
