/**
 * `npm run chaos`: N onboardings (each to its Day 90 closeout, which also starts a cadence) and M
 * cadences driven through the HTTP API while the worker is `kill -9`'d at random moments (and the
 * API once), each restarted a moment later. `baton worker` and `baton api` run as separate
 * processes against an embedded PostgreSQL and Temporal dev server this script starts.
 *
 * Every request carries an Idempotency-Key and is retried with it until it gets an answer, as a
 * careful client would. At the end it reports completed / stuck processes and duplicate effects
 * (the same client, ledger event, CTA or meeting twice) and exits non-zero unless every process
 * completed with zero duplicates.
 *
 *   npm run chaos                                               # 10 onboardings, 5 cadences, 4 worker kills
 *   npm run chaos -- --onboardings 2 --cadences 1 --worker-kills 2 --deadline 80   # what npm test runs
 *
 * Options: --onboardings N, --cadences N, --worker-kills N, --api-kills N (default 1), --deadline S
 * (everything must complete within it), --kill-window S (kills fall within it), --seed N, --database-url / --temporal-address (use these
 * servers), --verbose (the processes' logs on stderr).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { runMigrations } from '../db/client.js';
import { defaultPolicy } from '../domain/policy.js';
import { startEmbeddedPostgres } from '../runtime/embedded-postgres.js';
import { startEmbeddedTemporal } from '../runtime/embedded-temporal.js';
import { freePort } from '../runtime/ports.js';
import { projectRoot } from '../runtime/temporal-tools.js';
import { bundleBatonWorkflows } from '../worker.js';
import { generatePayloadKey } from '../runtime/payload-codec.js';

const { values: opts } = parseArgs({
  options: {
    onboardings: { type: 'string', default: '10' },
    cadences: { type: 'string', default: '5' },
    'worker-kills': { type: 'string', default: '4' },
    'api-kills': { type: 'string', default: '1' },
    deadline: { type: 'string', default: '600' },
    'kill-window': { type: 'string' },
    seed: { type: 'string' },
    'database-url': { type: 'string' },
    'temporal-address': { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});
const N_ONBOARDINGS = Number(opts.onboardings);
const N_CADENCES = Number(opts.cadences);
const WORKER_KILLS = Number(opts['worker-kills']);
const API_KILLS = Number(opts['api-kills']);
const DEADLINE = Date.now() + Number(opts.deadline) * 1000;
/** Kills fall at random within this many ms of the start (default: about as long as the requests take). */
const KILL_WINDOW_MS = Number(opts['kill-window'] ?? Math.max(25, 2 * (N_ONBOARDINGS + N_CADENCES))) * 1000;

// A small seeded PRNG (mulberry32), so a run's kill moments can be replayed with --seed.
let seed = Number(opts.seed ?? Math.floor(Math.random() * 2 ** 31));
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const runSeed = seed;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (m: string) => console.error(`[chaos ${new Date().toISOString().slice(11, 19)}] ${m}`);

/** One Baton process (`baton worker` or `baton api`) that can be killed with SIGKILL and started again. */
class BatonProcess {
  child?: ChildProcess;
  starts = 0;
  constructor(readonly mode: 'worker' | 'api', readonly env: NodeJS.ProcessEnv) {}
  start() {
    this.starts++;
    this.child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'cli', 'main.ts'), this.mode], {
      cwd: projectRoot, env: this.env, stdio: ['ignore', opts.verbose ? 'inherit' : 'ignore', opts.verbose ? 'inherit' : 'ignore'],
    });
  }
  kill9() {
    this.child?.kill('SIGKILL');
  }
  async stop() {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child!.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

interface Answer { status: number; body: any }

/** One call, retried with the same Idempotency-Key until the API answers it (not a 5xx, not "in progress"). */
async function call(base: string, key: string, method: string, pathname: string, idempotencyKey: string, body?: unknown): Promise<Answer> {
  for (let attempt = 0; ; attempt++) {
    if (Date.now() > DEADLINE) throw new Error(`deadline passed while calling ${method} ${pathname}`);
    try {
      const res = await fetch(`${base}${pathname}`, {
        method, signal: AbortSignal.timeout(20_000),
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(method === 'POST' ? { 'idempotency-key': idempotencyKey } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : method === 'POST' ? { body: '{}' } : {}),
      });
      const text = await res.text();
      const parsed = text ? JSON.parse(text) : undefined;
      const inProgress = res.status === 409 && parsed?.type === 'urn:baton:problem:idempotency-in-progress';
      if (res.status < 500 && !inProgress) return { status: res.status, body: parsed };
    } catch {
      /* the API is down or was killed mid-request: retry */
    }
    await sleep(Math.min(3000, 200 * 2 ** Math.min(attempt, 4)));
  }
}

function onboardingSteps(signedAt: Date): [string, unknown][] {
  const at = (minutes: number) => new Date(signedAt.getTime() + minutes * 60_000).toISOString();
  const p = defaultPolicy.onboarding;
  return [
    ['handoff-items', { items: [...p.handoffPacketItems] }],
    ['kickoff-scheduled', { startsAt: at(30), endsAt: at(90) }],
    ['kickoff-held', { heldAt: at(30), endedAt: at(90), attendees: ['CEO'], decisions: [{ title: 'Approve MFA rollout', ownerRole: 'TAM' }] }],
    ['recap-sent', {}],
    ['access-granted', { systems: [...p.accessMatrixSystems] }],
    ['controls-verified', { control: 'mfa' }],
    ['controls-verified', { control: 'backupMonitoring' }],
    ['documentation-baselined', { sections: ['topology'] }],
    ['assessment-completed', { findings: [{ title: 'Aging firewall', score: 4 }] }],
    ['quick-wins', { title: 'Enforce MFA for admins', systems: ['identity'] }],
    ['quick-wins', { title: 'Fix failing backup job', systems: ['backup'] }],
    ['early-wins-report', {}],
    ['project-kickoffs', { project: 'Firewall replacement' }],
    ['roadmap-confirmed', { initiatives: ['Firewall replacement'], budgetV1Usd: 48000 }],
    ['proposals', { title: 'Firewall proposal' }],
    ['health-baseline', { scores: { cx: 80, adoption: 70, engagement: 75, serviceQuality: 85, alignment: 65 } }],
    ['cadence-locked', {}],
    ['day60-review', { nps: 40, csat: 4.6 }],
    ['closeout', { note: 'Handed to engagement' }],
  ];
}

async function main(): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-chaos-'));
  fs.chmodSync(dir, 0o755);
  const stops: (() => Promise<unknown>)[] = [];
  const unexpected: string[] = [];
  try {
    log(`seed ${runSeed}: ${N_ONBOARDINGS} onboardings, ${N_CADENCES} cadences, ${WORKER_KILLS} worker kills, ${API_KILLS} API kills`);
    const [pg, temporal, bundle] = await Promise.all([
      opts['database-url'] ? { url: opts['database-url'], stop: async () => {} } : startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port: await freePort() }),
      opts['temporal-address'] ? { address: opts['temporal-address'], stop: async () => {} } : startEmbeddedTemporal({ dataDir: path.join(dir, 'temporal'), port: await freePort(), headless: true, startTimeoutMs: 120_000 }),
      // Bundled once: each restarted worker loads it instead of bundling again.
      bundleBatonWorkflows(),
    ]);
    stops.push(() => pg.stop(), () => temporal.stop());
    await runMigrations(pg.url);
    const bundlePath = path.join(dir, 'workflows.js');
    fs.writeFileSync(bundlePath, bundle.code);
    const adminKey = `baton_chaos_${randomBytes(24).toString('hex')}`;
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env, DATABASE_URL: pg.url, TEMPORAL_ADDRESS: temporal.address, BATON_API_PORT: String(port), BATON_ADMIN_API_KEY: adminKey,
      BATON_DATA_DIR: dir, LOG_LEVEL: opts.verbose ? 'info' : 'warn', TEMPORAL_TASK_QUEUE: `chaos-${randomBytes(4).toString('hex')}`,
      BATON_WORKFLOW_BUNDLE: bundlePath, BATON_IDEMPOTENCY_LEASE_SECONDS: '5',
      // Both processes share one key, as a deployment would: kills are rehearsed with encryption on.
      BATON_PAYLOAD_KEYS: generatePayloadKey(),
    };
    const worker = new BatonProcess('worker', env);
    const api = new BatonProcess('api', env);
    stops.unshift(() => worker.stop(), () => api.stop());
    api.start();
    worker.start();
    const base = `http://127.0.0.1:${port}`;
    const ready = Date.now() + 120_000;
    while ((await fetch(`${base}/readyz`).then((r) => r.status, () => 0)) !== 200) {
      if (Date.now() > ready) throw new Error('the API did not become ready within 120 s');
      await sleep(300);
    }

    // The chaos: kill -9 the worker at random moments of the kill window, the API too. Every kill
    // happens, also after the last request was answered (the workflows still have work then).
    const kills = (async () => {
      const moments = [...Array.from({ length: WORKER_KILLS }, () => ({ who: worker, at: 1_000 + random() * KILL_WINDOW_MS })), ...Array.from({ length: API_KILLS }, () => ({ who: api, at: 1_000 + random() * KILL_WINDOW_MS }))]
        .sort((a, b) => a.at - b.at);
      const started = Date.now();
      for (const m of moments) {
        await sleep(Math.max(0, started + m.at - Date.now()));
        log(`kill -9 ${m.who.mode} (pid ${m.who.child?.pid})`);
        m.who.kill9();
        await sleep(500 + random() * 2_000);
        m.who.start();
      }
    })();

    const onboardingClients: string[] = [];
    const cadenceClients: string[] = [];
    const driveOnboarding = async (i: number) => {
      const client = await call(base, adminKey, 'POST', '/v1/clients', `chaos-client-o${i}`, { name: `Chaos Onboarding ${i}`, mrr: 12000, maturity: 4, appetite: 2, timeZone: 'America/Chicago' });
      if (client.status !== 201) return void unexpected.push(`client o${i}: ${client.status} ${JSON.stringify(client.body)}`);
      const id = client.body.id as string;
      onboardingClients.push(id);
      const signedAt = new Date(Date.now() - 3 * 3_600_000);
      const started = await call(base, adminKey, 'POST', `/v1/clients/${id}/onboarding`, `chaos-start-o${i}`, { signedAt: signedAt.toISOString() });
      if (started.status !== 201) return void unexpected.push(`start onboarding o${i}: ${started.status} ${JSON.stringify(started.body)}`);
      for (const [n, [slug, body]] of onboardingSteps(signedAt).entries()) {
        const res = await call(base, adminKey, 'POST', `/v1/clients/${id}/onboarding/${slug}`, `chaos-o${i}-${n}`, body);
        if (res.status !== 200) unexpected.push(`o${i} ${slug}: ${res.status} ${JSON.stringify(res.body)}`);
      }
    };
    const driveCadence = async (i: number) => {
      const client = await call(base, adminKey, 'POST', '/v1/clients', `chaos-client-c${i}`, { name: `Chaos Cadence ${i}`, mrr: 30000, maturity: 4, appetite: 4, timeZone: 'America/New_York' });
      if (client.status !== 201) return void unexpected.push(`client c${i}: ${client.status} ${JSON.stringify(client.body)}`);
      const id = client.body.id as string;
      cadenceClients.push(id);
      const started = await call(base, adminKey, 'POST', `/v1/clients/${id}/cadence`, `chaos-start-c${i}`, {});
      if (started.status !== 201) return void unexpected.push(`start cadence c${i}: ${started.status} ${JSON.stringify(started.body)}`);
      const res = await call(base, adminKey, 'POST', `/v1/clients/${id}/cadence/adoption`, `chaos-c${i}-adoption`, { mfaPct: 50, endpointPct: 90 });
      if (res.status !== 200) unexpected.push(`c${i} adoption: ${res.status} ${JSON.stringify(res.body)}`);
    };
    // A few at a time, as automations would.
    const work = [...Array.from({ length: N_ONBOARDINGS }, (_, i) => () => driveOnboarding(i)), ...Array.from({ length: N_CADENCES }, (_, i) => () => driveCadence(i))];
    const lanes = Array.from({ length: 4 }, async () => {
      for (let job = work.shift(); job; job = work.shift()) await job();
    });
    await Promise.all(lanes);
    await kills;
    log('all requests answered; waiting for the processes to settle');

    // Completed: every onboarding closed, every cadence (started directly or at cadence lock) booked.
    const done = new Set<string>();
    const targets = [
      ...onboardingClients.map((id) => ({ key: `onboarding ${id}`, path: `/v1/clients/${id}/onboarding`, ok: (s: any) => s.phase === 'completed' })),
      ...[...onboardingClients, ...cadenceClients].map((id) => ({ key: `cadence ${id}`, path: `/v1/clients/${id}/cadence`, ok: (s: any) => s.phase === 'running' && !!s.bookedThrough })),
    ];
    while (done.size < targets.length && Date.now() < DEADLINE) {
      for (const t of targets) {
        if (done.has(t.key)) continue;
        const res = await call(base, adminKey, 'GET', t.path, '').catch(() => undefined);
        if (res?.status === 200 && t.ok(res.body)) done.add(t.key);
      }
      if (done.size < targets.length) await sleep(1000);
    }
    const stuck = targets.filter((t) => !done.has(t.key)).map((t) => t.key);

    // Duplicate effects, straight from the database.
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    const duplicates: string[] = [];
    try {
      for (const r of await sql`select name, count(*)::int as n from clients where name like 'Chaos %' group by name having count(*) > 1`) duplicates.push(`client "${r.name}" ×${r.n}`);
      for (const r of await sql`select client_id, type, count(*)::int as n from events where type in ('client.registered', 'process.started') group by client_id, type, process having count(*) > 1`) duplicates.push(`${r.type} ×${r.n} for ${r.client_id}`);
      for (const r of await sql`select client_id, kind, title, count(*)::int as n from ctas group by client_id, kind, title, due_at having count(*) > 1`) duplicates.push(`CTA "${r.title}" ×${r.n} for ${r.client_id}`);
      for (const r of await sql`select client_id, kind, starts_at, count(*)::int as n from meetings where state <> 'cancelled' group by client_id, kind, starts_at having count(*) > 1`) duplicates.push(`meeting ${r.kind} at ${r.starts_at} ×${r.n} for ${r.client_id}`);
      for (const r of await sql`select client_id, type, count(*)::int as n from events where type not in ('signal.duplicate', 'signal.late') group by client_id, type, data, occurred_at having count(*) > 1`) duplicates.push(`event ${r.type} ×${r.n} for ${r.client_id}`);
    } finally {
      await sql.end();
    }

    const total = targets.length;
    console.log(JSON.stringify({ seed: runSeed, processes: total, completed: total - stuck.length, stuck, duplicates, unexpectedAnswers: unexpected, workerStarts: worker.starts, apiStarts: api.starts }, null, 2));
    const ok = stuck.length === 0 && duplicates.length === 0 && unexpected.length === 0;
    log(ok ? `all ${total} processes completed, 0 duplicate effects` : `FAILED: ${stuck.length} stuck, ${duplicates.length} duplicates, ${unexpected.length} unexpected answers`);
    return ok ? 0 : 1;
  } finally {
    for (const stop of stops) await stop().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
