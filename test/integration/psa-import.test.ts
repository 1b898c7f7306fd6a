import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientTimeline } from '../../db/ledger.js';
import { clients } from '../../db/schema.js';
import { INTEGRATION_KEY_ENV } from '../../runtime/secret-box.js';
import { autotaskStub } from '../support/autotask-stub.js';
import { connectWiseStub } from '../support/connectwise-stub.js';
import { haloPsaStub } from '../support/halopsa-stub.js';
import { eventually, workerHarness, type WorkerHarness } from '../support/harness.js';

/**
 * Importing clients from a connected PSA (issue 15, "Getting clients in") on the real Temporal
 * server and PostgreSQL, against the ConnectWise contract stub: companies, primary contacts and
 * agreements read with ConnectWise's paging (`Link: rel="next"` followed), mapped to the CSV
 * import's rows and handed to its path — dry run with per-company problems, 422 writing nothing,
 * idempotent by externalRef, the primary contact as a stakeholder once, and a client in mid-life
 * (renewal in 40 days) started at the state it is in with no past-due CTA. Then what the vendors hold
 * beyond names (ConnectWise mrr, zone and region; Autotask region; HaloPSA mrr) and a re-sync that
 * updates a changed renewal, mrr and primary contact once, telling the running cadence, restarting nothing.
 */
process.env[INTEGRATION_KEY_ENV] ??= randomBytes(32).toString('base64');

const CREDS = { companyId: 'msp', publicKey: 'pubKEY123', privateKey: 'privSECRET-4f1c9', clientId: '11111111-2222-3333-4444-555555555555' };
const DAY = 86_400_000;
const dateIn = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);
const RENEWAL = dateIn(40);
const DEFAULTS = { mrr: 4000, maturity: 3, appetite: 3, timeZone: 'America/Chicago', lifecycle: 'none' };

let h: WorkerHarness;
let call: WorkerHarness['call'];
let stub: Awaited<ReturnType<typeof connectWiseStub>>;
let connectorId: string;
let wrongKeyConnectorId: string;

const email = (value: string) => [{ type: { id: 1, name: 'Email' }, value, defaultFlag: true, communicationType: 'Email' as const }];

beforeAll(async () => {
  h = await workerHarness();
  call = h.call;
  // Two records a page: five companies, their contacts and agreements all take several pages.
  stub = await connectWiseStub({ ...CREDS, companies: [], members: [], boards: [7], pageCap: 2 });
  stub.directory.companies.push(
    { id: 301, identifier: 'LongtimeDental', name: 'Longtime Dental, LLC' },
    { id: 302, identifier: 'AcmeOps', name: 'Acme Ops' },
    { id: 303, identifier: 'Gone', name: 'Gone Corp', deletedFlag: true },
    { id: 304, identifier: 'NoMail', name: 'No Mail Inc' },
    { id: 305, identifier: 'Zoned', name: 'Zoned Ltd' },
  );
  stub.directory.contacts.push(
    { id: 1, firstName: 'Pat', lastName: 'Lee', title: 'Office Manager', company: { id: 301 }, defaultFlag: true, communicationItems: email('pat@dental.example') },
    { id: 2, firstName: 'Sam', lastName: 'Other', company: { id: 301 }, defaultFlag: false, communicationItems: email('sam@dental.example') },
    { id: 3, firstName: 'Noa', company: { id: 304 }, defaultFlag: true },
  );
  stub.directory.agreements.push(
    { id: 11, name: 'Managed services 2026', company: { id: 301 }, startDate: '2025-01-01T00:00:00Z', endDate: `${RENEWAL}T00:00:00Z`, noEndingDateFlag: false, cancelledFlag: false },
    { id: 12, name: 'Old backup', company: { id: 301 }, startDate: '2023-01-01T00:00:00Z', endDate: `${dateIn(400)}T00:00:00Z`, noEndingDateFlag: false, cancelledFlag: true },
    { id: 13, name: 'Ended 2024', company: { id: 302 }, startDate: '2023-01-01T00:00:00Z', endDate: '2024-06-30T00:00:00Z', noEndingDateFlag: false, cancelledFlag: false },
    { id: 14, name: 'Evergreen', company: { id: 304 }, startDate: '2023-01-01T00:00:00Z', noEndingDateFlag: true, cancelledFlag: false },
  );
  const connect = async (privateKey: string) => (await call('POST', '/v1/connectors', {
    body: { type: 'connectwise', name: `CW ${privateKey}`, baseUrl: stub.baseUrl, credentials: { ...CREDS, privateKey }, settings: { boardId: 7 } },
  })).body.id as string;
  connectorId = await connect(CREDS.privateKey);
  wrongKeyConnectorId = await connect('not-the-key');
});
afterAll(async () => {
  await stub?.stop();
  await h?.close();
});

const importFrom = (body: Record<string, unknown>, id = connectorId, role: 'admin' | 'ops' | 'manager' | 'automation' | null = 'ops') =>
  call('POST', `/v1/connectors/${id}/import`, { body, role });
const ref = (companyId: number) => `connectwise:${connectorId}:${companyId}`;
const clientCount = async () => (await h.database.db.select({ id: clients.id }).from(clients)).length;
const ENGAGED = { companyId: '301', lifecycle: 'engagement' };

describe('refusals write nothing', () => {
  it('401 without a key, 403 for roles that may not import, 404 for an unknown connector', async () => {
    expect((await importFrom({ dryRun: true }, connectorId, null)).status).toBe(401);
    for (const role of ['manager', 'automation'] as const) expect((await importFrom({ dryRun: true }, connectorId, role)).status).toBe(403);
    expect((await importFrom({ dryRun: true }, crypto.randomUUID())).status).toBe(404);
    expect((await importFrom({ defaults: { maturity: 9 } })).status).toBe(400);
  });

  it('a connector ConnectWise refuses, or an outage, is a 502 naming the vendor error; an inactive one a 422', async () => {
    const refused = await importFrom({ defaults: DEFAULTS }, wrongKeyConnectorId);
    expect(refused.status).toBe(502);
    expect(refused.body).toMatchObject({ type: expect.stringContaining('vendor-failed'), detail: expect.stringMatching(/ConnectWise refused the connector's credentials \(401\) on GET \/company\/companies.*Nothing was imported/) });
    stub.fail('GET', '/company/contacts', { status: 503 });
    const outage = await importFrom({ defaults: DEFAULTS });
    expect(outage.status).toBe(502);
    expect(outage.body.detail).toContain('ConnectWise 503 on GET /company/contacts');
    // Deactivated: refused before ConnectWise is asked anything.
    expect((await call('PATCH', `/v1/connectors/${wrongKeyConnectorId}`, { body: { active: false } })).status).toBe(200);
    const asked = stub.requests.length;
    const inactive = await importFrom({ defaults: DEFAULTS }, wrongKeyConnectorId);
    expect(inactive.status).toBe(422);
    expect(inactive.body.detail).toContain('inactive');
    expect(stub.requests.length).toBe(asked);
    expect(await clientCount()).toBe(0);
  });
});

describe('import from ConnectWise', () => {
  it('a dry run lists every company with what it would do and every problem, naming the company', async () => {
    const missing = await importFrom({ dryRun: true, defaults: { ...DEFAULTS, mrr: undefined } });
    expect(missing.status).toBe(200);
    expect(missing.body.errors).toHaveLength(4); // the deleted company is not listed
    expect(missing.body.errors[0]).toEqual({ row: 1, column: 'mrr', message: expect.stringMatching(/^company 301 "Longtime Dental, LLC": required \(the PSA has no mrr: give defaults\.mrr/) });

    const dry = await importFrom({ dryRun: true, defaults: DEFAULTS, overrides: [ENGAGED, { companyId: '305', timeZone: 'Mars/Olympus' }] });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, total: 4, created: 3, updated: 0, unchanged: 0 });
    expect(dry.body.errors).toEqual([{ row: 4, column: 'timeZone', message: expect.stringContaining('company 305 "Zoned Ltd": must be an IANA time zone') }]);
    expect(dry.body.rows.map((r: any) => [r.companyId, r.externalRef, r.action, r.lifecycle, r.clientId])).toEqual([
      ['301', ref(301), 'create', 'engagement', null], ['302', ref(302), 'create', 'none', null], ['304', ref(304), 'create', 'none', null],
    ]);
    expect(dry.body.rows[0].primaryContact).toEqual({ name: 'Pat Lee', email: 'pat@dental.example', title: 'Office Manager', stakeholder: 'pending' });
    expect(dry.body.rows[1].primaryContact).toBeNull();

    const refused = await importFrom({ defaults: DEFAULTS, overrides: [ENGAGED, { companyId: '305', timeZone: 'Mars/Olympus' }] });
    expect(refused.status).toBe(422);
    expect(refused.body.rowErrors).toEqual(dry.body.errors);
    expect(await clientCount()).toBe(0);
  });

  it('imports each company once, its primary contact as a stakeholder, following ConnectWise\'s paging; a second run changes nothing', async () => {
    const before = stub.requests.length;
    const first = await importFrom({ defaults: DEFAULTS, overrides: [ENGAGED], contactRoles: ['opsAdmin'] });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ dryRun: false, total: 4, created: 4, updated: 0, unchanged: 0, errors: [] });
    const byCompany = Object.fromEntries(first.body.rows.map((r: any) => [r.companyId, r]));
    expect(byCompany['301']).toMatchObject({ lifecycle: 'engagement', processes: { onboarding: 'none', cadence: 'running' }, primaryContact: { stakeholder: 'added' } });
    expect(byCompany['304']).toMatchObject({ lifecycle: 'none', primaryContact: { name: 'Noa', email: null, stakeholder: 'added' } });
    // Paging followed: four active companies at two a page are two pages, three live agreements two more.
    const reads = stub.requests.slice(before);
    expect(reads.filter((r) => r.path.endsWith('/company/companies')).map((r) => r.query.get('page'))).toEqual(['1', '2']);
    expect(reads.filter((r) => r.path.endsWith('/finance/agreements')).map((r) => r.query.get('page'))).toEqual(['1', '2']);
    expect(reads.every((r) => r.method === 'GET' && r.status === 200)).toBe(true);

    const dental = byCompany['301'].clientId as string;
    const client = (await call('GET', `/v1/clients/${dental}`)).body;
    expect(client).toMatchObject({ name: 'Longtime Dental, LLC', externalRef: ref(301), renewalDate: RENEWAL, mrr: 4000 });
    expect((await call('GET', `/v1/clients/${byCompany['302'].clientId}`)).body.renewalDate).toBe('2024-06-30');
    expect((await call('GET', `/v1/clients/${byCompany['304'].clientId}`)).body.renewalDate).toBeNull();
    const stakeholders = (await call('GET', `/v1/clients/${dental}/stakeholders`)).body.items as any[];
    expect(stakeholders.map((s) => [s.name, s.email, s.roles])).toEqual([['Pat Lee', 'pat@dental.example', ['opsAdmin']]]);

    const again = await importFrom({ defaults: DEFAULTS, overrides: [ENGAGED], contactRoles: ['opsAdmin'] });
    expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 4 });
    expect(again.body.rows.map((r: any) => r.primaryContact?.stakeholder ?? null)).toEqual(['exists', null, 'exists', null]);
    expect(again.body.rows.map((r: any) => r.clientId)).toEqual(first.body.rows.map((r: any) => r.clientId));
    expect(await clientCount()).toBe(4);
    expect((await call('GET', `/v1/clients/${dental}/stakeholders`)).body.items).toHaveLength(1);
  });

  it('an engagement client whose agreement ends in 40 days gets its renewal review ahead and no past-due CTA', async () => {
    const dental = (await call('GET', `/v1/clients?limit=200`)).body.items.find((c: any) => c.externalRef === ref(301)).id as string;
    const importedAt = Date.now() - 60_000;
    const cadence = await eventually(async () => (await call('GET', `/v1/clients/${dental}/cadence`)).body, (b) => b?.triggers?.some((t: any) => t.type === 'renewal'));
    const renewal = cadence.triggers.find((t: any) => t.type === 'renewal');
    // R-13: renewal − 90 d is already past, so the trigger is learned late and met ahead, before the renewal (R-14's late path).
    expect(renewal).toMatchObject({ anchor: RENEWAL });
    expect(renewal.targetDate > new Date().toISOString().slice(0, 10) && renewal.targetDate < RENEWAL).toBe(true);
    expect(cadence.meetings.every((m: any) => Date.parse(m.startsAt) >= importedAt)).toBe(true);
    const timeline = await clientTimeline(h.database.db, dental, {});
    expect(timeline.filter((e) => e.type === 'deadline.missed')).toEqual([]);
    const ctas = (await call('GET', `/v1/ctas?clientId=${dental}&limit=200`)).body.items as any[];
    expect(ctas.filter((c) => Date.parse(c.dueAt) < importedAt || c.overdue)).toEqual([]);
  });
});

describe('what ConnectWise holds beyond names, and a re-sync', () => {
  const LATER = dateIn(200);
  let importedAt = 0;
  const clientOf = async (companyId: number) => (await call('GET', '/v1/clients?limit=200')).body.items.find((x: any) => x.externalRef === ref(companyId));

  it('mrr from running agreements (billAmount per billingCycle), zone from timeZoneSetup, region from country and state; unmapped ones fall back without a row error', async () => {
    stub.directory.companies.push(
      { id: 306, identifier: 'Metro', name: 'Metro Clinic', country: { id: 1, identifier: 'US', name: 'United States' }, state: 'California', timeZoneSetup: { id: 4, name: 'Pacific Standard Time' } },
      { id: 307, identifier: 'Vague', name: 'Vague Co', country: { id: 99, name: 'Atlantis' }, state: 'Deep', timeZoneSetup: { id: 9, name: 'Central' } },
    );
    stub.directory.agreements.push(
      { id: 15, name: 'Managed', company: { id: 306 }, startDate: '2025-01-01T00:00:00Z', endDate: `${LATER}T00:00:00Z`, noEndingDateFlag: false, cancelledFlag: false, billAmount: 3000, billingCycle: { id: 3, name: 'Quarterly' } },
      { id: 16, name: 'Backup', company: { id: 306 }, startDate: '2025-01-01T00:00:00Z', noEndingDateFlag: true, cancelledFlag: false, billAmount: 500, billingCycle: { id: 1, name: 'Monthly' } },
      { id: 17, name: 'Setup', company: { id: 306 }, startDate: '2025-01-01T00:00:00Z', noEndingDateFlag: true, cancelledFlag: false, billAmount: 9999, billingCycle: { id: 1, name: 'Monthly' }, billOneTimeFlag: true },
      { id: 18, name: 'Ended', company: { id: 306 }, startDate: '2023-01-01T00:00:00Z', endDate: '2024-06-30T00:00:00Z', noEndingDateFlag: false, cancelledFlag: false, billAmount: 700, billingCycle: { id: 1, name: 'Monthly' } },
      { id: 19, name: 'Odd cycle', company: { id: 307 }, startDate: '2025-01-01T00:00:00Z', noEndingDateFlag: true, cancelledFlag: false, billAmount: 800, billingCycle: { id: 8, name: 'Bi-Monthly' } },
    );
    importedAt = Date.now() - 60_000;
    const res = await importFrom({ defaults: DEFAULTS, overrides: [ENGAGED, { companyId: '306', lifecycle: 'engagement' }], contactRoles: ['opsAdmin'] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 2, unchanged: 4, errors: [] });
    const metro = (await call('GET', `/v1/clients/${(await clientOf(306)).id}`)).body;
    expect(metro).toMatchObject({ mrr: 1500, timeZone: 'America/Los_Angeles', region: 'US-CA', renewalDate: LATER });
    // 'Central' is a label, not a zone; Atlantis is no country; a Bi-Monthly amount is not guessed: the defaults hold.
    const vague = (await call('GET', `/v1/clients/${(await clientOf(307)).id}`)).body;
    expect(vague).toMatchObject({ mrr: DEFAULTS.mrr, timeZone: DEFAULTS.timeZone, region: null });
    expect(stub.requests.filter((r) => r.path.endsWith('/company/companies')).at(-1)!.query.get('fields')).toBe('id,name,country,state,timeZoneSetup');
  });

  it('a re-sync with no defaults updates what changed in ConnectWise (renewal, mrr, primary contact) once, starts nothing, and fires no past deadline', async () => {
    const metroId = (await clientOf(306)).id as string;
    await eventually(async () => (await call('GET', `/v1/clients/${metroId}/cadence`)).body, (b) => b?.triggers?.some((t: any) => t.type === 'renewal' && t.anchor === LATER));
    const RENEWED = dateIn(300); // renewal − 90 d inside the booked 12-month horizon: the cadence plans its trigger now
    const managed = stub.directory.agreements.find((a) => a.id === 15)!;
    Object.assign(managed, { endDate: `${RENEWED}T00:00:00Z`, billAmount: 3600 });
    // Pat leaves Longtime Dental: Sam is its primary contact now.
    for (const k of stub.directory.contacts) if (k.company.id === 301) k.defaultFlag = k.id === 2;

    const dry = await importFrom({ dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, created: 0, updated: 2, unchanged: 4, errors: [] });
    const planned = Object.fromEntries(dry.body.rows.map((r: any) => [r.companyId, [r.action, r.changes]]));
    expect(planned).toMatchObject({ '301': ['update', ['primaryContact']], '306': ['update', ['mrr', 'renewalDate']], '302': ['unchanged', []] });
    expect((await call('GET', `/v1/clients/${metroId}`)).body.renewalDate).toBe(LATER); // a dry run writes nothing

    const resyncAt = Date.now();
    const first = await importFrom({});
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ created: 0, updated: 2, unchanged: 4, errors: [] });
    const rows = Object.fromEntries(first.body.rows.map((r: any) => [r.companyId, r]));
    expect(rows['306']).toMatchObject({ action: 'update', changes: ['mrr', 'renewalDate'], lifecycle: 'none', processes: { onboarding: 'none', cadence: 'none' } });
    expect(rows['301']).toMatchObject({ action: 'update', changes: ['primaryContact'], primaryContact: { name: 'Sam Other', stakeholder: 'added' } });
    expect((await call('GET', `/v1/clients/${metroId}`)).body).toMatchObject({ renewalDate: RENEWED, mrr: 1700, timeZone: 'America/Los_Angeles', region: 'US-CA', maturity: 3 });
    const dental = rows['301'].clientId as string;
    expect(((await call('GET', `/v1/clients/${dental}/stakeholders`)).body.items as any[]).map((x) => x.name).sort()).toEqual(['Pat Lee', 'Sam Other']);

    // The running cadence learns the new renewal — told, not restarted — and nothing past is judged.
    const cadence = await eventually(async () => (await call('GET', `/v1/clients/${metroId}/cadence`)).body, (b) => b?.triggers?.some((t: any) => t.type === 'renewal' && t.anchor === RENEWED));
    expect(cadence.meetings.every((m: any) => Date.parse(m.startsAt) >= importedAt)).toBe(true);
    const timeline = await clientTimeline(h.database.db, metroId, {});
    expect(timeline.filter((e) => e.type === 'deadline.missed')).toEqual([]);
    expect(timeline.filter((e) => e.type === 'process.started' && Date.parse(String(e.occurredAt)) >= resyncAt)).toEqual([]);

    const again = await importFrom({});
    expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 6 });
    expect(await clientCount()).toBe(6);
  });
});

describe('the same import from Autotask and HaloPSA', () => {
  const NONE = { ...DEFAULTS, lifecycle: 'none' };
  const refsOf = (rows: any[]) => rows.map((r: any) => [r.companyId, r.action, r.primaryContact?.name ?? null]);

  it('Autotask: Companies, Contacts and Contracts queries, paged by pageDetails.nextPageUrl; once, then unchanged', async () => {
    const AT = { apiIntegrationCode: 'TRACKINGID27CHARACTERSXXXXX', userName: 'baton-api@msp.example', secret: 'S3cret-9a8b7c', webhookSecret: 'hook-secret-0123456789' };
    const at = await autotaskStub({ ...AT, companies: [], resources: [], pageSize: 2 });
    try {
      at.directory.companies.push({ id: 1, companyName: 'Alpha Law', isActive: true }, { id: 2, companyName: 'Beta Build', isActive: true }, { id: 3, companyName: 'Closed Co', isActive: false }, { id: 4, companyName: 'Delta Dent', isActive: true });
      at.directory.contacts.push(
        { id: 10, companyID: 1, firstName: 'Ada', lastName: 'Law', emailAddress: 'ada@alpha.example', title: 'Partner', primaryContact: true, isActive: 1 },
        { id: 11, companyID: 1, firstName: 'Ben', lastName: 'Clerk', emailAddress: 'ben@alpha.example', primaryContact: false, isActive: 1 },
      );
      at.directory.contracts.push(
        { id: 20, companyID: 1, contractName: 'MSA', startDate: '2025-01-01T00:00:00', endDate: `${RENEWAL}T00:00:00`, status: 1 },
        { id: 21, companyID: 1, contractName: 'Old', startDate: '2022-01-01T00:00:00', endDate: `${dateIn(900)}T00:00:00`, status: 0 },
        { id: 22, companyID: 4, contractName: 'Block hours', startDate: '2025-01-01T00:00:00', endDate: `${dateIn(200)}T00:00:00`, status: 1 },
      );
      const id = (await call('POST', '/v1/connectors', { body: { type: 'autotask', name: 'Autotask', baseUrl: at.baseUrl, credentials: AT, settings: { queueId: 8 } } })).body.id as string;
      const first = await importFrom({ defaults: NONE }, id);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ total: 3, created: 3, errors: [] });
      expect(refsOf(first.body.rows)).toEqual([['1', 'create', 'Ada Law'], ['2', 'create', null], ['4', 'create', null]]);
      expect(first.body.rows[0].externalRef).toBe(`autotask:${id}:1`);
      const alpha = (await call('GET', `/v1/clients/${first.body.rows[0].clientId}`)).body;
      expect(alpha.renewalDate).toBe(RENEWAL);
      expect((await call('GET', `/v1/clients/${first.body.rows[2].clientId}`)).body.renewalDate).toBe(dateIn(200));
      // Three active companies at two a page: the query, then its nextPageUrl (GET). (The connector's to-do poller queries CompanyToDos meanwhile.)
      expect(at.requests.filter((r) => !r.path.endsWith('/CompanyToDos/query')).map((r) => `${r.method} ${r.path.replace('/ATServicesRest/V1.0', '')}`)).toEqual([
        'POST /Companies/query', 'GET /query/next', 'POST /Contacts/query', 'POST /Contracts/query',
      ]);
      const again = await importFrom({ defaults: NONE }, id);
      expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
      expect(again.body.rows[0].primaryContact.stakeholder).toBe('exists');
    } finally {
      await at.stop();
    }
  });

  it('HaloPSA: Client, Users and ClientContract lists paged with page_no/page_size; once, then unchanged', async () => {
    const HALO = { clientId: 'c9534241-dde9-4d04-9d45-32b1fbff22ed', clientSecret: 'halo-SECRET-14c0c9af-2db1', webhook: { username: 'halo-hook', password: 'hook-PASSWORD-7f3a9' } };
    const halo = await haloPsaStub({ clientId: HALO.clientId, clientSecret: HALO.clientSecret, tenant: 'msp', clients: [], agents: [], pageCap: 2 });
    try {
      halo.directory.clients.push({ id: 12, name: 'Harbor Freight Co', inactive: false }, { id: 13, name: 'Gone Ltd', inactive: true }, { id: 14, name: 'Inland Ops', inactive: false }, { id: 15, name: 'Juno Labs', inactive: false });
      halo.directory.users.push(
        { id: 100, name: 'Hana Port', client_id: 12, emailaddress: 'hana@harbor.example', jobtitle: 'COO', isimportantcontact: true, inactive: false },
        { id: 101, name: 'Ivan Desk', client_id: 14, emailaddress: 'ivan@inland.example', isimportantcontact: false, inactive: false },
      );
      halo.directory.contracts.push({ id: 7, client_id: 12, ref: 'MSP-12', start_date: '2025-01-01T00:00:00', end_date: `${RENEWAL}T00:00:00` });
      const id = (await call('POST', '/v1/connectors', { body: { type: 'halopsa', name: 'HaloPSA', baseUrl: halo.origin, credentials: HALO, settings: { tenant: 'msp' } } })).body.id as string;
      const dry = await importFrom({ dryRun: true, defaults: NONE, overrides: [{ companyId: '15', maturity: 7 }] }, id);
      expect(dry.status).toBe(400); // an override out of range is the request's own error
      const first = await importFrom({ defaults: NONE }, id);
      expect(first.status).toBe(200);
      expect(refsOf(first.body.rows)).toEqual([['12', 'create', 'Hana Port'], ['14', 'create', null], ['15', 'create', null]]);
      expect((await call('GET', `/v1/clients/${first.body.rows[0].clientId}`)).body.renewalDate).toBe(RENEWAL);
      expect(halo.requests.filter((r) => r.path === '/api/Client').map((r) => r.query.get('page_no'))).toEqual(['1', '2']);
      const again = await importFrom({ defaults: NONE }, id);
      expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
    } finally {
      await halo.stop();
    }
  });

  it('Autotask: the region from countryID (Countries/query, once) and state; no country known, the default', async () => {
    const AT = { apiIntegrationCode: 'TRACKINGID27CHARACTERSXXXXX', userName: 'baton-api@msp.example', secret: 'S3cret-9a8b7c', webhookSecret: 'hook-secret-0123456789' };
    const at = await autotaskStub({ ...AT, companies: [], resources: [], pageSize: 2 });
    try {
      at.directory.countries.push({ id: 237, countryCode: 'US', name: 'United States', displayName: 'United States', isActive: true }, { id: 83, countryCode: 'DE', name: 'Germany', displayName: 'Germany', isActive: true });
      at.directory.companies.push(
        { id: 31, companyName: 'Lone Star Legal', isActive: true, countryID: 237, state: 'TX' },
        { id: 32, companyName: 'Bayern Bau', isActive: true, countryID: 83, state: 'Bayern' },
        { id: 33, companyName: 'Nowhere Inc', isActive: true, countryID: 999 },
      );
      const id = (await call('POST', '/v1/connectors', { body: { type: 'autotask', name: 'Autotask regions', baseUrl: at.baseUrl, credentials: AT, settings: { queueId: 8 } } })).body.id as string;
      const res = await importFrom({ defaults: { ...DEFAULTS, region: 'US-IL' } }, id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ created: 3, errors: [] });
      const regions = await Promise.all(res.body.rows.map(async (r: any) => (await call('GET', `/v1/clients/${r.clientId}`)).body.region));
      expect(regions).toEqual(['US-TX', 'DE-BY', 'US-IL']);
      const countryReads = at.requests.filter((r) => r.path.endsWith('/Countries/query'));
      expect(countryReads).toHaveLength(1);
      expect(countryReads[0]!.body).toMatchObject({ filter: [{ op: 'in', field: 'id', value: [237, 83, 999] }] });
    } finally {
      await at.stop();
    }
  });

  it('HaloPSA: mrr from running contracts (periodchargeamount per billing_period_string), zone and region from sites that agree; an expired contract, an unnamed period or sites that disagree are left out', async () => {
    const HALO = { clientId: 'c9534241-dde9-4d04-9d45-32b1fbff22ed', clientSecret: 'halo-SECRET-14c0c9af-2db1', webhook: { username: 'halo-hook', password: 'hook-PASSWORD-7f3a9' } };
    const halo = await haloPsaStub({ clientId: HALO.clientId, clientSecret: HALO.clientSecret, tenant: 'msp', clients: [], agents: [] });
    try {
      halo.directory.clients.push({ id: 21, name: 'Quarry Labs', inactive: false }, { id: 22, name: 'Uncosted Ltd', inactive: false });
      halo.directory.contracts.push(
        { id: 40, client_id: 21, ref: 'MSP', start_date: '2025-01-01T00:00:00', end_date: `${RENEWAL}T00:00:00`, periodchargeamount: 1800, billingperiod: 3, billing_period_string: 'Quarterly' },
        { id: 41, client_id: 21, ref: 'Backup', start_date: '2025-01-01T00:00:00', end_date: '1900-01-01T00:00:00', periodchargeamount: 2400, billingperiod: 5, billing_period_string: 'Yearly' },
        { id: 42, client_id: 21, ref: 'Old', start_date: '2023-01-01T00:00:00', end_date: '2024-01-01T00:00:00', expired: true, periodchargeamount: 999, billing_period_string: 'Monthly' },
        { id: 43, client_id: 22, ref: 'Code only', start_date: '2025-01-01T00:00:00', end_date: `${RENEWAL}T00:00:00`, periodchargeamount: 500, billingperiod: 2 },
      );
      halo.directory.sites.push(
        { id: 1, name: 'Main', client_id: 21, inactive: false, timezone: 'GMT Standard Time', country_code_name: 'United Kingdom', region_code_name: 'England' },
        { id: 2, name: 'Annex', client_id: 21, inactive: false, timezone: 'GMT Standard Time', country_code_name: 'United Kingdom', region_code_name: 'England' },
        { id: 3, name: 'Closed', client_id: 21, inactive: true, timezone: 'Pacific Standard Time', country_code_name: 'United States' },
        { id: 4, name: 'East', client_id: 22, inactive: false, timezone: 'Eastern Standard Time', country_code_name: 'United States' },
        { id: 5, name: 'West', client_id: 22, inactive: false, timezone: 'Pacific Standard Time', country_code_name: 'United States' },
      );
      const id = (await call('POST', '/v1/connectors', { body: { type: 'halopsa', name: 'HaloPSA mrr', baseUrl: halo.origin, credentials: HALO, settings: { tenant: 'msp' } } })).body.id as string;
      const res = await importFrom({ defaults: NONE }, id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ created: 2, errors: [] });
      const [quarry, uncosted] = await Promise.all(res.body.rows.map(async (r: any) => (await call('GET', `/v1/clients/${r.clientId}`)).body));
      expect(quarry).toMatchObject({ mrr: 800, renewalDate: RENEWAL, timeZone: 'Europe/London', region: 'GB-ENG' }); // 1800 / 3 + 2400 / 12
      // The numeric billingperiod alone is not guessed; two sites in two zones name no zone; both in the US do name the country.
      expect(uncosted).toMatchObject({ mrr: DEFAULTS.mrr, timeZone: DEFAULTS.timeZone, region: 'US' });
      expect(halo.requests.filter((r) => r.path === '/api/Site').map((r) => r.query.get('client_id'))).toEqual(['21', '22']);
    } finally {
      await halo.stop();
    }
  });
});
