/**
 * CTA titles people read: "Kickoff overdue since Mon 30 Nov", never internal keys and ISO stamps.
 * Dates are shown in the client's zone (C-1); the year only when it differs from the year the CTA
 * opens in. A CTA's `kind` and `key` stay machine-readable; only its title is prose.
 *
 * Pure and deterministic (imported from Temporal workflow code): weekday and month names come from
 * the tables below, not from Intl, so a runtime's locale data cannot change a title.
 */
import { DateTime } from 'luxon';
import type { Instant, LocalDate } from './business-time.js';

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

function toDateTime(instant: Instant, timeZone: string): DateTime {
  const dt = typeof instant === 'number'
    ? DateTime.fromMillis(instant, { zone: timeZone })
    : instant instanceof Date
      ? DateTime.fromJSDate(instant, { zone: timeZone })
      : DateTime.fromISO(instant, { setZone: true }).setZone(timeZone);
  if (!dt.isValid) throw new RangeError(`Cannot show instant '${String(instant)}' in ${timeZone}: ${dt.invalidReason}`);
  return dt;
}

function dayText(dt: DateTime, referenceYear?: number): string {
  const text = `${WEEKDAYS[dt.weekday - 1]} ${dt.day} ${MONTHS[dt.month - 1]}`;
  return referenceYear === undefined || dt.year === referenceYear ? text : `${text} ${dt.year}`;
}

const yearOf = (reference: Instant | undefined, timeZone: string) => (reference === undefined ? undefined : toDateTime(reference, timeZone).year);

/** A local date: `Tue 24 Nov`, with the year when it is not `referenceYear`. */
export function formatDate(date: LocalDate, referenceYear?: number): string {
  const dt = DateTime.fromISO(date, { zone: 'utc' });
  if (!dt.isValid || !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError(`Invalid local date '${date}'`);
  return dayText(dt, referenceYear);
}

/** An instant's day in the zone: `Tue 24 Nov` (year when not the reference's year). */
export function formatDay(instant: Instant, timeZone: string, reference?: Instant): string {
  return dayText(toDateTime(instant, timeZone), yearOf(reference, timeZone));
}

/** An instant in the zone: `Tue 24 Nov 10:00`. */
export function formatDayTime(instant: Instant, timeZone: string, reference?: Instant): string {
  const dt = toDateTime(instant, timeZone);
  return `${dayText(dt, yearOf(reference, timeZone))} ${dt.toFormat('HH:mm')}`;
}

/**
 * A deadline: a due instant at local midnight is the end of the day before (C-3 "by Day N" is
 * 24:00), so it reads as that day alone; any other instant reads with its time.
 */
export function formatDue(dueAt: Instant, timeZone: string, reference?: Instant): string {
  const dt = toDateTime(dueAt, timeZone);
  if (dt.hour === 0 && dt.minute === 0 && dt.second === 0) return dayText(dt.minus({ days: 1 }), yearOf(reference, timeZone));
  return formatDayTime(dueAt, timeZone, reference);
}

/** `accessAndDocumentation` → `access and documentation`. */
export function humanize(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[._-]+/g, ' ')
    .trim()
    .toLowerCase();
}

const capitalise = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

/** What each onboarding deadline (domain/onboarding-plan.ts keys) is about, as people say it. */
const DEADLINES: Record<string, string> = {
  'handoff.complete': 'Handoff packet',
  'kickoff.held': 'Kickoff',
  'recap.sent': 'Kickoff recap',
  'access.checkpoint': 'Access',
  'documentation.checkpoint': 'Documentation baseline',
  'discovery.checkpoint': 'Discovery and assessment',
  'quickWins.checkpoint': 'Quick wins and Early Wins Report',
  'roadmap.window.closes': 'Roadmap and Budget v1',
  'proposals.window.closes': 'Proposals',
  'healthBaseline.window.closes': 'Health baseline',
  'cadenceLock.window.closes': 'Cadence lock',
  'day60Review.held': 'Day 60 review',
  'closeout.held': 'Day 90 closeout',
};

/** A deadline key as a label: known keys by name, any other one humanised (`workingAgreement.due` → `Working agreement due`). */
export function deadlineLabel(key: string): string {
  return DEADLINES[key] ?? capitalise(humanize(key));
}

/** The meeting a CTA is about: `the QBR of Tue 24 Nov`. */
const meetingOf = (template: string, startsAt: Instant, timeZone: string, reference: Instant) => `the ${template} of ${formatDay(startsAt, timeZone, reference)}`;

type TriggerType = 'renewal' | 'fiscalYearEnd' | 'assessmentCompleted' | 'initiativeApproved' | 'engagementDrop' | 'adoptionBelowThreshold' | 'stakeholderChange' | 'proposalReset';

/** Why a trigger fired, from its type and anchor (domain/cadence.ts builds the anchors). */
export function triggerReason(type: TriggerType | string, anchor: string, referenceYear?: number): string {
  const isDate = /^\d{4}-\d{2}-\d{2}$/.test(anchor);
  switch (type) {
    case 'renewal':
      return isDate ? `renewal on ${formatDate(anchor, referenceYear)}` : `renewal ${anchor}`;
    case 'fiscalYearEnd':
      return isDate ? `fiscal year ends ${formatDate(anchor, referenceYear)}` : `fiscal year end ${anchor}`;
    case 'assessmentCompleted':
      return `assessment ${anchor} completed`;
    case 'initiativeApproved':
      return `initiative ${anchor} approved`;
    case 'engagementDrop': {
      if (anchor.startsWith('misses:')) return 'strategic meetings missed in a row';
      if (anchor.startsWith('pending:')) return `decision "${anchor.slice('pending:'.length)}" still pending`;
      return `engagement dropped (${anchor})`;
    }
    case 'adoptionBelowThreshold':
      return `${anchor === 'mfa' ? 'MFA' : anchor} adoption below threshold`;
    case 'stakeholderChange': {
      const [name, date] = anchor.split('@');
      return date && /^\d{4}-\d{2}-\d{2}$/.test(date) ? `new stakeholder ${name} (${formatDate(date, referenceYear)})` : `new stakeholder ${anchor}`;
    }
    case 'proposalReset':
      return `proposal ${anchor} undecided for 31 days: now or next quarter?`;
    default:
      return humanize(anchor);
  }
}

/** Every CTA title a process builds (domain/onboarding.ts, domain/cadence.ts). `at` is when the CTA opens. */
export const ctaTitle = {
  /** Onboarding: a deadline passed without its work (R-47..R-56). */
  overdue: (deadlineKey: string, dueAt: Instant, timeZone: string, at: Instant) =>
    `${deadlineLabel(deadlineKey)} overdue since ${formatDue(dueAt, timeZone, at)}`,
  /** Onboarding closeout (R-56): a step still open. */
  closeoutStep: (number: number, name: string) => `Onboarding exception at closeout: step ${number} (${humanize(name)}) not complete`,
  /** Cadence (R-24): the prep pack of a strategic meeting. */
  prepPack: (template: string, startsAt: Instant, timeZone: string, at: Instant) =>
    `Attach the prep pack for ${meetingOf(template, startsAt, timeZone, at)}`,
  /** Cadence (R-29): the recap after a held meeting. */
  recap: (template: string, startsAt: Instant, timeZone: string, at: Instant) => `Send the recap of ${meetingOf(template, startsAt, timeZone, at)}`,
  /** Cadence (R-37): no allowed slot for a planned meeting. */
  bookByHand: (template: string, startsAt: Instant, timeZone: string, at: Instant) =>
    `Book ${meetingOf(template, startsAt, timeZone, at)} by hand: no allowed slot`,
  /** Cadence (§2.5, R-10): a meeting cancelled with notice still needs a date. */
  rebookCancelled: (template: string, startsAt: Instant, timeZone: string, at: Instant) =>
    `Rebook ${meetingOf(template, startsAt, timeZone, at)}: cancelled by the client`,
  /** Cadence (R-26): no decision-maker confirmed, so the meeting was rescoped; v2 books the call, the CTA confirms it with the exec. */
  decisionCall: (template: string, startsAt: Instant, timeZone: string, at: Instant, opts: { booked?: boolean; with?: string } = {}) =>
    `${opts.booked ? 'Confirm the' : 'Book a'} decision call with ${opts.with ?? 'the right executive'}: ${meetingOf(template, startsAt, timeZone, at)} was rescoped to a short update`,
  /** Cadence (R-30): an approval still open a week after its meeting. */
  chase: (title: string) => `Chase the approval: ${title}`,
  /** Cadence (R-123): a meeting needs a client role nobody in the registry holds. */
  nameStakeholder: (role: string, template: string, startsAt: Instant, timeZone: string, at: Instant) =>
    `Name the client's ${humanize(role)} in the stakeholder registry: ${meetingOf(template, startsAt, timeZone, at)} needs one`,
  /** Cadence (R-13..R-19, R-21): a trigger fired, on its own meeting or merged into another's agenda. */
  trigger: (template: string, type: TriggerType | string, anchor: string, timeZone: string, at: Instant, mergedInto?: { template: string; startsAt: Instant }) =>
    `${template}: ${triggerReason(type, anchor, yearOf(at, timeZone))}${mergedInto ? ` (on the agenda of ${meetingOf(mergedInto.template, mergedInto.startsAt, timeZone, at)})` : ''}`,
};
