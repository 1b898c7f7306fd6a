import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createApp } from '../../api/app.js';
import { createApiKey, ROLES, type Role } from '../../db/api-keys.js';
import { createLogger } from '../../runtime/logger.js';
import { batonDataConverter, EncryptionCodec, isEncrypted, keyIdsOf, parsePayloadKeys, type PayloadKeyring } from '../../runtime/payload-codec.js';
import { checkPayloadKeys } from '../../runtime/payload-keys.js';
import { createWorker } from '../../worker.js';
import { defaultPolicy } from '../../domain/policy.js';
import { apiCaller, clientBody, eventually, freshDatabase, testTaskQueue } from '../support/harness.js';
import { workflowBundle } from '../support/temporal.js';

/**
 * Issue 18 on a real Temporal dev server: what the server stores holds no client data, the people
 * allowed to read it decode it through /codec, keys rotate mid-life, and an install that ran
 * unencrypted keeps its old histories readable once a key is configured.
 */
const key = () => randomBytes(32).toString('base64');
const K1 = key();
const K2 = key();
const ring1 = parsePayloadKeys(`k1=${K1}`);
const ring2 = parsePayloadKeys(`k2=${K2},k1=${K1}`);
const tag = randomBytes(3).toString('hex');
const CLIENT_NAME = `Quetzal Orthodontics ${tag}`;
const ATTENDEE = `Imogen Fairweather ${tag}`;
const DECISION = `Replace the Quetzal firewall ${tag}`;

let db: Awaited<ReturnType<typeof freshDatabase>>;
let connection: Connection;
let keys: Record<Role, string>;
const taskQueue = testTaskQueue();
const stops: (() => Promise<unknown>)[] = [];

/** Baton's API and worker as one deployment with `keyring` (undefined: an install without keys). */
async function deployment(keyring: PayloadKeyring | undefined) {
  await checkPayloadKeys(db.db, keyring); // as startBaton does
  const dataConverter = batonDataConverter(keyring);
  const client = new Client({ connection, dataConverter });
  // A worker of its own connection: the native core refuses a second worker on a connection's queue.
  const native = await NativeConnection.connect({ address: inject('temporalAddress') });
  const worker: Worker = await createWorker({ connection: native, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(), db: db.db, dataConverter });
  const running = worker.run();
  const app = createApp({
    db: db.db, logger: createLogger('silent'), temporal: { client, namespace: 'default', taskQueue },
    payloadCodec: dataConverter.payloadCodecs?.[0], options: { codecCorsOrigins: ['http://ui.example.test:8233'] },
  });
  const stop = async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await native.close();
  };
  stops.push(stop);
  return { app, call: apiCaller(app, keys), client, stop };
}

/** Every string and byte run of a raw history, as the server and its database hold it. */
function rawTexts(node: unknown, out: string[] = []): string[] {
  if (node instanceof Uint8Array) out.push(Buffer.from(node).toString('latin1'));
  else if (typeof node === 'string') out.push(node);
  else if (Array.isArray(node)) node.forEach((n) => rawTexts(n, out));
  else if (node && typeof node === 'object') Object.values(node).forEach((n) => rawTexts(n, out));
  return out;
}
function payloadsIn(node: unknown, out: Payload[] = []): Payload[] {
  if (node && typeof node === 'object' && !(node instanceof Uint8Array)) {
    const o = node as Record<string, unknown>;
    if (o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object') out.push(o as Payload);
    else Object.values(o).forEach((n) => (Array.isArray(n) ? n.forEach((m) => payloadsIn(m, out)) : payloadsIn(n, out)));
  }
  return out;
}
/** Signs `key` into the console with its sign-in form (as a browser would) and returns the session cookie. */
async function consoleSessionCookie(app: ReturnType<typeof createApp>, key: string): Promise<string> {
  const form = await app.request('/login');
  const cookies = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const signedIn = await app.request('/login/key', {
    method: 'POST', headers: { cookie: cookies, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ apiKey: key, _csrf: csrf }).toString(),
  });
  const session = signedIn.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('baton_session='));
  if (!session) throw new Error(`console sign-in failed: HTTP ${signedIn.status}`);
  return session;
}

/** The history as stored, read by a client without any codec. */
async function rawHistory(workflowId: string) {
  const plain = new Client({ connection });
  return plain.workflow.getHandle(workflowId).fetchHistory();
}

beforeAll(async () => {
  db = await freshDatabase();
  keys = {} as Record<Role, string>;
  for (const role of ROLES) keys[role] = (await createApiKey(db.db, { name: `test ${role}`, role, createdBy: 'test' })).key;
  connection = await Connection.connect({ address: inject('temporalAddress') });
}, 120_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => {});
  await connection?.close();
  await db?.close();
});

describe('payload encryption (issue 18)', () => {
  let onboardingId: string;
  let clientId: string;
  let first: Awaited<ReturnType<typeof deployment>>;

  it('an install without keys ran unencrypted: its history holds the client data in plain text', async () => {
    const plainInstall = await deployment(undefined);
    const created = await plainInstall.call('POST', '/v1/clients', { body: clientBody({ name: `${CLIENT_NAME} (legacy)` }) });
    expect(created.status).toBe(201);
    clientId = created.body.id;
    const started = await plainInstall.call('POST', `/v1/clients/${clientId}/onboarding`, { body: { signedAt: new Date(Date.now() - 5 * 3_600_000).toISOString() } });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    onboardingId = started.body.workflowId;
    const handoff = await plainInstall.call('POST', `/v1/clients/${clientId}/onboarding/handoff-items`, { role: 'automation', body: { items: [...defaultPolicy.onboarding.handoffPacketItems] } });
    expect(handoff.status).toBe(200);
    const history = await rawHistory(onboardingId);
    expect(payloadsIn(history).some(isEncrypted)).toBe(false);
    expect(rawTexts(history).join('\n')).toContain('discovery-one-pager');
    await plainInstall.stop();
  });

  it('once a key is configured, new payloads are sealed and the old history stays readable', async () => {
    first = await deployment(ring1);
    const kickoff = new Date(Date.now() + 86_400_000);
    const scheduled = await first.call('POST', `/v1/clients/${clientId}/onboarding/kickoff-scheduled`, {
      role: 'automation', body: { startsAt: kickoff.toISOString(), endsAt: new Date(kickoff.getTime() + 3_600_000).toISOString() },
    });
    expect(scheduled.status).toBe(200);
    const status = await first.call('GET', `/v1/clients/${clientId}/onboarding`);
    expect(status.status).toBe(200);
    expect(status.body.phase).toBe('running');
    const history = await rawHistory(onboardingId);
    expect(keyIdsOf(payloadsIn(history))).toEqual(['k1']);
  });

  it('a new client\'s history holds no client name, attendee or decision title in plain text', async () => {
    const created = await first.call('POST', '/v1/clients', { body: clientBody({ name: CLIENT_NAME }) });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const started = await first.call('POST', `/v1/clients/${id}/onboarding`, { body: { signedAt: new Date(Date.now() - 5 * 3_600_000).toISOString() } });
    expect(started.status).toBe(201);
    // the kickoff invite waits for the handoff packet.
    expect((await first.call('POST', `/v1/clients/${id}/onboarding/handoff-items`, { role: 'automation', body: { items: [...defaultPolicy.onboarding.handoffPacketItems] } })).status).toBe(200);
    const start = new Date(Date.now() - 2 * 3_600_000);
    expect((await first.call('POST', `/v1/clients/${id}/onboarding/kickoff-scheduled`, { role: 'automation', body: { startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3_600_000).toISOString() } })).body).toMatchObject({ accepted: true });
    const held = await first.call('POST', `/v1/clients/${id}/onboarding/kickoff-held`, {
      role: 'automation', body: { endedAt: new Date(start.getTime() + 3_600_000).toISOString(), attendees: [ATTENDEE], decisions: [{ title: DECISION, ownerRole: 'vCIO' }] },
    });
    expect(held.status, JSON.stringify(held.body)).toBe(200);
    // Decoded for Baton itself: the status query answers with the data.
    const status = await first.call('GET', `/v1/clients/${id}/onboarding`);
    expect(status.body.kickoff.attendees).toEqual([ATTENDEE]);

    const history = await rawHistory(started.body.workflowId);
    const stored = rawTexts(history).join('\n');
    for (const secret of [CLIENT_NAME, ATTENDEE, DECISION, tag]) expect(stored).not.toContain(secret);
    const payloads = payloadsIn(history);
    expect(payloads.length).toBeGreaterThan(5);
    // Every payload is sealed but search attributes (ids, segment, process, step: non-PII by
    // design) and the SDK's own patch markers (a patch id such as "kernel-v2").
    const exempt = payloadsIn(history.events?.map((e) => [
      e.workflowExecutionStartedEventAttributes?.searchAttributes, e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes,
      e.markerRecordedEventAttributes?.details,
    ]));
    const unsealed = payloads.filter((p) => !isEncrypted(p) && !exempt.includes(p));
    expect(unsealed).toEqual([]);
  });

  it('the codec endpoint decodes for a manager, and refuses an automation key and an anonymous caller', async () => {
    const history = await rawHistory(onboardingId);
    const sealed = payloadsIn(history).filter(isEncrypted).slice(0, 3);
    const wire = { payloads: sealed.map((p) => ({ metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])), data: Buffer.from(p.data!).toString('base64') })) };
    const decoded = await first.call('POST', '/codec/decode', { role: 'manager', body: wire });
    expect(decoded.status).toBe(200);
    expect(decoded.body.payloads).toHaveLength(sealed.length);
    const encodings = decoded.body.payloads.map((p: { metadata: Record<string, string> }) => Buffer.from(p.metadata.encoding!, 'base64').toString());
    expect(encodings.every((e: string) => e === 'json/plain' || e === 'binary/null')).toBe(true);

    const automation = await first.call('POST', '/codec/decode', { role: 'automation', body: wire });
    expect(automation.status).toBe(403);
    expect(automation.headers.get('content-type')).toContain('application/problem+json');
    expect((await first.call('POST', '/codec/decode', { role: null, body: wire })).status).toBe(401);

    const tampered = structuredClone(wire);
    tampered.payloads[0]!.data = Buffer.from(Buffer.from(tampered.payloads[0]!.data, 'base64').map((b, i) => (i === 20 ? b ^ 1 : b))).toString('base64');
    const refused = await first.call('POST', '/codec/decode', { role: 'admin', body: tampered });
    expect(refused.status).toBe(422);
    expect(refused.body.type).toContain('payload-undecryptable');

    const roundTrip = await first.call('POST', '/codec/encode', { role: 'manager', body: decoded.body });
    expect(roundTrip.status).toBe(200);
    expect(Buffer.from(roundTrip.body.payloads[0].metadata['encryption-key-id'], 'base64').toString()).toBe('k1');
  });

  it('a manager signed into the console decodes with the session cookie alone (what the Temporal UI sends); an automation session may not', async () => {
    const history = await rawHistory(onboardingId);
    const [sealed] = payloadsIn(history).filter(isEncrypted);
    const body = JSON.stringify({ payloads: [{ metadata: Object.fromEntries(Object.entries(sealed!.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])), data: Buffer.from(sealed!.data!).toString('base64') }] });
    const decodeWith = async (role: Role) => {
      const cookie = await consoleSessionCookie(first.app, keys[role]);
      return first.app.request('/codec/decode', { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body });
    };
    const manager = await decodeWith('manager');
    expect(manager.status).toBe(200);
    expect(((await manager.json()) as { payloads: unknown[] }).payloads).toHaveLength(1);
    expect((await decodeWith('automation')).status).toBe(403);
  });

  it('the Temporal UI\'s origin may call /codec with credentials; another origin may not', async () => {
    const preflight = (origin: string) => first.app.request('/codec/decode', {
      method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
    const allowed = await preflight('http://ui.example.test:8233');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://ui.example.test:8233');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await preflight('http://evil.example.test');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a key rotated mid-life: new payloads use the new key, the running onboarding reads both', async () => {
    await first.stop();
    const rotated = await deployment(ring2);
    const docs = await rotated.call('POST', `/v1/clients/${clientId}/onboarding/documentation-baselined`, { role: 'automation', body: {} });
    expect(docs.status).toBe(200);
    const status = await eventually(() => rotated.call('GET', `/v1/clients/${clientId}/onboarding`), (r) => r.status === 200);
    expect(status.body.phase).toBe('running');
    const ids = keyIdsOf(payloadsIn(await rawHistory(onboardingId)));
    expect(ids).toEqual(expect.arrayContaining(['k1', 'k2']));
  });

  it('Baton refuses to start without a key that sealed payloads, naming it, unless it was retired on purpose', async () => {
    const withoutK1 = parsePayloadKeys(`k2=${K2}`);
    await expect(checkPayloadKeys(db.db, withoutK1)).rejects.toThrow(/encrypted with key k1, which BATON_PAYLOAD_KEYS does not hold/);
    await expect(checkPayloadKeys(db.db, undefined)).rejects.toThrow(/keys k1, k2.*no payload keys are configured/);
    await expect(checkPayloadKeys(db.db, withoutK1, ['k1'])).resolves.toBeUndefined();
    // A worker that meets a payload of a key it lacks fails loudly with the key id, not silently.
    const codec = new EncryptionCodec(withoutK1);
    const sealed = payloadsIn(await rawHistory(onboardingId)).filter((p) => keyIdsOf([p])[0] === 'k1');
    await expect(codec.decode(sealed.slice(0, 1))).rejects.toThrow(/key "k1", which BATON_PAYLOAD_KEYS does not hold/);
  });
});
