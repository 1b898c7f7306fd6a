import { randomBytes } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubscription } from '../../db/deliveries.js';
import { appendEvent, appendEvents } from '../../db/ledger.js';
import { INTEGRATION_KEY_ENV } from '../../runtime/secret-box.js';
import { apiHarness, clientBody, type ApiHarness } from '../support/harness.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
});
afterAll(() => h.close());

const timeline = async (clientId: string, query = '') => (await h.call('GET', `/v1/clients/${clientId}/timeline${query}`)).body.items as any[];

describe('platform surface', () => {
  it('serves a valid OpenAPI 3.1 document and a reference page without a key', async () => {
    const doc = (await h.call('GET', '/openapi.json', { role: null })).body;
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const page = await h.app.request('/docs');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/openapi.json');
    expect((await h.app.request('/docs/assets/swagger-ui-bundle.js')).status).toBe(200);
  });

  it('answers liveness without auth and readiness with both dependencies checked', async () => {
    expect((await h.call('GET', '/healthz', { role: null })).body).toEqual({ status: 'ok' });
    const ready = await h.call('GET', '/readyz', { role: null });
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { database: 'ok', temporal: 'ok' } });
  });

  it('puts a request id on every response, errors included', async () => {
    const ok = await h.call('GET', '/healthz', { role: null });
    expect(ok.headers.get('x-request-id')).toMatch(/.+/);
    const bad = await h.call('GET', '/v1/nope');
    expect(bad.headers.get('x-request-id')).toBe(bad.body.requestId);
  });

  it('answers unknown routes with 404 and wrong methods with 405, both as problems', async () => {
    const missing = await h.call('GET', '/v1/nope');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    const wrong = await h.call('PUT', '/v1/clients');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, POST');
    expect(wrong.body).toMatchObject({ type: 'urn:baton:problem:method-not-allowed', status: 405 });
  });

  it('answers malformed JSON with a 400 problem', async () => {
    const res = await h.call('POST', '/v1/clients', { rawBody: '{"name": ' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ type: 'urn:baton:problem:validation', status: 400 });
  });
});

describe('client registry', () => {
  it('computes placement by policy: maturity 4, appetite 2, MRR 12000 → C, Goal 2, High (R-1..R-3)', async () => {
    const res = await h.call('POST', '/v1/clients', { role: 'ops', body: clientBody() });
    expect(res.status).toBe(201);
    expect(res.body.placement).toMatchObject({ segment: 'C', goalLevel: 2, touchTier: 'High', archetype: 'Educate', mrrTier: 'High', source: 'computed', policyVersion: 1 });
    expect(res.body.placement.ruleIds).toEqual(expect.arrayContaining(['R-1', 'R-2', 'R-3']));
    const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
    expect(res.body.createdAt).toMatch(ISO);
    expect(res.body.updatedAt).toMatch(ISO);
    const events = await timeline(res.body.id);
    expect(events.map((e) => e.type)).toEqual(['client.registered']);
    expect(events[0].occurredAt).toMatch(ISO);
    expect(events[0].recordedAt).toMatch(ISO);
    expect(events[0]).toMatchObject({ ruleId: 'R-1', actor: { kind: 'api-key', role: 'ops' }, data: { segment: 'C', goalLevel: 2 } });
  });

  it('rejects an invalid body with one field error per problem', async () => {
    const res = await h.call('POST', '/v1/clients', { body: { name: '', mrr: -5, maturity: 7, appetite: 'high', timeZone: 'Mars/Olympus', fiscalYearEnd: '02-30', surprise: 1 } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const paths = res.body.errors.map((e: any) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'mrr', 'maturity', 'appetite', 'timeZone', 'fiscalYearEnd']));
    for (const e of res.body.errors) expect(e.location).toBe('body');
    expect(JSON.stringify(res.body.errors)).toContain('surprise');
  });

  it('validates query and path parameters too', async () => {
    const q = await h.call('GET', '/v1/clients?segment=Z&limit=0');
    expect(q.status).toBe(400);
    expect(q.body.errors.map((e: any) => [e.location, e.path])).toEqual(expect.arrayContaining([['query', 'limit']]));
    const p = await h.call('GET', '/v1/clients/not-a-uuid');
    expect(p.status).toBe(400);
    expect(p.body.errors[0]).toMatchObject({ location: 'path', path: 'clientId' });
  });

  it('says so for an unknown client', async () => {
    const res = await h.call('GET', '/v1/clients/00000000-0000-4000-8000-000000000000');
    expect(res.status).toBe(404);
    expect(res.body.detail).toContain('00000000-0000-4000-8000-000000000000');
  });

  it('re-runs placement when the scores change and records why', async () => {
    const created = (await h.call('POST', '/v1/clients', { body: clientBody({ name: 'Globex', maturity: 2, appetite: 2, mrr: 3000 }) })).body;
    expect(created.placement).toMatchObject({ segment: 'D', goalLevel: 1, touchTier: 'Mid' });
    const updated = await h.call('PATCH', `/v1/clients/${created.id}`, { role: 'ops', body: { appetite: 4, mrr: 15000 } });
    expect(updated.status).toBe(200);
    expect(updated.body.placement).toMatchObject({ segment: 'B', goalLevel: 3, touchTier: 'VIP', archetype: 'Modernize' });
    expect(updated.body.revision).toBe(2);
    const events = await timeline(created.id);
    expect(events.map((e) => e.type)).toEqual(['client.registered', 'client.updated', 'segment.changed']);
    expect(events[2]).toMatchObject({ ruleId: 'R-1', data: { before: { segment: 'D' }, after: { segment: 'B', touchTier: 'VIP' } } });
  });

  it('lists with filters and a cursor', async () => {
    for (const name of ['Initech', 'Umbrella', 'Hooli']) await h.call('POST', '/v1/clients', { body: clientBody({ name, maturity: 5, appetite: 5 }) });
    const a = await h.call('GET', '/v1/clients?segment=A&limit=2');
    expect(a.status).toBe(200);
    expect(a.body.items).toHaveLength(2);
    expect(a.body.items.every((c: any) => c.placement.segment === 'A')).toBe(true);
    const rest = await h.call('GET', `/v1/clients?segment=A&limit=2&after=${a.body.next}`);
    expect(rest.body.items).toHaveLength(1);
    expect(rest.body.next).toBeUndefined();
    const byName = await h.call('GET', '/v1/clients?q=hoo');
    expect(byName.body.items.map((c: any) => c.name)).toEqual(['Hooli']);
  });

  it('rejects a duplicate externalRef with 409', async () => {
    expect((await h.call('POST', '/v1/clients', { body: clientBody({ externalRef: 'PSA-1' }) })).status).toBe(201);
    const dup = await h.call('POST', '/v1/clients', { body: clientBody({ externalRef: 'PSA-1' }) });
    expect(dup.status).toBe(409);
  });

  it('takes a rationale with a change that moves the placement and keeps it on the timeline with that change (R-7)', async () => {
    const created = (await h.call('POST', '/v1/clients', { body: clientBody({ maturity: 2, appetite: 2 }) })).body;
    const rationale = 'Security assessment of 3 Nov: maturity is 4, appetite 4 after the CEO change';
    const updated = await h.call('PATCH', `/v1/clients/${created.id}`, { body: { maturity: 4, appetite: 4, rationale } });
    expect(updated.status).toBe(200);
    expect(updated.body.placement).toMatchObject({ segment: 'A' });
    expect(updated.body).not.toHaveProperty('rationale');
    const [changed] = await timeline(created.id, '?type=segment.changed');
    expect(changed).toMatchObject({ ruleId: 'R-1', why: { rationale, rationaleRule: 'R-7', ruleIds: expect.arrayContaining(['R-1']) }, data: { before: { segment: 'D' }, after: { segment: 'A' } } });
    const [update] = await timeline(created.id, '?type=client.updated');
    expect(update).toMatchObject({ why: { rationale }, data: { changes: { maturity: { before: 2, after: 4 }, appetite: { before: 2, after: 4 } } } });
    expect(update.data.changes).not.toHaveProperty('rationale');

    // The innovation flag moves A to Goal 5: the same, with its own rationale.
    await h.call('PATCH', `/v1/clients/${created.id}`, { body: { ownsInnovationAgenda: true, rationale: 'The client now runs its own OKR programme' } });
    const moves = await timeline(created.id, '?type=segment.changed');
    expect(moves.map((e) => [e.data.after.goalLevel, e.why.rationale])).toEqual([[4, rationale], [5, 'The client now runs its own OKR programme']]);

    // Without a rationale the change is recorded as before; a rationale alone changes nothing and is refused.
    expect((await h.call('PATCH', `/v1/clients/${created.id}`, { body: { mrr: 30000 } })).status).toBe(200);
    expect((await timeline(created.id, '?type=client.updated')).at(-1)!.why).toEqual({});
    const alone = await h.call('PATCH', `/v1/clients/${created.id}`, { body: { rationale } });
    expect(alone).toMatchObject({ status: 400, body: { errors: [expect.objectContaining({ message: 'send at least one field to change' })] } });
    const short = await h.call('PATCH', `/v1/clients/${created.id}`, { body: { mrr: 1, rationale: 'why' } });
    expect(short).toMatchObject({ status: 400, body: { errors: [expect.objectContaining({ path: 'rationale' })] } });
  });

  it('overrides a segment only with a rationale, on the ledger, and clears it again (R-7)', async () => {
    const c = (await h.call('POST', '/v1/clients', { body: clientBody() })).body;
    expect((await h.call('PUT', `/v1/clients/${c.id}/segment-override`, { role: 'ops', body: { segment: 'B', rationale: 'CEO owns modernisation plan' } })).status).toBe(403);
    const noWhy = await h.call('PUT', `/v1/clients/${c.id}/segment-override`, { role: 'manager', body: { segment: 'B' } });
    expect(noWhy.status).toBe(400);
    expect(noWhy.body.errors[0].path).toBe('rationale');
    const badGoal = await h.call('PUT', `/v1/clients/${c.id}/segment-override`, { role: 'manager', body: { segment: 'B', goalLevel: 5, rationale: 'CEO owns modernisation plan' } });
    expect(badGoal.status).toBe(400);
    const ok = await h.call('PUT', `/v1/clients/${c.id}/segment-override`, { role: 'manager', body: { segment: 'B', rationale: 'CEO owns modernisation plan' } });
    expect(ok.status).toBe(200);
    expect(ok.body.placement).toMatchObject({ segment: 'B', goalLevel: 3, touchTier: 'VIP', source: 'override', ruleIds: ['R-7'], override: { rationale: 'CEO owns modernisation plan', by: 'test manager' } });
    const overridden = (await timeline(c.id, '?type=segment.overridden'))[0];
    expect(overridden).toMatchObject({ ruleId: 'R-7', why: { rationale: 'CEO owns modernisation plan', computed: { segment: 'C' } }, actor: { role: 'manager' } });
    // Under the override only the touch tier can move: MRR 12000 → 1000 makes B's touch tier Mid.
    const cheaper = await h.call('PATCH', `/v1/clients/${c.id}`, { body: { mrr: 1000 } });
    expect(cheaper.body.placement).toMatchObject({ segment: 'B', touchTier: 'Mid', mrrTier: 'Low', source: 'override' });
    const moved = (await timeline(c.id, '?type=segment.changed'))[0];
    expect(moved).toMatchObject({ ruleId: 'R-3', data: { before: { segment: 'B', touchTier: 'VIP' }, after: { segment: 'B', touchTier: 'Mid' } } });
    const cleared = await h.call('DELETE', `/v1/clients/${c.id}/segment-override`, { role: 'manager' });
    expect(cleared.body.placement).toMatchObject({ segment: 'C', touchTier: 'Tech', source: 'computed', override: null });
    expect((await timeline(c.id, '?type=segment.override_cleared'))[0].data).toEqual({ before: { segment: 'B', goalLevel: 3, touchTier: 'Mid' }, after: { segment: 'C', goalLevel: 2, touchTier: 'Tech' } });
  });
});

describe('people and role assignments (R-122)', () => {
  it('assigns an owner with a named backup and checks both', async () => {
    const c = (await h.call('POST', '/v1/clients', { body: clientBody() })).body;
    const csm = (await h.call('POST', '/v1/people', { role: 'ops', body: { name: 'Grace', email: 'grace@msp.example', roles: ['CSM'], weeklyCapacityHours: 32 } })).body;
    const am = (await h.call('POST', '/v1/people', { body: { name: 'Alan', email: 'alan@msp.example', roles: ['AM'] } })).body;
    expect((await h.call('POST', '/v1/people', { body: { name: 'Grace 2', email: 'GRACE@msp.example', roles: ['CSM'] } })).status).toBe(409);

    const wrongRole = await h.call('PUT', `/v1/clients/${c.id}/assignments/TAM`, { body: { personId: csm.id } });
    expect(wrongRole.status).toBe(422);
    expect(wrongRole.body.detail).toContain('does not hold the role TAM');
    const selfBackup = await h.call('PUT', `/v1/clients/${c.id}/assignments/CSM`, { body: { personId: csm.id, backupPersonId: csm.id } });
    expect(selfBackup.status).toBe(400);
    const unknown = await h.call('PUT', `/v1/clients/${c.id}/assignments/CSM`, { body: { personId: '00000000-0000-4000-8000-000000000000' } });
    expect(unknown.status).toBe(422);

    const ok = await h.call('PUT', `/v1/clients/${c.id}/assignments/CSM`, { role: 'ops', body: { personId: csm.id, backupPersonId: am.id } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ role: 'CSM', personName: 'Grace', backupPersonName: 'Alan' });
    const again = await h.call('PUT', `/v1/clients/${c.id}/assignments/CSM`, { body: { personId: csm.id } });
    expect(again.body.backupPersonId).toBeNull();
    const reassigned = (await timeline(c.id, '?type=role.assigned')).at(-1);
    expect(reassigned.data).toEqual({ role: 'CSM', personId: csm.id, backupPersonId: null, previous: { personId: csm.id, backupPersonId: am.id } });
    expect((await h.call('PUT', `/v1/clients/${c.id}/assignments/CSM`, { body: { personId: csm.id, backupPersonId: am.id } })).status).toBe(200);
    const list = await h.call('GET', `/v1/clients/${c.id}/assignments`, { role: 'automation' });
    expect(list.body.items).toEqual([expect.objectContaining({ role: 'CSM', personId: csm.id, backupPersonId: am.id })]);
    const csLead = await h.call('PUT', `/v1/clients/${c.id}/assignments/${encodeURIComponent('CS Lead')}`, { body: { personId: am.id } });
    expect(csLead.status).toBe(422);
    expect((await h.call('DELETE', `/v1/clients/${c.id}/assignments/CSM`)).status).toBe(204);
    expect((await h.call('DELETE', `/v1/clients/${c.id}/assignments/CSM`)).status).toBe(404);
    expect((await timeline(c.id, '?process=registry&type=role.assigned,role.unassigned')).map((e) => e.type)).toEqual(['role.assigned', 'role.assigned', 'role.assigned', 'role.unassigned']);
  });
});

describe('policy as data', () => {
  it('serves the seed defaults as version 1', async () => {
    const res = await h.call('GET', '/v1/policy', { role: 'automation' });
    expect(res.body.version).toBe(1);
    expect(res.body.document.onboarding.kickoffBusinessDays).toBe(5);
    expect(res.body.document.meeting.recapHours).toBe(48);
  });

  it('publishes a new version with a diff, and rejects an invalid one with field errors', async () => {
    const current = (await h.call('GET', '/v1/policy')).body.document;
    const next = structuredClone(current);
    next.onboarding.kickoffBusinessDays = 4;
    next.calendar.holidays = ['2026-12-25'];
    const published = await h.call('POST', '/v1/policy/versions', { body: { document: next, note: 'Faster kickoffs' } });
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ version: 2, previousVersion: 1, note: 'Faster kickoffs' });
    expect(published.body.changes).toEqual([
      { path: 'calendar.holidays', before: [], after: ['2026-12-25'] },
      { path: 'onboarding.kickoffBusinessDays', before: 5, after: 4 },
    ]);
    expect((await h.call('GET', '/v1/policy')).body.version).toBe(2);

    const bad = structuredClone(next);
    bad.onboarding.kickoffBusinessDays = -1;
    bad.calendar.slaClock = 'sometimes';
    const rejected = await h.call('POST', '/v1/policy/versions', { body: { document: bad, note: 'broken' } });
    expect(rejected.status).toBe(400);
    expect(rejected.body.errors.map((e: any) => e.path)).toEqual(expect.arrayContaining(['document.onboarding.kickoffBusinessDays', 'document.calendar.slaClock']));
    expect((await h.call('GET', '/v1/policy')).body.version).toBe(2);
    expect((await h.call('POST', '/v1/policy/versions', { role: 'manager', body: { document: next, note: 'x' } })).status).toBe(403);
    const versions = (await h.call('GET', '/v1/policy/versions')).body.items;
    expect(versions.map((v: any) => v.version)).toEqual([2, 1]);
  });

  it('applies per-client overrides where DOMAIN allows them and refuses the rest', async () => {
    const c = (await h.call('POST', '/v1/clients', { body: clientBody() })).body;
    const ok = await h.call('PUT', `/v1/clients/${c.id}/policy-overrides`, { role: 'manager', body: { overrides: { onboarding: { kickoffBusinessDays: 3 } } } });
    expect(ok.status).toBe(200);
    expect(ok.body.policy.onboarding.kickoffBusinessDays).toBe(3);
    const effective = await h.call('GET', `/v1/clients/${c.id}/policy`);
    expect(effective.body.overrides).toEqual({ onboarding: { kickoffBusinessDays: 3 } });
    const refused = await h.call('PUT', `/v1/clients/${c.id}/policy-overrides`, { role: 'manager', body: { overrides: { segmentation: { highScoreCutoff: 4 } } } });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].path).toMatch(/^overrides/);
  });
});

describe('Idempotency-Key on POST', () => {
  it('replays the first response for the same key and body', async () => {
    const headers = { 'idempotency-key': 'create-initrode-1' };
    const first = await h.call('POST', '/v1/clients', { body: clientBody({ name: 'Initrode' }), headers });
    const again = await h.call('POST', '/v1/clients', { body: clientBody({ name: 'Initrode' }), headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const all = (await h.call('GET', '/v1/clients?q=Initrode')).body.items;
    expect(all).toHaveLength(1);
  });

  it('answers 422 for the same key with another body', async () => {
    const headers = { 'idempotency-key': 'create-vandelay' };
    expect((await h.call('POST', '/v1/clients', { body: clientBody({ name: 'Vandelay' }), headers })).status).toBe(201);
    const other = await h.call('POST', '/v1/clients', { body: clientBody({ name: 'Vandelay Industries' }), headers });
    expect(other.status).toBe(422);
    expect(other.body.type).toBe('urn:baton:problem:idempotency-key-reused');
  });

  it('keeps keys per API key, replays 4xx answers, and does not keep 5xx', async () => {
    const headers = { 'idempotency-key': 'shared-key' };
    expect((await h.call('POST', '/v1/people', { role: 'admin', body: { name: 'Kim', email: 'kim@msp.example', roles: ['TAM'] }, headers })).status).toBe(201);
    const otherPrincipal = await h.call('POST', '/v1/people', { role: 'ops', body: { name: 'Kim', email: 'kim@msp.example', roles: ['TAM'] }, headers });
    expect(otherPrincipal.status).toBe(409);
    const replayed = await h.call('POST', '/v1/people', { role: 'ops', body: { name: 'Kim', email: 'kim@msp.example', roles: ['TAM'] }, headers });
    expect(replayed.status).toBe(409);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
  });

  it('runs concurrent requests with one key once', async () => {
    const headers = { 'idempotency-key': 'race' };
    const results = await Promise.all([1, 2, 3].map(() => h.call('POST', '/v1/clients', { body: clientBody({ name: 'Racer' }), headers })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect((await h.call('GET', '/v1/clients?q=Racer')).body.items).toHaveLength(1);
  });
});

describe('the ledger is append-only', () => {
  it('accepts only events that match the catalogue (docs/events.md)', async () => {
    const c = (await h.call('POST', '/v1/clients', { body: clientBody() })).body;
    const base = { occurredAt: new Date().toISOString(), clientId: c.id, process: 'test', actor: { kind: 'system' as const } };
    await expect(appendEvent(h.database.db, { ...base, type: 'made.up', data: {} })).rejects.toThrow(/unknown ledger event type "made.up"/);
    await expect(appendEvent(h.database.db, { ...base, type: 'risk.opened', data: { riskId: 'r1', bucket: 'Weather', severity: 'High', trigger: 'x' } })).rejects.toThrow(/bucket/);
    expect(await appendEvent(h.database.db, { ...base, id: 'risk/r1', type: 'risk.opened', ruleId: 'R-50', data: { riskId: 'r1', bucket: 'Delivery', severity: 'Medium', trigger: 'access below 95 % at Day 14' } })).toBe(true);
    expect(await appendEvent(h.database.db, { ...base, id: 'risk/r1', type: 'risk.opened', ruleId: 'R-50', data: { riskId: 'r1', bucket: 'Delivery', severity: 'Medium', trigger: 'access below 95 % at Day 14' } })).toBe(false);
  });

  it('appends a batch in order with one flag per event, writes nothing when one event is invalid, and fans each new event out to the subscriptions of its own type', async () => {
    const c = (await h.call('POST', '/v1/clients', { body: clientBody() })).body;
    const sub = `sub-${c.id}`;
    process.env[INTEGRATION_KEY_ENV] ??= randomBytes(32).toString('base64'); // the subscription's secret is sealed with it
    await createSubscription(h.database.db, { id: sub, url: 'https://receiver.example/hook', description: 'batch test', eventTypes: ['trigger.fired'], createdBy: 'test' });
    const base = { occurredAt: new Date().toISOString(), clientId: c.id, process: 'test', actor: { kind: 'system' as const } };
    const fact = (n: number) => ({ ...base, id: `batch/${c.id}/${n}`, type: 'process.fact_recorded', data: { fact: `fact ${n}`, details: {} } });
    const trigger = { ...base, id: `batch/${c.id}/trigger`, type: 'trigger.fired', ruleId: 'R-13', data: { trigger: 'renewal', anchor: '2027-09-30', targetDate: '2027-08-31', merged: false, meetingId: null } };
    expect(await appendEvent(h.database.db, fact(1))).toBe(true);
    // Validation runs before the insert: one bad event and none of the batch is written.
    await expect(appendEvents(h.database.db, [fact(2), { ...base, type: 'made.up', data: {} }])).rejects.toThrow(/made.up/);
    expect(await appendEvents(h.database.db, [fact(2), fact(1), trigger, fact(3)])).toEqual([true, false, true, true]);
    const ids = (await h.database.sql<{ id: string }[]>`select id from events where client_id = ${c.id} and id like 'batch/%' order by seq`).map((r) => r.id);
    expect(ids).toEqual([`batch/${c.id}/1`, `batch/${c.id}/2`, `batch/${c.id}/trigger`, `batch/${c.id}/3`]);
    const queued = await h.database.sql<{ event_id: string }[]>`select event_id from deliveries where subscription_id = ${sub}`;
    expect(queued.map((d) => d.event_id)).toEqual([`batch/${c.id}/trigger`]);
  });

  it('refuses UPDATE, DELETE and TRUNCATE at the database', async () => {
    const c = (await h.call('POST', '/v1/clients', { body: clientBody() })).body;
    await expect(h.database.sql`update events set type = 'x' where client_id = ${c.id}`).rejects.toThrow(/append-only/);
    await expect(h.database.sql`delete from events where client_id = ${c.id}`).rejects.toThrow(/append-only/);
    await expect(h.database.sql`truncate events`).rejects.toThrow(/append-only/);
  });
});
