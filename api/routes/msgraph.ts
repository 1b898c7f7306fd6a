/**
 * Microsoft Graph calendar connector (issue 15), its API side: the configuration schemas the admin
 * connector routes accept for `type: "msgraph"`, and the change-notification receiver
 * `POST /inbound/msgraph/{connectorId}` (validation handshake, `clientState` check, de-duplication,
 * the changed event mapped to the cadence's meeting reports).
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { fetchGraphEvent } from '../../activities/msgraph.js';
import { VendorError } from '../../activities/vendor-failure.js';
import type { Db } from '../../db/client.js';
import { inboundEventSeen, claimInboundEvent, connectorKey, findLinkByVendorId, getConnector, type ConnectorRow } from '../../db/connectors.js';
import { findMsgraphSubscription } from '../../db/msgraph.js';
import { enqueueWorkflowNotice } from '../../db/outbox.js';
import { activePolicy } from '../../db/policies.js';
import { meetings } from '../../db/schema.js';
import type { Actor } from '../../db/schema.js';
import { clientStateFor, clientStateMatches, DEFAULT_AUTHORITY, eventReport, notificationBatch, notificationKey, notifiedEventId, type ChangeNotification } from '../../domain/msgraph.js';
import { policySchema } from '../../domain/policy.js';
import type { TemporalTarget } from '../../runtime/processes.js';
import { reportVendorMeeting } from '../../runtime/vendor-meeting-reports.js';
import { integrationKey, IntegrationKeyMissingError } from '../../runtime/secret-box.js';
import { currentTime, type ApiEnv } from '../context.js';
import { ProblemError } from '../problem.js';
import { Id, text } from '../schemas.js';

const HttpUrl = z.string().max(500).regex(/^https?:\/\/\S+$/, 'must be an http or https URL').url();

export const MsGraphSettings = z.strictObject({
  authorityUrl: HttpUrl.default(DEFAULT_AUTHORITY).openapi({ description: 'The Microsoft identity platform authority; tokens come from `<authorityUrl>/<tenantId>/oauth2/v2.0/token`' }),
  notificationBaseUrl: HttpUrl.openapi({ description: 'Baton\'s public base URL as Microsoft Graph reaches it (HTTPS in production): notifications go to `<notificationBaseUrl><inboundPath>`' }),
  subscribe: z.boolean().default(true).openapi({ description: 'Subscribe to change notifications on each mapped mailbox\'s events (renewed before expiry)' }),
  onlineMeetings: z.boolean().default(false).openapi({ description: 'Book meetings as Teams meetings (`isOnlineMeeting`, `teamsForBusiness`) and report a cadence meeting held when its Teams attendance report shows the client attended (needs OnlineMeetings.Read.All, OnlineMeetingArtifact.Read.All and an application access policy)' }),
  attendanceAfterMinutes: z.number().min(0).max(1440).default(10).openapi({ description: 'First look for the attendance report this long after the meeting\'s scheduled end' }),
  attendanceEveryMinutes: z.number().min(0.05).max(1440).default(15).openapi({ description: 'Look again this often while no report has appeared' }),
  attendanceForHours: z.number().min(0.01).max(168).default(2).openapi({ description: 'Give up this long after the scheduled end (default: the 2-hour not-marked-held grace, after which a held report is refused)' }),
}).openapi('MsGraphSettings');

export const MsGraphCredentials = z.strictObject({
  tenantId: text(1, 100), clientId: text(1, 100), clientSecret: text(1, 500),
}).openapi('MsGraphCredentials', { description: 'An Entra ID app registration\'s client credentials (application permission Calendars.ReadWrite); sealed at rest under BATON_INTEGRATION_KEY, never returned or logged' });

export const MsGraphBaseUrl = HttpUrl.openapi({ format: 'uri', example: 'https://graph.microsoft.com/v1.0', description: 'The Graph API root including the version' });

// ---------------------------------------------------------------------------------------------
// Inbound: change notifications

const unauthorized = (detail: string) => new ProblemError(401, 'unauthorized', 'Notification not authenticated', detail);

interface NotificationOutcome { duplicate: boolean; outcome: string }

/**
 * POST /inbound/msgraph/{connectorId}. With `validationToken` (Graph validating the notificationUrl
 * when a subscription is created): 200 text/plain echoing the token. Otherwise a batch of change
 * notifications: every one must carry the connector's `clientState` (else 401, nothing changes);
 * each is de-duplicated (`inbound_events`); a change to an event Baton created is read back from
 * Graph and reported to the cadence as the API's meeting reports would (cancelled → meeting
 * cancelled, new time → meeting rescheduled). 202 once handled; 503 when the event could not be
 * read (Graph redelivers, and nothing was recorded).
 */
export function registerMsgraphInbound(app: OpenAPIHono<ApiEnv>) {
  app.post('/inbound/msgraph/:connectorId', async (c) => {
    const parsedId = Id.safeParse(c.req.param('connectorId'));
    const { db, temporal, logger } = c.get('deps');
    const connector = parsedId.success ? await getConnector(db, parsedId.data) : undefined;
    if (!connector || connector.type !== 'msgraph' || !connector.active) throw new ProblemError(404, 'not-found', 'Not found', 'No active Microsoft Graph connector at this address.');
    const validationToken = c.req.query('validationToken');
    if (validationToken !== undefined) {
      if (validationToken.length > 2048) throw new ProblemError(400, 'bad-request', 'Bad request', 'The validationToken is too long.');
      return c.body(validationToken, 200, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
    }
    let expected: string;
    try {
      expected = clientStateFor(connector.id, integrationKey());
    } catch (err) {
      if (err instanceof IntegrationKeyMissingError) throw new ProblemError(503, 'integration-key-missing', 'Notifications cannot be verified', err.message);
      throw err;
    }
    let batch;
    try {
      batch = notificationBatch.parse(JSON.parse(await c.req.text()));
    } catch {
      throw unauthorized('The body is not a batch of change notifications, so it cannot be verified.');
    }
    if (batch.value.length === 0 || !batch.value.every((n) => clientStateMatches(n.clientState, expected))) {
      throw unauthorized('A notification\'s clientState is not this connector\'s.');
    }
    const at = (await currentTime(c.get('deps'))).toISOString();
    const results: NotificationOutcome[] = [];
    for (const n of batch.value) {
      try {
        results.push(await handleNotification(db, connector, n, at, temporal));
      } catch (err) {
        if (err instanceof VendorError) {
          logger.warn({ connectorId: connector.id, error: err.message }, 'Microsoft Graph event not read; Graph redelivers the notification');
          throw new ProblemError(503, 'vendor-unavailable', 'The changed event could not be read', 'Microsoft Graph did not answer; deliver the notification again.');
        }
        throw err;
      }
    }
    return c.json({ received: true, results }, 202);
  });
}

async function handleNotification(db: Db, connector: ConnectorRow, n: ChangeNotification, at: string, temporal: TemporalTarget | undefined): Promise<NotificationOutcome> {
  const key = notificationKey(n);
  const claim = (outcome: string) => claimInboundEvent(db, connector.id, key, `${n.changeType}:${n.resource}`.slice(0, 500), outcome.slice(0, 300))
    .then((fresh) => (fresh ? { duplicate: false, outcome } : { duplicate: true, outcome: 'already-received' }));
  if (await inboundEventSeen(db, connector.id, key)) return { duplicate: true, outcome: 'already-received' };
  if (n.lifecycleEvent) {
    // reauthorizationRequired / subscriptionRemoved / missed: the subscription workflow looks again at once.
    await enqueueWorkflowNotice(db, 'msgraph-subscriptions', connector.id);
    return claim(`lifecycle: ${n.lifecycleEvent}`);
  }
  const sub = await findMsgraphSubscription(db, n.subscriptionId);
  if (!sub || sub.connectorId !== connector.id) return claim('unknown-subscription');
  const eventId = notifiedEventId(n);
  const meetingId = eventId ? await findLinkByVendorId(db, connector.id, 'event', eventId) : undefined;
  if (!meetingId || !eventId) return claim('not-a-baton-event');
  const [meeting] = await db.select({ id: meetings.id, clientId: meetings.clientId, process: meetings.process, state: meetings.state, startsAt: meetings.startsAt, endsAt: meetings.endsAt }).from(meetings).where(eq(meetings.id, meetingId));
  if (!meeting) return claim('not-a-baton-event');
  const policy = policySchema().shape.integrations.parse(((await activePolicy(db)).document as { integrations?: unknown }).integrations ?? {});
  const event = n.changeType.toLowerCase() === 'deleted' ? undefined : await fetchGraphEvent(connector, sub.mailbox, eventId, Math.min(policy.requestTimeoutSeconds, 5));
  const report = eventReport(event, meeting);
  if (report.report === 'none') return claim(`no-report: ${report.why}`);
  const actor: Actor = { kind: 'system', id: connectorKey(connector.id), name: `Microsoft 365: ${connector.name}` };
  // The idempotency key is the notification's identity: a redelivery after a crash before the claim is one report (C-6).
  const outcome = await reportVendorMeeting({ db, temporal }, {
    connectorId: connector.id, actor, linkKind: 'event', vendorId: eventId, meetingId, at, idempotencyKey: `msgraph/${connector.id}/${key}`, bodyHash: key,
    report: report.report === 'cancelled' ? { report: 'cancelled', ...(report.note ? { note: report.note } : {}) } : { report: 'moved', startsAt: report.startsAt, endsAt: report.endsAt },
  });
  return claim(outcome);
}
