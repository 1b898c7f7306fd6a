import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activePolicy, policyForClient, policyVersion, publishPolicy } from '../../db/policies.js';
import { apiHarness, type ApiHarness } from '../support/harness.js';

/**
 * Policy reads are cached by the stored document's digest (db/policies.ts, issue 17): a published
 * version is read at once, every caller gets a copy of its own, and a client's overrides are applied
 * (or, when they no longer validate, the MSP's own document answers) exactly as without the cache.
 */
let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
}, 60_000);
afterAll(() => h?.close());

const ctx = { actor: { kind: 'system' as const }, at: new Date().toISOString() };

describe('policy reads', () => {
  it('see a new version at once, hand out copies, and apply client overrides per version', async () => {
    const before = await activePolicy(h.database.db);
    // A reader that mutates its copy changes nobody else's.
    before.document.meeting.recapHours = 1;
    expect((await activePolicy(h.database.db)).document.meeting.recapHours).toBe(48);

    const result = await publishPolicy(h.database.db, { meeting: { recapHours: 24 } }, 'shorter recaps', ctx, 'merge');
    expect(result).toMatchObject({ ok: true, published: true });
    const after = await activePolicy(h.database.db);
    expect(after.version).toBe(before.version + 1);
    expect(after.document.meeting.recapHours).toBe(24);
    expect((await policyVersion(h.database.db, before.version))!.document.meeting.recapHours).toBe(48);

    const overrides = { meeting: { recapHours: 12 } };
    const forClient = await policyForClient(h.database.db, overrides);
    expect(forClient).toMatchObject({ version: after.version, policy: { meeting: { recapHours: 12 } } });
    forClient.policy.meeting.recapHours = 2;
    expect((await policyForClient(h.database.db, overrides)).policy.meeting.recapHours).toBe(12);
    // The same overrides on the earlier version, and overrides that do not validate (the MSP's own document answers).
    expect((await policyForClient(h.database.db, overrides, before.version)).policy.meeting.recapHours).toBe(12);
    expect((await policyForClient(h.database.db, { meeting: { recapHours: -5 } })).policy.meeting.recapHours).toBe(24);
    expect((await policyForClient(h.database.db, { governance: { anything: 1 } })).policy.meeting.recapHours).toBe(24);
    // An unknown version falls back to the active one.
    expect((await policyForClient(h.database.db, null, 999)).version).toBe(after.version);
  });
});
