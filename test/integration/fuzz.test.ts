import { spawn } from 'node:child_process';
import { inject } from 'vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/harness.js';

/**
 * A short budget of `npm run fuzz` (issue 10): schemathesis with every check against a real Baton
 * (API + worker, over HTTP) on the run's PostgreSQL and Temporal. Any 5xx, hang or schema
 * violation fails it. The maintainers' long run is `npm run fuzz` (README, "Fuzzing").
 */
let db: Awaited<ReturnType<typeof freshDatabase>> | undefined;
afterAll(() => db?.close());

describe('npm run fuzz (short budget)', () => {
  it('finds no 5xx, hang or schema violation', async () => {
    db = await freshDatabase();
    const output: string[] = [];
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/fuzz.ts', '--max-examples', '2', '--max-time', '30', '--seed', '1',
        '--database-url', db!.url, '--temporal-address', inject('temporalAddress')], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (d) => output.push(String(d)));
      child.stderr.on('data', (d) => output.push(String(d)));
      child.once('exit', resolve);
    });
    expect(code, output.join('').slice(-6000)).toBe(0);
  }, 240_000);
});
