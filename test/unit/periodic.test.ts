import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { everyWithoutOverlap } from '../../runtime/periodic.js';

/**
 * The outbox dispatcher's schedule (runtime/processes.ts startWorkflowStartDispatcher): a pass that
 * outlasts the interval is never joined by a second one racing it for the same outbox rows.
 */
describe('everyWithoutOverlap', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('runs at once and every interval, and skips the ticks that come while a pass is in flight', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let passes = 0;
    const releases: (() => void)[] = [];
    const stop = everyWithoutOverlap(() => {
      passes++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise<void>((resolve) => releases.push(() => { inFlight--; resolve(); }));
    }, 100);
    expect(passes).toBe(1);
    // The first pass takes 1 s: the nine ticks meanwhile start nothing.
    await vi.advanceTimersByTimeAsync(950);
    expect(passes).toBe(1);
    releases.shift()!();
    await vi.advanceTimersByTimeAsync(100);
    expect(passes).toBe(2);
    expect(maxInFlight).toBe(1);

    releases.shift()!();
    await stop();
    await vi.advanceTimersByTimeAsync(500);
    expect(passes).toBe(2);
  });

  it('keeps going after a pass that fails, and stop waits for the pass in flight', async () => {
    let passes = 0;
    let release: (() => void) | undefined;
    const stop = everyWithoutOverlap(() => {
      passes++;
      if (passes === 1) return Promise.reject(new Error('database down'));
      return new Promise<void>((resolve) => { release = resolve; });
    }, 100);
    await vi.advanceTimersByTimeAsync(100);
    expect(passes).toBe(2);
    let stopped = false;
    const stopping = stop().then(() => { stopped = true; });
    await vi.advanceTimersByTimeAsync(300);
    expect(stopped).toBe(false);
    expect(passes).toBe(2);
    release!();
    await stopping;
    expect(stopped).toBe(true);
  });
});
