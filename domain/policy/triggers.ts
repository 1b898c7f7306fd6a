/** Policy areas: Triggers (R-13..R-23, A-6, A-7, A-9, A-13). Pure (imported from workflow code). */
import { z } from 'zod';
import { STAKEHOLDER_ROLES } from '../roles.js';
import { SEGMENTS, count, days, flag, group, hours, minutes, offsetDays, pct, role, time, window } from './vocabulary.js';

// ---------------------------------------------------------------------------------------------
// Triggers (R-13..R-23, A-6, A-7, A-9, A-13)

export const triggers = () => group(
  {
    renewalOffsetDays: offsetDays(-90, 'Renewal review on renewal + this (ROLL) (R-13)'),
    fyEndOffsetDays: offsetDays(-30, 'Budget session on FY-end + this (ROLL) (R-14)'),
    leadBusinessDays: days(10, 'Date triggers fire this many business days before the target (R-13, R-14, A-13)'),
    fireAt: time('09:00', 'Time of day date triggers fire (R-13, R-14)'),
    lateFyMeetWithinBusinessDays: days(10, 'FY learned late: meet within this (R-14)'),
    lateFyMinBusinessDaysBeforeFyEnd: days(1, 'FY learned late: meet at least this before FY-end (R-14)'),
    assessmentReviewDays: days(10, 'Roadmap review on assessment completion + this (ROLL) (R-15)'),
    assessmentReviewMinDays: days(1, 'Roadmap review not before completion + this (R-15)'),
    deliveryKickoffBusinessDays: days(10, 'Delivery kickoff within this after Approved (R-16)'),
    engagementDropMisses: count(2, 'Consecutive missed strategic meetings = engagement drop (R-17)'),
    decisionDroughtDays: days(30, 'Decision request pending this long = engagement drop (R-17, A-7)'),
    strategicDroughtSegments: z
      .array(z.enum(SEGMENTS))
      .default(() => ['A' as const])
      .describe('Segments where no decision in any strategic meeting for the drought also fires (R-17, A-7)'),
    resetWithinDays: days(7, '30-min reset session held within this (R-17)'),
    resetMinutes: minutes(30, 'Reset session length (R-17)'),
    adoptionSyncDays: days(5, 'TAM remediation sync within this (ROLL) (R-18, A-9)'),
    adoptionFixDays: days(14, 'Adoption fixed within this (R-18, A-9)'),
    thresholds: group(
      {
        mfaMinPct: pct(60, 'MFA coverage below this = adoption trigger + fix-first gate (R-18, R-121)'),
        endpointMinPct: pct(80, 'Endpoint coverage below this = adoption trigger + fix-first gate (R-18, R-121)'),
        backupMinPct: pct(95, 'Backup success below this, rolling window (R-114)'),
      },
      'Adoption thresholds (R-18, R-114, R-121)',
    ),
    backupWindowDays: days(30, 'Rolling window for backup success (R-114)'),
    stakeholderChange: group(
      {
        enabled: flag(true, 'Optional trigger: stakeholder change / champion left (R-19)'),
        withinDays: days(10, 'New-sponsor intro within this (R-19)'),
        handoffNoteHours: hours(24, 'Handoff note within this (R-19)'),
        roles: z
          .array(z.enum(STAKEHOLDER_ROLES))
          .min(1)
          .default(() => ['executiveSponsor' as const, 'decisionMaker' as const, 'champion' as const])
          .describe('A client stakeholder holding one of these who leaves (is deactivated) fires the trigger (R-19: sponsor, decision-maker or champion left)'),
      },
      'Optional stakeholder-change trigger (R-19)',
    ),
    missedSla: group(
      {
        enabled: flag(true, 'Optional trigger: missed-SLA threshold (R-20)'),
        withinDays: days(5, 'Root cause + client comms within this (R-20)'),
      },
      'Optional missed-SLA trigger (R-20)',
    ),
    owners: group(
      {
        renewal: role('AM', 'Renewal trigger owner (R-13)'),
        deliveryKickoff: role('PM', 'Delivery kickoff owner (R-16)'),
        engagementDrop: role('CSM', 'Engagement-drop owner (R-17)'),
        adoption: role('TAM', 'Adoption-below-threshold owner (R-18)'),
        stakeholderChange: role('CSM', 'Stakeholder-change owner (R-19)'),
        missedSla: role('TAM', 'Missed-SLA owner (R-20)'),
      },
      'Fixed trigger owners; FY and assessment triggers use raci.<seg>.dateTriggerOwner (R-13..R-20)',
    ),
    coverageTargetPct: pct(100, 'Active clients with the six triggers or a queue (R-23)'),
    firstActionOnTimeTargetPct: pct(95, 'Trigger first actions within firstActionHours (R-23)'),
  },
  'Triggers (R-13..R-23)',
);
