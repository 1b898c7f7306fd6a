import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { EncryptionCodec, ephemeralKeyring, batonDataConverter, mapHistoryPayloads } from '../../runtime/payload-codec.js';
import { localActivityTypes, patchIds, splitTaskAfterLocalActivity } from '../support/history-surgery.js';
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
      // Every payload the codec would have sealed (not search attributes, not the SDK's patch markers): at least
      // the input and the results the run read.
      expect(await mapHistoryPayloads(history, (p) => codec.encode(p)), f).toBeGreaterThanOrEqual(3);
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

  // A local activity's result can race the workflow task's heartbeat: its marker goes out with one
  // task, the code that ran on the result with the next. On replay that code runs a task earlier,
  // before the SDK has read the next task's markers, so a patch first asked there reads false
  // (TMPRL1100, seen at 2,000 cadences). Runs that decide their patches at start are immune.
  describe('a local activity result and the code after it in different workflow tasks', () => {
    const read = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    const replay = async (histories: { workflowId: string; history: ReturnType<typeof historyFromJSON> }[]) => {
      const bundle = await workflowBundle();
      const results = [];
      for await (const r of Worker.runReplayHistories({ workflowBundle: bundle, dataConverter: batonDataConverter(ephemeralKeyring('replay')) }, histories)) results.push({ id: r.workflowId, error: r.error?.message });
      return results;
    };

    it('fails the replay of a run that asked its patch after the result (recorded before patches at start)', { timeout: 120_000 }, async () => {
      const before = read('cadence-meeting-cycle.patched-in-place.json');
      expect(patchIds(before)).not.toContain('patches-at-start');
      const [result] = await replay([{ workflowId: 'split', history: historyFromJSON(splitTaskAfterLocalActivity(before, 'prepareCadence')) }]);
      expect(result!.error).toMatch(/TMPRL1100.*patch marker encountered for change kernel-v3/);
    });

    it('records every patch of a run that decides them at start in its first workflow task', () => {
      for (const f of fixtures) {
        const json = read(f);
        if (!patchIds(json).includes('patches-at-start')) continue;
        const secondTask = json.events.filter((e: { eventType: string }) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED')[1]?.eventId ?? Infinity;
        const late = patchIds({ events: json.events.filter((e: { eventId: string }) => Number(e.eventId) > Number(secondTask)) });
        expect(late, `${f}: patches asked after the run's first task (decide them with kernel.patch() before the first await)`).toEqual([]);
      }
    });

    it('replays every run that decides its patches at start, split after each kind of local activity', { timeout: 300_000 }, async () => {
      const histories = [];
      for (const f of fixtures) {
        const json = read(f);
        if (!patchIds(json).includes('patches-at-start')) continue;
        for (const type of localActivityTypes(json)) histories.push({ workflowId: `${f} split after ${type}`, history: historyFromJSON(splitTaskAfterLocalActivity(json, type)) });
      }
      // Every kernel process decides at start, and the recorded runs use local activities.
      expect(new Set(histories.map((h) => h.workflowId.split(' ')[0])).size).toBeGreaterThanOrEqual(10);
      expect(await replay(histories)).toEqual(histories.map((h) => ({ id: h.workflowId, error: undefined })));
    });
  });
});
