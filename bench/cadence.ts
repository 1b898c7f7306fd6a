/**
 * The cadence benchmark (called by bench/run.ts): N clients whose cadences are locked over HTTP
 * (`--concurrency` at a time) and book their first year against one shared team, so every booking
 * takes the same people's advisory locks. Measures time from the start request to a
 * booked horizon, meetings booked per second, how many found no slot (`unbooked`), and the history
 * each cadence has after booking. Simulated years are measured by the rehearsal test instead
 * (test/integration/cadence.test.ts: ~900 history events per year).
 */
import type { Client } from '@temporalio/client';
import { cadenceStatus, cadenceWorkflowId } from '../workflows/contracts.js';
import { pct } from './onboarding.js';

interface Options { base: string; key: string; client: Client; cadences: number; concurrency: number }

const round = (n: number, digits = 1) => +n.toFixed(digits);

export async function benchCadence({ base, key, client, cadences, concurrency }: Options) {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const call = async (method: string, p: string, body?: unknown) => {
    const r = await fetch(`${base}${p}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  };
  console.error(`… cadence ×${cadences} on one shared team, ${concurrency} at a time`);
  const team: Record<string, string> = {};
  for (const role of ['CSM', 'AM', 'TAM', 'vCIO']) {
    const r = await call('POST', '/v1/people', { name: `Bench ${role}`, email: `${role.toLowerCase()}@cadence.bench.example`, roles: [role] });
    if (r.status !== 201) throw new Error(`person ${role}: ${r.status}`);
    team[role] = r.body.id;
  }
  const ids: string[] = [];
  for (let i = 0; i < cadences; i++) {
    // Alternate A and B clients so the shared vCIO carries both rhythms.
    const r = await call('POST', '/v1/clients', { name: `Cadence bench ${i}`, mrr: 12000, maturity: i % 2 ? 2 : 4, appetite: 4, timeZone: 'America/Chicago', renewalDate: '2027-09-30' });
    if (r.status !== 201) throw new Error(`client: ${r.status}`);
    for (const [role, personId] of Object.entries(team)) await call('PUT', `/v1/clients/${r.body.id}/assignments/${role}`, { personId });
    ids.push(r.body.id);
  }

  const bookedMs: number[] = [];
  const startMs: number[] = [];
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const t = performance.now();
      const r = await call('POST', `/v1/clients/${id}/cadence`, {});
      startMs.push(performance.now() - t);
      if (r.status !== 201) throw new Error(`start cadence: ${r.status} ${JSON.stringify(r.body)}`);
      // Booked when the status answers with a horizon.
      for (;;) {
        const s = await client.workflow.getHandle(cadenceWorkflowId(id)).query(cadenceStatus).catch(() => undefined);
        if (s && 'bookedThrough' in s && s.bookedThrough) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      bookedMs.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = (performance.now() - started) / 1000;

  let meetings = 0;
  let unbooked = 0;
  const history: number[] = [];
  for (const id of ids) {
    const s = await client.workflow.getHandle(cadenceWorkflowId(id)).query(cadenceStatus);
    if (!('meetings' in s)) continue;
    meetings += s.meetings.length;
    unbooked += s.meetings.filter((m) => m.status === 'unbooked').length;
    history.push((await client.workflow.getHandle(cadenceWorkflowId(id)).fetchHistory()).events?.length ?? 0);
  }
  bookedMs.sort((a, b) => a - b);
  startMs.sort((a, b) => a - b);
  history.sort((a, b) => a - b);
  return {
    cadences, concurrency, seconds: round(seconds, 2), cadencesPerSec: round(cadences / seconds, 2),
    meetingsBooked: meetings, meetingsPerSec: round(meetings / seconds), unbooked,
    startMs: { p50: round(pct(startMs, 50)), p99: round(pct(startMs, 99)) },
    bookedHorizonMs: { p50: round(pct(bookedMs, 50)), p99: round(pct(bookedMs, 99)) },
    historyEventsAfterBooking: { p50: pct(history, 50), max: history[history.length - 1] ?? 0 },
  };
}
