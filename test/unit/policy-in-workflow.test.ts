import { afterEach, describe, expect, it, vi } from 'vitest';

/**
 * domain/policy.ts is evaluated again for every workflow a worker runs (a reused V8 context gives each
 * workflow its own modules), so inside a workflow it builds only what workflows use (issue 19): the
 * defaults are not parsed there and a read of them fails loudly; parsing a carried document still fills
 * every default, and the strict mirrors (built on first use) still refuse what they refused.
 */
describe('the policy module inside a workflow', () => {
  afterEach(() => {
    delete (globalThis as { __TEMPORAL_ACTIVATOR__?: unknown }).__TEMPORAL_ACTIVATOR__;
    vi.resetModules();
  });

  const load = async (inWorkflow: boolean) => {
    vi.resetModules();
    if (inWorkflow) (globalThis as { __TEMPORAL_ACTIVATOR__?: unknown }).__TEMPORAL_ACTIVATOR__ = {}; // what the SDK sets before it imports the workflow modules
    return import('../../domain/policy.js');
  };

  it('does not parse the defaults, and says so when they are read', async () => {
    const policy = await load(true);
    expect(() => policy.defaultPolicy.cadence).toThrow('defaultPolicy.cadence read inside a workflow: workflows use the policy document their input carries');
  });

  it('parses a carried document to the same result as outside a workflow, and refuses the same overrides', async () => {
    const outside = await load(false);
    const document = outside.defaultPolicy;
    const inside = await load(true);
    const parsed = inside.parsePolicy(JSON.parse(JSON.stringify(document)));
    expect(parsed).toEqual({ ok: true, policy: document });
    expect(inside.parsePolicy({})).toEqual({ ok: true, policy: document });
    expect(inside.applyClientOverrides(document as never, { onboarding: { kickoffBusinessDays: 7 } })).toMatchObject({ ok: true, policy: { onboarding: { kickoffBusinessDays: 7 } } });
    expect(inside.applyClientOverrides(document as never, { segmentation: {} })).toMatchObject({ ok: false, issues: [{ path: 'segmentation', message: "'segmentation' is an MSP-wide setting and cannot be overridden per client" }] });
  });
});
