import { Writable } from 'node:stream';
import ical, { type VEvent } from 'node-ical';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { createApiKey, revokeApiKey } from '../../db/api-keys.js';
import { meetings } from '../../db/schema.js';
import { createLogger } from '../../runtime/logger.js';
import { apiCaller, apiHarness, clientBody, type ApiHarness } from '../support/harness.js';

/**
 * Hostile input at the API edge (issue 10): one rule for all text, bounded inputs, sane dates,
 * strict publishing, the edge's own answers (413, 415, 429), headers, pagination, feeds that
 * cannot be injected into, and logs that keep credentials out. All through the public API.
 */
let h: ApiHarness;
let clientId: string;
const NUL = '\u0000';

beforeAll(async () => {
  h = await apiHarness();
  clientId = (await h.call('POST', '/v1/clients', { body: clientBody({ name: 'Hostile Dental' }) })).body.id;
}, 60_000);
afterAll(() => h?.close());

const fieldsOf = (res: { body: any }) => (res.body.errors ?? []).map((e: any) => `${e.location}:${e.path}`);

describe('one input rule for all text', () => {
  it('refuses NUL and other control characters in any body field with a 400 naming it', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/v1/clients', clientBody({ name: `Ac${NUL}me` }), 'body:name'],
      ['POST', '/v1/clients', clientBody({ stakeholders: [{ name: `C\u0001EO`, roles: ['champion'] }] }), 'body:stakeholders.0.name'],
      ['POST', '/v1/people', { name: `Ad${NUL}a`, email: 'nul@msp.example', roles: ['CSM'] }, 'body:name'],
      ['POST', '/v1/api-keys', { name: `k${NUL}`, role: 'ops' }, 'body:name'],
      ['POST', '/v1/policy/versions', { document: {}, note: `n${NUL}ote` }, 'body:note'],
      ['POST', `/v1/clients/${clientId}/ctas`, { kind: 'x', title: `Ti\u007ftle`, ownerRole: 'CSM', dueAt: '2027-01-01T00:00:00Z' }, 'body:title'],
      ['POST', `/v1/clients/${clientId}/onboarding/kickoff-held`, { attendees: [`CE${NUL}O`] }, 'body:attendees.0'],
      ['POST', `/v1/clients/${clientId}/cadence/initiative-approvals`, { initiativeId: 'i-1', title: `Init${NUL}iative` }, 'body:title'],
      ['POST', `/v1/clients/${clientId}/cadence/stakeholder-changes`, { name: `Spon${NUL}sor`, stakeholderRole: 'executiveSponsor' }, 'body:name'],
      ['PUT', `/v1/clients/${clientId}/policy-overrides`, { overrides: { onboarding: { [`k${NUL}`]: 1 } } }, 'body:overrides.onboarding."k\\u0000"'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await h.call(method, path, { body });
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(fieldsOf(res), `${method} ${path}`).toContain(field);
    }
    // Tab, line feed and carriage return are text.
    expect((await h.call('POST', '/v1/clients', { body: clientBody({ name: 'Tab\tand\r\nnewline' }) })).status).toBe(201);
  });

  it('refuses control characters in query parameters, path segments and the headers it reads', async () => {
    for (const [path, field] of [
      [`/v1/clients?q=a%00b`, 'query:q'],
      [`/v1/clients?after=%00`, 'query:after'],
      [`/v1/clients/${clientId}/timeline?type=a%00`, 'query:type'],
      [`/v1/clients/${clientId}/timeline?process=%1b`, 'query:process'],
      [`/v1/people/%00`, 'path:segment 3'],
    ] as const) {
      const res = await h.call('GET', path);
      expect(res.status, path).toBe(400);
      expect(fieldsOf(res), path).toContain(field);
    }
    const res = await h.call('POST', '/v1/people', { headers: { 'idempotency-key': 'a\u0001b' }, body: { name: 'X', email: 'x@msp.example', roles: ['CSM'] } });
    expect(res.status).toBe(400);
    expect(fieldsOf(res)).toContain('header:idempotency-key');
  });

  it('refuses a __proto__ key anywhere in a body (overrides, policy documents)', async () => {
    const overrides = await h.call('PUT', `/v1/clients/${clientId}/policy-overrides`, { role: 'manager', rawBody: '{"overrides":{"__proto__":{"onboarding":{"kickoffBusinessDays":1}}}}' });
    expect(overrides.status).toBe(400);
    expect(fieldsOf(overrides)).toContain('body:overrides.__proto__');
    const policy = await h.call('POST', '/v1/policy/versions', { rawBody: '{"document":{"__proto__":{}},"note":"sneaky"}' });
    expect(policy.status).toBe(400);
    expect(fieldsOf(policy)).toContain('body:document.__proto__');
  });
});

describe('dates, numbers and ids', () => {
  it('accepts business dates in the years 1900–9999 only', async () => {
    for (const renewalDate of ['0000-01-01', '0035-06-30', '1899-12-31']) {
      const res = await h.call('POST', '/v1/clients', { body: clientBody({ renewalDate }) });
      expect(res.status, renewalDate).toBe(400);
      expect(fieldsOf(res)).toContain('body:renewalDate');
    }
    const ok = await h.call('POST', '/v1/clients', { body: clientBody({ renewalDate: '2030-06-30' }) });
    expect(ok.body.renewalDate).toBe('2030-06-30');
    const meeting = await h.call('POST', `/v1/clients/${clientId}/onboarding/kickoff-scheduled`, { body: { startsAt: '0018-03-02T09:00:00Z', endsAt: '0018-03-02T10:00:00Z' } });
    expect(meeting.status).toBe(400);
    expect(fieldsOf(meeting)).toEqual(expect.arrayContaining(['body:startsAt', 'body:endsAt']));
  });

  it('answers timeline windows with any RFC 3339 offset, and pages the timeline with a cursor', async () => {
    const res = await h.call('GET', `/v1/clients/${clientId}/timeline?from=${encodeURIComponent('2000-01-01T00:00:00+23:59')}&to=${encodeURIComponent('2999-01-01T00:00:00-23:00')}`);
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeGreaterThan(0);
    await h.call('PATCH', `/v1/clients/${clientId}`, { body: { mrr: 13000 } });
    const first = await h.call('GET', `/v1/clients/${clientId}/timeline?limit=1`);
    expect(first.body.items).toHaveLength(1);
    const second = await h.call('GET', `/v1/clients/${clientId}/timeline?limit=1&after=${first.body.next}`);
    expect(second.body.items[0].seq).toBeGreaterThan(first.body.items[0].seq);
  });

  it('reads integers in decimal digits only', async () => {
    for (const path of ['/v1/policy/versions/0x1', '/v1/policy/versions/1e0', '/v1/policy/versions/%201', '/v1/clients?limit=1e2', '/v1/clients?limit=0x10', '/v1/portfolio/radar?lookbackDays=3.0']) {
      expect((await h.call('GET', path)).status, path).toBe(400);
    }
    expect((await h.call('GET', '/v1/policy/versions/1')).status).toBe(200);
  });

  it('matches UUIDs without regard to case', async () => {
    const res = await h.call('GET', `/v1/clients/${clientId.toUpperCase()}`);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(clientId);
  });

  it('refuses a signature older than the onboarding window (R-56) or in the future', async () => {
    const old = await h.call('POST', `/v1/clients/${clientId}/onboarding`, { body: { signedAt: new Date(Date.now() - 200 * 86_400_000).toISOString() } });
    expect(old.status).toBe(422);
    expect(old.body).toMatchObject({ ruleId: 'R-56', errors: [{ path: 'signedAt' }] });
  });

  it('answers unknown documentation assets with 404, whatever their name', async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const res = await h.app.request(`/docs/assets/${name}`);
      expect(res.status, name).toBe(404);
    }
  });
});

describe('bounded inputs and the edge\'s own answers', () => {
  it('refuses a body over the limit with a 413 problem, and a body that is not JSON with a 415 saying why', async () => {
    const big = await h.call('POST', '/v1/clients', { rawBody: JSON.stringify(clientBody({ name: 'x'.repeat(300 * 1024) })) });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ type: 'urn:baton:problem:payload-too-large', status: 413 });
    const text = await h.call('POST', '/v1/clients', { rawBody: 'name=x', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(text.body.detail).toMatch(/application\/json.*text\/plain/);
  });

  it('bounds every list and text of a request in the OpenAPI document, which states the edge answers', async () => {
    const doc = (await h.call('GET', '/openapi.json', { role: null })).body;
    const unbounded: string[] = [];
    const walk = (s: any, where: string) => {
      if (!s || typeof s !== 'object') return;
      if (s.$ref) return walk(doc.components.schemas[s.$ref.split('/').pop()], where);
      if (s.type === 'array' && s.maxItems === undefined) unbounded.push(`${where} (array)`);
      const free = s.type === 'string' && !s.enum && !['uuid', 'date', 'date-time'].includes(s.format);
      if (free && s.maxLength === undefined) unbounded.push(`${where} (string)`);
      if (free && !s.pattern) unbounded.push(`${where} (no text pattern)`);
      for (const [k, v] of Object.entries<any>(s.properties ?? {})) walk(v, `${where}.${k}`);
      if (s.items) walk(s.items, `${where}[]`);
      for (const alt of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) walk(alt, where);
    };
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        walk(op.requestBody?.content?.['application/json']?.schema, `${method} ${path} body`);
        if (op.requestBody) expect(Object.keys(op.responses), `${method} ${path}`).toEqual(expect.arrayContaining(['413', '415', '500']));
        expect(op.responses['500'], `${method} ${path}`).toBeDefined();
        const key = op.parameters?.find((p: any) => p.name === 'Idempotency-Key');
        if (key) expect(key.schema.pattern).toBe('^[\\x21-\\x7e]{1,255}$');
      }
    }
    // Free-form maps (policy documents, overrides) are bounded by the body limit only.
    expect(unbounded).toEqual([]);
    const roles = doc.paths['/v1/people'].post.requestBody.content['application/json'].schema;
    expect((roles.$ref ? doc.components.schemas[roles.$ref.split('/').pop()] : roles).properties.roles.uniqueItems).toBe(true);
  });

  it('rate limits failed authentication per address with 429 and Retry-After, even for a right key', async () => {
    const db = h.database.db;
    const keys = { ...h.keys };
    const app = createApp({ db, logger: createLogger('silent'), options: { authFailuresPerMinute: 3 } });
    const call = apiCaller(app, keys);
    for (let i = 0; i < 3; i++) expect((await call('GET', '/v1/clients', { role: null, headers: { authorization: 'Bearer wrong-key' } })).status).toBe(401);
    const limited = await call('GET', '/v1/clients', { role: null, headers: { authorization: 'Bearer wrong-key' } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await call('GET', '/v1/clients')).status).toBe(429);
    // A request without credentials is not a guess.
    expect((await call('GET', '/v1/clients', { role: null })).status).toBe(401);
  });

  it('sends CSP and X-Frame-Options with /docs, and CORS headers only for configured origins', async () => {
    const docs = await h.app.request('/docs');
    expect(docs.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(docs.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(docs.headers.get('x-frame-options')).toBe('DENY');
    expect(await docs.text()).not.toMatch(/<script>[^<]/);
    const none = await h.app.request('/v1/clients', { headers: { origin: 'https://app.example.com', authorization: `Bearer ${h.keys.admin}` } });
    expect(none.headers.get('access-control-allow-origin')).toBeNull();
    const app = createApp({ db: h.database.db, logger: createLogger('silent'), options: { corsOrigins: ['https://app.example.com'] } });
    const allowed = await app.request('/v1/clients', { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const other = await app.request('/v1/clients', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('lists page with a cursor', () => {
  it('pages API keys, policy versions and calendar feeds', async () => {
    const keys1 = await h.call('GET', '/v1/api-keys?limit=2');
    expect(keys1.body.items).toHaveLength(2);
    const keys2 = await h.call('GET', `/v1/api-keys?limit=2&after=${keys1.body.next}`);
    expect(keys2.body.items[0].id).not.toBe(keys1.body.items[1].id);
    expect(keys2.body.items.map((k: any) => k.id)).not.toContain(keys1.body.items[0].id);

    const person = (await h.call('POST', '/v1/people', { body: { name: 'Pager', email: 'pager@msp.example', roles: ['CSM'] } })).body.id;
    for (let i = 0; i < 3; i++) expect((await h.call('POST', `/v1/people/${person}/calendar-feeds`)).status).toBe(201);
    const feeds1 = await h.call('GET', `/v1/people/${person}/calendar-feeds?limit=2`);
    const feeds2 = await h.call('GET', `/v1/people/${person}/calendar-feeds?limit=2&after=${feeds1.body.next}`);
    expect([...feeds1.body.items, ...feeds2.body.items].map((f: any) => f.id)).toHaveLength(3);
    expect(feeds2.body.next).toBeUndefined();

    const versions = await h.call('GET', '/v1/policy/versions?limit=1');
    expect(versions.status).toBe(200);
    expect(versions.body.items).toHaveLength(1);
  });
});

describe('strict policy publishing', () => {
  it('refuses unknown keys naming them, refuses a partial document, merges only when asked, and publishes nothing for an identical document', async () => {
    const active = (await h.call('GET', '/v1/policy')).body;
    const typo = structuredClone(active.document);
    typo.meetng = { firstActionHours: 24 };
    const unknown = await h.call('POST', '/v1/policy/versions', { body: { document: typo, note: 'typo' } });
    expect(unknown.status).toBe(400);
    expect(fieldsOf(unknown)).toContain('body:document.meetng');

    const partial = await h.call('POST', '/v1/policy/versions', { body: { document: { meeting: { firstActionHours: 24 } }, note: 'partial' } });
    expect(partial.status).toBe(400);
    expect(fieldsOf(partial)).toContain('body:document.calendar');

    const merged = await h.call('POST', '/v1/policy/versions', { body: { document: { meeting: { firstActionHours: 24 } }, note: 'merge', mode: 'merge' } });
    expect(merged.status).toBe(201);
    expect(merged.body.changes).toEqual([{ path: 'meeting.firstActionHours', before: active.document.meeting.firstActionHours, after: 24 }]);
    expect(merged.body.document.meeting.recapHours).toBe(active.document.meeting.recapHours);

    const again = await h.call('POST', '/v1/policy/versions', { body: { document: merged.body.document, note: 'same again' } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ published: false, version: merged.body.version, changes: [] });
    expect((await h.call('GET', '/v1/policy')).body.version).toBe(merged.body.version);
  });
});

describe('credentials and feeds', () => {
  it('the last active admin key cannot be revoked, even by two revocations at once', async () => {
    const db = (await import('../support/harness.js')).freshDatabase;
    const fresh = await db();
    try {
      const a = await createApiKey(fresh.db, { name: 'a', role: 'admin', createdBy: 't' });
      const b = await createApiKey(fresh.db, { name: 'b', role: 'admin', createdBy: 't' });
      // Two revocations racing for the last two admin keys: one wins, the other is refused.
      const results = await Promise.allSettled([revokeApiKey(fresh.db, a.record.id), revokeApiKey(fresh.db, b.record.id)]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { name: 'LastAdminKeyError' } });
      // Over HTTP: the survivor cannot revoke itself.
      const survivor = results[0]!.status === 'fulfilled' ? b : a;
      const call = apiCaller(createApp({ db: fresh.db, logger: createLogger('silent') }), { admin: survivor.key } as never);
      const last = await call('DELETE', `/v1/api-keys/${survivor.record.id}`);
      expect(last.status).toBe(409);
    } finally {
      await fresh.close();
    }
  });

  it('escapes every text that reaches a feed: CR/LF in a person, client or CTA name adds nothing', async () => {
    const inject = '\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil@x\r\nSUMMARY:injected\r\nDTSTART:20270101T000000Z\r\nX-WR-CALNAME:owned';
    const person = (await h.call('POST', '/v1/people', { body: { name: `Casey${inject}`, email: 'casey-feed@msp.example', roles: ['CSM'] } })).body.id;
    const client = (await h.call('POST', '/v1/clients', { body: clientBody({ name: `Feed${inject}` }) })).body.id;
    expect((await h.call('PUT', `/v1/clients/${client}/assignments/CSM`, { body: { personId: person } })).status).toBe(200);
    expect((await h.call('POST', `/v1/clients/${client}/ctas`, { body: { kind: 'prep-pack', title: `Prep${inject}`, ownerRole: 'CSM', dueAt: '2027-03-02T23:00:00.000Z' } })).status).toBe(201);
    await h.database.db.insert(meetings).values({
      id: '9d3c9a52-5a34-4f40-9b0f-4d6f1f0c2a12', clientId: client, process: 'cadence', kind: 'qbr', mode: 'live', state: 'scheduled',
      startsAt: '2027-03-09T16:00:00.000Z', endsAt: '2027-03-09T16:45:00.000Z', createdAt: '2026-11-01T00:00:00.000Z', updatedAt: '2026-11-01T00:00:00.000Z',
    });
    const feed = await h.call('POST', `/v1/people/${person}/calendar-feeds`);
    const text = await (await h.app.request(new URL(feed.body.url).pathname)).text();
    const lines = text.split('\r\n');
    expect(lines.filter((l) => l === 'BEGIN:VEVENT')).toHaveLength(2);
    expect(lines.some((l) => l.startsWith('UID:evil') || l.startsWith('SUMMARY:injected') || l.startsWith('X-WR-CALNAME:owned'))).toBe(false);
    expect(lines.filter((l) => l.startsWith('X-WR-CALNAME'))).toHaveLength(1);
    const events = Object.values(ical.sync.parseICS(text)).filter((c) => c?.type === 'VEVENT') as VEvent[];
    expect(events.map((e) => e.uid).sort()).toEqual([expect.stringMatching(/^cta-/), expect.stringMatching(/^meeting-/)]);
  });

  it('keeps feed tokens out of the request log and SQL parameters out of error logs', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    const logger = createLogger('info', 'baton', sink);
    const app = createApp({ db: h.database.db, logger });
    const person = (await h.call('POST', '/v1/people', { body: { name: 'Logged', email: 'logged@msp.example', roles: ['CSM'] } })).body.id;
    const feed = await h.call('POST', `/v1/people/${person}/calendar-feeds`);
    const token = feed.body.token as string;
    expect((await app.request(`/calendar/${token}.ics`)).status).toBe(200);
    expect((await app.request(`/calendar/${token.slice(0, -2)}xx.ics`)).status).toBe(404);
    const joined = lines.join('');
    expect(joined).toContain('batcal_[redacted]');
    expect(joined).not.toContain(token.slice(7, 20));

    logger.error({ err: Object.assign(new Error('Failed query: select * from api_keys where hash = $1\nparams: secret-hash-value'), { cause: Object.assign(new Error('boom'), { code: '22P05', severity: 'ERROR', parameters: ['secret-hash-value'], detail: 'Key (email)=(ada@x) exists' }) }) }, 'failed');
    const last = lines.at(-1)!;
    expect(last).toContain('Failed query: select * from api_keys');
    expect(last).not.toContain('secret-hash-value');
    expect(last).not.toContain('ada@x');
  });
});
