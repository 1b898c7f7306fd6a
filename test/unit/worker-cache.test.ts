import { describe, expect, it } from 'vitest';
import { CACHED_WORKFLOW_MIB, defaultMaxCachedWorkflows } from '../../worker.js';

describe("the worker's default workflow cache (issue 19: a 100-client rehearsal ran out of heap on the SDK's default)", () => {
  it('holds what fits the heap at about 3 MiB a Baton workflow, leaving 512 MB for the rest', () => {
    expect(CACHED_WORKFLOW_MIB).toBe(3);
    expect(defaultMaxCachedWorkflows(4096 * 2 ** 20)).toBe(1194);
    expect(defaultMaxCachedWorkflows(16 * 2 ** 30)).toBe(5290);
    // The SDK's own default for a 4 GB heap is 2,282 workflows, sized at 1.7 MB each: too tight for a
    // cadence's state and the garbage a busy workflow thread runs ahead with.
    expect(Math.floor(((4096 - 200) * 600) / 1024)).toBe(2282);
  });

  it('never goes below 20, however small the heap', () => {
    expect(defaultMaxCachedWorkflows(256 * 2 ** 20)).toBe(20);
  });
});
