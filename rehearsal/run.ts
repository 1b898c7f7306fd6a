import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { asc, eq, isNull, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { apiInfo, createApp } from '../api/app.js';
import { createApiKey, ROLES, type Role } from '../db/api-keys.js';
import { connectDatabase, runMigrations, type Database } from '../db/client.js';
import { clientTimeline, type LedgerEvent } from '../db/ledger.js';
import { activePolicy, ensureDefaultPolicy, publishPolicy } from '../db/policies.js';
import { clients as clientsTable, creditGates, ctas, events, governanceSessions, initiatives, meetings, planningCycles, proposals, risks, upsells } from '../db/schema.js';
import { startEmbeddedPostgres } from '../runtime/embedded-postgres.js';
import { temporalToolPath } from '../runtime/embedded-temporal.js';
import { createLogger } from '../runtime/logger.js';
import { freePort } from '../runtime/ports.js';
import { registerSearchAttributes } from '../runtime/search-attribute-registry.js';
import { resolveTool } from '../runtime/temporal-tools.js';
import {
  cadenceStatus, cadenceWorkflowId, ctaClocksWorkflowId, PORTFOLIO_SCOPE, governanceStatus, governanceWorkflowId, healthStatus, healthWorkflowId, initiativeWorkflowId, onboardingStatus, onboardingWorkflowId,
  placementReviewWorkflowId, planningLoopStatus, planningLoopWorkflowId, proposalWorkflowId, riskStatus, riskWorkflowId, saleWorkflowId,
  type CadenceQueryResult, type GovernanceQueryResult, type OnboardingQueryResult, type PlanningLoopQueryResult,
} from '../workflows/contracts.js';
import { ensureGovernanceRoutines } from '../runtime/processes.js';
import { ROUTINES, type Routine } from '../domain/governance.js';
import { createWorker, type BatonWorkerOptions } from '../worker.js';
import { batonDataConverter, ephemeralKeyring, openHistoryPayloads } from '../runtime/payload-codec.js';
import type { DataConverter } from '@temporalio/common';
import { addToTotals, clientSummary, emptyTotals, openCtaIds, type ClientReport, type ClientState, type ClientSummary, type PortfolioTotals, type ReportDetail } from './report.js';
import { deepMerge, ScenarioError, substituteRefs, timeline, valueAt, type Scenario } from './scenario.js';
import { DEFAULT_CLOCK_LIMITS, describeError, LOOPBACK_CHANNEL_ARGS, RehearsalStalledError, SimulatedClock, type ClockLimits, type WorkerLoad } from './simulated-clock.js';
import { describeStall, type WatchedWorkflow } from './stall-report.js';

export { RehearsalStalledError } from './simulated-clock.js';
export type { ClientReport, ClientState, ClientSummary, PortfolioTotals, ReportDetail } from './report.js';

/**
 * Runs a scenario (rehearsal/scenario.ts) against the real API handlers and worker, in process, on
 * the time-skipping test server started at the scenario's start instant (libfaketime) and a
 * throw-away database. Between steps the server skips time, firing every timer in between, so a
 * 90-day onboarding rehearses in seconds with the same code that runs in production.
 *
 * A rehearsal always ends (issue 19): with its result, or with a {@link RehearsalStalledError} naming
 * what is stuck when simulated time stops moving (rehearsal/simulated-clock.ts), and every call to
 * the test server has a deadline.
 */
export interface RehearsalOptions {
  /** Admin URL of a PostgreSQL server to create the throw-away database on; default an embedded one in a temp dir. */
  postgresAdminUrl?: string;
  testServerPath?: string;
  /** Pre-built workflow bundle (tests share one). */
  workflowBundle?: WorkflowBundleWithSourceMap;
  log?: (message: string) => void;
  /** Long runs: where the rehearsal is (simulated instant, ledger events, ETA), at most every `progressEveryMs`. */
  progress?: (p: RehearsalProgress) => void;
  /** Default 5 s. */
  progressEveryMs?: number;
  /** `full` (default): every client's timeline and final states; `summary`: counts per client only. */
  detail?: ReportDetail;
  /**
   * Receives each client's report as soon as it is taken; the result then keeps only the summaries, so the
   * report of a large portfolio never sits in memory whole (the CLI spools it to disk).
   */
  onClientReport?: (report: ClientReport) => Promise<void> | void;
  /** Time slices, deadlines and the stall watchdog (rehearsal/simulated-clock.ts). */
  limits?: Partial<ClockLimits>;
  /** The rehearsal worker's cache and concurrency (default: worker.ts `defaultMaxCachedWorkflows`, docs/rehearsal.md "Memory and time"); `vmWatchdog` is off unless this says otherwise. */
  worker?: BatonWorkerOptions['tuning'];
  /**
   * Ends the run early (the CLI's Ctrl-C): the rehearsal rejects with RehearsalInterruptedError once its
   * worker, test server and throw-away database have stopped, so nothing outlives the command.
   */
  signal?: AbortSignal;
  /** Tests only: called with the database before step `index` runs (e.g. to change a row behind the API's back). */
  beforeStep?: (index: number, db: Database['db'], refs: Record<string, string>) => Promise<void> | void;
  /** Tests only: the address the rehearsal's client connections use instead of the server's (a fault-injecting proxy). */
  connectVia?: (serverAddress: string) => Promise<string> | string;
  /** Called with the client and each process's history before the servers stop (tests record replay fixtures; full detail only, governance always). */
  onHistory?: (clientRef: string, history: Awaited<ReturnType<ReturnType<TestWorkflowEnvironment['client']['workflow']['getHandle']>['fetchHistory']>>, process: 'onboarding' | 'cadence' | 'governance' | 'initiative' | 'proposal' | 'planning-loop' | 'health' | 'risk' | 'sale' | 'upsell' | 'planning-cycle', workflowId?: string) => Promise<void> | void;
}

export interface RehearsalProgress {
  phase: 'steps' | 'advancing' | 'report';
  /** The test server's clock. */
  simulatedAt: string;
  /** Share of the scenario's simulated span done (0–1); in the report phase, share of clients reported. */
  fraction: number;
  events: number;
  elapsedMs: number;
  /** Estimated real time left in this phase, once there is enough to estimate from. */
  etaMs: number | null;
  /** This process's resident memory. */
  rssBytes: number;
  /** Workflows in the worker's cache (each holds its own copy of the workflow modules: docs/rehearsal.md, "Memory"). */
  cachedWorkflows?: number;
}

export interface StepResult {
  index: number;
  op: string;
  at: string;
  method: string;
  path: string;
  status: number;
  expected?: number;
  ok: boolean;
  body: unknown;
  note?: string;
}

export interface RehearsalResult {
  scenario: string;
  start: string;
  end: string;
  detail: ReportDetail;
  refs: Record<string, string>;
  steps: StepResult[];
  /** Every client's ledger events, in order, exactly as GET /v1/clients/{id}/timeline returns them (full detail, no `onClientReport`). */
  timelines: Record<string, LedgerEvent[]>;
  /** Each client's final process states and CTAs (full detail, no `onClientReport`). */
  states: Record<string, ClientState>;
  /** Counts per client: events by type, meetings by kind and state, CTAs, cadence horizon. */
  summaries: Record<string, ClientSummary>;
  totals: PortfolioTotals;
  /** The portfolio's own records: CTAs without a client (R-6, R-37, R-60), governance sessions (R-125), credit gates, events without a client. */
  portfolio: {
    ctas: (typeof ctas.$inferSelect)[];
    sessions: (typeof governanceSessions.$inferSelect)[];
    creditGates: (typeof creditGates.$inferSelect)[];
    timeline: LedgerEvent[];
    /** Each governance routine's status and history length (`governance` in the scenario). */
    routines: Record<string, { status: GovernanceQueryResult; historyEvents: number }>;
  };
  /** Steps whose status differed from `expect`. */
  failures: string[];
  /** Real time the rehearsal took. */
  wallMs: number;
  /** How the simulated clock went: day slices skipped, sleep calls that failed (then watched), failed sleeps sent again. */
  clock: { slices: number; unanswered: number; resent: number };
}

interface Operation { method: string; path: string }

/** Cadence, onboarding, placement review, planning loop and health per client: the workflows every client can have. */
const clientWorkflows = (clientId: string) => [cadenceWorkflowId(clientId), onboardingWorkflowId(clientId), placementReviewWorkflowId(clientId), planningLoopWorkflowId(clientId), healthWorkflowId(clientId), saleWorkflowId(clientId)];

/** The run was ended through `RehearsalOptions.signal`; everything it started has stopped. */
export class RehearsalInterruptedError extends Error {
  constructor() {
    super('The rehearsal was interrupted; its worker, test server and database have stopped.');
    this.name = 'RehearsalInterruptedError';
  }
}

/**
 * Runs a scenario on its own time-skipping test server and throw-away database. Whatever ends it (its
 * report, a failure, a stall, `opts.signal`), the servers it started stop before it returns.
 */
export async function rehearse(scenario: Scenario, opts: RehearsalOptions = {}): Promise<RehearsalResult> {
  const log = opts.log ?? (() => {});
  // Cleanups are registered as each part starts (the newest first) and run here, so an interrupt stops what exists so far.
  const cleanups: (() => Promise<unknown>)[] = [];
  const { signal } = opts;
  let onAbort = () => {};
  const interrupted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new RehearsalInterruptedError());
  });
  if (signal?.aborted) throw new RehearsalInterruptedError();
  signal?.addEventListener('abort', onAbort, { once: true });
  const run = runRehearsal(scenario, opts, cleanups);
  run.catch(() => {}); // after an interrupt the abandoned run fails as its servers stop: nobody waits for it
  try {
    return await Promise.race([run, interrupted]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (signal?.aborted) log('interrupted: stopping the worker, the test server and the database');
    for (const c of cleanups.splice(0)) await boundedCleanup(c, log);
    if (signal?.aborted) {
      // A part that was still starting when the interrupt came registers its cleanup only once it has started.
      await boundedCleanup(() => run, log, 15_000);
      for (const c of cleanups.splice(0)) await boundedCleanup(c, log);
    }
  }
}

async function runRehearsal(scenario: Scenario, opts: RehearsalOptions, cleanups: (() => Promise<unknown>)[]): Promise<RehearsalResult> {
  const startedAt = Date.now();
  const log = opts.log ?? (() => {});
  const detail = opts.detail ?? 'full';
  const limits: ClockLimits = { ...DEFAULT_CLOCK_LIMITS, ...opts.limits };
  const plan = timeline(scenario); // validates times before anything starts
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-rehearsal-'));
  fs.chmodSync(tmp, 0o755); // PostgreSQL refuses to run as root, so the embedded server runs as another user
  cleanups.push(async () => fs.rmSync(tmp, { recursive: true, force: true }));
  try {
    const database = await throwAwayDatabase(opts.postgresAdminUrl, tmp, cleanups, log);
    // Rehearsal histories live as long as the run: a throwaway key, so the codec is rehearsed too (issue 18).
    const dataConverter = batonDataConverter(ephemeralKeyring('rehearsal'));
    // Histories handed out (tests record them as replay fixtures) are opened first: the throwaway key dies with the run.
    const onHistory: RehearsalOptions['onHistory'] = opts.onHistory && (async (ref, history, process, workflowId) =>
      opts.onHistory!(ref, await openHistoryPayloads(history, dataConverter.payloadCodecs![0]!), process, workflowId));
    const env = await testServerAt(plan.startMs, tmp, opts.testServerPath, log, dataConverter);
    cleanups.unshift(() => env.teardown());
    // The environment's own client connection pings every 30 s, which the test server punishes by closing it
    // (rehearsal/simulated-clock.ts): the rehearsal's calls go over connections of its own.
    await env.connection.close().catch(() => {});
    const address = opts.connectVia ? await opts.connectVia(env.address) : env.address;
    const connection = await Connection.connect({ address, channelArgs: LOOPBACK_CHANNEL_ARGS });
    cleanups.unshift(() => connection.close());
    const client = new Client({ connection, namespace: 'default', dataConverter });
    const clock = await SimulatedClock.connect(address, limits);
    cleanups.unshift(() => clock.close());
    const within = <T>(fn: () => Promise<T>, ms = limits.apiCallMs) => connection.withDeadline(Date.now() + ms, fn);
    await within(() => registerSearchAttributes(connection, 'default'));

    const taskQueue = `rehearsal-${randomBytes(4).toString('hex')}`;
    const worker = await createWorker({
      connection: env.nativeConnection, namespace: 'default', taskQueue, db: database.db, dataConverter,
      ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : {}),
      // No per-entry watchdog thread in the sandbox (runtime/workflow-threads.ts): 15–18 % of a rehearsal's
      // wall time went to them, and a workflow that never yields stops simulated time, which the clock's stall
      // watchdog reports (simulated-clock.ts).
      tuning: { vmWatchdog: false, ...opts.worker },
    });
    const running = worker.run();
    const workerLoad = (): WorkerLoad => {
      const status = worker.getStatus();
      return { workflowActivations: status.numInFlightWorkflowActivations, activities: status.numInFlightActivities };
    };
    cleanups.unshift(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });

    const keys = {} as Record<Role, string>;
    for (const role of ROLES) keys[role] = (await createApiKey(database.db, { name: `rehearsal ${role}`, role, createdBy: 'rehearsal' })).key;
    const now = async () => new Date(await clock.nowMs());
    const app = createApp({ db: database.db, logger: createLogger('silent'), temporal: { client, namespace: 'default', taskQueue }, now });
    const operations = operationsOf(app);
    for (const [i, step] of scenario.steps.entries()) {
      if (!operations.has(step.op)) throw new ScenarioError(`steps.${i}: unknown operation "${step.op}"; known: ${[...operations.keys()].sort().join(', ')}`);
    }
    const call = async (method: string, p: string, role: Role, body?: unknown, idempotencyKey?: string) => {
      const headers: Record<string, string> = { authorization: `Bearer ${keys[role]}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
      // Every Temporal call the handler makes inherits this deadline.
      const res = await within(() => Promise.resolve(app.request(p, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })));
      const text = await res.text();
      return { status: res.status, body: text ? safeJson(text) : undefined };
    };

    // Setup at the start instant: policy, people, clients, assignments.
    if (scenario.policy) {
      const base = (await activePolicy(database.db)).document;
      // The scenario's starting policy is its setup, not a change the MSP makes mid-quarter (R-125 does not apply).
      const published = await publishPolicy(database.db, deepMerge(base, scenario.policy), `rehearsal: ${scenario.name}`, { actor: { kind: 'system' }, at: (await now()).toISOString() }, 'replace', { force: { rationale: "the rehearsal scenario's starting policy" } });
      if (!published.ok) throw new ScenarioError(`policy: ${'issues' in published ? published.issues.map((x) => `${x.path}: ${x.message}`).join('; ') : published.refused.message}`);
    }
    const refs: Record<string, string> = {};
    for (const p of scenario.people) {
      const r = await call('POST', '/v1/people', 'admin', { name: p.name, email: p.email ?? `${p.ref.toLowerCase()}@rehearsal.example`, roles: p.roles });
      if (r.status !== 201) throw new ScenarioError(`people ${p.ref}: ${r.status} ${JSON.stringify(r.body)}`);
      refs[p.ref] = (r.body as { id: string }).id;
    }
    const clientRefs: Record<string, string> = {};
    for (const c of scenario.clients) {
      const { ref, assignments, ...body } = c;
      const r = await call('POST', '/v1/clients', 'ops', body);
      if (r.status !== 201) throw new ScenarioError(`clients ${ref}: ${r.status} ${JSON.stringify(r.body)}`);
      const id = (r.body as { id: string }).id;
      refs[ref] = id;
      clientRefs[id] = ref;
      for (const [role, a] of Object.entries(assignments)) {
        const body2 = substituteRefs({ personId: `$${a.person}`, ...(a.backup ? { backupPersonId: `$${a.backup}` } : {}) }, refs, `clients.${ref}.assignments.${role}`);
        const r2 = await call('PUT', `/v1/clients/${id}/assignments/${encodeURIComponent(role)}`, 'ops', body2);
        if (r2.status !== 200) throw new ScenarioError(`clients ${ref} assignment ${role}: ${r2.status} ${JSON.stringify(r2.body)}`);
      }
    }

    // R-125: the governance routines the scenario asks for, planning their first sessions from the start.
    const routines: Routine[] = scenario.governance === true ? [...ROUTINES] : scenario.governance === false ? [] : scenario.governance;
    if (routines.length) {
      const at = (await now()).toISOString();
      await within(() => ensureGovernanceRoutines({ client, taskQueue }, routines, at));
    }

    const ledgerCount = async () => {
      const [row] = await database.db.select({ n: sql<number>`count(*)::int` }).from(events);
      return row!.n;
    };
    const progress = progressReporter(opts, plan, ledgerCount, () => worker.getStatus().numCachedWorkflows);
    const watched = async (): Promise<WatchedWorkflow[]> => [
      ...Object.entries(clientRefs).flatMap(([id, ref]) => clientWorkflows(id).map((workflowId) => ({ workflowId, label: `client ${ref}` }))),
      ...routines.map((r) => ({ workflowId: governanceWorkflowId(r), label: `governance routine ${r}` })),
      ...[...new Set((await openCtaIds(database.db)).map((c) => c.clientId ?? PORTFOLIO_SCOPE))].map((scope) => ({
        workflowId: ctaClocksWorkflowId(scope), label: `CTA clocks of ${scope === PORTFOLIO_SCOPE ? 'the portfolio' : `client ${clientRefs[scope] ?? scope}`}`,
      })),
    ];
    const advanceTo = async (targetMs: number, phase: RehearsalProgress['phase']) => {
      await clock.advanceTo(targetMs, {
        ledgerCount,
        onProgress: (serverMs) => progress.tick(phase, serverMs),
        workerLoad,
        diagnose: async () => describeStall(client, connection, await watched(), limits.quickCallMs, workerLoad()),
        log,
      });
      await settle(database, limits.stallMs, log);
    };

    const results: StepResult[] = [];
    const failures: string[] = [];
    for (const [i, step] of scenario.steps.entries()) {
      await advanceTo(plan.steps[i]!, 'steps');
      await opts.beforeStep?.(i, database.db, refs);
      const op = operations.get(step.op)!;
      const params = substituteRefs(step.params, refs, `steps.${i}.params`) as Record<string, string>;
      let p = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
        const v = params[name];
        if (v === undefined) throw new ScenarioError(`steps.${i} (${step.op}): path parameter "${name}" is missing`);
        return encodeURIComponent(v);
      });
      const query = substituteRefs(step.query, refs, `steps.${i}.query`) as Record<string, string>;
      if (Object.keys(query).length) p += `?${new URLSearchParams(query)}`;
      const body = step.body === undefined ? (op.method === 'post' ? {} : undefined) : substituteRefs(step.body, refs, `steps.${i}.body`);
      const at = (await now()).toISOString();
      const r = await call(op.method.toUpperCase(), p, step.as, body, step.idempotencyKey);
      const ok = step.expect === undefined ? r.status < 400 || r.status === 409 || r.status === 422 : r.status === step.expect;
      const result: StepResult = { index: i, op: step.op, at, method: op.method.toUpperCase(), path: p, status: r.status, ...(step.expect ? { expected: step.expect } : {}), ok, body: r.body, ...(step.note ? { note: step.note } : {}) };
      results.push(result);
      for (const [ref, dotted] of Object.entries(step.capture)) {
        const value = valueAt(r.body, dotted);
        if (refs[ref] !== undefined) failures.push(`steps.${i} ${step.op}: capture ${ref} is already a ref`);
        else if (typeof value === 'string' || typeof value === 'number') refs[ref] = String(value);
        else failures.push(`steps.${i} ${step.op}: capture ${ref} = ${dotted} found no string or number in the response`);
      }
      if (!ok) failures.push(`steps.${i} ${step.op} at ${at}: ${step.expect ? `expected ${step.expect}, got` : 'got'} ${r.status}${typeof r.body === 'object' && r.body && 'detail' in r.body ? ` (${(r.body as { detail: string }).detail})` : ''}`);
      log(`${at} ${step.op} → ${r.status}`);
      await settle(database, limits.stallMs, log);
    }
    await advanceTo(plan.endMs, 'advancing');

    // Prospects registered by the steps (POST /v1/prospects, R-40) are reported like the scenario's clients, under the ref that captured them.
    for (const row of await database.db.select({ id: clientsTable.id }).from(clientsTable).orderBy(asc(clientsTable.id))) {
      if (!clientRefs[row.id]) clientRefs[row.id] = Object.keys(refs).find((k) => refs[k] === row.id) ?? row.id;
    }
    // The report, one client at a time: a query or history fetch that does not answer in time is an error, not a hang.
    const timelines: RehearsalResult['timelines'] = {};
    const states: RehearsalResult['states'] = {};
    const summaries: RehearsalResult['summaries'] = {};
    const totals = emptyTotals();
    const clientIds = Object.keys(clientRefs);
    const reportStarted = Date.now();
    for (const [n, id] of clientIds.entries()) {
      const ref = clientRefs[id]!;
      const report = await takeClientReport({ client, within, db: database.db, detail, onHistory }, id, ref);
      summaries[id] = report.summary;
      addToTotals(totals, report.summary);
      if (opts.onClientReport) await opts.onClientReport(report);
      else if (detail === 'full') {
        timelines[id] = report.timeline!;
        states[id] = report.state!;
      }
      progress.report(n + 1, clientIds.length, reportStarted);
    }
    const governance: RehearsalResult['portfolio']['routines'] = {};
    for (const routine of routines) {
      const handle = client.workflow.getHandle(governanceWorkflowId(routine));
      const history = await within(() => handle.fetchHistory());
      governance[routine] = { status: await within(() => handle.query(governanceStatus)), historyEvents: history.events?.length ?? 0 };
      await onHistory?.(routine, history, 'governance');
    }
    const portfolio: RehearsalResult['portfolio'] = {
      ctas: await database.db.select().from(ctas).where(isNull(ctas.clientId)).orderBy(asc(ctas.createdAt), asc(ctas.id)),
      sessions: await database.db.select().from(governanceSessions).orderBy(asc(governanceSessions.scheduledFor), asc(governanceSessions.id)),
      creditGates: await database.db.select().from(creditGates).orderBy(asc(creditGates.openedAt), asc(creditGates.id)),
      timeline: await database.db.select().from(events).where(isNull(events.clientId)).orderBy(asc(events.seq)),
      routines: governance,
    };
    return {
      scenario: scenario.name, start: new Date(plan.startMs).toISOString(), end: new Date(plan.endMs).toISOString(), detail,
      refs, steps: results, timelines, states, summaries, totals, portfolio, failures, wallMs: Date.now() - startedAt, clock: { ...clock.stats },
    };
  } catch (err) {
    // Said at once: stopping a worker whose activity is blocked can take up to its bounded cleanup time.
    if (err instanceof RehearsalStalledError) log(`${STALLED_LOG_LINE}; stopping the worker and servers before saying what was stuck`);
    throw err;
  }
}

/** The log line a stalled rehearsal writes before its teardown (the error with the diagnosis follows it). */
export const STALLED_LOG_LINE = 'The rehearsal stalled';

interface ReportDeps {
  client: Client;
  within: <T>(fn: () => Promise<T>, ms?: number) => Promise<T>;
  db: Database['db'];
  detail: ReportDetail;
  onHistory: RehearsalOptions['onHistory'];
}

async function takeClientReport({ client, within, db, detail, onHistory }: ReportDeps, id: string, ref: string): Promise<ClientReport> {
  const ask = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await within(fn);
    } catch (err) {
      throw new RehearsalStalledError(`The report could not ${what} of client ${ref} (${id}): ${describeError(err)}`);
    }
  };
  const exists = async (workflowId: string) => {
    try {
      await within(() => client.workflow.getHandle(workflowId).describe());
      return true;
    } catch (err) {
      if ((err as { name?: string }).name === 'WorkflowNotFoundError') return false;
      throw new RehearsalStalledError(`The report could not describe ${workflowId} (client ${ref}): ${describeError(err)}`);
    }
  };

  let onboarding: OnboardingQueryResult | null = null;
  let onboardingHistoryEvents: number | null = null;
  if (await exists(onboardingWorkflowId(id))) {
    const handle = client.workflow.getHandle(onboardingWorkflowId(id));
    onboarding = await ask('query the onboarding', () => handle.query(onboardingStatus));
    if (detail === 'full') {
      const history = await ask('fetch the onboarding history', () => handle.fetchHistory());
      onboardingHistoryEvents = history.events?.length ?? 0;
      await onHistory?.(ref, history, 'onboarding');
    }
  }
  let cadence: CadenceQueryResult | null = null;
  let cadenceHistoryEvents: number | null = null;
  const cadenceRuns: ClientState['cadenceRuns'] = [];
  if (await exists(cadenceWorkflowId(id))) {
    const handle = client.workflow.getHandle(cadenceWorkflowId(id));
    cadence = await ask('query the cadence', () => handle.query(cadenceStatus));
    if (detail === 'full') {
      const history = await ask('fetch the cadence history', () => handle.fetchHistory());
      cadenceHistoryEvents = history.events?.length ?? 0;
      await onHistory?.(ref, history, 'cadence');
      // Walk back through the runs it continued from.
      for (let h: typeof history | undefined = history; h; ) {
        const first: NonNullable<typeof history.events>[number] | undefined = h.events?.[0];
        cadenceRuns.unshift({ startedAt: first?.eventTime ? new Date(Number(first.eventTime.seconds) * 1000).toISOString() : '', events: h.events?.length ?? 0 });
        const previous: string | null | undefined = first?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
        h = previous ? await ask('fetch an earlier cadence run', () => client.workflow.getHandle(cadenceWorkflowId(id), previous).fetchHistory()) : undefined;
      }
    }
  }
  const summary = await clientSummary(db, id, ref, cadence, onboarding);
  if (detail === 'summary') return { clientId: id, summary };
  // The planning loop (issue 11): its initiatives and proposals as stored, the loop's status and each planning workflow's history length.
  const planningHistoryEvents: Record<string, number> = {};
  const initiativeRows = await db.select().from(initiatives).where(eq(initiatives.clientId, id)).orderBy(asc(initiatives.createdAt), asc(initiatives.id));
  const proposalRows = await db.select().from(proposals).where(eq(proposals.clientId, id)).orderBy(asc(proposals.createdAt), asc(proposals.id));
  const upsellRows = await db.select({ id: upsells.id }).from(upsells).where(eq(upsells.clientId, id)).orderBy(asc(upsells.createdAt), asc(upsells.id));
  const planningWorkflows: [string, 'initiative' | 'proposal' | 'planning-loop' | 'upsell'][] = [
    ...initiativeRows.map((r) => [initiativeWorkflowId(r.id), 'initiative'] as [string, 'initiative']),
    ...upsellRows.map((r) => [`upsell/${r.id}`, 'upsell'] as [string, 'upsell']),
    ...proposalRows.map((r) => [proposalWorkflowId(r.id), 'proposal'] as [string, 'proposal']),
    [planningLoopWorkflowId(id), 'planning-loop'],
  ];
  for (const [wid, kind] of planningWorkflows) {
    if (!(await exists(wid))) continue;
    const history = await ask(`fetch the ${kind} history`, () => client.workflow.getHandle(wid).fetchHistory());
    planningHistoryEvents[wid] = history.events?.length ?? 0;
    await onHistory?.(ref, history, kind, wid);
  }
  // Annual planning cycles (R-62..R-66): each cycle's history (replay fixtures).
  for (const row of await db.select({ workflowId: planningCycles.workflowId }).from(planningCycles).where(eq(planningCycles.clientId, id)).orderBy(asc(planningCycles.fiscalYear))) {
    if (!(await exists(row.workflowId))) continue;
    const history = await ask('fetch a planning cycle history', () => client.workflow.getHandle(row.workflowId).fetchHistory());
    planningHistoryEvents[row.workflowId] = history.events?.length ?? 0;
    await onHistory?.(ref, history, 'planning-cycle', row.workflowId);
  }
  let planning: PlanningLoopQueryResult | null = null;
  if (await exists(planningLoopWorkflowId(id))) planning = await ask('query the planning loop', () => client.workflow.getHandle(planningLoopWorkflowId(id)).query(planningLoopStatus));
  // Health (issue 12): the process's status and history length, null when it never started; every risk with its process.
  let health: ClientState['health'] = null;
  let healthHistoryEvents: number | null = null;
  if (await exists(healthWorkflowId(id))) {
    const handle = client.workflow.getHandle(healthWorkflowId(id));
    health = await ask('query the health process', () => handle.query(healthStatus));
    const history = await ask('fetch the health history', () => handle.fetchHistory());
    healthHistoryEvents = history.events?.length ?? 0;
    await onHistory?.(ref, history, 'health', healthWorkflowId(id));
  }
  // The consultative sale (R-40..R-44) of a client that came in as a prospect.
  if (await exists(saleWorkflowId(id))) await onHistory?.(ref, await ask('fetch the sale history', () => client.workflow.getHandle(saleWorkflowId(id)).fetchHistory()), 'sale', saleWorkflowId(id));
  const riskStates: ClientState['risks'] = [];
  for (const row of await db.select().from(risks).where(eq(risks.clientId, id)).orderBy(asc(risks.openedAt), asc(risks.id))) {
    if (!(await exists(riskWorkflowId(row.id)))) {
      riskStates.push({ row, status: null, historyEvents: null });
      continue;
    }
    const handle = client.workflow.getHandle(riskWorkflowId(row.id));
    const status = await ask('query a risk', () => handle.query(riskStatus));
    const history = await ask('fetch a risk history', () => handle.fetchHistory());
    await onHistory?.(ref, history, 'risk', riskWorkflowId(row.id));
    riskStates.push({ row, status, historyEvents: history.events?.length ?? 0 });
  }
  return {
    clientId: id, summary,
    timeline: await clientTimeline(db, id, { limit: 1_000_000 }),
    state: {
      ref, onboarding, onboardingHistoryEvents, cadence, cadenceHistoryEvents, cadenceRuns, initiatives: initiativeRows, proposals: proposalRows, planning, planningHistoryEvents,
      health, healthHistoryEvents, risks: riskStates,
      ctas: await db.select().from(ctas).where(eq(ctas.clientId, id)).orderBy(asc(ctas.createdAt), asc(ctas.id)),
      meetings: await db.select().from(meetings).where(eq(meetings.clientId, id)).orderBy(asc(meetings.startsAt), asc(meetings.id)),
    },
  };
}

/** Emits {@link RehearsalProgress} at most every `progressEveryMs`. */
function progressReporter(opts: RehearsalOptions, plan: { startMs: number; endMs: number }, ledgerCount: () => Promise<number>, cachedWorkflows: () => number) {
  const every = opts.progressEveryMs ?? 5_000;
  let last = Date.now();
  let busy = false;
  let advancingSince: { wall: number; sim: number } | null = null;
  const emit = (p: Omit<RehearsalProgress, 'events' | 'rssBytes' | 'cachedWorkflows'>) => {
    if (!opts.progress || busy || Date.now() - last < every) return;
    busy = true;
    last = Date.now();
    void ledgerCount().then(
      (events) => opts.progress?.({ ...p, events, rssBytes: process.memoryUsage.rss(), cachedWorkflows: cachedWorkflows() }),
      () => {},
    ).finally(() => (busy = false));
  };
  const startedAt = Date.now();
  return {
    tick(phase: RehearsalProgress['phase'], serverMs: number) {
      advancingSince ??= { wall: Date.now(), sim: serverMs };
      const span = plan.endMs - plan.startMs || 1;
      const fraction = Math.min(1, Math.max(0, (serverMs - plan.startMs) / span));
      // ETA from the pace since time started to skip (setup and API calls before that run at wall speed).
      const simDone = serverMs - advancingSince.sim;
      const wallDone = Date.now() - advancingSince.wall;
      const etaMs = simDone > span * 0.02 && wallDone > 0 ? Math.round(((plan.endMs - serverMs) / simDone) * wallDone) : null;
      emit({ phase, simulatedAt: new Date(serverMs).toISOString(), fraction, elapsedMs: Date.now() - startedAt, etaMs });
    },
    report(done: number, total: number, since: number) {
      const wall = Date.now() - since;
      emit({ phase: 'report', simulatedAt: new Date(plan.endMs).toISOString(), fraction: done / total, elapsedMs: Date.now() - startedAt, etaMs: done ? Math.round((wall / done) * (total - done)) : null });
    },
  };
}

/** Waits until the ledger stops growing: workflows woken by a timer or an update have recorded their effects. */
async function settle(database: Database, maxMs: number, log: (m: string) => void) {
  const until = Date.now() + maxMs;
  let last = -1;
  let stable = 0;
  while (stable < 3) {
    if (Date.now() > until) {
      log(`the ledger kept growing for ${Math.round(maxMs / 1000)} s; going on`);
      return;
    }
    await new Promise((r) => setTimeout(r, 60));
    const [row] = await database.db.select({ n: sql<number>`count(*)::int` }).from(events);
    stable = row!.n === last ? stable + 1 : 0;
    last = row!.n;
  }
}

/** A cleanup that hangs (a worker waiting on a wedged server) must not keep the rehearsal from ending. */
async function boundedCleanup(fn: () => Promise<unknown>, log: (m: string) => void, ms = 30_000) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  const outcome = await Promise.race([fn().then(() => 'done', () => 'done'), timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') log(`a cleanup step did not finish within ${ms / 1000} s; going on`);
}

function operationsOf(app: ReturnType<typeof createApp>): Map<string, Operation> {
  const doc = app.getOpenAPI31Document(apiInfo) as { paths?: Record<string, Record<string, { operationId?: string }>> };
  const ops = new Map<string, Operation>();
  for (const [p, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) if (op?.operationId) ops.set(op.operationId, { method, path: p });
  }
  return ops;
}

/** The time-skipping test server with its clock starting at `startMs` (libfaketime; the scenario may lie in the past). */
async function testServerAt(startMs: number, tmp: string, serverPath: string | undefined, log: (m: string) => void, dataConverter: DataConverter): Promise<TestWorkflowEnvironment> {
  const server = serverPath ?? (await temporalToolPath('testServer', { log }));
  const faketime = resolveTool('faketime', { log }).path!;
  const stamp = new Date(startMs).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
  const wrapper = path.join(tmp, 'test-server-at-start.sh');
  fs.writeFileSync(wrapper, `#!/bin/sh\nexport TZ=UTC LD_PRELOAD='${faketime}' FAKETIME='@${stamp}'\nexec '${server}' "$@"\n`, { mode: 0o755 });
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: wrapper } }, client: { dataConverter } });
}

async function throwAwayDatabase(adminUrl: string | undefined, tmp: string, cleanups: (() => Promise<unknown>)[], log: (m: string) => void): Promise<Database> {
  let admin = adminUrl;
  if (!admin) {
    const pg = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'postgres'), port: await freePort(), log });
    cleanups.unshift(() => pg.stop());
    admin = pg.urlFor('postgres');
  }
  const name = `rehearsal_${randomBytes(6).toString('hex')}`;
  const sqlAdmin = postgres(admin, { max: 1, onnotice: () => {} });
  await sqlAdmin.unsafe(`create database ${name}`);
  await sqlAdmin.end();
  const url = admin.replace(/\/postgres$/, `/${name}`);
  const database = connectDatabase(url, { max: 5 });
  cleanups.unshift(async () => {
    await database.close();
    const a = postgres(admin!, { max: 1, onnotice: () => {} });
    await a.unsafe(`drop database if exists ${name} with (force)`);
    await a.end();
  });
  await runMigrations(url);
  await ensureDefaultPolicy(database.db);
  return database;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
