/**
 * The ledger's event catalogue: one entry per event type, with a sentence saying what it records
 * (naming the rules that typically cause it) and the exact zod schema of its `data` object.
 * `docs/events.md` is generated from this file (`npx tsx scripts/event-docs.ts`), so the two
 * cannot drift.
 *
 * The common envelope (id, occurredAt, clientId, process, workflowId, type, ruleId, why, actor) is
 * the `events` table in db/schema.ts; only `data` is typed per event here. Data shapes are exact:
 * every object is strict, so a writer that adds a field must add it here first.
 *
 * Pure and deterministic (imported from Temporal workflow code): no I/O, no clock.
 */
import { z } from 'zod';
import { CLIENT_OVERRIDE_AREAS, SEGMENTS, TOUCH_TIERS } from './policy.js';
import { MSP_ROLES, STAKEHOLDER_ROLES } from './roles.js';
import { SIGNAL_KINDS as UPSELL_SIGNAL_KINDS } from './upsell-kinds.js';

// ---------------------------------------------------------------------------------------------
// Field builders

const id = (d: string) => z.string().min(1).describe(d);
const text = (d: string) => z.string().min(1).describe(d);
/** An instant with an explicit offset (`Z` or `±hh:mm`), e.g. a deadline in the client's zone. */
const instant = (d: string) => z.iso.datetime({ offset: true }).describe(d);
/** A calendar date, YYYY-MM-DD. */
const date = (d: string) => z.iso.date().describe(d);
const int = () => z.number().int();
const count = (d: string) => int().min(0).describe(d);
/** Any JSON value (null, boolean, number, string, array, object); rendered as "JSON value". */
const jsonValue = (d: string) => z.json().meta({ docType: 'JSON value' }).describe(d);

const segment = (d: string) => z.enum(SEGMENTS).describe(d);
const goalLevel = (d: string) => int().min(1).max(5).describe(d);
const touchTier = (d: string) => z.enum(TOUCH_TIERS).describe(d);
const ARCHETYPES = ['Transform', 'Modernize', 'Educate', 'Sustain'] as const;

/**
 * The client fields a registry update can change (the API's client body, db/clients.ts ClientInput).
 * `stakeholders` appears only in events recorded before the stakeholder registry (issue 9); changes
 * to the client's people are `stakeholder.*` events now.
 */
const CLIENT_FIELDS = [
  'name', 'externalRef', 'mrr', 'maturity', 'appetite', 'ownsInnovationAgenda', 'timeZone', 'holidays', 'region',
  'publicHolidayExceptions', 'renewalDate', 'fiscalYearEnd', 'stakeholders',
] as const;
const STAKEHOLDER_FIELDS = ['name', 'title', 'email', 'roles'] as const;
const stakeholderRoles = (d: string) => z.array(z.enum(STAKEHOLDER_ROLES)).min(1).describe(d);

const placement = (when: 'before' | 'after') =>
  z
    .strictObject({
      segment: segment(`Segment ${when} the change (R-1)`),
      goalLevel: goalLevel(`Goal level ${when} the change (R-1)`),
      touchTier: touchTier(`Touch tier ${when} the change (R-3)`),
    })
    .describe(`Placement ${when} the change`);

const segmentAndGoal = (when: 'before' | 'after') =>
  z
    .strictObject({
      segment: segment(`Segment ${when} the change (R-1, R-7)`),
      goalLevel: goalLevel(`Goal level ${when} the change (R-1, R-7)`),
    })
    .describe(`Segment and goal level ${when} the change`);

const overrides = (d: string) =>
  z.partialRecord(z.enum(CLIENT_OVERRIDE_AREAS), jsonValue('The override for this policy area')).describe(d);

const ctaId = () => id('The CTA this event is about');
const meetingId = () => id('The meeting this event is about');

// ---------------------------------------------------------------------------------------------
// The catalogue

export interface EventSpec {
  /** One sentence: what the event records and the rules that typically cause it. */
  description: string;
  /** Exact (strict) schema of the event's `data` object. */
  data: z.ZodObject;
}

const spec = <S extends z.ZodObject>(description: string, data: S) => ({ description, data });

export const eventCatalogue = {
  // Registry (db/clients.ts)
  'client.registered': spec(
    'A client was registered and placed by the active policy: segment and goal level from maturity and appetite (R-1, A-1, A-2), MRR tier (R-2) and touch tier (R-3); `why` holds the scores, MRR, rule ids, explanation and policy version.',
    z.strictObject({
      segment: segment('Computed segment (R-1)'),
      goalLevel: goalLevel('Computed goal level (R-1, A-2)'),
      mrrTier: z.enum(['High', 'Mid', 'Low']).describe('MRR tier (R-2)'),
      touchTier: touchTier('Touch tier from segment × MRR tier (R-2, R-3)'),
      archetype: z.enum(ARCHETYPES).describe('Maturity/appetite quadrant (R-1)'),
    }),
  ),
  'client.updated': spec(
    "A client's registry fields were changed through the API, each with its value before and after; a placement change that follows is recorded separately as `segment.changed` (R-1..R-3).",
    z.strictObject({
      changes: z
        .partialRecord(
          z.enum(CLIENT_FIELDS),
          z
            .strictObject({
              before: jsonValue('Stored value before the update'),
              after: jsonValue('Value after the update'),
            })
            .describe('One changed field'),
        )
        .refine((c) => Object.keys(c).length > 0, 'at least one field changed')
        .describe('Changed fields only, keyed by field name'),
    }),
  ),
  'segment.changed': spec(
    "Placement re-ran after a change to maturity, appetite, MRR or the innovation flag and moved the client's segment, goal level or touch tier (rule R-1 when segment or goal moved, R-3 when only the touch tier did); under a manual override (R-7) only the touch tier can move.",
    z.strictObject({ before: placement('before'), after: placement('after') }),
  ),
  'segment.overridden': spec(
    'The computed placement was replaced by a manual segment and goal level with a logged rationale (R-7, approved by the CS Lead per R-1); `why` holds the rationale and the computed placement.',
    z.strictObject({ before: placement('before'), after: placement('after') }),
  ),
  'segment.override_cleared': spec(
    'A manual placement override (R-7) was removed and the client returned to the placement computed by the active policy (R-1..R-3).',
    z.strictObject({ before: placement('before'), after: placement('after') }),
  ),
  'segment.review_due': spec(
    "The client's placement review came due (R-7), the interval counted from registration or the previous review and rolled to a business day (C-2); `why` holds the anchor, interval, zone and holidays.",
    z.strictObject({
      cycle: int().min(1).describe('Review cycle, 1 for the first review after registration'),
      segment: segment('Segment in force when the review came due'),
      goalLevel: goalLevel('Goal level in force when the review came due'),
      source: z.enum(['computed', 'override']).describe('Whether the placement in force is computed (R-1) or a manual override (R-7)'),
    }),
  ),
  'role.assigned': spec(
    'A person, with a named backup, was made Accountable for an MSP role for this client (R-122, DOMAIN §2.19); replaces any earlier holder of the role.',
    z.strictObject({
      role: z.enum(MSP_ROLES).describe('The MSP role'),
      personId: id('The Accountable person'),
      backupPersonId: id('The named backup (R-122)').nullable(),
      previous: z
        .strictObject({ personId: id('Who held the role before'), backupPersonId: id('Their backup').nullable() })
        .nullable()
        .describe('The assignment this one replaced, if any'),
    }),
  ),
  'role.unassigned': spec(
    "A role assignment was removed from the client (R-122), leaving the role without an Accountable until it is assigned again.",
    z.strictObject({
      role: z.enum(MSP_ROLES).describe('The MSP role'),
      personId: id('The person who held the role'),
      backupPersonId: id('Their named backup').nullable(),
    }),
  ),

  // Client stakeholders (db/stakeholders.ts): the client's own people
  'stakeholder.added': spec(
    "A person of the client joined its stakeholder registry with their roles in the client (sponsor, decision-maker, budget holder, IT contact…), which pair them with MSP roles (R-123).",
    z.strictObject({
      stakeholderId: id('The stakeholder'),
      name: text('Their name'),
      title: text('Their job title, e.g. `CFO`').optional(),
      email: text('Their email').optional(),
      roles: stakeholderRoles('Their roles in the client (R-123 pairing; sponsor R-17/R-50/R-104, decision-maker R-26)'),
    }),
  ),
  'stakeholder.updated': spec(
    "A client stakeholder's name, title, email or roles changed, each with its value before and after (R-123 pairing follows the roles).",
    z.strictObject({
      stakeholderId: id('The stakeholder'),
      name: text('Their name after the change'),
      changes: z
        .partialRecord(
          z.enum(STAKEHOLDER_FIELDS),
          z.strictObject({ before: jsonValue('Value before'), after: jsonValue('Value after') }).describe('One changed field'),
        )
        .refine((c) => Object.keys(c).length > 0, 'at least one field changed')
        .describe('Changed fields only'),
    }),
  ),
  'stakeholder.deactivated': spec(
    "A client stakeholder left or no longer takes part: kept in the registry but inactive. When they were the sponsor, a decision-maker or the champion, the rule is R-19 and the running cadence is told (stakeholder-change trigger); `why.stakeholderChange` names the role reported.",
    z.strictObject({
      stakeholderId: id('The stakeholder'),
      name: text('Their name'),
      roles: stakeholderRoles('The roles they held'),
      leftAt: instant('When they left'),
      reason: text('Why, e.g. `left the company`').optional(),
    }),
  ),
  'stakeholder.reactivated': spec(
    'A deactivated client stakeholder takes part again (R-123 pairing counts them again).',
    z.strictObject({
      stakeholderId: id('The stakeholder'),
      name: text('Their name'),
      title: text('Their job title').optional(),
      email: text('Their email').optional(),
      roles: stakeholderRoles('Their roles in the client'),
    }),
  ),
  'access.updated': spec(
    "An access grant reported after the onboarding had closed updated the client's access record instead of the closed onboarding (R-124, C-6); the access % is recomputed over the record's systems (R-49).",
    z.strictObject({
      granted: z.array(text('A system')).describe('Systems newly granted by this report'),
      alreadyGranted: z.array(text('A system')).describe('Systems reported that were already granted'),
      accessPercent: z.number().min(0).max(100).describe('Granted rows / rows, truncated to 2 decimals (R-49)'),
      thresholdPct: z.number().min(0).max(100).describe('The R-48/R-49 threshold in force'),
    }),
  ),
  'risk.evidence_added': spec(
    'New evidence was appended to an open At Risk record (R-93 "a new trigger on an open risk appends evidence", R-124), e.g. access completed after the onboarding closed on a Delivery risk opened at the Day 14 checkpoint (R-50); `conditionCleared` says whether the condition that opened it no longer holds.',
    z.strictObject({
      riskId: id('The risk record'),
      evidence: text('What happened'),
      conditionCleared: z.boolean().describe('Whether the condition that opened the risk no longer holds (exit still follows R-102)'),
    }),
  ),

  // Policy (db/policies.ts, db/clients.ts)
  'policy.published': spec(
    'A new MSP-wide policy version was published (DOMAIN §4, every [P] value); it has no client, and `why` holds the publisher\'s note and the previous version.',
    z.strictObject({
      version: int().min(1).describe('The version now in force'),
      changes: z
        .array(
          z
            .strictObject({
              path: z.string().describe('Dotted path of the changed policy value, e.g. `onboarding.kickoffBusinessDays`'),
              before: jsonValue('Value in the previous version; absent when the path was added').optional(),
              after: jsonValue('Value in this version; absent when the path was removed').optional(),
            })
            .describe('One changed leaf'),
        )
        .describe('Every changed leaf against the previous version, ordered by path'),
    }),
  ),
  'policy.client_overrides_set': spec(
    "A client's per-client policy overrides were replaced (DOMAIN §4, client-level areas only such as calendar, onboarding and cadence); they apply to the client's processes from their next policy read.",
    z.strictObject({
      before: overrides('The whole override document before, keyed by policy area'),
      after: overrides('The whole override document after, keyed by policy area'),
    }),
  ),

  // Processes (onboarding R-46..R-57; engagement R-58..R-61 later)
  'process.started': spec(
    "A process run started for the client under a policy version, with the inputs it was started with (e.g. onboarding's signature date as Day 0, R-46..R-57).",
    z.strictObject({
      processVersion: int().min(1).describe('Version of the process definition (workflow code) the run follows').optional(),
      policyVersion: int().min(1).describe('Policy version the run reads its deadlines and owners from'),
      inputs: z.record(z.string(), jsonValue('One start input')).describe('The start inputs, e.g. `{ signatureDate }`'),
    }),
  ),
  'process.completed': spec(
    "A process run finished (e.g. onboarding's Day 90 closeout and handoff to Engagement, R-56), with its outcome and the exceptions it left open as CTAs or At Risk.",
    z.strictObject({
      outcome: text('How the run ended, e.g. `closed`'),
      openExceptions: count('Exceptions still open at the end, moved to CTAs or At Risk (R-56)').optional(),
    }),
  ),
  'process.failed': spec(
    "A running process could not record what it did (a permanent failure, or the database unreachable through every retry). For a report, the state was put back and the report refused with nothing changed; for a due step (a deadline, a trigger, the horizon roll), the step was undone and is retried at `retryAt`, the process showing `stalled` on its status meanwhile (issue 10: no silent divergence between a process and its timeline).",
    z.strictObject({
      stage: z.enum(['report', 'due']).describe('What failed: a report sent to the process, or a step due at an instant'),
      action: text('The report, as its API operation names it').optional(),
      due: text('The due step, e.g. `grace|strategic/2027-02` or `deadline/kickoff`').optional(),
      activity: text('The activity that failed'),
      failureType: text('The failure type, e.g. `InvalidInput` or `DatabaseUnavailable`'),
      message: z.string().describe('What the failure said (control characters removed)'),
      retryable: z.boolean().describe('Whether retrying later may succeed (false: the input itself cannot be recorded)'),
      retryAt: instant('When the due step is tried again').optional(),
    }),
  ),
  'process.fact_recorded': spec(
    "Ops or an automation told a running process something that happened (e.g. onboarding: access granted, R-49; quick win done, R-52; roadmap and Budget v1 confirmed, R-53); `data.fact` names the action and `data.details` holds what it carried and what it changed, e.g. the access % now.",
    z.strictObject({
      fact: text('The action, as its API operation names it, e.g. `accessGranted`'),
      details: z.record(z.string(), jsonValue('One detail')).describe('What the action carried and its immediate result'),
    }),
  ),
  'step.completed': spec(
    'A numbered step of a process was completed (e.g. onboarding steps 0–8, R-46..R-56).',
    z.strictObject({
      step: count('Step number in the process (onboarding 0–8)'),
      name: text('Step name, e.g. `kickoff`'),
    }),
  ),
  'deadline.set': spec(
    'A process computed a deadline from policy in the client\'s business time (C-1..C-4; e.g. kickoff ≤ Day 0 + 5 bd, R-47; access by Day 14 and documentation by Day 21, R-49); `why` holds the anchor, zone and holidays.',
    z.strictObject({
      deadline: text('Deadline name, e.g. `kickoff`'),
      dueAt: instant('Due instant, in the client\'s time zone'),
      clock: z
        .enum(['elapsed', 'businessDays', 'checkpoint', 'roll', 'businessHours'])
        .describe('How it was computed: elapsed hours (C-1), business days (C-1), CHECKPOINT (C-3), ROLL (C-2) or business hours (C-1)'),
    }),
  ),
  'deadline.missed': spec(
    'A deadline passed without the work it guards (e.g. kickoff R-47; access at Day 14 or documentation at Day 21, R-49, escalated per R-50); a deadline already past when the process starts is missed at once and marked late.',
    z.strictObject({
      deadline: text('Deadline name, as in `deadline.set`'),
      dueAt: instant('The instant that was missed'),
      lateByMs: count('How late the process noticed the miss, in milliseconds (e.g. a Day 0 in the past)').optional(),
    }),
  ),
  'gate.opened': spec(
    'Every condition of a gate now holds, so the work it guards may proceed (e.g. R-48: access ≥95 %, documentation baselined, MFA and backup monitoring verified).',
    z.strictObject({
      gate: text('Gate name, e.g. `delivery` (R-48)'),
      conditions: z.record(z.string(), z.boolean()).describe('Each condition and whether it holds'),
    }),
  ),
  'gate.closed': spec(
    'A gate is shut because at least one of its conditions fails (e.g. R-48 at onboarding start, kept shut after a miss per R-50).',
    z.strictObject({
      gate: text('Gate name, e.g. `delivery` (R-48)'),
      conditions: z.record(z.string(), z.boolean()).describe('Each condition and whether it holds'),
    }),
  ),

  // CTAs
  'cta.opened': spec(
    "A CTA was created with one owner resolved from the client's role assignments, their named backup, or else the CS Lead (R-122), a due instant and a first-action SLA (C-5, R-30: 72h by default).",
    z.strictObject({
      ctaId: ctaId(),
      kind: text('What the CTA is for, e.g. `access-request` or `escalation`'),
      ownerRole: z.enum(MSP_ROLES).describe('The role that owns it'),
      ownerId: id('The person who owns it; null only when nobody holds the role, its backup or the CS Lead role').nullable(),
      dueAt: instant('When the CTA is due'),
      firstActionDueAt: instant('When the first action is due (C-5)'),
      backupId: id('The named backup the first escalation goes to (R-122)').nullable(),
    }),
  ),
  'cta.first_action': spec(
    "The CTA's owner recorded a concrete first step (C-5), which stops the first-action SLA clock (R-30).",
    z.strictObject({
      ctaId: ctaId(),
      note: text('The step taken'),
      byPersonId: id('Who took it, when not the owner').optional(),
    }),
  ),
  'cta.completed': spec(
    'A CTA was done (R-30), closing its SLA clocks.',
    z.strictObject({
      ctaId: ctaId(),
      note: text('Outcome note').optional(),
    }),
  ),
  'cta.escalated': spec(
    "A CTA's first-action SLA (C-5, R-30) was breached, so it escalated to the named backup and then to the CS Lead (R-122, R-94).",
    z.strictObject({
      ctaId: ctaId(),
      level: z.enum(['backup', 'csLead']).describe('Escalation level reached'),
      fromId: id('Person it escalated from').nullable(),
      toId: id('Person it escalated to; null when no one holds that role').nullable(),
      reason: text('Why, e.g. `first action not recorded within 72h`'),
    }),
  ),
  'cta.reassigned': spec(
    'A CTA was given to another owner with a reason (R-122), e.g. during an absence.',
    z.strictObject({
      ctaId: ctaId(),
      fromId: id('Previous owner').nullable(),
      toId: id('New owner'),
      reason: text('Why it was reassigned'),
    }),
  ),

  // Meetings
  'meeting.scheduled': spec(
    'A meeting was booked for the client (e.g. the onboarding kickoff ≤ Day 0 + 5 bd, R-47; cadence bookings, R-10).',
    z.strictObject({
      meetingId: meetingId(),
      kind: text('Meeting kind, e.g. `kickoff`'),
      startsAt: instant('Start instant'),
      endsAt: instant('End instant').optional(),
      mode: z.enum(['live', 'hybrid', 'async']).describe('Format (R-57 variations by segment)').optional(),
    }),
  ),
  'meeting.held': spec(
    'A meeting was marked held, with its decisions capped at two (R-27, R-47) and who attended.',
    z.strictObject({
      meetingId: meetingId(),
      decisions: count('Decisions taken (≤2, R-27)').optional(),
      attendees: z.array(text('One attendee')).describe('Who attended').optional(),
    }),
  ),
  'meeting.missed': spec(
    'A meeting counts as missed: client no-show, cancellation <24h before start, or not marked held within 2h of its end (DOMAIN §2.5, A-13; R-33..R-35).',
    z.strictObject({
      meetingId: meetingId(),
      reason: z.enum(['noShow', 'lateCancel', 'notMarkedHeld', 'lateReschedule']).describe('Which miss condition applied'),
      consecutiveMisses: count('Consecutive missed strategic meetings including this one (R-33..R-35)').optional(),
    }),
  ),
  'meeting.cancelled': spec(
    'A booked meeting was cancelled: by the client with enough notice (§2.5, not a miss), because a segment change dropped its type (R-9), or because its trigger was re-planned (R-13, R-14).',
    z.strictObject({
      meetingId: meetingId(),
      reason: text('Why, e.g. `cancelled by the client 72h ahead` or `type not used by segment C`'),
    }),
  ),
  'meeting.moved': spec(
    'A booked meeting moved to a new time: a reschedule agreed with the client (§2.5); its prep and pre-read deadlines follow it (R-24, R-26).',
    z.strictObject({
      meetingId: meetingId(),
      fromStartsAt: instant('Start before the move'),
      startsAt: instant('New start'),
      endsAt: instant('New end'),
    }),
  ),
  'meeting.restyled': spec(
    "A booked meeting kept its date but switched template, mode and RACI after the client's segment changed (R-9).",
    z.strictObject({
      meetingId: meetingId(),
      template: text('New template, e.g. `QBR`'),
      mode: z.enum(['live', 'hybrid', 'async']).describe('New format'),
      accountableRole: z.enum(MSP_ROLES).describe('New Accountable role (§2.19)'),
    }),
  ),
  'decision.logged': spec(
    'A decision taken in a strategic meeting entered the Decision Log (R-31) with its owner, date and budget; `credited` says whether it passes the credit gate (R-32: owner + date + budget in writing).',
    z.strictObject({
      meetingId: meetingId(),
      title: text('The decision'),
      ownerRole: z.enum(MSP_ROLES).describe('Its Accountable role at the MSP (for a client-owned decision, the role paired with that person, R-123)'),
      ownerStakeholderId: id('The client stakeholder who owns the decision (R-27 "owner CFO")').optional(),
      ownerName: text('That stakeholder\'s name').optional(),
      targetDate: z.string().describe('Owner\'s target date, yyyy-MM-dd').optional(),
      budgetUsd: z.number().min(0).describe('Budget in USD').optional(),
      credited: z.boolean().describe('Whether it counts as expansion credit (R-32)'),
      initiativeId: id('The initiative it decides (issue 11: named, or created Qualified from the decision)').optional(),
    }),
  ),
  'trigger.fired': spec(
    'One of the six scheduling triggers fired (R-13..R-18, optional R-19): a meeting was booked for it, or its agenda block, prep items and CTA were merged into an existing strategic meeting (R-21).',
    z.strictObject({
      trigger: z.enum(['renewal', 'fiscalYearEnd', 'assessmentCompleted', 'initiativeApproved', 'engagementDrop', 'adoptionBelowThreshold', 'stakeholderChange', 'proposalReset', 'riskReengage']).describe('Which trigger (proposalReset: the R-78 live reset of a proposal undecided at age 31; riskReengage: an At Risk executive re-engage session, R-97)'),
      anchor: text('What it hangs off, e.g. the renewal date or the initiative id; one active trigger per (trigger, anchor)'),
      targetDate: z.string().describe('Date the meeting should happen, yyyy-MM-dd in the client zone'),
      merged: z.boolean().describe('True when attached to an existing strategic meeting (R-21)'),
      meetingId: id('The meeting booked or merged into').nullable(),
    }),
  ),
  'trigger.replanned': spec(
    "A planned date trigger moved because the client's renewal date or fiscal year-end changed (R-13, R-14): the old one is withdrawn and the new one planned.",
    z.strictObject({
      trigger: z.enum(['renewal', 'fiscalYearEnd']).describe('Which date trigger'),
      before: z.strictObject({ anchor: text('Old anchor date'), fireAt: instant('Old fire instant') }).nullable().describe('The withdrawn plan'),
      after: z.strictObject({ anchor: text('New anchor date'), fireAt: instant('New fire instant') }).nullable().describe('The new plan'),
    }),
  ),
  'trigger.cleared': spec(
    'An active trigger ended because its condition no longer holds, e.g. adoption back over the threshold (R-18, R-121).',
    z.strictObject({
      trigger: z.enum(['adoptionBelowThreshold']).describe('Which trigger'),
      anchor: text('Its anchor, e.g. `mfa`'),
    }),
  ),

  // Planning loop (issue 11: DOMAIN §2.11–§2.15; db/planning.ts, workflows/initiative.ts, proposal.ts, planning-loop.ts)
  'discovery.planned': spec(
    'A Discovery was planned for the client with its owner, format and pre-work (R-67: A quarterly multi-stakeholder … D annual light intake).',
    z.strictObject({
      discoveryId: id('The discovery'),
      ownerRole: z.enum(MSP_ROLES).describe('Its owner: vCIO (A/B), CSM (C), TAM (D) (R-67)'),
      format: text('Its format by segment, e.g. `multiStakeholder` (R-67)'),
      scheduledFor: z.string().describe('Planned date, yyyy-MM-dd').nullable(),
    }),
  ),
  'discovery.completed': spec(
    "A Discovery was completed: notes tagged, each insight routed to Assessment, Initiative or Roadmap (R-68), the goal level re-scored (a change goes through placement with its rationale, R-7), the recap due in 48h and the next engagement booked or asked for.",
    z.strictObject({
      discoveryId: id('The discovery'),
      insights: count('Insights recorded'),
      routed: z.strictObject({ assessment: count('Routed to an assessment'), initiative: count('Routed to an initiative'), roadmap: count('Routed to the roadmap') }).describe('Insights by route (R-68)'),
      createdInitiatives: z.array(id('An initiative created from an insight')).describe('Initiatives it created (source: this discovery)'),
      createdAssessments: z.array(id('An assessment planned from an insight')).describe('Assessments it planned'),
      goalRescored: z.boolean().describe('Whether the re-scored goal level changed the placement inputs (R-68, R-7)'),
      nextEngagementAt: instant('The next engagement booked (R-68)').nullable(),
    }),
  ),
  'discovery.recap_sent': spec(
    'The Discovery recap (client summary) was sent (R-68: within 48h of completion).',
    z.strictObject({ discoveryId: id('The discovery'), sentAt: instant('When it was sent'), onTime: z.boolean().describe('Within the recap hours (R-68, R-29)') }),
  ),
  'assessment.designed': spec(
    'An assessment was designed: template, scope (portfolio, single project or risk-targeted) and owner; `requirement` is what the goal level asks for (R-69, R-70).',
    z.strictObject({
      assessmentId: id('The assessment'),
      template: text('Its template'),
      scope: z.enum(['portfolio', 'singleProject', 'riskTargeted']).describe('Scope (R-70)'),
      ownerRole: z.enum(MSP_ROLES).describe('Its owner (R-69)'),
      requirement: z.enum(['ifAppetite', 'recommended', 'mandatory', 'innovationReadiness']).describe('What the client\'s goal level asks for (R-69)'),
    }),
  ),
  'assessment.completed': spec(
    "An assessment was completed: 5–7 categories scored Not applicable / At Risk / Needs Attention / Satisfactory with public and private comments, findings turned into initiatives (R-70); completion fires the cadence's roadmap review (R-15) and adoption figures feed the fix-first gate (R-18, R-121).",
    z.strictObject({
      assessmentId: id('The assessment'),
      categories: count('Categories scored (R-70)'),
      scores: z.partialRecord(z.enum(['NotApplicable', 'AtRisk', 'NeedsAttention', 'Satisfactory']), count('Categories with this score')).describe('Categories by score'),
      findings: count('Findings'),
      createdInitiatives: z.array(id('An initiative created from a finding')).describe('Initiatives created from findings (source: this assessment)'),
      adoption: z.strictObject({ mfaPct: z.number().min(0).max(100).describe('MFA adoption, %').optional(), endpointPct: z.number().min(0).max(100).describe('Endpoint agent coverage, %').optional() }).describe('Adoption figures it measured (R-18, R-121)').optional(),
    }),
  ),
  'initiative.created': spec(
    'An Initiative Card was created with its source and date, lane, quarter and id (R-71; orphans are refused), from Discovery, Assessment, a meeting decision, onboarding or by hand.',
    z.strictObject({
      initiativeId: id('The initiative'),
      title: text('Its title'),
      state: z.enum(['Identified', 'Qualified']).describe('Its first state (a meeting decision creates it Qualified, the decision standing as its price test)'),
      lane: z.enum(['Stability', 'Efficiency', 'Growth', 'Innovation']).describe('Lane (A-4, R-85)'),
      quarter: z.string().describe('Target quarter, YYYY-Qn (C-7)'),
      source: z.strictObject({ kind: z.enum(['discovery', 'assessment', 'health', 'signal', 'decision', 'onboarding', 'manual']).describe('Where it came from (R-71)'), ref: z.string().describe('The record it came from').optional(), date: z.string().describe('Source date, yyyy-MM-dd') }).describe('Source and date (R-71)'),
      tier: int().min(1).max(2).describe('Tier 1 or 2 (R-121: tier 2 needs adoption over the line)'),
      remediation: z.boolean().describe('Remediation work, allowed through the fix-first gate (R-121) and the R-76 exception'),
    }),
  ),
  'initiative.state_changed': spec(
    "An initiative moved along its states (R-74: Identified → Qualified → PreApproved → Proposed → Approved → InDelivery → Delivered → Verified; Parked, Declined, Cancelled), each transition with its precondition in `why`; health reads it for roadmap movement (R-93).",
    z.strictObject({
      initiativeId: id('The initiative'),
      from: text('State before'),
      to: text('State after'),
      quarter: z.string().describe('Its quarter after the change (Parked: the quarter it was parked to)').optional(),
      reason: text('Why (R-80 decline/park reasons: price, timing, relevance, dependency, other)').optional(),
    }),
  ),
  'initiative.flagged': spec(
    'A flag on an initiative was set or cleared: `Stalled` after no state change for more than 45 days (R-75), cleared by the next change; `AtRisk` by an At-Risk record.',
    z.strictObject({ initiativeId: id('The initiative'), flag: z.enum(['Stalled', 'AtRisk']).describe('Which flag'), set: z.boolean().describe('Set (true) or cleared') }),
  ),
  'price_test.logged': spec(
    "A price test was logged as a budget note (R-42, R-83: owner + quarter + range); a viable one qualifies the initiative (R-74), a 'not now' parks it with a reason.",
    z.strictObject({
      priceTestId: id('The price test'),
      initiativeId: id('Its initiative'),
      ownerRole: z.enum(MSP_ROLES).describe('Who ran it (R-42: AM)'),
      quarter: z.string().describe('Quarter tested, YYYY-Qn'),
      minUsd: z.number().min(0).describe('Low end of the range'),
      maxUsd: z.number().min(0).describe('High end of the range'),
      outcome: z.enum(['viable', 'notNow']).describe('The client\'s answer (R-42)'),
    }),
  ),
  'pre_approval.logged': spec(
    'A pre-approval (informal yes) was logged with owner, target quarter and budget band (R-42, R-74); it ages from now (R-83: 31 d re-engage, 61 d expiry).',
    z.strictObject({
      preApprovalId: id('The pre-approval'),
      initiativeId: id('Its initiative'),
      ownerRole: z.enum(MSP_ROLES).describe('MSP role owning it'),
      ownerStakeholderId: id('The client stakeholder who gave it').optional(),
      quarter: z.string().describe('Target quarter, YYYY-Qn'),
      minUsd: z.number().min(0).describe('Band low'),
      maxUsd: z.number().min(0).describe('Band high'),
    }),
  ),
  'pre_approval.aged': spec(
    'A pre-approval reached the re-engage age with no proposal (R-83: age 31 d, C-3 checkpoint); a re-engage CTA went to its owner.',
    z.strictObject({ preApprovalId: id('The pre-approval'), initiativeId: id('Its initiative'), ageDays: count('age_days (C-3)') }),
  ),
  'pre_approval.expired': spec(
    'A pre-approval expired unused (R-83: age 61 d): its initiative is Parked to the next quarter and the roadmap and budget versioned.',
    z.strictObject({ preApprovalId: id('The pre-approval'), initiativeId: id('Its initiative'), ageDays: count('age_days (C-3)') }),
  ),
  'proposal.created': spec(
    'A proposal (a version of one) was created for a PreApproved initiative with a roadmap slot and a budget line (R-76), its Executive Decision Sheet first with at most two options (R-77); a late acceptance of an Expired one creates the next version as a Draft (R-124).',
    z.strictObject({
      proposalId: id('The proposal'),
      initiativeId: id('Its initiative'),
      version: int().min(1).describe('Version, 1 for the first'),
      previousProposalId: id('The version it follows (R-124)').optional(),
      options: int().min(1).max(2).describe('Options on the EDS (R-77)'),
      status: z.enum(['draft']).describe('Created as a draft'),
    }),
  ),
  'proposal.sent': spec(
    'A proposal was sent to the client; its aging starts (R-78: buckets 0–14, 15–30, >30 days).',
    z.strictObject({ proposalId: id('The proposal'), initiativeId: id('Its initiative'), version: int().min(1).describe('Version'), sentAt: instant('When it was sent') }),
  ),
  'proposal.aged': spec(
    'A sent proposal entered its next aging bucket (R-78: age_days 15 → 15–30, 31 → >30 with the re-engage play).',
    z.strictObject({ proposalId: id('The proposal'), ageDays: count('age_days (C-3)'), bucket: z.enum(['0-14', '15-30', '>30']).describe('Bucket entered') }),
  ),
  'proposal.decided': spec(
    'A proposal reached its end: accepted (a Decision Log entry through the credit gate, R-32), declined with a reason (R-80), expired at age 61 with no client decision (R-79) or withdrawn; health reads the decision velocity from it (R-106).',
    z.strictObject({
      proposalId: id('The proposal'),
      initiativeId: id('Its initiative'),
      outcome: z.enum(['accepted', 'declined', 'expired', 'withdrawn']).describe('How it ended'),
      reason: z.string().describe('Decline/expiry reason (R-80); absent until captured').optional(),
      optionIndex: int().min(0).max(1).describe('The option accepted').optional(),
      ageDays: count('age_days when decided').optional(),
    }),
  ),
  'proposal.reason_captured': spec(
    'The decline reason of an expired (or declined) proposal was captured afterwards (R-79, R-80: reasons ≥90 %).',
    z.strictObject({ proposalId: id('The proposal'), reason: text('The reason') }),
  ),
  'budget.versioned': spec(
    'A new budget version was recorded with its one-line note (R-82: v0 sales, v1 onboarding, v2…; every line has an initiative id), by hand, by the recap of a meeting (R-31) or because an initiative was parked (R-79, R-83).',
    z.strictObject({
      version: count('Version number'),
      note: text('One-line change note (R-82)'),
      lines: count('Lines'),
      totalUsd: z.number().min(0).describe('Sum of the lines'),
      byQuarter: z.record(z.string(), z.number()).describe('Totals by quarter (Budget Snapshot, R-82)'),
      source: z.enum(['manual', 'sales', 'onboarding', 'recap', 'park']).describe('What produced it'),
    }),
  ),
  'budget.actuals_recorded': spec(
    "The quarter's actual spend was recorded, compared with the forecast at quarter close (R-84).",
    z.strictObject({ quarter: z.string().describe('Quarter, YYYY-Qn'), actualUsd: z.number().min(0).describe('Actual spend') }),
  ),
  'roadmap.versioned': spec(
    'A new roadmap version was recorded with its note (R-85: every item linked to an initiative or proposal; R-86: at most two big rocks a quarter, extras moved to the next free quarter); `changed` is false for a review that moved nothing. Health reads it for roadmap movement (R-93).',
    z.strictObject({
      version: int().min(1).describe('Version number'),
      note: text('One-line note'),
      items: count('Items'),
      changed: z.boolean().describe('Whether any item was added, removed or moved'),
      moved: z.array(z.strictObject({ initiativeId: id('Item'), from: z.string().describe('Quarter asked for'), to: z.string().describe('Quarter placed in') })).describe('Big rocks pushed to the next free quarter (R-86)'),
      source: z.enum(['manual', 'sales', 'onboarding', 'recap', 'park']).describe('What produced it'),
    }),
  ),
  'roadmap.stale': spec(
    'Health warning: the roadmap has not changed for more than two quarters (R-86).',
    z.strictObject({ lastChangedAt: instant('When it last changed'), quarters: count('Quarters it has been unchanged') }),
  ),
  'report.delivered': spec(
    'A report was delivered to the client in its segment\'s format (R-88: D auto email/portal, C async PDF + video, B live/hybrid, A live).',
    z.strictObject({ reportId: id('The report'), title: text('Its title'), format: text('Its format') }),
  ),
  'report.opened': spec(
    'The client opened a delivered report; any unopened reminder or escalation is cleared (R-88).',
    z.strictObject({ reportId: id('The report'), openedAt: instant('When it was opened') }),
  ),
  'report.unopened': spec(
    'A delivered report was still unopened: after 5 business days a reminder to the client contact and a management alert, after 5 more an escalation (R-88).',
    z.strictObject({ reportId: id('The report'), stage: z.enum(['reminder', 'escalation']).describe('Which step'), businessDays: count('Business days since delivery') }),
  ),
  'backlog.added': spec(
    'An ask beyond the two a strategic session takes went to the client\'s backlog, flagged for the next cadence, whose prep pack shows it (R-27).',
    z.strictObject({ backlogItemId: id('The backlog item'), title: text('The ask'), meetingId: meetingId(), nextCadence: z.boolean().describe('Flagged for the next strategic meeting') }),
  ),
  'ask.flagged': spec(
    'An ask was brought without a Discovery "why" or an Assessment "what/when" (R-28): close the gap first.',
    z.strictObject({ meetingId: meetingId(), title: text('The ask'), initiativeId: id('Its initiative').optional(), missing: z.array(z.enum(['discoveryWhy', 'assessmentWhatWhen'])).min(1).describe('What is missing') }),
  ),
  'quarter.closed': spec(
    "The quarter closed (last business day 17:00): each decision's artefact checked, a CTA to the Accountable of each decision without one (R-61), the decline-reason capture rate (R-61, R-80), budget variance (R-84: >20 % → investigate + At-Risk signal) and realization (<40 % two quarters → simplify scope).",
    z.strictObject({
      quarter: z.string().describe('The quarter, YYYY-Qn'),
      decisions: count('Decisions logged in the quarter'),
      withArtefact: count('Of them, with an artefact (roadmap change, budget version, proposal, project)'),
      declineReasons: z.strictObject({ captured: count('With a reason'), total: count('Declined or expired proposals'), ratePct: z.number().min(0).max(100).nullable().describe('Captured / total'), targetPct: z.number().min(0).max(100).describe('Target (≥90 %)') }).describe('R-61, R-80'),
      variance: z.strictObject({ forecastUsd: z.number().min(0).describe('Budgeted for the quarter'), actualUsd: z.number().min(0).nullable().describe('Recorded actuals'), variancePct: z.number().nullable().describe('(actual − forecast) ÷ forecast'), status: z.enum(['green', 'investigate', 'notMeasured']).describe('R-84') }).describe('R-84 variance'),
      realization: z.strictObject({ budgetedUsd: z.number().min(0).describe('Budgeted for the quarter'), approvedUsd: z.number().min(0).describe('Of it, approved in the quarter'), pct: z.number().min(0).max(100).nullable().describe('approved ÷ budgeted'), below: z.boolean().describe('Below the realization minimum') }).describe('R-84 realization'),
    }),
  ),

  // Risk
  'risk.opened': spec(
    'An At Risk record was opened by a trigger (R-93) with its bucket and severity (R-94), e.g. Delivery/Medium for an onboarding checkpoint miss (R-50); the At Risk process (one per risk) records it with impact × likelihood, its owner and whether it repeats a risk closed within the repeat window (R-103).',
    z.strictObject({
      riskId: id('The risk record'),
      bucket: z.enum(['Service', 'Delivery', 'Strategic', 'Financial']).describe('Risk bucket (R-94)'),
      severity: z.enum(['High', 'Medium', 'Low']).describe('Impact × likelihood band (R-94)'),
      trigger: text('What opened it, e.g. `access below 95 % at Day 14`'),
      impact: int().min(1).max(3).describe('R-94 impact 1–3').optional(),
      likelihood: int().min(1).max(3).describe('R-94 likelihood 1–3').optional(),
      ownerRole: z.enum(MSP_ROLES).describe('Owner: CSM, TAM for Service (R-94, §2.19)').optional(),
      repeat: z.boolean().describe('A risk of the client closed within the repeat window (R-103)').optional(),
      repeatOf: id('The closed risk it repeats').optional(),
    }),
  ),
  'risk.acknowledged': spec(
    'The risk owner acknowledged the risk to the client (R-95: High ≤ 4 business hours, Medium/Low ≤ 8).',
    z.strictObject({ riskId: id('The risk'), onTime: z.boolean().describe('Within the R-95 business hours'), dueAt: instant('When it was due') }),
  ),
  'risk.save_plan_published': spec(
    'A Save Plan version was published (R-98: ≤ 48h after the executive re-engage session and ≤ 5 bd after detection, the earlier): H1 containment days 0–14, H2 correction days 15–60, each action with owner, date and budget/action.',
    z.strictObject({
      riskId: id('The risk'),
      version: int().min(1).describe('Save Plan version'),
      onTime: z.boolean().describe('The first version came by its R-98 due'),
      actions: z.array(z.strictObject({
        id: text('Action id, e.g. `h1-1`'), horizon: z.enum(['H1', 'H2']).describe('Containment or correction'), title: text('The action'), owner: text('Who does it'),
        dueDate: z.string().describe('yyyy-MM-dd'), budgetUsd: z.number().min(0).describe('Budget, if any').optional(),
      }).describe('One action')).describe('The plan\'s actions'),
    }),
  ),
  'risk.reclassified': spec(
    'The risk was reclassified with a rationale (R-101: not resolved at Day 30), its bucket and severity as now (R-94).',
    z.strictObject({
      riskId: id('The risk'), bucket: z.enum(['Service', 'Delivery', 'Strategic', 'Financial']).describe('Bucket now'), severity: z.enum(['High', 'Medium', 'Low']).describe('Severity now'),
      impact: int().min(1).max(3).describe('Impact now'), likelihood: int().min(1).max(3).describe('Likelihood now'), rationale: text('Why'),
    }),
  ),
  'risk.escalated': spec(
    'The risk has been open longer than the escalation line (R-101: > 60 d): escalated to leadership, a contract review flagged.',
    z.strictObject({ riskId: id('The risk'), to: z.enum(MSP_ROLES).describe('The escalation role (CS Manager = CS Lead)'), contractReview: z.boolean().describe('Contract review to consider'), openDays: count('Days open at escalation') }),
  ),
  'risk.stalled': spec(
    'No movement (action done, status change or client decision) on the risk for 14 days (R-100): a reset with two new options (now vs next quarter), held within 7 days.',
    z.strictObject({ riskId: id('The risk'), lastMovementAt: instant('The last movement'), days: count('The no-movement line'), reset: int().min(1).describe('Reset number') }),
  ),
  'risk.closed': spec(
    'The risk exited to green: every exit criterion that applies to its bucket holds (R-102); its resolution time is measured against the ≤ 30 d KPI (R-103) and the After-Action is due within 5 bd.',
    z.strictObject({
      riskId: id('The risk'), outcome: z.enum(['green']).describe('How it ended'), bucket: z.enum(['Service', 'Delivery', 'Strategic', 'Financial']).describe('Bucket at exit'),
      severity: z.enum(['High', 'Medium', 'Low']).describe('Severity at exit'), resolutionDays: z.number().min(0).describe('Days from detection to exit'), withinTarget: z.boolean().describe('Resolved within the R-103 target'),
    }),
  ),
  'risk.after_action_recorded': spec(
    'The After-Action review of a closed risk (R-102: People / Process / Tech / Expectation), feeding the playbooks.',
    z.strictObject({ riskId: id('The risk'), people: text('People'), process: text('Process'), tech: text('Tech'), expectation: text('Expectation') }),
  ),

  // Health (R-104..R-121)
  'health.input_recorded': spec(
    'A health input arrived through the API (R-104 pulse or complaint, R-105 DMI, R-107 service metrics, R-108 alignment) and is kept for the scores; repeats of its Idempotency-Key change nothing (C-6).',
    z.strictObject({
      inputId: id('The input'), kind: z.enum(['pulse', 'complaint', 'dmi', 'serviceMetrics', 'alignment']).describe('Which input'), observedAt: instant('When it was observed'),
      values: z.record(z.string(), jsonValue('One value')).describe('What it carried'),
    }),
  ),
  'health.score_changed': spec(
    'A health dimension\'s score or colour changed (R-104..R-109); `why` carries the inputs, weights, the band crossed and the previous value, so "why is this Red?" is answered from the timeline.',
    z.strictObject({
      dimension: z.enum(['cx', 'adoption', 'engagement', 'serviceQuality', 'alignment', 'composite']).describe('The dimension (or the composite, R-109)'),
      score: z.number().min(0).max(100).nullable().describe('0–100, two decimals; null without data'),
      colour: z.enum(['Green', 'Yellow', 'Red']).nullable().describe('Colour now'),
      previousScore: z.number().min(0).max(100).nullable().describe('Score before'),
      previousColour: z.enum(['Green', 'Yellow', 'Red']).nullable().describe('Colour before'),
      occasion: z.enum(['snapshot', 'signal', 'wake']).describe('Monthly snapshot, a real-time input, or a time threshold (sponsor heartbeat, roadmap age)'),
    }),
  ),
  'health.snapshot': spec(
    'The monthly health snapshot (§2.18, last business day 17:00 in the client\'s zone): each dimension, the composite (R-109), and the credit gate and initiative pause after counting Red months (R-32, R-120).',
    z.strictObject({
      month: z.string().describe('yyyy-MM'), composite: z.number().nullable().describe('Composite score'), colour: z.enum(['Green', 'Yellow', 'Red']).nullable().describe('Composite colour'),
      dimensions: z.record(z.string(), z.strictObject({ score: z.number().nullable().describe('Score'), colour: z.enum(['Green', 'Yellow', 'Red']).nullable().describe('Colour') }).describe('One dimension')).describe('By dimension'),
      creditDeferred: z.boolean().describe('Credit gate closed (R-32)'), initiativesPaused: z.boolean().describe('Initiatives above the threshold paused (R-120)'),
    }),
  ),
  'health.quadrant_shift': spec(
    'Derived maturity/appetite place the client in another segment than the one in force (R-109, R-110): a quadrant-shift alert with a segment-review CTA; no automatic move unless `autoResegment` (R-7).',
    z.strictObject({
      from: z.enum(SEGMENTS).describe('Segment in force'), to: z.enum(SEGMENTS).describe('Derived segment'),
      maturityScore: int().min(1).max(5).describe('Derived maturity 1–5'), appetiteScore: int().min(1).max(5).describe('Derived appetite 1–5'),
    }),
  ),
  'play.fired': spec(
    'A health condition fired its play (R-111..R-120, R-104 sponsor reminders, R-110): a CTA with one owner and its own deadline; while it is open the same condition appends evidence instead (R-124).',
    z.strictObject({ play: text('The condition, e.g. `cxRed` or `engagementRed/sponsor`'), ctaKey: text('The play\'s CTA within the health process'), ownerRole: z.enum(MSP_ROLES).describe('Owner'), dueAt: instant('Due') }),
  ),
  'play.evidence_added': spec(
    'A condition whose play is still open held again (a new complaint, a new measurement): evidence appended, no second CTA (R-124).',
    z.strictObject({ play: text('The condition'), ctaKey: text('The open play\'s CTA'), evidence: int().min(1).describe('Occurrences so far') }),
  ),

  // Credit
  'credit.deferred': spec(
    'An approval passed owner + date + budget but its expansion credit is deferred while the credit gate is closed (R-32: CX, Engagement or Alignment Red two months; an A quarter under the attendance or latency line).',
    z.strictObject({ decisionId: id('The approval'), title: text('What was approved'), reasons: z.array(text('One reason')).min(1).describe('Why the gate is closed') }),
  ),
  // Upsell play (R-89..R-92)
  'upsell.signal_logged': spec(
    'An upsell signal was logged (R-89) with its source, date, OpEx/CapEx lane, urgency and dependency; it became an Initiative Card (source `signal`) and the price test is due signal + 3 d, ROLL (R-90).',
    z.strictObject({
      signalId: id('The upsell (its process is `upsell/{signalId}`)'),
      initiativeId: id('The Initiative Card it became'),
      kind: z.enum(UPSELL_SIGNAL_KINDS).describe('What was seen (R-89)'),
      source: text('Where it came from: a report, a meeting, a system'),
      signalDate: z.string().describe('When it was seen, yyyy-MM-dd'),
      lane: z.enum(['OpEx', 'CapEx']).describe('OpEx fits D/C, CapEx fits B/A (R-89)'),
      urgency: z.enum(['low', 'medium', 'high']).describe('Urgency (R-89)'),
      dependency: z.string().describe('What it depends on (R-89)').optional(),
      priceTestDueAt: instant('The price test and appetite check are due (R-90)'),
    }),
  ),
  'upsell.price_tested': spec(
    'The upsell\'s price test and appetite check were logged (R-90) on its initiative\'s price-test record; `late` when after the R-90 due.',
    z.strictObject({
      signalId: id('The upsell'), initiativeId: id('Its initiative'), priceTestId: id('The price test record'),
      outcome: z.enum(['viable', 'notNow']).describe('The client\'s answer'), minUsd: z.number().min(0).describe('Low end of the band'), maxUsd: z.number().min(0).describe('High end of the band'),
      late: z.boolean().describe('Logged after its due (R-90)'), appetite: int().min(1).max(5).describe('Appetite seen in the check, 1–5').optional(),
    }),
  ),
  'upsell.planned': spec(
    'Pre-approved: the roadmap card and the budget line (band, decision flag, version note) were written the same day (R-91); the proposal is due at the next strategic or tactical touch (R-92).',
    z.strictObject({
      signalId: id('The upsell'), initiativeId: id('Its initiative'), preApprovalId: id('The pre-approval record'), quarter: z.string().describe('Target quarter, YYYY-Qn'),
      band: z.strictObject({ minUsd: z.number().min(0).describe('Low end'), maxUsd: z.number().min(0).describe('High end') }).describe('Budget band'),
      roadmapVersion: count('Roadmap version written'), budgetVersion: count('Budget version written'), decisionFlag: z.boolean().describe('Whether the budget line carries a decision flag (R-82: at most two)'),
      versionNote: text('The one-line version note'),
      nextTouch: z.strictObject({ meetingId: id('The meeting'), kind: text('Its kind'), startsAt: instant('When it starts') }).nullable().describe('The next strategic or tactical touch; null when none is booked'),
    }),
  ),
  'upsell.resequenced': spec(
    '"Not now": the upsell was re-sequenced with a reason (R-91, R-80) and its initiative parked to the quarter.',
    z.strictObject({ signalId: id('The upsell'), initiativeId: id('Its initiative'), reason: text('Reason from the policy\'s list (R-80)'), quarter: z.string().describe('The quarter it comes back in') }),
  ),
  'upsell.proposed': spec(
    'The upsell\'s proposal was presented at the touch (R-92); the recap is due 48h and the acceptance / PO / kickoff-prep CTA 72h later.',
    z.strictObject({
      signalId: id('The upsell'), initiativeId: id('Its initiative'), proposalId: id('The proposal'), presentedAt: instant('When it was presented'), meetingId: id('The touch').optional(),
      recapDueAt: instant('Recap due (R-92, R-29)'), ctaDueAt: instant('Acceptance / PO / kickoff prep due (R-92, R-30)'), late: z.boolean().describe('Presented after the touch it was due at'),
    }),
  ),
  'upsell.recap_sent': spec(
    'The recap of the upsell\'s proposal touch was sent (R-92: 48h).',
    z.strictObject({ signalId: id('The upsell'), proposalId: id('The proposal'), sentAt: instant('When it was sent'), late: z.boolean().describe('After its 48h due') }),
  ),
  'upsell.approved': spec(
    'The client approved the upsell\'s proposal; proposal, initiative and project are linked and the approval is credited per R-32 (owner + date + budget; deferred while the client\'s credit gate or the owner × segment gate of R-60 is closed; risk reduction is stability work).',
    z.strictObject({
      signalId: id('The upsell'), initiativeId: id('Its initiative'), proposalId: id('The proposal'), decidedAt: instant('When the client decided'),
      ownerRole: z.enum(MSP_ROLES).describe('Owner'), targetDate: z.string().describe('Target date'), budgetUsd: z.number().min(0).describe('Budget approved'),
      creditVerdict: z.enum(['counted', 'deferred', 'notCredited', 'stabilityWork']).describe('The credit verdict (R-32, R-60)'), reasons: z.array(z.string()).describe('Why not counted, when not'),
      projectRef: z.string().describe('The delivery project').optional(), poRef: z.string().describe('The client\'s PO').optional(), kickoffMeetingId: id('The delivery kickoff booked (R-16)').optional(),
    }),
  ),
  'upsell.declined': spec(
    'The client declined the upsell\'s proposal, with a reason (R-80).',
    z.strictObject({ signalId: id('The upsell'), initiativeId: id('Its initiative'), proposalId: id('The proposal'), reason: text('Reason (R-80)') }),
  ),
  'upsell.step_overdue': spec(
    'A step of the upsell passed its due undone (R-90 price test, R-92 proposal at the touch or recap); its CTA escalates at its due (A-28, R-122).',
    z.strictObject({ signalId: id('The upsell'), step: z.enum(['priceTest', 'proposal', 'recap']).describe('The step'), dueAt: instant('Its due') }),
  ),

  'credit.released': spec(
    'Deferred credit was released at the first monthly snapshot that lifted the credit gate (R-32).',
    z.strictObject({ decisionId: id('The approval'), title: text('What was approved'), month: z.string().describe('The snapshot month, yyyy-MM') }),
  ),

  'risk.signal_raised': spec(
    'A process detected an At-Risk trigger (R-93: e.g. two missed strategic meetings R-34, a Day 14/21 onboarding miss R-50, a proposal >30 days undecided, budget variance >20 %); the at-risk process opens a risk for it or appends the evidence to the open one (A-19, R-124).',
    z.strictObject({
      trigger: text('The R-93 trigger, e.g. `consecutiveMisses` or `proposalUndecided`'),
      bucket: z.enum(['Service', 'Delivery', 'Strategic', 'Financial']).describe('R-94 bucket'),
      impact: int().min(1).max(3).describe('R-94 impact 1–3').optional(),
      likelihood: int().min(1).max(3).describe('R-94 likelihood 1–3').optional(),
      evidence: z.record(z.string(), jsonValue('One fact')).describe('What was seen'),
      firstActionCta: id('The CTA that is the risk\'s first action (R-34)').optional(),
    }),
  ),

  // Signals
  // Portfolio and governance (db/portfolio.ts, db/governance.ts, workflows/governance.ts); no client
  'capacity.gap_opened': spec(
    'The portfolio\'s required CS hours exceed the team\'s (R-6): the one capacity-gap alert (a portfolio CTA to the CS Lead, with the three options) opened. No client.',
    z.strictObject({
      ctaId: ctaId(),
      requiredHours: z.number().min(0).describe('Σ clients × capacity.requiredHoursPerClientYear (R-6)'),
      availableHours: z.number().min(0).describe('The team\'s CS hours (R-6)'),
      gapHours: z.number().describe('required − available'),
      utilisationPct: z.number().nullable().describe('required ÷ available × 100; null without a team'),
    }),
  ),
  'capacity.gap_closed': spec(
    'The capacity gap closed (R-6): the team\'s hours cover the required hours again, so the system completed the alert. No client.',
    z.strictObject({
      ctaId: ctaId(),
      requiredHours: z.number().min(0).describe('Σ required hours now'),
      availableHours: z.number().min(0).describe('The team\'s hours now'),
      gapHours: z.number().describe('required − available (≤ 0)'),
      utilisationPct: z.number().nullable().describe('required ÷ available × 100'),
    }),
  ),
  'governance.session_convened': spec(
    'A governance routine met (R-125; R-38 Cadence Radar, R-35 cadence reviews, R-60 KPIs, R-23 smoke test, R-12 Defense Loop on the monthly): its agenda was assembled from the data and the CTAs it needs were opened. No client.',
    z.strictObject({
      sessionId: id('The session, e.g. `monthlySegmentReview-2027-03`'),
      routine: z.enum(['weeklyAmCsm', 'weeklyCsOps', 'monthlySegmentReview', 'quarterlyPortfolio']).describe('Which routine'),
      period: text('The week, month or quarter it covers'),
      scheduledFor: instant('When it meets'),
      heldBy: instant('Reported held by then, else recorded missed'),
      items: z.record(z.string(), count('Items in this agenda section')).describe('How many items each agenda section holds'),
      ctasOpened: z.array(id('A CTA opened by the session')).describe('CTAs the session opened (Corrective Plays, rebalance, month spread)'),
    }),
  ),
  'governance.session_held': spec(
    'A governance session was reported held, with who attended (R-125); `late` when after its grace or after it had been recorded missed. No client.',
    z.strictObject({
      sessionId: id('The session'),
      routine: z.enum(['weeklyAmCsm', 'weeklyCsOps', 'monthlySegmentReview', 'quarterlyPortfolio']).describe('Which routine'),
      heldAt: instant('When it was held'),
      attendees: z.array(id('A person who attended')).describe('MSP people who attended'),
      late: z.boolean().describe('Reported after its grace, or after it was recorded missed'),
    }),
  ),
  'governance.session_missed': spec(
    'No report that a governance session was held arrived within governance.heldGraceHours of its end (R-125). No client.',
    z.strictObject({
      sessionId: id('The session'),
      routine: z.enum(['weeklyAmCsm', 'weeklyCsOps', 'monthlySegmentReview', 'quarterlyPortfolio']).describe('Which routine'),
      heldBy: instant('The held-by instant that passed'),
    }),
  ),
  'credit.gated': spec(
    'Credit is gated for an owner × segment (R-60: its monthly governance KPIs breached playsAndGates.governanceBreachMonths months running) until a green month; a Corrective Play CTA (template refresh + coaching) opened with it. The R-32 credit gate reads the open gates. No client.',
    z.strictObject({
      gateId: id('The gate (credit_gates row)'),
      ruleId: z.enum(['R-60']).describe('The rule that gated'),
      personId: id('The owner whose credit is gated').nullable(),
      segment: segment('The segment gated').nullable(),
      months: z.array(z.string()).describe('The breached months, yyyy-MM'),
      ctaId: ctaId(),
    }),
  ),
  'credit.gate_released': spec(
    'A credit gate was released: the owner × segment had a green month (R-60 "until green"). No client.',
    z.strictObject({
      gateId: id('The gate'),
      ruleId: z.enum(['R-60']).describe('The rule that had gated'),
      personId: id('The owner').nullable(),
      segment: segment('The segment').nullable(),
      greenMonth: z.string().describe('The green month, yyyy-MM'),
    }),
  ),
  'defense.intake_recorded': spec(
    'A D client\'s monthly Defense Loop intake was recorded (R-12): risk intake, stability check and the figures the triggers read.',
    z.strictObject({
      month: z.string().describe('yyyy-MM'),
      incidents: count('Incidents in the month'),
      oldestExceptionAgeDays: count('Age of the oldest open exception, days').nullable(),
      costToServeUsd: z.number().min(0).describe('Cost to serve in the month, USD').nullable(),
      stable: z.boolean().describe('Stability check passed'),
      risks: z.array(text('A risk taken in')).describe('Risks taken in this month'),
    }),
  ),
  'defense.trigger_fired': spec(
    'A Defense Loop trigger fired for a D client (R-12): incident spike, rising exception age, or two months over the cost-to-serve target; a CTA to the TAM opened and the At-Risk seam was told (risk.signal_raised).',
    z.strictObject({
      trigger: z.enum(['incidentSpike', 'exceptionAgeRising', 'costToServeOverTarget']).describe('Which trigger'),
      month: z.string().describe('The intake month, yyyy-MM'),
      ctaId: ctaId(),
    }),
  ),
  'signal.duplicate': spec(
    'A signal arrived again with an idempotency key already seen and had no second effect (C-6, R-124).',
    z.strictObject({
      signal: text('Signal or update name'),
      idempotencyKey: text('The repeated key'),
      firstEventId: id('Ledger event the first delivery produced').optional(),
    }),
  ),
  'delivery.delivered': spec(
    'An outbox delivery (a signed webhook or an email to a CTA owner, issue 15) was accepted by its receiver (a 2xx answer, an SMTP 250), after `attempts` attempts. Recorded on the timeline of the client whose event it carried.',
    z.strictObject({
      deliveryId: id('The delivery, also its idempotency key toward the receiver (`webhook-id`)'),
      channel: z.enum(['webhook', 'email', 'psa', 'calendar']).describe('How it was delivered (`psa`: a ticket created or closed in a PSA connector; `calendar`: a meeting booked, moved or cancelled in a Microsoft 365 calendar)'),
      connector: text('The connector (circuit-breaker unit): `webhook:<subscription id>`, `smtp` or `psa:<connector id>`'),
      eventId: id('The ledger event it carried').nullable(),
      eventType: text('That event\'s type'),
      attempts: count('Attempts it took (calls skipped while the connector\'s breaker was open do not count)'),
      status: int().describe('The receiver\'s HTTP status (webhooks)').optional(),
    }),
  ),
  'delivery.dead_lettered': spec(
    "An outbox delivery failed for good (issue 15): the policy's `integrations.deliveryMaxAttempts` attempts failed, or the receiver refused it permanently (HTTP: a 4xx other than 408/409/425/429; SMTP: a 5xx reply). It stays in the delivery log with its last error; nothing retries it.",
    z.strictObject({
      deliveryId: id('The delivery'),
      channel: z.enum(['webhook', 'email', 'psa', 'calendar']).describe('How it was to be delivered'),
      connector: text('The connector, e.g. `webhook:<subscription id>`'),
      eventId: id('The ledger event it carried').nullable(),
      eventType: text('That event\'s type'),
      attempts: count('Attempts made'),
      reason: text('Why it is dead, with the last error'),
    }),
  ),
  // Consultative sale, lead to Day 0 (R-40..R-45)
  'sale.started': spec(
    'A consultative sale started for a prospect (a client record in the `prospect` stage) on its trigger, with the segment/goal hypothesis and the cadence and mode it expects (R-40).',
    z.strictObject({
      trigger: z.enum(['inboundLead', 'crossSell', 'renewalWindow', 'reportSignal']).describe('What started it (R-40)'),
      triggerRef: text('Where the trigger came from, e.g. the lead or report id').optional(),
      triggerDate: date('When the trigger happened'),
      hypothesis: z.strictObject({
        segment: segment('Segment hypothesis (R-1)'), goalLevel: goalLevel('Goal level hypothesis'), touchTier: touchTier('Touch tier from the expected MRR (R-2)'),
        expectedCadence: text('The §2.2 cadence it expects'), mode: text('Preferred strategic mode (§2.2)'), discoveryFormat: text('R-41 discovery format for the segment'),
      }).describe('The segment/goal hypothesis with expected cadence and mode (R-40)'),
    }),
  ),
  'sale.discovery_held': spec(
    'The 30-minute decision-first discovery was held: its one-page Discovery Summary and the coarse mini-Health on the five dimensions (R-41).',
    z.strictObject({
      heldAt: instant('When it was held'), minutes: count('How long it took'), format: text('R-41 format for the segment'), summary: text('The Discovery Summary (one page)'),
      miniHealth: z.record(z.string(), z.enum(['green', 'yellow', 'red'])).describe('Coarse mini-Health per dimension'), decisionsFirst: z.array(z.string()).describe('The decisions the discovery led with'),
    }),
  ),
  'sale.decision_review_held': spec(
    'The sale\'s decision review was held with the Executive Snapshot (or without: counted against R-45) and at most two asks; its recap is due 48h after the end (R-43).',
    z.strictObject({
      heldAt: instant('When it started'), endedAt: instant('When it ended'), snapshot: z.boolean().describe('The Executive Snapshot was presented (R-45 ≥95 %)'),
      asks: z.array(z.strictObject({ title: text('The ask'), initiativeId: id('Its initiative').optional() })).max(2).describe('The two asks (R-43)'), recapDueAt: instant('Recap due (48h, R-43)'),
    }),
  ),
  'sale.recap_sent': spec(
    'The decision review\'s recap was sent (R-43: within 48h of the end).',
    z.strictObject({ sentAt: instant('When it was sent'), dueAt: instant('When it was due'), late: z.boolean().describe('Sent after its due') }),
  ),
  'sale.converted': spec(
    'The sale converted: a proposal with EDS for a pre-approved initiative (R-44, R-76); days to proposal from the decision review feed the R-45 median.',
    z.strictObject({
      proposalId: id('The proposal'), initiativeId: id('Its initiative'), proposalCreatedAt: instant('When the proposal was created'),
      daysToProposal: count('Whole days from the decision review\'s end to the proposal (R-45)').nullable(),
    }),
  ),
  'sale.parked': spec(
    'The sale was parked with a reason and a re-engagement trigger: a date, an event or both (R-44).',
    z.strictObject({
      reason: text('The reason (policy proposals.declineReasons, R-80)'), note: text('Free text').optional(), reengageOn: date('Re-engagement date').optional(),
      reengageAt: instant('The instant the re-engagement CTA opens').optional(), reengageEvent: text('Re-engagement event, e.g. "renewal with the current MSP"').optional(),
      phaseBefore: z.enum(['lead', 'discovered', 'reviewed', 'converted']).describe('How far the sale had come'),
    }),
  ),
  'sale.reengage_due': spec(
    'A parked sale reached its re-engagement date: a CTA went to the owner (R-44).',
    z.strictObject({ reengageOn: date('The date'), reason: text('Why it was parked'), reengageEvent: text('The event also named').optional() }),
  ),
  'sale.signed': spec(
    'The prospect signed: it became a client (Day 0 = signature) and its onboarding started with the handoff packet assembled from the sale (R-44, R-46).',
    z.strictObject({
      signedAt: instant('Day 0'), proposalId: id('The proposal signed'), handoffItems: z.array(z.string()).describe('Handoff packet items present'),
      missingItems: z.array(z.string()).describe('Items the packet lacks (to report by hand before the kickoff invite, R-46)'), onboarding: z.enum(['started', 'already-running']).describe('What became of the onboarding start'),
    }),
  ),
  // Annual planning cycles (R-62..R-66)
  'planning_cycle.started': spec(
    "A client's annual planning cycle for a fiscal year started (R-62..R-66): its meetings on the cadence's anchors, the Business Discovery window (R-64) and the planned CS hours (R-65, R-66).",
    z.strictObject({
      fiscalYear: int().describe('The cycle year (the FY-end it budgets for; D: the renewal year)'),
      segment: segment('The client segment the cycle runs for'),
      startedBy: z.enum(['cadence', 'api']).describe('The cadence booking the cycle, or the API for a client whose cadence ran before'),
      plannedHours: z.number().min(0).describe('Planned CS hours of the cycle (sum of its steps)'),
      meetings: z.array(z.strictObject({
        key: text('The cadence key, e.g. ap/2027/M1'),
        template: text('M1, M2, M3, Annual Planning, Annual IT Strategy'),
        startsAt: instant('Booked (or planned) start'),
        meetingId: id('The booked meeting').nullable(),
      })).describe('The cycle\'s meetings, chronological'),
      discoveryWindow: z.strictObject({
        opensAt: instant('Window opens (M1 − 42 d)'),
        dueAt: instant('Window closes (M1 − 28 d, end of day)'),
        ownerRole: z.enum(MSP_ROLES).describe('Owner of the discovery (R-64)'),
      }).describe('R-64'),
    }),
  ),
  'planning_cycle.discovery_opened': spec(
    'The Business Discovery window of a planning cycle opened (R-64): its CTA went to the owner, due at the window\'s end.',
    z.strictObject({
      fiscalYear: int().describe('The cycle year'),
      ownerRole: z.enum(MSP_ROLES).describe('vCIO (A/B), CSM (C), TAM (D)'),
      opensAt: instant('Window opens'),
      dueAt: instant('Window closes'),
    }),
  ),
  'planning_cycle.discovery_done': spec(
    'The Business Discovery of a planning cycle was recorded (R-64); each topic it left unclear gets an assessment CTA due before M1.',
    z.strictObject({
      fiscalYear: int().describe('The cycle year'),
      onTime: z.boolean().describe('Within the window'),
      unclearTopics: z.array(text('A topic')).describe('Topics that need an assessment before M1'),
    }),
  ),
  'planning_cycle.assessment_done': spec(
    'An assessment of a topic the discovery left unclear was recorded (R-64).',
    z.strictObject({
      fiscalYear: int().describe('The cycle year'),
      topic: text('The topic'),
      onTime: z.boolean().describe('Before M1'),
    }),
  ),
  'planning_cycle.step_done': spec(
    "A step of the planning cycle is done (R-65 A's steps, R-66 B/C/D): at the start (the scheduler's trigger), when its meeting was held, when its trigger fired, or by report; with planned and actual hours.",
    z.strictObject({
      fiscalYear: int().describe('The cycle year'),
      step: text('Step key (annualPlanning.cycleSteps)'),
      label: text('What the step is'),
      tool: text('Its tool (R-65)'),
      source: z.enum(['start', 'meeting', 'trigger', 'report']).describe('What marked it done'),
      plannedHours: z.number().min(0).describe('Planned CS hours'),
      actualHours: z.number().min(0).nullable().describe('Actual hours, when reported'),
      meetingId: id('The meeting whose holding marked it done').optional(),
    }),
  ),
  'planning_cycle.effort_reported': spec(
    'The actual hours of a planning-cycle step that was already done (a meeting, the trigger) were reported (R-65 planned vs actual).',
    z.strictObject({
      fiscalYear: int().describe('The cycle year'),
      step: text('Step key'),
      plannedHours: z.number().min(0).describe('Planned CS hours'),
      actualHours: z.number().min(0).describe('Actual CS hours'),
    }),
  ),
  'planning_cycle.meeting_noted': spec(
    "What became of one of the cycle's meetings, as the cadence recorded it: booked (or unbookable), moved, held or missed (R-62, R-63, §2.5).",
    z.strictObject({
      fiscalYear: int().describe('The cycle year'),
      meetingId: id('The meeting'),
      key: text('Its cadence key'),
      template: text('M1, M2, M3, …'),
      state: z.enum(['scheduled', 'unbooked', 'moved', 'held', 'missed']).describe('What happened'),
      startsAt: instant('Its start'),
    }),
  ),
  'planning_cycle.trigger_attached': spec(
    "A date trigger fell on one of the cycle's meetings and attached to it instead of booking its own (R-21): the FY budget session (R-14) on the final meeting, D's renewal review (R-13) on the Annual IT Strategy check-in.",
    z.strictObject({
      fiscalYear: int().describe('The cycle year'),
      trigger: text('Trigger type (fiscalYearEnd, renewal)'),
      triggerRuleId: text('R-13, R-14'),
      meetingId: id('The meeting it attached to'),
      template: text('That meeting\'s template'),
      final: z.boolean().describe('Whether it is the cycle\'s final meeting'),
    }),
  ),
  'planning_cycle.pack_sent': spec(
    "D's async cycle (R-66, R-62, R-13): when the renewal trigger fired on the Annual IT Strategy check-in, the auto report went out with the lightweight discovery form, the async pack and the 2-question survey.",
    z.strictObject({
      fiscalYear: int().describe('The cycle year'),
      meetingId: id('The check-in (merged with the renewal review)'),
      trigger: text('The trigger that fired'),
      contents: z.array(text('An item')).describe('What was sent'),
    }),
  ),
  'planning_cycle.output_recorded': spec(
    'An output of the planning cycle was recorded (R-65): roadmap, OKR link, top initiative (owner and date), budget version, SOW, amendment or project.',
    z.strictObject({
      fiscalYear: int().describe('The cycle year'),
      kind: z.enum(['roadmap', 'okrLink', 'initiative', 'budgetVersion', 'sow', 'amendment', 'project']).describe('The output'),
      reference: text('Its reference (roadmap version, initiative id, budget version, document)'),
      title: text('Title').optional(),
      owner: text('Owner (initiatives)').optional(),
      targetDate: text('Target date (initiatives)').optional(),
    }),
  ),
  'planning_cycle.gap': spec(
    'The final meeting of a planning cycle came without a closing output: the cycle loops back to prep with a CTA to its Accountable (R-66).',
    z.strictObject({
      fiscalYear: int().describe('The cycle year'),
      loop: int().min(1).describe('Which loop back to prep'),
      reason: text('Why'),
    }),
  ),
  'planning_cycle.closed': spec(
    'A planning cycle closed with an output (R-66), with its planned and actual CS hours (R-65).',
    z.strictObject({
      fiscalYear: int().describe('The cycle year'),
      outputs: z.array(text('Output kind')).describe('Outputs recorded'),
      plannedHours: z.number().min(0).describe('Planned CS hours'),
      actualHours: z.number().min(0).describe('Actual CS hours reported'),
      gaps: count('Loops back to prep it took'),
    }),
  ),
  'signal.late': spec(
    'A signal arrived for a finished process, changed no closed state and was answered "already finished" (C-6, R-124).',
    z.strictObject({
      signal: text('Signal or update name'),
      idempotencyKey: text('Its idempotency key').optional(),
      finishedAt: instant('When the process finished').optional(),
    }),
  ),
} as const satisfies Record<string, EventSpec>;

export type LedgerEventType = keyof typeof eventCatalogue;

/** The `data` of one event type, as writers build it. */
export type LedgerEventData<T extends LedgerEventType> = z.input<(typeof eventCatalogue)[T]['data']>;

// Code-unit order, not localeCompare: the result must not depend on the runtime's locale.
export const LEDGER_EVENT_TYPES: readonly LedgerEventType[] = (Object.keys(eventCatalogue) as LedgerEventType[]).sort((a, b) =>
  a < b ? -1 : a > b ? 1 : 0,
);

export function isLedgerEventType(type: string): type is LedgerEventType {
  return Object.prototype.hasOwnProperty.call(eventCatalogue, type);
}

/**
 * Checks one event's `data` against the catalogue. Missing data counts as `{}` (what the ledger
 * stores). The message names the type and every bad path, e.g.
 * `invalid data for ledger event "cta.opened": ownerId: Invalid input…; extra: unrecognized key`.
 */
export function checkEventData(type: string, data: unknown): { ok: true } | { ok: false; message: string } {
  if (!isLedgerEventType(type)) return { ok: false, message: `unknown ledger event type "${type}"` };
  const result = eventCatalogue[type].data.safeParse(data ?? {});
  if (result.success) return { ok: true };
  const problems = result.error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => `${[...at, k].join('.')}: unrecognized key`);
    return [`${at.length ? at.join('.') : '(data)'}: ${issue.message}`];
  });
  return { ok: false, message: `invalid data for ledger event "${type}": ${problems.join('; ')}` };
}
