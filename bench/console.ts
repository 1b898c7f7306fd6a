import { randomUUID } from 'node:crypto';
import { serve } from '@hono/node-server';
import autocannon from 'autocannon';
import { createApp } from '../api/app.js';
import { createClient } from '../db/clients.js';
import type { Database } from '../db/client.js';
import { ctas, meetings, people, roleAssignments } from '../db/schema.js';
import type { Logger } from '../runtime/logger.js';
import { freePort } from '../runtime/ports.js';

/**
 * The console's portfolio page (GET /portfolio: radar, counts by segment, load heatmap) for a
 * portfolio of N clients, rendered over real HTTP with a signed-in session: clients registered
 * through the repository (placement, ledger), a year of meetings each (a strategic one a month,
 * a check-in every other week, some past due) and a few CTAs, written as the cadence writes them.
 * Reports the first (cold) render and autocannon's latency over repeated renders.
 */
export async function benchConsole(o: { database: Database; logger: Logger; clients: number; requests: number; adminKey: string }) {
  const { db } = o.database;
  const team = await seedPortfolio(o.database, o.clients);

  const app = createApp({ db, logger: o.logger });
  const port = await freePort();
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => { const s = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve(s)); });
  try {
    const base = `http://127.0.0.1:${port}`;
    // Sign in as a browser does: the sign-in form's CSRF cookie, then the key.
    const form = await fetch(`${base}/login`);
    const csrfCookie = form.headers.getSetCookie().find((c) => c.startsWith('baton_csrf='))!.split(';')[0]!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const signedIn = await fetch(`${base}/login/key`, {
      method: 'POST', redirect: 'manual', headers: { cookie: csrfCookie, 'content-type': 'application/x-www-form-urlencoded', origin: base },
      body: new URLSearchParams({ _csrf: csrf, apiKey: o.adminKey, returnTo: '/portfolio' }),
    });
    const session = signedIn.headers.getSetCookie().find((c) => c.startsWith('baton_session='))!.split(';')[0]!;
    const t0 = performance.now();
    const first = await fetch(`${base}/portfolio`, { headers: { cookie: session } });
    const html = await first.text();
    const coldMs = performance.now() - t0;
    if (first.status !== 200 || !html.includes('Cadence Radar')) throw new Error(`portfolio: ${first.status}`);
    console.error(`… console: GET /portfolio ×${o.requests}`);
    const r = await autocannon({ url: `${base}/portfolio`, connections: 1, amount: o.requests, headers: { cookie: session } });
    if (r.non2xx + r.errors + r.timeouts > 0) throw new Error('portfolio: failed renders');
    return {
      clients: o.clients, meetings: o.clients * 28, people: team.length, pageBytes: html.length,
      coldRenderMs: +coldMs.toFixed(1), renderMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max }, rendersPerSec: +r.requests.average.toFixed(1),
    };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/** A portfolio of `clients` clients (placement through the repository), a year of meetings each and some CTAs; returns the team. */
export async function seedPortfolio(database: Database, clients: number) {
  const { db } = database;
  const o = { clients };
  const now = Date.now();
  const day = 86_400_000;
  const team = Array.from({ length: Math.max(4, Math.ceil(o.clients / 40)) }, (_, i) => ({
    id: randomUUID(), name: `Bench ${i % 2 ? 'vCIO' : 'CSM'} ${i}`, email: `p${i}@bench.example`, roles: [i % 2 ? 'vCIO' : 'CSM'] as never, weeklyCapacityHours: 40,
  }));
  await db.insert(people).values(team);
  const ctx = { actor: { kind: 'system' as const }, at: new Date(now).toISOString() };
  const clientIds: string[] = [];
  console.error(`… console: registering ${o.clients} clients with a year of meetings`);
  for (let i = 0; i < o.clients; i++) {
    const created = await createClient(db, { name: `Portfolio Client ${String(i).padStart(4, '0')}`, mrr: 2000 + (i % 20) * 1000, maturity: 1 + (i % 5), appetite: 1 + ((i * 3) % 5), timeZone: 'America/Chicago' }, ctx);
    const id = created.row.id;
    clientIds.push(id);
    const csm = team[(i * 2) % team.length]!;
    const vcio = team[(i * 2 + 1) % team.length]!;
    await db.insert(roleAssignments).values([{ clientId: id, role: 'CSM', personId: csm.id }, { clientId: id, role: 'vCIO', personId: vcio.id }]);
    const rows: (typeof meetings.$inferInsert)[] = [];
    for (let m = -2; m < 12; m++) {
      const startsAt = new Date(now + m * 30 * day + (i % 20) * 3_600_000);
      const past = startsAt.getTime() < now;
      rows.push({
        id: randomUUID(), clientId: id, process: 'cadence', kind: 'strategic', mode: 'live', state: past ? (i % 7 === 0 ? 'scheduled' : 'held') : 'scheduled',
        startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(), strategic: true, prepHours: 1,
        accountablePersonId: vcio.id, accountableRole: 'vCIO', ...(past && i % 7 ? { heldAt: startsAt.toISOString(), decisionCount: i % 3, sponsorPresent: i % 2 === 0, recapSentAt: new Date(startsAt.getTime() + day).toISOString() } : {}),
      });
      const checkIn = new Date(startsAt.getTime() + 14 * day);
      rows.push({
        id: randomUUID(), clientId: id, process: 'cadence', kind: 'check-in', mode: 'live', state: 'scheduled', startsAt: checkIn.toISOString(),
        endsAt: new Date(checkIn.getTime() + 1_800_000).toISOString(), strategic: false, prepHours: 0.25, accountablePersonId: csm.id, accountableRole: 'CSM',
      });
    }
    await db.insert(meetings).values(rows);
    if (i % 4 === 0) {
      const created2 = new Date(now - (i % 10) * day).toISOString();
      await db.insert(ctas).values({
        id: randomUUID(), clientId: id, process: 'cadence', kind: 'recap', title: 'Send the recap', ruleId: 'R-29', ownerRole: 'CSM', ownerPersonId: csm.id,
        dueAt: new Date(Date.parse(created2) + 2 * day).toISOString(), firstActionDueAt: new Date(Date.parse(created2) + 3 * day).toISOString(), createdAt: created2, updatedAt: created2,
      });
    }
  }

  return team;
}
