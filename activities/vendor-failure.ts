/**
 * How every connector turns a vendor's error answer into a delivery outcome (issue 15). Each vendor
 * module reads its own error body and names the call; the verdict is shared: 401/403 are the
 * connector's credentials or permissions (retried, so the breaker opens and deliveries queue until an
 * admin fixes the connector), 429/5xx retry honouring Retry-After, another 4xx refuses this message
 * (dead at once). The message (never the request headers) is kept for the connector's status.
 */
import { classifyStatus, parseRetryAfter, type AttemptOutcome } from '../domain/delivery.js';

export type FailedAttempt = AttemptOutcome & { outcome: 'failed' };

/** Thrown inside a vendor call to end the attempt with this outcome. */
export class VendorError extends Error {
  constructor(readonly outcome: FailedAttempt) {
    super(outcome.error);
  }
}

/** `vendor` names it in the message ("ConnectWise"), `refused` what a 401/403 refused ("credentials", "access token"). */
export function vendorFailure(vendor: string, refused: string, where: string, res: Response, detail: string): FailedAttempt {
  const retryAfterSeconds = parseRetryAfter(res.headers.get('retry-after'), Date.now());
  const base = { outcome: 'failed' as const, status: res.status, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
  if (res.status === 401 || res.status === 403) return { ...base, error: `${vendor} refused the connector's ${refused} (${res.status}) on ${where}: ${detail}`.slice(0, 500) };
  return { ...base, error: `${vendor} ${res.status} on ${where}: ${detail}`.slice(0, 500), permanent: classifyStatus(res.status) === 'permanent' };
}
