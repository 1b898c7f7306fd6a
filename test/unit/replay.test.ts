import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { Payload } from '@temporalio/common';
import { EncryptionCodec, ephemeralKeyring, batonDataConverter } from '../../runtime/payload-codec.js';
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
      expect(await sealPayloads(history, codec), f).toBeGreaterThan(3);
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

/** Encrypts every payload the codec would have (not search attributes, not the SDK's patch markers). */
async function sealPayloads(node: unknown, codec: EncryptionCodec): Promise<number> {
  let sealed = 0;
  if (!node || typeof node !== 'object' || node instanceof Uint8Array) return 0;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === 'searchAttributes' || key === 'markerRecordedEventAttributes' || !value || typeof value !== 'object') continue;
    const isPayload = (v: unknown): v is Payload => !!v && typeof v === 'object' && 'metadata' in v && (v as Payload).data instanceof Uint8Array;
    if (key === 'payloads' && Array.isArray(value) && value.every(isPayload)) {
      (node as Record<string, unknown>)[key] = await codec.encode(value);
      sealed += value.length;
    } else if (isPayload(value)) {
      (node as Record<string, unknown>)[key] = (await codec.encode([value]))[0];
      sealed += 1;
    } else if (Array.isArray(value)) {
      for (const v of value) sealed += await sealPayloads(v, codec);
    } else if (key === 'fields' || key === 'indexedFields' || key === 'header') {
      // maps of payloads (memo, headers)
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (isPayload(v)) (value as Record<string, unknown>)[k] = (await codec.encode([v]))[0];
        else sealed += await sealPayloads(v, codec);
      }
    } else {
      sealed += await sealPayloads(value, codec);
    }
  }
  return sealed;
}
