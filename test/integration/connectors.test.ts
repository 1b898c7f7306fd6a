import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientTimeline } from '../../db/ledger.js';
import { connectors, deliveries, idempotencyRecords, meetings } from '../../db/schema.js';
import { cwDate, ticketXRef } from '../../domain/connectwise.js';
import { INTEGRATION_KEY_ENV } from '../../runtime/secret-box.js';
import { connectWiseStub, type StubScheduleEntry, type StubTicket } from '../support/connectwise-stub.js';
import { apiCaller, clientBody, eventually, fastDeliveryPolicy, openFollowUpCta, workerHarness, type WorkerHarness } from '../support/harness.js';

/**
 * The ConnectWise PSA connector (issue 15) on the real Temporal dev server and PostgreSQL, against
 * a contract stub of ConnectWise's REST API that enforces its auth headers, paging, error shapes
 * and callback signatures and records every request: per-tenant configuration with sealed
 * credentials, CTAs as tickets exactly once through lost answers and an outage, a misconfigured
 * connector that blocks nothing else, and signed callbacks (forged → 401, replay → once) that
 * complete the CTA or record its first action as the API would; booked meetings as schedule entries
 * exactly once through a lost answer, moved and cancelled with the meeting, and schedule callbacks
 * that report the meeting held, moved or cancelled as the API would.
 */
process.env[INTEGRATION_KEY_ENV] ??= randomBytes(32).toString('base64');

const CREDS = { companyId: 'msp', publicKey: 'pubKEY123', privateKey: 'privSECRET-4f1c9', clientId: '11111111-2222-3333-4444-555555555555' };
const POLICY = fastDeliveryPolicy();

let h: WorkerHarness;
let db: WorkerHarness['database'];
let call: ReturnType<typeof apiCaller>;
let stub: Awaited<ReturnType<typeof connectWiseStub>>;
let clientId: string;
let otherClientId: string;
let casey: string;
let connectorId: string;

beforeAll(async () => {
  h = await workerHarness({ policy: POLICY, policyNote: 'fast delivery retries for the test' });
  db = h.database;
  call = h.call;
  stub = await connectWiseStub({ ...CREDS, companies: [250, 251], members: ['ccsm', 'aam'], boards: [7] });

  casey = (await call('POST', '/v1/people', { body: { name: 'Casey CSM', email: 'casey@msp.example', roles: ['CSM'] } })).body.id;
  clientId = (await call('POST', '/v1/clients', { body: clientBody({ name: 'Ticketed Co' }) })).body.id;
  otherClientId = (await call('POST', '/v1/clients', { body: clientBody({ name: 'Elsewhere Ltd' }) })).body.id;
  for (const id of [clientId, otherClientId]) expect((await call('PUT', `/v1/clients/${id}/assignments/CSM`, { body: { personId: casey } })).status).toBe(200);
});
afterAll(async () => {
  await stub?.stop();
  await h?.close();
});

const openCta = (title: string, forClient = clientId) => openFollowUpCta(call, forClient, title);
const psaLog = async (id = connectorId) => (await call('GET', `/v1/deliveries?connector=psa:${id}`, { role: 'ops' })).body.items as any[];
const ticketsOf = (ctaId: string) => stub.tickets.filter((t) => t.externalXRef === ticketXRef(ctaId));
const creates = (ctaId: string) => stub.requests.filter((r) => r.method === 'POST' && r.body?.externalXRef === ticketXRef(ctaId));
const ticketOf = async (ctaId: string) => (await eventually(async () => ticketsOf(ctaId), (l) => l.length > 0))[0]!;
const postCallback = (cb: { body: string; signature?: string }, id = connectorId) =>
  call('POST', `/inbound/connectwise/${id}`, { role: null, rawBody: cb.body, headers: cb.signature ? { 'x-content-signature': cb.signature } : {} });

describe('connector configuration (admin API)', () => {
  it('keeps the credentials sealed and never returns them; refuses unknown mappings, bad input and non-admins', async () => {
    const body = {
      type: 'connectwise', name: 'ConnectWise (prod)', baseUrl: stub.baseUrl, credentials: CREDS, settings: { boardId: 7 },
      mappings: { people: [{ personId: casey, member: 'ccsm' }], clients: [{ clientId, companyId: 250 }] },
    };
    const res = await call('POST', '/v1/connectors', { body, headers: { 'idempotency-key': 'cw-1' } });
    expect(res.status).toBe(201);
    connectorId = res.body.id;
    expect(res.body).toMatchObject({ type: 'connectwise', settings: { boardId: 7, newStatus: 'New', closedStatus: 'Closed' }, inboundPath: `/inbound/connectwise/${connectorId}`, active: true });
    for (const shown of [res.body, (await call('GET', `/v1/connectors/${connectorId}`, { role: 'ops' })).body, (await call('GET', '/v1/connectors')).body]) {
      expect(JSON.stringify(shown)).not.toContain(CREDS.privateKey);
      expect(JSON.stringify(shown)).not.toContain(CREDS.publicKey);
    }
    const [row] = await db.db.select().from(connectors).where(eq(connectors.id, connectorId));
    expect(row!.credentialsSealed).not.toContain(CREDS.privateKey);
    expect(JSON.stringify(await db.db.select().from(idempotencyRecords))).not.toContain(CREDS.privateKey);
    // A retry with the same Idempotency-Key is the same connector.
    expect((await call('POST', '/v1/connectors', { body, headers: { 'idempotency-key': 'cw-1' } })).body.id).toBe(connectorId);

    const unknown = await call('POST', '/v1/connectors', { body: { ...body, mappings: { people: [], clients: [{ clientId: crypto.randomUUID(), companyId: 1 }] } } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0].path).toBe('mappings.clients.0.clientId');
    for (const bad of [{ ...body, type: 'autotask' }, { ...body, baseUrl: 'ftp://x' }, { ...body, credentials: { ...CREDS, privateKey: '' } }, { ...body, settings: { boardId: -1 } },
      { ...body, mappings: { people: [], clients: [{ clientId, companyId: 1 }, { clientId, companyId: 2 }] } }, { ...body, extra: 1 }]) {
      const r = await call('POST', '/v1/connectors', { body: bad });
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
    }
    for (const role of ['ops', 'manager', 'automation'] as const) expect((await call('POST', '/v1/connectors', { role, body })).status).toBe(403);
    expect((await call('GET', '/v1/connectors/' + connectorId, { role: 'automation' })).status).toBe(403);
    expect((await call('GET', `/v1/connectors/${crypto.randomUUID()}`)).status).toBe(404);
  });
});

describe('CTAs as ConnectWise tickets', () => {
  it('creates exactly one ticket even when ConnectWise created it but the answer was lost, and closes it when the CTA is done', async () => {
    // The first create is carried out by ConnectWise, then answered 503: Baton retries, finds the ticket by externalXRef, creates none.
    stub.fail('POST', '/service/tickets', { status: 503, afterWrite: true });
    const ctaId = await openCta('Review the <backup> report');
    const [d] = await eventually(() => psaLog(), (l) => l.length === 1 && l[0].state === 'delivered');
    expect(d).toMatchObject({ channel: 'psa', eventType: 'cta.opened', attempts: 2, clientId });
    expect(ticketsOf(ctaId)).toHaveLength(1);
    expect(creates(ctaId)).toHaveLength(1);
    const ticket = ticketsOf(ctaId)[0]!;
    expect(ticket).toMatchObject({ summary: 'Review the <backup> report', board: { id: 7 }, company: { id: 250 }, owner: { identifier: 'ccsm' }, status: { name: 'New' } });
    expect(ticket.initialDescription).toContain(ctaId);
    // The lookup went through ConnectWise's conditions query, authenticated as its docs require.
    expect(stub.requests.some((r) => r.method === 'GET' && r.query.get('conditions') === `externalXRef="${ticketXRef(ctaId)}"`)).toBe(true);

    expect((await call('POST', `/v1/ctas/${ctaId}/complete`, { body: { note: 'done in Baton' } })).status).toBe(200);
    await eventually(async () => ticketsOf(ctaId)[0]!.status.name, (s) => s === 'Closed');
    const log = await eventually(() => psaLog(), (l) => l.length === 2 && l.every((x) => x.state === 'delivered'));
    expect(log.map((x) => x.eventType).sort()).toEqual(['cta.completed', 'cta.opened']);
    expect(stub.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/service/tickets/${ticket.id}`))).toHaveLength(1);
    const delivered = (await clientTimeline(db.db, clientId, { types: ['delivery.delivered'] })).filter((e) => (e.data as any).channel === 'psa');
    expect(delivered).toHaveLength(2);
  });

  it('gives the ticket to the new owner when the CTA is reassigned (R-122), once the person is mapped', async () => {
    const avery = (await call('POST', '/v1/people', { body: { name: 'Avery AM', email: 'avery@msp.example', roles: ['AM'] } })).body.id;
    const ctaId = await openCta('Changes hands');
    await ticketOf(ctaId);
    // Avery is not mapped yet: the reassignment sends nothing.
    expect((await call('POST', `/v1/ctas/${ctaId}/reassign`, { body: { personId: avery, reason: 'Casey is on leave' } })).status).toBe(200);
    await call('POST', `/v1/ctas/${ctaId}/reassign`, { body: { personId: casey, reason: 'back from leave' } });
    await eventually(() => psaLog(), (l) => l.length > 0 && l.every((d) => d.state === 'delivered'));
    const mapped = await call('PATCH', `/v1/connectors/${connectorId}`, { body: { mappings: { people: [{ personId: casey, member: 'ccsm' }, { personId: avery, member: 'aam' }], clients: [{ clientId, companyId: 250 }] } } });
    expect(mapped.status).toBe(200);
    expect((await call('POST', `/v1/ctas/${ctaId}/reassign`, { body: { personId: avery, reason: 'Avery takes the account' } })).status).toBe(200);
    await eventually(async () => ticketsOf(ctaId)[0]!.owner?.identifier, (o) => o === 'aam');
    await eventually(() => psaLog(), (l) => l.every((d) => d.state === 'delivered'));
    expect(stub.requests.filter((r) => r.method === 'PATCH' && r.body?.[0]?.path === 'owner')).toHaveLength(2);

    // An escalation (R-122: no first action within the SLA, here 3.6 s) hands the ticket to the named backup.
    expect((await call('PUT', `/v1/clients/${clientId}/assignments/CSM`, { body: { personId: casey, backupPersonId: avery } })).status).toBe(200);
    const slow = (await call('POST', `/v1/clients/${clientId}/ctas`, { body: { kind: 'follow-up', title: 'Nobody acts', ownerRole: 'CSM', dueAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), firstActionHours: 0.001 } })).body.id;
    await eventually(async () => ticketsOf(slow)[0]?.owner?.identifier, (o) => o === 'aam', 30_000);
    expect(ticketsOf(slow)).toHaveLength(1);
    expect((await psaLog()).some((d) => d.eventType === 'cta.escalated')).toBe(true);
  });

  it('sends nothing for a client that is not mapped', async () => {
    const before = stub.requests.length;
    await openCta('Not in the PSA', otherClientId);
    expect((await db.db.select().from(deliveries).where(eq(deliveries.channel, 'psa'))).filter((d) => d.clientId === otherClientId)).toEqual([]);
    expect(stub.requests.length).toBe(before);
  });

  it('queues through a ConnectWise outage and drains on recovery with no duplicate ticket', async () => {
    await stub.stop();
    const during = [await openCta('Chase the renewal quote'), await openCta('Book the QBR'), await openCta('Send the roadmap')];
    await eventually(() => psaLog(), (l) => l.filter((d) => d.state === 'retrying' && d.attempts >= 1).length === 3);
    const status = await eventually(async () => (await call('GET', `/v1/connectors/${connectorId}`, { role: 'ops' })).body.status, (s) => s.breaker.state === 'open');
    expect(status.lastError).toMatch(/ConnectWise unreachable/);
    expect(status.deliveries.retrying).toBe(3);

    await stub.start();
    await eventually(() => psaLog(), (l) => l.every((d) => d.state === 'delivered'), 30_000);
    for (const ctaId of during) {
      expect(ticketsOf(ctaId)).toHaveLength(1);
      expect(creates(ctaId)).toHaveLength(1);
    }
    // 0 duplicates over the whole run: one ticket per externalXRef.
    const xrefs = stub.tickets.map((t) => t.externalXRef);
    expect(new Set(xrefs).size).toBe(xrefs.length);
    expect((await call('GET', `/v1/connectors/${connectorId}`, { role: 'ops' })).body.status.breaker).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('shows a misconfigured connector\'s error on its status and blocks nothing else', async () => {
    const bad = await call('POST', '/v1/connectors', {
      body: { type: 'connectwise', name: 'Wrong keys', baseUrl: stub.baseUrl, credentials: { ...CREDS, privateKey: 'stale' }, settings: { boardId: 7 }, mappings: { people: [], clients: [{ clientId: otherClientId, companyId: 251 }] } },
    });
    expect(bad.status).toBe(201);
    await openCta('Goes to the broken connector', otherClientId);
    const good = await openCta('Goes to the working connector');
    const status = await eventually(async () => (await call('GET', `/v1/connectors/${bad.body.id}`, { role: 'manager' })).body.status, (s) => s.lastError !== null);
    expect(status.lastError).toMatch(/^ConnectWise refused the connector's credentials \(401\) on GET \/service\/tickets: Unauthorized; The API member credentials are invalid/);
    expect(status.lastError).not.toContain('stale');
    await ticketOf(good);
    expect(ticketsOf(good)).toHaveLength(1);
    // Fixing the credentials drains the queued ticket.
    expect((await call('PATCH', `/v1/connectors/${bad.body.id}`, { body: { credentials: CREDS } })).status).toBe(200);
    await eventually(() => psaLog(bad.body.id), (l) => l.length === 1 && l[0].state === 'delivered', 30_000);
    expect(stub.tickets.filter((t) => t.company.id === 251)).toHaveLength(1);
    expect((await call('PATCH', `/v1/connectors/${bad.body.id}`, { body: { active: false } })).body.active).toBe(false);
  });
});

describe('ConnectWise callbacks (inbound)', () => {
  const ctaState = async (ctaId: string) => (await call('GET', `/v1/ctas/${ctaId}`, { role: 'ops' })).body;
  const changed = (t: StubTicket, status: string): StubTicket => ({ ...t, status: { name: status }, closedFlag: status === 'Closed' });

  it('refuses unsigned, forged and foreign-key callbacks with 401 and changes nothing', async () => {
    const ctaId = await openCta('Callback target');
    const ticket = await ticketOf(ctaId);
    await eventually(() => psaLog(), (l) => l.every((d) => d.state === 'delivered'));
    const closed = changed(ticket, 'Closed');
    const forged = stub.callback(closed, 'updated', { key: 'not-the-key' });
    const foreign = stub.callback(closed, 'updated', { keyUrl: 'http://127.0.0.2:9/callback-key' });
    const cases = [
      { body: stub.callback(closed).body },
      forged,
      foreign,
      { body: stub.callback(closed).body, signature: stub.callback(changed(ticket, 'In Progress')).signature },
      { body: 'not json', signature: 'x' },
    ];
    for (const cb of cases) {
      const res = await postCallback(cb);
      expect(res.status, cb.body.slice(0, 60)).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(await ctaState(ctaId)).toMatchObject({ state: 'open', firstActionAt: null });
    expect((await clientTimeline(db.db, clientId, { types: ['cta.completed', 'cta.first_action'] })).filter((e) => (e.data as any).ctaId === ctaId)).toEqual([]);
    expect((await postCallback(stub.callback(closed), crypto.randomUUID())).status).toBe(404);
  });

  it('records the first action and completes the CTA from signed callbacks, a replay acknowledged once, nothing sent back', async () => {
    const ctaId = await openCta('Worked in the PSA');
    const ticket = await ticketOf(ctaId);
    await eventually(() => psaLog(), (l) => l.every((d) => d.state === 'delivered'));

    const progress = stub.callback(changed(ticket, 'In Progress'));
    expect(await postCallback(progress)).toMatchObject({ status: 200, body: { received: true, duplicate: false, outcome: 'firstAction' } });
    expect(await ctaState(ctaId)).toMatchObject({ state: 'first_action' });

    const closed = stub.callback(changed(ticket, 'Closed'));
    expect(await postCallback(closed)).toMatchObject({ status: 200, body: { duplicate: false, outcome: 'complete' } });
    // The replay (same callback, ConnectWise retrying or an attacker re-sending it) is acknowledged and changes nothing.
    expect(await postCallback(closed)).toMatchObject({ status: 200, body: { duplicate: true, outcome: 'already-received' } });
    expect(await postCallback(progress)).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(await ctaState(ctaId)).toMatchObject({ state: 'done' });

    const events = (await clientTimeline(db.db, clientId, { types: ['cta.completed', 'cta.first_action'] })).filter((e) => (e.data as any).ctaId === ctaId);
    expect(events.map((e) => [e.type, (e.data as any).note, e.actor])).toEqual(expect.arrayContaining([
      ['cta.first_action', `ConnectWise ticket #${ticket.id} moved to In Progress`, { kind: 'system', id: `psa:${connectorId}`, name: 'ConnectWise PSA: ConnectWise (prod)' }],
      ['cta.completed', `ConnectWise ticket #${ticket.id} closed (Closed)`, { kind: 'system', id: `psa:${connectorId}`, name: 'ConnectWise PSA: ConnectWise (prod)' }],
    ]));
    expect(events).toHaveLength(2);
    // The completion came from ConnectWise: no close is sent back to it.
    expect((await psaLog()).filter((d) => d.eventType === 'cta.completed' && d.clientId === clientId).length).toBe(1);
    // A callback for a ticket Baton did not create is acknowledged and changes nothing.
    expect(await postCallback(stub.callback({ ...ticket, id: 999_999, closedFlag: true }))).toMatchObject({ status: 200, body: { outcome: 'not-a-baton-ticket' } });
  });

  it('records the first note a person wrote as the first action (C-5), with its text and time, once; no note and no status change records nothing; ConnectWise down → 503, retried', async () => {
    const ctaId = await openCta('Noted in the PSA');
    const ticket = await ticketOf(ctaId);
    await eventually(() => psaLog(), (l) => l.every((d) => d.state === 'delivered'));
    const noteReads = () => stub.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/service/tickets/${ticket.id}/notes`));
    // ConnectWise keeps Baton's initialDescription as the ticket's first note: Baton's own text, not a step by the owner.
    expect(stub.notes.filter((n) => n.ticketId === ticket.id)).toHaveLength(1);

    // No note by a person, status still New: read back (authenticated, ordered, paged as the docs say), nothing recorded.
    expect(await postCallback(stub.callback(ticket))).toMatchObject({ status: 200, body: { duplicate: false, outcome: 'no-report: the ticket is still New' } });
    expect(noteReads()).toHaveLength(1);
    expect(noteReads()[0]).toMatchObject({ status: 200 });
    expect(noteReads()[0]!.query.get('orderBy')).toBe('id asc');
    expect(Number(noteReads()[0]!.query.get('pageSize'))).toBeGreaterThan(0);
    // The client's contact writing on the ticket is not the owner's step (here a page and more of it).
    for (let i = 0; i < 100; i++) stub.addNote(ticket, { text: `Any news on this? (${i})`, contact: 'Pat Client' });
    expect(await postCallback(stub.callback(ticket))).toMatchObject({ status: 200, body: { outcome: 'no-report: the ticket is still New' } });
    expect(await ctaState(ctaId)).toMatchObject({ state: 'open', firstActionAt: null });
    // 101 notes at 100 a page: the second page was read because ConnectWise's Link header named it.
    expect(noteReads().slice(1).map((r) => r.query.get('page'))).toEqual(['1', '2']);

    // Casey (member ccsm) writes an internal note; ConnectWise's callback arrives while its API is down: 503, nothing recorded.
    const note = stub.addNote(ticket, { text: 'Called the client; backup job rescheduled to 02:00.', member: 'ccsm', internal: true });
    const noted = stub.callback(ticket);
    stub.fail('GET', /\/notes$/, { status: 503 });
    const down = await postCallback(noted);
    expect(down.status).toBe(503);
    expect(down.headers.get('content-type')).toContain('application/problem+json');
    expect(await ctaState(ctaId)).toMatchObject({ state: 'open', firstActionAt: null });

    // ConnectWise retries the same callback: the note is the first action, with its text, its time and its author.
    expect(await postCallback(noted)).toMatchObject({ status: 200, body: { duplicate: false, outcome: 'firstAction' } });
    const cta = await ctaState(ctaId);
    expect(cta.state).toBe('first_action');
    expect(Date.parse(cta.firstActionAt)).toBe(Math.max(Date.parse(note.dateCreated), Date.parse(cta.createdAt)));
    // Replayed, and a later status change: acknowledged, no second first action, no second read.
    const reads = noteReads().length;
    expect(await postCallback(noted)).toMatchObject({ status: 200, body: { duplicate: true, outcome: 'already-received' } });
    expect((await postCallback(stub.callback(changed(ticket, 'In Progress')))).body.outcome).toMatch(/^unchanged: a first action was already recorded/);
    expect(noteReads()).toHaveLength(reads);
    const events = (await clientTimeline(db.db, clientId, { types: ['cta.first_action'] })).filter((e) => (e.data as any).ctaId === ctaId);
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ note: 'Called the client; backup job rescheduled to 02:00.', byPersonId: casey });
    expect(events[0]!.why).toMatchObject({ actedAt: cta.firstActionAt, withinSla: true });
    expect(events[0]!.actor).toEqual({ kind: 'system', id: `psa:${connectorId}`, name: 'ConnectWise PSA: ConnectWise (prod)' });
  });
});

describe('Meetings as ConnectWise schedule entries', () => {
  let meetClientId: string;

  it('books one entry per meeting on the member\'s calendar even after a lost answer, moves and cancels it with the meeting', async () => {
    meetClientId = (await call('POST', '/v1/clients', { body: clientBody({ name: 'Scheduled Co' }) })).body.id;
    expect((await call('PUT', `/v1/clients/${meetClientId}/assignments/CSM`, { body: { personId: casey } })).status).toBe(200);
    expect((await call('PATCH', `/v1/connectors/${connectorId}`, { body: { mappings: { people: [{ personId: casey, member: 'ccsm' }], clients: [{ clientId, companyId: 250 }, { clientId: meetClientId, companyId: 251 }] } } })).status).toBe(200);
    // ConnectWise creates the first entry and the answer is lost: the retry must find it by its marker.
    stub.fail('POST', '/schedule/entries', { status: 502, afterWrite: true });
    expect((await call('POST', `/v1/clients/${meetClientId}/cadence`, { body: {} })).status).toBe(201);

    const entryOf = (meetingId: string) => stub.scheduleEntries.filter((e) => e.name.includes(`[baton:meeting:${meetingId}]`));
    // Only meetings whose Accountable is mapped to a member (Casey → ccsm) have a ConnectWise calendar to go on.
    const accountable = async () => new Map((await db.db.select({ id: meetings.id, who: meetings.accountablePersonId }).from(meetings).where(eq(meetings.clientId, meetClientId))).map((r) => [r.id, r.who]));
    const settled = async () => {
      const booked = (await clientTimeline(db.db, meetClientId, { types: ['meeting.scheduled'] })).map((e) => e.data as { meetingId: string; startsAt: string; endsAt: string; kind: string });
      const who = await accountable();
      const mine = booked.filter((m) => who.get(m.meetingId) === casey);
      const log = (await call('GET', `/v1/deliveries?connector=psa:${connectorId}&clientId=${meetClientId}&limit=100`, { role: 'ops' })).body.items.filter((d: any) => d.eventType === 'meeting.scheduled') as any[];
      return { booked, mine, n: mine.length, entries: mine.filter((m) => entryOf(m.meetingId).length > 0).length, delivered: log.length === booked.length && log.every((d) => d.state === 'delivered') };
    };
    // Bookings come in batches: wait for at least four of Casey's, each with its entry and every booking delivered.
    const { booked: all, mine: booked } = await eventually(settled, (x) => x.n >= 4 && x.entries === x.n && x.delivered, 90_000);
    expect(booked.length).toBeGreaterThanOrEqual(4);
    // A meeting whose Accountable has no member is not booked in ConnectWise.
    for (const m of all.filter((x) => !booked.includes(x))) expect(entryOf(m.meetingId)).toEqual([]);
    expect(stub.scheduleEntries.filter((e) => e.name.includes('Scheduled Co'))).toHaveLength(booked.length);

    // Exactly one entry per meeting, and one successful create per meeting (the lost answer's retry created none).
    for (const m of booked) expect(entryOf(m.meetingId), m.meetingId).toHaveLength(1);
    const creates = stub.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/schedule/entries'));
    expect(creates.filter((r) => r.status === 502)).toHaveLength(1);
    expect(new Set(creates.filter((r) => r.status === 201).map((r) => r.body.name)).size).toBe(creates.filter((r) => r.status === 201).length);
    expect(creates.filter((r) => r.status === 201)).toHaveLength(booked.length - 1);
    expect(stub.requests.some((r) => r.method === 'GET' && r.path.endsWith('/schedule/entries') && /^name contains "baton:meeting:/.test(r.query.get('conditions') ?? ''))).toBe(true);

    const byStart = [...booked].sort((a, b) => a.startsAt.localeCompare(b.startsAt));
    const future = byStart.filter((m) => Date.parse(m.startsAt) > Date.now() + 3 * 86_400_000);
    const [target, other] = future;
    const entry = entryOf(target!.meetingId)[0]!;
    expect(entry).toMatchObject({ member: { identifier: 'ccsm' }, type: { identifier: 'M' }, doneFlag: false, dateStart: cwDate(target!.startsAt), dateEnd: cwDate(target!.endsAt) });
    expect(entry.name).toContain('Scheduled Co');

    // Moved through the API (agreed ≥24 h ahead) → the entry's dateStart/dateEnd follow (JSON Patch).
    const newStart = new Date(Date.parse(target!.startsAt) + 86_400_000).toISOString();
    const newEnd = new Date(Date.parse(target!.endsAt) + 86_400_000).toISOString();
    const moved = await call('POST', `/v1/clients/${meetClientId}/cadence/meetings/${target!.meetingId}/rescheduled`, { role: 'automation', body: { newStartsAt: newStart, newEndsAt: newEnd } });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    await eventually(async () => entryOf(target!.meetingId)[0]?.dateStart, (d) => d === cwDate(newStart), 30_000);
    expect(entryOf(target!.meetingId)[0]!.dateEnd).toBe(cwDate(newEnd));
    const patches = stub.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/schedule/entries/${entry.id}`));
    expect(patches.map((r) => r.body)).toEqual([[{ op: 'replace', path: 'dateStart', value: cwDate(newStart) }, { op: 'replace', path: 'dateEnd', value: cwDate(newEnd) }]]);

    // Cancelled through the API → the entry is deleted.
    const otherEntry = entryOf(other!.meetingId)[0]!;
    expect((await call('POST', `/v1/clients/${meetClientId}/cadence/meetings/${other!.meetingId}/cancelled`, { role: 'automation', body: { reason: 'the client asked' } })).status).toBe(200);
    await eventually(async () => stub.deletedEntries.some((e) => e.id === otherEntry.id), (x) => x, 30_000);
    expect(stub.scheduleEntries.some((e) => e.id === otherEntry.id)).toBe(false);
    await eventually(async () => (await call('GET', `/v1/deliveries?connector=psa:${connectorId}&clientId=${meetClientId}&limit=100`, { role: 'ops' })).body.items as any[],
      (l) => l.filter((d) => d.eventType !== 'meeting.scheduled' && d.eventType.startsWith('meeting.')).every((d) => d.state === 'delivered'), 30_000);

    // Baton's own move coming back as a callback changes nothing (the entry is at the meeting's time).
    expect(await postCallback(stub.scheduleCallback(entryOf(target!.meetingId)[0]!))).toMatchObject({ status: 200, body: { duplicate: false, outcome: 'no-report: the entry is at the meeting\'s time and not done' } });
  });

  it('reports a meeting held, moved or cancelled from schedule callbacks as the API would; a replay once, a forgery nothing', async () => {
    const entries = stub.scheduleEntries.filter((e) => e.name.includes('Scheduled Co'));
    const meetingIdOf = (e: StubScheduleEntry) => /\[baton:meeting:([^\]]+)\]$/.exec(e.name)![1]!;
    const cadence = async () => (await call('GET', `/v1/clients/${meetClientId}/cadence`, { role: 'ops' })).body;
    const meetingState = async (meetingId: string) => (await cadence()).meetings.find((m: any) => m.meetingId === meetingId);
    // Entries of meetings still booked, soonest first.
    const open: StubScheduleEntry[] = [];
    for (const e of [...entries].sort((a, b) => a.dateStart.localeCompare(b.dateStart))) if ((await meetingState(meetingIdOf(e)))?.status === 'scheduled') open.push(e);
    expect(open.length, JSON.stringify((await cadence()).meetings?.map((m: any) => m.status))).toBeGreaterThanOrEqual(2);
    const [heldEntry, movedEntry] = open;

    // A forged callback (signed with another key) marking it done: 401, the meeting stays booked.
    const heldAt = new Date(Date.now() - 2 * 3_600_000);
    const done = { ...heldEntry!, doneFlag: true, dateStart: cwDate(heldAt.toISOString()), dateEnd: cwDate(new Date(heldAt.getTime() + 3_600_000).toISOString()) };
    const forged = stub.scheduleCallback(done, 'updated', { key: 'not-the-key' });
    expect((await postCallback(forged)).status).toBe(401);
    expect(await meetingState(meetingIdOf(heldEntry!))).toMatchObject({ status: 'scheduled' });

    // Done in ConnectWise → held at the entry's times, by its member; the replay is acknowledged once.
    const signed = stub.scheduleCallback(done);
    const first = await postCallback(signed);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ received: true, duplicate: false, outcome: 'meetingHeld' });
    expect(await postCallback(signed)).toMatchObject({ status: 200, body: { duplicate: true, outcome: 'already-received' } });
    const held = (await clientTimeline(db.db, meetClientId, { types: ['meeting.held'] })).filter((e) => (e.data as any).meetingId === meetingIdOf(heldEntry!));
    expect(held).toHaveLength(1);
    expect(held[0]!.actor).toMatchObject({ kind: 'system', id: `psa:${connectorId}`, name: 'ConnectWise PSA: ConnectWise (prod)' });
    expect(held[0]!.data).toMatchObject({ attendees: ['Member ccsm'], decisions: 0 });
    // Held at the entry's times, not the booked ones.
    expect(Date.parse((held[0]!.why as any).heldAt)).toBe(Date.parse(done.dateStart));
    expect(Date.parse((held[0]!.why as any).endedAt)).toBe(Date.parse(done.dateEnd));
    expect(await meetingState(meetingIdOf(heldEntry!))).toMatchObject({ status: 'held' });

    // Moved in ConnectWise (a day later, agreed now): the callback carries only the id, so the entry is read back.
    const later = { dateStart: cwDate(new Date(Date.parse(movedEntry!.dateStart) + 86_400_000).toISOString()), dateEnd: cwDate(new Date(Date.parse(movedEntry!.dateEnd) + 86_400_000).toISOString()) };
    Object.assign(stub.scheduleEntries.find((e) => e.id === movedEntry!.id)!, later);
    const reads = () => stub.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/schedule/entries/${movedEntry!.id}`)).length;
    const readsBefore = reads();
    const movedCb = await postCallback(stub.scheduleCallback(movedEntry!, 'updated', { entity: null }));
    expect(movedCb.status, JSON.stringify(movedCb.body)).toBe(200);
    expect(movedCb.body).toMatchObject({ duplicate: false, outcome: 'meetingRescheduled' });
    expect(reads()).toBe(readsBefore + 1);
    const rescheduled = (await clientTimeline(db.db, meetClientId, { types: ['meeting.moved'] })).filter((e) => (e.data as any).meetingId === meetingIdOf(movedEntry!));
    expect(rescheduled).toHaveLength(1);
    expect(rescheduled[0]!.actor).toMatchObject({ id: `psa:${connectorId}` });
    expect(Date.parse((await meetingState(meetingIdOf(movedEntry!))).startsAt)).toBe(Date.parse(later.dateStart));

    // Deleted in ConnectWise → cancelled.
    const gone = stub.scheduleEntries.find((e) => e.id === movedEntry!.id)!;
    stub.scheduleEntries.splice(stub.scheduleEntries.indexOf(gone), 1);
    const deleted = await postCallback(stub.scheduleCallback({ id: gone.id }, 'deleted', { entity: null }));
    expect(deleted.body).toMatchObject({ duplicate: false, outcome: 'meetingCancelled' });
    expect(await meetingState(meetingIdOf(movedEntry!))).toMatchObject({ status: 'cancelled' });

    // An entry Baton did not book is acknowledged and changes nothing.
    expect(await postCallback(stub.scheduleCallback({ ...done, id: 987_654 }))).toMatchObject({ status: 200, body: { outcome: 'not-a-baton-schedule-entry' } });
  });
});
