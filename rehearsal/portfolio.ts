/**
 * A portfolio scenario: N clients of mixed segments served by one shared team, each cadence started a
 * few minutes after the previous one, then nothing but time. It is how a policy change is rehearsed on
 * a whole book of business (docs/rehearsal.md, "Portfolios"), and the load that once wedged the
 * time-skipping server (issue 19).
 */
import { DateTime } from 'luxon';
import { z } from 'zod';
import { ScenarioError, ScenarioSchema, type Scenario } from './scenario.js';

// A maturity ≥3 & appetite ≥3; B maturity ≤2 & appetite ≥3; C maturity ≥3 & appetite ≤2; D both ≤2.
const SCORES = { A: { maturity: 4, appetite: 4 }, B: { maturity: 2, appetite: 4 }, C: { maturity: 4, appetite: 2 }, D: { maturity: 1, appetite: 1 } } as const;
type Segment = keyof typeof SCORES;

/** The shared team: one person per MSP role (DOMAIN §1.3), the AM backing up the CSM. */
const TEAM = [
  { ref: 'csm', name: 'Casey CSM', roles: ['CSM'] },
  { ref: 'am', name: 'Avery AM', roles: ['AM'] },
  { ref: 'tam', name: 'Tori TAM', roles: ['TAM'] },
  { ref: 'vcio', name: 'Val vCIO', roles: ['vCIO'] },
  { ref: 'lead', name: 'Lee Lead', roles: ['CS Lead'] },
];
const ASSIGNMENTS = { CSM: { person: 'csm', backup: 'am' }, AM: { person: 'am' }, TAM: { person: 'tam' }, vCIO: { person: 'vcio' }, 'CS Lead': { person: 'lead' } };

export const PortfolioOptionsSchema = z.object({
  clients: z.number().int().min(1).max(10_000),
  /** Segment mix, cycled in order: `A,B,C,D` is one of each in turn; `A:1,B:3` one A for every three Bs. */
  segments: z.string().default('A,B,C,D'),
  days: z.number().int().min(1).max(3660).default(365),
  /** Local date (in `timeZone`) the first cadence starts on, at 08:00. */
  start: z.iso.date().default('2027-01-04'),
  /** Minutes between two clients' cadence starts. */
  spacingMinutes: z.number().int().min(0).max(24 * 60).default(5),
  timeZone: z.string().default('America/Chicago'),
  /** Policy areas deep-merged onto the default policy before anything starts (rehearse a policy change on the portfolio). */
  policy: z.record(z.string(), z.unknown()).optional(),
  /**
   * `cadence`: every client starts its cadence (the load that once wedged the test server, issue 19).
   * `all`: the book of a real MSP, each lifecycle in turn (LIFECYCLES): cadences (with their planning
   * cycles and governance), an upsell signal on a running cadence, an onboarding from Day 0, and a
   * prospect's consultative sale — every process Baton runs (issue 13's portfolio year).
   */
  processes: z.enum(['cadence', 'all']).default('cadence'),
});
export type PortfolioOptions = z.input<typeof PortfolioOptionsSchema>;

/** `A,B,C,D` or `A:2,B:1,...` → the repeating order of segments. */
export function segmentCycle(mix: string): Segment[] {
  const cycle: Segment[] = [];
  for (const part of mix.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([ABCD])(?::(\d+))?$/i.exec(part);
    if (!m) throw new ScenarioError(`--segments: "${part}" is not a segment (A, B, C or D), optionally with a weight such as B:3`);
    const weight = m[2] === undefined ? 1 : Number(m[2]);
    for (let i = 0; i < weight; i++) cycle.push(m[1]!.toUpperCase() as Segment);
  }
  if (!cycle.length) throw new ScenarioError('--segments: name at least one segment (A, B, C or D)');
  return cycle;
}

/**
 * With `processes: all`, client i lives lifecycle `LIFECYCLES[⌊i / segments⌋ mod 4]`, so every lifecycle
 * meets every segment. Nobody reports anything after the opening steps: the year shows what each process
 * does with its deadlines alone (escalations, missed meetings, overdue steps), which is also the load.
 */
export const LIFECYCLES = ['cadence', 'onboarding', 'upsell', 'sale'] as const;
type Lifecycle = (typeof LIFECYCLES)[number];

/** Days after its start that a client on the `upsell` lifecycle logs its signal, and a prospect holds its discovery. */
const UPSELL_AFTER_DAYS = 30;
const DISCOVERY_AFTER_DAYS = 1;

/** The scenario of a portfolio: every client starts its cadence, or its lifecycle, `spacingMinutes` after the previous one. */
export function portfolioScenario(input: PortfolioOptions): Scenario {
  const o = PortfolioOptionsSchema.parse(input);
  const cycle = segmentCycle(o.segments);
  const start = DateTime.fromISO(`${o.start}T08:00`, { zone: o.timeZone });
  if (!start.isValid) throw new ScenarioError(`--start ${o.start} in ${o.timeZone}: ${start.invalidExplanation}`);
  const width = String(o.clients).length;
  const members = Array.from({ length: o.clients }, (_, i) => {
    const segment = cycle[i % cycle.length]!;
    const lifecycle: Lifecycle = o.processes === 'all' ? LIFECYCLES[Math.floor(i / cycle.length) % LIFECYCLES.length]! : 'cadence';
    const ref = `c${String(i + 1).padStart(width, '0')}${segment.toLowerCase()}`;
    return {
      lifecycle,
      startsAt: start.plus({ minutes: i * o.spacingMinutes }),
      client: {
        ref, name: `Client ${i + 1} (${segment})`, mrr: 12_000, ...SCORES[segment], timeZone: o.timeZone,
        // Spread fiscal years and renewals over the calendar so the date triggers fall all year.
        fiscalYearEnd: ['12-31', '03-31', '06-30', '09-30'][i % 4]!, renewalDate: start.plus({ months: 3 + (i % 12) }).toISODate()!,
        assignments: ASSIGNMENTS,
      },
    };
  });
  // A lifecycle's later step that falls after the end (a short rehearsal) is left out, not an error.
  const steps = members.flatMap((m) => lifecycleSteps(m.lifecycle, m.client, m.startsAt, start)).filter((s) => s.minutes <= o.days * 24 * 60);
  // One list in time order (a stable sort keeps each client's own steps in theirs).
  steps.sort((a, b) => a.minutes - b.minutes);
  const mix = o.processes === 'all' ? ', every process' : '';
  return ScenarioSchema.parse({
    name: `portfolio of ${o.clients} clients (${o.segments}${mix}), ${o.days} days`,
    description: o.processes === 'all'
      ? `${o.clients} clients served by one team, one lifecycle each in turn (${LIFECYCLES.join(', ')}), started ${o.spacingMinutes} minutes apart, then ${o.days} days of timers.`
      : `${o.clients} clients served by one team, each cadence started ${o.spacingMinutes} minutes after the previous one, then ${o.days} days of timers.`,
    timeZone: o.timeZone,
    ...(o.policy ? { policy: o.policy } : {}),
    start: start.toISO(),
    end: `+${o.days}d`,
    people: TEAM,
    // A prospect is registered by its sale's first step (POST /v1/prospects), not as a client.
    clients: members.filter((m) => m.lifecycle !== 'sale').map((m) => m.client),
    steps: steps.map(({ minutes, ...step }) => ({ at: `+${minutes}m`, ...step })),
  });
}

type PortfolioClient = { ref: string; name: string; mrr: number; maturity: number; appetite: number; timeZone: string; fiscalYearEnd: string; renewalDate: string };

function lifecycleSteps(lifecycle: Lifecycle, c: PortfolioClient, at: DateTime, start: DateTime): ({ minutes: number } & Record<string, unknown>)[] {
  const minutes = (t: DateTime) => Math.round(t.diff(start, 'minutes').minutes);
  const self = { clientId: `$${c.ref}` };
  switch (lifecycle) {
    case 'cadence':
      return [{ minutes: minutes(at), op: 'startCadence', params: self, expect: 201 }];
    case 'onboarding':
      // Day 0 is the step's own instant; the kickoff clock (≤5 business days, R-47) runs from it.
      return [{ minutes: minutes(at), op: 'startOnboarding', params: self, body: { signedAt: at.toISO() }, expect: 201 }];
    case 'upsell': {
      const seen = at.plus({ days: UPSELL_AFTER_DAYS });
      return [
        { minutes: minutes(at), op: 'startCadence', params: self, expect: 201 },
        // an end-of-life signal on a running cadence; its price test is due 3 days later.
        {
          minutes: minutes(seen), op: 'logUpsellSignal', params: self, expect: 201,
          body: { kind: 'eol', source: 'asset report', signalDate: seen.toISODate(), lane: 'OpEx', urgency: 'medium', title: 'Firewall refresh', roadmapLane: 'Stability', quarter: `${seen.year}-Q${seen.quarter}` },
        },
      ];
    }
    case 'sale': {
      const held = at.plus({ days: DISCOVERY_AFTER_DAYS });
      return [
        // an inbound lead with its segment hypothesis (from maturity and appetite, R-1).
        {
          minutes: minutes(at), op: 'createProspect', expect: 201, capture: { [c.ref]: 'id' },
          body: { name: c.name, mrr: c.mrr, maturity: c.maturity, appetite: c.appetite, timeZone: c.timeZone, fiscalYearEnd: c.fiscalYearEnd, renewalDate: c.renewalDate, trigger: { kind: 'inboundLead', date: at.toISODate() } },
        },
        // the 30-minute decision-first discovery the next day.
        {
          minutes: minutes(held), op: 'recordSaleDiscovery', params: self, expect: 200,
          body: {
            heldAt: held.toISO(), minutes: 30, summary: 'Aging firewall and no MFA before the insurance renewal', decisionsFirst: ['MFA before the renewal'],
            miniHealth: { cx: 'yellow', adoption: 'red', engagement: 'green', serviceQuality: 'yellow', alignment: 'green' },
          },
        },
      ];
    }
  }
}
