/**
 * The first-action clocks of one client's CTAs (C-5, R-122), as a table: pure, so the clock keeper
 * workflow (workflows/cta-clocks.ts) only interprets it and its rules have their own unit tests.
 *
 * A clock waits for its CTA's first action (a deliverable's: its completion, A-28). When its
 * deadline passes first, the CTA moves to the next level of the policy's escalation chain (named
 * backup, then CS Lead), each level with a fresh window of `escalationWindowHours`; after the last
 * level the clock is exhausted. A settled CTA (first action, done, cancelled) ends its clock.
 */

export type EscalationLevel = 'backup' | 'csLead';

/** What opens a clock: the CTA and the policy values in force when it was opened. */
export interface CtaClockStart {
  ctaId: string;
  firstActionDueAt: string;
  escalationChain: EscalationLevel[];
  escalationWindowHours: number;
  policyVersion: number;
}

/** One running clock: the level reached, the next deadline and the levels still ahead. */
export interface CtaClock {
  ctaId: string;
  level: 'none' | EscalationLevel;
  /** When the current window ends (ISO). */
  deadline: string;
  /** The levels still ahead, the next first. */
  ahead: EscalationLevel[];
  escalationWindowHours: number;
  policyVersion: number;
}

/** How a clock ended. */
export interface FinishedClock {
  ctaId: string;
  step: 'settled' | 'exhausted';
  level: 'none' | EscalationLevel;
  at: string;
  policyVersion: number;
}

export function openClock(start: CtaClockStart): CtaClock {
  return {
    ctaId: start.ctaId, level: 'none', deadline: new Date(start.firstActionDueAt).toISOString(), ahead: [...start.escalationChain],
    escalationWindowHours: start.escalationWindowHours, policyVersion: start.policyVersion,
  };
}

/**
 * Adds the clocks not already running. Opening is idempotent by CTA id: a repeated start (an
 * activity retry, the outbox dispatcher after a crash, the start-up reconcile) keeps the running
 * clock, its level and its deadline.
 */
export function addClocks(table: Map<string, CtaClock>, starts: readonly CtaClockStart[]): string[] {
  const added: string[] = [];
  for (const start of starts) {
    if (table.has(start.ctaId)) continue;
    table.set(start.ctaId, openClock(start));
    added.push(start.ctaId);
  }
  return added;
}

/** The earliest deadline of the running clocks (ms), or undefined when none runs. */
export function nextDeadline(table: ReadonlyMap<string, CtaClock>): number | undefined {
  let next: number | undefined;
  for (const clock of table.values()) {
    const at = Date.parse(clock.deadline);
    if (next === undefined || at < next) next = at;
  }
  return next;
}

/** The clocks whose window has ended at `nowMs`, earliest first (ties by CTA id, so the order is stable on replay). */
export function dueClocks(table: ReadonlyMap<string, CtaClock>, nowMs: number): CtaClock[] {
  return [...table.values()]
    .filter((c) => Date.parse(c.deadline) <= nowMs)
    .sort((a, b) => Date.parse(a.deadline) - Date.parse(b.deadline) || (a.ctaId < b.ctaId ? -1 : a.ctaId > b.ctaId ? 1 : 0));
}

/** The level a clock escalates to when its window ends, or undefined when none is left (the clock is exhausted). */
export const nextLevel = (clock: CtaClock): EscalationLevel | undefined => clock.ahead[0];

/**
 * The clock after its CTA moved to the next level: the fresh window starts where the last
 * one ended (not when the keeper got to it), so a late escalation does not shift the next one.
 * 'exhausted' once no level is left: the last level has no window of its own.
 */
export function afterEscalation(clock: CtaClock): CtaClock | 'exhausted' {
  const [level, ...ahead] = clock.ahead;
  if (!level || ahead.length === 0) return 'exhausted';
  return { ...clock, level, deadline: new Date(Date.parse(clock.deadline) + clock.escalationWindowHours * 3_600_000).toISOString(), ahead };
}
