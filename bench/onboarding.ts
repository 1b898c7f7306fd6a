/**
 * The onboarding benchmark (called by bench/run.ts): N Baton onboardings driven to completion
 * through the HTTP API, then N runs of a bare baseline workflow (bench/baseline-workflow.ts) with
 * as many Workflow Updates and activities, on the same Temporal server in the same process, so the
 * ratio between them is what Baton's logic, database and HTTP layer cost.
 *
 * The HTTP client is Node's built-in fetch (undici). autocannon, used for the other scenarios,
 * replays fixed requests; an onboarding is a stateful sequence whose every answer must be checked.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { Worker, type NativeConnection } from '@temporalio/worker';
import * as baselineActivities from './baseline-activities.js';
import { baseline, baselineStep, type BaselineInput } from './baseline-workflow.js';

/** Every action of an on-time onboarding, in order; each is one Workflow Update (api/routes/onboarding.ts). */
const ACTIONS: [slug: string, body: unknown][] = [
  ['handoff-items', { items: ['discovery-one-pager', 'initiative-cards', 'pre-approval-log', 'roadmap-budget-snapshot', 'stakeholder-map', 'cadence-invites'] }],
  ['kickoff-held', { attendees: ['CEO'], decisions: [{ title: 'Approve MFA rollout', ownerRole: 'TAM' }] }],
  ['recap-sent', {}],
  ['access-granted', { systems: ['tenants', 'rmm', 'psa', 'identity', 'backup', 'security-portals'] }],
  ['controls-verified', { control: 'mfa' }],
  ['controls-verified', { control: 'backupMonitoring' }],
  ['documentation-baselined', {}],
  ['assessment-completed', { findings: [{ title: 'Aging firewall', score: 4 }] }],
  ['quick-wins', { title: 'Enforce MFA', systems: ['identity'] }],
  ['quick-wins', { title: 'Fix backup job', systems: ['backup'] }],
  ['early-wins-report', {}],
  ['roadmap-confirmed', { initiatives: ['Firewall'], budgetV1Usd: 48000 }],
  ['proposals', { title: 'Firewall proposal' }],
  ['health-baseline', { scores: { cx: 80, adoption: 70, engagement: 75, serviceQuality: 85, alignment: 65 } }],
  ['cadence-locked', {}],
  ['day60-review', { nps: 40 }],
  ['closeout', { note: 'Handed to engagement' }],
];
const BASELINE_QUEUE = 'bench-baseline';
const baselineWorkflowsPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'baseline-workflow.ts');

/** Nearest-rank percentile of an ascending list. */
export const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const round = (n: number, digits = 1) => +n.toFixed(digits);

/** Latencies in ms by call name. */
class Latencies {
  readonly by = new Map<string, number[]>();
  async time<T>(name: string, call: () => Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      return await call();
    } finally {
      const list = this.by.get(name) ?? this.by.set(name, []).get(name)!;
      list.push(performance.now() - t);
    }
  }
  of(names?: (name: string) => boolean) {
    const all = [...this.by].filter(([n]) => !names || names(n)).flatMap(([, l]) => l).sort((a, b) => a - b);
    return { calls: all.length, p50: round(pct(all, 50)), p99: round(pct(all, 99)) };
  }
}

const spread = (l: number[]) => ({ mean: round(l.reduce((a, b) => a + b, 0) / l.length), min: Math.min(...l), max: Math.max(...l) });

/** Runs `fn(0..n-1)` with at most `concurrency` in flight. */
async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, async () => {
    while (next < n) await fn(next++);
  }));
}

/**
 * Everything Temporal holds for an onboarded client, not only the onboarding: its placement review,
 * the CTA clocks the reports opened and the cadence the lock started with what it booked. The
 * baseline is one workflow; this is the rest of the server's work that the ratio pays for. By the
 * ClientId search attribute every Baton process carries; events as each run's describe gives them now.
 */
async function temporalWorkOf(client: Client, clientIds: string[]) {
  const byType = new Map<string, { workflows: number; events: number }>();
  for (const clientId of clientIds) {
    for await (const info of client.workflow.list({ query: `ClientId = '${clientId}'` })) {
      const described = await client.workflow.getHandle(info.workflowId, info.runId).describe();
      const t = byType.get(info.type) ?? byType.set(info.type, { workflows: 0, events: 0 }).get(info.type)!;
      t.workflows += 1;
      t.events += described.historyLength;
    }
  }
  const per = (n: number) => round(n / clientIds.length);
  const types = [...byType].sort((a, b) => b[1].events - a[1].events);
  return {
    clients: clientIds.length,
    workflows: per(types.reduce((a, [, t]) => a + t.workflows, 0)),
    historyEvents: per(types.reduce((a, [, t]) => a + t.events, 0)),
    byType: Object.fromEntries(types.map(([type, t]) => [type, { workflows: per(t.workflows), historyEvents: per(t.events) }])),
  };
}

async function historyStats(client: Client, workflowIds: string[], concurrency: number) {
  const events: number[] = [];
  const activities: number[] = [];
  const localActivities: number[] = [];
  const updates: number[] = [];
  // Where a workflow task's time goes, from the history's timestamps: waiting for a worker to pick it
  // up (scheduled → started: the server's queue and the worker's pollers), and in the worker
  // (started → completed: workflow code, local activities, the codec).
  const queueMs: number[] = [];
  const workerMs: number[] = [];
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
  await pool(workflowIds.length, concurrency, async (i) => {
    const h = await client.workflow.getHandle(workflowIds[i]!).fetchHistory();
    const list = h.events ?? [];
    let scheduled: number | undefined;
    let started: number | undefined;
    for (const e of list) {
      if (e.workflowTaskScheduledEventAttributes) scheduled = ms(e.eventTime);
      else if (e.workflowTaskStartedEventAttributes) {
        started = ms(e.eventTime);
        if (scheduled !== undefined) queueMs.push(started - scheduled);
      } else if (e.workflowTaskCompletedEventAttributes && started !== undefined) workerMs.push(ms(e.eventTime) - started);
    }
    events.push(list.length);
    activities.push(list.filter((e) => e.activityTaskScheduledEventAttributes).length);
    localActivities.push(list.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length);
    updates.push(list.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length);
  });
  const sorted = (l: number[]) => l.sort((a, b) => a - b);
  const taskMs = { queueP50: round(pct(sorted(queueMs), 50)), queueP99: round(pct(queueMs, 99)), workerP50: round(pct(sorted(workerMs), 50)), workerP99: round(pct(workerMs, 99)), tasks: workerMs.length };
  return { events, activities, localActivities, updates, taskMs };
}

export interface OnboardingBenchOptions {
  /** API origin, e.g. http://127.0.0.1:1234 */
  base: string;
  /** An ops API key: the role that starts onboardings and reports their actions. */
  key: string;
  /** Baton's client (payloads encrypted, as Baton runs by default). */
  client: Client;
  /** A client without a codec: the bare baseline runs without encryption. */
  plainClient: Client;
  /** Baton's data converter, for the encrypted run of the baseline that prices encryption (issue 18). */
  dataConverter: DataConverter;
  connection: NativeConnection;
  namespace: string;
  onboardings: number;
  concurrency: number;
}

export async function benchOnboarding(o: OnboardingBenchOptions) {
  const headers = { authorization: `Bearer ${o.key}`, 'content-type': 'application/json' };
  /** 503 `process-busy` answers (a workflow task being retried on a starved host) retried as the API asks: same Idempotency-Key, after Retry-After. */
  let busyRetries = 0;
  const post = async (pathname: string, body: unknown, expect: number) => {
    const idempotencyKey = randomUUID();
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${o.base}${pathname}`, { method: 'POST', headers: { ...headers, 'idempotency-key': idempotencyKey }, body: JSON.stringify(body) });
      const text = await res.text();
      if (res.status === 503 && attempt < 10) {
        busyRetries += 1;
        await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
        continue;
      }
      if (res.status !== expect) throw new Error(`POST ${pathname}: HTTP ${res.status} ${text}`);
      return JSON.parse(text);
    }
  };
  const register = async (name: string): Promise<string> =>
    (await post('/v1/clients', { name, mrr: 12000, maturity: 4, appetite: 2, timeZone: 'America/Chicago' }, 201)).id;
  const onboard = async (clientId: string, ms: Latencies): Promise<string> => {
    // Signed an hour ago: the API refuses a signature in the future, and kickoff-held defaults to "ended now, began an hour ago".
    const started = await ms.time('start', () => post(`/v1/clients/${clientId}/onboarding`, { signedAt: new Date(Date.now() - 3_600_000).toISOString() }, 201));
    for (const [slug, body] of ACTIONS) await ms.time(slug, () => post(`/v1/clients/${clientId}/onboarding/${slug}`, body, 200));
    await o.client.workflow.getHandle(started.workflowId).result();
    return started.workflowId;
  };

  // One onboarding first, untimed: it warms the path up and its history gives the baseline's shape.
  console.error('… onboarding probe');
  const probeId = await onboard(await register('Onboarding bench probe'), new Latencies());
  const probe = await historyStats(o.client, [probeId], 1);
  if (probe.updates[0] !== ACTIONS.length) throw new Error(`probe onboarding: ${probe.updates[0]} updates in history, expected ${ACTIONS.length}`);
  // Regular and local activities as the probe ran them (kernel v3 records most effects locally), so the
  // baseline uses the same Temporal primitives and the ratio is what Baton's own work costs.
  const probeShape: BaselineInput = { updates: ACTIONS.length, activities: probe.activities[0]!, localActivities: probe.localActivities[0]! };
  // The yardstick issue 17 was filed with: every activity a regular one (Baton's recordings were, before kernel v3).
  const regularShape: BaselineInput = { updates: ACTIONS.length, activities: probeShape.activities + (probeShape.localActivities ?? 0), localActivities: 0 };

  // Clients are registered before the clock starts: registration is measured by the register scenario.
  const clientIds: string[] = [];
  await pool(o.onboardings, o.concurrency, async (i) => { clientIds[i] = await register(`Onboarding bench ${i}`); });

  console.error(`… onboarding ×${o.onboardings} (concurrency ${o.concurrency})`);
  const batonMs = new Latencies();
  const batonIds: string[] = [];
  let t = performance.now();
  await pool(o.onboardings, o.concurrency, async (i) => { batonIds[i] = await onboard(clientIds[i]!, batonMs); });
  const batonSeconds = (performance.now() - t) / 1000;
  const batonLoad = os.loadavg()[0]!;
  const batonHistory = await historyStats(o.client, batonIds, o.concurrency);
  const temporalWork = await temporalWorkOf(o.client, clientIds.slice(0, 5));

  // The baseline gets its own worker and task queue, so nothing of Baton's worker is in its path.
  // It runs twice: bare (no codec) for the Baton ratios, then with Baton's encryption codec on both
  // sides, so the price of encryption is measured on the same workflow (issue 18).
  const runBaselinePhase = async (label: string, client: Client, dataConverter?: DataConverter, shape = probeShape, queueSuffix = '') => {
    const taskQueue = `${BASELINE_QUEUE}${dataConverter ? '-encrypted' : ''}${queueSuffix}`;
    const worker = await Worker.create({ connection: o.connection, namespace: o.namespace, taskQueue, workflowsPath: baselineWorkflowsPath, activities: baselineActivities, ...(dataConverter ? { dataConverter } : {}) });
    const running = worker.run();
    try {
      const runBaseline = async (workflowId: string, ms: Latencies): Promise<string> => {
        const handle = await ms.time('start', () => client.workflow.start(baseline, { workflowId, taskQueue, args: [shape] }));
        for (let i = 0; i < shape.updates; i++) await ms.time('update', () => handle.executeUpdate(baselineStep, { args: [i] }));
        await handle.result();
        return workflowId;
      };
      console.error(`… ${label} ×${o.onboardings} (${shape.updates} updates, ${shape.activities} activities and ${shape.localActivities} local activities each)`);
      await runBaseline(`${taskQueue}/probe`, new Latencies());
      const ms = new Latencies();
      const ids: string[] = [];
      const t0 = performance.now();
      await pool(o.onboardings, o.concurrency, async (i) => { ids[i] = await runBaseline(`${taskQueue}/${i}`, ms); });
      return { seconds: (performance.now() - t0) / 1000, load: os.loadavg()[0]!, ms, history: await historyStats(o.client, ids, o.concurrency) };
    } finally {
      worker.shutdown();
      await running;
    }
  };
  {
    const bare = await runBaselinePhase('baseline', o.plainClient);
    const encrypted = await runBaselinePhase('baseline with encryption', o.client, o.dataConverter);
    const regular = await runBaselinePhase('baseline, regular activities only', o.plainClient, undefined, regularShape, '-regular');
    const baseSeconds = bare.seconds;
    const baseLoad = bare.load;
    const baseMs = bare.ms;
    const baseHistory = bare.history;
    const callsPerRun = 1 + probeShape.updates;
    const batonUpdates = batonMs.of((n) => n !== 'start');
    const baseUpdates = baseMs.of((n) => n === 'update');
    const baton = {
      seconds: round(batonSeconds, 2), onboardingsPerSec: round(o.onboardings / batonSeconds, 2), callsPerSec: round((o.onboardings * callsPerRun) / batonSeconds),
      apiLatencyMs: {
        all: batonMs.of(), start: batonMs.of((n) => n === 'start'), actions: batonUpdates,
        byRoute: Object.fromEntries([...batonMs.by.keys()].map((n) => [n, batonMs.of((m) => m === n)])),
      },
      historyEvents: spread(batonHistory.events), workflowTaskMs: batonHistory.taskMs, activitiesPerRun: spread(batonHistory.activities), localActivitiesPerRun: spread(batonHistory.localActivities),
      /** Per onboarded client, every workflow Temporal runs for it (the baseline: one workflow, `historyEvents`). */
      temporalWorkPerClient: temporalWork,
      // The machine's 1-minute load when the phase ended: a busy shared host skews one phase, not the other.
      loadAvg1m: round(batonLoad, 2),
    };
    const base = {
      seconds: round(baseSeconds, 2), runsPerSec: round(o.onboardings / baseSeconds, 2), callsPerSec: round((o.onboardings * callsPerRun) / baseSeconds),
      clientLatencyMs: { all: baseMs.of(), start: baseMs.of((n) => n === 'start'), updates: baseUpdates },
      historyEvents: spread(baseHistory.events), workflowTaskMs: baseHistory.taskMs, activitiesPerRun: spread(baseHistory.activities), localActivitiesPerRun: spread(baseHistory.localActivities),
      loadAvg1m: round(baseLoad, 2),
    };
    return {
      onboardings: o.onboardings, concurrency: o.concurrency,
      /** Reports answered 503 process-busy and sent again (their latency includes the wait). */
      busyRetries,
      /** Per run, read from the probe onboarding's history and given to the baseline. */
      shape: probeShape,
      baton, baseline: base,
      /** Baton ÷ baseline: throughput below 1 and latency/history above 1 are Baton's cost. */
      ratios: {
        throughput: round(baseSeconds / batonSeconds, 3), // same N, so the inverse ratio of durations
        updateP50: round(batonUpdates.p50 / baseUpdates.p50, 2), updateP99: round(batonUpdates.p99 / baseUpdates.p99, 2),
        historyEvents: round(baton.historyEvents.mean / base.historyEvents.mean, 2),
      },
      /**
       * Baton ÷ the same bare workflow with every activity a regular one (the baseline as issue 17
       * was filed, before Baton recorded effects in local activities): what the local recording
       * gained against the yardstick of the earlier measurements.
       */
      vsRegularActivities: {
        runsPerSec: round(o.onboardings / regular.seconds, 2), updateP50Ms: regular.ms.of((n) => n === 'update').p50, baselineHistoryEvents: spread(regular.history.events).mean, loadAvg1m: round(regular.load, 2),
        throughput: round(regular.seconds / batonSeconds, 3), updateP50: round(batonUpdates.p50 / regular.ms.of((n) => n === 'update').p50, 2),
        historyEvents: round(baton.historyEvents.mean / spread(regular.history.events).mean, 2),
      },
      /** The same bare workflow with Baton's AES-256-GCM codec on client and worker ÷ without it. */
      encryption: {
        runsPerSec: round(o.onboardings / encrypted.seconds, 2),
        updateP50Ms: encrypted.ms.of((n) => n === 'update').p50,
        throughputRatio: round(bare.seconds / encrypted.seconds, 3),
        updateP50Ratio: round(encrypted.ms.of((n) => n === 'update').p50 / baseUpdates.p50, 2),
        loadAvg1m: round(encrypted.load, 2),
      },
    };
  }
}
