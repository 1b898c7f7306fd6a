/**
 * The health benchmark (called by bench/run.ts): N clients, each with its health process started
 * by a first input over HTTP (the baseline evaluation), then one snapshot per client asked over HTTP
 * (`POST /v1/clients/{id}/health/snapshots`, the same evaluation, gates and ledger batch the monthly
 * timer runs, §2.18), `--concurrency` at a time. Measures the snapshot's wall time across the
 * portfolio, its per-client latency, and the history events one snapshot adds to a health process.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { healthWorkflowId } from '../workflows/contracts.js';
import { pct } from './onboarding.js';

interface Options { base: string; key: string; client: Client; clients: number; concurrency: number }

const round = (n: number, digits = 1) => +n.toFixed(digits);

export async function benchHealth({ base, key, client, clients, concurrency }: Options) {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const call = async (method: string, p: string, body?: unknown) => {
    const r = await fetch(`${base}${p}`, { method, headers: { ...headers, 'idempotency-key': randomUUID() }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  };
  console.error(`… health snapshot ×${clients}, ${concurrency} at a time`);
  const ids: string[] = [];
  for (let i = 0; i < clients; i++) {
    const r = await call('POST', '/v1/clients', { name: `Health bench ${i}`, mrr: 12000, maturity: i % 2 ? 2 : 4, appetite: 4, timeZone: 'America/Chicago' });
    if (r.status !== 201) throw new Error(`client: ${r.status}`);
    ids.push(r.body.id);
  }
  const lanes = async (work: (id: string) => Promise<void>) => {
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < ids.length) await work(ids[next++]!);
    }));
  };
  const history = async (id: string) => (await client.workflow.getHandle(healthWorkflowId(id)).fetchHistory()).events?.length ?? 0;

  // Inputs that feed three dimensions and fire plays, so the snapshot has real work (the first input starts the process).
  await lanes(async (id) => {
    for (const [slug, body] of [
      ['alignment', { method: 'rubric', presence: 60, perception: 70, performance: 80 }],
      ['pulses', { invited: 4, responses: [{ valuable: 4, missing: 3 }, { valuable: 5, missing: 4 }] }],
      ['service-metrics', { slaResponsePct: 92, slaResolutionPct: 88, backupSuccessPct: 97 }],
    ] as const) {
      const r = await call('POST', `/v1/clients/${id}/health/${slug}`, body);
      if (r.status !== 201 || !r.body.evaluation.evaluated) throw new Error(`health input ${slug}: ${r.status} ${JSON.stringify(r.body)}`);
    }
  });
  const before = new Map<string, number>();
  for (const id of ids) before.set(id, await history(id));

  const snapshotMs: number[] = [];
  const started = performance.now();
  await lanes(async (id) => {
    const t = performance.now();
    const r = await call('POST', `/v1/clients/${id}/health/snapshots`, { note: 'bench monthly snapshot' });
    snapshotMs.push(performance.now() - t);
    if (r.status !== 200) throw new Error(`snapshot: ${r.status} ${JSON.stringify(r.body)}`);
  });
  const seconds = (performance.now() - started) / 1000;

  const added: number[] = [];
  const total: number[] = [];
  for (const id of ids) {
    const n = await history(id);
    added.push(n - before.get(id)!);
    total.push(n);
  }
  snapshotMs.sort((a, b) => a - b);
  added.sort((a, b) => a - b);
  total.sort((a, b) => a - b);
  return {
    clients, concurrency, seconds: round(seconds, 2), snapshotsPerSec: round(clients / seconds, 2),
    snapshotMs: { p50: round(pct(snapshotMs, 50)), p99: round(pct(snapshotMs, 99)) },
    historyEventsPerSnapshot: { p50: pct(added, 50), max: added[added.length - 1] ?? 0 },
    historyEventsAfterSnapshot: { p50: pct(total, 50), max: total[total.length - 1] ?? 0 },
  };
}
