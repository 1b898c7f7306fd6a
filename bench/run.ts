/**
 * `npm run bench [-- --requests 2000 --connections 10 --ctas 200 --onboardings 200 --concurrency 10 --cadences 40 --health 100]`:
 * Baton's HTTP API, CTA clocks and onboardings on real servers (embedded PostgreSQL and Temporal
 * dev server in a throw-away dir, the API over real HTTP, the worker in process). Measures, in one
 * run on one machine:
 *  - baseline: GET /healthz (framework floor: no auth, no database);
 *  - read: GET /v1/clients/{id} (auth + one query);
 *  - register: POST /v1/clients (auth, validation, placement, transaction, ledger, workflow start);
 *  - CTA round trip: open (row, ledger event, SLA clock workflow start) → first action (signal);
 *  - onboarding (bench/onboarding.ts): N onboardings, `--concurrency` at a time, each started and
 *    driven through its 17 actions (Workflow Updates) over HTTP to completion: onboardings/s,
 *    calls/s, API p50/p99, history events per run; then the same N of a bare workflow with as many
 *    updates and activities and no Baton logic (bench/baseline-workflow.ts, its own worker and task
 *    queue, driven with the Temporal client), and the ratios Baton/baseline.
 *  - cadence (bench/cadence.ts): `--cadences` clients sharing one team lock their cadence over HTTP and
 *    book their first year against the same people's capacity: time to a booked horizon, meetings/s.
 *  - health (bench/health.ts): a monthly snapshot across `--health` clients: wall time, latency,
 *    history events a snapshot adds.
 *  - governance (bench/governance.ts): the Monthly Segment Review's agenda and the R-60 KPI report
 *    over `--governance-clients` clients (1,000) with four meetings each.
 *  - bare: the floor issue 17 compares opening a CTA and registering a client with, measured in
 *    the same run: a bare workflow start plus one PostgreSQL transaction (one insert), one at a
 *    time like the CTA opens and the sequential registrations beside it.
 *  - scale (bench/scale.ts): `--scale-clients` live cadences (and the CTA clocks they open) on one
 *    worker process: RSS per 1,000 cached workflows, lateness of the monthly roll that fires for
 *    all at once, time to replay-recover after a worker restart.
 *  - connectors (bench/connectors.ts): ConnectWise, Autotask and HaloPSA connectors against their local stubs
 *    (test/support): outbox delivery throughput (`--connector-ctas` CTAs × 3 tickets, deliveries/s), and the
 *    latency of opening and completing a CTA over HTTP with the three connectors active (deliveries held, then
 *    running) vs none (`--connector-reports` each), p50/p95 and the ratios.
 *  - workflow-setup (bench/workflow-setup.ts): CPU a new or replayed workflow spends setting up the bundle's modules.
 *  - rehearsal (bench/rehearsal.ts): a simulated year (`--rehearsal-days`) of a `--rehearsal-clients` portfolio with every
 *    process (`--rehearsal-processes all`), rehearsed on its own time-skipping server: wall time, ledger and history
 *    events per client, peak RSS.
 * `--only governance` (a comma list of http, cta, onboarding, cadence, health, governance, connectors, console, scale, workflow-setup, rehearsal) runs a subset.
 * `TEMPORAL_ADDRESS` (or `--temporal-address`) runs against an external Temporal instead of the embedded dev server.
 * Prints the issue-17 ratios side by side in one table (`targets`) with the machine's load average, and writes
 * bench-results/<timestamp>.json. A measurement, never a pass/fail test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import autocannon from 'autocannon';
import { createApp } from '../api/app.js';
import { createApiKey } from '../db/api-keys.js';
import { connectDatabase, runMigrations } from '../db/client.js';
import { ensureDefaultPolicy } from '../db/policies.js';
import { installTemporalRuntime } from '../runtime/baton.js';
import { startEmbeddedPostgres } from '../runtime/embedded-postgres.js';
import { startEmbeddedTemporal } from '../runtime/embedded-temporal.js';
import { createLogger } from '../runtime/logger.js';
import { freePort } from '../runtime/ports.js';
import { createWorker } from '../worker.js';
import { batonDataConverter, parsePayloadKeys } from '../runtime/payload-codec.js';
import { benchPayloadKeys, inlineWorker, startWorkerProcess, type BenchWorker } from './worker-process.js';
import { benchCadence } from './cadence.js';
import { benchHealth } from './health.js';
import { benchConsole } from './console.js';
import { benchConnectors } from './connectors.js';
import { sql } from 'drizzle-orm';
import { benchGovernance } from './governance.js';
import { benchOnboarding, pct } from './onboarding.js';
import { benchScale } from './scale.js';
import { benchRehearsal } from './rehearsal.js';
import { benchWorkflowSetup } from './workflow-setup.js';
import { registerSearchAttributes } from '../runtime/search-attribute-registry.js';
import { Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { bare } from './baseline-workflow.js';
import * as baselineActivities from './baseline-activities.js';
import type { WorkerTuning } from '../worker.js';
import type { z } from 'zod';
import { configSchema } from '../runtime/config.js';

const { values: opts } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' }, connections: { type: 'string', default: '10' }, ctas: { type: 'string', default: '200' },
    onboardings: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '10' }, cadences: { type: 'string', default: '40' },
    health: { type: 'string', default: '100' },
    'connector-ctas': { type: 'string', default: '200' }, 'connector-reports': { type: 'string', default: '100' },
    'portfolio-clients': { type: 'string', default: '1000' }, 'portfolio-renders': { type: 'string', default: '50' },
    'governance-clients': { type: 'string', default: '1000' }, only: { type: 'string' },
    'scale-clients': { type: 'string', default: '1000' }, 'scale-concurrency': { type: 'string', default: '20' },
    'rehearsal-clients': { type: 'string', default: '50' }, 'rehearsal-days': { type: 'string', default: '365' }, 'rehearsal-processes': { type: 'string', default: 'all' },
    'temporal-address': { type: 'string', default: process.env.TEMPORAL_ADDRESS }, 'temporal-namespace': { type: 'string', default: process.env.TEMPORAL_NAMESPACE ?? 'default' },
    worker: { type: 'string', default: 'process' },
    'max-cached-workflows': { type: 'string' }, 'max-concurrent-workflow-tasks': { type: 'string' }, 'max-concurrent-activities': { type: 'string' }, 'isolate-timeout-seconds': { type: 'string' },
    'vm-watchdog': { type: 'string' }, 'workflow-pollers': { type: 'string' },
  },
});
const numberOrUndefined = (v: string | undefined) => (v === undefined ? undefined : Number(v));
/** The worker's capacity settings (README "Configuration"): the same knobs as BATON_WORKER_* for `baton worker`. */
const TUNING: WorkerTuning = {
  maxCachedWorkflows: numberOrUndefined(opts['max-cached-workflows']),
  maxConcurrentWorkflowTaskExecutions: numberOrUndefined(opts['max-concurrent-workflow-tasks']),
  maxConcurrentActivityTaskExecutions: numberOrUndefined(opts['max-concurrent-activities']),
  isolateExecutionTimeout: opts['isolate-timeout-seconds'] === undefined ? undefined : Number(opts['isolate-timeout-seconds']) * 1000,
  // `--vm-watchdog off`: as BATON_WORKER_VM_WATCHDOG=off (runtime/workflow-threads.ts); unset, each part keeps its own default.
  ...(opts['vm-watchdog'] === undefined ? {} : { vmWatchdog: workerSetting('--vm-watchdog', 'BATON_WORKER_VM_WATCHDOG', opts['vm-watchdog']) === 'on' }),
  // `--workflow-pollers autoscaling`: as BATON_WORKER_WORKFLOW_POLLERS.
  ...(opts['workflow-pollers'] === undefined ? {} : { workflowPollers: workerSetting('--workflow-pollers', 'BATON_WORKER_WORKFLOW_POLLERS', opts['workflow-pollers']) }),
};
/** A flag that sets what a `BATON_WORKER_*` variable sets, checked by that variable's own schema. */
function workerSetting<K extends 'BATON_WORKER_VM_WATCHDOG' | 'BATON_WORKER_WORKFLOW_POLLERS'>(flag: string, key: K, value: string) {
  const parsed = configSchema.shape[key].safeParse(value);
  if (!parsed.success) throw new Error(`${flag} ${value}: ${parsed.error.issues[0]!.message}`);
  return parsed.data as z.output<(typeof configSchema.shape)[K]>;
}
const TEMPORAL_ADDRESS = opts['temporal-address'];
/** `--worker process` (default): Baton's worker in a process of its own, as production runs it; `inline`: inside the bench's (and the API's) process. */
if (opts.worker !== 'process' && opts.worker !== 'inline') throw new Error(`--worker must be process or inline, not ${opts.worker}`);
const WORKER_WHERE = opts.worker;
const NAMESPACE = opts['temporal-namespace']!;
const SCALE_CLIENTS = Number(opts['scale-clients']);
const SCALE_CONCURRENCY = Number(opts['scale-concurrency']);
const REHEARSAL = {
  clients: Number(opts['rehearsal-clients']), days: Number(opts['rehearsal-days']),
  processes: opts['rehearsal-processes'] === 'cadence' ? 'cadence' as const : 'all' as const,
};
const PORTFOLIO_CLIENTS = Number(opts['portfolio-clients']);
const PORTFOLIO_RENDERS = Number(opts['portfolio-renders']);
const REQUESTS = Number(opts.requests);
const CONNECTIONS = Number(opts.connections);
const CTAS = Number(opts.ctas);
const ONBOARDINGS = Number(opts.onboardings);
const CONCURRENCY = Number(opts.concurrency);
const CADENCES = Number(opts.cadences);
const HEALTH = Number(opts.health);
const GOVERNANCE_CLIENTS = Number(opts['governance-clients']);
const CONNECTOR_CTAS = Number(opts['connector-ctas']);
const CONNECTOR_REPORTS = Number(opts['connector-reports']);
/** `--only console,governance`: just those parts (e.g. `console`: the portfolio page alone). */
const ONLY = opts.only ? new Set(opts.only.split(',')) : undefined;
const runs = (part: 'http' | 'cta' | 'onboarding' | 'cadence' | 'health' | 'governance' | 'connectors' | 'console' | 'scale' | 'workflow-setup' | 'rehearsal') => !ONLY || ONLY.has(part);
const loadAvg = () => os.loadavg().map((l) => +l.toFixed(2)) as [number, number, number];

const logger = createLogger('warn');
installTemporalRuntime(logger);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-bench-'));
fs.chmodSync(dir, 0o755);

async function main() {
  const loadAtStart = loadAvg();
  const [pg, temporal] = await Promise.all([
    startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port: await freePort() }),
    TEMPORAL_ADDRESS
      ? { address: TEMPORAL_ADDRESS, stop: async () => {} }
      : startEmbeddedTemporal({ dataDir: path.join(dir, 'temporal'), port: await freePort(), headless: true, startTimeoutMs: 120_000 }),
  ]);
  const stops: (() => Promise<unknown>)[] = [() => temporal.stop(), () => pg.stop()];
  // Ctrl-C (or a stop) stops what the bench started before it exits: a time-skipping test server
  // is not stopped by the core SDK when Node exits, and would be left running. A second one quits at once.
  const interrupt = new AbortController();
  let stoppedBy: 'SIGINT' | 'SIGTERM' | undefined;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    const code = 128 + os.constants.signals[signal];
    if (stoppedBy) process.exit(code);
    stoppedBy = signal;
    console.error(`${signal}: stopping the bench's servers and workers; again to quit at once`);
    interrupt.abort();
    void (async () => {
      for (const stop of stops) await stop().catch(() => {});
      process.exit(code);
    })();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  /** Parts finished so far: a later part that fails (a starved shared machine) does not lose them. */
  const finished: Record<string, unknown> = {};
  try {
    await runMigrations(pg.url);
    const database = connectDatabase(pg.url, { max: 20 });
    stops.unshift(() => database.close());
    await ensureDefaultPolicy(database.db);
    const key = (await createApiKey(database.db, { name: 'bench', role: 'admin', createdBy: 'bench' })).key;
    const opsKey = (await createApiKey(database.db, { name: 'bench ops', role: 'ops', createdBy: 'bench' })).key;

    const connection = await Connection.connect({ address: temporal.address });
    // The embedded dev server registers Baton's search attributes at start; an external namespace gets them here (idempotent).
    if (TEMPORAL_ADDRESS) await registerSearchAttributes(connection, NAMESPACE);
    const native = await NativeConnection.connect({ address: temporal.address });
    stops.unshift(() => connection.close(), () => native.close());
    // A fresh queue per run, so runs against a shared external Temporal never pick up each other's tasks.
    const taskQueue = TEMPORAL_ADDRESS ? `bench-${Date.now()}` : 'bench';
    // Encrypted as Baton runs by default (issue 18); the codec's own cost is measured separately.
    const payloadKeys = benchPayloadKeys();
    const dataConverter = batonDataConverter(parsePayloadKeys(payloadKeys));
    const client = new Client({ connection, dataConverter, namespace: NAMESPACE });
    const worker: BenchWorker = WORKER_WHERE === 'process'
      ? await startWorkerProcess({ databaseUrl: pg.url, temporalAddress: temporal.address, namespace: NAMESPACE, taskQueue, payloadKeys, tuning: TUNING, log: (m) => console.error(m) })
      : inlineWorker(await createWorker({ connection: native, namespace: NAMESPACE, taskQueue, db: database.db, dataConverter, tuning: TUNING }));
    let workerStopped = false;
    const stopWorker = async () => {
      if (workerStopped) return;
      workerStopped = true;
      await worker.stop();
    };
    stops.unshift(stopWorker);

    const app = createApp({ db: database.db, logger, temporal: { client, namespace: NAMESPACE, taskQueue }, payloadCodec: dataConverter.payloadCodecs![0] });
    const port = await freePort();
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => { const s = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve(s)); });
    stops.unshift(() => new Promise((r) => server.close(r)));
    const base = `http://127.0.0.1:${port}`;
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const post = (p: string, body: unknown) => fetch(`${base}${p}`, { method: 'POST', headers: auth, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

    const load = async (title: string, pathname: string, o: Partial<autocannon.Options> = {}) => {
      console.error(`… ${title}`);
      // A generous timeout: on a loaded shared machine a slow answer is a measurement, not a failure (autocannon's default is 10 s).
      const r = await autocannon({ url: `${base}${pathname}`, connections: CONNECTIONS, amount: REQUESTS, timeout: 120, ...o });
      const errors = r.non2xx + r.errors + r.timeouts;
      if (errors > 0) throw new Error(`${title}: ${errors} failed requests`);
      return { title, requests: r.requests.total, throughputPerSec: Math.round(r.requests.average), latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max } };
    };

    const sample = (await post('/v1/clients', { name: 'Bench seed', mrr: 12000, maturity: 4, appetite: 2, timeZone: 'America/Chicago' })).body;
    const scenarios = runs('http') ? [
      await load('baseline GET /healthz', '/healthz'),
      await load('read GET /v1/clients/{id}', `/v1/clients/${sample.id}`, { headers: auth }),
      await load('register POST /v1/clients', '/v1/clients', { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Bench Co', mrr: 12000, maturity: 4, appetite: 2, timeZone: 'America/Chicago' }) }),
    ] : [];
    finished.http = scenarios;

    /**
     * Waits until Baton's worker has had nothing in flight for half a second (at most a minute), so
     * a timed phase does not pay for the workflows the previous one started (500 registrations'
     * placement reviews, the CTA clocks) while the bare floor it is compared with runs on a quiet worker.
     */
    const settleWorker = async () => {
      const until = Date.now() + 60_000;
      let idleSince: number | undefined;
      while (Date.now() < until) {
        const st = await worker.inFlight();
        const idle = st.workflowTasks === 0 && st.activities === 0;
        idleSince = idle ? (idleSince ?? Date.now()) : undefined;
        if (idleSince !== undefined && Date.now() - idleSince >= 500) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      const st = await worker.inFlight();
      console.error(`… the worker did not go idle within 60 s (${st.workflowTasks} workflow tasks, ${st.activities} activities in flight): the next phase shares it`);
    };

    // CTA round trip: open then first action, each timed from the client side; then clocks settle.
    if (runs('cta')) console.error(`… CTA round trip ×${CTAS}`);
    await settleWorker();
    const people = (await post('/v1/people', { name: 'Bench CSM', email: 'csm@bench.example', roles: ['CSM'] })).body;
    await fetch(`${base}/v1/clients/${sample.id}/assignments/CSM`, { method: 'PUT', headers: auth, body: JSON.stringify({ personId: people.id }) });
    const openMs: number[] = [];
    const actMs: number[] = [];
    const ids: string[] = [];
    const started = performance.now();
    for (let i = 0; i < (runs('cta') ? CTAS : 0); i++) {
      let t = performance.now();
      const opened = await post(`/v1/clients/${sample.id}/ctas`, { kind: 'bench', title: `Bench CTA ${i}`, ownerRole: 'CSM', dueAt: new Date(Date.now() + 86_400_000 * 7).toISOString() });
      openMs.push(performance.now() - t);
      if (opened.status !== 201) throw new Error(`open CTA: ${opened.status} ${JSON.stringify(opened.body)}`);
      ids.push(opened.body.id);
      t = performance.now();
      const acted = await post(`/v1/ctas/${opened.body.id}/first-action`, { note: 'on it' });
      actMs.push(performance.now() - t);
      if (acted.status !== 200) throw new Error(`first action: ${acted.status}`);
    }
    const ctaSeconds = (performance.now() - started) / 1000;
    openMs.sort((a, b) => a - b);
    actMs.sort((a, b) => a - b);

    // Registrations one at a time (the autocannon scenario above measures them 10 at a time), then the
    // floor both are compared with: a bare workflow start plus one PostgreSQL transaction, same count.
    const registerMs: number[] = [];
    const bareMs: number[] = [];
    if (runs('cta')) {
      console.error(`… register one at a time ×${CTAS}, then bare start + transaction ×${CTAS}`);
      await settleWorker();
      for (let i = 0; i < CTAS; i++) {
        const t = performance.now();
        const r = await post('/v1/clients', { name: `Bench sequential ${i}`, mrr: 12000, maturity: 4, appetite: 2, timeZone: 'America/Chicago' });
        registerMs.push(performance.now() - t);
        if (r.status !== 201) throw new Error(`register: ${r.status}`);
      }
      await database.sql`create table if not exists bench_bare (id uuid primary key, data jsonb not null, at timestamptz not null default now())`;
      const bareQueue = `${taskQueue}-bare`;
      const bareWorker = await Worker.create({
        connection: native, namespace: NAMESPACE, taskQueue: bareQueue, activities: baselineActivities,
        workflowsPath: path.join(path.dirname(fileURLToPath(import.meta.url)), 'baseline-workflow.ts'),
      });
      const bareRunning = bareWorker.run();
      const plain = new Client({ connection, namespace: NAMESPACE });
      await settleWorker();
      try {
        for (let i = 0; i < CTAS; i++) {
          const t = performance.now();
          const id = crypto.randomUUID();
          await database.db.transaction(async (tx) => { await tx.execute(sql`insert into bench_bare (id, data) values (${id}, ${JSON.stringify({ i, title: `Bench CTA ${i}` })}::jsonb)`); });
          await plain.workflow.start(bare, { workflowId: `bench-bare/${id}`, taskQueue: bareQueue, args: [] });
          bareMs.push(performance.now() - t);
        }
      } finally {
        bareWorker.shutdown();
        await bareRunning;
      }
      registerMs.sort((a, b) => a - b);
      bareMs.sort((a, b) => a - b);
      finished.cta = {
        openMs: { p50: +pct(openMs, 50).toFixed(1), p99: +pct(openMs, 99).toFixed(1) }, registerOneAtATimeMs: { p50: +pct(registerMs, 50).toFixed(1) },
        bareStartPlusTransactionMs: { p50: +pct(bareMs, 50).toFixed(1) }, loadAvg: loadAvg(),
      };
    }

    const onboarding = runs('onboarding') ? await benchOnboarding({ base, key: opsKey, client, plainClient: new Client({ connection, namespace: NAMESPACE }), namespace: NAMESPACE, dataConverter, connection: native, onboardings: ONBOARDINGS, concurrency: CONCURRENCY }) : undefined;
    const cadence = runs('cadence') ? await benchCadence({ base, key, client, cadences: CADENCES, concurrency: CONCURRENCY }) : undefined;
    const governance = runs('governance') ? await benchGovernance({ base, key, db: database.db, clients: GOVERNANCE_CLIENTS, concurrency: CONCURRENCY }) : undefined;
    const health = runs('health') ? await benchHealth({ base, key, client, clients: HEALTH, concurrency: CONCURRENCY }) : undefined;
    const connectors = runs('connectors') ? await benchConnectors({ base, key, db: database.db, client, taskQueue, logger, ctas: CONNECTOR_CTAS, reports: CONNECTOR_REPORTS, concurrency: CONCURRENCY }) : undefined;
    if (connectors) finished.connectors = { ...connectors, loadAvg: loadAvg() };
    // Last, on a fresh database: the console's portfolio page of a 1,000-client book.
    let portfolio;
    if (runs('console')) {
      const consoleDb = `bench_console`;
      await database.db.execute(sql.raw(`create database ${consoleDb}`));
      const portfolioDatabase = connectDatabase(pg.urlFor(consoleDb), { max: 10 });
      stops.unshift(() => portfolioDatabase.close());
      await runMigrations(pg.urlFor(consoleDb));
      await ensureDefaultPolicy(portfolioDatabase.db);
      const portfolioKey = (await createApiKey(portfolioDatabase.db, { name: 'bench console', role: 'manager', createdBy: 'bench' })).key;
      portfolio = await benchConsole({ database: portfolioDatabase, logger, clients: PORTFOLIO_CLIENTS, requests: PORTFOLIO_RENDERS, adminKey: portfolioKey });
    }
    // CPU a new or replayed workflow spends on module setup before its own code runs.
    const workflowSetup = runs('workflow-setup') ? await benchWorkflowSetup({ runs: 20 }) : undefined;
    // Its own database and worker, after everything else: N live cadences held by one worker process.
    let scale;
    if (runs('scale')) {
      await stopWorker();
      await database.db.execute(sql.raw('create database bench_scale'));
      const scaleUrl = pg.urlFor('bench_scale');
      await runMigrations(scaleUrl);
      const scaleDatabase = connectDatabase(scaleUrl, { max: 20 });
      stops.unshift(() => scaleDatabase.close());
      await ensureDefaultPolicy(scaleDatabase.db);
      scale = await benchScale({ db: scaleDatabase.db, clients: SCALE_CLIENTS, concurrency: SCALE_CONCURRENCY, tuning: TUNING, dataConverter, log: (m) => console.error(m), onStop: (stop) => stops.unshift(stop) });
    }

    // Last: it brings up its own servers, so the run's other parts are not measured beside it.
    let rehearsal;
    if (runs('rehearsal')) {
      await stopWorker();
      const rehearsing = benchRehearsal({ ...REHEARSAL, tuning: TUNING, log: (m) => console.error(m), signal: interrupt.signal });
      stops.unshift(() => rehearsing.catch(() => {}));
      rehearsal = await rehearsing;
    }

    const ctaP50 = runs('cta') ? pct(openMs, 50) : undefined;
    const registerP50 = registerMs.length ? pct(registerMs, 50) : undefined;
    const bareP50 = bareMs.length ? pct(bareMs, 50) : undefined;
    const ratio = (a: number | undefined, b: number | undefined, digits = 2) => (a === undefined || b === undefined || b === 0 ? undefined : +(a / b).toFixed(digits));
    /** Issue 17's targets, every ratio from this one run on the same servers. */
    const targets = [
      { metric: 'onboarding throughput ÷ bare baseline', ratio: onboarding?.ratios.throughput, target: '≥ 0.8', meets: (r: number) => r >= 0.8 },
      { metric: 'onboarding Update p50 ÷ baseline Update p50', ratio: onboarding?.ratios.updateP50, target: '≤ 1.25', meets: (r: number) => r <= 1.25 },
      { metric: 'history events per onboarding ÷ baseline', ratio: onboarding?.ratios.historyEvents, target: '≤ 1.1', meets: (r: number) => r <= 1.1 },
      { metric: 'open CTA p50 ÷ bare start + transaction p50', ratio: ratio(ctaP50, bareP50), target: '≤ 1.5', meets: (r: number) => r <= 1.5 },
      { metric: 'register client p50 ÷ bare start + transaction p50', ratio: ratio(registerP50, bareP50), target: '≤ 1.5', meets: (r: number) => r <= 1.5 },
      { metric: 'authenticated read req/s ÷ /healthz req/s', ratio: scenarios.length ? ratio(scenarios[1]!.throughputPerSec, scenarios[0]!.throughputPerSec) : undefined, target: '≥ 0.5', meets: (r: number) => r >= 0.5 },
    ].filter((t) => t.ratio !== undefined).map(({ meets, ...t }) => ({ ...t, met: meets(t.ratio!) }));

    const summary = {
      at: new Date().toISOString(),
      // Load average (1, 5, 15 min) when the run started and ended: other work on a shared machine skews absolute numbers, not the side-by-side ratios.
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadAvgAtStart: loadAtStart, loadAvgAtEnd: loadAvg() },
      temporal: TEMPORAL_ADDRESS ? { external: TEMPORAL_ADDRESS, namespace: NAMESPACE } : { embedded: 'dev server (SQLite)' },
      options: { requests: REQUESTS, connections: CONNECTIONS, ctas: CTAS, onboardings: ONBOARDINGS, concurrency: CONCURRENCY, cadences: CADENCES, health: HEALTH, governanceClients: GOVERNANCE_CLIENTS, connectorCtas: CONNECTOR_CTAS, connectorReports: CONNECTOR_REPORTS, scaleClients: SCALE_CLIENTS, rehearsal: REHEARSAL, tuning: TUNING, worker: WORKER_WHERE, ...(ONLY ? { only: [...ONLY] } : {}) },
      targets,
      http: scenarios,
      ratios: scenarios.length ? { readVsBaseline: +(scenarios[0]!.throughputPerSec / scenarios[1]!.throughputPerSec).toFixed(2), registerVsBaseline: +(scenarios[0]!.throughputPerSec / scenarios[2]!.throughputPerSec).toFixed(2) } : undefined,
      ctaRoundTrip: !runs('cta') ? undefined : {
        ctas: CTAS, seconds: +ctaSeconds.toFixed(2), ctasPerSec: +(CTAS / ctaSeconds).toFixed(1),
        openMs: { p50: +pct(openMs, 50).toFixed(1), p99: +pct(openMs, 99).toFixed(1) }, firstActionMs: { p50: +pct(actMs, 50).toFixed(1), p99: +pct(actMs, 99).toFixed(1) },
        registerOneAtATimeMs: { p50: +pct(registerMs, 50).toFixed(1), p99: +pct(registerMs, 99).toFixed(1) },
        bareStartPlusTransactionMs: { p50: +pct(bareMs, 50).toFixed(1), p99: +pct(bareMs, 99).toFixed(1) },
      },
      workflowSetup,
      scale,
      rehearsal,
      onboarding,
      cadence,
      health,
      governance,
      connectors: finished.connectors,
      portfolio,
    };
    const file = writeSummary(summary);
    if (scenarios.length) console.table(scenarios.map((s) => ({ scenario: s.title, 'req/s': s.throughputPerSec, 'p50 ms': s.latencyMs.p50, 'p99 ms': s.latencyMs.p99 })));
    console.log(JSON.stringify({ ratios: summary.ratios, ctaRoundTrip: summary.ctaRoundTrip }, null, 2));
    if (onboarding) {
      const { baton: b, baseline: bl } = onboarding;
      console.table({
        'Baton onboarding (HTTP)': { 'runs/s': b.onboardingsPerSec, 'calls/s': b.callsPerSec, 'update p50 ms': b.apiLatencyMs.actions.p50, 'update p99 ms': b.apiLatencyMs.actions.p99, 'history events': b.historyEvents.mean, 'load 1m': b.loadAvg1m },
        'bare baseline (client)': { 'runs/s': bl.runsPerSec, 'calls/s': bl.callsPerSec, 'update p50 ms': bl.clientLatencyMs.updates.p50, 'update p99 ms': bl.clientLatencyMs.updates.p99, 'history events': bl.historyEvents.mean, 'load 1m': bl.loadAvg1m },
        'bare, regular activities only': (({ vsRegularActivities: r }) => ({ 'runs/s': r.runsPerSec, 'calls/s': '', 'update p50 ms': r.updateP50Ms, 'update p99 ms': '', 'history events': r.baselineHistoryEvents, 'load 1m': r.loadAvg1m }))(onboarding),
      });
      console.log(JSON.stringify({ onboardingShape: onboarding.shape, onboardingRatios: onboarding.ratios, vsRegularActivities: onboarding.vsRegularActivities, encryption: onboarding.encryption, temporalWorkPerClient: onboarding.baton.temporalWorkPerClient }, null, 2));
    }
    if (cadence) console.log(JSON.stringify({ cadence }, null, 2));
    if (health) console.log(JSON.stringify({ health }, null, 2));
    if (governance) console.log(JSON.stringify({ governance }, null, 2));
    if (connectors) console.log(JSON.stringify({ connectors: finished.connectors }, null, 2));
    if (portfolio) console.log(JSON.stringify({ portfolio }, null, 2));
    if (workflowSetup) console.log(JSON.stringify({ workflowSetup }, null, 2));
    if (scale) console.log(JSON.stringify({ scale }, null, 2));
    if (rehearsal) console.log(JSON.stringify({ rehearsal }, null, 2));
    if (targets.length) {
      console.log(`load average at start ${loadAtStart.join(' / ')}, at end ${summary.machine.loadAvgAtEnd.join(' / ')} (1/5/15 min, ${os.cpus().length} CPUs)`);
      console.table(targets.map((t) => ({ metric: t.metric, ratio: t.ratio, target: t.target, met: t.met ? 'yes' : 'no' })));
    }
    console.log(`summary: ${file}`);
  } catch (err) {
    if (Object.keys(finished).length) writeSummary({ at: new Date().toISOString(), failed: String(err), loadAvgAtStart: loadAtStart, loadAvgAtEnd: loadAvg(), ...finished });
    console.error(`bench failed; servers' logs are kept in ${dir}`);
    throw err;
  } finally {
    for (const stop of stops) await stop().catch(() => {});
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

function writeSummary(summary: { at: string } & Record<string, unknown>): string {
  fs.mkdirSync('bench-results', { recursive: true });
  const file = path.join('bench-results', `${summary.at.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`summary: ${file}`);
  return file;
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
