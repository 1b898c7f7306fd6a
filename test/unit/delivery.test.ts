import { describe, expect, it } from 'vitest';
import { breakerAfter, breakerAllows, classifyStatus, nextStep, parseRetryAfter, type DeliveryPolicy } from '../../domain/delivery.js';
import { defaultPolicy, parsePolicy } from '../../domain/policy.js';
import { renderCtaEmail } from '../../domain/email.js';
import { IntegrationKeyMissingError, integrationKey, seal, unseal } from '../../runtime/secret-box.js';

/** The outbox's delivery model (issue 15): backoff, Retry-After, dead letter, circuit breaker. */
const p: DeliveryPolicy = defaultPolicy.integrations;
const failed = (extra: Record<string, unknown> = {}) => ({ outcome: 'failed' as const, error: 'HTTP 500', status: 500, ...extra });

describe('nextStep', () => {
  it('is done once delivered', () => {
    expect(nextStep(p, 1, { outcome: 'delivered', status: 204 })).toEqual({ step: 'done' });
  });
  it('backs off exponentially from retryInitialSeconds, capped at retryMaxSeconds', () => {
    expect([1, 2, 3, 4].map((n) => nextStep(p, n, failed()))).toEqual([10_000, 20_000, 40_000, 80_000].map((delayMs) => ({ step: 'retry', delayMs })));
    expect(nextStep({ ...p, deliveryMaxAttempts: 50 }, 20, failed())).toEqual({ step: 'retry', delayMs: p.retryMaxSeconds * 1000 });
  });
  it('waits at least what Retry-After asks, up to retryAfterMaxSeconds', () => {
    expect(nextStep(p, 1, failed({ status: 429, retryAfterSeconds: 120 }))).toEqual({ step: 'retry', delayMs: 120_000 });
    expect(nextStep(p, 1, failed({ status: 429, retryAfterSeconds: 1 }))).toEqual({ step: 'retry', delayMs: 10_000 });
    expect(nextStep(p, 1, failed({ status: 503, retryAfterSeconds: 10 ** 7 }))).toEqual({ step: 'retry', delayMs: p.retryAfterMaxSeconds * 1000 });
  });
  it('dead-letters after deliveryMaxAttempts, and at once on a permanent refusal', () => {
    expect(nextStep(p, p.deliveryMaxAttempts - 1, failed()).step).toBe('retry');
    expect(nextStep(p, p.deliveryMaxAttempts, failed())).toEqual({ step: 'dead', reason: `${p.deliveryMaxAttempts} attempts failed; last: HTTP 500` });
    expect(nextStep(p, 1, failed({ status: 400, error: 'HTTP 400', permanent: true }))).toEqual({ step: 'dead', reason: 'refused by the receiver: HTTP 400' });
  });
  it('spends no attempt while the breaker is open: it waits for the probe', () => {
    expect(nextStep(p, p.deliveryMaxAttempts, { outcome: 'deferred', retryInMs: 4_000 })).toEqual({ step: 'retry', delayMs: 4_000 });
  });
});

describe('classifyStatus and Retry-After', () => {
  it('retries 408, 409, 425, 429 and 5xx; refuses other 4xx and 3xx for good', () => {
    expect([200, 204, 299].map(classifyStatus)).toEqual(['delivered', 'delivered', 'delivered']);
    expect([408, 409, 425, 429, 500, 503].map(classifyStatus)).toEqual(Array(6).fill('retry'));
    expect([301, 400, 401, 404, 410, 422].map(classifyStatus)).toEqual(Array(6).fill('permanent'));
  });
  it('reads delay-seconds and HTTP-dates (RFC 9110 §10.2.3)', () => {
    const now = Date.parse('2026-12-04T10:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('Fri, 04 Dec 2026 10:01:30 GMT', now)).toBe(90);
    expect(parseRetryAfter('Fri, 04 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('circuit breaker', () => {
  const now = Date.parse('2026-12-04T10:00:00Z');
  it('opens on the threshold-th consecutive failure for breakerOpenSeconds, then lets a probe through', () => {
    let b = undefined as ReturnType<typeof breakerAfter> | undefined;
    for (let i = 1; i < p.breakerFailureThreshold; i++) {
      b = breakerAfter(p, b, false, now);
      expect(breakerAllows(b, now)).toEqual({ allowed: true });
    }
    b = breakerAfter(p, b, false, now);
    expect(breakerAllows(b, now)).toEqual({ allowed: false, retryInMs: p.breakerOpenSeconds * 1000 });
    expect(breakerAllows(b, now + p.breakerOpenSeconds * 1000)).toEqual({ allowed: true });
    // A failed probe opens it again at once; a success closes it.
    const probeAt = now + p.breakerOpenSeconds * 1000;
    expect(breakerAllows(breakerAfter(p, b, false, probeAt), probeAt).allowed).toBe(false);
    expect(breakerAfter(p, b, true, probeAt)).toEqual({ consecutiveFailures: 0, openUntil: null });
  });
});

describe('integrations policy', () => {
  it('fills defaults for documents older than the area, and refuses a max wait below the first', () => {
    expect(parsePolicy({}).ok && defaultPolicy.integrations.deliveryMaxAttempts).toBe(8);
    const r = parsePolicy({ integrations: { retryInitialSeconds: 60, retryMaxSeconds: 30 } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues).toEqual([{ path: 'integrations.retryMaxSeconds', message: 'must be at least retryInitialSeconds' }]);
  });
});

describe('secret box', () => {
  const key = Buffer.alloc(32, 9);
  it('seals with AES-256-GCM bound to its row, and opens only with the same key and row', () => {
    const sealed = seal('whsec_abc', 'sub-1', key);
    expect(sealed).not.toContain('whsec_abc');
    expect(seal('whsec_abc', 'sub-1', key)).not.toBe(sealed); // a fresh IV each time
    expect(unseal(sealed, 'sub-1', key)).toBe('whsec_abc');
    expect(() => unseal(sealed, 'sub-2', key)).toThrow();
    expect(() => unseal(sealed, 'sub-1', Buffer.alloc(32, 1))).toThrow();
  });
  it('names the missing or malformed environment key', () => {
    expect(() => integrationKey({})).toThrow(IntegrationKeyMissingError);
    expect(() => integrationKey({ BATON_INTEGRATION_KEY: Buffer.alloc(16).toString('base64') })).toThrow(/must be 32 bytes/);
    expect(integrationKey({ BATON_INTEGRATION_KEY: key.toString('base64') })).toEqual(key);
  });
});

describe('CTA email', () => {
  const base = { to: 'a@msp.example', toName: 'Ann <Ops>', ctaId: 'c1', title: 'Fix <b>MFA</b> & SSO', clientName: 'O\'Neil & Co', dueAt: '2026-12-10T17:00:00.000Z', firstActionDueAt: '2026-12-07T10:00:00.000Z' };
  it('says opened or escalated, in text and escaped HTML', () => {
    const opened = renderCtaEmail({ ...base, kind: 'cta.opened' });
    expect(opened.subject).toBe('New CTA for O\'Neil & Co: Fix <b>MFA</b> & SSO');
    expect(opened.text).toContain('  Fix <b>MFA</b> & SSO\n');
    expect(opened.html).toContain('<h2>Fix &lt;b&gt;MFA&lt;/b&gt; &amp; SSO</h2>');
    expect(opened.html).toContain('Hello Ann &lt;Ops&gt;,');
    expect(opened.html).not.toContain('<b>MFA');
    const escalated = renderCtaEmail({ ...base, kind: 'cta.escalated', level: 'csLead', reason: 'no first action by 2026-12-07T10:00:00.000Z' });
    expect(escalated.subject).toBe('Escalated to you — O\'Neil & Co: Fix <b>MFA</b> & SSO');
    expect(escalated.text).toContain('escalated to you (csLead)');
    expect(escalated.text).toContain('Why: no first action by 2026-12-07T10:00:00.000Z');
  });
});
