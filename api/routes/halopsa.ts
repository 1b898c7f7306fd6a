import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Db } from '../../db/client.js';
import { inboundEventSeen, claimInboundEvent, connectorKey, findLinkByVendorId, getConnector, openCredentials } from '../../db/connectors.js';
import { completeCta, recordFirstAction } from '../../db/ctas.js';
import { meetings, type Actor } from '../../db/schema.js';
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Context } from 'hono';
import { appointmentReport, haloPsaCredentials, haloPsaSettings, haloWebhookPayload, ticketIdOf, webhookAuthenticates, webhookEventKey, webhookReport, type AppointmentReport, type HaloPsaSettings, type HaloWebhookItem } from '../../domain/halopsa.js';
import { notifyCtaClocks } from '../../runtime/processes.js';
import { reportVendorMeeting, type VendorMeetingReport } from '../../runtime/vendor-meeting-reports.js';
import { currentTime, type ApiEnv } from '../context.js';
import { ProblemError } from '../problem.js';
import { Id, text } from '../schemas.js';

/** The API's view of HaloPSA settings (POST/PATCH /v1/connectors with `type: "halopsa"`). */
export const HaloPsaSettingsSchema = haloPsaSettings.extend({
  authServer: z.string().max(500).regex(/^https?:\/\/\S+$/, 'must be an http or https URL').url().optional()
    .openapi({ format: 'uri', example: 'https://msp.halopsa.com', description: 'The Authorisation Server when it is not the instance (token endpoint `<authServer>/auth/token`)' }),
  tenant: z.string().min(1).max(100).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash or underscore').optional().openapi({ description: 'Tenant name of a HaloPSA-hosted instance (`?tenant=` on the token endpoint)' }),
  scope: text(1, 200).default('all'),
}).openapi('HaloPsaSettings');

export const HaloPsaCredentialsSchema = z.strictObject({
  clientId: text(1, 200), clientSecret: text(1, 500),
  webhook: z.union([
    z.strictObject({ username: text(1, 200), password: text(12, 500) }).openapi({ description: 'HaloPSA webhook authentication "Basic": the username and password set on the webhook' }),
    z.strictObject({ header: z.string().min(1).max(100).regex(/^[A-Za-z0-9-]+$/), secret: text(16, 500) }).openapi({ description: 'A header HaloPSA\'s webhook sends (e.g. `X-Baton-Secret`) and its secret value' }),
  ]),
}).openapi('HaloPsaCredentials', { description: 'The API application\'s client id and secret and the webhook\'s credentials; sealed at rest under BATON_INTEGRATION_KEY, never returned or logged' });

const unauthorized = (detail: string) => new ProblemError(401, 'unauthorized', 'Webhook not authenticated', detail);

/**
 * POST /inbound/halopsa/{connectorId}: a HaloPSA webhook. Authenticated before anything is read
 * (Basic credentials or the secret header set on the connector, compared in constant time; 401
 * problem+json, nothing changed, when missing or wrong); each item de-duplicated by HaloPSA's event
 * id (a replay answers 200 `duplicate` and changes nothing); a ticket that stands for a CTA reports
 * on it as the API would (closed → complete, a note or a status change → first action); an
 * appointment that stands for a meeting reports it held, missed, moved or cancelled (`appointmentItem`).
 */
export function registerHaloPsaInbound(app: OpenAPIHono<ApiEnv>) {
  app.post('/inbound/halopsa/:connectorId', async (c) => {
    const { db, temporal, logger } = c.get('deps');
    const parsedId = Id.safeParse(c.req.param('connectorId'));
    const connector = parsedId.success ? await getConnector(db, parsedId.data) : undefined;
    if (!connector || connector.type !== 'halopsa' || !connector.active) throw new ProblemError(404, 'not-found', 'Not found', 'No active HaloPSA connector at this address.');
    let auth;
    try {
      auth = haloPsaCredentials.parse(openCredentials(connector)).webhook;
    } catch {
      // No integration key (or a broken record): nothing can be authenticated, so nothing is accepted.
      throw unauthorized('This connector\'s webhook credentials cannot be opened.');
    }
    if (!webhookAuthenticates(auth, (name) => c.req.header(name))) throw unauthorized('username' in auth ? 'Basic credentials missing or wrong.' : `The ${auth.header} header is missing or wrong.`);

    let items: HaloWebhookItem[];
    try {
      const parsed = haloWebhookPayload.parse(JSON.parse(await c.req.text()));
      items = Array.isArray(parsed) ? parsed : [parsed];
    } catch {
      throw new ProblemError(400, 'bad-request', 'Not a HaloPSA webhook', 'The body is not a HaloPSA webhook payload (JSON, ticket and action objects).');
    }
    const settings = haloPsaSettings.parse(connector.settings);
    const at = (await currentTime(c.get('deps'))).toISOString();
    const actor: Actor = { kind: 'system', id: connectorKey(connector.id), name: `HaloPSA: ${connector.name}` };
    // Appointments report to the cadence process (a Temporal update), so each is handled on its own, outside the ticket transaction.
    const appointmentResults: { duplicate: boolean; outcome: string }[] = [];
    for (const item of items.filter((i) => i.appointment)) appointmentResults.push(await appointmentItem(c, connector.id, settings, item, actor, at));
    const results = await db.transaction(async (t) => {
      const tx = t as unknown as Db;
      const out: { duplicate: boolean; outcome: string; ctaId?: string }[] = [];
      for (const item of items.filter((i) => !i.appointment)) {
        const report = webhookReport(item, settings);
        const eventKey = webhookEventKey(item);
        const ticketId = ticketIdOf(item);
        const ctaId = ticketId !== undefined ? await findLinkByVendorId(tx, connector.id, 'ticket', String(ticketId)) : undefined;
        const outcome = !ctaId ? 'not-a-baton-ticket' : report.report === 'none' ? `no-report: ${report.why}` : report.report;
        if (!(await claimInboundEvent(tx, connector.id, eventKey, `ticket/${ticketId ?? '?'}`, outcome))) {
          out.push({ duplicate: true, outcome: 'already-received' });
          continue;
        }
        if (!ctaId || report.report === 'none') {
          out.push({ duplicate: false, outcome });
          continue;
        }
        const eventId = `cta/${ctaId}/inbound/${createKey(eventKey)}`;
        const applied = report.report === 'complete'
          ? await completeCta(tx, ctaId, report.note, { actor, at }, eventId)
          : await recordFirstAction(tx, ctaId, { note: report.note }, { actor, at }, eventId);
        out.push({ duplicate: false, outcome: applied.outcome === 'applied' ? report.report : `unchanged: ${applied.outcome === 'conflict' ? applied.reason : 'no such CTA'}`, ...(applied.outcome === 'applied' ? { ctaId } : {}) });
      }
      return out;
    });
    const changed = [...new Set(results.flatMap((r) => (r.ctaId ? [r.ctaId] : [])))];
    if (temporal) await notifyCtaClocks(temporal, db, changed).catch((err) => logger.warn({ err, ctaIds: changed }, 'CTA clocks not notified; they re-read their CTAs at their next deadline'));
    const view = [...appointmentResults, ...results.map(({ duplicate, outcome }) => ({ duplicate, outcome }))];
    return c.json({ received: true, duplicate: view.every((r) => r.duplicate), outcome: view.length === 1 ? view[0]!.outcome : view.map((r) => r.outcome).join(', '), items: view }, 200);
  });
}

/**
 * An appointment item: an appointment Baton booked for a meeting, completed, missed, moved or
 * deleted in HaloPSA → the meeting's report (domain/halopsa.ts `appointmentReport`, judged against
 * the meeting as it is now, so Baton's own booking or move echoed back is no report), sent through
 * the one inbound path for every vendor (runtime/vendor-meeting-reports.ts; its idempotency key
 * derives from HaloPSA's event, so a repeat has no second effect, C-6). The item is recorded in
 * `inbound_events` once the process has answered: a refusal (e.g. a meeting not yet due, or already
 * reported) is acknowledged and recorded; Temporal unreachable is a 503 and nothing is recorded, so
 * HaloPSA's retry reports it again.
 */
async function appointmentItem(c: Context<ApiEnv>, connectorId: string, settings: HaloPsaSettings, item: HaloWebhookItem, actor: Actor, at: string): Promise<{ duplicate: boolean; outcome: string }> {
  const { db } = c.get('deps');
  const eventKey = webhookEventKey(item);
  const appointmentId = String(item.appointment!.id);
  if (await inboundEventSeen(db, connectorId, eventKey)) return { duplicate: true, outcome: 'already-received' };
  const meetingId = await findLinkByVendorId(db, connectorId, 'appointment', appointmentId);
  const [meeting] = meetingId ? await db.select({ state: meetings.state, startsAt: meetings.startsAt, endsAt: meetings.endsAt }).from(meetings).where(eq(meetings.id, meetingId)) : [];
  let outcome: string;
  if (!meetingId || !meeting) outcome = 'not-a-baton-appointment';
  else {
    const report = appointmentReport(item, meeting, settings);
    outcome = report.report === 'none'
      ? `no-report: ${report.why}`
      : await reportVendorMeeting({ db, temporal: c.get('deps').temporal }, {
        connectorId, actor, linkKind: 'appointment', vendorId: appointmentId, meetingId, at, report: vendorReportOf(report),
        idempotencyKey: `halopsa/${connectorId}/${eventKey}`, bodyHash: createHash('sha256').update(JSON.stringify(item)).digest('hex'),
      });
  }
  const claimed = await claimInboundEvent(db, connectorId, eventKey, `appointment/${appointmentId}`, outcome.slice(0, 300));
  return claimed ? { duplicate: false, outcome } : { duplicate: true, outcome: 'already-received' };
}

/** The vendor-neutral report an appointment's report stands for. */
function vendorReportOf(r: Exclude<AppointmentReport, { report: 'none' }>): VendorMeetingReport {
  switch (r.report) {
    case 'held':
      return { report: 'held', ...(r.heldAt ? { heldAt: r.heldAt } : {}), ...(r.endedAt ? { endedAt: r.endedAt } : {}), by: r.by ?? 'reported by HaloPSA' };
    case 'noShow':
      return { report: 'noShow' };
    case 'cancelled':
      return { report: 'cancelled', note: r.note };
    case 'moved':
      return { report: 'moved', startsAt: r.startsAt, endsAt: r.endsAt };
  }
}

/** A short, stable id segment for the ledger event of an inbound item. */
const createKey = (eventKey: string) => eventKey.replace(/[^A-Za-z0-9-]/g, '').slice(-32);
