/**
 * The scale scenario (called by bench/run.ts, `--only scale --scale-clients N`): N live client
 * lifecycles — a cadence each, plus the CTA clocks they open — held by ONE worker process, on the
 * time-skipping test server so the monthly horizon roll (R-10) can be made to fire for all N at
 * once without waiting for the 1st of next month. Measures:
 *  - memory while the N cadences start and book: RSS growth per 1,000 cached workflows and per 1,000
 *    cadences (a cadence keeps about three workflows cached: itself, its planning cycle and its client's
 *    CTA clock keeper; five and more while each CTA clock was a workflow of its own), and
 *    where it is — the workflow thread's heap (the cached workflows) and the main thread's heap after a
 *    full GC (activities, clients, the bench). BATON_BENCH_HEAP_SNAPSHOTS=<dir> writes heap snapshots
 *    of both threads before and after (which also makes the thread's heap its live size);
 *  - the monthly roll: the cadences start 48 h (server time) before the 1st of a month, then the clock
 *    jumps to an hour after that month's start (local midnight, all clients in one time zone), so every
 *    cadence's roll timer fires at the same instant. Lateness of each roll = when its first meeting of
 *    the added month was committed (the ledger's `recorded_at`, wall time) − when the first roll was;
 *  - replay-recover: the worker stops and every cadence's history is replayed with the worker's bundle
 *    (what a new worker with an empty cache does before it runs them again): the replay's time.
 * Each start is the API's (`ensureCadence`), with client rows written directly (registration is
 * measured by the register scenario).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Worker as Thread } from 'node:worker_threads';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { DataConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { DateTime } from 'luxon';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { createClient } from '../db/clients.js';
import { activePolicy } from '../db/policies.js';
import { temporalToolPath } from '../runtime/embedded-temporal.js';
import { ensureCadence } from '../runtime/processes.js';
import { registerSearchAttributes } from '../runtime/search-attribute-registry.js';
import { bundleBatonWorkflows, createWorker, type WorkerTuning } from '../worker.js';
import { cadenceStatus, cadenceWorkflowId } from '../workflows/contracts.js';
import { LOOPBACK_CHANNEL_ARGS, SimulatedClock } from '../rehearsal/simulated-clock.js';
import { pct } from './onboarding.js';

interface Options {
  db: Db; clients: number; concurrency: number; tuning: WorkerTuning; dataConverter: DataConverter; log: (m: string) => void;
  /** Hands the caller a way to stop this part's test server early (Ctrl-C): the core SDK does not stop it when Node exits. */
  onStop?: (stop: () => Promise<void>) => void;
}

const TIME_ZONE = 'America/Chicago';
/** Hours of server time before the 1st of a month at which the cadences start (see benchScale). */
const LEAD_HOURS = 48;
/** Deadline of one test-server sleep call: longer than a roll of every cadence on one worker takes (see benchScale). */
const SLEEP_DEADLINE_MS = 6 * 3_600_000;
/** Histories fetched and replayed at once when measuring replay-recover. */
const REPLAY_CHUNK = 500;
const round = (n: number, digits = 1) => +n.toFixed(digits);
const mb = (bytes: number) => round(bytes / 1024 / 1024);

/**
 * The SDK's workflow threads, where the cached workflows live (not public API: the threaded
 * creator's `workerThreadClients`); none in debugMode, where workflows run on the main thread.
 */
function workflowThreads(worker: Worker): Thread[] {
  const creator = (worker as unknown as { workflowCreator?: { workerThreadClients?: { workerThread: Thread }[] } }).workflowCreator;
  return creator?.workerThreadClients?.map((c) => c.workerThread) ?? [];
}

/** A full GC of the main thread (the flag exposes `gc` to contexts created after it). */
function collectGarbage() {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

/**
 * Where the process's memory is: RSS, the main thread's heap after a full GC (activities, the
 * Temporal client, postgres.js, the bench itself), and the workflow threads' heaps (cached
 * workflows). A thread's heap can only be collected from outside by a heap snapshot: with
 * `snapshotDir` (BATON_BENCH_HEAP_SNAPSHOTS) one is written per thread, and its heap is then the
 * live size; without, the thread's used heap includes garbage not yet collected.
 */
async function memorySample(worker: Worker, label: string, snapshotDir?: string) {
  const threads = workflowThreads(worker);
  let collected = false;
  if (snapshotDir) {
    fs.mkdirSync(snapshotDir, { recursive: true });
    for (const [i, t] of threads.entries()) await pipeline(await t.getHeapSnapshot(), fs.createWriteStream(path.join(snapshotDir, `${label}-workflow-thread-${i}.heapsnapshot`)));
    v8.writeHeapSnapshot(path.join(snapshotDir, `${label}-main.heapsnapshot`));
    collected = true;
  }
  collectGarbage();
  const m = process.memoryUsage();
  const heaps = await Promise.all(threads.map((t) => t.getHeapStatistics()));
  return {
    rss: m.rss, mainHeapUsed: m.heapUsed, mainExternal: m.external,
    workflowThreadHeapUsed: heaps.reduce((a, h) => a + h.used_heap_size, 0),
    workflowThreadHeapTotal: heaps.reduce((a, h) => a + h.total_heap_size, 0),
    workflowThreadGarbageCollected: collected,
  };
}

async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, async () => {
    while (next < n) await fn(next++);
  }));
}

export async function benchScale(o: Options) {
  o.log(`… scale: ${o.clients} live cadences on one worker (time-skipping server)`);
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: await temporalToolPath('testServer', { log: o.log }) } }, client: { dataConverter: o.dataConverter } });
  let tornDown: Promise<void> | undefined;
  const teardown = () => (tornDown ??= env.teardown());
  o.onStop?.(teardown);
  // The environment's own connection pings every 30 s and its sleep is re-sent on a cut, which
  // wedges the test server's time lock on a long skip (rehearsal/simulated-clock.ts, issue 19): the
  // bench's calls go over a connection of its own, and time moves through the rehearsal's clock.
  await env.connection.close().catch(() => {});
  const connection = await Connection.connect({ address: env.address, channelArgs: LOOPBACK_CHANNEL_ARGS });
  const client = new Client({ connection, namespace: env.namespace ?? 'default', dataConverter: o.dataConverter });
  // While the roll runs, time is locked and the server's clock follows the wall clock; a sleep call past
  // its deadline is cancelled on the server and leaves time locked short of its target once the work is
  // done (the 10,000-cadence run: 41 minutes of rolls, then the clock stood at 06:43 of a skip to 07:00
  // until the stall watchdog ended the run). A roll at this size may take hours on one worker.
  const clock = await SimulatedClock.connect(env.address, { callDeadlineMs: SLEEP_DEADLINE_MS });
  await registerSearchAttributes(connection, env.namespace ?? 'default');
  const taskQueue = 'bench-scale';
  const bundle = await bundleBatonWorkflows();
  // Room for every cadence and what it starts unless the run says otherwise (--max-cached-workflows): a
  // cadence keeps about three workflows cached after booking its horizon (600 for 200 cadences; 1,050
  // while each CTA clock was a workflow, and room for four each then made the cache evict).
  const tuning: WorkerTuning = { ...o.tuning, maxCachedWorkflows: o.tuning.maxCachedWorkflows ?? Math.max(1000, o.clients * 8) };
  const startWorker = async () => {
    const worker = await createWorker({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue, db: o.db, dataConverter: o.dataConverter, workflowBundle: bundle, tuning });
    return { worker, running: worker.run() };
  };
  let current = await startWorker();
  const target = { client, taskQueue };
  try {
    // Start the cadences two days before the 1st of next month (server time), so the skip to the roll
    // holds the roll and little else: a start's CTAs escalate after 72 h (C-5), after the roll. The
    // 200-client run before this skipped 27 days, and most of its wall time went to escalations.
    const serverNow = DateTime.fromMillis(await clock.nowMs()).setZone(TIME_ZONE);
    const rollAt = serverNow.startOf('month').plus({ months: serverNow.day > 25 ? 2 : 1 });
    const ledgerCount = async () => Number((await o.db.execute<{ n: string }>(sql`select count(*) as n from events`))[0]!.n);
    const clockHooks = {
      ledgerCount,
      workerLoad: () => {
        const st = current.worker.getStatus();
        return { workflowActivations: st.numInFlightWorkflowActivations, activities: st.numInFlightActivities };
      },
      diagnose: async () => `${await ledgerCount()} ledger events, worker ${JSON.stringify(current.worker.getStatus())}`,
      log: o.log,
    };
    await clock.advanceTo(rollAt.minus({ hours: LEAD_HOURS }).toMillis(), clockHooks);
    /** Server time: the test server's clock runs on from where the skip left it. */
    const offsetMs = (await clock.nowMs()) - Date.now();
    const serverIso = () => new Date(Date.now() + offsetMs).toISOString();
    o.log(`  … server clock at ${serverIso()}, ${LEAD_HOURS} h before the ${rollAt.toISODate()} roll`);
    const policy = await activePolicy(o.db);
    const at = serverIso();
    const ids: string[] = [];
    for (let i = 0; i < o.clients; i++) {
      // Alternate the four segments' rhythms (R-1: maturity × appetite).
      const [maturity, appetite] = ([[4, 4], [4, 2], [2, 4], [2, 2]] as const)[i % 4]!;
      const row = await createClient(o.db, { name: `Scale ${i}`, mrr: 8000, maturity, appetite, timeZone: TIME_ZONE, renewalDate: '2027-09-30' }, { actor: { kind: 'system' }, at });
      ids.push(row.row.id);
    }
    const segmentOf = new Map((await o.db.execute<{ id: string; segment: string; name: string }>(sql`select id, segment, name from clients`)).map((r) => [r.id, r]));
    const start = async (clientId: string) => {
      const c = segmentOf.get(clientId)!;
      await ensureCadence(target, { clientId, lockedAt: serverIso(), policyVersion: policy.version }, { name: c.name, segment: c.segment });
    };
    const bookedThrough = async (clientId: string, deadlineMs = 30_000): Promise<string | undefined> => {
      const s = await connection.withDeadline(Date.now() + deadlineMs, () => client.workflow.getHandle(cadenceWorkflowId(clientId)).query(cadenceStatus)).catch(() => undefined);
      return s && 'bookedThrough' in s ? s.bookedThrough ?? undefined : undefined;
    };
    /**
     * Booked when the batch after its horizon's booking is on the ledger, or its status says so. A status
     * query alone could wait for ever: at 10,000 cadences on a full cache some went unanswered on the
     * test server (each 30 s deadline, then again), and the start phase never ended.
     */
    const horizonRecorded = async (clientId: string) =>
      (await o.db.execute(sql`select 1 from events where id like ${`${cadenceWorkflowId(clientId)}/horizon-%-cycle/%`} limit 1`)).length > 0;
    const untilBooked = async (clientId: string) => {
      for (;;) {
        if (await horizonRecorded(clientId)) return;
        if (await bookedThrough(clientId, 5_000)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    /**
     * Replay-recover: what a new worker with an empty cache does before it can run the cadences again —
     * replay each one's history. The test server keeps a stopped worker's sticky queue (it has no
     * ResetStickyTaskQueue) and never hands a query on to another worker, so the histories are fetched
     * and replayed by the SDK's replayer with the worker's bundle; the time is the replay's. In chunks, so
     * 10,000 histories are never in memory at once; only the replay is timed.
     */
    const replayRecover = async (when: string) => {
      o.log(`  … replaying ${ids.length} cadence histories (${when})`);
      const historyEvents: number[] = [];
      const failures: string[] = [];
      let recoverMs = 0;
      for (let from = 0; from < ids.length; from += REPLAY_CHUNK) {
        const chunk = ids.slice(from, from + REPLAY_CHUNK);
        const histories: { workflowId: string; history: Awaited<ReturnType<ReturnType<typeof client.workflow.getHandle>['fetchHistory']>> }[] = [];
        await pool(chunk.length, o.concurrency, async (i) => {
          const workflowId = cadenceWorkflowId(chunk[i]!);
          histories.push({ workflowId, history: await client.workflow.getHandle(workflowId).fetchHistory() });
        });
        const t2 = performance.now();
        for await (const r of Worker.runReplayHistories({ workflowBundle: bundle, dataConverter: o.dataConverter }, histories)) if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
        recoverMs += performance.now() - t2;
        historyEvents.push(...histories.map((h) => h.history.events?.length ?? 0));
      }
      const seconds = recoverMs / 1000;
      o.log(`  replayed ${ids.length} in ${round(seconds)} s${failures.length ? `; ${failures.length} did not replay, first: ${failures[0]}` : ', none failed'}`);
      return {
        seconds: round(seconds, 1), workflowsPerSec: round(ids.length / seconds, 1), rssAfterMb: mb(process.memoryUsage().rss),
        failures: failures.length, ...(failures.length ? { firstFailures: failures.slice(0, 3) } : {}),
        historyEventsPerCadence: round(historyEvents.reduce((a, b) => a + b, 0) / historyEvents.length),
      };
    };

    // One cadence first, untimed: warms the worker (bundle loaded, thread pool up) so the RSS growth is the cadences'.
    await start(ids[0]!);
    await untilBooked(ids[0]!);
    // The month the roll adds follows the first cadence's horizon, asked while it is surely cached.
    const month = (await bookedThrough(ids[0]!))!;
    o.log('  … first cadence booked');
    const snapshotDir = process.env.BATON_BENCH_HEAP_SNAPSHOTS || undefined;
    const before = await memorySample(current.worker, 'before', snapshotDir);
    const cachedBefore = current.worker.getStatus().numCachedWorkflows;
    const t0 = performance.now();
    await pool(ids.length - 1, o.concurrency, async (i) => {
      await start(ids[i + 1]!);
      await untilBooked(ids[i + 1]!);
      if ((i + 1) % Math.max(1, Math.floor(o.clients / 10)) === 0) o.log(`  … ${i + 1} cadences booked (${round((performance.now() - t0) / 1000)} s, RSS ${mb(process.memoryUsage().rss)} MB)`);
    });
    const startSeconds = (performance.now() - t0) / 1000;
    const cached = current.worker.getStatus().numCachedWorkflows;
    const after = await memorySample(current.worker, 'after', snapshotDir);
    const clocks = Number((await o.db.execute<{ n: string }>(sql`select count(*) as n from workflow_starts where kind = 'cta-clock'`))[0]!.n);
    const grown = (k: keyof typeof after) => (after[k] as number) - (before[k] as number);
    /** Growth per 1,000 of `count` added while the cadences started, MB. */
    const per1000 = (bytes: number, count: number) => (count > 0 ? mb((bytes / count) * 1000) : undefined);
    const cadencesAdded = o.clients - 1;
    o.log(`  cached ${cached} workflows, RSS ${mb(before.rss)} → ${mb(after.rss)} MB, main heap ${mb(before.mainHeapUsed)} → ${mb(after.mainHeapUsed)} MB, workflow thread heap ${mb(before.workflowThreadHeapUsed)} → ${mb(after.workflowThreadHeapUsed)} MB`);

    // Replay-recover at rest, before the roll: the worker is idle (time is locked, nothing is due), so
    // the replay has the machine; measured first so a roll that outlasts the run still leaves it.
    const afterBooking = await replayRecover('after booking');

    // The monthly roll for all at once: jump to just after local midnight on the 1st of next month.
    const skipMs = rollAt.toMillis() + 60 * 60_000 - (await clock.nowMs());
    const rollMonth = DateTime.fromISO(`${month}-01`, { zone: 'utc' }).plus({ months: 1 }).toFormat('yyyy-MM');
    o.log(`  … skipping ${round(skipMs / 3_600_000)} h to the ${rollAt.toISODate()} roll (adds ${rollMonth})`);
    const skipStarted = new Date();
    const t1 = performance.now();
    await clock.advanceTo((await clock.nowMs()) + skipMs, clockHooks);
    // A roll is seen on the ledger (the first meeting of the month it adds), not by querying every
    // cadence: 10,000 queries a round would each replay an evicted cadence, and measure the queries.
    const rollCommits = () => o.db.execute<{ workflow_id: string; at: string }>(sql`
      select workflow_id, min(recorded_at) as at from events
      where process = 'cadence' and type = 'meeting.scheduled' and data->>'startsAt' like ${`${rollMonth}%`} and recorded_at >= ${skipStarted.toISOString()}
      group by workflow_id`);
    let commits = await rollCommits();
    let lastGrowth = performance.now();
    let lastReport = performance.now();
    while (commits.length < ids.length && performance.now() - t1 < 60 * 60_000) {
      const st = current.worker.getStatus();
      // Every roll is in, or nothing new for a minute with the worker idle (a cadence with no meeting in the month).
      if (performance.now() - lastGrowth > 60_000 && st.numInFlightWorkflowActivations === 0 && st.numInFlightActivities === 0) break;
      await new Promise((r) => setTimeout(r, 2000));
      const next = await rollCommits();
      if (next.length > commits.length) lastGrowth = performance.now();
      commits = next;
      if (performance.now() - lastReport > 30_000) {
        lastReport = performance.now();
        o.log(`  … ${commits.length} of ${ids.length} rolled (${round((performance.now() - t1) / 1000)} s)`);
      }
    }
    const rolled = commits.length;
    const rollSeconds = (lastGrowth - t1) / 1000;
    const times = commits.map((r) => Date.parse(r.at)).sort((a, b) => a - b);
    const first = times[0];
    const lateness = first === undefined ? [] : times.map((t) => t - first);

    current.worker.shutdown();
    await current.running;
    const afterRoll = await replayRecover('after the roll');

    return {
      clients: o.clients, concurrency: o.concurrency, timeZone: TIME_ZONE, tuning,
      start: { seconds: round(startSeconds, 1), cadencesPerSec: round((o.clients - 1) / startSeconds, 2) },
      memory: {
        cachedWorkflows: cached, ctaClocksStarted: clocks, rssBeforeMb: mb(before.rss), rssAfterMb: mb(after.rss),
        /** RSS growth ÷ workflows the cache gained, per 1,000 (cadences and their CTA clocks). */
        rssPer1000CachedWorkflowsMb: per1000(grown('rss'), cached - cachedBefore),
        /** RSS growth per 1,000 cadences started (what sizes a worker for N clients). */
        rssPer1000CadencesMb: per1000(grown('rss'), cadencesAdded),
        /** The workflow thread's used heap growth per 1,000 cadences (live data only when workflowThreadGarbageCollected). */
        workflowThreadHeapPer1000CadencesMb: per1000(grown('workflowThreadHeapUsed'), cadencesAdded),
        /** The main thread's heap after a full GC (activities, clients, the bench), growth per 1,000 cadences. */
        mainHeapPer1000CadencesMb: per1000(grown('mainHeapUsed'), cadencesAdded),
        before: Object.fromEntries(Object.entries(before).map(([k, v]) => [k, typeof v === 'number' ? mb(v) : v])),
        after: Object.fromEntries(Object.entries(after).map(([k, v]) => [k, typeof v === 'number' ? mb(v) : v])),
      },
      monthlyRoll: {
        rolled, of: ids.length, rollMonth, skippedHours: round(skipMs / 3_600_000),
        /** Wall time from the jump until every cadence showed the new month (includes what fell due before the roll). */
        allRolledSeconds: round(rollSeconds, 1),
        /** Each roll's commit after the first roll's commit, ms. */
        latenessMs: lateness.length ? { measured: lateness.length, p50: round(pct(lateness, 50)), p99: round(pct(lateness, 99)), max: round(lateness[lateness.length - 1]!) } : undefined,
      },
      /** Replaying every cadence's history with an empty cache, at rest after booking and again after the roll. */
      replayRecover: { afterBooking, afterRoll },
    };
  } finally {
    if (current.worker.getState() === 'RUNNING') current.worker.shutdown();
    await current.running.catch(() => {});
    await clock.close().catch(() => {});
    await connection.close().catch(() => {});
    await teardown();
  }
}
