import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { EncryptionCodec, ephemeralKeyring, batonDataConverter, mapHistoryPayloads } from '../../runtime/payload-codec.js';
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
    // With Baton's data converter, as a worker with payload keys replays them: the fixtures were
    // recorded unencrypted, as an install from before encryption (issue 18) has them.
    const keyring = ephemeralKeyring('replay');
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle, dataConverter: batonDataConverter(keyring) }, histories)) results.push({ id: r.workflowId, error: r.error?.message });
    expect(results).toEqual(histories.map((h) => ({ id: h.workflowId, error: undefined })));
  });

  it('replays every history with its payloads encrypted, as a keyed install records them', { timeout: 120_000 }, async () => {
    const bundle = await workflowBundle();
    const keyring = ephemeralKeyring('replay');
    const codec = new EncryptionCodec(keyring);
    const histories = [];
    for (const f of fixtures) {
      const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
      // Every payload the codec would have sealed (not search attributes, not the SDK's patch markers).
      expect(await mapHistoryPayloads(history, (p) => codec.encode(p)), f).toBeGreaterThan(3);
      histories.push({ workflowId: f, history });
    }
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle, dataConverter: batonDataConverter(keyring) }, histories)) results.push({ id: r.workflowId, error: r.error?.message });
    expect(results).toEqual(histories.map((h) => ({ id: h.workflowId, error: undefined })));
    // The payloads were really sealed: a worker with another key cannot replay the first one.
    const [one] = histories;
    const wrong = Worker.runReplayHistories({ workflowBundle: bundle, dataConverter: batonDataConverter(ephemeralKeyring('other')) }, [one!]);
    for await (const r of wrong) expect(r.error?.message ?? '').not.toBe('');
  });
});
