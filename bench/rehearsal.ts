/**
 * The portfolio-year scenario (called by bench/run.ts, `--only rehearsal --rehearsal-clients N`): a
 * simulated year of an N-client portfolio with every process (rehearsal/portfolio.ts `processes: all`:
 * cadences with their planning cycles and governance, upsells, onboardings, sales), rehearsed as
 * `baton rehearse --portfolio N --processes all` does it — its own time-skipping server and throw-away
 * database. Measures (issue 13, issue 17):
 *  - wall time of the rehearsal to the end of its simulated span (steps + advancing), and of its
 *    report (which here also fetches every history to count it);
 *  - ledger events (the timeline) and Temporal history events per client, by process;
 *  - the peak RSS of this process (API, worker and report in one).
 */
import type { WorkerTuning } from '../worker.js';
import { portfolioScenario } from '../rehearsal/portfolio.js';
import { rehearse, type RehearsalProgress } from '../rehearsal/run.js';

interface Options {
  clients: number; days: number; processes: 'cadence' | 'all'; tuning: WorkerTuning; log: (m: string) => void;
  /** Ends the rehearsal early (Ctrl-C) with its test server and database stopped. */
  signal?: AbortSignal;
}

const round = (n: number, digits = 1) => +n.toFixed(digits);

export async function benchRehearsal(o: Options) {
  o.log(`… rehearsal: a ${o.days}-day year of ${o.clients} clients (processes: ${o.processes}) on the time-skipping server`);
  const scenario = portfolioScenario({ clients: o.clients, days: o.days, processes: o.processes });
  const historyEvents = new Map<string, number>();
  let peakRss = process.memoryUsage().rss;
  let simulatedEndMs: number | undefined;
  let lastLog = 0;
  const onProgress = (p: RehearsalProgress) => {
    peakRss = Math.max(peakRss, p.rssBytes);
    if (p.phase === 'report' && simulatedEndMs === undefined) simulatedEndMs = p.elapsedMs;
    if (p.elapsedMs - lastLog >= 30_000) {
      lastLog = p.elapsedMs;
      o.log(`  rehearsal · ${p.phase} · ${p.simulatedAt.slice(0, 10)} · ${Math.round(p.fraction * 100)} % · ${p.events.toLocaleString('en-US')} events · ${Math.round(p.elapsedMs / 1000)} s`);
    }
  };
  const result = await rehearse(scenario, {
    // Full detail so every process's history is fetched (onHistory); the client reports themselves are dropped as they come.
    detail: 'full',
    onClientReport: () => {},
    onHistory: (_clientRef, history, process) => {
      historyEvents.set(process, (historyEvents.get(process) ?? 0) + (history.events?.length ?? 0));
    },
    progress: onProgress,
    progressEveryMs: 2_000,
    worker: o.tuning,
    log: () => {},
    ...(o.signal ? { signal: o.signal } : {}),
  });
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const clients = result.totals.clients;
  const totalHistory = [...historyEvents.values()].reduce((a, b) => a + b, 0);
  return {
    clients, days: o.days, processes: o.processes,
    lifecycles: scenario.steps.reduce<Record<string, number>>((acc, s) => {
      if (['startCadence', 'startOnboarding', 'createProspect'].includes(s.op)) acc[s.op] = (acc[s.op] ?? 0) + 1;
      if (s.op === 'logUpsellSignal') acc.logUpsellSignal = (acc.logUpsellSignal ?? 0) + 1;
      return acc;
    }, {}),
    failures: result.failures,
    /** Steps and advancing to the scenario's end: the rehearsal proper. */
    simulatedYearSeconds: simulatedEndMs === undefined ? null : round(simulatedEndMs / 1000),
    /** The whole run, report included (every history fetched for the counts below). */
    wallSeconds: round(result.wallMs / 1000),
    ledgerEventsPerClient: clients ? round(result.totals.events / clients) : null,
    /** Every process's history (the portfolio's governance routines included) ÷ clients. */
    historyEventsPerClient: clients ? round(totalHistory / clients) : null,
    historyEventsByProcess: Object.fromEntries([...historyEvents].sort((a, b) => b[1] - a[1])),
    peakRssMb: round(peakRss / 1024 / 1024),
    totals: result.totals,
  };
}
