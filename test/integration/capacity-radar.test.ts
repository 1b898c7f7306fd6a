import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { makeCalendar } from '../../domain/business-time.js';
import { slotProblems } from '../../domain/capacity.js';
import { createApiKey, ROLES, type Role } from '../../db/api-keys.js';
import { personBookings } from '../../db/capacity.js';
import { activePolicy } from '../../db/policies.js';
import { ctas, meetings, risks } from '../../db/schema.js';
import { createLogger } from '../../runtime/logger.js';
import { apiCaller, clientBody, freshDatabase } from '../support/harness.js';

/**
 * GET /v1/capacity and GET /v1/portfolio/radar (R-36..R-39, A-10) on a real PostgreSQL: clients,
 * people and assignments through the API, meetings and CTAs written as the cadence workflow writes
 * them, "now" fixed through the API's clock. Every figure is checked against hand-counted
 * numerators and denominators (the comments next to each row say where it counts).
 *
 * NOW = Wed 2027-03-10 09:00 CST. The published policy counts weeks in America/Chicago: W10 is
 * Mon 03-08 .. Sun 03-14 (US DST starts Sun 2027-03-14), W11 starts Mon 03-15 00:00 CDT = 05:00Z.
 */
const NOW = '2027-03-10T15:00:00.000Z';
let db: Awaited<ReturnType<typeof freshDatabase>>;
let call: (method: string, path: string, role?: Role | null, body?: unknown) => Promise<{ status: number; body: any }>;
const P = {} as Record<'val' | 'ina' | 'casey' | 'cass' | 'tori', string>;
const C = {} as Record<'alpha' | 'bravo' | 'charlie' | 'delta' | 'echo' | 'foxtrot', string>;
const M: Record<string, string> = {};

const plus = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * 60_000).toISOString();

async function meeting(ref: string, m: {
  client: keyof typeof C; startsAt: string; minutes?: number; state: string; strategic: boolean; process?: string; prepHours?: number;
  person?: keyof typeof P; role?: string; heldAt?: string; recapDueAt?: string; recapSentAt?: string; decisionCount?: number; sponsorPresent?: boolean; supersededBy?: string;
}) {
  M[ref] = randomUUID();
  await db.db.insert(meetings).values({
    id: M[ref]!, clientId: C[m.client], process: m.process ?? 'cadence', kind: m.strategic ? 'qbr' : 'tactical', mode: 'live', state: m.state,
    startsAt: m.startsAt, endsAt: plus(m.startsAt, m.minutes ?? 45), strategic: m.strategic, prepHours: m.prepHours ?? 0,
    accountablePersonId: m.person ? P[m.person] : null, accountableRole: m.role ?? null,
    heldAt: m.heldAt ?? null, recapDueAt: m.recapDueAt ?? null, recapSentAt: m.recapSentAt ?? null, decisionCount: m.decisionCount ?? null,
    sponsorPresent: m.sponsorPresent ?? null, supersededBy: m.supersededBy ?? null, createdAt: '2026-09-01T00:00:00.000Z', updatedAt: '2026-09-01T00:00:00.000Z',
  });
}

/** A risk row as the At Risk process writes it (db/risks.ts): its clocks, marks and action counts. */
const R: Record<string, string> = {};
async function risk(ref: string, r: {
  client: keyof typeof C; bucket: string; severity: string; status?: string; openedAt: string; ackDueAt?: string; acknowledgedAt?: string;
  savePlanDueAt?: string; savePlanAt?: string; closedAt?: string; repeatOf?: string; actionsDone?: number; actionsOnTime?: number;
}) {
  R[ref] = randomUUID();
  await db.db.insert(risks).values({
    id: R[ref]!, clientId: C[r.client], bucket: r.bucket, severity: r.severity, impact: 2, likelihood: 2, status: r.status ?? 'open', trigger: 'test', ruleId: 'R-93',
    source: { process: 'manual', evidence: {} }, repeatOf: r.repeatOf ?? null, openedAt: r.openedAt, ackDueAt: r.ackDueAt ?? null, acknowledgedAt: r.acknowledgedAt ?? null,
    savePlanDueAt: r.savePlanDueAt ?? null, savePlanAt: r.savePlanAt ?? null, closedAt: r.closedAt ?? null,
    actionsTotal: r.actionsDone ?? 0, actionsDone: r.actionsDone ?? 0, actionsOnTime: r.actionsOnTime ?? 0, createdAt: r.openedAt, updatedAt: r.openedAt,
  });
}

async function cta(m: { createdAt: string; firstActionAt?: string; state?: string; process?: string }) {
  const firstActionDueAt = new Date(Date.parse(m.createdAt) + 72 * 3_600_000).toISOString();
  await db.db.insert(ctas).values({
    id: randomUUID(), clientId: C.alpha, process: m.process ?? 'cadence', kind: 'recap', title: 'Send the QBR recap', ruleId: 'R-30', ownerRole: 'CSM',
    ownerPersonId: P.casey, state: m.state ?? (m.firstActionAt ? 'first_action' : 'open'), dueAt: firstActionDueAt, firstActionDueAt, firstActionAt: m.firstActionAt ?? null,
    createdAt: m.createdAt, updatedAt: m.createdAt,
  });
}

beforeAll(async () => {
  db = await freshDatabase();
  const keys = {} as Record<Role, string>;
  for (const role of ROLES) keys[role] = (await createApiKey(db.db, { name: `test ${role}`, role, createdBy: 'test' })).key;
  const api = apiCaller(createApp({ db: db.db, logger: createLogger('silent'), now: async () => new Date(NOW) }), keys);
  call = (method, path, role = 'ops', body) => api(method, path, { role, body });

  const current = await activePolicy(db.db);
  const published = await call('POST', '/v1/policy/versions', 'admin', {
    document: { ...current.document, capacity: { ...current.document.capacity, weekTimeZone: 'America/Chicago', radarTopPastDue: 2 } },
    note: 'Count load weeks in Chicago; radar top 2',
  });
  expect(published.status).toBe(201);

  for (const [ref, name, roles, weeklyCapacityHours] of [
    ['val', 'Val vCIO', ['vCIO'], 10], ['ina', 'Ina vCIO', ['vCIO'], 10], ['casey', 'Casey CSM', ['CSM'], 20], ['cass', 'Cass CSM', ['CSM'], 20], ['tori', 'Tori TAM', ['TAM'], 40],
  ] as const) {
    const r = await call('POST', '/v1/people', 'ops', { name, email: `${ref}@msp.example`, roles, weeklyCapacityHours });
    expect(r.status).toBe(201);
    P[ref] = r.body.id;
  }
  expect((await call('PATCH', `/v1/people/${P.ina}`, 'ops', { active: false })).status).toBe(200);

  for (const [ref, maturity, appetite, segment] of [
    ['alpha', 4, 4, 'A'], ['bravo', 2, 4, 'B'], ['charlie', 4, 2, 'C'], ['delta', 2, 2, 'D'], ['echo', 4, 4, 'A'], ['foxtrot', 5, 4, 'A'],
  ] as const) {
    const r = await call('POST', '/v1/clients', 'ops', clientBody({ name: `${ref[0]!.toUpperCase()}${ref.slice(1)} Co`, maturity, appetite }));
    expect(r.status).toBe(201);
    expect(r.body.placement.segment).toBe(segment);
    C[ref] = r.body.id;
  }
  for (const [client, role, person] of [['alpha', 'vCIO', 'val'], ['alpha', 'CSM', 'casey'], ['bravo', 'CSM', 'casey'], ['charlie', 'TAM', 'tori'], ['charlie', 'CSM', 'cass']] as const) {
    expect((await call('PUT', `/v1/clients/${C[client]}/assignments/${role}`, 'ops', { personId: P[person] })).status).toBe(200);
  }

  // --- Past due: strategic cadence meetings, scheduled or missed, not superseded, ended more than 2 h (grace) ago.
  await meeting('N1', { client: 'alpha', startsAt: '2027-03-16T15:00:00.000Z', state: 'scheduled', strategic: true, prepHours: 1, person: 'val', role: 'vCIO' }); // Alpha's next date; Val W11 1.75 h
  await meeting('PD1', { client: 'alpha', startsAt: '2027-02-10T16:00:00.000Z', state: 'missed', strategic: true, prepHours: 1, person: 'val', role: 'vCIO' }); // past due #1 (oldest)
  await meeting('PD2', { client: 'bravo', startsAt: '2027-03-09T16:00:00.000Z', state: 'scheduled', strategic: true, prepHours: 1.25, person: 'casey', role: 'CSM' }); // past due #3 (never marked held); Casey W10 2 h
  await meeting('PD3', { client: 'charlie', startsAt: '2027-03-01T16:00:00.000Z', state: 'missed', strategic: true, role: 'CSM' }); // past due #2, nobody Accountable
  await meeting('CG', { client: 'charlie', startsAt: '2027-03-10T12:00:00.000Z', minutes: 60, state: 'scheduled', strategic: true, person: 'cass', role: 'CSM' }); // ends 13:00 + 2 h = NOW: not yet past due; Cass W10 1 h
  await meeting('PS', { client: 'alpha', startsAt: '2027-02-17T16:00:00.000Z', state: 'missed', strategic: true, supersededBy: M.N1 }); // rebooked: not owed
  await meeting('DT', { client: 'delta', startsAt: '2027-02-24T16:00:00.000Z', state: 'missed', strategic: false }); // tactical
  await meeting('BO', { client: 'bravo', startsAt: '2027-02-12T16:00:00.000Z', state: 'missed', strategic: true, process: 'onboarding' }); // not cadence

  // --- Coverage next 30 days: window [NOW, 2027-04-09T15:00Z].
  await meeting('AU', { client: 'alpha', startsAt: '2027-03-12T15:00:00.000Z', state: 'unbooked', strategic: true, prepHours: 1, role: 'vCIO' }); // Alpha left unbooked → not covered; no load
  await meeting('B1', { client: 'bravo', startsAt: '2027-03-23T15:00:00.000Z', state: 'scheduled', strategic: true, prepHours: 1.25, person: 'casey', role: 'CSM' }); // Bravo covered; Casey W12 2 h
  await meeting('U1', { client: 'bravo', startsAt: '2027-03-24T15:00:00.000Z', state: 'scheduled', strategic: true, prepHours: 1, role: 'vCIO' }); // vCIO role W12 1.75 h, nobody yet
  await meeting('T1', { client: 'charlie', startsAt: '2027-03-11T16:00:00.000Z', minutes: 30, state: 'scheduled', strategic: false, prepHours: 0.25, person: 'tori', role: 'TAM' }); // Charlie covered; Tori 0.75 h
  await meeting('AM1', { client: 'delta', startsAt: '2027-04-20T15:00:00.000Z', minutes: 60, state: 'scheduled', strategic: true, prepHours: 0.5, role: 'AM' }); // outside the window; AM role 1.5 h in next 90
  await meeting('DU', { client: 'delta', startsAt: '2027-04-01T15:00:00.000Z', state: 'unbooked', strategic: true, supersededBy: M.AM1 }); // superseded: Delta not in the denominator
  await meeting('E1', { client: 'echo', startsAt: '2027-03-20T15:00:00.000Z', state: 'scheduled', strategic: true, process: 'triggers' }); // not cadence
  await meeting('F1', { client: 'foxtrot', startsAt: '2027-03-05T16:00:00.000Z', state: 'cancelled', strategic: true }); // Foxtrot: a cadence client (sponsor denominator), nothing due

  // --- Held strategic meetings (recap, decisions, sponsor); no Accountable so the load sums stay small.
  await meeting('H1', { client: 'alpha', startsAt: '2027-03-02T16:00:00.000Z', state: 'held', strategic: true, heldAt: '2027-03-02T16:45:00.000Z', recapDueAt: '2027-03-04T16:45:00.000Z', recapSentAt: '2027-03-03T10:00:00.000Z', decisionCount: 2, sponsorPresent: true });
  await meeting('H2', { client: 'bravo', startsAt: '2027-02-20T16:00:00.000Z', state: 'held', strategic: true, heldAt: '2027-02-20T16:45:00.000Z', recapDueAt: '2027-02-22T16:45:00.000Z', recapSentAt: '2027-02-23T09:00:00.000Z', decisionCount: 0, sponsorPresent: false }); // recap late
  await meeting('H3', { client: 'charlie', startsAt: '2027-03-09T16:00:00.000Z', state: 'held', strategic: true, heldAt: '2027-03-09T16:45:00.000Z', recapDueAt: '2027-03-11T16:45:00.000Z', decisionCount: 1, sponsorPresent: true }); // recap not due yet
  await meeting('H4', { client: 'charlie', startsAt: '2027-03-08T16:00:00.000Z', state: 'held', strategic: true, heldAt: '2027-03-08T16:45:00.000Z', recapDueAt: '2027-03-10T16:45:00.000Z', recapSentAt: '2027-03-09T20:00:00.000Z' }); // sent early; no decision
  await meeting('H5', { client: 'alpha', startsAt: '2027-01-05T16:00:00.000Z', state: 'held', strategic: true, heldAt: '2027-01-05T16:45:00.000Z', recapDueAt: '2027-01-07T16:45:00.000Z', recapSentAt: '2027-01-08T09:00:00.000Z', decisionCount: 1, sponsorPresent: true }); // only in a 90-day lookback
  await meeting('H9', { client: 'alpha', startsAt: '2027-02-25T16:00:00.000Z', state: 'held', strategic: true, heldAt: '2027-02-25T16:45:00.000Z', recapDueAt: '2027-02-27T16:45:00.000Z', decisionCount: 1 }); // recap never sent
  await meeting('H10', { client: 'bravo', startsAt: '2027-03-01T16:00:00.000Z', state: 'held', strategic: true, heldAt: '2027-03-01T16:45:00.000Z', recapSentAt: '2027-03-03T16:00:00.000Z', decisionCount: 1 }); // no recapDueAt: end + 48 h
  await meeting('H6', { client: 'delta', startsAt: '2027-02-15T16:00:00.000Z', state: 'held', strategic: false, heldAt: '2027-02-15T16:45:00.000Z', sponsorPresent: true }); // tactical: sponsor only
  await meeting('H7', { client: 'bravo', startsAt: '2026-10-01T15:00:00.000Z', state: 'held', strategic: true, heldAt: '2026-10-01T15:45:00.000Z', sponsorPresent: true }); // sponsor 160 d ago: too old
  await meeting('H8', { client: 'alpha', startsAt: '2027-03-03T16:00:00.000Z', state: 'held', strategic: true, process: 'onboarding', heldAt: '2027-03-03T16:45:00.000Z', recapDueAt: '2027-03-05T16:45:00.000Z', decisionCount: 0 }); // not cadence

  // --- Val's load (any process counts for capacity): W10 2.25 h, W11 9.75 h of 10.
  await meeting('V2', { client: 'echo', startsAt: '2027-03-17T14:00:00.000Z', minutes: 300, state: 'scheduled', strategic: true, process: 'triggers', prepHours: 2, person: 'val', role: 'vCIO' }); // 7 h
  await meeting('V3', { client: 'echo', startsAt: '2027-03-18T15:00:00.000Z', state: 'scheduled', strategic: false, process: 'triggers', prepHours: 0.25, person: 'val', role: 'vCIO' }); // 1 h
  await meeting('V4', { client: 'echo', startsAt: '2027-03-15T04:00:00.000Z', minutes: 30, state: 'scheduled', strategic: false, process: 'triggers', person: 'val', role: 'vCIO' }); // Sun 23:00 CDT: W10 in Chicago (W11 in UTC)
  await meeting('V5', { client: 'echo', startsAt: '2027-03-08T16:00:00.000Z', state: 'held', strategic: true, process: 'triggers', prepHours: 1, heldAt: '2027-03-08T16:45:00.000Z', person: 'val', role: 'vCIO' }); // earlier this week: W10, not next30
  await meeting('V6', { client: 'echo', startsAt: '2027-05-20T15:00:00.000Z', state: 'scheduled', strategic: true, process: 'triggers', prepHours: 1, person: 'val', role: 'vCIO' }); // next 90 only

  // --- CTAs (first action ≤ 72 h): lookback [2027-02-08T15:00Z, NOW].
  await cta({ createdAt: '2027-03-01T15:00:00.000Z', firstActionAt: '2027-03-02T15:00:00.000Z' }); // on time
  await cta({ createdAt: '2027-03-02T15:00:00.000Z', firstActionAt: '2027-03-06T15:00:00.000Z' }); // late
  await cta({ createdAt: '2027-03-03T15:00:00.000Z', state: 'escalated' }); // overdue, no action
  await cta({ createdAt: '2027-03-09T15:00:00.000Z' }); // not due yet: not measured
  await cta({ createdAt: '2027-03-08T15:00:00.000Z', firstActionAt: '2027-03-09T15:00:00.000Z' }); // on time before its due
  await cta({ createdAt: '2027-03-01T15:00:00.000Z', state: 'cancelled' }); // cancelled before any action: not measured
  await cta({ createdAt: '2027-03-01T15:00:00.000Z', process: 'onboarding' }); // not cadence
  await cta({ createdAt: '2027-01-20T15:00:00.000Z', firstActionAt: '2027-01-21T15:00:00.000Z' }); // only in a 90-day lookback

  // --- At Risk: risks opened in the lookback [2027-02-08T15:00Z, NOW] unless said otherwise.
  await risk('R5', { client: 'echo', bucket: 'Service', severity: 'Medium', status: 'closed', openedAt: '2027-01-10T15:00:00.000Z', closedAt: '2027-02-20T15:00:00.000Z' }); // opened before the lookback; closed in it after 41 d
  await risk('R1', { client: 'alpha', bucket: 'Service', severity: 'High', openedAt: '2027-03-01T15:00:00.000Z', ackDueAt: '2027-03-01T19:00:00.000Z', acknowledgedAt: '2027-03-01T17:00:00.000Z', savePlanDueAt: '2027-03-08T15:00:00.000Z', savePlanAt: '2027-03-05T15:00:00.000Z', actionsDone: 2, actionsOnTime: 2 });
  await risk('R2', { client: 'bravo', bucket: 'Delivery', severity: 'High', openedAt: '2027-03-02T15:00:00.000Z', ackDueAt: '2027-03-02T19:00:00.000Z', acknowledgedAt: '2027-03-03T15:00:00.000Z', savePlanDueAt: '2027-03-09T15:00:00.000Z', actionsDone: 1 }); // ack late, Save Plan overdue
  await risk('R3', { client: 'charlie', bucket: 'Strategic', severity: 'Medium', openedAt: '2027-03-09T15:00:00.000Z', ackDueAt: '2027-03-10T17:00:00.000Z', savePlanDueAt: '2027-03-16T15:00:00.000Z' }); // nothing due yet
  await risk('R4', { client: 'delta', bucket: 'Financial', severity: 'Low', status: 'closed', openedAt: '2027-02-10T15:00:00.000Z', ackDueAt: '2027-02-10T23:00:00.000Z', acknowledgedAt: '2027-02-10T16:00:00.000Z', savePlanDueAt: '2027-02-17T15:00:00.000Z', savePlanAt: '2027-02-12T15:00:00.000Z', closedAt: '2027-03-05T15:00:00.000Z', actionsDone: 3, actionsOnTime: 2 }); // closed after 23 d
  await risk('R6', { client: 'foxtrot', bucket: 'Service', severity: 'High', openedAt: '2027-03-04T15:00:00.000Z', ackDueAt: '2027-03-04T19:00:00.000Z', acknowledgedAt: '2027-03-04T19:00:00.000Z', savePlanDueAt: '2027-03-11T15:00:00.000Z', repeatOf: R.R5 }); // acknowledged at its due (in time); a repeat
  await cta({ createdAt: '2027-03-01T15:00:00.000Z', firstActionAt: '2027-03-02T15:00:00.000Z', process: 'risk' }); // on time
  await cta({ createdAt: '2027-03-02T15:00:00.000Z', process: 'risk' }); // due 03-05, no action: late
  await cta({ createdAt: '2027-03-09T15:00:00.000Z', process: 'risk' }); // not due yet
}, 120_000);
afterAll(async () => {
  await db?.close();
});

const fig = (numerator: number, denominator: number, value: number | null, target: number, meets: boolean | null) => ({ numerator, denominator, value, target, meets });

describe('portfolio radar (R-38, R-39)', () => {
  it('lists past-due strategic meetings oldest first, top N, with owner and next date', async () => {
    const r = await call('GET', '/v1/portfolio/radar', 'manager');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ asOf: NOW, lookbackDays: 30, policyVersion: 2 });
    expect(r.body.windows).toEqual({ lookbackFrom: '2027-02-08T15:00:00.000Z', coverageTo: '2027-04-09T15:00:00.000Z', sponsorFrom: '2026-11-10T15:00:00.000Z', pastDueEndedBefore: '2027-03-10T13:00:00.000Z' });
    expect(r.body.pastDue.total).toBe(3);
    expect(r.body.pastDue.items).toEqual([
      { meetingId: M.PD1, clientId: C.alpha, clientName: 'Alpha Co', kind: 'qbr', startsAt: '2027-02-10T16:00:00.000Z', state: 'missed', owner: { personId: P.val, name: 'Val vCIO', role: 'vCIO' }, nextDate: '2027-03-16T15:00:00.000Z' },
      { meetingId: M.PD3, clientId: C.charlie, clientName: 'Charlie Co', kind: 'qbr', startsAt: '2027-03-01T16:00:00.000Z', state: 'missed', owner: { personId: null, name: null, role: 'CSM' }, nextDate: null },
    ]);
  });

  it('computes each KPI from the cadence rows against the policy targets', async () => {
    const r = (await call('GET', '/v1/portfolio/radar', 'ops')).body;
    // Alpha (AU unbooked) ✗, Bravo ✓, Charlie ✓; Delta's only in-window row is superseded, Echo's is not cadence.
    expect(r.coverageNext30Days).toEqual(fig(2, 3, 66.7, 90, false));
    // H1 ✓, H2 late, H4 ✓ (sent before due), H9 never sent, H10 ✓ (end + 48 h); H3 not due, H5 too old, H8 onboarding.
    expect(r.recapWithin48h).toEqual(fig(3, 5, 60, 95, false));
    // On time: 03-01 and 03-08; late: 03-02 and the escalated 03-03; not measured: not yet due, cancelled, onboarding, January.
    expect(r.firstActionWithin72h).toEqual(fig(2, 4, 50, 95, false));
    // H1 (2), H3, H9, H10 of H1, H2, H3, H4, H9, H10.
    expect(r.meetingsWithDecision).toEqual(fig(4, 6, 66.7, 70, false));
    expect(r.sponsorSeenBySegment).toEqual({
      A: fig(1, 2, 50, 90, false), // Alpha (H1) of Alpha, Foxtrot; Echo has no cadence meeting
      B: fig(0, 1, 0, 90, false), // Bravo's sponsor last seen 160 d ago
      C: fig(1, 1, 100, 75, true), // Charlie (H3)
      D: fig(1, 1, 100, 75, true), // Delta (tactical H6)
    });
  });

  it('reports the At Risk KPIs (R-103) from the risks and their CTAs', async () => {
    const r = (await call('GET', '/v1/portfolio/radar', 'manager')).body;
    expect(r.atRisk).toEqual({
      // Open now: R1, R2, R3, R6; only R2 is past a clock (its Save Plan was due 03-09).
      open: { total: 4, overdue: 1, bySeverity: { High: 3, Medium: 1, Low: 0 }, byBucket: { Service: 2, Delivery: 1, Strategic: 1, Financial: 0 } },
      // High risks whose ack was due or done: R1 ✓, R2 late, R6 ✓ (at its due instant).
      acknowledgedInTimeHigh: { value: 66.7, numerator: 2, denominator: 3, targetBusinessHours: 4 },
      // Save Plans due or published: R1 ✓, R4 ✓, R2 overdue; R3 and R6 not due yet.
      savePlanInTime: { value: 66.7, numerator: 2, denominator: 3, targetBusinessDays: 5 },
      // Risk CTAs: 03-01 on time, 03-02 late; 03-09 not due.
      firstActionInTime: { value: 50, numerator: 1, denominator: 2 },
      // Actions done of R1, R2, R3, R4, R6: 2 + 1 + 0 + 3 + 0 = 6, on time 2 + 0 + 2 = 4.
      actionsOnTime: fig(4, 6, 66.7, 90, false),
      // Closed in the lookback: R4 after 23 d ✓, R5 after 41 d ✗; median (23 + 41) / 2.
      resolvedInTime: { value: 50, numerator: 1, denominator: 2, targetDays: 30, medianDays: 32 },
      // One repeat (R6) of five opened in the lookback: 20 % is not below 10 %.
      repeatRisk: fig(1, 5, 20, 10, false),
    });
  });

  it('takes the lookback from the query', async () => {
    const r = (await call('GET', '/v1/portfolio/radar?lookbackDays=90', 'admin')).body;
    expect(r.lookbackDays).toBe(90);
    expect(r.recapWithin48h).toEqual(fig(3, 6, 50, 95, false)); // + H5 late
    expect(r.meetingsWithDecision).toEqual(fig(5, 7, 71.4, 70, true)); // + H5
    expect(r.firstActionWithin72h).toEqual(fig(3, 5, 60, 95, false)); // + January on time
    expect(r.coverageNext30Days).toEqual(fig(2, 3, 66.7, 90, false));
  });

  it('shows the 30-day load by role', async () => {
    const r = (await call('GET', '/v1/portfolio/radar', 'ops')).body;
    expect(r.loadByRole).toEqual([
      { role: 'AM', people: 0, meetings: 0, strategic: 0, hours: 0, availableHours: 0, loadPct: null, overAutoBookCap: false, overRebalance: false },
      { role: 'TAM', people: 1, meetings: 1, strategic: 0, hours: 0.75, availableHours: 171.43, loadPct: 0.4, overAutoBookCap: false, overRebalance: false },
      { role: 'CSM', people: 2, meetings: 1, strategic: 1, hours: 2, availableHours: 171.43, loadPct: 1.2, overAutoBookCap: false, overRebalance: false },
      // N1 1.75 + V2 7 + V3 1 + V4 0.5 + U1 1.75 = 12 h of 10 h/week × 30/7 (Ina is inactive; AU is unbooked).
      { role: 'vCIO', people: 1, meetings: 5, strategic: 3, hours: 12, availableHours: 42.86, loadPct: 28, overAutoBookCap: false, overRebalance: false },
    ]);
  });

  it('refuses a bad lookback, a key without the role, and no key', async () => {
    for (const q of ['0', '366', 'abc', '1.5']) {
      const r = await call('GET', `/v1/portfolio/radar?lookbackDays=${q}`, 'ops');
      expect(r.status, q).toBe(400);
      expect(r.body).toMatchObject({ type: 'urn:baton:problem:validation', errors: [expect.objectContaining({ location: 'query', path: 'lookbackDays' })] });
    }
    for (const path of ['/v1/portfolio/radar', '/v1/capacity']) {
      const forbidden = await call('GET', path, 'automation');
      expect(forbidden.status).toBe(403);
      expect(forbidden.body).toMatchObject({ type: 'urn:baton:problem:forbidden', allowedRoles: ['admin', 'ops', 'manager'] });
      expect((await call('GET', path, null)).status).toBe(401);
    }
  });
});

describe('capacity (R-36, R-37)', () => {
  it('reports each active person by 30/90 days and by week in the policy\'s week zone', async () => {
    const r = await call('GET', '/v1/capacity', 'manager');
    expect(r.status).toBe(200);
    const body = r.body;
    expect(body).toMatchObject({ asOf: NOW, policyVersion: 2, weekTimeZone: 'America/Chicago', currentWeek: '2027-W10', nextWeek: '2027-W11', thresholds: { autoBookCapPct: 80, loadTargetPct: 85, rebalanceAbovePct: 90 } });
    expect(body.people.map((p: any) => p.name)).toEqual(['Casey CSM', 'Cass CSM', 'Tori TAM', 'Val vCIO']);

    const val = body.people.find((p: any) => p.personId === P.val);
    expect(val).toMatchObject({ roles: ['vCIO'], weeklyCapacityHours: 10 });
    // N1, V2, V3, V4 (V5 was earlier this week, V6 after 30 d): 10.25 h of 42.86.
    expect(val.next30).toEqual({ meetings: 4, strategic: 2, hours: 10.25, availableHours: 42.86, loadPct: 23.9 });
    expect(val.next90).toEqual({ meetings: 5, strategic: 3, hours: 12, availableHours: 128.57, loadPct: 9.3 });
    // 14 ISO weeks from W10 (holding NOW) to W23 (holding NOW + 90 d).
    expect(val.weeks.map((w: any) => w.week)).toEqual(Array.from({ length: 14 }, (_, i) => `2027-W${String(10 + i).padStart(2, '0')}`));
    const week = (p: any, w: string) => p.weeks.find((x: any) => x.week === w);
    // V4 (Sun 23:00 CDT) stays in W10 in Chicago; with V5: 2.25 h.
    expect(week(val, '2027-W10')).toEqual({ week: '2027-W10', startsOn: '2027-03-08', meetings: 2, strategicMeetings: 1, hours: 2.25, availableHours: 10, loadPct: 22.5, overRebalance: false, overAutoBookCap: false });
    expect(week(val, '2027-W11')).toEqual({ week: '2027-W11', startsOn: '2027-03-15', meetings: 3, strategicMeetings: 2, hours: 9.75, availableHours: 10, loadPct: 97.5, overRebalance: true, overAutoBookCap: true });
    expect(week(val, '2027-W20')).toMatchObject({ meetings: 1, hours: 1.75, loadPct: 17.5, overRebalance: false });

    const casey = body.people.find((p: any) => p.personId === P.casey);
    expect(casey.next30).toEqual({ meetings: 1, strategic: 1, hours: 2, availableHours: 85.71, loadPct: 2.3 });
    expect(week(casey, '2027-W10')).toMatchObject({ meetings: 1, hours: 2, loadPct: 10 }); // PD2, never marked held, still occupies the week
    expect(week(casey, '2027-W12')).toMatchObject({ meetings: 1, hours: 2, loadPct: 10 });
    const cass = body.people.find((p: any) => p.personId === P.cass);
    expect(cass.next30).toEqual({ meetings: 0, strategic: 0, hours: 0, availableHours: 85.71, loadPct: 0 });
    expect(week(cass, '2027-W10')).toMatchObject({ meetings: 1, hours: 1, loadPct: 5 });
  });

  it('reports each role against the hours of the active people holding it, and flags weeks over the rebalance line', async () => {
    const body = (await call('GET', '/v1/capacity', 'admin')).body;
    expect(body.roles.map((r: any) => [r.role, r.people, r.weeklyCapacityHours])).toEqual([['AM', 0, 0], ['TAM', 1, 40], ['CSM', 2, 40], ['vCIO', 1, 10]]);
    const role = (name: string) => body.roles.find((r: any) => r.role === name);
    expect(role('AM').next90).toEqual({ meetings: 1, strategic: 1, hours: 1.5, availableHours: 0, loadPct: null });
    expect(role('CSM').weeks[0]).toMatchObject({ week: '2027-W10', meetings: 2, hours: 3, availableHours: 40, loadPct: 7.5 }); // PD2 + CG
    expect(role('vCIO').next30).toEqual({ meetings: 5, strategic: 3, hours: 12, availableHours: 42.86, loadPct: 28 });
    expect(role('vCIO').weeks[1]).toMatchObject({ week: '2027-W11', hours: 9.75, loadPct: 97.5, overRebalance: true });
    expect(role('vCIO').weeks[2]).toMatchObject({ week: '2027-W12', meetings: 1, hours: 1.75, loadPct: 17.5 }); // U1, nobody Accountable yet
    expect(body.flaggedWeeks).toEqual([
      { personId: P.val, role: null, week: '2027-W11', startsOn: '2027-03-15', loadPct: 97.5, nextWeek: true },
      { personId: null, role: 'vCIO', week: '2027-W11', startsOn: '2027-03-15', loadPct: 97.5, nextWeek: true },
    ]);
  });

  it('person bookings feed the slot rules: Val cannot take another strategic meeting next week', async () => {
    const bookings = await personBookings(db.db, P.val, '2027-03-15T05:00:00.000Z', '2027-03-22T05:00:00.000Z');
    expect(bookings.map((b) => b.id)).toEqual([M.N1, M.V2, M.V3]);
    expect(bookings[1]).toEqual({ id: M.V2, startsAt: '2027-03-17T14:00:00.000Z', endsAt: '2027-03-17T19:00:00.000Z', strategic: true, prepHours: 2 });
    const policy = (await activePolicy(db.db)).document;
    const chicago = makeCalendar({ timeZone: 'America/Chicago' });
    const request = { startsAt: '2027-03-18T17:00:00.000Z', endsAt: '2027-03-18T17:45:00.000Z', strategic: true, prepHours: 1, role: 'vCIO' as const };
    expect(slotProblems(request, { personId: P.val, weeklyCapacityHours: 10 }, bookings, policy, chicago)).toEqual(['loadCap']);
  });
});
