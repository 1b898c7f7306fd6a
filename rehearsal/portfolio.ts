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

/** The scenario of a portfolio: every client starts its cadence (R-10) `spacingMinutes` after the previous one. */
export function portfolioScenario(input: PortfolioOptions): Scenario {
  const o = PortfolioOptionsSchema.parse(input);
  const cycle = segmentCycle(o.segments);
  const start = DateTime.fromISO(`${o.start}T08:00`, { zone: o.timeZone });
  if (!start.isValid) throw new ScenarioError(`--start ${o.start} in ${o.timeZone}: ${start.invalidExplanation}`);
  const width = String(o.clients).length;
  const clients = Array.from({ length: o.clients }, (_, i) => {
    const segment = cycle[i % cycle.length]!;
    const ref = `c${String(i + 1).padStart(width, '0')}${segment.toLowerCase()}`;
    return {
      ref, name: `Client ${i + 1} (${segment})`, mrr: 12_000, ...SCORES[segment], timeZone: o.timeZone,
      // Spread fiscal years and renewals over the calendar so the date triggers fall all year.
      fiscalYearEnd: ['12-31', '03-31', '06-30', '09-30'][i % 4], renewalDate: start.plus({ months: 3 + (i % 12) }).toISODate(),
      assignments: ASSIGNMENTS,
    };
  });
  const minutes = (i: number) => i * o.spacingMinutes;
  return ScenarioSchema.parse({
    name: `portfolio of ${o.clients} clients (${o.segments}), ${o.days} days`,
    description: `${o.clients} clients served by one team, each cadence started ${o.spacingMinutes} minutes after the previous one, then ${o.days} days of timers.`,
    timeZone: o.timeZone,
    ...(o.policy ? { policy: o.policy } : {}),
    start: start.toISO(),
    end: `+${o.days}d`,
    people: TEAM,
    clients,
    steps: clients.map((c, i) => ({ at: `+${minutes(i)}m`, op: 'startCadence', params: { clientId: `$${c.ref}` }, expect: 201 })),
  });
}
