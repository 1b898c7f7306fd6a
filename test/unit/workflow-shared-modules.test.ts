import vm from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { regexes } from 'zod/v4/core';
import { z as classic } from 'zod';
import { workflowBundle } from '../support/temporal.js';

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

  it('shares no policy module and no workflow module: the SDK would freeze their zod schemas and bind workflows to the first one', async () => {
    const { code } = await workflowBundle();
    const modules = new Map<PropertyKey, unknown>();
    const context = vm.createContext({ console, TextEncoder, TextDecoder, URL, URLSearchParams, AbortController, setTimeout, clearTimeout, queueMicrotask });
    Object.defineProperty(context, '__webpack_module_cache__', { value: new Proxy({}, { get: (_, p) => modules.get(p), set: (_, p, v) => (modules.set(p, v), true) }) });
    vm.runInContext(code, context);
    const runtime = new Set(modules.keys());
    vm.runInContext('__TEMPORAL__.preloadModules()', context); // what the SDK loads into the shared cache before any workflow
    const preloaded = [...modules.keys()].filter((k) => !runtime.has(k)).map(String);
    expect(preloaded).toEqual(expect.arrayContaining(['./workflows/shared-modules.ts', './domain/cta-titles.ts', './domain/onboarding.ts']));
    expect(preloaded.some((k) => k.includes('node_modules/zod/'))).toBe(true);
    expect(preloaded.some((k) => k.includes('node_modules/luxon/'))).toBe(true);
    expect(preloaded.filter((k) => /^\.\/domain\/(policy|policy-current|cadence|cadence-plan|planning-cycle)[./]/.test(k))).toEqual([]);
    expect(preloaded.filter((k) => k.startsWith('./workflows/') && k !== './workflows/shared-modules.ts')).toEqual([]);
  });
});
