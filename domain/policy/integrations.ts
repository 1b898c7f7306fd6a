/**
 * Policy area: delivery of externally visible effects (issue 15; DESIGN.md "outbox delivery, per
 * connector"). How often and how long Baton retries a delivery before it is dead-lettered, how a
 * connector's circuit breaker trips, and how old an inbound signed message may be. Pure (imported
 * from workflow code).
 */
import { z } from 'zod';
import { group, hours, int, issue, minutes, time } from './vocabulary.js';

const seconds = (def: number, d: string) => z.number().min(0).max(604_800).default(def).describe(d);

export const integrations = () => group(
  {
    deliveryMaxAttempts: int().min(1).max(100).default(8).describe('Attempts of one delivery (webhook, email) before it is dead-lettered (§Processes of DESIGN.md: outbox delivery; issue 15)'),
    retryInitialSeconds: seconds(10, 'Wait before the second attempt of a failed delivery; each further wait is multiplied by retryBackoffCoefficient (§Processes of DESIGN.md: outbox delivery; issue 15)'),
    retryBackoffCoefficient: z.number().min(1).max(10).default(2).describe('Exponential backoff factor between delivery attempts (§Processes of DESIGN.md: outbox delivery; issue 15)'),
    retryMaxSeconds: seconds(3_600, 'Longest wait between two delivery attempts, Retry-After aside (§Processes of DESIGN.md: outbox delivery; issue 15)'),
    retryAfterMaxSeconds: seconds(86_400, 'A receiver\'s Retry-After (429/503) is honoured up to this long (§Processes of DESIGN.md: outbox delivery; issue 15)'),
    requestTimeoutSeconds: z.number().min(1).max(120).default(10).describe('A receiver that has not answered within this has failed the attempt (§Processes of DESIGN.md: outbox delivery; issue 15)'),
    breakerFailureThreshold: int().min(1).max(1000).default(5).describe('Consecutive failed calls to one connector that open its circuit breaker (§Processes of DESIGN.md: outbox delivery; issue 15)'),
    breakerOpenSeconds: seconds(60, 'While a breaker is open no call is made to that connector; after this one probe is let through (§Processes of DESIGN.md: outbox delivery; issue 15)'),
    importMaxRows: int().min(1).max(100_000).default(2_000).describe('Client rows one CSV import may hold; more is a 422 asking to split the file (§Processes of DESIGN.md; issue 15: getting clients in)'),
    importMaxBytes: int().min(1_024).max(50_000_000).default(250_000).describe('Largest CSV one import may send, in bytes (UTF-8); more is a 413. The API body limit (BATON_API_MAX_BODY_BYTES) applies first (§Processes of DESIGN.md; issue 15: getting clients in)'),
    dueSoonHours: hours(24, 'A CTA owner gets one "due soon" email when the CTA\'s due instant is this close and it is not done (no DOMAIN rule: issue 15 email; C-5 names the clock)'),
    digestLocalTime: time('07:00', 'Each person\'s daily digest of open, overdue and due-soon CTAs is sent from this local time in governance.timeZone, once per day (issue 15 email; R-125 names the MSP zone)'),
    notificationSweepMinutes: minutes(15, 'How often the notification schedule looks for due-soon CTAs and digests to send; applied to the Temporal Schedule when the worker starts (§Processes of DESIGN.md: outbox delivery; issue 15 email)'),
    pollIntervalSeconds: z.number().min(1).max(86_400).default(300).describe('How often a connector\'s poller asks the vendor for changes it sends no webhook for (Autotask company to-dos completed → CTA completed); read at each poll (§Processes of DESIGN.md: outbox delivery; issue 15: a durable poller per connector)'),
    msgraphSubscriptionMinutes: z.number().min(0.05).max(10_080).default(10_000).describe('Lifetime Baton asks for a Microsoft Graph change-notification subscription on calendar events; Graph allows at most 10 080 minutes (under 7 days) for Outlook events (§Processes of DESIGN.md: outbox delivery; issue 15 Microsoft Graph calendar)'),
    msgraphRenewalMarginMinutes: z.number().min(0.01).max(5_000).default(720).describe('A Microsoft Graph subscription is renewed this long before it expires, so a failed renewal has time to be retried (§Processes of DESIGN.md: outbox delivery; issue 15 Microsoft Graph calendar)'),
    inboundToleranceSeconds: seconds(300, 'An inbound signed webhook whose webhook-timestamp is further than this from now is refused as a replay (C-6; Standard Webhooks)'),
  },
  'Delivery of notifications and webhooks: retries, dead letter, circuit breaker (§Processes of DESIGN.md: outbox delivery; issue 15)',
).superRefine((p, ctx) => {
  if (p.retryMaxSeconds < p.retryInitialSeconds) issue(ctx, ['retryMaxSeconds'], 'must be at least retryInitialSeconds');
  if (p.msgraphRenewalMarginMinutes >= p.msgraphSubscriptionMinutes) issue(ctx, ['msgraphRenewalMarginMinutes'], 'must be shorter than msgraphSubscriptionMinutes');
  if (p.notificationSweepMinutes < 1 || p.notificationSweepMinutes > 1_440) issue(ctx, ['notificationSweepMinutes'], 'must be 1–1440 minutes');
});
