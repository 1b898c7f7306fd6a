import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../runtime/embedded-postgres.js';
import { startEmbeddedTemporal, temporalToolPath } from '../../runtime/embedded-temporal.js';
import { freePort } from './ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    /** Admin URL of the test PostgreSQL server (database `postgres`); files create their own databases. */
    postgresAdminUrl: string;
    testServerPath: string;
  }
}

/**
 * One Temporal dev server and one PostgreSQL for the whole run, started here with our own
 * timeouts (STACK.md §0: the SDK's 5 s limit is too short on a loaded 2-core machine).
 */
export default async function setup(project: TestProject) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-test-'));
  fs.chmodSync(dir, 0o755);
  const testServerPath = await temporalToolPath('testServer');
  const [pgPort, temporalPort] = [await freePort(), await freePort()];
  const [pg, temporal] = await Promise.all([
    startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port: pgPort }),
    startEmbeddedTemporal({ dataDir: path.join(dir, 'temporal'), port: temporalPort, headless: true, startTimeoutMs: 120_000 }),
  ]);
  project.provide('temporalAddress', temporal.address);
  project.provide('postgresAdminUrl', pg.urlFor('postgres'));
  project.provide('testServerPath', testServerPath);
  return async () => {
    await Promise.all([temporal.stop(), pg.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
