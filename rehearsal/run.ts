import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { asc, eq, isNull, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { apiInfo, createApp } from '../api/app.js';
import { createApiKey, ROLES, type Role } from '../db/api-keys.js';
import { connectDatabase, runMigrations, type Database } from '../db/client.js';
import { clientTimeline, type LedgerEvent } from '../db/ledger.js';
import { activePolicy, ensureDefaultPolicy, publishPolicy } from '../db/policies.js';
import { creditGates, ctas, events, governanceSessions, initiatives, meetings, proposals, risks } from '../db/schema.js';
import { startEmbeddedPostgres } from '../runtime/embedded-postgres.js';
import { temporalToolPath } from '../runtime/embedded-temporal.js';
import { createLogger } from '../runtime/logger.js';
import { freePort } from '../runtime/ports.js';
import { registerSearchAttributes } from '../runtime/search-attribute-registry.js';
import { resolveTool } from '../runtime/temporal-tools.js';
import {
  cadenceStatus, cadenceWorkflowId, governanceStatus, governanceWorkflowId, healthStatus, healthWorkflowId, initiativeWorkflowId, onboardingStatus, onboardingWorkflowId,
  planningLoopStatus, planningLoopWorkflowId, proposalWorkflowId, riskStatus, riskWorkflowId,
  type CadenceQueryResult, type GovernanceQueryResult, type HealthQueryResult, type OnboardingQueryResult, type PlanningLoopQueryResult, type RiskQueryResult,
} from '../workflows/contracts.js';
import { ensureGovernanceRoutines } from '../runtime/processes.js';
import { ROUTINES, type Routine } from '../domain/governance.js';
import { createWorker } from '../worker.js';
import { batonDataConverter, ephemeralKeyring } from '../runtime/payload-codec.js';
import type { DataConverter } from '@temporalio/common';
import { deepMerge, ScenarioError, substituteRefs, timeline, valueAt, type Scenario } from './scenario.js';

/**
 * Runs a scenario (rehearsal/scenario.ts) against the real API handlers and worker, in process, on
 * the time-skipping test server started at the scenario's start instant (libfaketime) and a
 * throw-away database. Between steps the server skips time, firing every timer in between, so a
 * 90-day onboarding rehearses in seconds with the same code that runs in production.
 */
export interface RehearsalOptions {
  /** Admin URL of a PostgreSQL server to create the throw-away database on; default an embedded one in a temp dir. */
  postgresAdminUrl?: string;
  testServerPath?: string;
  /** Pre-built workflow bundle (tests share one). */
  workflowBundle?: WorkflowBundleWithSourceMap;
  log?: (message: string) => void;
  /** Called with the client and each onboarding's history before the servers stop (tests record replay fixtures). */
  /** Tests only: called with the database before step `index` runs (e.g. to change a row behind the API's back). */
  beforeStep?: (index: number, db: Database['db'], refs: Record<string, string>) => Promise<void> | void;
  onHistory?: (clientRef: string, history: Awaited<ReturnType<ReturnType<TestWorkflowEnvironment['client']['workflow']['getHandle']>['fetchHistory']>>, process: 'onboarding' | 'cadence' | 'governance' | 'initiative' | 'proposal' | 'planning-loop' | 'health' | 'risk', workflowId?: string) => Promise<void> | void;
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
  refs: Record<string, string>;
  steps: StepResult[];
  /** Every client's ledger events, in order, exactly as GET /v1/clients/{id}/timeline returns them. */
  timelines: Record<string, LedgerEvent[]>;
  /** Each client's final process states and CTAs. */
  states: Record<string, {
    ref: string; onboarding: OnboardingQueryResult | null; onboardingHistoryEvents: number | null;
    /** The cadence's status and the events in its current run's history (earlier runs continued as new). */
    cadence: CadenceQueryResult | null; cadenceHistoryEvents: number | null;
    /** Every run of the cadence, oldest first (it continues as new each simulated year): when it started and its history length. */
    cadenceRuns: { startedAt: string; events: number }[];
    ctas: (typeof ctas.$inferSelect)[]; meetings: (typeof meetings.$inferSelect)[];
    /** The planning loop (issue 11): its initiatives and proposals as stored, the loop's status and each planning workflow's history length. */
    initiatives: (typeof initiatives.$inferSelect)[]; proposals: (typeof proposals.$inferSelect)[];
    planning: PlanningLoopQueryResult | null; planningHistoryEvents: Record<string, number>;
    /** The health process's status and its history length (null when it never started). */
    health: HealthQueryResult | null; healthHistoryEvents: number | null;
    /** Every risk of the client (oldest first) with its process's status and history length. */
    risks: { row: typeof risks.$inferSelect; status: RiskQueryResult | null; historyEvents: number | null }[];
  }>;
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
}

interface Operation { method: string; path: string }

export async function rehearse(scenario: Scenario, opts: RehearsalOptions = {}): Promise<RehearsalResult> {
  const log = opts.log ?? (() => {});
  const plan = timeline(scenario); // validates times before anything starts
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-rehearsal-'));
  fs.chmodSync(tmp, 0o755); // PostgreSQL refuses to run as root, so the embedded server runs as another user
  const cleanups: (() => Promise<unknown>)[] = [async () => fs.rmSync(tmp, { recursive: true, force: true })];
  try {
    const database = await throwAwayDatabase(opts.postgresAdminUrl, tmp, cleanups, log);
    // Rehearsal histories live as long as the run: a throwaway key, so the codec is rehearsed too (issue 18).
    const dataConverter = batonDataConverter(ephemeralKeyring('rehearsal'));
    const env = await testServerAt(plan.startMs, tmp, opts.testServerPath, log, dataConverter);
    cleanups.unshift(() => env.teardown());
    await registerSearchAttributes(env.connection, 'default');

    const taskQueue = `rehearsal-${randomBytes(4).toString('hex')}`;
    const worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, db: database.db, dataConverter, ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : {}) });
    const running = worker.run();
    cleanups.unshift(async () => {
      worker.shutdown();
      await running;
    });

    const keys = {} as Record<Role, string>;
    for (const role of ROLES) keys[role] = (await createApiKey(database.db, { name: `rehearsal ${role}`, role, createdBy: 'rehearsal' })).key;
    const now = async () => new Date(await env.currentTimeMs());
    const app = createApp({ db: database.db, logger: createLogger('silent'), temporal: { client: env.client, namespace: 'default', taskQueue }, now });
    const operations = operationsOf(app);
    for (const [i, step] of scenario.steps.entries()) {
      if (!operations.has(step.op)) throw new ScenarioError(`steps.${i}: unknown operation "${step.op}"; known: ${[...operations.keys()].sort().join(', ')}`);
    }
    const call = async (method: string, p: string, role: Role, body?: unknown, idempotencyKey?: string) => {
      const headers: Record<string, string> = { authorization: `Bearer ${keys[role]}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
      const res = await app.request(p, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
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
    if (routines.length) await ensureGovernanceRoutines({ client: env.client, taskQueue }, routines, (await now()).toISOString());

    const results: StepResult[] = [];
    const failures: string[] = [];
    for (const [i, step] of scenario.steps.entries()) {
      await advanceTo(env, plan.steps[i]!, database);
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
      await settle(database);
    }
    await advanceTo(env, plan.endMs, database);

    const timelines: RehearsalResult['timelines'] = {};
    const states: RehearsalResult['states'] = {};
    for (const [id, ref] of Object.entries(clientRefs)) {
      timelines[id] = await clientTimeline(database.db, id, { limit: 100_000 });
      let onboarding: OnboardingQueryResult | null = null;
      let onboardingHistoryEvents: number | null = null;
      try {
        const handle = env.client.workflow.getHandle(onboardingWorkflowId(id));
        onboarding = await handle.query(onboardingStatus);
        const history = await handle.fetchHistory();
        onboardingHistoryEvents = history.events?.length ?? 0;
        await opts.onHistory?.(ref, history, 'onboarding');
      } catch {
        onboarding = null; // never started
      }
      let cadence: CadenceQueryResult | null = null;
      let cadenceHistoryEvents: number | null = null;
      const cadenceRuns: { startedAt: string; events: number }[] = [];
      try {
        const handle = env.client.workflow.getHandle(cadenceWorkflowId(id));
        cadence = await handle.query(cadenceStatus);
        const history = await handle.fetchHistory();
        cadenceHistoryEvents = history.events?.length ?? 0;
        await opts.onHistory?.(ref, history, 'cadence');
        // Walk back through the runs it continued from.
        for (let h: typeof history | undefined = history; h; ) {
          const first: NonNullable<typeof history.events>[number] | undefined = h.events?.[0];
          cadenceRuns.unshift({ startedAt: first?.eventTime ? new Date(Number(first.eventTime.seconds) * 1000).toISOString() : '', events: h.events?.length ?? 0 });
          const previous: string | null | undefined = first?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
          h = previous ? await env.client.workflow.getHandle(cadenceWorkflowId(id), previous).fetchHistory() : undefined;
        }
      } catch {
        cadence = null; // never started
      }
      const planningHistoryEvents: Record<string, number> = {};
      const initiativeRows = await database.db.select().from(initiatives).where(eq(initiatives.clientId, id)).orderBy(asc(initiatives.createdAt), asc(initiatives.id));
      const proposalRows = await database.db.select().from(proposals).where(eq(proposals.clientId, id)).orderBy(asc(proposals.createdAt), asc(proposals.id));
      const planningWorkflows: [string, 'initiative' | 'proposal' | 'planning-loop'][] = [
        ...initiativeRows.map((r) => [initiativeWorkflowId(r.id), 'initiative'] as [string, 'initiative']),
        ...proposalRows.map((r) => [proposalWorkflowId(r.id), 'proposal'] as [string, 'proposal']),
        [planningLoopWorkflowId(id), 'planning-loop'],
      ];
      for (const [wid, kind] of planningWorkflows) {
        try {
          const history = await env.client.workflow.getHandle(wid).fetchHistory();
          planningHistoryEvents[wid] = history.events?.length ?? 0;
          await opts.onHistory?.(ref, history, kind, wid);
        } catch {
          // never started
        }
      }
      let planning: PlanningLoopQueryResult | null = null;
      try {
        planning = await env.client.workflow.getHandle(planningLoopWorkflowId(id)).query(planningLoopStatus);
      } catch {
        planning = null;
      }
      let health: HealthQueryResult | null = null;
      let healthHistoryEvents: number | null = null;
      try {
        const handle = env.client.workflow.getHandle(healthWorkflowId(id));
        health = await handle.query(healthStatus);
        const history = await handle.fetchHistory();
        healthHistoryEvents = history.events?.length ?? 0;
        await opts.onHistory?.(ref, history, 'health', healthWorkflowId(id));
      } catch {
        health = null; // never started
      }
      const riskStates: RehearsalResult['states'][string]['risks'] = [];
      for (const row of await database.db.select().from(risks).where(eq(risks.clientId, id)).orderBy(asc(risks.openedAt), asc(risks.id))) {
        try {
          const handle = env.client.workflow.getHandle(riskWorkflowId(row.id));
          const status = await handle.query(riskStatus);
          const history = await handle.fetchHistory();
          await opts.onHistory?.(ref, history, 'risk', riskWorkflowId(row.id));
          riskStates.push({ row, status, historyEvents: history.events?.length ?? 0 });
        } catch {
          riskStates.push({ row, status: null, historyEvents: null });
        }
      }
      states[id] = {
        ref, onboarding, onboardingHistoryEvents, cadence, cadenceHistoryEvents, cadenceRuns, initiatives: initiativeRows, proposals: proposalRows, planning, planningHistoryEvents,
        health, healthHistoryEvents, risks: riskStates,
        ctas: await database.db.select().from(ctas).where(eq(ctas.clientId, id)).orderBy(asc(ctas.createdAt), asc(ctas.id)),
        meetings: await database.db.select().from(meetings).where(eq(meetings.clientId, id)).orderBy(asc(meetings.startsAt), asc(meetings.id)),
      };
    }
    const governance: RehearsalResult['portfolio']['routines'] = {};
    for (const routine of routines) {
      const handle = env.client.workflow.getHandle(governanceWorkflowId(routine));
      const history = await handle.fetchHistory();
      governance[routine] = { status: await handle.query(governanceStatus), historyEvents: history.events?.length ?? 0 };
      await opts.onHistory?.(routine, history, 'governance');
    }
    const portfolio: RehearsalResult['portfolio'] = {
      ctas: await database.db.select().from(ctas).where(isNull(ctas.clientId)).orderBy(asc(ctas.createdAt), asc(ctas.id)),
      sessions: await database.db.select().from(governanceSessions).orderBy(asc(governanceSessions.scheduledFor), asc(governanceSessions.id)),
      creditGates: await database.db.select().from(creditGates).orderBy(asc(creditGates.openedAt), asc(creditGates.id)),
      timeline: await database.db.select().from(events).where(isNull(events.clientId)).orderBy(asc(events.seq)),
      routines: governance,
    };
    return { scenario: scenario.name, start: new Date(plan.startMs).toISOString(), end: new Date(plan.endMs).toISOString(), refs, steps: results, timelines, states, portfolio, failures };
  } finally {
    for (const c of cleanups) await c().catch(() => {});
  }
}

/** Skips server time to `targetMs` (firing every timer on the way) and waits for the work it caused. */
async function advanceTo(env: TestWorkflowEnvironment, targetMs: number, database: Database) {
  const gap = targetMs - (await env.currentTimeMs());
  if (gap > 0) await env.sleep(gap);
  await settle(database);
}

/** Waits until the ledger stops growing: workflows woken by a timer or an update have recorded their effects. */
async function settle(database: Database) {
  let last = -1;
  let stable = 0;
  while (stable < 3) {
    await new Promise((r) => setTimeout(r, 60));
    const [row] = await database.db.select({ n: sql<number>`count(*)::int` }).from(events);
    stable = row!.n === last ? stable + 1 : 0;
    last = row!.n;
  }
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
