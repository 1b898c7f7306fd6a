import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientTimeline } from '../../db/ledger.js';
import { connectors, idempotencyRecords } from '../../db/schema.js';
import { autotaskMarker } from '../../domain/autotask.js';
import { openHistoryPayloads } from '../../runtime/payload-codec.js';
import { INTEGRATION_KEY_ENV } from '../../runtime/secret-box.js';
import { connectorPollerWorkflowId } from '../../workflows/contracts.js';
import { autotaskStub } from '../support/autotask-stub.js';
import { apiCaller, clientBody, eventually, fastDeliveryPolicy, openFollowUpCta, workerHarness, type WorkerHarness } from '../support/harness.js';
import { testDataConverter } from '../support/temporal.js';

/**
 * The Autotask connector (issue 15) on the real Temporal dev server and PostgreSQL, against a
 * contract stub of Autotask's REST API (auth headers, query paging, `{errors}` shapes, signed
 * webhook callouts; every request recorded): CTAs as tickets exactly once through a lost answer
 * and an outage, a misconfigured connector that blocks nothing else, signed callouts (forged →
 * 401, replay → once) that complete the CTA or record its first action, and CTAs as company
 * to-dos whose completion the durable poller finds.
 */
process.env[INTEGRATION_KEY_ENV] ??= randomBytes(32).toString('base64');

const CREDS = { apiIntegrationCode: 'TRACKINGID27CHARACTERSXXXXX', userName: 'baton-api@msp.example', secret: 'S3cret-9a8b7c', webhookSecret: 'hook-secret-0123456789' };
const POLICY = fastDeliveryPolicy({ pollIntervalSeconds: 1 });

let h: WorkerHarness;
let db: WorkerHarness['database'];
let client: Client;
let call: ReturnType<typeof apiCaller>;
let stub: Awaited<ReturnType<typeof autotaskStub>>;
let clientId: string;
let otherClientId: string;
let todoClientId: string;
let casey: string;
let connectorId: string;
let meetClientId: string;

beforeAll(async () => {
  h = await workerHarness({ policy: POLICY, policyNote: 'fast delivery retries and polls for the test' });
  db = h.database;
  call = h.call;
  client = h.client;
  stub = await autotaskStub({ ...CREDS, companies: [300, 301, 302], resources: [29682885, 29682886], pageSize: 2 });

  casey = (await call('POST', '/v1/people', { body: { name: 'Casey CSM', email: 'casey@msp.example', roles: ['CSM'] } })).body.id;
  clientId = (await call('POST', '/v1/clients', { body: clientBody({ name: 'Ticketed Co' }) })).body.id;
  otherClientId = (await call('POST', '/v1/clients', { body: clientBody({ name: 'Elsewhere Ltd' }) })).body.id;
  todoClientId = (await call('POST', '/v1/clients', { body: clientBody({ name: 'To-Do Inc' }) })).body.id;
  meetClientId = (await call('POST', '/v1/clients', { body: clientBody({ name: 'Meeting AT Co' }) })).body.id;
  for (const id of [clientId, otherClientId, todoClientId, meetClientId]) expect((await call('PUT', `/v1/clients/${id}/assignments/CSM`, { body: { personId: casey } })).status).toBe(200);
});
afterAll(async () => {
  await stub?.stop();
  await h?.close();
});

const openCta = (title: string, forClient = clientId) => openFollowUpCta(call, forClient, title);
const psaLog = async (id = connectorId) => (await call('GET', `/v1/deliveries?connector=psa:${id}`, { role: 'ops' })).body.items as any[];
const ticketsOf = (ctaId: string) => stub.tickets.filter((t) => t.externalID === autotaskMarker(ctaId));
const creates = (ctaId: string) => stub.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Tickets') && r.body?.externalID === autotaskMarker(ctaId));
const ticketOf = async (ctaId: string) => (await eventually(async () => ticketsOf(ctaId), (l) => l.length > 0))[0]!;
const postCallout = (cb: { body: string; signature?: string }, id = connectorId) =>
  call('POST', `/inbound/autotask/${id}`, { role: null, rawBody: cb.body, headers: cb.signature ? { 'x-hook-signature': cb.signature } : {} });
/** `RECORD_HISTORIES=1` writes the replay fixture of a run (test/unit/replay.test.ts), payloads opened as the other fixtures are. */
async function record(workflowId: string, name: string) {
  if (!process.env.RECORD_HISTORIES) return;
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  await openHistoryPayloads(history, testDataConverter.payloadCodecs![0]!);
  fs.writeFileSync(path.join(import.meta.dirname, `../fixtures/histories/${name}.json`), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
}
const ctaState = async (ctaId: string) => (await call('GET', `/v1/ctas/${ctaId}`, { role: 'ops' })).body;

describe('Autotask connector configuration (admin API)', () => {
  it('keeps the credentials sealed, validates each type\'s settings and mappings, and answers the inbound path', async () => {
    const body = {
      type: 'autotask', name: 'Autotask (prod)', baseUrl: stub.baseUrl, credentials: CREDS, settings: { queueId: 8 },
      mappings: { people: [{ personId: casey, resourceId: 29682885, roleId: 29683461 }], clients: [{ clientId, companyId: 300 }] },
    };
    const res = await call('POST', '/v1/connectors', { body, headers: { 'idempotency-key': 'at-1' } });
    expect(res.status).toBe(201);
    connectorId = res.body.id;
    expect(res.body).toMatchObject({ type: 'autotask', settings: { ctaAs: 'ticket', queueId: 8, priority: 2, newStatus: 1, completeStatus: 5 }, inboundPath: `/inbound/autotask/${connectorId}`, active: true });
    for (const shown of [res.body, (await call('GET', `/v1/connectors/${connectorId}`, { role: 'ops' })).body, (await call('GET', '/v1/connectors')).body]) {
      for (const secret of [CREDS.secret, CREDS.webhookSecret, CREDS.apiIntegrationCode]) expect(JSON.stringify(shown)).not.toContain(secret);
    }
    const [row] = await db.db.select().from(connectors).where(eq(connectors.id, connectorId));
    expect(row!.credentialsSealed).not.toContain(CREDS.secret);
    expect(JSON.stringify(await db.db.select().from(idempotencyRecords))).not.toContain(CREDS.secret);
    expect((await call('POST', '/v1/connectors', { body, headers: { 'idempotency-key': 'at-1' } })).body.id).toBe(connectorId);

    for (const bad of [{ ...body, credentials: { ...CREDS, webhookSecret: 'short' } }, { ...body, settings: { boardId: 7 } }, { ...body, settings: { ctaAs: 'email' } },
      { ...body, mappings: { people: [{ personId: casey, member: 'ccsm' }], clients: [] } }, { ...body, credentials: { companyId: 'x', publicKey: 'y', privateKey: 'z', clientId: 'w' } }]) {
      const r = await call('POST', '/v1/connectors', { body: bad });
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
    }
    // A PATCH is checked against the connector's own type: ConnectWise settings on an Autotask connector are refused.
    const wrong = await call('PATCH', `/v1/connectors/${connectorId}`, { body: { settings: { boardId: 7 } } });
    expect(wrong.status).toBe(422);
    expect(wrong.body.errors[0].path).toMatch(/^settings/);
    expect((await call('POST', '/v1/connectors', { role: 'ops', body })).status).toBe(403);
  });
});

describe('CTAs as Autotask tickets', () => {
  it('creates exactly one ticket even when Autotask created it but the answer was lost, and completes it when the CTA is done', async () => {
    stub.fail('POST', '/V1.0/Tickets', { status: 500, afterWrite: true });
    const ctaId = await openCta('Review the backup report');
    const [d] = await eventually(() => psaLog(), (l) => l.length === 1 && l[0].state === 'delivered');
    expect(d).toMatchObject({ channel: 'psa', eventType: 'cta.opened', attempts: 2, clientId });
    expect(ticketsOf(ctaId)).toHaveLength(1);
    expect(creates(ctaId)).toHaveLength(1);
    const ticket = ticketsOf(ctaId)[0]!;
    expect(ticket).toMatchObject({ title: 'Review the backup report', companyID: 300, status: 1, priority: 2, queueID: 8, assignedResourceID: 29682885, assignedResourceRoleID: 29683461 });
    expect(ticket.description).toContain(ctaId);
    // The lookup before the retry was Autotask's query with a filter on externalID, authenticated by its three headers.
    expect(stub.requests.some((r) => r.method === 'POST' && r.path.endsWith('/Tickets/query') && r.body?.filter?.[0]?.field === 'externalID' && r.body.filter[0].value === autotaskMarker(ctaId))).toBe(true);

    expect((await call('POST', `/v1/ctas/${ctaId}/complete`, { body: { note: 'done in Baton' } })).status).toBe(200);
    await eventually(async () => ticketsOf(ctaId)[0]!.status, (s) => s === 5);
    await eventually(() => psaLog(), (l) => l.length === 2 && l.every((x) => x.state === 'delivered'));
    expect(stub.requests.filter((r) => r.method === 'PATCH' && r.body?.id === ticket.id)).toHaveLength(1);
  });

  it('queues through an Autotask outage and drains on recovery with no duplicate ticket', async () => {
    await stub.stop();
    const during = [await openCta('Chase the renewal quote'), await openCta('Book the QBR')];
    await eventually(() => psaLog(), (l) => l.filter((d) => d.state === 'retrying' && d.attempts >= 1).length === 2);
    const status = await eventually(async () => (await call('GET', `/v1/connectors/${connectorId}`, { role: 'ops' })).body.status, (s) => s.breaker.state === 'open');
    expect(status.lastError).toMatch(/Autotask unreachable/);
    await stub.start();
    await eventually(() => psaLog(), (l) => l.every((d) => d.state === 'delivered'), 30_000);
    for (const ctaId of during) {
      expect(ticketsOf(ctaId)).toHaveLength(1);
      expect(creates(ctaId)).toHaveLength(1);
    }
    const markers = stub.tickets.map((t) => t.externalID);
    expect(new Set(markers).size).toBe(markers.length);
  });

  it('shows a misconfigured connector\'s error on its status and blocks nothing else', async () => {
    const bad = await call('POST', '/v1/connectors', {
      body: { type: 'autotask', name: 'Wrong secret', baseUrl: stub.baseUrl, credentials: { ...CREDS, secret: 'stale-secret' }, mappings: { people: [], clients: [{ clientId: otherClientId, companyId: 301 }] } },
    });
    expect(bad.status).toBe(201);
    await openCta('Goes to the broken connector', otherClientId);
    const good = await openCta('Goes to the working connector');
    const status = await eventually(async () => (await call('GET', `/v1/connectors/${bad.body.id}`, { role: 'manager' })).body.status, (s) => s.lastError !== null);
    // The delivery's lookup or the poller's query, whichever asked first.
    expect(status.lastError).toMatch(/^Autotask refused the connector's credentials \(401\) on POST \/(Tickets|CompanyToDos)\/query: User authentication failed/);
    expect(status.lastError).not.toContain('stale-secret');
    await ticketOf(good);
    expect((await call('PATCH', `/v1/connectors/${bad.body.id}`, { body: { credentials: CREDS } })).status).toBe(200);
    await eventually(() => psaLog(bad.body.id), (l) => l.length === 1 && l[0].state === 'delivered', 30_000);
    expect(stub.tickets.filter((t) => t.companyID === 301)).toHaveLength(1);
    expect((await call('GET', `/v1/connectors/${bad.body.id}`, { role: 'manager' })).body.status.breaker).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    expect((await call('PATCH', `/v1/connectors/${bad.body.id}`, { body: { active: false } })).body.active).toBe(false);
  });
});

describe('Autotask webhook callouts (inbound)', () => {
  it('refuses unsigned and forged callouts with 401 and changes nothing', async () => {
    const ctaId = await openCta('Callout target');
    const ticket = await ticketOf(ctaId);
    const signed = stub.ticketCallout({ ...ticket }, { status: 5 });
    const cases = [
      { body: signed.body },
      stub.ticketCallout({ ...ticket }, { status: 5 }, 'not-the-secret-key'),
      { body: signed.body.replace('"Update"', '"Create"'), signature: signed.signature },
      { body: signed.body, signature: signed.signature.replace('sha1=', 'sha256=') },
    ];
    for (const cb of cases) {
      const res = await postCallout(cb);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(await ctaState(ctaId)).toMatchObject({ state: 'open', firstActionAt: null });
    expect((await postCallout(signed, crypto.randomUUID())).status).toBe(404);
  });

  it('records the first action from a note and completes the CTA from the status, a replay acknowledged once', async () => {
    const ctaId = await openCta('Worked in Autotask');
    const ticket = await ticketOf(ctaId);
    await eventually(() => psaLog(), (l) => l.every((d) => d.state === 'delivered'));
    const note = stub.noteCallout(ticket.id);
    expect(await postCallout(note)).toMatchObject({ status: 200, body: { received: true, duplicate: false, outcome: 'firstAction' } });
    expect(await ctaState(ctaId)).toMatchObject({ state: 'first_action' });
    const done = stub.ticketCallout(ticket, { status: 5 });
    expect(await postCallout(done)).toMatchObject({ status: 200, body: { duplicate: false, outcome: 'complete' } });
    expect(await postCallout(done)).toMatchObject({ status: 200, body: { duplicate: true, outcome: 'already-received' } });
    expect(await postCallout(note)).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(await ctaState(ctaId)).toMatchObject({ state: 'done' });
    const events = (await clientTimeline(db.db, clientId, { types: ['cta.completed', 'cta.first_action'] })).filter((e) => (e.data as any).ctaId === ctaId);
    expect(events.map((e) => [e.type, e.actor])).toEqual(expect.arrayContaining([
      ['cta.first_action', { kind: 'system', id: `psa:${connectorId}`, name: 'Autotask: Autotask (prod)' }],
      ['cta.completed', { kind: 'system', id: `psa:${connectorId}`, name: 'Autotask: Autotask (prod)' }],
    ]));
    expect(events).toHaveLength(2);
    // The completion came from Autotask: nothing is sent back.
    expect((await psaLog()).filter((d) => d.eventType === 'cta.completed').length).toBe(1);

    // A status change out of New counts as the first action too.
    const other = await openCta('Taken by a technician');
    const t2 = await ticketOf(other);
    expect(await postCallout(stub.ticketCallout(t2, { status: 8 }))).toMatchObject({ status: 200, body: { outcome: 'firstAction' } });
    expect(await postCallout(stub.ticketCallout({ ...t2, id: 999_999 }, { status: 5 }))).toMatchObject({ status: 200, body: { outcome: 'not-a-baton-ticket' } });
  });
});

describe('CTAs as company to-dos, completed through the poller', () => {
  it('creates one to-do per CTA and completes the CTA when the to-do is completed in Autotask (paged query)', async () => {
    const res = await call('POST', '/v1/connectors', {
      body: { type: 'autotask', name: 'Autotask to-dos', baseUrl: stub.baseUrl, credentials: CREDS, settings: { ctaAs: 'toDo', toDoActionType: 3 },
        mappings: { people: [{ personId: casey, resourceId: 29682886, roleId: 29683461 }], clients: [{ clientId: todoClientId, companyId: 302 }] } },
    });
    expect(res.status).toBe(201);
    const todoConnector = res.body.id;
    stub.fail('POST', '/Companies/302/ToDos', { status: 503, afterWrite: true });
    const ids = [await openCta('Call the sponsor', todoClientId), await openCta('Send the recap', todoClientId), await openCta('Check the backups', todoClientId)];
    await eventually(() => psaLog(todoConnector), (l) => l.length === 3 && l.every((d) => d.state === 'delivered'), 30_000);
    const todos = ids.map((id) => stub.toDos.filter((t) => t.activityDescription.includes(`[${autotaskMarker(id)}]`)));
    expect(todos.map((l) => l.length)).toEqual([1, 1, 1]);
    expect(todos[0]![0]).toMatchObject({ companyID: 302, actionType: 3, assignedToResourceID: 29682886 });

    for (const [t] of todos) stub.completeToDo(t!);
    for (const id of ids) await eventually(() => ctaState(id), (s) => s.state === 'done', 30_000);
    const completed = (await clientTimeline(db.db, todoClientId, { types: ['cta.completed'] }));
    expect(completed).toHaveLength(3);
    expect(completed[0]!.actor).toMatchObject({ id: `psa:${todoConnector}` });
    // Three completed to-dos with pages of two: the poller followed nextPageUrl.
    expect(stub.requests.some((r) => r.method === 'GET' && r.path.endsWith('/query/next'))).toBe(true);
    // Completions polled again are not applied twice; nothing is sent back to Autotask.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await clientTimeline(db.db, todoClientId, { types: ['cta.completed'] })).toHaveLength(3);
    expect((await psaLog(todoConnector)).filter((d) => d.eventType === 'cta.completed')).toHaveLength(0);
    expect(stub.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/ToDos'))).toHaveLength(0);

    // Deactivating the connector ends its poller (at its next poll); re-activating starts it again.
    expect((await call('PATCH', `/v1/connectors/${todoConnector}`, { body: { active: false } })).status).toBe(200);
    expect(await client.workflow.getHandle(connectorPollerWorkflowId(todoConnector)).result()).toEqual({ connectorId: todoConnector, outcome: 'stopped' });
    await record(connectorPollerWorkflowId(todoConnector), 'connector-poller-todos');
    expect((await call('PATCH', `/v1/connectors/${todoConnector}`, { body: { active: true } })).status).toBe(200);
    await eventually(async () => (await client.workflow.getHandle(connectorPollerWorkflowId(todoConnector)).describe()).status.name, (s) => s === 'RUNNING');
  });
});

describe('Meetings as Autotask appointments', () => {
  let meetConnector: string;
  type Booked = { meetingId: string; startsAt: string; endsAt: string; kind: string };
  let booked: Booked[] = [];
  const apptOf = (meetingId: string) => stub.appointments.filter((a) => a.description?.includes(`[baton:meeting:${meetingId}]`));
  const DAY = 86_400_000;
  const future = () => booked.filter((m) => Date.parse(m.startsAt) > Date.now() + 3 * DAY);

  it('books one appointment per booked meeting even after a lost answer, then follows a move and a cancel', async () => {
    const res = await call('POST', '/v1/connectors', {
      body: { type: 'autotask', name: 'Autotask meetings', baseUrl: stub.baseUrl, credentials: CREDS, settings: { appointmentResourceId: 29682885 },
        mappings: { people: [{ personId: casey, resourceId: 29682886, roleId: 29683461 }], clients: [{ clientId: meetClientId, companyId: 301 }] } },
    });
    expect(res.status).toBe(201);
    meetConnector = res.body.id;
    stub.fail('POST', '/V1.0/Appointments', { status: 500, afterWrite: true });
    expect((await call('POST', `/v1/clients/${meetClientId}/cadence`, { body: {} })).status).toBe(201);
    let events: Awaited<ReturnType<typeof clientTimeline>> = [];
    const settled = async () => {
      events = await clientTimeline(db.db, meetClientId, { types: ['meeting.scheduled'] });
      const log = (await call('GET', `/v1/deliveries?connector=psa:${meetConnector}&clientId=${meetClientId}&limit=100`, { role: 'ops' })).body.items.filter((d: any) => d.eventType === 'meeting.scheduled') as any[];
      const ids = events.map((e) => (e.data as Booked).meetingId);
      return { n: ids.length, withAppt: ids.filter((id) => apptOf(id).length > 0).length, delivered: log.length === ids.length && log.every((d) => d.state === 'delivered') };
    };
    await eventually(settled, (x) => x.n > 0 && x.withAppt === x.n && x.delivered, 60_000);
    await new Promise((r) => setTimeout(r, 1000));
    await eventually(settled, (x) => x.n > 0 && x.withAppt === x.n && x.delivered, 60_000);
    booked = events.map((e) => e.data as Booked).sort((a, b) => a.startsAt.localeCompare(b.startsAt));
    // Exactly one appointment and one create per meeting: the retry after the lost answer found it by its marker.
    for (const m of booked) {
      expect(apptOf(m.meetingId)).toHaveLength(1);
      expect(stub.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Appointments') && r.body?.description?.includes(`[baton:meeting:${m.meetingId}]`))).toHaveLength(1);
    }
    expect(stub.requests.some((r) => r.method === 'POST' && r.path.endsWith('/Appointments/query') && r.body?.filter?.[0]?.op === 'contains' && r.body.filter[0].field === 'description')).toBe(true);
    expect(future().length).toBeGreaterThanOrEqual(4);
    const [target, other] = future();
    const appt = apptOf(target!.meetingId)[0]!;
    expect(Date.parse(appt.startDateTime)).toBe(Date.parse(target!.startsAt));
    expect(Date.parse(appt.endDateTime)).toBe(Date.parse(target!.endsAt));
    // The Accountable's resource when mapped (the CSM), else the connector's appointmentResourceId (an unassigned TAM meeting).
    const accountable = async (meetingId: string) => ((await clientTimeline(db.db, meetClientId, { types: ['meeting.scheduled'] })).find((e) => (e.data as Booked).meetingId === meetingId)!.why as any).accountable?.personId;
    for (const m of booked.slice(0, 6)) expect(apptOf(m.meetingId)[0]!.resourceID).toBe((await accountable(m.meetingId)) === casey ? 29682886 : 29682885);
    expect(appt.title).toContain('Meeting AT Co');

    // Moved in Baton (agreed ≥ 24 h ahead) → PATCH with the meeting's times.
    const newStart = new Date(Date.parse(target!.startsAt) + DAY).toISOString();
    const newEnd = new Date(Date.parse(target!.endsAt) + DAY).toISOString();
    const moved = await call('POST', `/v1/clients/${meetClientId}/cadence/meetings/${target!.meetingId}/rescheduled`, { role: 'automation', body: { newStartsAt: newStart, newEndsAt: newEnd } });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    await eventually(async () => Date.parse(apptOf(target!.meetingId)[0]?.startDateTime ?? ''), (t) => t === Date.parse(newStart), 30_000);
    expect(Date.parse(apptOf(target!.meetingId)[0]!.endDateTime)).toBe(Date.parse(newEnd));
    expect(stub.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/Appointments') && r.body?.id === appt.id)).toHaveLength(1);

    // Cancelled in Baton → DELETE.
    const otherAppt = apptOf(other!.meetingId)[0]!;
    expect((await call('POST', `/v1/clients/${meetClientId}/cadence/meetings/${other!.meetingId}/cancelled`, { role: 'automation', body: { reason: 'the client asked' } })).status).toBe(200);
    await eventually(async () => stub.deletedAppointments.some((a) => a.id === otherAppt.id), (x) => x, 30_000);
    expect(stub.appointments.some((a) => a.id === otherAppt.id)).toBe(false);
    await eventually(() => psaLog(meetConnector), (l) => l.every((d) => d.state === 'delivered'), 30_000);
    // Baton's own move and cancel, seen by the poller, are not reported back as the vendor's.
    await new Promise((r) => setTimeout(r, 2_500));
    const mine = (await clientTimeline(db.db, meetClientId, { types: ['meeting.moved', 'meeting.cancelled'] })).filter((e) => (e.actor as any)?.id === `psa:${meetConnector}`);
    expect(mine).toEqual([]);
  });

  it('reports an appointment moved or deleted in Autotask to the cadence once, however often it is polled', async () => {
    const done = new Set((await clientTimeline(db.db, meetClientId, { types: ['meeting.moved', 'meeting.cancelled'] })).map((e) => (e.data as any).meetingId));
    const [movedM, deletedM] = future().filter((m) => !done.has(m.meetingId));
    const movedAppt = apptOf(movedM!.meetingId)[0]!;
    const deletedAppt = apptOf(deletedM!.meetingId)[0]!;
    const newStart = new Date(Date.parse(movedM!.startsAt) + 2 * DAY).toISOString();
    const newEnd = new Date(Date.parse(movedM!.endsAt) + 2 * DAY).toISOString();
    const requestsBefore = stub.requests.length;
    stub.moveAppointment(movedAppt, newStart.replace('.000Z', 'Z'), newEnd.replace('.000Z', 'Z'));
    stub.deleteAppointment(deletedAppt);
    const byVendor = async () => (await clientTimeline(db.db, meetClientId, { types: ['meeting.moved', 'meeting.cancelled'] })).filter((e) => (e.actor as any)?.id === `psa:${meetConnector}`);
    await eventually(byVendor, (l) => l.length === 2, 30_000);
    // Polled again (interval 1 s): still one report each.
    await new Promise((r) => setTimeout(r, 3_000));
    const reports = await byVendor();
    expect(reports.map((e) => [e.type, (e.data as any).meetingId]).sort()).toEqual([['meeting.cancelled', deletedM!.meetingId], ['meeting.moved', movedM!.meetingId]].sort());
    const move = reports.find((e) => e.type === 'meeting.moved')!;
    expect(Date.parse((move.data as any).startsAt)).toBe(Date.parse(newStart));
    expect(Date.parse((move.data as any).endsAt)).toBe(Date.parse(newEnd));
    expect(reports[0]!.actor).toMatchObject({ kind: 'system', name: 'Autotask: Autotask meetings' });
    // The poller read the linked appointments by id, authenticated, each poll.
    expect(stub.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Appointments/query') && r.body?.filter?.[0]?.op === 'in').length).toBeGreaterThan(2);
    // Nothing is sent back: a move or cancel the connector itself reported is not queued for it (db/appointments.ts), and nothing is re-created.
    await eventually(() => psaLog(meetConnector), (l) => l.every((d) => d.state === 'delivered'), 30_000);
    expect(Date.parse(stub.appointments.find((a) => a.id === movedAppt.id)!.startDateTime)).toBe(Date.parse(newStart));
    expect(apptOf(deletedM!.meetingId)).toHaveLength(0);
    expect(stub.requests.slice(requestsBefore).filter((r) => (r.method === 'PATCH' || r.method === 'DELETE') && [movedAppt.id, deletedAppt.id].some((id) => r.path.endsWith(`/Appointments/${id}`) || JSON.stringify(r.body ?? {}).includes(`"id":${id}`)))).toEqual([]);
  });
});
