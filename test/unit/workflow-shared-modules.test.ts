import { afterEach, describe, expect, it, vi } from 'vitest';
import { regexes } from 'zod/v4/core';
import { z as classic } from 'zod';

/**
 * The worker preloads zod and luxon once and shares them with every workflow
 * (workflows/shared-modules.ts, issue 17); the SDK then deep-freezes what it preloaded. zod's
 * built-in formats (z.iso.date(), z.email(), …) test against module-level regular expressions and
 * reset their `lastIndex` first, which throws once those are frozen. Workflows build and parse only
 * the policy document (a setup recorded under an older shape); this parses a whole one with zod
 * frozen as on the worker, so a policy key that used such a format would fail here, not on a worker.
 */
describe('zod shared by every workflow on a worker', () => {
  afterEach(() => {
    delete (globalThis as { __TEMPORAL_ACTIVATOR__?: unknown }).__TEMPORAL_ACTIVATOR__;
    vi.resetModules();
  });

  it('parses a whole policy document inside a workflow with zod frozen as the SDK freezes preloaded modules', async () => {
    const outside = await import('../../domain/policy.js');
    const document = JSON.parse(JSON.stringify(outside.defaultPolicy)) as unknown;
    // The worker's start: the preloaded module completes zod's config, then the SDK freezes it all.
    await import('../../workflows/shared-modules.js');
    for (const r of Object.values(regexes)) if (r instanceof RegExp) Object.freeze(r);
    Object.freeze((globalThis as { __zod_globalConfig?: object }).__zod_globalConfig);
    // The freeze bites: a format on a shared expression cannot run in a workflow.
    expect(() => classic.iso.date().parse('2027-01-04')).toThrow(/lastIndex/);

    vi.resetModules();
    (globalThis as { __TEMPORAL_ACTIVATOR__?: unknown }).__TEMPORAL_ACTIVATOR__ = {};
    const inside = await import('../../domain/policy.js');
    expect(inside.parsePolicy(document)).toEqual({ ok: true, policy: document });
    expect(inside.parsePolicy({})).toEqual({ ok: true, policy: document });
  });
});
