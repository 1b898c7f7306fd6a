import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../support/temporal.js';

/**
 * Recorded histories of real runs (test/fixtures/histories, refreshed by `RECORD_HISTORIES=1`)
 * replayed against today's workflow code: a change that would break running workflows fails
 * here. Such changes need `patched()`. Replay needs no server.
 */
const dir = path.join(import.meta.dirname, '../fixtures/histories');
const fixtures = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('replay of recorded histories', () => {
  it('has fixtures for every workflow type the worker registers', async () => {
    const types = new Set(fixtures.map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')).events[0].workflowExecutionStartedEventAttributes.workflowType.name));
    const registered = Object.keys(await import('../../workflows/index.js'));
    expect([...types].sort()).toEqual(registered.sort());
  });

  it('replays every history without a determinism error', { timeout: 120_000 }, async () => {
    const bundle = await workflowBundle();
    const histories = fixtures.map((f) => ({ workflowId: f, history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))) }));
    expect(histories.length).toBeGreaterThan(0);
    for (const h of histories) expect(h.history.events!.length).toBeGreaterThan(10);
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) results.push({ id: r.workflowId, error: r.error?.message });
    expect(results).toEqual(histories.map((h) => ({ id: h.workflowId, error: undefined })));
  });
});
