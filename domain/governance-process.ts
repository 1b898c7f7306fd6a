/**
 * The process model of one governance routine: a long-running process per routine that
 * convenes each session at its instant (the agenda is assembled from the data by the activity),
 * takes the report that the session was held (attendees, notes) and records it missed when no
 * report came within `governance.heldGraceHours` of its end. Run by workflows/governance.ts on the
 * process kernel.
 *
 * Pure and deterministic (imported from workflow code).
 */
import type { ProcessRefusal } from '../workflows/contracts.js';
import { event, type ProcessEffect } from './effects.js';
import type { Routine, SessionSlot } from './governance.js';

export interface GovernanceSession {
  sessionId: string;
  period: string;
  scheduledFor: string;
  endsAt: string;
  heldBy: string;
  status: 'convened' | 'held' | 'missed';
}

export interface GovernanceState {
  routine: Routine;
  actions: number;
  ticks: number;
  /** The next session planned (re-checked against the policy when it comes due); undefined while the routine is off. */
  next?: SessionSlot;
  /** When to look again while the routine is off. */
  recheckAt?: string;
  sessions: GovernanceSession[];
  /** Sessions convened in this run (continue-as-new after a year's worth). */
  convenedThisRun: number;
}

export type GovernanceAction = {
  type: 'sessionHeld';
  sessionId: string;
  heldAt: string;
  attendees: { personId: string; name: string }[];
  notes?: string;
};

export interface GovernanceActionResult {
  accepted: true;
  action: GovernanceAction['type'];
  sequence: number;
  duplicate: boolean;
  sessionId: string;
  late: boolean;
}

/** Sessions kept in the state once settled (held or missed), newest last; older ones live in the database only. */
export const SETTLED_KEPT = 12;

export function decide(state: GovernanceState, action: GovernanceAction): ProcessRefusal | undefined {
  const s = state.sessions.find((x) => x.sessionId === action.sessionId);
  if (!s) return { status: 404, message: `No session ${action.sessionId} of the ${state.routine} routine is awaiting its report (it has not met yet, or it is long settled).`, ruleId: 'R-125' };
  if (s.status === 'held') return { status: 409, message: `Session ${action.sessionId} is already recorded held.`, ruleId: 'R-125' };
  if (Date.parse(action.heldAt) < Date.parse(s.scheduledFor) - 24 * 3_600_000) return { status: 422, message: `heldAt ${action.heldAt} is more than a day before the session was scheduled (${s.scheduledFor}).`, ruleId: 'R-125' };
  return undefined;
}

/** Marks the session held (late when it had been recorded missed, or after its grace). */
export function applyHeld(state: GovernanceState, action: GovernanceAction, at: string): { late: boolean; effects: ProcessEffect[] } {
  state.actions += 1;
  const s = state.sessions.find((x) => x.sessionId === action.sessionId)!;
  const late = s.status === 'missed' || Date.parse(at) > Date.parse(s.heldBy);
  s.status = 'held';
  prune(state);
  return {
    late,
    effects: [
      { kind: 'governanceSessionUpdate', sessionId: s.sessionId, changes: { state: 'held', heldAt: action.heldAt, attendees: action.attendees, ...(action.notes ? { notes: action.notes } : {}), late } },
      event('governance.session_held', 'R-125', { sessionId: s.sessionId, routine: state.routine, heldAt: action.heldAt, attendees: action.attendees.map((a) => a.personId), late }, { scheduledFor: s.scheduledFor, heldBy: s.heldBy, ...(action.notes ? { notes: action.notes } : {}) }),
    ],
  };
}

export interface GovernanceDue { key: string; at: string }

/** The next instant the routine acts: its next session, or the earliest held-by of a convened session. */
export function nextDue(state: GovernanceState): GovernanceDue | undefined {
  const dues: GovernanceDue[] = state.sessions.filter((s) => s.status === 'convened').map((s) => ({ key: `missed|${s.sessionId}`, at: s.heldBy }));
  if (state.next) dues.push({ key: 'convene', at: state.next.scheduledFor });
  else if (state.recheckAt) dues.push({ key: 'recheck', at: state.recheckAt });
  return dues.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.key < b.key ? -1 : 1))[0];
}

/** No report by the session's held-by: recorded missed, once. */
export function applyMissed(state: GovernanceState, sessionId: string): ProcessEffect[] {
  const s = state.sessions.find((x) => x.sessionId === sessionId);
  if (!s || s.status !== 'convened') return [];
  s.status = 'missed';
  prune(state);
  return [
    { kind: 'governanceSessionUpdate', sessionId, changes: { state: 'missed' } },
    event('governance.session_missed', 'R-125', { sessionId, routine: state.routine, heldBy: s.heldBy }, { scheduledFor: s.scheduledFor, reason: 'no report that the session was held within governance.heldGraceHours of its end' }),
  ];
}

export function addConvened(state: GovernanceState, session: GovernanceSession): void {
  if (!state.sessions.some((s) => s.sessionId === session.sessionId)) state.sessions.push(session);
  state.convenedThisRun += 1;
  prune(state);
}

function prune(state: GovernanceState): void {
  const settled = state.sessions.filter((s) => s.status !== 'convened');
  const drop = new Set(settled.slice(0, Math.max(0, settled.length - SETTLED_KEPT)).map((s) => s.sessionId));
  state.sessions = state.sessions.filter((s) => !drop.has(s.sessionId));
}

export interface GovernanceStatus {
  routine: Routine;
  next: SessionSlot | null;
  sessions: GovernanceSession[];
}

export function statusView(state: GovernanceState): GovernanceStatus {
  return { routine: state.routine, next: state.next ?? null, sessions: state.sessions.map((s) => ({ ...s })) };
}
