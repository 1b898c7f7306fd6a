/**
 * The connectors benchmark (called by bench/run.ts, `--only connectors`; issue 15 "Tests and measures"):
 * ConnectWise, Autotask and HaloPSA connectors configured for one client, each against its local
 * contract stub from test/support (real HTTP servers on this machine, enforcing each vendor's auth).
 *  - delivery throughput: `--connector-ctas` CTAs are opened while the outbox dispatcher is held, so
 *    their PSA deliveries (one ticket per CTA per connector) wait in the outbox; then the dispatcher
 *    (every `DISPATCH_EVERY_MS`) starts them and the clock runs until every one is delivered:
 *    deliveries/s of the outbox, delivery workflows + activities + vendor calls, nothing else moving.
 *  - added latency of a report: `--connector-reports` CTAs opened and completed one at a time over
 *    HTTP with no connector configured, then with the three connectors active and the dispatcher
 *    held (the reports' own added work: fanning out three deliveries in their transaction), then
 *    with the deliveries running behind the reports as in production (here the worker shares the
 *    API's process and the machine's CPUs): p50/p95 of each and the ratios to none.
 * Correctness is the tests' (test/integration/all-connectors.test.ts); here a duplicate ticket or a
 * dead delivery only makes the run fail loudly, since its numbers would mean nothing.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { deliveries, workflowStarts } from '../db/schema.js';
import type { Logger } from '../runtime/logger.js';
import { startWorkflowStartDispatcher } from '../runtime/processes.js';
import { INTEGRATION_KEY_ENV } from '../runtime/secret-box.js';
import { autotaskStub } from '../test/support/autotask-stub.js';
import { connectWiseStub } from '../test/support/connectwise-stub.js';
import { haloPsaStub } from '../test/support/halopsa-stub.js';
import { pct } from './onboarding.js';

interface Options { base: string; key: string; db: Db; client: Client; taskQueue: string; logger: Logger; ctas: number; reports: number; concurrency: number }

/** How often the bench's outbox dispatcher looks (the worker's default is 5 s; the tests use 100 ms). */
const DISPATCH_EVERY_MS = 100;
const CW = { companyId: 'msp', publicKey: 'benchPUB', privateKey: 'benchPRIVATE-1', clientId: '11111111-2222-3333-4444-555555555555' };
const AT = { apiIntegrationCode: 'TRACKINGID27CHARACTERSXXXXX', userName: 'bench@msp.example', secret: 'bench-secret-1', webhookSecret: 'bench-hook-secret-1' };
const HALO = { clientId: 'bench-halo-client', clientSecret: 'bench-halo-SECRET-1', webhook: { username: 'bench-hook', password: 'bench-hook-PASSWORD-1' } };

const round = (n: number, digits = 1) => +n.toFixed(digits);
const summarize = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: round(pct(s, 50)), p95: round(pct(s, 95)), max: round(s[s.length - 1] ?? 0) };
};

export async function benchConnectors({ base, key, db, client, taskQueue, logger, ctas, reports, concurrency }: Options) {
  // Connector credentials are sealed with the environment's key (runtime/secret-box.ts); a throw-away one for the run.
  process.env[INTEGRATION_KEY_ENV] ??= randomBytes(32).toString('base64');
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const call = async (method: string, p: string, body?: unknown) => {
    const r = await fetch(`${base}${p}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  };
  const must = async (method: string, p: string, body: unknown, status: number) => {
    const r = await call(method, p, body);
    if (r.status !== status) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const dueAt = () => new Date(Date.now() + 7 * 86_400_000).toISOString();
  const openCta = (clientId: string, title: string) => must('POST', `/v1/clients/${clientId}/ctas`, { kind: 'follow-up', title, ownerRole: 'CSM', dueAt: dueAt() }, 201).then((b) => b.id as string);

  const [cw, at, halo] = await Promise.all([
    connectWiseStub({ ...CW, companies: [250], members: ['ccsm'], boards: [7] }),
    autotaskStub({ ...AT, companies: [300], resources: [29682885] }),
    haloPsaStub({ clientId: HALO.clientId, clientSecret: HALO.clientSecret, clients: [12], agents: [4] }),
  ]);
  let stopDispatcher = startWorkflowStartDispatcher({ client, taskQueue }, db, logger, DISPATCH_EVERY_MS);
  try {
    const csm = (await must('POST', '/v1/people', { name: 'Connector bench CSM', email: 'csm@connectors.bench.example', roles: ['CSM'] }, 201)).id as string;
    const clientId = (await must('POST', '/v1/clients', { name: 'Connector bench client', mrr: 12000, maturity: 4, appetite: 2, timeZone: 'America/Chicago' }, 201)).id as string;
    await must('PUT', `/v1/clients/${clientId}/assignments/CSM`, { personId: csm }, 200);

    /** Opens then completes `n` CTAs one at a time, timing each request from the client side. */
    const reportRound = async (label: string, n: number) => {
      console.error(`… connectors: open + complete ×${n} (${label})`);
      const openMs: number[] = [];
      const completeMs: number[] = [];
      for (let i = 0; i < n; i++) {
        let t = performance.now();
        const ctaId = await openCta(clientId, `Report ${label} ${i}`);
        openMs.push(performance.now() - t);
        t = performance.now();
        await must('POST', `/v1/ctas/${ctaId}/complete`, { note: 'done' }, 200);
        completeMs.push(performance.now() - t);
      }
      return { openMs, completeMs };
    };

    const none = await reportRound('no connector', reports);

    const connectorIds: string[] = [];
    for (const body of [
      { type: 'connectwise', name: 'ConnectWise (bench stub)', baseUrl: cw.baseUrl, credentials: CW, settings: { boardId: 7 }, mappings: { people: [{ personId: csm, member: 'ccsm' }], clients: [{ clientId, companyId: 250 }] } },
      { type: 'autotask', name: 'Autotask (bench stub)', baseUrl: at.baseUrl, credentials: AT, settings: { queueId: 8 }, mappings: { people: [{ personId: csm, resourceId: 29682885, roleId: 29683461 }], clients: [{ clientId, companyId: 300 }] } },
      { type: 'halopsa', name: 'HaloPSA (bench stub)', baseUrl: halo.origin, credentials: HALO, settings: {}, mappings: { people: [{ personId: csm, member: '4' }], clients: [{ clientId, companyId: 12 }] } },
    ]) connectorIds.push((await must('POST', '/v1/connectors', body, 201)).id);
    const keys = connectorIds.map((id) => `psa:${id}`);
    const states = async () => {
      const rows = await db.select({ state: deliveries.state, n: sql<number>`count(*)::int` }).from(deliveries).where(inArray(deliveries.connector, keys)).groupBy(deliveries.state);
      return Object.fromEntries(rows.map((r) => [r.state, r.n])) as Record<string, number>;
    };
    const undispatched = async () => (await db.select({ n: sql<number>`count(*)::int` }).from(workflowStarts).where(and(eq(workflowStarts.kind, 'delivery'), isNull(workflowStarts.dispatchedAt))))[0]?.n ?? 0;
    /**
     * Waits until `expected` deliveries to the three connectors are delivered (a dead one fails the run); answers
     * when the dispatcher had started the last delivery workflow, ms from `since` (whether the dispatcher or the deliveries bound the drain).
     */
    const drained = async (expected: number, since: number) => {
      let allStartedMs: number | undefined;
      for (;;) {
        const s = await states();
        if (s.dead) throw new Error(`connectors bench: ${s.dead} dead deliveries (${JSON.stringify(s)})`);
        if (allStartedMs === undefined && (await undispatched()) === 0) allStartedMs = performance.now() - since;
        if ((s.delivered ?? 0) >= expected) return allStartedMs ?? performance.now() - since;
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    // Throughput: the deliveries queue while the dispatcher is held, then drain with nothing else moving.
    await stopDispatcher();
    console.error(`… connectors: ${ctas} CTAs × 3 connectors queued, then delivered`);
    let next = 0;
    const lane = async () => {
      while (next < ctas) await openCta(clientId, `Throughput ${next++}`);
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    const queued = await db.select({ n: sql<number>`count(*)::int` }).from(deliveries).where(and(inArray(deliveries.connector, keys), eq(deliveries.state, 'pending')));
    const started = performance.now();
    stopDispatcher = startWorkflowStartDispatcher({ client, taskQueue }, db, logger, DISPATCH_EVERY_MS);
    const allStartedMs = await drained(ctas * 3, started);
    const drainSeconds = (performance.now() - started) / 1000;

    // The reports' own added work (the fan-out of 3 PSA deliveries in their transaction) with the dispatcher held, so no
    // delivery runs beside them; then with deliveries running behind them, as in production (here the worker shares the API's process and CPUs).
    await stopDispatcher();
    const queuedOnly = await reportRound('three connectors, deliveries held', reports);
    stopDispatcher = startWorkflowStartDispatcher({ client, taskQueue }, db, logger, DISPATCH_EVERY_MS);
    await drained(ctas * 3 + reports * 6, performance.now());
    const active = await reportRound('three connectors', reports);
    // Every report's ticket created and closed in each PSA before the numbers count.
    await drained(ctas * 3 + reports * 12, performance.now());
    const ticketCounts = { connectwise: cw.tickets.length, autotask: at.tickets.length, halopsa: halo.tickets.length };
    for (const [vendor, n] of Object.entries(ticketCounts)) if (n !== ctas + 2 * reports) throw new Error(`connectors bench: ${vendor} holds ${n} tickets, expected ${ctas + 2 * reports} (a duplicate or a loss)`);

    const noneComplete = summarize(none.completeMs);
    const activeComplete = summarize(active.completeMs);
    const noneOpen = summarize(none.openMs);
    const activeOpen = summarize(active.openMs);
    const heldComplete = summarize(queuedOnly.completeMs);
    const heldOpen = summarize(queuedOnly.openMs);
    return {
      connectors: ['connectwise', 'autotask', 'halopsa'], dispatchEveryMs: DISPATCH_EVERY_MS,
      throughput: {
        ctas, deliveries: ctas * 3, queuedBeforeDispatch: queued[0]?.n ?? 0, seconds: round(drainSeconds, 2), deliveriesPerSec: round((ctas * 3) / drainSeconds),
        lastWorkflowStartedAfterSeconds: round(allStartedMs / 1000, 2),
        vendorRequests: cw.requests.length + at.requests.length + halo.requests.length,
      },
      reportLatency: {
        reports,
        completeCtaMs: {
          none: noneComplete, threeConnectors: activeComplete, ratioP50: round(activeComplete.p50 / noneComplete.p50, 2), ratioP95: round(activeComplete.p95 / noneComplete.p95, 2),
          threeConnectorsDeliveriesHeld: heldComplete, heldRatioP50: round(heldComplete.p50 / noneComplete.p50, 2), heldRatioP95: round(heldComplete.p95 / noneComplete.p95, 2),
        },
        openCtaMs: {
          none: noneOpen, threeConnectors: activeOpen, ratioP50: round(activeOpen.p50 / noneOpen.p50, 2), ratioP95: round(activeOpen.p95 / noneOpen.p95, 2),
          threeConnectorsDeliveriesHeld: heldOpen, heldRatioP50: round(heldOpen.p50 / noneOpen.p50, 2), heldRatioP95: round(heldOpen.p95 / noneOpen.p95, 2),
        },
      },
      ticketsPerVendor: ticketCounts,
    };
  } finally {
    await stopDispatcher();
    await Promise.all([cw.stop(), at.stop(), halo.stop()]);
  }
}
