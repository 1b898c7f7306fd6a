/**
 * A vendor's word on a meeting Baton booked there (issue 15, inbound): a PSA appointment or
 * schedule entry, or a calendar event, completed, missed, moved or cancelled on the vendor's side.
 * One path for every connector: the vendor's record → Baton's meeting (`connector_links`) → the
 * report the API offers (`POST /v1/clients/{id}/cadence/meetings/{meetingId}/held`, `/no-show`,
 * `/rescheduled`, `/cancelled`), sent to the client's cadence with an idempotency key the caller
 * derives from the vendor's event, so a redelivery is one report (C-6). The answer is the outcome to record on
 * the inbound event; Temporal unreachable throws, so the receiver answers 5xx and records nothing
 * and the vendor's redelivery reports it again.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { findLinkByVendorId } from '../db/connectors.js';
import { meetings, type Actor } from '../db/schema.js';
import type { CadenceAction } from '../domain/cadence.js';
import type { OnboardingAction } from '../domain/onboarding.js';
import { ONBOARDING_REFUSAL_TYPES, onboardingAction, onboardingWorkflowId } from '../workflows/contracts.js';
import { reportToCadence, reportToProcess, type TemporalTarget } from './processes.js';

export type VendorMeetingReport =
  /** Held at the vendor's times when it gives them, else the booked ones; `by` names who completed it (the attendee on record). */
  | { report: 'held'; heldAt?: string; endedAt?: string; by?: string }
  | { report: 'noShow' }
  | { report: 'cancelled'; note?: string }
  | { report: 'moved'; startsAt: string; endsAt: string };

export interface VendorMeetingInput {
  connectorId: string;
  /** Who reported it on the ledger, e.g. `{kind: 'system', id: 'psa:<id>', name: 'HaloPSA: <name>'}`. */
  actor: Actor;
  /** The link kind the booking saved (`appointment`, `schedule-entry`, `event`) and the vendor's id of the record. */
  linkKind: string;
  vendorId: string;
  report: VendorMeetingReport;
  /** The report's idempotency key, derived from the vendor event's identity (e.g. `halopsa/<connector>/<event>`), and its body's hash (C-6). */
  idempotencyKey: string;
  bodyHash: string;
  at: string;
  /** A meeting already looked up by the caller (e.g. to compare the vendor's record with it). */
  meetingId?: string;
}

export type VendorMeetingOutcome = 'meetingHeld' | 'meetingNoShow' | 'meetingCancelled' | 'meetingRescheduled' | 'kickoffHeld' | 'kickoffScheduled';

/**
 * The onboarding's report for a vendor's word on the kickoff, as `POST /v1/clients/{id}/onboarding/kickoff-held`
 * or `/kickoff-scheduled` would send it; undefined for a cancel or no-show, which the onboarding has no report for
 * (the kickoff deadline, R-47, still judges it).
 */
export function kickoffActionFor(r: VendorMeetingReport, booked: { startsAt: string; endsAt: string }): OnboardingAction | undefined {
  if (r.report === 'held') {
    return {
      type: 'kickoffHeld', heldAt: r.heldAt ?? new Date(booked.startsAt).toISOString(), endedAt: r.endedAt ?? new Date(booked.endsAt).toISOString(),
      attendees: [r.by ?? 'reported by the vendor'], decisions: [],
    };
  }
  if (r.report === 'moved') return { type: 'kickoffScheduled', startsAt: r.startsAt, endsAt: r.endsAt };
  return undefined;
}

/** The cadence action a vendor's report stands for, as the API's route would build it. */
export function cadenceActionFor(meetingId: string, r: VendorMeetingReport, booked: { startsAt: string; endsAt: string }, at: string): CadenceAction {
  switch (r.report) {
    case 'held':
      // No decisions: the vendor's record carries none (R-21's decisions are reported through the API).
      return {
        type: 'meetingHeld', meetingId, heldAt: r.heldAt ?? new Date(booked.startsAt).toISOString(), endedAt: r.endedAt ?? new Date(booked.endsAt).toISOString(),
        attendees: [r.by ?? 'reported by the vendor'], sponsorPresent: false, decisions: [], undecided: [],
      };
    case 'noShow':
      return { type: 'meetingNoShow', meetingId };
    case 'cancelled':
      return { type: 'meetingCancelled', meetingId, noticeAt: at, ...(r.note ? { reason: r.note } : {}) };
    case 'moved':
      return { type: 'meetingRescheduled', meetingId, agreedAt: at, newStartsAt: r.startsAt, newEndsAt: r.endsAt };
  }
}

/**
 * Reports a vendor's change of a Baton meeting to its process: the cadence's meetings, and the
 * onboarding's kickoff (held or moved). Outcomes: the action's type when the process took it; `refused: <why>` (a meeting already reported, a time in the future);
 * `not-a-baton-<kind>`; `recorded: …` when the meeting belongs to another process, the process has no
 * such report (a kickoff cancelled), or the process does not run.
 */
export async function reportVendorMeeting(deps: { db: Db; temporal?: TemporalTarget | undefined }, input: VendorMeetingInput): Promise<string> {
  const meetingId = input.meetingId ?? await findLinkByVendorId(deps.db, input.connectorId, input.linkKind, input.vendorId);
  const [meeting] = meetingId
    ? await deps.db.select({ clientId: meetings.clientId, process: meetings.process, kind: meetings.kind, startsAt: meetings.startsAt, endsAt: meetings.endsAt }).from(meetings).where(eq(meetings.id, meetingId))
    : [];
  if (!meetingId || !meeting) return `not-a-baton-${input.linkKind}`;
  if (meeting.process === 'onboarding' && meeting.kind === 'kickoff') return reportKickoff(deps.temporal, meeting, input);
  if (meeting.process !== 'cadence') return `recorded: ${input.report.report} (a ${meeting.process} meeting; report it through the API)`;
  if (!deps.temporal) return `recorded: ${input.report.report} (no process engine)`;
  const action = cadenceActionFor(meetingId, input.report, meeting, input.at);
  const r = await reportToCadence(deps.temporal, meeting.clientId, { action, idempotencyKey: input.idempotencyKey, bodyHash: input.bodyHash, actor: input.actor, at: input.at });
  if (r.outcome === 'accepted') return action.type;
  return r.outcome === 'refused' ? `refused: ${r.refusal.message}`.slice(0, 500) : 'recorded: the cadence does not run';
}

/** The onboarding kickoff: held → the kickoff held (its recap and decision CTAs follow, R-29/R-30); moved → booked again at the new time. */
async function reportKickoff(temporal: TemporalTarget | undefined, meeting: { clientId: string; startsAt: string; endsAt: string }, input: VendorMeetingInput): Promise<string> {
  const action = kickoffActionFor(input.report, meeting);
  if (!action) return `recorded: ${input.report.report} (the onboarding takes no such report for its kickoff; its R-47 deadline judges it)`;
  if (!temporal) return `recorded: ${input.report.report} (no process engine)`;
  const r = await reportToProcess(temporal, onboardingWorkflowId(meeting.clientId), onboardingAction, ONBOARDING_REFUSAL_TYPES, {
    action, idempotencyKey: input.idempotencyKey, bodyHash: input.bodyHash, actor: input.actor, at: input.at,
  });
  if (r.outcome === 'accepted') return action.type;
  return r.outcome === 'refused' ? `refused: ${r.refusal.message}`.slice(0, 500) : 'recorded: the onboarding does not run';
}
