/**
 * A Baton meeting's record at a PSA (issue 15): a HaloPSA or Autotask appointment, a ConnectWise
 * schedule entry. The steps are the same for every vendor; only the calls differ:
 * - book: the link (`connector_links`), else the record Baton created before, found by the marker it
 *   writes into it (a create whose answer was lost is found, never made twice), else a create;
 * - move: the meeting's times read at the call, so moves delivered out of order end at its current time;
 * - cancel: a delete, a 404 being a record already gone (done);
 * - a move or cancel before the booking has landed waits (retried, not blamed on the connector).
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import type { AppointmentDelivery } from '../db/appointments.js';
import { findLink, saveLink } from '../db/connectors.js';
import { meetings } from '../db/schema.js';
import type { AttemptOutcome } from '../domain/delivery.js';
import { VendorError } from './vendor-failure.js';

/** The delivery's meeting as it is now (its times and Accountable read at the call). */
export type BookedMeeting = AppointmentDelivery & { accountablePersonId: string | null };

export interface MeetingRecordCalls {
  /** `connector_links` kind and the record's name in messages (`appointment`, `schedule entry`). */
  linkKind: string;
  recordName: string;
  /** The record Baton created for this meeting, found by its marker; undefined when there is none. */
  findByMarker(): Promise<string | undefined>;
  /** Creates the record: its id and the vendor's status, or the outcome when it cannot or need not be created. */
  create(m: BookedMeeting): Promise<{ id: string; status: number } | AttemptOutcome>;
  /** Moves it to the meeting's times; the vendor's status. */
  move(id: string, m: BookedMeeting): Promise<number>;
  remove(id: string): Promise<void>;
  /** No record to move or cancel because none will ever exist (e.g. no calendar to put it on): then there is nothing to do. */
  neverBooked?(m: BookedMeeting): boolean;
}

/** One appointment delivery through a vendor's calls; a VendorError is the attempt's outcome. */
export async function deliverMeetingRecord(db: Db, connectorId: string, p: AppointmentDelivery, calls: MeetingRecordCalls): Promise<AttemptOutcome> {
  try {
    let id = await findLink(db, connectorId, calls.linkKind, p.meetingId);
    if (!id) {
      id = await calls.findByMarker();
      if (id) await saveLink(db, connectorId, calls.linkKind, p.meetingId, id);
    }
    const [row] = await db.select({ startsAt: meetings.startsAt, endsAt: meetings.endsAt, accountablePersonId: meetings.accountablePersonId }).from(meetings).where(eq(meetings.id, p.meetingId));
    const m: BookedMeeting = { ...p, startsAt: String(row?.startsAt ?? p.startsAt), endsAt: String(row?.endsAt ?? p.endsAt), accountablePersonId: row?.accountablePersonId ?? null };
    if (p.op === 'appointment.book') {
      if (id) return { outcome: 'delivered', status: 200 };
      const created = await calls.create(m);
      if ('outcome' in created) return created;
      await saveLink(db, connectorId, calls.linkKind, p.meetingId, created.id);
      return { outcome: 'delivered', status: created.status };
    }
    if (!id) {
      if (calls.neverBooked?.(m)) return { outcome: 'delivered' };
      return { outcome: 'failed', error: `the meeting's ${calls.recordName} is not booked yet`, messageFault: true };
    }
    if (p.op === 'appointment.move') return { outcome: 'delivered', status: await calls.move(id, m) };
    try {
      await calls.remove(id);
    } catch (err) {
      if (!(err instanceof VendorError && err.outcome.status === 404)) throw err;
    }
    return { outcome: 'delivered', status: 200 };
  } catch (err) {
    if (err instanceof VendorError) return err.outcome;
    throw err;
  }
}
