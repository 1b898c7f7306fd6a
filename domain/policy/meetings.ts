/** Policy areas: Meeting cycle (R-24..R-32), CTAs: owners and escalation (R-122, C-5), Missed-cadence recovery (§2.5, R-33..R-35, A-13). Pure (imported from workflow code). */
import { z } from 'zod';
import { count, days, group, hours, int, issue, minutes, range, time, weekday, window } from './vocabulary.js';

// ---------------------------------------------------------------------------------------------
// Meeting cycle (R-24..R-32)

export const meeting = () => group(
  {
    prepPackBusinessDays: days(5, 'Prep pack attached T-N business days before the meeting (R-24, C-4)'),
    prepPackDueTime: time('17:00', 'Time of day of the T-N bd prep deadline (C-4, R-24)'),
    prepCtaLeadBusinessDays: days(5, 'The prep-pack CTA opens this many business days before the prep pack is due (R-24)'),
    preReadOpensHoursBefore: hours(72, 'Pre-read window opens this long before start (R-26)'),
    preReadDueHoursBefore: hours(48, 'Pre-read + pre-flight due this long before start (R-26)'),
    maxDecisions: count(2, 'Max decisions (asks) per strategic session; more go to backlog (R-27)'),
    connectMinutes: minutes(2, 'Connect step length (R-27)'),
    clarifyMinutes: range(5, 10, 'Clarify step length: Snapshot + Health (R-27)'),
    recapHours: hours(48, 'Recap sent within this after the meeting ends (R-29)'),
    firstActionHours: hours(72, 'First action on any CTA within this of creation (R-30, C-5)'),
    chaseDays: window(7, 10, 'Open approvals chased on these days after the meeting (R-30)'),
    shortUpdateMinutes: minutes(30, 'A meeting rescoped for want of a decision-maker becomes a short update of this length, 20–30 min (R-26)'),
    decisionCallWithinBusinessDays: days(5, 'The decision call that takes a rescoped meeting\'s asks is booked within this after the rescoped meeting (R-26; the seed gives no limit)'),
    minNoticeBusinessDays: days(2, 'A meeting with a "within N days" limit (reset, remediation sync, decision call) is booked at least this long after its cause (A-30)'),
    replanAheadDays: days(7, 'A reschedule agreed more than this before the original start is a re-plan, never a miss (A-29)'),
  },
  'Meeting cycle (R-24..R-32)',
).superRefine((m, ctx) => {
  if (m.preReadOpensHoursBefore < m.preReadDueHoursBefore)
    issue(ctx, ['preReadDueHoursBefore'], 'pre-read must open before it is due (opens ≥ due hours before)');
});

// ---------------------------------------------------------------------------------------------
// CTAs: owners and escalation (R-122, C-5)

export const ctas = () => group(
  {
    escalationChain: z
      .array(z.enum(['backup', 'csLead']))
      .min(1)
      .refine((c) => new Set(c).size === c.length, 'each level at most once')
      // A CTA only moves up (db/ctas.ts escalateCta): the CS Lead is above the named backup.
      .refine((c) => c.indexOf('csLead') === -1 || c.indexOf('backup') === -1 || c.indexOf('backup') < c.indexOf('csLead'), 'the backup before the CS Lead (R-122)')
      .default(() => ['backup' as const, 'csLead' as const])
      .describe('Who a CTA passes to, in order, each time its first-action SLA is breached: the named backup, then the CS Lead (R-122)'),
    escalationWindowHours: hours(72, 'After an escalation, the new owner has this long for a first action before the next level (R-122, C-5)'),
  },
  'CTA ownership and SLA escalation (R-122, C-5; first-action SLA is meeting.firstActionHours)',
);

// ---------------------------------------------------------------------------------------------
// Missed-cadence recovery (§2.5, R-33..R-35, A-13)

export const missedCadence = () => group(
  {
    graceHours: hours(2, 'Meeting not marked held this long after scheduled end counts as missed (§2.5, A-13)'),
    lateCancelHours: hours(24, 'Cancellation less than this before start counts as missed (§2.5, A-13)'),
    rebookWithinDays: days(7, 'Rebook after the 1st miss within this (R-33)'),
    rescheduleWithinDays: days(7, 'Reschedule to ≤ original + this is not a miss (§2.5)'),
    reengageAtMiss: count(2, 'Consecutive misses that trigger Re-engage + At Risk (R-34)'),
    reviewAtMiss: count(3, 'Consecutive misses that trigger segment & cadence review (R-35)'),
    segmentReviewSlot: group(
      {
        weekOfMonth: int().min(1).max(4).default(1).describe('Monthly Segment Review: Nth weekday (R-35)'),
        weekday: weekday(2, 'Monthly Segment Review ISO weekday, Tue (R-35)'),
      },
      'Monthly Segment Review: first Tuesday (R-35)',
    ),
  },
  'Missed-cadence recovery (R-33..R-35)',
).superRefine((m, ctx) => {
  // The 1st miss is always a rebook, so escalation starts at the 2nd at the earliest.
  if (m.reengageAtMiss < 2) issue(ctx, ['reengageAtMiss'], 'reengageAtMiss must be ≥ 2');
  if (m.reviewAtMiss <= m.reengageAtMiss) issue(ctx, ['reviewAtMiss'], 'reviewAtMiss must be > reengageAtMiss');
});
