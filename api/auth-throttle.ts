import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/**
 * Failed authentication is rate limited per client address: after `maxFailures` wrong or
 * malformed credentials within one window the address gets 429 (with Retry-After) on every
 * authenticated request until the window ends — also with a right key, so guessing learns
 * nothing. A missing Authorization header is not a guess and is not counted. Counts live in this
 * process (each API process limits on its own).
 */
export interface AuthThrottle {
  /** Seconds until the address may try again, or undefined when it may try now. */
  blockedFor(c: Context): number | undefined;
  recordFailure(c: Context): void;
}

/** Bounds the memory a flood of distinct addresses can take; the oldest windows go first. */
const MAX_TRACKED_ADDRESSES = 10_000;

export function createAuthThrottle(maxFailures: number, windowMs = 60_000, now = () => Date.now()): AuthThrottle {
  const windows = new Map<string, { startedAt: number; failures: number }>();
  const current = (address: string) => {
    const w = windows.get(address);
    if (w && now() - w.startedAt < windowMs) return w;
    if (w) windows.delete(address);
    return undefined;
  };
  return {
    blockedFor(c) {
      const w = current(addressOf(c));
      if (!w || w.failures < maxFailures) return undefined;
      return Math.max(1, Math.ceil((w.startedAt + windowMs - now()) / 1000));
    },
    recordFailure(c) {
      const address = addressOf(c);
      const w = current(address);
      if (w) {
        w.failures++;
        return;
      }
      if (windows.size >= MAX_TRACKED_ADDRESSES) windows.delete(windows.keys().next().value!);
      windows.set(address, { startedAt: now(), failures: 1 });
    },
  };
}

/** The peer's address; requests made in-process (tests, `app.request`) share one bucket. */
function addressOf(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'in-process';
  }
}
