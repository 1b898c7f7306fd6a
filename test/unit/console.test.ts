import { describe, expect, it } from 'vitest';
import { compare } from '../../console/rehearsals.js';
import { safeReturn } from '../../console/core.js';
import { isConsolePath } from '../../console/index.js';
import { roleFor } from '../../console/oidc.js';
import { processSummary } from '../../runtime/processes.js';
import { loadConfig } from '../../runtime/config.js';
import type { RehearsalResult } from '../../rehearsal/run.js';

describe('console: roles from the IdP\'s claim', () => {
  const map = { 'cs-leads': 'manager', csms: 'ops', 'it-admins': 'admin', robots: 'automation' } as const;
  it('maps a user\'s values to the strongest role (admin, manager, ops, automation)', () => {
    expect(roleFor(['csms'], map)).toBe('ops');
    expect(roleFor(['csms', 'cs-leads'], map)).toBe('manager');
    expect(roleFor(['robots', 'it-admins', 'csms'], map)).toBe('admin');
  });
  it('gives no role when no value is mapped (sign-in refused)', () => {
    expect(roleFor([], map)).toBeUndefined();
    expect(roleFor(['everyone'], map)).toBeUndefined();
  });
});

describe('console: configuration', () => {
  const base = { BATON_DATA_DIR: '/tmp/x' };
  it('reads the OIDC role map', () => {
    const c = loadConfig({ ...base, BATON_OIDC_ISSUER: 'https://login.example.com/t/v2.0', BATON_OIDC_CLIENT_ID: 'baton', BATON_OIDC_ROLES: 'cs-leads=manager, csms=ops' }, '/nonexistent');
    expect(c.BATON_OIDC_ROLES).toEqual({ 'cs-leads': 'manager', csms: 'ops' });
    expect(c.BATON_OIDC_ROLE_CLAIM).toBe('groups');
    expect(c.BATON_CONSOLE_LOCAL_SIGNIN).toBe(true);
  });
  it('refuses an issuer without client id or role map, an unknown role, and no way to sign in at all', () => {
    expect(() => loadConfig({ ...base, BATON_OIDC_ISSUER: 'https://idp.example.com' }, '/nonexistent')).toThrow(/BATON_OIDC_CLIENT_ID: required[\s\S]*BATON_OIDC_ROLES: required/);
    expect(() => loadConfig({ ...base, BATON_OIDC_ISSUER: 'https://idp.example.com', BATON_OIDC_CLIENT_ID: 'b', BATON_OIDC_ROLES: 'leads=boss' }, '/nonexistent')).toThrow(/"leads=boss" must be <claim value>=<role>/);
    expect(() => loadConfig({ ...base, BATON_CONSOLE_LOCAL_SIGNIN: 'false' }, '/nonexistent')).toThrow(/nobody could sign in/);
  });
});

describe('console: paths and redirects', () => {
  it('serves everything but the API, its docs, health and calendar feeds', () => {
    for (const p of ['/', '/portfolio', '/clients/x', '/login', '/static/console.css']) expect(isConsolePath(p)).toBe(true);
    for (const p of ['/v1/clients', '/codec/decode', '/docs', '/docs/assets/x', '/openapi.json', '/healthz', '/readyz', '/calendar/batcal_x.ics']) expect(isConsolePath(p)).toBe(false);
  });
  it('returns only to a local path after sign-in (no open redirect)', () => {
    expect(safeReturn('/clients/1?x=2#t')).toBe('/clients/1?x=2#t');
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', 'javascript:alert(1)', undefined, 3]) expect(safeReturn(bad)).toBe('/');
  });
});

describe('Temporal UI summary of a workflow', () => {
  it('names the client and the process on one line, and what a CTA clock is about', () => {
    expect(processSummary('onboarding', { clientName: 'Acme Dental' })).toEqual({ staticSummary: 'Acme Dental · Onboarding Day 0–90', staticDetails: '**Client:** Acme Dental\n\n**Process:** Onboarding Day 0–90' });
    const cta = processSummary('ctaClock', { clientName: 'Acme\nDental', subject: 'Kickoff overdue since Mon 30 Nov' });
    expect(cta.staticSummary).toBe('Acme Dental · CTA clock · Kickoff overdue since Mon 30 Nov');
    expect(processSummary('cadence', { clientName: 'x'.repeat(400) }).staticSummary.length).toBe(200);
  });
});

describe('rehearse a change: comparing two runs', () => {
  const event = (type: string, occurredAt: string, data: Record<string, unknown> = {}, ruleId = 'R-47') => ({ id: 'x', seq: 1, occurredAt, recordedAt: occurredAt, clientId: 'c', process: 'onboarding', workflowId: null, type, ruleId, why: {}, actor: { kind: 'system' as const }, data });
  const run = (events: ReturnType<typeof event>[], statuses: number[]): RehearsalResult => ({
    scenario: 's', start: '', end: '', refs: {}, failures: [],
    steps: statuses.map((status, index) => ({ index, op: `op${index}`, at: '', method: 'POST', path: '/', status, ok: true, body: {} })),
    timelines: { c1: events as never }, states: { c1: { ref: 'acme' } as never },
    portfolio: { ctas: [], sessions: [], creditGates: [], timeline: [], routines: {} },
    detail: 'full', summaries: {}, totals: { clients: 1, events: events.length, meetings: 0, meetingsByKind: {}, ctas: 0, openCtas: 0, escalations: 0, misses: 0 },
    wallMs: 0, clock: { slices: 0, unanswered: 0, resent: 0 },
  });
  it('lists entries only one policy produced, counts by type, and answers that differ', () => {
    const set = event('deadline.set', '2026-03-02T15:00:04.120Z', { deadline: 'kickoff.held' });
    const a = run([set, event('deadline.missed', '2026-03-10T05:00:00.000Z', { deadline: 'kickoff.held' })], [201, 200]);
    const b = run([{ ...set, occurredAt: '2026-03-02T15:00:04.900Z' }], [201, 409]);
    const c = compare(a, b);
    expect(c.clients).toEqual([{ ref: 'acme', onlyCurrent: ['2026-03-10T05:00Z deadline.missed R-47 kickoff.held'], onlyChanged: [], byType: [{ type: 'deadline.missed', current: 1, changed: 0 }] }]);
    expect(c.steps).toEqual([{ index: 1, op: 'op1', current: 200, changed: 409 }]);
  });
});
