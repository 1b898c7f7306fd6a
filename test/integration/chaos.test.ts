import { spawn } from 'node:child_process';
import { inject } from 'vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/harness.js';

/**
 * A small `npm run chaos` (issue 10): an onboarding to its closeout and a cadence, through HTTP,
 * while `baton worker` is kill -9'd twice and `baton api` once at random moments. Every process
 * must complete with zero duplicate effects. The maintainers' larger run is `npm run chaos`.
 * The deadline is the 90 s: a kill landing mid-activity costs at most a heartbeat timeout
 * (10–20 s, long activities) or a short start-to-close (15 s, reads) before the retry.
 */
let db: Awaited<ReturnType<typeof freshDatabase>> | undefined;
afterAll(() => db?.close());

describe('npm run chaos (small run)', () => {
  it('completes every process with zero duplicates despite kill -9', async () => {
    db = await freshDatabase();
    const output: string[] = [];
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/chaos.ts', '--onboardings', '1', '--cadences', '1', '--worker-kills', '2', '--api-kills', '1', '--kill-window', '10',
        '--deadline', '90', '--database-url', db!.url, '--temporal-address', inject('temporalAddress')], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (d) => output.push(String(d)));
      child.stderr.on('data', (d) => output.push(String(d)));
      child.once('exit', resolve);
    });
    const text = output.join('');
    expect(code, text.slice(-6000)).toBe(0);
    const report = JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1));
    expect(report).toMatchObject({ completed: report.processes, stuck: [], duplicates: [], workerStarts: 3, apiStarts: 2 });
  }, 180_000);
});
