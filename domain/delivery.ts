/**
 * The delivery model of the outbox (issue 15), pure: what one attempt's outcome means for the
 * delivery (done, retry after a wait, dead letter) and for its connector's circuit breaker.
 * The delivery workflow interprets it; activities/deliveries.ts makes the calls.
 */
import type { Policy } from './policy.js';

export type DeliveryPolicy = Policy['integrations'];

/**
 * What one attempt came to. `messageFault`: a retryable failure of this message only (e.g. closing a
 * ticket whose create has not landed yet), which does not count against the connector's breaker.
 * `deferred`: the connector's breaker is open, so no call was made (no attempt spent). */
export type AttemptOutcome =
  | { outcome: 'delivered'; status?: number }
  | { outcome: 'failed'; status?: number; error: string; retryAfterSeconds?: number; permanent?: boolean; messageFault?: boolean }
  | { outcome: 'deferred'; retryInMs: number }
  | { outcome: 'gone' };

export type NextStep = { step: 'done' } | { step: 'retry'; delayMs: number } | { step: 'dead'; reason: string };

/**
 * After attempt number `attempts` (1-based, deferrals not counted): exponential backoff from
 * retryInitialSeconds, capped at retryMaxSeconds, but never sooner than the receiver's Retry-After
 * (honoured up to retryAfterMaxSeconds); dead after deliveryMaxAttempts or a permanent refusal.
 */
export function nextStep(p: DeliveryPolicy, attempts: number, o: AttemptOutcome): NextStep {
  if (o.outcome === 'delivered' || o.outcome === 'gone') return { step: 'done' };
  if (o.outcome === 'deferred') return { step: 'retry', delayMs: Math.max(0, o.retryInMs) };
  if (o.permanent) return { step: 'dead', reason: `refused by the receiver: ${o.error}` };
  if (attempts >= p.deliveryMaxAttempts) return { step: 'dead', reason: `${attempts} attempts failed; last: ${o.error}` };
  const backoff = Math.min(p.retryMaxSeconds, p.retryInitialSeconds * p.retryBackoffCoefficient ** (attempts - 1));
  const retryAfter = o.retryAfterSeconds === undefined ? 0 : Math.min(o.retryAfterSeconds, p.retryAfterMaxSeconds);
  return { step: 'retry', delayMs: Math.round(Math.max(backoff, retryAfter) * 1000) };
}

/**
 * How an HTTP answer classifies (Standard Webhooks: any 2xx is success). 408, 409, 425, 429 and
 * 5xx are worth retrying; another 4xx means the receiver refuses this message, and repeating it
 * would not change that, so it is dead-lettered at once.
 */
export function classifyStatus(status: number): 'delivered' | 'retry' | 'permanent' {
  if (status >= 200 && status < 300) return 'delivered';
  if (status >= 500 || [408, 409, 425, 429].includes(status)) return 'retry';
  return 'permanent';
}

/** RFC 9110 §10.2.3 Retry-After: delay-seconds or an HTTP-date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

export interface BreakerState {
  consecutiveFailures: number;
  openUntil: string | null;
}

/** Whether a call may go to the connector now; if not, how long until the probe. */
export function breakerAllows(b: BreakerState | undefined, nowMs: number): { allowed: true } | { allowed: false; retryInMs: number } {
  if (!b?.openUntil) return { allowed: true };
  const until = Date.parse(b.openUntil);
  return until > nowMs ? { allowed: false, retryInMs: until - nowMs } : { allowed: true };
}

/** The breaker after a call: a success closes it; the threshold-th consecutive failure (or a failed probe) opens it. */
export function breakerAfter(p: DeliveryPolicy, b: BreakerState | undefined, succeeded: boolean, nowMs: number): BreakerState {
  if (succeeded) return { consecutiveFailures: 0, openUntil: null };
  const failures = (b?.consecutiveFailures ?? 0) + 1;
  return failures >= p.breakerFailureThreshold
    ? { consecutiveFailures: failures, openUntil: new Date(nowMs + p.breakerOpenSeconds * 1000).toISOString() }
    : { consecutiveFailures: failures, openUntil: null };
}
