import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { LedgerEvent } from '../../db/ledger.js';
import { rehearse, type RehearsalResult } from '../../rehearsal/run.js';
import { ScenarioSchema } from '../../rehearsal/scenario.js';
import { apiHarness, clientBody, type ApiHarness } from '../support/harness.js';
import { workflowBundle } from '../support/temporal.js';

/**
 * The client's own people (issue 9) through the public API: the registry with its R-123 pairing,
 * the former `stakeholders` list kept working, every change on the timeline, and a sponsor,
 * decision-maker or champion who leaves reported to the running cadence as R-19.
 */
let h: ApiHarness;
let clientId: string;
const people: Record<string, string> = {};
const timeline = async (id: string, type: string) => (await h.call('GET', `/v1/clients/${id}/timeline?type=${type}`)).body.items as LedgerEvent[];

beforeAll(async () => {
  h = await apiHarness();
  for (const [ref, role] of [['tori', 'TAM'], ['casey', 'CSM'], ['avery', 'AM'], ['val', 'vCIO']] as const) {
    const r = await h.call('POST', '/v1/people', { body: { name: `${ref} ${role}`, email: `${ref}@msp.test`, roles: [role] } });
    people[ref] = r.body.id;
  }
  // C (maturity 4, appetite 2): needs ≥2 active threads. Registered with the former whole-list input.
  const created = await h.call('POST', '/v1/clients', {
    role: 'ops',
    body: clientBody({
      stakeholders: [
        { name: 'Pat Park', title: 'CFO', email: 'pat@acme.test', roles: ['executiveSponsor', 'budgetHolder'] },
        { name: 'Ian Ito', email: 'ian@acme.test', roles: ['itOps'] },
      ],
    }),
  });
  expect(created.status).toBe(201);
  clientId = created.body.id;
  for (const [role, ref] of [['TAM', 'tori'], ['CSM', 'casey'], ['AM', 'avery'], ['vCIO', 'val']] as const) {
    expect((await h.call('PUT', `/v1/clients/${clientId}/assignments/${role}`, { role: 'ops', body: { personId: people[ref] } })).status).toBe(200);
  }
}, 60_000);
afterAll(async () => h?.close());

const base = () => `/v1/clients/${clientId}/stakeholders`;
const list = async (q = '') => (await h.call('GET', `${base()}${q}`, { role: 'manager' })).body;
const idOf = async (name: string) => (await list()).items.find((s: { name: string }) => s.name === name).id as string;

describe('the registry', () => {
  it('takes the people listed at registration and shows them on the client (the former field) and under /stakeholders', async () => {
    const client = (await h.call('GET', `/v1/clients/${clientId}`, { role: 'automation' })).body;
    expect(client.stakeholders.map((s: { name: string; roles: string[] }) => [s.name, s.roles])).toEqual([['Ian Ito', ['itOps']], ['Pat Park', ['executiveSponsor', 'budgetHolder']]]);
    const { items } = await list();
    expect(items.map((s: Record<string, unknown>) => [s.name, s.title, s.email, s.active, s.pairedWith])).toEqual([
      ['Ian Ito', null, 'ian@acme.test', true, ['TAM']],
      ['Pat Park', 'CFO', 'pat@acme.test', true, ['AM', 'vCIO']], // budget holder → AM; CFO → vCIO
    ]);
    const added = await timeline(clientId, 'stakeholder.added');
    expect(added.map((e) => [e.ruleId, e.process, (e.data as { name: string }).name])).toEqual([['R-123', 'registry', 'Pat Park'], ['R-123', 'registry', 'Ian Ito']]);
  });

  it('shows the R-123 pairing: each MSP role\'s counterparts, the active threads and whether the segment\'s count is met', async () => {
    const { pairing } = await list();
    expect(pairing.pairs.map((p: { mspRole: string; personId: string | null; stakeholders: { name: string }[] }) => [p.mspRole, p.personId, p.stakeholders.map((s) => s.name)])).toEqual([
      ['TAM', people.tori, ['Ian Ito']], ['CSM', people.casey, []], ['AM', people.avery, ['Pat Park']], ['vCIO', people.val, ['Pat Park']], ['vCISO', null, []], ['vCTO', null, []],
    ]);
    // Pat is one person: one thread, whether through the AM or the vCIO.
    expect(pairing).toMatchObject({ ruleId: 'R-123', segment: 'C', activeThreads: 2, required: { min: 2, max: null }, status: 'met', met: true });
    expect(pairing.gaps).toEqual(['no active client opsAdmin for the CSM']);
  });

  it('adds a person (201, Location, ledger); refuses a second active sponsor and a reused email with 409', async () => {
    const r = await h.call('POST', base(), { role: 'ops', body: { name: 'Olga Ortiz', email: 'olga@acme.test', roles: ['opsAdmin', 'decisionMaker'] } });
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe(`${base()}/${r.body.id}`);
    expect(r.body).toMatchObject({ clientId, name: 'Olga Ortiz', roles: ['opsAdmin', 'decisionMaker'], active: true, pairedWith: ['CSM'], revision: 1 });
    expect((await list()).pairing).toMatchObject({ activeThreads: 3, gaps: [] });

    const sponsor = await h.call('POST', base(), { role: 'ops', body: { name: 'Sam Second', roles: ['executiveSponsor'] } });
    expect(sponsor).toMatchObject({ status: 409, body: { type: 'urn:baton:problem:conflict', conflict: 'sponsor', existingStakeholderId: await idOf('Pat Park') } });
    expect(sponsor.body.detail).toContain('Pat Park is already the client\'s active executive sponsor');
    const email = await h.call('POST', base(), { role: 'ops', body: { name: 'Ian Again', email: 'IAN@acme.test', roles: ['champion'] } });
    expect(email).toMatchObject({ status: 409, body: { conflict: 'email' } });
    expect((await list()).items).toHaveLength(3);
  });

  it('validates the body (400 with the field), the roles (403), the client and the stakeholder (404)', async () => {
    const bad = async (body: unknown) => (await h.call('POST', base(), { role: 'ops', body })).body;
    expect(await bad({ name: 'X', roles: [] })).toMatchObject({ status: 400, errors: [expect.objectContaining({ location: 'body', path: 'roles' })] });
    expect(await bad({ name: 'X', roles: ['ceo'] })).toMatchObject({ status: 400, errors: [expect.objectContaining({ path: 'roles.0' })] });
    expect(await bad({ name: 'X', roles: ['champion', 'champion'] })).toMatchObject({ status: 400 });
    expect(await bad({ name: 'X', email: 'not-an-email', roles: ['champion'] })).toMatchObject({ status: 400, errors: [expect.objectContaining({ path: 'email' })] });
    expect(await bad({ name: 'X', roles: ['champion'], nickname: 'x' })).toMatchObject({ status: 400 });
    expect((await h.call('POST', base(), { role: 'manager', body: { name: 'X', roles: ['champion'] } })).body).toMatchObject({ status: 403, allowedRoles: ['admin', 'ops'] });
    expect((await h.call('POST', base(), { role: 'automation', body: { name: 'X', roles: ['champion'] } })).status).toBe(403);
    expect((await h.call('GET', base(), { role: null })).status).toBe(401);
    const ghost = '00000000-0000-4000-8000-000000000000';
    expect((await h.call('GET', `/v1/clients/${ghost}/stakeholders`)).body).toMatchObject({ status: 404, title: 'Client not found' });
    expect((await h.call('GET', `${base()}/${ghost}`)).body).toMatchObject({ status: 404, title: 'Stakeholder not found' });
    expect((await h.call('PATCH', `${base()}/${ghost}`, { role: 'ops', body: { title: 'x' } })).status).toBe(404);
    expect((await h.call('POST', `${base()}/${ghost}/deactivate`, { role: 'ops', body: {} })).status).toBe(404);
  });

  it('an Idempotency-Key replays the first answer and adds nobody twice; the key with another body is a 422', async () => {
    const body = { name: 'Cora Champion', email: 'cora@acme.test', roles: ['champion'] };
    const first = await h.call('POST', base(), { role: 'ops', body, headers: { 'idempotency-key': 'crm-sync-cora' } });
    const again = await h.call('POST', base(), { role: 'ops', body, headers: { 'idempotency-key': 'crm-sync-cora' } });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await list()).items.filter((s: { name: string }) => s.name === 'Cora Champion')).toHaveLength(1);
    const other = await h.call('POST', base(), { role: 'ops', body: { ...body, name: 'Cora C.' }, headers: { 'idempotency-key': 'crm-sync-cora' } });
    expect(other.body).toMatchObject({ status: 422, type: 'urn:baton:problem:idempotency-key-reused' });
  });

  it('updates name, title, email and roles with their before/after on the timeline; a no-op records nothing; collisions are 409', async () => {
    const ian = await idOf('Ian Ito');
    const r = await h.call('PATCH', `${base()}/${ian}`, { role: 'ops', body: { title: 'IT Manager', roles: ['itOps', 'architect'] } });
    expect(r.body).toMatchObject({ title: 'IT Manager', roles: ['itOps', 'architect'], pairedWith: ['TAM', 'vCTO'], revision: 2 });
    const events = (await timeline(clientId, 'stakeholder.updated')).filter((e) => (e.data as { stakeholderId: string }).stakeholderId === ian);
    expect(events.map((e) => e.data)).toEqual([{ stakeholderId: ian, name: 'Ian Ito', changes: { title: { before: null, after: 'IT Manager' }, roles: { before: ['itOps'], after: ['itOps', 'architect'] } } }]);
    expect((await h.call('PATCH', `${base()}/${ian}`, { role: 'ops', body: { title: 'IT Manager' } })).body.revision).toBe(2);
    expect(await timeline(clientId, 'stakeholder.updated')).toHaveLength(1);
    expect((await h.call('PATCH', `${base()}/${ian}`, { role: 'ops', body: { title: null } })).body).toMatchObject({ title: null, revision: 3 });
    expect((await h.call('PATCH', `${base()}/${ian}`, { role: 'ops', body: { roles: ['itOps', 'executiveSponsor'] } })).body).toMatchObject({ status: 409, conflict: 'sponsor' });
    expect((await h.call('PATCH', `${base()}/${ian}`, { role: 'ops', body: { email: 'pat@acme.test' } })).body).toMatchObject({ status: 409, conflict: 'email' });
    expect((await h.call('PATCH', `${base()}/${ian}`, { role: 'ops', body: {} })).status).toBe(400);
  });
});

describe('someone leaves (R-19)', () => {
  it('deactivating the sponsor keeps them on record, cites R-19 and tries the cadence (none runs here)', async () => {
    const pat = await idOf('Pat Park');
    const future = new Date(Date.now() + 7 * 86_400_000).toISOString();
    expect((await h.call('POST', `${base()}/${pat}/deactivate`, { role: 'ops', body: { leftAt: future } })).body).toMatchObject({ status: 422, errors: [{ location: 'body', path: 'leftAt', message: 'must not be in the future' }] });
    const r = await h.call('POST', `${base()}/${pat}/deactivate`, { role: 'ops', body: { reason: 'left the company', leftAt: '2025-12-04T09:00:00-06:00' } });
    expect(r.status).toBe(200);
    expect(r.body.stakeholder).toMatchObject({ active: false, deactivatedAt: '2025-12-04T15:00:00.000Z', deactivationReason: 'left the company', revision: 2 });
    expect(r.body.stakeholderChange).toMatchObject({ ruleId: 'R-19', applies: true, stakeholderRole: 'executiveSponsor', cadence: 'no-cadence' });
    const [event] = await timeline(clientId, 'stakeholder.deactivated');
    expect(event).toMatchObject({ ruleId: 'R-19', why: { stakeholderChange: { stakeholderRole: 'executiveSponsor', ruleId: 'R-19' } }, data: { stakeholderId: pat, name: 'Pat Park', roles: ['executiveSponsor', 'budgetHolder'], leftAt: '2025-12-04T15:00:00.000Z', reason: 'left the company' } });
    expect((await h.call('POST', `${base()}/${pat}/deactivate`, { role: 'ops', body: {} })).body).toMatchObject({ status: 409, deactivatedAt: '2025-12-04T15:00:00.000Z' });
    // Inactive people stay listed, pair with nobody, and the former client field no longer shows them.
    expect((await list('?active=false')).items.map((s: { name: string }) => s.name)).toEqual(['Pat Park']);
    expect((await list()).pairing.pairs.find((p: { mspRole: string }) => p.mspRole === 'AM').stakeholders).toEqual([]);
    expect((await h.call('GET', `/v1/clients/${clientId}`)).body.stakeholders.map((s: { name: string }) => s.name)).not.toContain('Pat Park');
  });

  it('a new sponsor may then be added; the old one cannot come back while the new one holds the role', async () => {
    const dana = await h.call('POST', base(), { role: 'ops', body: { name: 'Dana Diaz', title: 'CEO', roles: ['executiveSponsor'] } });
    expect(dana.status).toBe(201);
    const pat = await idOf('Pat Park');
    expect((await h.call('POST', `${base()}/${pat}/reactivate`, { role: 'ops', body: {} })).body).toMatchObject({ status: 409, conflict: 'sponsor' });
    expect((await h.call('POST', `${base()}/${dana.body.id}/reactivate`, { role: 'ops', body: {} })).body).toMatchObject({ status: 409, detail: 'Dana Diaz is already active.' });
  });

  it('someone who is not a sponsor, decision-maker or champion leaving is no stakeholder change', async () => {
    const ian = await idOf('Ian Ito');
    const r = await h.call('POST', `${base()}/${ian}/deactivate`, { role: 'ops', body: {} });
    expect(r.body.stakeholderChange).toMatchObject({ applies: false, cadence: 'not-applicable', detail: expect.stringContaining('triggers.stakeholderChange.roles') });
    const back = await h.call('POST', `${base()}/${ian}/reactivate`, { role: 'ops', body: {} });
    expect(back.body).toMatchObject({ active: true, deactivatedAt: null });
    expect((await timeline(clientId, 'stakeholder.reactivated')).map((e) => (e.data as { name: string }).name)).toEqual(['Ian Ito']);
  });

  it('with the optional trigger switched off for the client (policy override), a sponsor leaving is no stakeholder change', async () => {
    const other = (await h.call('POST', '/v1/clients', { role: 'ops', body: clientBody({ name: 'Quiet Co', stakeholders: [{ name: 'Qin Quiet', roles: ['executiveSponsor'] }] }) })).body.id;
    expect((await h.call('PUT', `/v1/clients/${other}/policy-overrides`, { role: 'manager', body: { overrides: { triggers: { stakeholderChange: { enabled: false } } } } })).status).toBe(200);
    const qin = (await h.call('GET', `/v1/clients/${other}/stakeholders`)).body.items[0].id;
    const r = await h.call('POST', `/v1/clients/${other}/stakeholders/${qin}/deactivate`, { role: 'ops', body: {} });
    expect(r.body.stakeholderChange).toMatchObject({ applies: false, cadence: 'not-applicable', detail: expect.stringContaining('switched off by policy') });
    expect((await timeline(other, 'stakeholder.deactivated'))[0]!.ruleId).toBeNull();
  });

  it('the former list on PATCH /v1/clients replaces the active people: matched ones kept, new ones added, the unlisted deactivated', async () => {
    const before = (await list()).items.filter((s: { active: boolean }) => s.active).map((s: { name: string }) => s.name);
    expect(before).toEqual(['Cora Champion', 'Dana Diaz', 'Ian Ito', 'Olga Ortiz']);
    const r = await h.call('PATCH', `/v1/clients/${clientId}`, {
      role: 'ops',
      body: { stakeholders: [{ name: 'Dana Diaz', title: 'CEO', roles: ['executiveSponsor'] }, { name: 'Ian Ito', email: 'ian@acme.test', roles: ['itOps', 'architect'] }, { name: 'Raj Risk', roles: ['riskCompliance'] }] },
    });
    expect(r.status).toBe(200);
    expect(r.body.stakeholders.map((s: { name: string }) => s.name)).toEqual(['Dana Diaz', 'Ian Ito', 'Raj Risk']);
    const left = (await timeline(clientId, 'stakeholder.deactivated')).slice(-2);
    // Olga was a decision-maker and Cora a champion: both R-19 (reported to the cadence, if one ran).
    expect(left.map((e) => [(e.data as { name: string }).name, e.ruleId])).toEqual([['Cora Champion', 'R-19'], ['Olga Ortiz', 'R-19']]);
    expect((await timeline(clientId, 'client.updated')).flatMap((e) => Object.keys((e.data as { changes: object }).changes))).not.toContain('stakeholders');
    expect((await h.call('PATCH', `/v1/clients/${clientId}`, { role: 'ops', body: { stakeholders: [{ name: 'A', email: 'a@x.test', roles: ['other'] }, { name: 'B', email: 'A@x.test', roles: ['other'] }] } })).body)
      .toMatchObject({ status: 400, errors: [expect.objectContaining({ path: 'stakeholders', message: 'emails must be unique' })] });
  });
});

describe('R-19 reaches the running cadence (rehearsal on the time-skipping server)', () => {
  let r: RehearsalResult;
  const typed = (ref: string, type: string) => r.timelines[r.refs[ref]!]!.filter((e) => e.type === type);
  beforeAll(async () => {
    const assignments = { CSM: { person: 'casey', backup: 'avery' }, AM: { person: 'avery' }, TAM: { person: 'tori' }, vCIO: { person: 'val' } };
    const stakeholders = [
      { name: 'Dana Diaz', title: 'CFO', email: 'dana@acme.test', roles: ['executiveSponsor', 'budgetHolder'] },
      { name: 'Olga Ortiz', email: 'olga@acme.test', roles: ['opsAdmin', 'decisionMaker'] },
      { name: 'Ian Ito', email: 'ian@acme.test', roles: ['itOps'] },
    ];
    const client = (ref: string) => ({ ref, name: `${ref} Inc`, mrr: 12000, maturity: 2, appetite: 4, timeZone: 'America/Chicago', renewalDate: '2027-06-30', assignments, stakeholders });
    const s = (ref: string, at: string, op: string, body?: unknown, extra: Record<string, unknown> = {}) => ({ at, op, params: { clientId: `$${ref}` }, ...(body !== undefined ? { body } : {}), ...extra });
    const who = (ref: string, name: string, at: string) => s(ref, at, 'listClientStakeholders', undefined, { capture: { [`${ref}_${name}`]: `items[name=${name === 'dana' ? 'Dana Diaz' : 'Olga Ortiz'}].id` } });
    const leave = (ref: string, name: string, at: string, extra: Record<string, unknown> = {}) =>
      ({ at, op: 'deactivateClientStakeholder', params: { clientId: `$${ref}`, stakeholderId: `$${ref}_${name}` }, body: { reason: 'left the company' }, ...extra });
    r = await rehearse(ScenarioSchema.parse({
      name: 'stakeholder changes', timeZone: 'America/Chicago', start: '2026-05-11T09:00:00-05:00', end: '+3d+1h',
      people: [['casey', 'CSM'], ['avery', 'AM'], ['tori', 'TAM'], ['val', 'vCIO'], ['lee', 'CS Lead']].map(([ref, role]) => ({ ref, name: `${ref} ${role}`, roles: [role] })),
      clients: [client('acme')],
      steps: [
        s('acme', '+0h', 'startCadence', {}, { expect: 201 }),
        who('acme', 'dana', '+1d'),
        leave('acme', 'dana', '+1d+1h', { idempotencyKey: 'hr-dana-left', expect: 200, note: 'sponsor left' }),
        leave('acme', 'dana', '+1d+2h', { idempotencyKey: 'hr-dana-left', expect: 200, note: 'sponsor left, retried' }),
        // The former list: Olga (decision-maker) left out, two days later.
        s('acme', '+3d', 'updateClient', { stakeholders: stakeholders.filter((x) => x.name !== 'Olga Ortiz' && x.name !== 'Dana Diaz') }, { expect: 200 }),
      ],
    }), { postgresAdminUrl: inject('postgresAdminUrl'), testServerPath: inject('testServerPath'), workflowBundle: await workflowBundle() });
  }, 240_000);

  it('every step got the expected status', () => {
    expect(r.failures).toEqual([]);
  });

  it('the sponsor leaving fires the cadence\'s stakeholder-change trigger: New-Sponsor Intro ≤10 d, handoff-note CTA (R-19)', () => {
    const done = r.steps.find((x) => x.note === 'sponsor left')!;
    expect(done.body).toMatchObject({ stakeholder: { name: 'Dana Diaz', active: false }, stakeholderChange: { ruleId: 'R-19', applies: true, stakeholderRole: 'executiveSponsor', cadence: 'told' } });
    const fired = typed('acme', 'trigger.fired');
    expect(fired.map((e) => [e.ruleId, (e.data as { trigger: string }).trigger, (e.data as { anchor: string }).anchor])[0]).toEqual(['R-19', 'stakeholderChange', 'Dana Diaz@2026-05-12']);
    // The trigger's handoff-note CTA, and — the intro needs a sponsor nobody holds now — a CTA to name the new one.
    expect([...new Set(r.states[r.refs.acme!]!.ctas.filter((c) => c.ruleId === 'R-19').map((c) => c.kind))].sort()).toEqual(['name-stakeholder', 'trigger-stakeholderChange']);
    // The cadence's report carries who reported it: the ops key that deactivated Dana.
    expect(typed('acme', 'stakeholder.deactivated')[0]).toMatchObject({ ruleId: 'R-19', actor: { kind: 'api-key', role: 'ops' } });
  });

  it('a retried deactivation with its Idempotency-Key replays the first answer: one trigger', () => {
    const [first, retried] = [r.steps.find((x) => x.note === 'sponsor left')!, r.steps.find((x) => x.note === 'sponsor left, retried')!];
    expect(retried.body).toEqual(first.body);
    expect(typed('acme', 'stakeholder.deactivated').filter((e) => (e.data as { name: string }).name === 'Dana Diaz')).toHaveLength(1);
    expect(typed('acme', 'trigger.fired').filter((e) => (e.data as { anchor: string }).anchor.startsWith('Dana Diaz@'))).toHaveLength(1);
  });

  it('a decision-maker left out of the former list fires it too', () => {
    expect(typed('acme', 'trigger.fired').map((e) => (e.data as { anchor: string }).anchor)).toEqual(['Dana Diaz@2026-05-12', 'Olga Ortiz@2026-05-14']);
  });
});
