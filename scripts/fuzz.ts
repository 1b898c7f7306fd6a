/**
 * `npm run fuzz`: fuzzes Baton's HTTP API from its own OpenAPI document with schemathesis (every
 * operation, every check), against a Baton this script starts on its own embedded PostgreSQL and
 * Temporal dev server, with the worker running. Exits non-zero on any 5xx, hang (a request over
 * --request-timeout, or the whole run over its budget) or schema violation.
 *
 *   npm run fuzz                                      # maintainers' run: 200 examples/operation, 15 min
 *   npm run fuzz -- --max-examples 10 --max-time 60   # the short budget `npm test` runs
 *
 * Options: --max-examples N, --max-time S (schemathesis' own budget), --seed N, --workers N,
 * --report-dir DIR (JUnit + NDJSON reports), --verbose (Baton's logs on stderr), --database-url URL and
 * --temporal-address HOST:PORT (use these servers instead of embedded ones).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startBaton } from '../runtime/baton.js';
import { loadConfig } from '../runtime/config.js';
import { startEmbeddedPostgres } from '../runtime/embedded-postgres.js';
import { startEmbeddedTemporal } from '../runtime/embedded-temporal.js';
import { createLogger } from '../runtime/logger.js';
import { freePort } from '../runtime/ports.js';
import { ensureSchemathesis, projectRoot } from '../runtime/temporal-tools.js';

const { values: opts } = parseArgs({
  options: {
    'max-examples': { type: 'string', default: '200' },
    'max-time': { type: 'string', default: '900' },
    seed: { type: 'string' },
    workers: { type: 'string', default: '1' },
    'report-dir': { type: 'string' },
    verbose: { type: 'boolean', default: false },
    /** Use these servers instead of starting embedded ones (the test suite passes its own). */
    'database-url': { type: 'string' },
    'temporal-address': { type: 'string' },
  },
});
const maxTime = Number(opts['max-time']);
/** A request slower than this is a hang. */
const REQUEST_TIMEOUT_S = 15;

async function main(): Promise<number> {
  const st = ensureSchemathesis(projectRoot, (m) => console.error(m));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-fuzz-'));
  fs.chmodSync(dir, 0o755);
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const [pg, temporal] = await Promise.all([
      opts['database-url'] ? { url: opts['database-url'], stop: async () => {} } : startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port: await freePort() }),
      opts['temporal-address'] ? { address: opts['temporal-address'], stop: async () => {} } : startEmbeddedTemporal({ dataDir: path.join(dir, 'temporal'), port: await freePort(), headless: true, startTimeoutMs: 120_000 }),
    ]);
    stops.push(() => pg.stop(), () => temporal.stop());
    const adminKey = `baton_fuzz_${randomBytes(24).toString('hex')}`;
    const port = await freePort();
    const config = loadConfig({
      DATABASE_URL: pg.url, TEMPORAL_ADDRESS: temporal.address, BATON_API_PORT: String(port), BATON_ADMIN_API_KEY: adminKey,
      BATON_DATA_DIR: dir, LOG_LEVEL: opts.verbose ? 'info' : 'error',
      // The fuzzer sends wrong keys on purpose (ignored_auth); the rate limit has its own test.
      BATON_AUTH_FAILURES_PER_MINUTE: '100000',
      // Configured as an install with webhooks would be (without it, creating a subscription is a deliberate 503).
      BATON_INTEGRATION_KEY: randomBytes(32).toString('base64'),
    }, dir);
    const baton = await startBaton(config, 'all', createLogger(config.LOG_LEVEL, 'baton', opts.verbose ? process.stderr : undefined));
    stops.unshift(() => baton.stop());
    const base = `http://127.0.0.1:${port}`;
    const reportDir = opts['report-dir'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'baton-fuzz-report-'));
    const args = [
      ...st.args, '--config-file', path.join(projectRoot, 'scripts', 'schemathesis.toml'), '--no-color', 'run', `${base}/openapi.json`, '--url', base,
      '--max-examples', String(Number(opts['max-examples'])), '--max-time', String(maxTime),
      '--workers', String(Number(opts.workers)), '--request-timeout', String(REQUEST_TIMEOUT_S), '--max-response-time', String(REQUEST_TIMEOUT_S),
      '-H', `Authorization: Bearer ${adminKey}`, '--report', 'junit,ndjson', '--report-dir', reportDir,
      ...(opts.seed ? ['--seed', opts.seed] : []),
    ];
    console.error(`fuzzing ${base} (max ${opts['max-examples']} examples per operation, ${maxTime} s); reports in ${reportDir}`);
    return await new Promise<number>((resolve) => {
      const child = spawn(st.command, args, { env: { ...st.env, NO_COLOR: '1' }, stdio: ['ignore', 'inherit', 'inherit'] });
      // The whole run over its budget (plus start-up and shrinking slack) is a hang.
      const watchdog = setTimeout(() => {
        console.error(`\nfuzz: schemathesis still running ${maxTime + 180} s after start; a request or the run hangs`);
        child.kill('SIGKILL');
        resolve(1);
      }, (maxTime + 180) * 1000);
      child.once('exit', (code) => {
        clearTimeout(watchdog);
        resolve(code ?? 1);
      });
    });
  } finally {
    for (const stop of stops) await stop().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    console.error(code === 0 ? 'fuzz: no failures' : `fuzz: failures found (exit ${code})`);
    process.exit(code);
  },
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
