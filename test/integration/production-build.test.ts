import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { build, distDir, root } from '../../scripts/build.js';
import { eventually, freshDatabase, testTaskQueue } from '../support/harness.js';
import { freePorts } from '../support/ports.js';
import { parsePrometheus } from '../support/prometheus.js';

/**
 * The production form (README: Production): the compiled dist/ runs as a separate API and worker
 * (`node dist/cli/main.js api|worker`, as the Docker image does) against the run's PostgreSQL and
 * Temporal server; the worker loads the workflow bundle built with dist/, answers its health check
 * and serves the Temporal SDK's metrics; with OTEL_TRACES_EXPORTER=otlp both export one trace
 * per request across API → workflow → activity to an OTLP/HTTP receiver run here. The test builds
 * a missing or stale dist/ itself.
 */
const sourceDirs = ['activities', 'api', 'cli', 'console', 'db', 'domain', 'rehearsal', 'runtime', 'workflows'];
const bundleFile = path.join(distDir, 'workflow-bundle.js');
const adminKey = 'production-build-test-admin-key-0123456789';
const children: ChildProcess[] = [];
let database: Awaited<ReturnType<typeof freshDatabase>>;
let ports: { api: number; worker: number; sdkMetrics: number; otlp: number };
/** Spans received by the OTLP/HTTP (JSON) receiver: service name, span name, trace id. */
const spans: { service: string; name: string; traceId: string }[] = [];
let receiver: http.Server;
let dataDir: string;

function newestSource(): number {
  let newest = fs.statSync(path.join(root, 'worker.ts')).mtimeMs;
  for (const dir of sourceDirs) {
    for (const file of fs.readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })) {
      if (/\.tsx?$/.test(file)) newest = Math.max(newest, fs.statSync(path.join(root, dir, file)).mtimeMs);
    }
  }
  return newest;
}

function start(mode: 'api' | 'worker'): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--enable-source-maps', path.join(distDir, 'cli', 'main.js'), mode], {
    cwd: dataDir,
    env: {
      ...process.env, DATABASE_URL: database.url, TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_TASK_QUEUE: taskQueue,
      BATON_DATA_DIR: dataDir, BATON_API_HOST: '127.0.0.1', BATON_API_PORT: String(ports.api), BATON_WORKER_PORT: String(ports.worker),
      BATON_TEMPORAL_METRICS_ADDRESS: mode === 'worker' ? `127.0.0.1:${ports.sdkMetrics}` : 'off',
      BATON_ADMIN_API_KEY: adminKey, BATON_PAYLOAD_KEYS: `k1=${Buffer.alloc(32, 9).toString('base64')}`, LOG_LEVEL: 'info',
      OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${ports.otlp}`, OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_SERVICE_NAME: `baton-${mode}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`baton ${mode} (dist) was not running after 90 s:\n${out}`)), 90_000);
    child.stdout!.on('data', () => {
      if (out.includes('Baton is running')) {
        clearTimeout(timer);
        resolve({ child, output: () => out });
      }
    });
    child.once('exit', (code) => reject(new Error(`baton ${mode} (dist) exited with ${code}:\n${out}`)));
  });
}

const stop = (child: ChildProcess) => new Promise<number | null>((resolve) => {
  child.once('exit', (code) => resolve(code));
  child.kill('SIGTERM');
});

const taskQueue = testTaskQueue();
let api: Awaited<ReturnType<typeof start>>;
let worker: Awaited<ReturnType<typeof start>>;

beforeAll(async () => {
  if (!fs.existsSync(bundleFile) || fs.statSync(bundleFile).mtimeMs < newestSource()) await build(() => {});
  database = await freshDatabase();
  const [a, w, s, o] = await freePorts(4);
  ports = { api: a!, worker: w!, sdkMetrics: s!, otlp: o! };
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      type Otlp = { resourceSpans?: { resource?: { attributes?: { key: string; value: { stringValue?: string } }[] }; scopeSpans?: { spans?: { name: string; traceId: string }[] }[] }[] };
      for (const rs of (JSON.parse(body || '{}') as Otlp).resourceSpans ?? []) {
        const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        for (const span of (rs.scopeSpans ?? []).flatMap((ss) => ss.spans ?? [])) spans.push({ service, name: span.name, traceId: span.traceId });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(ports.otlp, '127.0.0.1', resolve));
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-dist-'));
  // The API first: it migrates and seeds the admin key, as in docker-compose.yml.
  api = await start('api');
  worker = await start('worker');
}, 900_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await database?.close();
  receiver?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const apiUrl = (p: string) => `http://127.0.0.1:${ports.api}${p}`;
const workerUrl = (p: string) => `http://127.0.0.1:${ports.worker}${p}`;
const asAdmin = { authorization: `Bearer ${adminKey}` };

describe('the compiled build (dist/)', () => {
  it('the worker loads the workflow bundle built with dist/ and reports healthy', async () => {
    // Tracing is on: the bundle with the OpenTelemetry workflow interceptors.
    expect(worker.output()).toContain(`"workflowBundle":"${bundleFile.replace(/\.js$/, '-traced.js')}"`);
    const health = await fetch(workerUrl('/healthz'));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', worker: 'RUNNING' });
  });

  it('runs workflows: an onboarding started through the API answers its status query from the compiled worker', async () => {
    const created = await fetch(apiUrl('/v1/clients'), { method: 'POST', headers: { ...asAdmin, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Dist Dental', mrr: 9000, maturity: 3, appetite: 2, timeZone: 'America/Chicago' }) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const started = await fetch(apiUrl(`/v1/clients/${id}/onboarding`), { method: 'POST', headers: { ...asAdmin, 'content-type': 'application/json' }, body: JSON.stringify({ signedAt: new Date(Date.now() - 3_600_000).toISOString() }) });
    expect(started.status).toBe(201);
    const status = await eventually(async () => {
      const res = await fetch(apiUrl(`/v1/clients/${id}/onboarding`), { headers: asAdmin });
      return { status: res.status, body: (await res.json()) as { clientId?: string; phase?: string } };
    }, (s) => s.status === 200 && s.body.phase === 'running', 60_000);
    expect(status.body.clientId).toBe(id);

    // One trace from the API's request span through the workflow to its activities.
    const requestLine = api.output().split('\n').find((l) => l.includes('"msg":"request"') && l.includes(`/v1/clients/${id}/onboarding`) && l.includes('"method":"POST"'));
    const traceId = (JSON.parse(requestLine!) as { traceId?: string }).traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    // RunWorkflow ends with the workflow (months later); the spans it opened end sooner: the
    // activity it scheduled, inside the sandbox (exported through the sink), and the activity itself.
    const names = (t: typeof spans) => t.map((s) => `${s.service} ${s.name}`);
    const expected = ['baton-api POST /v1/clients/:clientId/onboarding', 'baton-api StartWorkflow:onboarding', 'baton-worker StartActivity:prepareOnboarding', 'baton-worker RunActivity:prepareOnboarding'];
    const traced = await eventually(async () => spans.filter((s) => s.traceId === traceId), (t) => expected.every((e) => names(t).includes(e)), 30_000).catch(() => spans.filter((s) => s.traceId === traceId));
    expect(names(traced)).toEqual(expect.arrayContaining(expected));
  });

  it('serves /metrics behind an API key: HTTP metrics from the API, the Temporal SDK runtime metrics from the worker', async () => {
    for (const url of [apiUrl('/metrics'), workerUrl('/metrics')]) {
      expect((await fetch(url)).status, url).toBe(401);
      expect((await fetch(url, { headers: { authorization: 'Bearer not-a-real-key' } })).status, url).toBe(401);
    }
    const fromApi = parsePrometheus(await (await fetch(apiUrl('/metrics'), { headers: asAdmin })).text());
    expect(fromApi.get('baton_http_request_duration_seconds_count{method="POST",route="/v1/clients",status="201"}')).toBe(1);
    expect(fromApi.has('baton_workflow_starts_pending')).toBe(true);
    const res = await fetch(workerUrl('/metrics'), { headers: asAdmin });
    expect(res.status).toBe(200);
    const fromWorker = parsePrometheus(await res.text());
    expect([...fromWorker.keys()].filter((k) => k.startsWith('temporal_')).length).toBeGreaterThan(0);
    expect([...fromWorker.keys()].some((k) => k.startsWith('temporal_') && k.includes(`task_queue="${taskQueue}"`))).toBe(true);
    // The database gauges come from the API only (several workers would report the same rows).
    expect(fromWorker.has('baton_ctas_overdue')).toBe(false);
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await stop(worker.child)).toBe(0);
    expect(await stop(api.child)).toBe(0);
  });
});
