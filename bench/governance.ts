/**
 * The governance benchmark (called by bench/run.ts): the monthly governance run over a portfolio of
 * `--governance-clients` clients (1,000 by default). Clients are registered over HTTP (each write
 * re-evaluates the R-6 capacity gap), their role holders and last month's and this month's cadence
 * meetings are written in bulk as the cadence writes them; then the Monthly Segment Review's agenda
 * (heatmap, owners, R-35 reviews, R-60 owner × segment KPIs and gates, R-32 checks, R-23 smoke
 * test, R-12, R-6) is assembled `runs` times from the database, and the R-60 governance KPI report
 * is read over HTTP. Reports the times, never asserts them.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client.js';
import { assembleAgenda } from '../db/governance.js';
import { activePolicy } from '../db/policies.js';
import { meetings, roleAssignments } from '../db/schema.js';
import { nextSession } from '../domain/governance.js';
import { pct } from './onboarding.js';

interface Options { base: string; key: string; db: Db; clients: number; concurrency: number; runs?: number }

const round = (n: number, digits = 1) => +n.toFixed(digits);

export async function benchGovernance({ base, key, db, clients, concurrency, runs = 3 }: Options) {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const call = async (method: string, p: string, body?: unknown) => {
    const r = await fetch(`${base}${p}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  };
  console.error(`… governance: ${clients} clients, the Monthly Segment Review's agenda ×${runs}`);
  const team: Record<string, string> = {};
  for (const role of ['CSM', 'AM', 'TAM', 'vCIO', 'CS Lead']) {
    const r = await call('POST', '/v1/people', { name: `Governance ${role}`, email: `${role.toLowerCase().replace(' ', '-')}@governance.bench.example`, roles: [role] });
    if (r.status !== 201) throw new Error(`person ${role}: ${r.status}`);
    team[role] = r.body.id;
  }
  const ids: string[] = [];
  const registerMs: number[] = [];
  let next = 0;
  const seeded = performance.now();
  const lane = async () => {
    for (let i = next++; i < clients; i = next++) {
      // A mix over the four segments: maturity × appetite cycles through High/Low pairs.
      const t = performance.now();
      const r = await call('POST', '/v1/clients', { name: `Governance bench ${i}`, mrr: [2000, 6000, 12000][i % 3], maturity: i % 2 ? 2 : 4, appetite: i % 4 < 2 ? 4 : 2, timeZone: 'America/Chicago', renewalDate: '2027-09-30' });
      registerMs.push(performance.now() - t);
      if (r.status !== 201) throw new Error(`client: ${r.status} ${JSON.stringify(r.body)}`);
      ids.push(r.body.id);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const registerSeconds = (performance.now() - seeded) / 1000;

  // Role holders and meetings, as the registry and the cadence write them: three strategic meetings held last month
  // (recaps on time or late, decisions or none) and one scheduled this month, per client.
  const at = new Date();
  const monthStart = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1);
  const lastMonth = Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - 1, 1);
  const assignments = ids.flatMap((clientId) => Object.entries(team).map(([role, personId]) => ({ clientId, role, personId })));
  const rows = ids.flatMap((clientId, i) => [0, 1, 2, 3].map((k) => {
    const startsAt = new Date((k < 3 ? lastMonth : monthStart) + (2 + k * 6 + (i % 5)) * 86_400_000 + 15 * 3_600_000);
    const endsAt = new Date(startsAt.getTime() + 3_600_000);
    const held = k < 3;
    return {
      id: randomUUID(), clientId, process: 'cadence', kind: 'qbr', mode: 'live', state: held ? 'held' : 'scheduled', startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(),
      strategic: true, prepHours: 1, accountablePersonId: team.vCIO!, accountableRole: 'vCIO', heldAt: held ? endsAt.toISOString() : null,
      recapDueAt: new Date(endsAt.getTime() + 48 * 3_600_000).toISOString(), recapSentAt: held ? new Date(endsAt.getTime() + ((i + k) % 4 ? 24 : 60) * 3_600_000).toISOString() : null,
      decisionCount: held ? (i + k) % 3 : null, data: { kind: 'strategic' }, createdAt: startsAt.toISOString(), updatedAt: startsAt.toISOString(),
    };
  }));
  for (let i = 0; i < assignments.length; i += 1000) await db.insert(roleAssignments).values(assignments.slice(i, i + 1000)).onConflictDoNothing();
  for (let i = 0; i < rows.length; i += 1000) await db.insert(meetings).values(rows.slice(i, i + 1000));

  const policy = (await activePolicy(db)).document;
  const slot = nextSession('monthlySegmentReview', new Date(monthStart - 86_400_000).toISOString(), policy);
  if (!slot) throw new Error('the Monthly Segment Review is switched off in the policy');
  const agendaMs: number[] = [];
  let items: Record<string, number> = {};
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    const built = await assembleAgenda(db, 'monthlySegmentReview', slot, at.toISOString(), policy);
    agendaMs.push(performance.now() - t);
    items = built.items;
  }
  const kpiMs: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    const k = await call('GET', '/v1/portfolio/kpis/governance');
    kpiMs.push(performance.now() - t);
    if (k.status !== 200) throw new Error(`governance KPIs: ${k.status}`);
  }
  agendaMs.sort((a, b) => a - b);
  kpiMs.sort((a, b) => a - b);
  registerMs.sort((a, b) => a - b);
  return {
    clients, meetings: rows.length, session: slot.sessionId,
    registerWithCapacityCheck: { seconds: round(registerSeconds, 2), p50Ms: round(pct(registerMs, 50)), p99Ms: round(pct(registerMs, 99)) },
    monthlyAgendaMs: { runs, p50: round(pct(agendaMs, 50)), max: round(agendaMs[agendaMs.length - 1] ?? 0) },
    governanceKpisHttpMs: { runs, p50: round(pct(kpiMs, 50)), max: round(kpiMs[kpiMs.length - 1] ?? 0) },
    agendaItems: items,
  };
}
