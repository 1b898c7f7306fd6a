import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { createApiKey, ROLES, type Role } from '../../db/api-keys.js';
import { meetings } from '../../db/schema.js';
import { createLogger } from '../../runtime/logger.js';
import { rehearse, type RehearsalResult } from '../../rehearsal/run.js';
import { parseScenario, ScenarioSchema } from '../../rehearsal/scenario.js';
import { apiCaller, clientBody, freshDatabase } from '../support/harness.js';
import { workflowBundle } from '../support/temporal.js';

/**
 * The portfolio view through the HTTP API: the R-6 capacity-gap alert (opened, kept current,
 * closed and re-opened as clients, segments, people and policy change), R-4/R-5 investment with
 * its inputs, R-37's next-week rebalance proposal and the CTA the Weekly CS Ops opens from it, and
 * R-125's threshold guard — the last three with the example scenarios of docs/scenarios rehearsed on
 * the time-skipping server. Every figure is hand-computed in the comment next to it.
 */
const rehearsalOptions = async () => ({ postgresAdminUrl: inject('postgresAdminUrl'), testServerPath: inject('testServerPath'), workflowBundle: await workflowBundle() });
async function rehearseFile(file: string): Promise<RehearsalResult> {
  return rehearse(parseScenario(fs.readFileSync(new URL(`../../docs/scenarios/${file}`, import.meta.url), 'utf8')), await rehearsalOptions());
}
const bodyOf = (r: RehearsalResult, i: number) => r.steps[i]!.body as any;

describe('docs/scenarios/portfolio-capacity-gap.yaml (R-6)', () => {
  it('opens one alert with the three options when two 600 h A clients outgrow one CSM, keeps it (updated) for a third, and closes it on a hire', async () => {
    const r = await rehearseFile('portfolio-capacity-gap.yaml');
    expect(r.failures).toEqual([]);
    // One CSM: 1,680 h × 70 % = 1,176 h (the CS Lead is not in investment.teamRoles). Two A clients × 600 h = 1,200 h: 24 h short, 1,200 ÷ 1,176 = 102.0 %.
    const first = bodyOf(r, 0);
    expect(first).toMatchObject({ requiredHours: 1200, availableHours: 1176, gapHours: 24, gap: true, utilisationPct: 102, team: { people: 1, source: 'fte', hoursPerPerson: 1176 } });
    // R-5 funding: 12,000 × 12 × 9 % = 12,960 → 162 h; 8,000 × 12 × 9 % = 8,640 → 108 h; together $21,600 and 270 h at $80.
    expect(first.bySegment.A).toEqual({ clients: 2, mrrUsd: 20000, csBudgetYearUsd: 21600, fundedHoursPerYear: 270, requiredHoursPerClient: 600, requiredHours: 1200 });
    const options = Object.fromEntries(first.options.map((o: any) => [o.option, o.figures]));
    expect(Object.keys(options)).toEqual(['raiseBoundaries', 'cutHoursPerSegment', 'lowerInvestmentPct']);
    // One A client moved to B frees 600 − 20 = 580 h ≥ 24; cutting every segment by ⌈24 ÷ 1,200⌉ = 2 %: A 600 × 0.98 = 588, B 19.6, C 9.8, D 4.9.
    expect(options.raiseBoundaries.moves[0]).toEqual({ from: 'A', to: 'B', clients: 2, hoursFreedPerClient: 580, clientsToMove: 1 });
    expect(options.cutHoursPerSegment).toMatchObject({ cutPct: 2, requiredHoursPerClientTo: { A: 588, B: 19.6, C: 9.8, D: 4.9 } });
    expect(options.lowerInvestmentPct).toMatchObject({ fundedHoursPerYear: 270, availableHours: 1176, investmentPctBySegment: { A: 9, B: 7, C: 5, D: 3 } });
    expect(first.alert).toMatchObject({ ctaId: r.refs.alert, state: 'open' });
    const [alert] = bodyOf(r, 1).items;
    expect(bodyOf(r, 1).items).toHaveLength(1);
    expect(alert).toMatchObject({ kind: 'capacity-gap', ruleId: 'R-6', clientId: null, ownerRole: 'CS Lead', ownerPersonId: r.refs.lee, state: 'open', data: { figures: { requiredHours: 1200, availableHours: 1176, gapHours: 24 } } });

    // A third A client: still one alert, its figures 3 × 600 = 1,800 h against 1,176 h (624 h short, 153.1 %); the options follow:
    // ⌈624 ÷ 580⌉ = 2 clients to B, or cut ⌈624 ÷ 1,800 = 34.67⌉ → 34.7 %: A 600 × 1,176 ÷ 1,800 = 392.
    const kept = bodyOf(r, 3).items;
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ id: r.refs.alert, state: 'open', data: { figures: { requiredHours: 1800, availableHours: 1176, gapHours: 624, utilisationPct: 153.1 } } });
    const keptOptions = Object.fromEntries(kept[0].data.options.map((o: any) => [o.option, o.figures]));
    expect(keptOptions.raiseBoundaries.moves[0]).toMatchObject({ clients: 3, clientsToMove: 2 });
    expect(keptOptions.cutHoursPerSegment).toMatchObject({ cutPct: 34.7, requiredHoursPerClientTo: { A: 392, B: 13, C: 6.5, D: 3.2 } });
    // Its figures on the radar.
    expect(bodyOf(r, 4).capacityGap).toEqual({ requiredHours: 1800, availableHours: 1176, gapHours: 624, utilisationPct: 153.1, gap: true, alert: { ctaId: r.refs.alert, state: 'open' } });

    // A second CSM: 2 × 1,176 = 2,352 h ≥ 1,800 h — the system closes the alert.
    expect(bodyOf(r, 6)).toMatchObject({ state: 'done', data: { figures: { requiredHours: 1800, availableHours: 2352, gapHours: -552, utilisationPct: 76.5 }, options: [] } });
    // for Alpha ($12,000 MRR, A): $12,960 a year = 162 h, 97.2 h proactive (60 %), playbooks 12,960 × 60 % × 40 % = $3,110.40 = 38.88 h.
    expect(bodyOf(r, 7)).toMatchObject({
      clientId: r.refs.alpha, segment: 'A', investmentPct: 9, csBudgetYearUsd: 12960, hoursPerYear: 162, proactiveHoursPerYear: 97.2, playbookBudgetYearUsd: 3110.4, playbookHoursPerYear: 38.88, requiredHoursPerYear: 600,
      inputs: { mrrUsd: 12000, segment: 'A', investmentPct: 9, hourlyCostUsd: 80, proactiveSharePct: 60, playbookSharePct: 40 },
    });
    const gapEvents = r.portfolio.timeline.filter((e) => e.type.startsWith('capacity.')).map((e) => [e.type, (e.data as any).gapHours]);
    expect(gapEvents).toEqual([['capacity.gap_opened', 24], ['capacity.gap_closed', -552]]);
    expect(r.portfolio.ctas.map((c) => [c.kind, c.state])).toEqual([['capacity-gap', 'done']]);
  }, 180_000);
});

describe('docs/scenarios/portfolio-threshold-change.yaml (R-125)', () => {
  it('refuses a mid-quarter threshold change (saying when it may publish), publishes it forced with a rationale, lets other keys through, allows one change in the next window and refuses a second', async () => {
    const r = await rehearseFile('portfolio-threshold-change.yaml');
    expect(r.failures).toEqual([]);
    expect(bodyOf(r, 0)).toMatchObject({
      type: 'urn:baton:problem:threshold-change-refused', ruleId: 'R-125', reason: 'midQuarter', thresholdChanges: ['health.composite.greenMin'],
      // governance.timeZone UTC; the window is the first 14 days of the quarter.
      window: { quarter: '2027-Q1', quarterStart: '2027-01-01T00:00:00.000Z', windowEndsAt: '2027-01-15T00:00:00.000Z', nextQuarterStart: '2027-04-01T00:00:00.000Z', inWindow: false },
    });
    expect(bodyOf(r, 0).detail).toContain('publish from 2027-04-01T00:00:00.000Z');
    expect(bodyOf(r, 1)).toMatchObject({ version: 2, thresholdChange: { quarter: '2027-Q1', paths: ['health.composite.greenMin'], forced: true, rationale: "The insurer's audit needs the stricter line before the renewal season" } });
    expect(bodyOf(r, 1).document.health.composite.greenMin).toBe(80);
    expect(bodyOf(r, 2)).toMatchObject({ version: 3, changes: [{ path: 'onboarding.kickoffBusinessDays', before: 5, after: 4 }] });
    expect(bodyOf(r, 2).thresholdChange).toBeUndefined();
    expect(bodyOf(r, 3)).toMatchObject({ version: 4, thresholdChange: { quarter: '2027-Q2', paths: ['kpis.cadence.recapOnTimePct'], forced: false } });
    expect(bodyOf(r, 4)).toMatchObject({ reason: 'alreadyChangedThisQuarter', thresholdChanges: ['triggers.thresholds.mfaMinPct'], earlierVersion: { version: 4 }, window: { quarter: '2027-Q2', inWindow: true } });
    const published = r.portfolio.timeline.filter((e) => e.type === 'policy.published').map((e) => [(e.data as any).version, (e.why as any).thresholdChange ?? null]);
    expect(published).toEqual([
      [2, { rule: 'R-125', quarter: '2027-Q1', paths: ['health.composite.greenMin'], forced: true, rationale: "The insurer's audit needs the stricter line before the renewal season" }],
      [3, null],
      [4, { rule: 'R-125', quarter: '2027-Q2', paths: ['kpis.cadence.recapOnTimePct'], inWindow: true }],
    ]);
  }, 180_000);
});

type Call = (method: string, path: string, role?: Role, body?: unknown) => Promise<{ status: number; body: any }>;
async function portfolioApi(clock: { now: string }) {
  const db = await freshDatabase();
  const keys = {} as Record<Role, string>;
  for (const role of ROLES) keys[role] = (await createApiKey(db.db, { name: `test ${role}`, role, createdBy: 'test' })).key;
  // No Temporal: the R-6 evaluation runs right after each commit without one (the alert's SLA clock is the worker's business).
  const api = apiCaller(createApp({ db: db.db, logger: createLogger('silent'), now: async () => new Date(clock.now) }), keys);
  const call: Call = (method, path, role = 'admin', body) => api(method, path, { role, body });
  return { db, call };
}

describe('the capacity-gap alert through the API (R-6): re-evaluated on every change of clients, segments, people and policy', () => {
  const clock = { now: '2027-01-05T15:00:00.000Z' };
  let h: Awaited<ReturnType<typeof portfolioApi>>;
  beforeAll(async () => {
    h = await portfolioApi(clock);
  });
  afterAll(() => h?.db.close());
  const capacity = async () => (await h.call('GET', '/v1/portfolio/capacity', 'manager')).body;
  const alerts = async () => (await h.call('GET', '/v1/ctas?kind=capacity-gap&portfolio=true&state=open', 'manager')).body.items;
  const at = (iso: string) => { clock.now = iso; };

  it('opens, closes on a segment change, re-opens as a new episode on an override, closes on a policy change and re-opens when the team shrinks', async () => {
    // Inside Q1's change window; requiredHoursPerClientYear is not a threshold (R-125) anyway.
    expect((await h.call('POST', '/v1/policy/versions', 'admin', { mode: 'merge', note: 'A accounts need 600 h', document: { capacity: { requiredHoursPerClientYear: { A: 600 } } } })).status).toBe(201);
    const casey = (await h.call('POST', '/v1/people', 'admin', { name: 'Casey CSM', email: 'casey@msp.example', roles: ['CSM'] })).body.id;
    const lee = (await h.call('POST', '/v1/people', 'admin', { name: 'Lee Lead', email: 'lee@msp.example', roles: ['CS Lead'] })).body.id;
    const alpha = (await h.call('POST', '/v1/clients', 'ops', clientBody({ name: 'Alpha', maturity: 4, appetite: 4 }))).body.id;
    expect(await alerts()).toEqual([]); // 600 h ≤ 1,176 h
    at('2027-01-05T16:00:00.000Z');
    const bravo = (await h.call('POST', '/v1/clients', 'ops', clientBody({ name: 'Bravo', mrr: 8000, maturity: 4, appetite: 4 }))).body.id;
    const [first] = await alerts();
    // 2 × 600 = 1,200 h > 1,176 h: opened at the change, owned by the CS Lead, due after segmentation.reviewCtaDays (7 d).
    expect(first).toMatchObject({ kind: 'capacity-gap', ruleId: 'R-6', ownerRole: 'CS Lead', ownerPersonId: lee, createdAt: '2027-01-05T16:00:00.000Z', dueAt: '2027-01-12T16:00:00.000Z', data: { figures: { requiredHours: 1200, availableHours: 1176, gapHours: 24 } } });
    expect(first.data.options.map((o: any) => o.option)).toEqual(['raiseBoundaries', 'cutHoursPerSegment', 'lowerInvestmentPct']);
    expect((await capacity()).alert).toMatchObject({ ctaId: first.id, state: 'open' });

    // Segment change: Bravo re-scored Low/Low → D: 600 + 5 = 605 h ≤ 1,176 h — the system closes the alert.
    at('2027-01-06T15:00:00.000Z');
    const down = await h.call('PATCH', `/v1/clients/${bravo}`, 'ops', { maturity: 1, appetite: 1, rationale: 'Assessment found a small, stable estate' });
    expect(down.body.placement.segment).toBe('D');
    expect(await alerts()).toEqual([]);
    expect((await h.call('GET', `/v1/ctas/${first.id}`, 'manager')).body).toMatchObject({ state: 'done', completedAt: '2027-01-06T15:00:00.000Z', data: { figures: { requiredHours: 605, gapHours: -571 } } });
    expect(await capacity()).toMatchObject({ requiredHours: 605, gap: false, options: [], alert: { ctaId: first.id, state: 'done' } });

    // A CS Lead overrides Bravo back to A: the gap is back, as a new episode with its own CTA.
    at('2027-01-07T15:00:00.000Z');
    expect((await h.call('PUT', `/v1/clients/${bravo}/segment-override`, 'manager', { segment: 'A', rationale: 'Board-level sponsor, strategic roadmap' })).status).toBe(200);
    const [second] = await alerts();
    expect(second.id).not.toBe(first.id);
    expect(second).toMatchObject({ createdAt: '2027-01-07T15:00:00.000Z', data: { figures: { requiredHours: 1200, gapHours: 24 } } });

    // Policy: A accounts at 500 h → 1,000 h ≤ 1,176 h closes it.
    at('2027-01-08T15:00:00.000Z');
    expect((await h.call('POST', '/v1/policy/versions', 'admin', { mode: 'merge', note: 'A accounts at 500 h', document: { capacity: { requiredHoursPerClientYear: { A: 500 } } } })).status).toBe(201);
    expect(await alerts()).toEqual([]);
    expect((await h.call('GET', `/v1/ctas/${second.id}`, 'manager')).body).toMatchObject({ state: 'done', data: { figures: { requiredHours: 1000, availableHours: 1176, gapHours: -176 } } });

    // People: the only CSM leaves (inactive) → 0 h available; a third episode, utilisation undefined without a team.
    at('2027-01-11T15:00:00.000Z');
    expect((await h.call('PATCH', `/v1/people/${casey}`, 'admin', { active: false })).status).toBe(200);
    const [third] = await alerts();
    expect(third).toMatchObject({ data: { figures: { requiredHours: 1000, availableHours: 0, gapHours: 1000, utilisationPct: null } } });
    // A change that leaves the figures as they are (Alpha's name) neither closes nor duplicates it.
    expect((await h.call('PATCH', `/v1/clients/${alpha}`, 'ops', { name: 'Alpha Dental' })).status).toBe(200);
    expect((await alerts()).map((c: any) => c.id)).toEqual([third.id]);

    const timeline = (await h.call('GET', '/v1/portfolio/timeline?limit=100', 'manager')).body.items.filter((e: any) => e.type.startsWith('capacity.'));
    expect(timeline.map((e: any) => [e.type, e.occurredAt, e.data.ctaId])).toEqual([
      ['capacity.gap_opened', '2027-01-05T16:00:00.000Z', first.id], ['capacity.gap_closed', '2027-01-06T15:00:00.000Z', first.id],
      ['capacity.gap_opened', '2027-01-07T15:00:00.000Z', second.id], ['capacity.gap_closed', '2027-01-08T15:00:00.000Z', second.id],
      ['capacity.gap_opened', '2027-01-11T15:00:00.000Z', third.id],
    ]);
  });
});

describe('R-37 next-week rebalance through GET /v1/portfolio/capacity', () => {
  it('proposes moving the B/C meetings (tactical first, biggest first) of a week loaded over 90 % until it is at or under 85 %, never the A ones', async () => {
    const clock = { now: '2027-01-04T15:00:00.000Z' }; // Mon of 2027-W01; weeks counted in UTC (capacity.weekTimeZone)
    const h = await portfolioApi(clock);
    try {
      const val = (await h.call('POST', '/v1/people', 'admin', { name: 'Val vCIO', email: 'val@msp.example', roles: ['vCIO'], weeklyCapacityHours: 10 })).body.id;
      const client = async (name: string, maturity: number, appetite: number) => (await h.call('POST', '/v1/clients', 'ops', clientBody({ name, maturity, appetite }))).body;
      const a = await client('Aco', 4, 4);
      const b = await client('Bco', 2, 4);
      const c = await client('Cco', 4, 2);
      expect([a.placement.segment, b.placement.segment, c.placement.segment]).toEqual(['A', 'B', 'C']);
      const ids: Record<string, string> = {};
      const meeting = async (ref: string, clientId: string, startsAt: string, minutes: number, strategic: boolean) => {
        ids[ref] = randomUUID();
        await h.db.db.insert(meetings).values({
          id: ids[ref]!, clientId, process: 'cadence', kind: strategic ? 'qbr' : 'tactical', mode: 'live', state: 'scheduled', startsAt,
          endsAt: new Date(Date.parse(startsAt) + minutes * 60_000).toISOString(), strategic, prepHours: strategic ? 1 : 0.25,
          accountablePersonId: val, accountableRole: 'vCIO', data: { kind: strategic ? 'strategic' : 'tactical' }, createdAt: clock.now, updatedAt: clock.now,
        });
      };
      // Next week (W02, Mon 11 Jan): A tactical 1 h 45 + 0.25 prep = 2 h; A strategic 3 h + 1 = 4 h; B strategic 2 h + 1 = 3 h;
      // C tactical 1 h 30 + 0.25 = 1.75 h; C tactical 1 h + 0.25 = 1.25 h → 12 h of 10 h = 120 % > 90 %.
      await meeting('aTactical', a.id, '2027-01-11T15:00:00.000Z', 105, false);
      await meeting('aQbr', a.id, '2027-01-12T15:00:00.000Z', 180, true);
      await meeting('bQbr', b.id, '2027-01-13T15:00:00.000Z', 120, true);
      await meeting('cLong', c.id, '2027-01-14T15:00:00.000Z', 90, false);
      await meeting('cShort', c.id, '2027-01-15T15:00:00.000Z', 60, false);
      const body = (await h.call('GET', '/v1/portfolio/capacity', 'manager')).body;
      // Moves: C 1.75 h (→ 10.25 h, 102.5 %), C 1.25 h (→ 9 h, 90 %: not yet ≤ 85 %), then B's QBR 3 h (→ 6 h, 60 %). W03 is empty: each fits there.
      expect(body.rebalance).toEqual([{
        personId: val, week: '2027-W02', loadPct: 120, hours: 12, weeklyCapacityHours: 10, loadPctAfter: 60, notEnough: false,
        moves: [
          { meetingId: ids.cLong, clientId: c.id, segment: 'C', startsAt: '2027-01-14T15:00:00.000Z', hours: 1.75, toWeek: '2027-W03' },
          { meetingId: ids.cShort, clientId: c.id, segment: 'C', startsAt: '2027-01-15T15:00:00.000Z', hours: 1.25, toWeek: '2027-W03' },
          { meetingId: ids.bQbr, clientId: b.id, segment: 'B', startsAt: '2027-01-13T15:00:00.000Z', hours: 3, toWeek: '2027-W03' },
        ],
      }]);
    } finally {
      await h.db.close();
    }
  });
});

describe('R-37 rebalance CTA at the Weekly CS Ops (R-38)', () => {
  it('opens a CTA to the overloaded person proposing which B/C meetings to move, on the session\'s agenda', async () => {
    const ids: Record<string, string> = {};
    const r = await rehearse(ScenarioSchema.parse({
      name: 'rebalance', timeZone: 'America/Chicago', start: '2027-01-04T09:00:00-06:00', end: '2027-01-04T13:00:00-06:00', governance: ['weeklyCsOps'],
      policy: { governance: { timeZone: 'America/Chicago' } },
      people: [{ ref: 'val', name: 'Val vCIO', roles: ['vCIO'] }, { ref: 'lee', name: 'Lee Lead', roles: ['CS Lead'] }],
      clients: [
        { ref: 'aco', name: 'Aco', mrr: 12000, maturity: 4, appetite: 4, timeZone: 'America/Chicago' },
        { ref: 'bco', name: 'Bco', mrr: 12000, maturity: 2, appetite: 4, timeZone: 'America/Chicago' },
      ],
      steps: [
        { at: '+0h', op: 'updatePerson', params: { personId: '$val' }, as: 'admin', body: { weeklyCapacityHours: 10 }, expect: 200 },
        // The Weekly CS Ops meets Mondays 11:00 Chicago (17:00Z) and looks at next week, 2027-W02 (UTC weeks).
        { at: '+3h', op: 'getGovernanceSession', params: { sessionId: 'weeklyCsOps-2027-W01' }, as: 'manager', expect: 200 },
        { at: '+3h', op: 'listCtas', query: { kind: 'rebalance', portfolio: 'true' }, as: 'manager', expect: 200 },
      ],
    }), {
      ...(await rehearsalOptions()),
      beforeStep: async (i, db, refs) => {
        if (i !== 0) return;
        // Val's W02: A QBR 3 h + 1 h prep = 4 h, A check-in 1 h 45 + 0.25 h = 2 h, B QBR 2 h + 1 h = 3 h, B check-in 2 h → 11 h of 10 h = 110 %.
        const rows = [['aQbr', 'aco', '2027-01-12T15:00:00.000Z', 180, true], ['aCheck', 'aco', '2027-01-11T15:00:00.000Z', 105, false], ['bQbr', 'bco', '2027-01-13T15:00:00.000Z', 120, true], ['bCheck', 'bco', '2027-01-14T15:00:00.000Z', 105, false]] as const;
        for (const [ref, client, startsAt, minutes, strategic] of rows) {
          ids[ref] = randomUUID();
          await db.insert(meetings).values({
            id: ids[ref]!, clientId: refs[client]!, process: 'cadence', kind: strategic ? 'qbr' : 'tactical', mode: 'live', state: 'scheduled', startsAt,
            endsAt: new Date(Date.parse(startsAt) + minutes * 60_000).toISOString(), strategic, prepHours: strategic ? 1 : 0.25, accountablePersonId: refs.val!, accountableRole: 'vCIO',
            data: { kind: strategic ? 'strategic' : 'tactical' }, createdAt: '2027-01-04T15:00:00.000Z', updatedAt: '2027-01-04T15:00:00.000Z',
          });
        }
      },
    });
    expect(r.failures).toEqual([]);
    // 4 + 2 (A) + 3 + 2 (B) = 11 h = 110 %: B's check-in first (tactical) → 9 h = 90 %, still > 85 %; then B's QBR → 6 h = 60 %. A meetings stay.
    const proposal = { personId: r.refs.val, week: '2027-W02', loadPct: 110, hours: 11, weeklyCapacityHours: 10, loadPctAfter: 60, notEnough: false, moves: [
      { meetingId: ids.bCheck, clientId: r.refs.bco, segment: 'B', startsAt: '2027-01-14T15:00:00.000Z', hours: 2, toWeek: '2027-W03' },
      { meetingId: ids.bQbr, clientId: r.refs.bco, segment: 'B', startsAt: '2027-01-13T15:00:00.000Z', hours: 3, toWeek: '2027-W03' },
    ] };
    expect(bodyOf(r, 1).agenda.sections.capacity.rebalance).toMatchObject({ total: 1, items: [proposal] });
    const items = bodyOf(r, 2).items;
    expect(items).toEqual([expect.objectContaining({
      kind: 'rebalance', ruleId: 'R-37', clientId: null, ownerPersonId: r.refs.val, state: 'open', dueAt: '2027-01-11T00:00:00.000Z', data: expect.objectContaining({ proposal }),
    })]);
    expect(items[0].title).toBe('Rebalance 2027-W02: load 110 % over 90 %; move 2 B/C meeting(s)');
  }, 180_000);
});

describe('GET /v1/portfolio/kpis/cadence (R-39): figures with their inputs', () => {
  it('counts recaps on time and meetings with a decision for a closed month, with ids, targets, the trend against the month before, by segment and owner, and as CSV', async () => {
    const clock = { now: '2027-04-10T15:00:00.000Z' };
    const h = await portfolioApi(clock);
    try {
      const person = async (name: string) => (await h.call('POST', '/v1/people', 'admin', { name, email: `${name.toLowerCase().replace(' ', '.')}@msp.example`, roles: ['vCIO'] })).body.id as string;
      const val = await person('Val One');
      const vic = await person('Vic Two');
      const aco = (await h.call('POST', '/v1/clients', 'ops', clientBody({ name: 'Aco', maturity: 4, appetite: 4 }))).body.id as string;
      const bco = (await h.call('POST', '/v1/clients', 'ops', clientBody({ name: 'Bco', maturity: 2, appetite: 4 }))).body.id as string;
      const M: Record<string, string> = {};
      // A strategic cadence meeting, 60 min, held as planned; the recap is due 48 h after it ends.
      const held = async (ref: string, clientId: string, segment: string, owner: string, startsAt: string, recapSentAfterHours: number | null, decisionCount: number) => {
        M[ref] = randomUUID();
        const endsAt = new Date(Date.parse(startsAt) + 3_600_000).toISOString();
        await h.db.db.insert(meetings).values({
          id: M[ref]!, clientId, process: 'cadence', kind: 'qbr', mode: 'live', state: 'held', segment, startsAt, endsAt, strategic: true, prepHours: 1,
          accountablePersonId: owner, accountableRole: 'vCIO', heldAt: endsAt, recapDueAt: new Date(Date.parse(endsAt) + 48 * 3_600_000).toISOString(),
          recapSentAt: recapSentAfterHours === null ? null : new Date(Date.parse(endsAt) + recapSentAfterHours * 3_600_000).toISOString(), decisionCount,
          data: { kind: 'strategic' }, createdAt: startsAt, updatedAt: startsAt,
        });
      };
      await held('feb', aco, 'A', val, '2027-02-10T15:00:00.000Z', 5, 1); // February: 1 of 1 on time, 1 of 1 with a decision
      await held('m1', aco, 'A', val, '2027-03-09T15:00:00.000Z', 20, 2); // on time, decision
      await held('m2', aco, 'A', val, '2027-03-16T15:00:00.000Z', 60, 0); // late (60 h > 48 h), no decision
      await held('m3', bco, 'B', vic, '2027-03-23T15:00:00.000Z', 47, 1); // on time, decision
      // Held 30 Mar, recap due 1 Apr 16:00 — after March ended (the month is judged as of its end): not in recap's denominator; a decision.
      await held('m4', bco, 'B', vic, '2027-03-30T15:00:00.000Z', null, 1);

      const r = await h.call('GET', '/v1/portfolio/kpis/cadence?period=2027-03', 'manager');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ family: 'cadence', period: { kind: 'month', label: '2027-03' }, previousPeriod: { label: '2027-02' } });
      const fig = (id: string) => r.body.figures.find((f: any) => f.id === id);
      // Recap within 48 h: m1, m3 of m1, m2, m3 = 2/3 = 66.7 % against 95 % (kpis.cadence.recapOnTimePct); February 100 % → down, worsening.
      const recap = fig('recapOnTime');
      expect(recap).toMatchObject({ value: 66.7, numerator: 2, denominator: 3, target: 95, meets: false, trend: { previousValue: 100, delta: -33.3, direction: 'down', improving: false } });
      expect([...recap.ids].sort()).toEqual([M.m1, M.m3].sort());
      expect(recap.bySegment).toMatchObject({ A: { value: 50, numerator: 1, denominator: 2 }, B: { value: 100, numerator: 1, denominator: 1 } });
      expect(Object.fromEntries(recap.byOwner.map((o: any) => [o.personId, [o.numerator, o.denominator]]))).toEqual({ [val]: [1, 2], [vic]: [1, 1] });
      // With a decision: m1, m3, m4 of four = 75 % against 70 % (kpis.cadence.meetingsWithDecisionPct).
      const decisions = fig('meetingsWithDecision');
      expect(decisions).toMatchObject({ value: 75, numerator: 3, denominator: 4, target: 70, meets: true, trend: { previousValue: 100, direction: 'down', improving: false } });
      expect([...decisions.ids].sort()).toEqual([M.m1, M.m3, M.m4].sort());
      expect(r.body.owners).toEqual(expect.arrayContaining([{ personId: val, name: 'Val One' }, { personId: vic, name: 'Vic Two' }]));

      const csv = await h.call('GET', '/v1/portfolio/kpis/cadence?period=2027-03&format=csv', 'manager');
      expect(csv.status).toBe(200);
      const lines = String(csv.body).trim().split(/\r?\n/);
      expect(lines[0]).toBe('family,period,figure,ruleId,scope,key,ownerName,value,numerator,denominator,target,meets,previousValue,delta,direction,improving');
      const rows = lines.filter((l) => l.startsWith('cadence,2027-03,recapOnTime,'));
      expect(rows).toEqual([
        'cadence,2027-03,recapOnTime,R-39,portfolio,,,66.7,2,3,95,false,100,-33.3,down,false',
        'cadence,2027-03,recapOnTime,R-39,segment,A,,50,1,2,95,false,100,-50,down,false',
        'cadence,2027-03,recapOnTime,R-39,segment,B,,100,1,1,95,true,,,,', // no B meeting in February: no trend
        'cadence,2027-03,recapOnTime,R-39,segment,C,,,0,0,95,,,,,',
        'cadence,2027-03,recapOnTime,R-39,segment,D,,,0,0,95,,,,,',
        ...[`cadence,2027-03,recapOnTime,R-39,owner,${vic},Vic Two,100,1,1,95,true,,,,`, `cadence,2027-03,recapOnTime,R-39,owner,${val},Val One,50,1,2,95,false,100,-50,down,false`]
          .sort((a, b) => (a.split(',')[5]! < b.split(',')[5]! ? -1 : 1)),
      ]);
      expect(lines).toContain('cadence,2027-03,meetingsWithDecision,R-39,portfolio,,,75,3,4,70,true,100,-25,down,false');
      // Months outside the business years are a 400, not a 500 (found by the fuzzer).
      for (const path of ['/v1/portfolio/kpis/cadence?period=0000-01', '/v1/portfolio/kpis/cadence?period=9999-Q4', '/v1/portfolio/trigger-coverage?month=0000-01']) {
        const bad = await h.call('GET', path, 'manager');
        expect([path, bad.status, bad.body.type]).toEqual([path, 400, 'urn:baton:problem:validation']);
      }
    } finally {
      await h.db.close();
    }
  });
});

describe('the D Defense Loop intake (R-12) through the API', () => {
  it('takes the monthly intake, fires its three triggers once each as TAM-owned stability reviews with the figures behind them, and refuses a non-D client', async () => {
    const clock = { now: '2027-01-29T15:00:00.000Z' };
    const h = await portfolioApi(clock);
    try {
      // Low/Low → D; $2,000 MRR × 12 × 3 % = $720 a year: the cost-to-serve target is $60 a month.
      const d = (await h.call('POST', '/v1/clients', 'ops', clientBody({ name: 'Dco', mrr: 2000, maturity: 1, appetite: 1 }))).body;
      expect(d.placement.segment).toBe('D');
      const intake = (body: Record<string, unknown>) => h.call('POST', `/v1/clients/${d.id}/defense-loop/intakes`, 'automation', body);
      const jan = await intake({ month: '2027-01', incidents: 2, oldestExceptionAgeDays: 10, costToServeUsd: 50, stable: true });
      expect(jan.status).toBe(201);
      expect(jan.body).toMatchObject({ triggers: [], costTargetUsdPerMonth: 60 });
      clock.now = '2027-02-26T15:00:00.000Z';
      expect((await intake({ month: '2027-02', incidents: 2, oldestExceptionAgeDays: 15, costToServeUsd: 70, stable: true })).body.triggers).toEqual([]); // January was under $60
      clock.now = '2027-03-31T15:00:00.000Z';
      const mar = await intake({ month: '2027-03', incidents: 6, oldestExceptionAgeDays: 21, costToServeUsd: 80, stable: false, risks: ['Backup failures on the file server'] });
      // Incidents 6 ≥ 3 and ≥ 1.5 × the trailing average 2; exception age 10 → 15 → 21 rising two months; $70 and $80 over $60 two months running.
      const fired = Object.fromEntries(mar.body.triggers.map((t: any) => [t.trigger, t]));
      expect(Object.keys(fired).sort()).toEqual(['costToServeOverTarget', 'exceptionAgeRising', 'incidentSpike']);
      expect(fired.incidentSpike.why).toMatchObject({ incidents: 6, trailingAverage: 2, trailingMonths: ['2027-01', '2027-02'], factor: 1.5, min: 3 });
      expect(fired.exceptionAgeRising.why.months.map((m: any) => m.oldestExceptionAgeDays)).toEqual([10, 15, 21]);
      expect(fired.costToServeOverTarget.why).toMatchObject({ targetUsdPerMonth: 60, months: [{ month: '2027-02', costToServeUsd: 70 }, { month: '2027-03', costToServeUsd: 80 }] });
      const review = (await h.call('GET', `/v1/ctas/${fired.incidentSpike.ctaId}`, 'manager')).body;
      // each a stability-review CTA to D's cadence owner (the TAM), due after cadence.D.defenseLoop.triggerCtaDueDays (5).
      expect(review).toMatchObject({ clientId: d.id, kind: 'defense-review', ruleId: 'R-12', ownerRole: 'TAM', state: 'open', dueAt: '2027-04-05T15:00:00.000Z' });

      // A corrected March intake opens nothing twice.
      const again = await intake({ month: '2027-03', incidents: 7, oldestExceptionAgeDays: 21, costToServeUsd: 80, stable: false });
      expect(again.body.triggers.map((t: any) => t.ctaId).sort()).toEqual(mar.body.triggers.map((t: any) => t.ctaId).sort());
      const loop = (await h.call('GET', `/v1/clients/${d.id}/defense-loop`, 'manager')).body;
      expect(loop).toMatchObject({ segment: 'D', enabled: true, costTargetUsdPerMonth: 60 });
      expect(loop.intakes.map((i: any) => [i.month, i.incidents])).toEqual([['2027-03', 7], ['2027-02', 2], ['2027-01', 2]]);
      expect(loop.reviews).toHaveLength(3);
      const timeline = (await h.call('GET', `/v1/clients/${d.id}/timeline`, 'manager')).body.items.map((e: any) => e.type);
      expect(timeline.filter((t: string) => t === 'defense.trigger_fired')).toHaveLength(3);
      expect(timeline.filter((t: string) => t === 'risk.signal_raised')).toHaveLength(3);
      expect(timeline.filter((t: string) => t === 'defense.intake_recorded')).toHaveLength(4);

      const a = (await h.call('POST', '/v1/clients', 'ops', clientBody({ name: 'Aco', maturity: 4, appetite: 4 }))).body;
      const refused = await h.call('POST', `/v1/clients/${a.id}/defense-loop/intakes`, 'automation', { month: '2027-03', incidents: 1, stable: true });
      expect(refused.status).toBe(409);
      expect(refused.body.detail).toContain('D by default, R-12');
    } finally {
      await h.db.close();
    }
  });
});

describe('R-60 at the Monthly Segment Review: two breached months → Corrective Play and credit gated until green', () => {
  it('gates the owner × segment cell whose recaps and decisions missed their targets in January and February, and releases it after a green March', async () => {
    const r = await rehearse(ScenarioSchema.parse({
      name: 'corrective play', timeZone: 'America/Chicago', start: '2027-03-01T09:00:00-06:00', end: '2027-04-06T13:00:00-05:00', governance: ['monthlySegmentReview'],
      policy: { governance: { timeZone: 'America/Chicago' } },
      people: [{ ref: 'val', name: 'Val vCIO', roles: ['vCIO'] }, { ref: 'lee', name: 'Lee Lead', roles: ['CS Lead'] }],
      clients: [{ ref: 'bco', name: 'Bco', mrr: 12000, maturity: 2, appetite: 4, timeZone: 'America/Chicago' }],
      steps: [
        { at: '+0h', op: 'getGovernanceRoutines', as: 'manager', expect: 200 },
        // The review meets Tue 2 Mar 10:00 CST over February (and January before it).
        { at: '2027-03-02T12:00:00-06:00', op: 'listCreditGates', as: 'manager', expect: 200 },
        { at: '2027-03-02T12:00:00-06:00', op: 'listCtas', query: { kind: 'corrective-play', portfolio: 'true' }, as: 'manager', expect: 200 },
        { at: '2027-03-02T12:00:00-06:00', op: 'getGovernanceSession', params: { sessionId: 'monthlySegmentReview-2027-03' }, as: 'manager', expect: 200 },
        { at: '2027-04-01T09:00:00-05:00', op: 'getGovernanceRoutines', as: 'manager', expect: 200 },
        // April's review (Tue 6 Apr 10:00 CDT) finds March green.
        { at: '2027-04-06T12:00:00-05:00', op: 'listCreditGates', as: 'manager', expect: 200 },
      ],
    }), {
      ...(await rehearsalOptions()),
      beforeStep: async (i, db, refs) => {
        if (i !== 0 && i !== 4) return; // (beforeStep runs once the clock reached the step: these steps come before the reviews)
        // Before March's review: two held B QBRs each in January and February, recaps 60 h late (> 48 h) and no decisions.
        // Before April's: two in March, recaps in 24 h, a decision each.
        const plan = i === 0
          ? [['2027-01-12', 60, 0], ['2027-01-26', 60, 0], ['2027-02-09', 60, 0], ['2027-02-23', 60, 0]] as const
          : [['2027-03-09', 24, 1], ['2027-03-23', 24, 2]] as const;
        for (const [day, recapHours, decisionCount] of plan) {
          const startsAt = `${day}T16:00:00.000Z`;
          const endsAt = `${day}T17:00:00.000Z`;
          await db.insert(meetings).values({
            id: randomUUID(), clientId: refs.bco!, process: 'cadence', kind: 'qbr', mode: 'live', state: 'held', segment: 'B', startsAt, endsAt, strategic: true, prepHours: 1,
            accountablePersonId: refs.val!, accountableRole: 'vCIO', heldAt: endsAt, recapDueAt: new Date(Date.parse(endsAt) + 48 * 3_600_000).toISOString(),
            recapSentAt: new Date(Date.parse(endsAt) + recapHours * 3_600_000).toISOString(), decisionCount, data: { kind: 'strategic' }, createdAt: startsAt, updatedAt: startsAt,
          });
        }
      },
    });
    expect(r.failures).toEqual([]);
    // Recaps 0/2 on time (target 95 %) and decisions 0/2 (target 70 %) in both months: the cell (Val, B) breached two months running.
    const kpis = bodyOf(r, 3).agenda.sections.governanceKpis;
    expect(kpis).toMatchObject({ months: ['2027-01', '2027-02'], breachMonths: 2, gating: 1 });
    const cell = kpis.items.find((c: any) => c.personId === r.refs.val && c.segment === 'B');
    expect(cell.months.map((m: any) => [m.month, m.breached])).toEqual([['2027-01', true], ['2027-02', true]]);
    const feb = Object.fromEntries(cell.months[1].figures.map((f: any) => [f.id, [f.numerator, f.denominator, f.meets]]));
    expect(feb).toMatchObject({ recapOnTime: [0, 2, false], decisionRate: [0, 2, false], heldPerPlan: [2, 2, true] });

    const [gate] = bodyOf(r, 1).items;
    expect(bodyOf(r, 1).items).toHaveLength(1);
    expect(gate).toMatchObject({ ruleId: 'R-60', personId: r.refs.val, segment: 'B' });
    const [play] = bodyOf(r, 2).items;
    expect(play).toMatchObject({ kind: 'corrective-play', ruleId: 'R-60', clientId: null, ownerRole: 'CS Lead', ownerPersonId: r.refs.lee, state: 'open', data: { personId: r.refs.val, segment: 'B', play: ['template refresh', 'coaching'] } });
    expect(gate.ctaId).toBe(play.id);

    // March: 2/2 recaps on time, 2/2 with a decision — green: April's review releases the gate.
    const after = bodyOf(r, 5).items.find((g: any) => g.id === gate.id);
    expect(after).toMatchObject({ personId: r.refs.val, segment: 'B' });
    expect(after).toMatchObject({ closedAt: expect.any(String), releaseReason: { rule: 'R-60: green month', month: '2027-03' } });
    const types = r.portfolio.timeline.map((e) => e.type).filter((t) => t.startsWith('credit.'));
    expect(types).toEqual(['credit.gated', 'credit.gate_released']);
  }, 240_000);
});
