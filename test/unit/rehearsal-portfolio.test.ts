import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../domain/policy.js';
import { segmentClient } from '../../domain/segmentation.js';
import { formatProgress } from '../../rehearsal/cli.js';
import { portfolioScenario, segmentCycle } from '../../rehearsal/portfolio.js';
import { resolveWhen, scenarioCalendar, ScenarioError, timeline } from '../../rehearsal/scenario.js';

describe('the portfolio scenario generator (baton rehearse --portfolio, issue 19)', () => {
  it('cycles the segment mix, with weights', () => {
    expect(segmentCycle('A,B,C,D')).toEqual(['A', 'B', 'C', 'D']);
    expect(segmentCycle('a:1, B:3')).toEqual(['A', 'B', 'B', 'B']);
    expect(() => segmentCycle('A,E')).toThrow(ScenarioError);
    expect(() => segmentCycle('')).toThrow(/at least one segment/);
  });

  it('builds N clients served by one team, each cadence started 5 minutes after the previous, for a year', () => {
    const s = portfolioScenario({ clients: 6 });
    expect(s.people.map((p) => p.roles[0])).toEqual(['CSM', 'AM', 'TAM', 'vCIO', 'CS Lead']);
    expect(s.clients).toHaveLength(6);
    // Every client lands in the segment the mix asked for under the default policy.
    const placed = s.clients.map((c) => segmentClient({ maturity: c.maturity as number, appetite: c.appetite as number, mrr: c.mrr as number }, defaultPolicy.segmentation).segment);
    expect(placed).toEqual(['A', 'B', 'C', 'D', 'A', 'B']);
    for (const c of s.clients) expect(Object.values(c.assignments).map((a) => a.person)).toEqual(['csm', 'am', 'tam', 'vcio', 'lead']);
    expect(s.steps.map((st) => [st.at, st.op, st.params.clientId])).toEqual(s.clients.map((c, i) => [`+${i * 5}m`, 'startCadence', `$${c.ref}`]));

    // 2027-01-04 08:00 Chicago (CST) = 14:00Z; a year later is 2028-01-04 at the same local time.
    const plan = timeline(s);
    expect(new Date(plan.startMs).toISOString()).toBe('2027-01-04T14:00:00.000Z');
    expect(new Date(plan.endMs).toISOString()).toBe('2028-01-04T14:00:00.000Z');
    expect(new Date(plan.steps[5]!).toISOString()).toBe('2027-01-04T14:25:00.000Z');
  });

  it('takes the number of days, the start date and the spacing', () => {
    const s = portfolioScenario({ clients: 2, days: 30, start: '2027-07-05', spacingMinutes: 15, segments: 'D' });
    const cal = scenarioCalendar(s);
    expect(new Date(resolveWhen(s.end, s.start, cal)).toISOString()).toBe('2027-08-04T13:00:00.000Z'); // CDT
    expect(s.steps.map((st) => st.at)).toEqual(['+0m', '+15m']);
    expect(s.clients.map((c) => c.ref)).toEqual(['c1d', 'c2d']);
  });

  it('with every process, gives each segment every lifecycle in turn: cadence, onboarding, upsell, sale (issue 13)', () => {
    const s = portfolioScenario({ clients: 16, processes: 'all' });
    // A prospect is registered by its sale, so 12 clients and 4 prospects.
    expect(s.clients.map((c) => c.ref)).toEqual(['c01a', 'c02b', 'c03c', 'c04d', 'c05a', 'c06b', 'c07c', 'c08d', 'c09a', 'c10b', 'c11c', 'c12d']);
    const opsOf = (ref: string) => s.steps.filter((st) => st.params.clientId === `$${ref}` || Object.keys(st.capture).includes(ref)).map((st) => [st.at, st.op]);
    expect(opsOf('c01a')).toEqual([['+0m', 'startCadence']]);
    expect(opsOf('c06b')).toEqual([['+25m', 'startOnboarding']]);
    // the upsell signal 30 days after its cadence started, on the client's local date.
    expect(opsOf('c11c')).toEqual([['+50m', 'startCadence'], [`+${30 * 24 * 60 + 50}m`, 'logUpsellSignal']]);
    expect(s.steps.find((st) => st.op === 'logUpsellSignal' && st.params.clientId === '$c11c')!.body).toMatchObject({ signalDate: '2027-02-03', quarter: '2027-Q1' });
    // the prospect's lead, then its 30-minute discovery the next day.
    expect(opsOf('c16d')).toEqual([['+75m', 'createProspect'], [`+${24 * 60 + 75}m`, 'recordSaleDiscovery']]);
    expect(s.steps.find((st) => st.op === 'startOnboarding')!.body).toEqual({ signedAt: '2027-01-04T08:20:00.000-06:00' });
    // One list in time order, and no step after the end: a 10-day year has no upsell signal.
    const minutes = s.steps.map((st) => Number(st.at.slice(1, -1)));
    expect(minutes).toEqual([...minutes].sort((a, b) => a - b));
    expect(portfolioScenario({ clients: 16, processes: 'all', days: 10 }).steps.some((st) => st.op === 'logUpsellSignal')).toBe(false);
  });

  it('refuses nonsense', () => {
    expect(() => portfolioScenario({ clients: 0 })).toThrow();
    expect(() => portfolioScenario({ clients: 3, start: '2027-13-01' })).toThrow();
  });
});

describe('progress lines on stderr', () => {
  it('say where simulated time is, the events so far, the time taken and left, and memory', () => {
    expect(formatProgress({ phase: 'advancing', simulatedAt: '2027-03-14T16:25:00.000Z', fraction: 0.19, events: 4210, elapsedMs: 45_000, etaMs: 190_000, rssBytes: 1.3 * 2 ** 30, cachedWorkflows: 1204 }))
      .toBe('rehearsal · advancing · 2027-03-14 16:25Z (19 %) · 4,210 events · 0:45 elapsed · about 3:10 left · 1.3 GB RSS · 1,204 cached workflows');
    expect(formatProgress({ phase: 'report', simulatedAt: '2028-01-04T14:00:00.000Z', fraction: 0.5, events: 10, elapsedMs: 3_700_000, etaMs: null, rssBytes: 0 }))
      .toBe('rehearsal · report · 50 % of clients reported · 10 events · 1:01:40 elapsed · 0.0 GB RSS');
  });
});
