import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ClientInput, ClientRow } from '../../db/clients.js';
import {
  checkEventData, eventCatalogue, LEDGER_EVENT_TYPES, type LedgerEventData, type LedgerEventType,
} from '../../domain/events.js';
import { defaultPolicy, diffPolicies, parsePolicy, type Policy } from '../../domain/policy.js';
import { segmentClient, type SegmentationResult } from '../../domain/segmentation.js';
import { eventDocsPath, renderEventDocs } from '../../scripts/event-docs.js';

const REQUIRED_TYPES = [
  'client.registered', 'client.updated', 'segment.changed', 'segment.overridden', 'segment.override_cleared', 'segment.review_due',
  'role.assigned', 'role.unassigned', 'policy.published', 'policy.client_overrides_set',
  'process.started', 'process.completed', 'process.failed', 'process.fact_recorded', 'step.completed', 'deadline.set', 'deadline.missed', 'gate.opened', 'gate.closed',
  'cta.opened', 'cta.first_action', 'cta.completed', 'cta.escalated', 'cta.reassigned',
  'meeting.scheduled', 'meeting.held', 'meeting.missed', 'meeting.cancelled', 'meeting.moved', 'meeting.restyled', 'decision.logged',
  'trigger.fired', 'trigger.replanned', 'trigger.cleared', 'risk.opened', 'risk.signal_raised', 'signal.duplicate', 'signal.late',
  'stakeholder.added', 'stakeholder.updated', 'stakeholder.deactivated', 'stakeholder.reactivated', 'access.updated', 'risk.evidence_added',
  'delivery.delivered', 'delivery.dead_lettered',
  'sale.started', 'sale.discovery_held', 'sale.decision_review_held', 'sale.recap_sent', 'sale.converted', 'sale.parked', 'sale.reengage_due', 'sale.signed',
  'planning_cycle.started', 'planning_cycle.discovery_opened', 'planning_cycle.discovery_done', 'planning_cycle.assessment_done', 'planning_cycle.step_done',
  'planning_cycle.effort_reported', 'planning_cycle.meeting_noted', 'planning_cycle.trigger_attached', 'planning_cycle.pack_sent', 'planning_cycle.output_recorded',
  'planning_cycle.gap', 'planning_cycle.closed',
  'capacity.gap_opened', 'capacity.gap_closed', 'governance.session_convened', 'governance.session_held', 'governance.session_missed',
  'credit.gated', 'credit.gate_released', 'defense.intake_recorded', 'defense.trigger_fired',
  'discovery.planned', 'discovery.completed', 'discovery.recap_sent', 'assessment.designed', 'assessment.completed',
  'initiative.created', 'initiative.state_changed', 'initiative.flagged', 'price_test.logged', 'pre_approval.logged', 'pre_approval.aged', 'pre_approval.expired',
  'proposal.created', 'proposal.sent', 'proposal.aged', 'proposal.decided', 'proposal.reason_captured',
  'budget.versioned', 'budget.actuals_recorded', 'roadmap.versioned', 'roadmap.stale',
  'report.delivered', 'report.opened', 'report.unopened', 'backlog.added', 'ask.flagged', 'quarter.closed',
  'risk.acknowledged', 'risk.save_plan_published', 'risk.reclassified', 'risk.escalated', 'risk.stalled', 'risk.closed', 'risk.after_action_recorded',
  'health.input_recorded', 'health.score_changed', 'health.snapshot', 'health.quadrant_shift', 'play.fired', 'play.evidence_added', 'credit.deferred', 'credit.released',
  'upsell.signal_logged', 'upsell.price_tested', 'upsell.planned', 'upsell.resequenced', 'upsell.proposed', 'upsell.recap_sent', 'upsell.approved', 'upsell.declined', 'upsell.step_overdue',
] as const;

/** What the ledger hands back: data goes through jsonb, so `undefined` members disappear. */
const stored = (data: unknown) => JSON.parse(JSON.stringify(data)) as unknown;

function expectAccepted(type: string, data: unknown) {
  expect(checkEventData(type, data)).toEqual({ ok: true });
  expect(checkEventData(type, stored(data))).toEqual({ ok: true });
}

const policy: Policy = defaultPolicy;

// ---------------------------------------------------------------------------------------------
// One valid example per type (typed, so a schema change that breaks writers fails tsc too)

const examples: { [T in LedgerEventType]: LedgerEventData<T> } = {
  'delivery.delivered': { deliveryId: 'd1', channel: 'webhook', connector: 'webhook:s1', eventId: 'e1', eventType: 'cta.opened', attempts: 2, status: 204 },
  'delivery.dead_lettered': { deliveryId: 'd1', channel: 'webhook', connector: 'webhook:s1', eventId: null, eventType: 'webhook.test', attempts: 8, reason: '8 attempts failed; last: HTTP 500' },
  'client.registered': { segment: 'C', goalLevel: 2, mrrTier: 'High', touchTier: 'High', archetype: 'Educate' },
  'client.updated': { changes: { mrr: { before: 5000, after: 12000 }, renewalDate: { before: null, after: '2026-03-31' } } },
  'segment.changed': { before: { segment: 'D', goalLevel: 1, touchTier: 'Mid' }, after: { segment: 'A', goalLevel: 4, touchTier: 'High' } },
  'segment.overridden': { before: { segment: 'D', goalLevel: 1, touchTier: 'Mid' }, after: { segment: 'B', goalLevel: 3, touchTier: 'High' } },
  'segment.override_cleared': { before: { segment: 'B', goalLevel: 3, touchTier: 'VIP' }, after: { segment: 'D', goalLevel: 1, touchTier: 'Mid' } },
  'segment.review_due': { cycle: 1, segment: 'C', goalLevel: 2, source: 'computed' },
  'role.assigned': { role: 'CSM', personId: 'p-1', backupPersonId: 'p-2', previous: { personId: 'p-0', backupPersonId: null } },
  'role.unassigned': { role: 'CSM', personId: 'p-1', backupPersonId: 'p-2' },
  'policy.published': { version: 2, changes: [{ path: 'onboarding.kickoffBusinessDays', before: 5, after: 7 }] },
  'policy.client_overrides_set': { before: {}, after: { onboarding: { kickoffBusinessDays: 7 } } },
  'process.started': { processVersion: 1, policyVersion: 3, inputs: { signatureDate: '2025-03-03T15:00:00Z', note: null } },
  'process.completed': { outcome: 'closed', openExceptions: 2 },
  'step.completed': { step: 1, name: 'kickoff' },
  'process.failed': { stage: 'report', action: 'kickoffHeld', activity: 'recordProcessEffects', failureType: 'InvalidInput', message: 'invalid byte sequence', retryable: false },
  'process.fact_recorded': { fact: 'accessGranted', details: { granted: ['rmm'], accessPercent: 50 } },
  'deadline.set': { deadline: 'kickoff', dueAt: '2025-03-10T17:00:00-05:00', clock: 'businessDays' },
  'deadline.missed': { deadline: 'access', dueAt: '2025-03-18T05:00:00Z', lateByMs: 3_600_000 },
  'gate.opened': { gate: 'delivery', conditions: { access95: true, docsBaselined: true, mfaVerified: true, backupVerified: true } },
  'gate.closed': { gate: 'delivery', conditions: { access95: false, docsBaselined: true, mfaVerified: true, backupVerified: true } },
  'cta.opened': {
    ctaId: 'cta-1', kind: 'access-request', ownerRole: 'TAM', ownerId: 'p-3', dueAt: '2025-03-14T17:00:00-05:00',
    firstActionDueAt: '2025-03-06T15:00:00.000Z', backupId: null,
  },
  'cta.first_action': { ctaId: 'cta-1', note: 'Requested tenant admin from the client', byPersonId: 'p-4' },
  'cta.completed': { ctaId: 'cta-1' },
  'cta.escalated': { ctaId: 'cta-1', level: 'backup', fromId: 'p-3', toId: null, reason: 'first action not recorded within 72h' },
  'cta.reassigned': { ctaId: 'cta-1', fromId: null, toId: 'p-5', reason: 'owner on leave' },
  'meeting.scheduled': { meetingId: 'm-1', kind: 'kickoff', startsAt: '2025-03-07T15:00:00Z', endsAt: '2025-03-07T16:00:00Z', mode: 'live' },
  'meeting.held': { meetingId: 'm-1', decisions: 2, attendees: ['Pat (CEO)', 'Sam (CSM)'] },
  'meeting.cancelled': { meetingId: 'm-1', reason: 'cancelled 72h ahead (§2.5)' },
  'meeting.moved': { meetingId: 'm-1', fromStartsAt: '2027-03-09T10:00:00-06:00', startsAt: '2027-03-11T10:00:00-06:00', endsAt: '2027-03-11T10:45:00-06:00' },
  'meeting.restyled': { meetingId: 'm-1', template: 'QBR', mode: 'hybrid', accountableRole: 'vCIO' },
  'decision.logged': { meetingId: 'm-1', title: 'Approve the backup upgrade', ownerRole: 'vCIO', targetDate: '2027-04-30', budgetUsd: 12000, credited: true },
  'trigger.fired': { trigger: 'renewal', anchor: '2027-06-30', targetDate: '2027-04-01', merged: false, meetingId: 'm-2' },
  'trigger.replanned': { trigger: 'fiscalYearEnd', before: { anchor: '2027-12-31', fireAt: '2027-11-17T09:00:00-06:00' }, after: { anchor: '2027-06-30', fireAt: '2027-05-17T09:00:00-05:00' } },
  'trigger.cleared': { trigger: 'adoptionBelowThreshold', anchor: 'mfa' },
  'meeting.missed': { meetingId: 'm-1', reason: 'lateCancel' },
  'risk.opened': { riskId: 'r-1', bucket: 'Delivery', severity: 'Medium', trigger: 'access below 95 % at Day 14', impact: 2, likelihood: 2, ownerRole: 'CSM', repeat: true, repeatOf: 'r-0' },
  'risk.acknowledged': { riskId: 'r-1', onTime: true, dueAt: '2026-06-15T11:00:00.000-05:00' },
  'risk.save_plan_published': { riskId: 'r-1', version: 1, onTime: true, actions: [{ id: 'h1-1', horizon: 'H1', title: 'Restore the nightly backup', owner: 'TAM', dueDate: '2026-06-20', budgetUsd: 1200 }] },
  'risk.reclassified': { riskId: 'r-1', bucket: 'Service', severity: 'High', impact: 3, likelihood: 2, rationale: 'tickets, not the roadmap' },
  'risk.escalated': { riskId: 'r-1', to: 'CS Lead', contractReview: true, openDays: 60 },
  'risk.stalled': { riskId: 'r-1', lastMovementAt: '2026-06-20T15:00:00.000Z', days: 14, reset: 1 },
  'risk.closed': { riskId: 'r-1', outcome: 'green', bucket: 'Service', severity: 'High', resolutionDays: 27.5, withinTarget: true },
  'risk.after_action_recorded': { riskId: 'r-1', people: 'TAM on leave, no backup', process: 'no restore test', tech: 'agent outdated', expectation: 'weekly status agreed' },
  'health.input_recorded': { inputId: 'i-1', kind: 'pulse', observedAt: '2026-06-10T15:00:00.000Z', values: { invited: 4, respondents: 2, scores: [5, 4, 3, 4] } },
  'health.score_changed': { dimension: 'engagement', score: 76.25, colour: 'Red', previousScore: 88, previousColour: 'Green', occasion: 'snapshot' },
  'health.snapshot': { month: '2026-06', composite: 71.5, colour: 'Yellow', dimensions: { cx: { score: 80, colour: 'Yellow' } }, creditDeferred: false, initiativesPaused: false },
  'health.quadrant_shift': { from: 'C', to: 'A', maturityScore: 4, appetiteScore: 4 },
  'play.fired': { play: 'cxRed', ctaKey: 'play/cxRed/1', ownerRole: 'vCIO', dueAt: '2026-06-17T17:00:00.000-05:00' },
  'play.evidence_added': { play: 'negativePulse', ctaKey: 'play/negativePulse/1', evidence: 2 },
  'credit.deferred': { decisionId: 'd-1', title: 'Approve the firewall replacement', reasons: ['Engagement Red 2 consecutive months (R-32, R-120)'] },
  'credit.released': { decisionId: 'd-1', title: 'Approve the firewall replacement', month: '2026-08' },
  'risk.signal_raised': { trigger: 'consecutiveMisses', bucket: 'Strategic', impact: 2, likelihood: 2, evidence: { consecutiveMisses: 2 }, firstActionCta: 'cta-1' },
  'signal.duplicate': { signal: 'kickoffHeld', idempotencyKey: 'k-1', firstEventId: 'client/c-1/onboarding/kickoff-held' },
  'sale.started': { trigger: 'inboundLead', triggerRef: 'lead-17', triggerDate: '2026-05-04', hypothesis: { segment: 'B', goalLevel: 3, touchTier: 'High', expectedCadence: 'QBR 4/yr; tactical monthly; annual planning 2 meeting(s)', mode: 'live', discoveryFormat: 'live-roadmap-seeding' } },
  'sale.discovery_held': { heldAt: '2026-05-12T15:00:00Z', minutes: 30, format: 'live-roadmap-seeding', summary: 'MFA gaps; backup untested', miniHealth: { cx: 'yellow', adoption: 'red', engagement: 'green', serviceQuality: 'yellow', alignment: 'green' }, decisionsFirst: ['MFA before renewal'] },
  'sale.decision_review_held': { heldAt: '2026-05-19T15:00:00Z', endedAt: '2026-05-19T15:45:00Z', snapshot: true, asks: [{ title: 'MFA rollout', initiativeId: 'i-1' }], recapDueAt: '2026-05-21T15:45:00Z' },
  'sale.recap_sent': { sentAt: '2026-05-20T15:00:00Z', dueAt: '2026-05-21T15:45:00Z', late: false },
  'sale.converted': { proposalId: 'p-1', initiativeId: 'i-1', proposalCreatedAt: '2026-05-25T15:00:00Z', daysToProposal: 5 },
  'sale.parked': { reason: 'timing', reengageOn: '2026-09-01', reengageAt: '2026-09-01T09:00:00-05:00', reengageEvent: 'budget cycle', phaseBefore: 'discovered' },
  'sale.reengage_due': { reengageOn: '2026-09-01', reason: 'timing' },
  'sale.signed': { signedAt: '2026-06-01T15:00:00Z', proposalId: 'p-1', handoffItems: ['discovery-one-pager'], missingItems: [], onboarding: 'started' },
  'signal.late': { signal: 'accessGranted', idempotencyKey: 'k-2', finishedAt: '2025-06-02T22:00:00Z' },
  'planning_cycle.started': {
    fiscalYear: 2027, segment: 'A', startedBy: 'cadence', plannedHours: 9,
    meetings: [{ key: 'ap/2027/M1', template: 'M1', startsAt: '2026-10-06T10:00:00+02:00', meetingId: 'm1' }, { key: 'ap/2027/M3', template: 'M3', startsAt: '2026-12-01T10:00:00+01:00', meetingId: null }],
    discoveryWindow: { opensAt: '2026-08-25T09:00:00+02:00', dueAt: '2026-09-08T17:00:00+02:00', ownerRole: 'vCIO' },
  },
  'planning_cycle.discovery_opened': { fiscalYear: 2027, ownerRole: 'vCIO', opensAt: '2026-08-25T09:00:00+02:00', dueAt: '2026-09-08T17:00:00+02:00' },
  'planning_cycle.discovery_done': { fiscalYear: 2027, onTime: true, unclearTopics: ['backup strategy'] },
  'planning_cycle.assessment_done': { fiscalYear: 2027, topic: 'backup strategy', onTime: true },
  'planning_cycle.step_done': { fiscalYear: 2027, step: 'm1', label: 'M1: 90-min CEO session', tool: 'printed binder', source: 'meeting', plannedHours: 1.5, actualHours: null, meetingId: 'm1' },
  'planning_cycle.effort_reported': { fiscalYear: 2027, step: 'm1', plannedHours: 1.5, actualHours: 1.75 },
  'planning_cycle.meeting_noted': { fiscalYear: 2027, meetingId: 'm1', key: 'ap/2027/M1', template: 'M1', state: 'held', startsAt: '2026-10-06T10:00:00+02:00' },
  'planning_cycle.trigger_attached': { fiscalYear: 2027, trigger: 'fiscalYearEnd', triggerRuleId: 'R-14', meetingId: 'm3', template: 'M3', final: true },
  'planning_cycle.pack_sent': { fiscalYear: 2027, meetingId: 'm1', trigger: 'renewal', contents: ['auto report', 'lightweight discovery form'] },
  'planning_cycle.output_recorded': { fiscalYear: 2027, kind: 'initiative', reference: 'ini-1', title: 'Backup modernisation', owner: 'CFO', targetDate: '2027-03-31' },
  'planning_cycle.gap': { fiscalYear: 2027, loop: 1, reason: 'M3 was held without a closing output' },
  'planning_cycle.closed': { fiscalYear: 2027, outputs: ['roadmap', 'sow'], plannedHours: 9, actualHours: 8.5, gaps: 0 },
  'capacity.gap_opened': { ctaId: 'cta-9', requiredHours: 1500, availableHours: 1176, gapHours: 324, utilisationPct: 127.6 },
  'capacity.gap_closed': { ctaId: 'cta-9', requiredHours: 1100, availableHours: 1176, gapHours: -76, utilisationPct: 93.5 },
  'governance.session_convened': {
    sessionId: 'monthlySegmentReview-2027-03', routine: 'monthlySegmentReview', period: '2027-03', scheduledFor: '2027-03-02T10:00:00.000Z',
    heldBy: '2027-03-03T11:00:00.000Z', items: { cadenceReviews: 2, governanceKpis: 5 }, ctasOpened: ['cta-10'],
  },
  'governance.session_held': { sessionId: 'weeklyCsOps-2027-W10', routine: 'weeklyCsOps', heldAt: '2027-03-08T11:00:00.000Z', attendees: ['p-1', 'p-2'], late: false },
  'governance.session_missed': { sessionId: 'weeklyAmCsm-2027-W10', routine: 'weeklyAmCsm', heldBy: '2027-03-09T09:30:00.000Z' },
  'credit.gated': { gateId: 'g-1', ruleId: 'R-60', personId: 'p-1', segment: 'B', months: ['2027-01', '2027-02'], ctaId: 'cta-11' },
  'credit.gate_released': { gateId: 'g-1', ruleId: 'R-60', personId: 'p-1', segment: 'B', greenMonth: '2027-03' },
  'defense.intake_recorded': { month: '2027-02', incidents: 4, oldestExceptionAgeDays: 12, costToServeUsd: 310.5, stable: true, risks: ['backup job flaps'] },
  'defense.trigger_fired': { trigger: 'incidentSpike', month: '2027-02', ctaId: 'cta-12' },
  'stakeholder.added': { stakeholderId: 's-1', name: 'Dana Diaz', title: 'CFO', email: 'dana@acme.test', roles: ['executiveSponsor', 'budgetHolder'] },
  'stakeholder.updated': { stakeholderId: 's-1', name: 'Dana Diaz', changes: { roles: { before: ['budgetHolder'], after: ['budgetHolder', 'decisionMaker'] }, title: { before: null, after: 'CFO' } } },
  'stakeholder.deactivated': { stakeholderId: 's-1', name: 'Dana Diaz', roles: ['executiveSponsor'], leftAt: '2026-12-04T15:00:00.000Z', reason: 'left the company' },
  'stakeholder.reactivated': { stakeholderId: 's-1', name: 'Dana Diaz', roles: ['budgetHolder'] },
  'access.updated': { granted: ['backup'], alreadyGranted: ['rmm'], accessPercent: 100, thresholdPct: 95 },
  'risk.evidence_added': { riskId: 'c-1/onboarding/access.checkpoint', evidence: 'access at 100 % after the onboarding closed', conditionCleared: true },
  'discovery.planned': { discoveryId: 'd-1', ownerRole: 'vCIO', format: 'multiStakeholder', scheduledFor: '2026-06-02' },
  'discovery.completed': { discoveryId: 'd-1', insights: 3, routed: { assessment: 1, initiative: 1, roadmap: 1 }, createdInitiatives: ['i-1'], createdAssessments: ['a-1'], goalRescored: false, nextEngagementAt: '2026-09-01T15:00:00.000Z' },
  'discovery.recap_sent': { discoveryId: 'd-1', sentAt: '2026-06-03T15:00:00.000Z', onTime: true },
  'assessment.designed': { assessmentId: 'a-1', template: 'Security baseline', scope: 'portfolio', ownerRole: 'TAM', requirement: 'mandatory' },
  'assessment.completed': { assessmentId: 'a-1', categories: 6, scores: { AtRisk: 1, NeedsAttention: 2, Satisfactory: 3 }, findings: 2, createdInitiatives: ['i-2'], adoption: { mfaPct: 55, endpointPct: 90 } },
  'initiative.created': { initiativeId: 'i-1', title: 'MFA rollout', state: 'Identified', lane: 'Stability', quarter: '2026-Q3', source: { kind: 'assessment', ref: 'a-1', date: '2026-05-04' }, tier: 1, remediation: false },
  'initiative.state_changed': { initiativeId: 'i-1', from: 'PreApproved', to: 'Parked', quarter: '2026-Q4', reason: 'timing' },
  'initiative.flagged': { initiativeId: 'i-1', flag: 'Stalled', set: true },
  'price_test.logged': { priceTestId: 'pt-1', initiativeId: 'i-1', ownerRole: 'AM', quarter: '2026-Q3', minUsd: 8000, maxUsd: 12000, outcome: 'viable' },
  'pre_approval.logged': { preApprovalId: 'pa-1', initiativeId: 'i-1', ownerRole: 'AM', ownerStakeholderId: 's-1', quarter: '2026-Q3', minUsd: 8000, maxUsd: 12000 },
  'pre_approval.aged': { preApprovalId: 'pa-1', initiativeId: 'i-1', ageDays: 31 },
  'pre_approval.expired': { preApprovalId: 'pa-1', initiativeId: 'i-1', ageDays: 61 },
  'proposal.created': { proposalId: 'p-2', initiativeId: 'i-1', version: 2, previousProposalId: 'p-1', options: 2, status: 'draft' },
  'proposal.sent': { proposalId: 'p-1', initiativeId: 'i-1', version: 1, sentAt: '2026-05-12T14:00:00.000Z' },
  'proposal.aged': { proposalId: 'p-1', ageDays: 15, bucket: '15-30' },
  'proposal.decided': { proposalId: 'p-1', initiativeId: 'i-1', outcome: 'declined', reason: 'price', optionIndex: 0, ageDays: 12 },
  'proposal.reason_captured': { proposalId: 'p-1', reason: 'timing' },
  'budget.versioned': { version: 2, note: 'MFA moved to Q4', lines: 2, totalUsd: 21000, byQuarter: { '2026-Q3': 12000, '2026-Q4': 9000 }, source: 'park' },
  'budget.actuals_recorded': { quarter: '2026-Q3', actualUsd: 15000 },
  'roadmap.versioned': { version: 3, note: 'Third big rock moved', items: 3, changed: true, moved: [{ initiativeId: 'i-3', from: '2026-Q3', to: '2026-Q4' }], source: 'manual' },
  'roadmap.stale': { lastChangedAt: '2026-01-05T15:00:00.000Z', quarters: 3 },
  'report.delivered': { reportId: 'rep-1', title: 'Q2 service review', format: 'asyncPdfVideo' },
  'report.opened': { reportId: 'rep-1', openedAt: '2026-06-05T15:00:00.000Z' },
  'report.unopened': { reportId: 'rep-1', stage: 'reminder', businessDays: 5 },
  'backlog.added': { backlogItemId: 'b-1', title: 'Replace the phones', meetingId: 'm-1', nextCadence: true },
  'ask.flagged': { meetingId: 'm-1', title: 'Move to the cloud', initiativeId: 'i-4', missing: ['discoveryWhy'] },
  'upsell.signal_logged': { signalId: 'u-1', initiativeId: 'i-9', kind: 'insuranceAsk', source: 'cyber-insurance renewal questionnaire', signalDate: '2026-05-11', lane: 'CapEx', urgency: 'high', dependency: 'MFA rollout', priceTestDueAt: '2026-05-14T17:00:00.000-05:00' },
  'upsell.price_tested': { signalId: 'u-1', initiativeId: 'i-9', priceTestId: 'pt-9', outcome: 'viable', minUsd: 8000, maxUsd: 12000, late: false, appetite: 4 },
  'upsell.planned': { signalId: 'u-1', initiativeId: 'i-9', preApprovalId: 'pa-9', quarter: '2026-Q3', band: { minUsd: 8000, maxUsd: 12000 }, roadmapVersion: 2, budgetVersion: 2, decisionFlag: true, versionNote: 'EDR upsell pre-approved (R-91)', nextTouch: { meetingId: 'm-7', kind: 'tactical', startsAt: '2026-06-11T10:00:00.000-05:00' } },
  'upsell.resequenced': { signalId: 'u-2', initiativeId: 'i-10', reason: 'timing', quarter: '2026-Q4' },
  'upsell.proposed': { signalId: 'u-1', initiativeId: 'i-9', proposalId: 'p-9', presentedAt: '2026-06-11T11:00:00.000-05:00', meetingId: 'm-7', recapDueAt: '2026-06-13T11:00:00.000-05:00', ctaDueAt: '2026-06-14T11:00:00.000-05:00', late: false },
  'upsell.recap_sent': { signalId: 'u-1', proposalId: 'p-9', sentAt: '2026-06-12T09:00:00.000-05:00', late: false },
  'upsell.approved': { signalId: 'u-1', initiativeId: 'i-9', proposalId: 'p-9', decidedAt: '2026-06-15T15:00:00.000Z', ownerRole: 'AM', targetDate: '2026-09-30', budgetUsd: 12000, creditVerdict: 'counted', reasons: [], projectRef: 'PRJ-42', poRef: 'PO-7' },
  'upsell.declined': { signalId: 'u-3', initiativeId: 'i-11', proposalId: 'p-11', reason: 'price' },
  'upsell.step_overdue': { signalId: 'u-1', step: 'priceTest', dueAt: '2026-05-14T17:00:00.000-05:00' },
  'quarter.closed': {
    quarter: '2026-Q3', decisions: 3, withArtefact: 2,
    declineReasons: { captured: 1, total: 1, ratePct: 100, targetPct: 90 },
    variance: { forecastUsd: 12000, actualUsd: 15000, variancePct: 25, status: 'investigate' },
    realization: { budgetedUsd: 21000, approvedUsd: 12000, pct: 57.1, below: false },
  },
};

const requiredKeys = (type: LedgerEventType) =>
  Object.entries(eventCatalogue[type].data.shape as Record<string, { _zod: { optin?: string } }>)
    .filter(([, s]) => s._zod.optin !== 'optional')
    .map(([k]) => k);

describe('docs/events.md', () => {
  it('is generated from the catalogue', () => {
    const onDisk = fs.existsSync(eventDocsPath) ? fs.readFileSync(eventDocsPath, 'utf8') : '';
    expect(onDisk === renderEventDocs(), 'docs/events.md is out of date: run `npx tsx scripts/event-docs.ts`').toBe(true);
  });

  it('has a section and the envelope for every type', () => {
    const doc = renderEventDocs();
    for (const type of LEDGER_EVENT_TYPES) expect(doc).toContain(`\n## ${type}\n`);
    for (const f of ['id', 'seq', 'occurredAt', 'recordedAt', 'clientId', 'process', 'workflowId', 'type', 'ruleId', 'why', 'actor', 'data']) {
      expect(doc).toContain(`- \`${f}\`: `);
    }
  });
});

describe('event catalogue', () => {
  it('holds every required type, sorted in LEDGER_EVENT_TYPES', () => {
    expect([...LEDGER_EVENT_TYPES]).toEqual([...REQUIRED_TYPES].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(Object.keys(eventCatalogue))).toEqual(new Set(REQUIRED_TYPES));
  });

  it('describes every type and every data field', () => {
    for (const type of LEDGER_EVENT_TYPES) expect(eventCatalogue[type].description, type).toMatch(/^\S.*\.$/);
    const fieldRows = renderEventDocs().split('\n').filter((l) => l.startsWith('| `'));
    expect(fieldRows.length).toBeGreaterThan(LEDGER_EVENT_TYPES.length);
    for (const line of fieldRows) expect(line, 'a data field without a description').not.toMatch(/\|\s+\|$/);
  });

  it('rejects an unknown type, naming it', () => {
    const r = checkEventData('client.teleported', {});
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toContain('client.teleported');
  });

  it('rejects data that is not an object', () => {
    expect(checkEventData('step.completed', 'kickoff').ok).toBe(false);
    expect(checkEventData('step.completed', [1]).ok).toBe(false);
  });

  describe.each(REQUIRED_TYPES)('%s', (type) => {
    it('accepts a valid example', () => expectAccepted(type, examples[type]));

    it('rejects the example without each required field, naming the type and the path', () => {
      const required = requiredKeys(type);
      expect(required.length).toBeGreaterThan(0);
      for (const key of required) {
        const data: Record<string, unknown> = { ...examples[type] };
        delete data[key];
        const r = checkEventData(type, data);
        expect(r.ok, `${type} without ${key}`).toBe(false);
        expect(!r.ok && r.message).toContain(`"${type}"`);
        expect(!r.ok && r.message).toContain(`${key}:`);
      }
    });

    it('rejects an extra field', () => {
      const r = checkEventData(type, { ...examples[type], surprise: 1 });
      expect(r.ok).toBe(false);
      expect(!r.ok && r.message).toContain('surprise: unrecognized key');
    });
  });

  it('names every bad path, nested ones included', () => {
    const r = checkEventData('segment.changed', {
      before: { segment: 'E', goalLevel: 1, touchTier: 'Mid' },
      after: { segment: 'A', goalLevel: 4, touchTier: 'High', extra: true },
    });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toContain('before.segment:');
    expect(!r.ok && r.message).toContain('after.extra: unrecognized key');
  });

  it('wants instants with an offset, and enums as listed', () => {
    const base = examples['deadline.set'];
    expect(checkEventData('deadline.set', { ...base, dueAt: '2025-03-10 17:00' }).ok).toBe(false);
    expect(checkEventData('deadline.set', { ...base, dueAt: '2025-03-10T17:00:00' }).ok).toBe(false);
    expect(checkEventData('deadline.set', { ...base, clock: 'calendar' }).ok).toBe(false);
    expect(checkEventData('cta.escalated', { ...examples['cta.escalated'], level: 'manager' }).ok).toBe(false);
    expect(checkEventData('meeting.missed', { ...examples['meeting.missed'], reason: 'rain' }).ok).toBe(false);
    expect(checkEventData('risk.opened', { ...examples['risk.opened'], severity: 'Critical' }).ok).toBe(false);
  });

  it('accepts optional fields left out', () => {
    expectAccepted('process.started', { policyVersion: 1, inputs: {} });
    expectAccepted('process.completed', { outcome: 'closed' });
    expectAccepted('deadline.missed', { deadline: 'kickoff', dueAt: '2025-03-10T22:00:00Z' });
    expectAccepted('cta.first_action', { ctaId: 'c', note: 'called' });
    expectAccepted('meeting.scheduled', { meetingId: 'm', kind: 'kickoff', startsAt: '2025-03-07T15:00:00Z' });
    expectAccepted('meeting.held', { meetingId: 'm' });
    expectAccepted('signal.duplicate', { signal: 's', idempotencyKey: 'k' });
    expectAccepted('signal.late', { signal: 's' });
  });
});

// ---------------------------------------------------------------------------------------------
// The data the current writers build, built the same way (db/clients.ts, db/policies.ts,
// workflows/placement-review.ts), from the real domain functions.

describe('data written by the current code is accepted', () => {
  const place = (c: Pick<ClientInput, 'maturity' | 'appetite' | 'mrr' | 'ownsInnovationAgenda'>): SegmentationResult =>
    segmentClient({ maturity: c.maturity, appetite: c.appetite, mrr: c.mrr, ownsInnovationAgenda: c.ownsInnovationAgenda ?? false }, policy.segmentation);

  const input: ClientInput = { name: 'Acme', mrr: 1800, maturity: 1, appetite: 2, timeZone: 'America/Chicago' };
  const registered = place(input);
  const current = {
    id: 'c-1', name: input.name, externalRef: null, mrr: input.mrr, maturity: input.maturity, appetite: input.appetite,
    ownsInnovationAgenda: false, segment: registered.segment, goalLevel: registered.goalLevel, archetype: registered.archetype,
    mrrTier: registered.mrrTier, touchTier: registered.touchTier, segmentRuleIds: registered.ruleIds, segmentSource: 'computed',
    segmentOverride: null, placementPolicyVersion: 1, timeZone: input.timeZone, holidays: [], region: null, publicHolidayExceptions: [], renewalDate: null, fiscalYearEnd: '12-31',
    policyOverrides: {}, stage: 'client', revision: 1, createdAt: '2025-03-03 15:00:00+00', updatedAt: '2025-03-03 15:00:00+00',
  } satisfies ClientRow;

  it('client.registered (createClient)', () => {
    const p = registered;
    expectAccepted('client.registered', { segment: p.segment, goalLevel: p.goalLevel, mrrTier: p.mrrTier, touchTier: p.touchTier, archetype: p.archetype });
    for (const [maturity, appetite, mrr, owns] of [[5, 5, 20000, true], [4, 1, 3000, false], [2, 4, 0, false]] as const) {
      const q = place({ maturity, appetite, mrr, ownsInnovationAgenda: owns });
      expectAccepted('client.registered', { segment: q.segment, goalLevel: q.goalLevel, mrrTier: q.mrrTier, touchTier: q.touchTier, archetype: q.archetype });
    }
  });

  it('client.updated and segment.changed (updateClient)', () => {
    const patch: Partial<ClientInput> = {
      maturity: 4, appetite: 5, mrr: 12000, externalRef: 'PSA-9', renewalDate: '2026-01-31', holidays: ['2025-12-26'], name: undefined,
      region: 'US-IL', publicHolidayExceptions: ['2025-10-13'], fiscalYearEnd: '12-31',
    };
    const changes: Record<string, { before: unknown; after: unknown }> = {};
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      const before = current[key as keyof ClientRow];
      if (JSON.stringify(before) !== JSON.stringify(value)) changes[key] = { before, after: value };
    }
    expect(Object.keys(changes).sort()).toEqual(['appetite', 'externalRef', 'holidays', 'maturity', 'mrr', 'publicHolidayExceptions', 'region', 'renewalDate']);
    expectAccepted('client.updated', { changes });
    // Recorded before the stakeholder registry (issue 9): old events keep validating.
    expectAccepted('client.updated', { changes: { stakeholders: { before: [], after: [{ name: 'Pat', roles: ['executiveSponsor'] }] } } });
    expectAccepted('client.updated', { changes: { externalRef: { before: 'PSA-9', after: null } } });
    expect(checkEventData('client.updated', { changes: {} }).ok).toBe(false);
    expect(checkEventData('client.updated', { changes: { segment: { before: 'A', after: 'B' } } }).ok).toBe(false);

    const merged = { ...current, ...patch } as ClientRow;
    const placed = place(merged);
    const row = { ...current, segment: placed.segment, goalLevel: placed.goalLevel, touchTier: placed.touchTier };
    expect(row.segment).not.toBe(current.segment);
    expectAccepted('segment.changed', {
      before: { segment: current.segment, goalLevel: current.goalLevel, touchTier: current.touchTier },
      after: { segment: row.segment, goalLevel: row.goalLevel, touchTier: row.touchTier },
    });
  });

  it('segment.overridden (overrideSegment) and segment.override_cleared (clearSegmentOverride)', () => {
    const computed = place(current);
    const o = { segment: 'B', goalLevel: 3, rationale: 'Client is mid-migration; treat as Modernize for a year.' };
    const touchTier = (policy.segmentation.touchMatrix[o.segment as 'A'] as Record<string, string>)[computed.mrrTier]!;
    expectAccepted('segment.overridden', {
      before: { segment: current.segment, goalLevel: current.goalLevel, touchTier: current.touchTier },
      after: { segment: o.segment, goalLevel: o.goalLevel, touchTier },
    });

    const overridden = { ...current, segment: o.segment, goalLevel: o.goalLevel, touchTier, segmentSource: 'override' };
    const p = place(overridden);
    expectAccepted('segment.override_cleared', {
      before: { segment: overridden.segment, goalLevel: overridden.goalLevel, touchTier: overridden.touchTier },
      after: { segment: p.segment, goalLevel: p.goalLevel, touchTier: p.touchTier },
    });
  });

  it('policy.client_overrides_set (setPolicyOverrides)', () => {
    const overrides = { onboarding: { kickoffBusinessDays: 7 }, calendar: { holidays: ['2025-12-26'] } };
    expectAccepted('policy.client_overrides_set', { before: current.policyOverrides, after: overrides });
    expectAccepted('policy.client_overrides_set', { before: overrides, after: {} });
  });

  it('role.assigned and role.unassigned (assignRole, unassignRole)', () => {
    const role = 'TAM';
    for (const a of [{ personId: 'p-1', backupPersonId: 'p-2' }, { personId: 'p-1', backupPersonId: null }, { personId: 'p-1' }] as { personId: string; backupPersonId?: string | null }[]) {
      expectAccepted('role.assigned', { role, personId: a.personId, backupPersonId: a.backupPersonId ?? null, previous: null });
      expectAccepted('role.assigned', { role, personId: a.personId, backupPersonId: a.backupPersonId ?? null, previous: { personId: 'p-0', backupPersonId: 'p-9' } });
    }
    const rows = [{ clientId: 'c-1', role, personId: 'p-1', backupPersonId: 'p-2' }];
    expectAccepted('role.unassigned', { role, personId: rows[0]!.personId, backupPersonId: rows[0]!.backupPersonId });
  });

  it('policy.published (publishPolicy)', () => {
    const next = parsePolicy({ onboarding: { kickoffBusinessDays: 7 }, calendar: { holidays: ['2025-12-25', '2025-12-26'] } });
    if (!next.ok) throw new Error(JSON.stringify(next.issues));
    const diff = diffPolicies(defaultPolicy, next.policy);
    expect(diff.length).toBeGreaterThan(0);
    expectAccepted('policy.published', { version: 2, changes: diff });
    expectAccepted('policy.published', { version: 2, changes: [] });
    // Added and removed paths carry `before` / `after` as undefined (dropped when stored as jsonb).
    const addedRemoved = diffPolicies({ a: { b: 1 } }, { a: { c: [2] } });
    expect(addedRemoved.some((c) => c.before === undefined) && addedRemoved.some((c) => c.after === undefined)).toBe(true);
    expectAccepted('policy.published', { version: 3, changes: addedRemoved });
  });

  it('segment.review_due (placementReview workflow)', () => {
    for (const segmentSource of ['computed', 'override']) {
      const plan = { segment: current.segment, goalLevel: current.goalLevel, segmentSource };
      for (const cycle of [1, 2, 17]) {
        expectAccepted('segment.review_due', { cycle, segment: plan.segment, goalLevel: plan.goalLevel, source: plan.segmentSource });
      }
    }
  });
});
