import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../../db/api-keys.js';
import { ctas, deliveries, meetings, workflowStarts } from '../../db/schema.js';
import { apiHarness, clientBody, type ApiHarness } from '../support/harness.js';
import { parsePrometheus, sampleKey } from '../support/prometheus.js';

/**
 * /metrics through the real API on a real PostgreSQL: who may scrape it, the HTTP histogram by
 * route pattern, and the business and queue gauges read from the database (README: Metrics).
 */
let h: ApiHarness;
let clientId: string;

beforeAll(async () => {
  h = await apiHarness();
  clientId = (await h.call('POST', '/v1/clients', { body: clientBody() })).body.id;
});
afterAll(() => h.close());

async function scrape(): Promise<Map<string, number>> {
  const res = await h.app.request('/metrics', { headers: { authorization: `Bearer ${h.keys.automation}` } });
  expect(res.status).toBe(200);
  return parsePrometheus(await res.text());
}

describe('GET /metrics', () => {
  it('answers 401 problem+json without a key, with a malformed header and with an unknown key', async () => {
    for (const authorization of [undefined, 'Basic abc', 'Bearer not-a-real-key']) {
      const res = await h.app.request('/metrics', { headers: authorization ? { authorization } : {} });
      expect(res.status, authorization).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await res.text()).not.toContain('baton_');
    }
  });

  it.each(ROLES)('answers the Prometheus text format to a %s key', async (role) => {
    const res = await h.app.request('/metrics', { headers: { authorization: `Bearer ${h.keys[role]}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheus(await res.text());
    expect(samples.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(samples.has(sampleKey('baton_ctas_open', { state: 'open' }))).toBe(true);
  });

  it('counts requests by method, route pattern and status, never by raw path', async () => {
    const before = await scrape();
    const route = { method: 'GET', route: '/v1/clients/:clientId', status: '200' };
    const missing = { method: 'GET', route: '/v1/clients/:clientId', status: '404' };
    const count = (m: Map<string, number>, labels: Record<string, string>) => m.get(sampleKey('baton_http_request_duration_seconds_count', labels)) ?? 0;
    expect((await h.call('GET', `/v1/clients/${clientId}`)).status).toBe(200);
    expect((await h.call('GET', `/v1/clients/${clientId}`, { role: 'ops' })).status).toBe(200);
    expect((await h.call('GET', `/v1/clients/${randomUUID()}`)).status).toBe(404);
    expect((await h.call('GET', '/no/such/route')).status).toBe(404);
    const after = await scrape();
    expect(count(after, route) - count(before, route)).toBe(2);
    expect(count(after, missing) - count(before, missing)).toBe(1);
    expect(count(after, { method: 'GET', route: 'unmatched', status: '404' }) - count(before, { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect([...after.keys()].filter((k) => k.includes(clientId))).toEqual([]);
    // The bucket series are cumulative: the +Inf bucket holds every request of the series.
    expect(after.get(sampleKey('baton_http_request_duration_seconds_bucket', { ...route, le: '+Inf' }))).toBe(count(after, route));
  });

  it('reports open CTAs by state, overdue CTAs, past-due strategic meetings and the queues from the database', async () => {
    const before = await scrape();
    const hour = 3_600_000;
    const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
    const cta = (state: string, dueAt: string, firstActionDueAt: string, firstActionAt: string | null = null) => ({
      id: randomUUID(), clientId, process: 'test', kind: 'test', title: 'metrics test', ruleId: 'R-30', ownerRole: 'CSM',
      state, dueAt, firstActionDueAt, firstActionAt,
    });
    await h.database.db.insert(ctas).values([
      cta('open', at(48 * hour), at(24 * hour)), // on time
      cta('open', at(-hour), at(-2 * hour), at(-3 * hour)), // past due
      cta('first_action', at(48 * hour), at(-hour), at(-2 * hour)), // first action taken, due later
      cta('escalated', at(48 * hour), at(-hour)), // first-action SLA breached
      cta('done', at(-hour), at(-2 * hour)), // closed: never counted
    ]);
    const meeting = (endsAt: string, opts: { strategic?: boolean; state?: string; process?: string } = {}) => ({
      id: randomUUID(), clientId, process: opts.process ?? 'cadence', kind: 'qbr', mode: 'onsite', state: opts.state ?? 'scheduled',
      startsAt: new Date(Date.parse(endsAt) - hour).toISOString(), endsAt, strategic: opts.strategic ?? true,
    });
    await h.database.db.insert(meetings).values([
      meeting(at(-10 * 24 * hour)), // R-38 past due
      meeting(at(-10 * 24 * hour), { state: 'missed' }), // missed and not rebooked: still owed
      meeting(at(-hour)), // within the 2 h grace (missedCadence.graceHours)
      meeting(at(-10 * 24 * hour), { state: 'held' }),
      meeting(at(-10 * 24 * hour), { strategic: false }),
    ]);
    await h.database.db.insert(workflowStarts).values([
      { kind: 'cta-clock', subjectId: randomUUID(), createdAt: at(-120_000) },
      { kind: 'cta-clock', subjectId: randomUUID() },
      { kind: 'cta-clock', subjectId: randomUUID(), createdAt: at(-hour), dispatchedAt: at(-hour) },
    ]);
    const delivery = (state: string) => ({ id: randomUUID(), channel: 'webhook', connector: 'webhook:test', eventType: 'test', payload: {}, state });
    await h.database.db.insert(deliveries).values([delivery('pending'), delivery('retrying'), delivery('dead'), delivery('dead'), delivery('delivered')]);

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => (after.get(sampleKey(name, labels)) ?? 0) - (before.get(sampleKey(name, labels)) ?? 0);
    expect({
      open: delta('baton_ctas_open', { state: 'open' }), firstAction: delta('baton_ctas_open', { state: 'first_action' }), escalated: delta('baton_ctas_open', { state: 'escalated' }),
      overdue: delta('baton_ctas_overdue'), pastDue: delta('baton_strategic_meetings_past_due'), startsPending: delta('baton_workflow_starts_pending'),
      pending: delta('baton_webhook_deliveries', { state: 'pending' }), retrying: delta('baton_webhook_deliveries', { state: 'retrying' }), dead: delta('baton_webhook_deliveries', { state: 'dead' }),
    }).toEqual({ open: 2, firstAction: 1, escalated: 1, overdue: 2, pastDue: 2, startsPending: 2, pending: 1, retrying: 1, dead: 2 });
    expect(after.get('baton_workflow_starts_oldest_pending_seconds')).toBeGreaterThanOrEqual(119);
    // The same overdue rule as the API's own list.
    const listed = await h.call('GET', '/v1/ctas?overdue=true&limit=100');
    expect(listed.status).toBe(200);
    expect(listed.body.items.length).toBe(after.get('baton_ctas_overdue'));
  });
});
