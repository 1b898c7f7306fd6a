import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Context } from 'hono';
import { readConnectWiseScheduleEntry } from '../../activities/connectwise.js';
import { VendorError } from '../../activities/vendor-failure.js';
import { inboundEventSeen, claimInboundEvent, connectorKey, findLinkByVendorId, type ConnectorRow } from '../../db/connectors.js';
import { meetings, type Actor } from '../../db/schema.js';
import { scheduleEntityOf, scheduleEntryReport, type ConnectWiseCallback } from '../../domain/connectwise.js';
import { reportVendorMeeting } from '../../runtime/vendor-meeting-reports.js';
import { currentTime, type ApiEnv } from '../context.js';
import { ProblemError } from '../problem.js';

/** How long a ConnectWise callback's read-back (an entry named without its `Entity`, a ticket's notes) may take: ConnectWise retries a callback that is not answered. */
export const CALLBACK_READ_BACK_SECONDS = 10;

/**
 * A verified ConnectWise callback about a schedule entry (type `Schedule`): the entry Baton booked
 * for a meeting (`connector_links`, kind `schedule-entry`) → the meeting report the API offers,
 * through runtime/vendor-meeting-reports.ts (done → held, deleted → cancelled, times changed →
 * moved; domain/connectwise.ts `scheduleEntryReport`). The entry is the callback's `Entity`, or read
 * back (`GET /schedule/entries/{id}`) when the callback carries none. De-duplicated like the ticket
 * callback (the SHA-256 of the body in `inbound_events`): a replay answers `duplicate` and reports
 * nothing. The callback is recorded once the process has answered; Temporal or a read-back
 * unreachable is a 503 and nothing is recorded, so ConnectWise's retry reports it again.
 */
export async function connectWiseScheduleCallback(c: Context<ApiEnv>, connector: ConnectorRow, body: ConnectWiseCallback, eventKey: string, raw: string): Promise<{ received: true; duplicate: boolean; outcome: string }> {
  const { db, temporal } = c.get('deps');
  const entryId = String(body.ID);
  const entity = `${body.Type}/${entryId}`;
  if (await inboundEventSeen(db, connector.id, eventKey)) return { received: true, duplicate: true, outcome: 'already-received' };

  const meetingId = await findLinkByVendorId(db, connector.id, 'schedule-entry', entryId);
  const [meeting] = meetingId ? await db.select({ startsAt: meetings.startsAt, endsAt: meetings.endsAt }).from(meetings).where(eq(meetings.id, meetingId)) : [];
  let outcome: string;
  if (!meetingId || !meeting) {
    outcome = 'not-a-baton-schedule-entry';
  } else {
    let entry = body.Action.toLowerCase() === 'deleted' ? 'deleted' as const : scheduleEntityOf(body);
    if (!entry) {
      try {
        entry = await readConnectWiseScheduleEntry(connector, entryId, CALLBACK_READ_BACK_SECONDS);
      } catch (err) {
        if (err instanceof VendorError) throw new ProblemError(503, 'vendor-unavailable', 'The schedule entry cannot be read back', `ConnectWise did not give the entry the callback names: ${err.outcome.error}`.slice(0, 500));
        throw err;
      }
    }
    const report = scheduleEntryReport(body.Action, entry, { startsAt: String(meeting.startsAt), endsAt: String(meeting.endsAt) }, entryId);
    const actor: Actor = { kind: 'system', id: connectorKey(connector.id), name: `ConnectWise PSA: ${connector.name}` };
    outcome = report.report === 'none'
      ? `no-report: ${report.why}`
      : await reportVendorMeeting({ db, temporal }, {
        connectorId: connector.id, actor, linkKind: 'schedule-entry', vendorId: entryId, meetingId,
        report: report.report === 'held' ? { ...report, by: report.by ?? 'reported by ConnectWise' } : report,
        idempotencyKey: `connectwise/${connector.id}/${eventKey}`, bodyHash: createHash('sha256').update(raw).digest('hex'),
        at: (await currentTime(c.get('deps'))).toISOString(),
      });
  }
  const claimed = await claimInboundEvent(db, connector.id, eventKey, entity, outcome);
  return claimed ? { received: true, duplicate: false, outcome } : { received: true, duplicate: true, outcome: 'already-received' };
}
