import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { createApiKey, ROLES, type Role } from '../../db/api-keys.js';
import { clientTimeline } from '../../db/ledger.js';
import { escalateCta } from '../../db/ctas.js';
import { createLogger } from '../../runtime/logger.js';
import { ensureAllCtaClocks } from '../../runtime/processes.js';
import { WorkflowNotFoundError } from '@temporalio/client';
import { ctaClockWorkflowId, ctaClocksStatus, ctaClocksWorkflowId } from '../../workflows/contracts.js';
import { createWorker } from '../../worker.js';
import { apiCaller, clientBody, eventually, freshDatabase, testTaskQueue } from '../support/harness.js';
import { testDataConverter, timeSkippingEnv, workflowBundle } from '../support/temporal.js';
import { openHistoryPayloads } from '../../runtime/payload-codec.js';

/**
 * CTAs (C-5, R-122) through the API with their durable first-action clock on the time-skipping
 * server: owner from the role assignment (else the named backup), escalation to the backup and
 * then the CS Lead when nobody acts, and no escalation once someone does.
 */
let env: TestWorkflowEnvironment;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let worker: Worker;
let running: Promise<void>;
const keys = {} as Record<Role, string>;
const taskQueue = testTaskQueue();
let call: (method: string, path: string, body?: unknown, role?: Role) => Promise<{ status: number; body: any }>;
const people: Record<string, string> = {};
let clientId: string;

beforeAll(async () => {
  [env, db] = await Promise.all([timeSkippingEnv(), freshDatabase()]);
  for (const role of ROLES) keys[role] = (await createApiKey(db.db, { name: `test ${role}`, role, createdBy: 'test' })).key;
  const app = createApp({ db: db.db, logger: createLogger('silent'), temporal: { client: env.client, namespace: 'default', taskQueue }, now: async () => new Date(await env.currentTimeMs()) });
  const api = apiCaller(app, keys);
  call = (method, path, body, role = 'ops') => api(method, path, { role, body });
  worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(), db: db.db, dataConverter: testDataConverter });
  running = worker.run();

  for (const [name, role] of [['Casey CSM', 'CSM'], ['Avery AM', 'AM'], ['Lee Lead', 'CS Lead'], ['Tori TAM', 'TAM']] as const) {
    people[role] = (await call('POST', '/v1/people', { name, email: `${role.replace(' ', '').toLowerCase()}@msp.example`, roles: [role] })).body.id;
  }
  clientId = (await call('POST', '/v1/clients', clientBody({ name: 'Escalation Co' }))).body.id;
  expect((await call('PUT', `/v1/clients/${clientId}/assignments/CSM`, { personId: people.CSM, backupPersonId: people.AM })).status).toBe(200);
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await db?.close();
});

const inDays = async (d: number) => new Date((await env.currentTimeMs()) + d * 86_400_000).toISOString();
/** `RECORD_HISTORIES=1` refreshes the replay fixtures (test/unit/replay.test.ts). */
async function record(workflowId: string, name: string) {
  if (!process.env.RECORD_HISTORIES) return;
  const history = await openHistoryPayloads(await env.client.workflow.getHandle(workflowId).fetchHistory(), testDataConverter.payloadCodecs![0]!);
  fs.writeFileSync(path.join(import.meta.dirname, `../fixtures/histories/${name}.json`), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
}
const events = async (type: string) => (await clientTimeline(db.db, clientId, { types: [type] }));

describe('CTAs', () => {
  it('escalates an unattended CTA to the backup at 72h, then to the CS Lead 72h later (R-122, C-5)', async () => {
    const opened = await call('POST', `/v1/clients/${clientId}/ctas`, { kind: 'access-chase', title: 'Chase missing tenant access', ruleId: 'R-49', ownerRole: 'CSM', dueAt: await inDays(10) });
    expect(opened.status).toBe(201);
    const cta = opened.body;
    expect(cta).toMatchObject({ ownerRole: 'CSM', ownerPersonId: people.CSM, backupPersonId: people.AM, state: 'open', escalationLevel: 'none', ruleId: 'R-49' });
    expect(Date.parse(cta.firstActionDueAt) - Date.parse(cta.createdAt)).toBe(72 * 3_600_000);
    const [openedEvent] = await events('cta.opened');
    expect(openedEvent).toMatchObject({ ruleId: 'R-49', data: { ctaId: cta.id, kind: 'access-chase', ownerRole: 'CSM', ownerId: people.CSM, dueAt: cta.dueAt }, why: { ownerResolvedVia: 'assignment', firstActionHours: 72 } });

    const clock = env.client.workflow.getHandle(ctaClocksWorkflowId(clientId));
    await env.sleep('73 hours');
    const atBackup = await eventually(() => call('GET', `/v1/ctas/${cta.id}`), (r) => r.body.escalationLevel === 'backup');
    expect(atBackup.body).toMatchObject({ state: 'escalated', ownerPersonId: people.AM, overdue: true });
    const [toBackup] = await events('cta.escalated');
    expect(toBackup).toMatchObject({ ruleId: 'R-122', actor: { kind: 'system' }, data: { ctaId: cta.id, level: 'backup', fromId: people.CSM, toId: people.AM } });
    expect(Date.parse(toBackup!.occurredAt)).toBe(Date.parse(cta.firstActionDueAt));

    await env.sleep('72 hours');
    const atLead = await eventually(() => call('GET', `/v1/ctas/${cta.id}`), (r) => r.body.escalationLevel === 'csLead');
    expect(atLead.body.ownerPersonId).toBe(people['CS Lead']);
    expect((await events('cta.escalated')).map((e) => [e.data.level, e.data.toId])).toEqual([['backup', people.AM], ['csLead', people['CS Lead']]]);
    // The client's clock keeper ended this clock after the last level, and waits for the client's next CTA.
    const status = await eventually(() => clock.query(ctaClocksStatus), (s) => s.running.length === 0);
    expect(status.finished).toEqual([expect.objectContaining({ ctaId: cta.id, step: 'exhausted', level: 'csLead' })]);
    expect((await clock.describe()).status.name).toBe('RUNNING');

    // A worker restart's reconcile gives every CTA still without a first action a clock again, this one
    // too: its new clock finds both levels reached and moves nothing back (no owner change, no event).
    const before = (await call('GET', `/v1/ctas/${cta.id}`)).body;
    expect(await ensureAllCtaClocks({ client: env.client, taskQueue }, db.db)).toBeGreaterThanOrEqual(1);
    await eventually(() => clock.query(ctaClocksStatus), (s) => s.running.length === 0 && s.finished.filter((f) => f.ctaId === cta.id).length === 2);
    expect((await call('GET', `/v1/ctas/${cta.id}`)).body).toEqual(before);
    expect(before).toMatchObject({ escalationLevel: 'csLead', ownerPersonId: people['CS Lead'], state: 'escalated' });
    expect((await events('cta.escalated')).map((e) => e.data.level)).toEqual(['backup', 'csLead']);
    // The database moves a CTA up the chain only: a clock asking for a level already passed changes nothing.
    const lower = await escalateCta(db.db, cta.id, 'backup', cta.firstActionDueAt, cta.firstActionDueAt);
    expect(lower).toMatchObject({ outcome: 'applied', row: { escalationLevel: 'csLead', ownerPersonId: people['CS Lead'], updatedAt: before.updatedAt } });

    const overdue = await call('GET', `/v1/ctas?overdue=true&clientId=${clientId}`, undefined, 'manager');
    expect(overdue.body.items.map((c: any) => c.id)).toContain(cta.id);
  });

  it('stops the clock at the first action; later steps are refused, not repeated', async () => {
    const cta = (await call('POST', `/v1/clients/${clientId}/ctas`, { kind: 'recap', title: 'Send kickoff recap', ruleId: 'R-29', ownerRole: 'CSM', dueAt: await inDays(2) })).body;
    await env.sleep('10 hours');
    const acted = await call('POST', `/v1/ctas/${cta.id}/first-action`, { note: 'Drafted the recap', personId: people.CSM }, 'automation');
    expect(acted.status).toBe(200);
    expect(acted.body).toMatchObject({ state: 'first_action', escalationLevel: 'none' });
    const keeper = env.client.workflow.getHandle(ctaClocksWorkflowId(clientId));
    await eventually(() => keeper.query(ctaClocksStatus), (s) => s.finished.some((f) => f.ctaId === cta.id && f.step === 'settled' && f.level === 'none'));
    // This client's keeper: the first test's CTA escalated twice, then this one settled at its first action.
    await record(keeper.workflowId, 'cta-clocks-escalated-then-settled');

    const again = await call('POST', `/v1/ctas/${cta.id}/first-action`, { note: 'Second try' }, 'automation');
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain('already recorded');

    await env.sleep('100 hours');
    const escalations = (await events('cta.escalated')).filter((e) => e.data.ctaId === cta.id);
    expect(escalations).toEqual([]);
    const [first] = (await events('cta.first_action')).filter((e) => e.data.ctaId === cta.id);
    expect(first).toMatchObject({ ruleId: 'C-5', why: { withinSla: true }, data: { note: 'Drafted the recap', byPersonId: people.CSM }, actor: { role: 'automation' } });

    expect((await call('POST', `/v1/ctas/${cta.id}/complete`, { note: 'Sent' })).body.state).toBe('done');
    expect((await call('POST', `/v1/ctas/${cta.id}/complete`, {})).status).toBe(409);
    expect((await call('POST', `/v1/ctas/${cta.id}/reassign`, { personId: people.TAM, reason: 'too late' })).status).toBe(409);
  });

  it("keeps a client's clocks in one workflow: one CTA's first action stops its clock, the other's still escalates (R-122, issue 17)", async () => {
    const client = (await call('POST', '/v1/clients', clientBody({ name: 'Two Clocks Co' }))).body.id;
    expect((await call('PUT', `/v1/clients/${client}/assignments/CSM`, { personId: people.CSM, backupPersonId: people.AM })).status).toBe(200);
    const open = async (title: string) => (await call('POST', `/v1/clients/${client}/ctas`, { kind: 'follow-up', title, ownerRole: 'CSM', dueAt: await inDays(10) })).body;
    const [acted, ignored] = [await open('Book the QBR room'), await open('Send the access form')];
    const keeper = env.client.workflow.getHandle(ctaClocksWorkflowId(client));
    const both = await eventually(() => keeper.query(ctaClocksStatus), (s) => s.running.length === 2);
    const firstRun = (await keeper.describe()).runId;
    expect(both.running.map((c) => [c.ctaId, c.level, c.deadline])).toEqual([[acted.id, 'none', acted.firstActionDueAt], [ignored.id, 'none', ignored.firstActionDueAt]]);
    // No workflow of its own per CTA any more.
    await expect(env.client.workflow.getHandle(ctaClockWorkflowId(acted.id)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    expect((await call('POST', `/v1/ctas/${acted.id}/first-action`, { note: 'Room booked', personId: people.CSM }, 'automation')).status).toBe(200);
    const one = await eventually(() => keeper.query(ctaClocksStatus), (s) => s.running.length === 1);
    expect(one.running[0]).toMatchObject({ ctaId: ignored.id, level: 'none' });
    expect(one.finished.at(-1)).toMatchObject({ ctaId: acted.id, step: 'settled', level: 'none' });

    await env.sleep('73 hours');
    const escalated = await eventually(() => keeper.query(ctaClocksStatus), (s) => s.running[0]?.level === 'backup');
    expect(escalated.running[0]!.deadline).toBe(new Date(Date.parse(ignored.firstActionDueAt) + 72 * 3_600_000).toISOString());
    const escalations = await clientTimeline(db.db, client, { types: ['cta.escalated'] });
    expect(escalations.map((e) => [e.data.ctaId, e.data.level])).toEqual([[ignored.id, 'backup']]);
    // Completing it ends the last clock; the keeper waits, and the client's next CTA gets its clock there.
    expect((await call('POST', `/v1/ctas/${ignored.id}/complete`, { note: 'Sent' })).status).toBe(200);
    await eventually(() => keeper.query(ctaClocksStatus), (s) => s.running.length === 0);
    const next = await open('Confirm the site visit');
    const again = await eventually(() => keeper.query(ctaClocksStatus), (s) => s.running.length === 1);
    expect(again.running[0]).toMatchObject({ ctaId: next.id, level: 'none', deadline: next.firstActionDueAt });
    expect((await keeper.describe()).runId).toBe(firstRun);
    expect((await call('POST', `/v1/ctas/${next.id}/complete`, {})).status).toBe(200);
    await eventually(() => keeper.query(ctaClocksStatus), (s) => s.running.length === 0);
    await record(keeper.workflowId, 'cta-clocks-two-ctas');
  });

  it('carries running clocks, with their levels and deadlines, across continue-as-new', async () => {
    const client = (await call('POST', '/v1/clients', clientBody({ name: 'Long History Co' }))).body.id;
    expect((await call('PUT', `/v1/clients/${client}/assignments/CSM`, { personId: people.CSM, backupPersonId: people.AM })).status).toBe(200);
    // The keeper as the first CTA would start it, with a run kept to a few events so it continues as new between CTAs.
    const keeper = await env.client.workflow.start('ctaClocks', { workflowId: ctaClocksWorkflowId(client), taskQueue, args: [{ scope: client, eventsPerRun: 8 }] });
    const opened = [];
    for (const title of ['One', 'Two', 'Three', 'Four']) {
      opened.push((await call('POST', `/v1/clients/${client}/ctas`, { kind: 'follow-up', title, ownerRole: 'CSM', dueAt: await inDays(10) })).body);
      await env.sleep('1 hour');
    }
    const all = await eventually(() => keeper.query(ctaClocksStatus), (s) => s.running.length === 4);
    expect((await keeper.describe()).runId).not.toBe(keeper.firstExecutionRunId);
    await env.sleep('73 hours');
    const escalated = await eventually(() => keeper.query(ctaClocksStatus), (s) => s.running.every((c) => c.level === 'backup'));
    expect(escalated.running.map((c) => [c.ctaId, c.deadline])).toEqual(all.running.map((c) => [c.ctaId, new Date(Date.parse(c.deadline) + 72 * 3_600_000).toISOString()]));
    expect((await clientTimeline(db.db, client, { types: ['cta.escalated'] })).map((e) => e.data.ctaId).sort()).toEqual(opened.map((c) => c.id).sort());
    for (const cta of opened) expect((await call('POST', `/v1/ctas/${cta.id}/complete`, {})).status).toBe(200);
    await eventually(() => keeper.query(ctaClocksStatus), (s) => s.running.length === 0);
  });

  it('falls back to the named backup when the assignee is inactive, and logs reassignments with a reason', async () => {
    expect((await call('PATCH', `/v1/people/${people.CSM}`, { active: false })).status).toBe(200);
    const cta = (await call('POST', `/v1/clients/${clientId}/ctas`, { kind: 'data-pull', title: 'Pull asset inventory', ownerRole: 'CSM', dueAt: await inDays(3) })).body;
    expect(cta).toMatchObject({ ownerPersonId: people.AM, backupPersonId: null, ruleId: 'manual' });
    const reassigned = await call('POST', `/v1/ctas/${cta.id}/reassign`, { personId: people.TAM, reason: 'TAM owns asset data' }, 'manager');
    expect(reassigned.body.ownerPersonId).toBe(people.TAM);
    const [event] = (await events('cta.reassigned')).filter((e) => e.data.ctaId === cta.id);
    expect(event).toMatchObject({ ruleId: 'R-122', data: { fromId: people.AM, toId: people.TAM, reason: 'TAM owns asset data' }, actor: { role: 'manager' } });
    expect((await call('POST', `/v1/ctas/${cta.id}/reassign`, { personId: people.TAM, reason: 'again' })).status).toBe(409);
    expect((await call('POST', `/v1/ctas/${cta.id}/first-action`, { note: 'x' }, 'automation')).status).toBe(400);
    expect((await call('POST', `/v1/ctas/${cta.id}/reassign`, { personId: people.TAM, reason: 'x' }, 'automation')).status).toBe(403);
  });

  it('gives a CTA for an unassigned role to the CS Lead until someone is assigned (R-122)', async () => {
    const cta = (await call('POST', `/v1/clients/${clientId}/ctas`, { kind: 'vciO-intro'.toLowerCase(), title: 'Introduce the vCIO', ownerRole: 'vCIO', dueAt: await inDays(5) })).body;
    expect(cta).toMatchObject({ ownerRole: 'vCIO', ownerPersonId: people['CS Lead'] });
    const [event] = (await events('cta.opened')).filter((e) => e.data.ctaId === cta.id);
    expect(event!.why).toMatchObject({ ownerResolvedVia: 'csLead' });
  });

  it('stamps registry writes with the API clock, so simulated time and the ledger agree', async () => {
    const simulated = await env.currentTimeMs();
    expect(simulated - Date.now()).toBeGreaterThan(7 * 86_400_000);
    const created = (await call('POST', '/v1/clients', clientBody({ name: 'Simulated Co' }))).body;
    expect(Math.abs(Date.parse(created.createdAt) - simulated)).toBeLessThan(60_000);
    const [registered] = await clientTimeline(db.db, created.id, { types: ['client.registered'] });
    expect(registered!.occurredAt).toBe(created.createdAt);
  });

  it('rejects unknown clients and CTAs, and filters lists', async () => {
    expect((await call('POST', '/v1/clients/00000000-0000-4000-8000-000000000000/ctas', { kind: 'x', title: 'Nothing', ownerRole: 'CSM', dueAt: await inDays(1) })).status).toBe(404);
    expect((await call('POST', '/v1/ctas/00000000-0000-4000-8000-000000000000/complete', {})).status).toBe(404);
    const mine = await call('GET', `/v1/ctas?ownerId=${people.TAM}`);
    expect(mine.body.items.every((c: any) => c.ownerPersonId === people.TAM)).toBe(true);
    expect(mine.body.items).toHaveLength(1);
    const done = await call('GET', `/v1/ctas?state=done&clientId=${clientId}`);
    expect(done.body.items).toHaveLength(1);
  });
});
