import { Webhook } from 'standardwebhooks';
import type { Db } from '../db/client.js';
import { getDelivery, getSubscription, readBreaker, recordAttempt, writeBreaker, type DeliveryRow } from '../db/deliveries.js';
import { appendEvent } from '../db/ledger.js';
import { activePolicy } from '../db/policies.js';
import { breakerAfter, breakerAllows, classifyStatus, nextStep, parseRetryAfter, type AttemptOutcome, type DeliveryPolicy, type NextStep } from '../domain/delivery.js';
import { policySchema } from '../domain/policy.js';
import { unseal } from '../runtime/secret-box.js';
import { mailer } from '../runtime/mailer.js';
import type { PsaDelivery } from '../db/connectors.js';
import { deliverToPsa } from './psa.js';
import type { CalendarDelivery } from '../db/msgraph.js';
import { deliverToGraph } from './msgraph.js';
import { CATEGORY_LABELS, categoryOf, renderCtaEmail, renderDigestEmail, type CtaEmail, type DigestEmail } from '../domain/email.js';
import { unsubscribeUrl } from '../runtime/unsubscribe.js';

/** Who Baton says it is to a receiver. */
const USER_AGENT = 'Baton-Webhooks/1 (+https://www.standardwebhooks.com/)';

/**
 * The outbox's delivery activities (issue 15). One attempt makes at most one call and records
 * its outcome, the connector's breaker and, once final, the timeline event in one transaction.
 */
export function deliveryActivities({ db }: { db: Db }) {
  return {
    /** The policy this delivery runs under (filled with defaults for documents older than the area) and whether it is still to be made. */
    async prepareDelivery(deliveryId: string): Promise<{ pending: boolean; policy: DeliveryPolicy }> {
      const row = await getDelivery(db, deliveryId);
      const stored = await activePolicy(db);
      const policy = policySchema().shape.integrations.parse((stored.document as { integrations?: unknown }).integrations ?? {});
      return { pending: !!row && (row.state === 'pending' || row.state === 'retrying'), policy };
    },

    /** One attempt: call the receiver unless the connector's breaker is open, record what came of it, answer the next step. */
    async attemptDelivery(deliveryId: string, policy: DeliveryPolicy): Promise<NextStep> {
      const row = await getDelivery(db, deliveryId);
      if (!row || row.state === 'delivered' || row.state === 'dead') return { step: 'done' };
      const now = Date.now();
      const gate = breakerAllows(await readBreaker(db, row.connector), now);
      if (!gate.allowed) {
        const step = nextStep(policy, row.attempts, { outcome: 'deferred', retryInMs: gate.retryInMs });
        await recordAttempt(db, deliveryId, { state: 'retrying', countAttempt: false, nextAttemptAt: new Date(now + gate.retryInMs).toISOString(), error: `${row.connector}: circuit breaker open`, at: new Date(now).toISOString() });
        return step;
      }
      const outcome = await callReceiver(db, row, policy);
      const attempts = row.attempts + 1;
      const step = nextStep(policy, attempts, outcome);
      const at = new Date().toISOString();
      await db.transaction(async (t) => {
        const tx = t as unknown as Db;
        // The breaker counts calls that reached (or failed to reach) the connector, not refusals of one message.
        const connectorFailed = outcome.outcome === 'failed' && !outcome.permanent && !outcome.messageFault;
        await writeBreaker(tx, row.connector, breakerAfter(policy, await readBreaker(tx, row.connector), !connectorFailed, Date.now()), connectorFailed ? outcome.error : null);
        const status = 'status' in outcome ? outcome.status : undefined;
        const error = outcome.outcome === 'failed' ? outcome.error : undefined;
        if (step.step === 'retry') {
          await recordAttempt(tx, deliveryId, { state: 'retrying', countAttempt: true, status, error, nextAttemptAt: new Date(Date.now() + step.delayMs).toISOString(), at });
          return;
        }
        const final = await recordAttempt(tx, deliveryId, { state: step.step === 'done' ? 'delivered' : 'dead', countAttempt: true, status, error, at });
        if (!final) return; // a concurrent attempt finished it first; its event stands
        const base = { deliveryId, channel: row.channel as 'webhook' | 'email' | 'psa' | 'calendar', connector: row.connector, eventId: row.eventId, eventType: row.eventType, attempts: final.attempts };
        await appendEvent(tx, step.step === 'done'
          ? { id: `delivery/${deliveryId}/delivered`, occurredAt: at, clientId: row.clientId, process: 'integrations', workflowId: `delivery/${deliveryId}`, type: 'delivery.delivered', ruleId: null, actor: { kind: 'system' }, why: { rule: 'issue 15: outbox delivery' }, data: { ...base, ...(status !== undefined ? { status } : {}) } }
          : { id: `delivery/${deliveryId}/dead`, occurredAt: at, clientId: row.clientId, process: 'integrations', workflowId: `delivery/${deliveryId}`, type: 'delivery.dead_lettered', ruleId: null, actor: { kind: 'system' }, why: { maxAttempts: policy.deliveryMaxAttempts }, data: { ...base, reason: step.reason.slice(0, 500) } });
      });
      return step;
    },
  };
}

/**
 * One signed POST (Standard Webhooks, https://www.standardwebhooks.com/): `webhook-id` is the
 * delivery id, the same on every attempt, so a receiver de-duplicates a retry; the timestamp and
 * signature are of this attempt. Redirects are not followed (a 3xx refuses the message).
 */
async function callReceiver(db: Db, row: DeliveryRow, policy: DeliveryPolicy): Promise<AttemptOutcome> {
  if (row.channel === 'email') return sendEmail(row);
  if (row.channel === 'psa') return deliverToPsa(db, row.id, row.payload as unknown as PsaDelivery, policy);
  if (row.channel === 'calendar') return deliverToGraph(db, row.payload as unknown as CalendarDelivery, policy);
  const sub = row.subscriptionId ? await getSubscription(db, row.subscriptionId) : undefined;
  if (!sub) return { outcome: 'failed', permanent: true, error: 'the subscription no longer exists' };
  let signer: Webhook;
  try {
    signer = new Webhook(unseal(sub.secretSealed, sub.id));
  } catch (err) {
    // A missing or wrong integration key is the operator's to fix; the attempt fails without a call (retried by policy).
    return { outcome: 'failed', error: `the subscription's secret cannot be opened: ${(err as Error).message}` };
  }
  const body = JSON.stringify(row.payload);
  const sentAt = new Date();
  try {
    const res = await fetch(sub.url, {
      method: 'POST', redirect: 'manual', signal: AbortSignal.timeout(policy.requestTimeoutSeconds * 1000), body,
      headers: {
        'content-type': 'application/json', 'user-agent': USER_AGENT,
        'webhook-id': row.id, 'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)), 'webhook-signature': signer.sign(row.id, sentAt, body),
      },
    });
    await res.body?.cancel().catch(() => {}); // the answer's body is not read: only its status counts
    const verdict = classifyStatus(res.status);
    if (verdict === 'delivered') return { outcome: 'delivered', status: res.status };
    const retryAfterSeconds = parseRetryAfter(res.headers.get('retry-after'), Date.now());
    return { outcome: 'failed', status: res.status, error: `HTTP ${res.status}`, permanent: verdict === 'permanent', ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { outcome: 'failed', error: e.name === 'TimeoutError' ? `no answer within ${policy.requestTimeoutSeconds} s` : `${e.cause?.code ?? e.name}: ${e.message}`.slice(0, 500) };
  }
}

/**
 * One email over SMTP (nodemailer). The Message-ID derives from the delivery id, the same on every
 * attempt, so a mail client shows a message retried after a lost acknowledgement once. A 4xx SMTP
 * reply or a connection failure is retried; a 5xx reply (e.g. 550 no such mailbox) is permanent.
 */
async function sendEmail(row: DeliveryRow): Promise<AttemptOutcome> {
  const mail = mailer();
  if (!mail) return { outcome: 'failed', error: 'SMTP is not configured (BATON_SMTP_URL, BATON_MAIL_FROM)' };
  const m = row.payload as unknown as CtaEmail | DigestEmail;
  // RFC 8058 one-click unsubscribe from this category (List-Unsubscribe + List-Unsubscribe-Post), when the API has a public address.
  let unsubscribe: string | undefined;
  try {
    unsubscribe = m.personId ? unsubscribeUrl(mail.publicUrl, m.personId, categoryOf(m.kind)) : undefined;
  } catch {
    unsubscribe = undefined; // no integration key: the footer points to the preferences instead
  }
  const { subject, text, html } = m.kind === 'digest' ? renderDigestEmail(m, unsubscribe) : renderCtaEmail(m, unsubscribe);
  try {
    await mail.transport.sendMail({
      from: mail.from, to: { name: m.toName, address: m.to }, subject, text, html, messageId: `<${row.id}@baton>`,
      headers: { 'X-Baton-Delivery': row.id, ...(unsubscribe ? { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } : {}) },
      ...(unsubscribe ? { list: { unsubscribe: { url: unsubscribe, comment: `Unsubscribe from ${CATEGORY_LABELS[categoryOf(m.kind)]}` } } } : {}),
    });
    return { outcome: 'delivered' };
  } catch (err) {
    const e = err as Error & { responseCode?: number; code?: string };
    const error = `${e.responseCode ? `SMTP ${e.responseCode}` : (e.code ?? e.name)}: ${e.message}`.slice(0, 500);
    return { outcome: 'failed', error, ...(e.responseCode ? { status: e.responseCode } : {}), permanent: !!e.responseCode && e.responseCode >= 500 };
  }
}
