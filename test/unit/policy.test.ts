import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  applyClientOverrides,
  clientOverrideSchema,
  defaultPolicy,
  diffPolicies,
  parsePolicy,
  policySchema,
  type Policy,
} from '../../domain/policy.js';
import { withCurrentPolicy } from '../../domain/policy-current.js';
import { POLICY_SHAPE_REVISION } from '../../domain/policy/revision.js';

function get(doc: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], doc);
}

function issuesOf(input: unknown): { path: string; message: string }[] {
  const r = parsePolicy(input);
  if (r.ok) throw new Error('expected the document to be rejected');
  return r.issues;
}

function clone(p: Policy): Policy {
  return structuredClone(p) as Policy;
}

describe('policy defaults (DOMAIN §4)', () => {
  it('CTA escalation defaults: backup, then CS Lead, 72h windows (R-122, C-5)', () => {
    expect(defaultPolicy.ctas).toEqual({ escalationChain: ['backup', 'csLead'], escalationWindowHours: 72 });
    expect(defaultPolicy.meeting.firstActionHours).toBe(72);
  });

  it('{} parses to the full default document', () => {
    const r = parsePolicy({});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.policy).toEqual(defaultPolicy);
    expect(Object.keys(r.policy)).toEqual([
      'calendar',
      'segmentation',
      'investment',
      'capacity',
      'cadence',
      'meeting',
      'ctas',
      'missedCadence',
      'triggers',
      'onboarding',
      'sales',
      'annualPlanning',
      'discoveryAssessment',
      'initiatives',
      'proposals',
      'budget',
      'roadmap',
      'deliverables',
      'health',
      'playsAndGates',
      'atRisk',
      'kpis',
      'raci',
      'governance',
      'integrations',
      'upsell',
    ]);
  });

  it('each parse returns fresh objects and arrays (no default shared between documents)', () => {
    const a = policySchema().parse({});
    const b = policySchema().parse({});
    const shared: string[] = [];
    const walk = (x: unknown, y: unknown, path: string) => {
      if (x === null || typeof x !== 'object') return;
      if (x === y) shared.push(path);
      for (const k of Object.keys(x)) walk(get(x, k), get(y, k), `${path}.${k}`);
    };
    walk(a, b, '');
    expect(shared).toEqual([]);
    a.calendar.holidays.push('2030-01-01');
    expect(b.calendar.holidays).toEqual([]);
  });

  it('defaultPolicy is frozen so workflow code cannot mutate the shared defaults', () => {
    expect(Object.isFrozen(defaultPolicy)).toBe(true);
    expect(Object.isFrozen(defaultPolicy.onboarding.roadmapWindowDays)).toBe(true);
    expect(() => {
      (defaultPolicy.calendar.holidays as string[]).push('2030-01-01');
    }).toThrow();
  });

  it('the default document re-parses to itself (JSON round trip)', () => {
    expect(policySchema().parse(JSON.parse(JSON.stringify(defaultPolicy)))).toEqual(defaultPolicy);
  });

  const spot: [rule: string, path: string, expected: unknown][] = [
    ['C-1', 'calendar.dayStart', '09:00'],
    ['C-1', 'calendar.dayEnd', '17:00'],
    ['C-1', 'calendar.workdays', [1, 2, 3, 4, 5]],
    ['C-1', 'calendar.holidays', []],
    ['A-14', 'calendar.slaClock', 'elapsed'],
    ['C-7', 'calendar.fiscalYearEndMonthDay', '12-31'],
    ['A-2', 'segmentation.highScoreCutoff', 3],
    ['A-2', 'segmentation.goal5RequiresBothAtLeast', 4],
    ['R-2', 'segmentation.mrrTiers.highMin', 10000],
    ['R-2', 'segmentation.mrrTiers.midMin', 2500],
    ['R-3', 'segmentation.touchMatrix.A.High', 'VIP'],
    ['R-3', 'segmentation.touchMatrix.D.Low', 'Tech'],
    ['R-7', 'segmentation.autoResegment', false],
    ['R-9', 'segmentation.segmentChangeLeadDays', 14],
    ['R-4', 'investment.mrrPctBySegment', { A: 9, B: 7, C: 5, D: 3 }],
    ['R-5', 'investment.hourlyCostUsd', 80],
    ['R-5', 'investment.proactiveSharePct', 60],
    ['R-5', 'investment.playbookSharePct', 40],
    ['R-6', 'investment.fteHoursPerYear', 1680],
    ['R-6', 'investment.csAvailableSharePct', 70],
    ['R-6', 'capacity.requiredHoursPerClientYear', { A: 30, B: 20, C: 10, D: 5 }],
    ['R-36', 'capacity.vcioMaxStrategicPerWeek', 8],
    ['R-36', 'capacity.csmBatchWeekdays', [2, 4]],
    ['R-37', 'capacity.autoBookCapPct', 80],
    ['R-37', 'capacity.loadTargetPct', 85],
    ['R-37', 'capacity.rebalanceAbovePct', 90],
    ['R-37', 'capacity.monthSpreadMaxPct', 40],
    ['R-6', 'investment.teamHoursSource', 'fte'],
    ['R-6', 'investment.teamRoles', ['AM', 'TAM', 'CSM', 'vCIO', 'vCTO', 'vCISO']],
    ['R-125', 'governance.monthlySegmentReview.time', '10:00'],
    ['R-125', 'governance.weeklyCsOps.weekday', 1],
    ['R-125', 'governance.thresholdChangeWindowDays', 14],
    ['R-125', 'governance.heldGraceHours', 24],
    ['R-60', 'kpis.governance.heldPerPlanPct', 90],
    ['R-60', 'playsAndGates.governanceBreachMonths', 2],
    ['R-37', 'governance.rebalanceSegments', ['B', 'C']],
    ['R-12', 'cadence.D.defenseLoop.incidentSpikeFactor', 1.5],
    ['R-12', 'cadence.D.defenseLoop.costToServeOverMonths', 2],
    ['R-11', 'cadence.recurringSlot', { weekOfMonth: 2, weekday: 2, time: '10:00' }],
    ['R-11', 'cadence.strategicMinutes', 45],
    ['R-11', 'cadence.tacticalMinutes', 30],
    ['§2.2', 'cadence.A.annualPlanning.meetings', 3],
    ['§2.2', 'cadence.A.strategic.executiveQbrPerYear', 3],
    ['§2.2', 'cadence.C.annualPlanning.mode', 'hybrid'],
    ['§2.2', 'cadence.D.annualPlanning.anchor', 'renewal'],
    ['§2.2', 'cadence.D.strategic.perYear', 0],
    ['A-5', 'cadence.C.strategic.perYearAtTechTier', 1],
    ['§2.2', 'cadence.A.liveTargetPct', 80],
    ['§2.2', 'cadence.D.tactical.byTouchTier.Tech', 'triggerOnly'],
    ['R-12', 'cadence.D.defenseLoop.enabled', true],
    ['R-24', 'meeting.prepPackBusinessDays', 5],
    ['R-26', 'meeting.preReadOpensHoursBefore', 72],
    ['R-26', 'meeting.preReadDueHoursBefore', 48],
    ['R-27', 'meeting.maxDecisions', 2],
    ['R-29', 'meeting.recapHours', 48],
    ['R-30', 'meeting.firstActionHours', 72],
    ['R-30', 'meeting.chaseDays', { from: 7, to: 10 }],
    ['A-13', 'missedCadence.graceHours', 2],
    ['A-13', 'missedCadence.lateCancelHours', 24],
    ['R-33', 'missedCadence.rebookWithinDays', 7],
    ['R-34', 'missedCadence.reengageAtMiss', 2],
    ['R-35', 'missedCadence.reviewAtMiss', 3],
    ['R-35', 'missedCadence.segmentReviewSlot', { weekOfMonth: 1, weekday: 2 }],
    ['R-13', 'triggers.renewalOffsetDays', -90],
    ['R-14', 'triggers.fyEndOffsetDays', -30],
    ['A-13', 'triggers.leadBusinessDays', 10],
    ['R-13', 'triggers.fireAt', '09:00'],
    ['R-15', 'triggers.assessmentReviewDays', 10],
    ['R-16', 'triggers.deliveryKickoffBusinessDays', 10],
    ['R-17', 'triggers.resetWithinDays', 7],
    ['R-17', 'triggers.decisionDroughtDays', 30],
    ['A-7', 'triggers.strategicDroughtSegments', ['A']],
    ['R-18', 'triggers.adoptionSyncDays', 5],
    ['R-18', 'triggers.thresholds', { mfaMinPct: 60, endpointMinPct: 80, backupMinPct: 95 }],
    ['R-47', 'onboarding.kickoffBusinessDays', 5],
    ['R-49', 'onboarding.accessCheckpointDay', 14],
    ['R-49', 'onboarding.accessThresholdPct', 95],
    ['R-49', 'onboarding.docsCheckpointDay', 21],
    ['R-52', 'onboarding.quickWinsRequired', 2],
    ['R-52', 'onboarding.quickWinsCheckpointDay', 30],
    ['R-53', 'onboarding.roadmapWindowDays', { from: 30, to: 45 }],
    ['R-54', 'onboarding.proposalsWindowDays', { from: 30, to: 60 }],
    ['R-55', 'onboarding.cadenceLockWindowDays', { from: 45, to: 60 }],
    ['R-56', 'onboarding.reviewDay', 60],
    ['R-56', 'onboarding.closeoutDay', 90],
    ['R-62', 'annualPlanning.finalMeetingOffsetDays', -30],
    ['R-62', 'annualPlanning.spacingDays', 28],
    ['R-64', 'annualPlanning.discoveryWindowDays', { from: -42, to: -28 }],
    ['R-62', 'annualPlanning.dAnchorRenewalOffsetDays', -90],
    ['R-67', 'discoveryAssessment.discoveryCadence.C', 'semiannual'],
    ['R-69', 'discoveryAssessment.assessmentByGoal.goal4', 'mandatory'],
    ['R-75', 'initiatives.stalledDays', 45],
    ['R-86', 'initiatives.bigRocksPerQuarter', 2],
    ['R-86', 'initiatives.bigRockMinCostUsd', 10000],
    ['R-78', 'proposals.freshMaxAgeDays', 14],
    ['R-78', 'proposals.agingMaxAgeDays', 30],
    ['A-17', 'proposals.resetAtAgeDays', 31],
    ['A-17', 'proposals.expireAtAgeDays', 61],
    ['R-79', 'proposals.expiryAction', 'parkNextQuarter'],
    ['R-80', 'proposals.declineReasons', ['price', 'timing', 'relevance', 'dependency', 'other']],
    ['R-83', 'budget.preApprovalReengageDays', 31],
    ['R-83', 'budget.preApprovalResequenceDays', 61],
    ['R-84', 'budget.varianceGreenMaxPct', 20],
    ['R-84', 'budget.varianceInvestigateAbovePct', 20],
    ['R-86', 'roadmap.freshnessDays', { A: 120, B: 120, C: 180, D: 365 }],
    ['R-86', 'roadmap.staleAfterQuarters', 2],
    ['R-88', 'deliverables.unopenedReminderBusinessDays', 5],
    ['R-39', 'deliverables.liveTargetPct', 80],
    ['R-109', 'health.weightsPct.A', { cx: 20, adoption: 20, engagement: 20, serviceQuality: 20, alignment: 20 }],
    ['R-109', 'health.composite', { greenMin: 75, yellowMin: 60 }],
    ['§2.18', 'health.snapshotTimeOnLastBusinessDay', '17:00'],
    ['R-104', 'health.sponsorHeartbeatDays', 120],
    ['R-104', 'health.sponsorReminderDays', [90, 120]],
    ['R-104', 'health.cx.responseTargetPct', { A: 50, B: 50, C: 30, D: 30 }],
    ['R-105', 'health.adoption.bands.D', { greenMin: 70, yellowMin: 50 }],
    ['R-106', 'health.engagement.latencyTargetDays.A', 14],
    ['R-106', 'health.engagement.latencyTargetDays.B', 30],
    ['R-106', 'health.engagement.latencyTargetDays.C', 45],
    ['R-107', 'health.serviceQuality.bands.A', { greenMin: 85, yellowMin: 75 }],
    ['R-120', 'playsAndGates.consecutiveRedMonths', 2],
    ['R-120', 'playsAndGates.pauseThresholdUsd', 10000],
    ['R-32', 'playsAndGates.aGateAttendancePct', 95],
    ['R-32', 'playsAndGates.aGateLatencyDays', 14],
    ['R-117', 'playsAndGates.milestoneLate.dueHours', 72],
    ['R-94', 'atRisk.severity', { highMin: 6, mediumMin: 3 }],
    ['R-95', 'atRisk.ackBusinessHours', { High: 4, Medium: 8, Low: 8 }],
    ['§1 Save Plan', 'atRisk.h1Days', { from: 0, to: 14 }],
    ['§1 Save Plan', 'atRisk.h2Days', { from: 15, to: 60 }],
    ['R-100', 'atRisk.noMovementDays', 14],
    ['R-101', 'atRisk.resolveDays', 30],
    ['R-101', 'atRisk.escalateDays', 60],
    ['R-103', 'atRisk.repeatWindowDays', 120],
    ['R-102', 'atRisk.afterActionBusinessDays', 5],
    ['R-39', 'kpis.cadence.coverageNext30DaysPct', 90],
    ['R-45', 'kpis.sales.daysToProposalMedianMax', 14],
    ['R-57', 'kpis.onboarding.kickoffOnTimePct', 90],
    ['§2.19', 'raci.A.cadenceOwner', 'CSM'],
    ['§2.19', 'raci.C.cadenceBackup', 'TAM'],
    ['§2.19', 'raci.D.cadenceOwner', 'TAM'],
    ['§2.19', 'raci.B.strategic.accountable', 'vCIO'],
    ['§2.19', 'raci.C.strategic.recorder', 'TAM'],
    ['§2.19', 'raci.D.strategic', null],
    ['§2.19', 'raci.C.annualPlanning.accountableFallback', 'CSM'],
    ['§2.19', 'raci.A.healthAlerts.backup', 'AM'],
    ['§2.19', 'raci.D.atRisk', { owner: 'TAM', presenter: 'TAM', commercial: 'AM', escalation: 'CS Lead' }],
  ];
  it.each(spot)('%s: %s defaults to %j', (_rule, path, expected) => {
    expect(get(defaultPolicy, path)).toEqual(expected);
  });

  it('§2.2: cadence.B matches the YAML shape in DOMAIN.md', () => {
    expect(defaultPolicy.cadence.B.annualPlanning).toEqual({
      meetings: 2,
      anchor: 'fyEnd',
      offsetDays: -30,
      spacingDays: 28,
      mode: 'live',
      firstMeetingMinutes: null,
    });
    expect(defaultPolicy.cadence.A.annualPlanning.firstMeetingMinutes).toBe(90); // A's M1, the CEO session
    expect(defaultPolicy.cadence.B.strategic).toMatchObject({
      type: 'QBR',
      perYear: 3,
      mode: ['live', 'hybrid'],
      accountable: 'vCIO',
      recorder: 'CSM',
    });
    expect(defaultPolicy.cadence.B.budget).toEqual({ frequency: 'semiannual', view: 'rolling4Q', split: ['OpEx', 'CapEx'] });
    expect(defaultPolicy.cadence.B.tactical.byTouchTier).toEqual({
      VIP: 'biweekly',
      High: 'monthly',
      Mid: 'quarterly',
      Tech: 'none',
    });
  });

  it('R-3: the touch matrix holds the full §2.1 table', () => {
    const ab = { High: 'VIP', Mid: 'High', Low: 'Mid' };
    const cd = { High: 'High', Mid: 'Mid', Low: 'Tech' };
    expect(defaultPolicy.segmentation.touchMatrix).toEqual({ A: ab, B: ab, C: cd, D: cd });
  });

  it('every field carries a description, and leaf descriptions name a rule or section', () => {
    const missing: string[] = [];
    const noRule: string[] = [];
    const walk = (schema: z.ZodType, path: string) => {
      if (!schema.description) missing.push(path);
      let s: z.ZodType = schema;
      while (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
      if (s instanceof z.ZodObject) {
        for (const [k, v] of Object.entries(s.shape as Record<string, z.ZodType>)) walk(v, `${path}.${k}`);
      } else if (!/\((?:[^()]*\b(?:R|A|C)-\d+|§[^)]*)[^()]*\)/.test(schema.description ?? '')) {
        noRule.push(path);
      }
    };
    for (const [k, v] of Object.entries(policySchema().shape as Record<string, z.ZodType>)) walk(v, k);
    expect(missing).toEqual([]);
    expect(noRule).toEqual([]);
  });
});

describe('parsePolicy rejects invalid documents with path-level issues', () => {
  it('negative day count', () => {
    expect(issuesOf({ onboarding: { kickoffBusinessDays: -1 } })).toEqual([
      { path: 'onboarding.kickoffBusinessDays', message: expect.stringMatching(/>=\s*0/) },
    ]);
  });

  it('window with from > to', () => {
    expect(issuesOf({ onboarding: { roadmapWindowDays: { from: 50, to: 40 } } })).toEqual([
      { path: 'onboarding.roadmapWindowDays.to', message: 'window must have from ≤ to' },
    ]);
  });

  it('unknown slaClock (A-14)', () => {
    const issues = issuesOf({ calendar: { slaClock: 'wallclock' } });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('calendar.slaClock');
    expect(issues[0]!.message).toMatch(/elapsed.*business/);
  });

  it.each([
    [10000, 10000],
    [12000, 10000],
  ])('midMin %d ≥ highMin %d (R-2)', (midMin, highMin) => {
    expect(issuesOf({ segmentation: { mrrTiers: { midMin, highMin } } })).toEqual([
      { path: 'segmentation.mrrTiers.midMin', message: 'midMin must be < highMin' },
    ]);
  });

  it('highScoreCutoff outside {3, 4} (A-2)', () => {
    expect(issuesOf({ segmentation: { highScoreCutoff: 2 } }).map((i) => i.path)).toEqual([
      'segmentation.highScoreCutoff',
    ]);
  });

  it('dayStart not before dayEnd (C-1)', () => {
    expect(issuesOf({ calendar: { dayStart: '17:00', dayEnd: '09:00' } })).toEqual([
      { path: 'calendar.dayEnd', message: 'dayStart must be before dayEnd' },
    ]);
  });

  it('an escalation chain that would move a CTA down: the CS Lead before the backup (R-122)', () => {
    expect(issuesOf({ ctas: { escalationChain: ['csLead', 'backup'] } })).toEqual([
      { path: 'ctas.escalationChain', message: 'the backup before the CS Lead (R-122)' },
    ]);
    expect(parsePolicy({ ctas: { escalationChain: ['csLead'] } }).ok).toBe(true);
  });

  it('percentage above 100', () => {
    expect(issuesOf({ onboarding: { accessThresholdPct: 101 } }).map((i) => i.path)).toEqual([
      'onboarding.accessThresholdPct',
    ]);
  });

  it('weights that do not add up to 100 (R-109)', () => {
    expect(issuesOf({ health: { weightsPct: { A: { cx: 25 } } } }).map((i) => i.path)).toEqual(['health.weightsPct.A']);
    // Re-balanced weights are fine (the seed's example: A CX and Alignment 25 %).
    expect(
      parsePolicy({ health: { weightsPct: { A: { cx: 25, alignment: 25, adoption: 20, engagement: 15, serviceQuality: 15 } } } }).ok,
    ).toBe(true);
  });

  it('reviewAtMiss not above reengageAtMiss (R-34, R-35)', () => {
    expect(issuesOf({ missedCadence: { reviewAtMiss: 2 } }).map((i) => i.path)).toEqual(['missedCadence.reviewAtMiss']);
  });

  it('proposal aging out of order (A-17)', () => {
    expect(issuesOf({ proposals: { expireAtAgeDays: 31 } }).map((i) => i.path)).toEqual(['proposals.expireAtAgeDays']);
  });

  it('cadence matrix contradicting the annual-planning anchors (R-62)', () => {
    expect(issuesOf({ annualPlanning: { finalMeetingOffsetDays: -45 } }).map((i) => i.path)).toEqual([
      'cadence.A.annualPlanning.offsetDays',
      'cadence.B.annualPlanning.offsetDays',
      'cadence.C.annualPlanning.offsetDays',
    ]);
  });

  it('reports several issues at once and never throws on non-objects', () => {
    expect(
      issuesOf({ calendar: { slaClock: 'x', holidays: ['2025-13-01'] }, meeting: { recapHours: -2 } })
        .map((i) => i.path)
        .sort(),
    ).toEqual(['calendar.holidays.0', 'calendar.slaClock', 'meeting.recapHours']);
    expect(issuesOf(null)).toEqual([{ path: '', message: expect.any(String) }]);
    expect(issuesOf('policy')).toHaveLength(1);
  });
});

describe('diffPolicies', () => {
  it('identical documents have no diff', () => {
    expect(diffPolicies(defaultPolicy, clone(defaultPolicy))).toEqual([]);
  });

  it('reports a changed nested key at leaf level', () => {
    const after = clone(defaultPolicy);
    after.onboarding.roadmapWindowDays.to = 50;
    after.cadence.B.tactical.byTouchTier.Tech = 'quarterly';
    expect(diffPolicies(defaultPolicy, after)).toEqual([
      { path: 'cadence.B.tactical.byTouchTier.Tech', before: 'none', after: 'quarterly' },
      { path: 'onboarding.roadmapWindowDays.to', before: 45, after: 50 },
    ]);
  });

  it('treats arrays as leaves: an added holiday is one change', () => {
    const after = clone(defaultPolicy);
    after.calendar.holidays.push('2025-12-25');
    expect(diffPolicies(defaultPolicy, after)).toEqual([
      { path: 'calendar.holidays', before: [], after: ['2025-12-25'] },
    ]);
  });

  it('reports added and removed keys with undefined on the missing side, sorted by path', () => {
    expect(diffPolicies({ b: { x: 1 }, a: 1 }, { b: { y: 2 }, c: { d: [1] } })).toEqual([
      { path: 'a', before: 1, after: undefined },
      { path: 'b.x', before: 1, after: undefined },
      { path: 'b.y', before: undefined, after: 2 },
      { path: 'c.d', before: undefined, after: [1] },
    ]);
  });

  it('null ↔ object is a leaf change (raci.D.strategic)', () => {
    const after = clone(defaultPolicy);
    after.raci.D.strategic = clone(defaultPolicy).raci.C.strategic;
    expect(diffPolicies(defaultPolicy, after)).toEqual([
      { path: 'raci.D.strategic', before: null, after: defaultPolicy.raci.C.strategic },
    ]);
  });
});

describe('per-client overrides', () => {
  it('overrides onboarding.kickoffBusinessDays and keeps everything else', () => {
    const base = clone(defaultPolicy);
    const r = applyClientOverrides(base, { onboarding: { kickoffBusinessDays: 7 } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.policy.onboarding.kickoffBusinessDays).toBe(7);
    expect(diffPolicies(base, r.policy)).toEqual([{ path: 'onboarding.kickoffBusinessDays', before: 5, after: 7 }]);
    expect(base.onboarding.kickoffBusinessDays).toBe(5);
  });

  it('does not re-assert seed defaults over the MSP policy', () => {
    const msp = clone(defaultPolicy);
    msp.onboarding.accessCheckpointDay = 10;
    const r = applyClientOverrides(msp, { onboarding: { kickoffBusinessDays: 7 } });
    expect(r.ok && r.policy.onboarding.accessCheckpointDay).toBe(10);
  });

  it('works on the frozen defaultPolicy', () => {
    const r = applyClientOverrides(defaultPolicy, { calendar: { holidays: ['2025-12-25'], slaClock: 'business' } });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.policy.calendar).toMatchObject({ holidays: ['2025-12-25'], slaClock: 'business' });
  });

  it('an empty or missing override returns the policy unchanged', () => {
    for (const o of [{}, undefined]) {
      const r = applyClientOverrides(defaultPolicy, o);
      expect(r.ok && r.policy).toEqual(defaultPolicy);
    }
  });

  it.each(['segmentation', 'investment', 'capacity', 'kpis', 'playsAndGates'])(
    'rejects %s: an MSP-wide portfolio setting',
    (area) => {
      const r = applyClientOverrides(defaultPolicy, { [area]: {} });
      expect(r).toEqual({
        ok: false,
        issues: [{ path: area, message: `'${area}' is an MSP-wide setting and cannot be overridden per client` }],
      });
    },
  );

  it('rejects unknown keys at any depth', () => {
    expect(applyClientOverrides(defaultPolicy, { onboarding: { kickofBusinessDays: 7 } })).toEqual({
      ok: false,
      issues: [{ path: 'onboarding.kickofBusinessDays', message: 'Unknown key' }],
    });
    expect(applyClientOverrides(defaultPolicy, { colour: 'blue' })).toEqual({
      ok: false,
      issues: [{ path: 'colour', message: 'Unknown key' }],
    });
  });

  it('rejects a bad leaf at its own path', () => {
    const r = applyClientOverrides(defaultPolicy, { meeting: { recapHours: -1 } });
    expect(!r.ok && r.issues.map((i) => i.path)).toEqual(['meeting.recapHours']);
  });

  it('re-validates the merged document (cross-field rules)', () => {
    const r = applyClientOverrides(defaultPolicy, { onboarding: { roadmapWindowDays: { from: 50 } } });
    expect(r).toEqual({
      ok: false,
      issues: [{ path: 'onboarding.roadmapWindowDays.to', message: 'window must have from ≤ to' }],
    });
  });

  it('can override RACI per segment (R-122)', () => {
    const r = applyClientOverrides(defaultPolicy, { raci: { C: { cadenceBackup: 'AM', strategic: { backup: 'TAM' } } } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.policy.raci.C.cadenceBackup).toBe('AM');
    expect(r.policy.raci.C.strategic).toEqual({ ...defaultPolicy.raci.C.strategic, backup: 'TAM' });
    expect(applyClientOverrides(defaultPolicy, { raci: { C: { cadenceOwner: 'Intern' } } }).ok).toBe(false);
  });

  it('clientOverrideSchema is strict and partial', () => {
    expect(clientOverrideSchema.safeParse({ cadence: { C: { strategic: { perYear: 2 } } } }).success).toBe(true);
    expect(clientOverrideSchema.safeParse({ cadence: { E: {} } }).success).toBe(false);
    // Partial overrides stay partial: no defaults are filled in.
    expect(clientOverrideSchema.parse({ onboarding: { kickoffBusinessDays: 7 } })).toEqual({
      onboarding: { kickoffBusinessDays: 7 },
    });
  });
});

describe('policy shape revision (workflows skip re-parsing a setup of the current shape)', () => {
  /** The schema as JSON Schema without its prose: keys, types, bounds and defaults. */
  function shapeFingerprint(): string {
    const strip = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(strip) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'description').map(([k, x]) => [k, strip(x)])) : v;
    const doc = strip(z.toJSONSchema(policySchema(), { unrepresentable: 'any', io: 'input' }));
    return createHash('sha256').update(JSON.stringify(doc)).digest('hex').slice(0, 16);
  }

  it('is raised with every change to the schema', () => {
    // When this fails, the policy schema changed: raise POLICY_SHAPE_REVISION (domain/policy/revision.ts)
    // and record both values here. Otherwise a running cadence whose setup was prepared before the change
    // would skip the parse that fills the new keys' defaults.
    expect({ revision: POLICY_SHAPE_REVISION, fingerprint: shapeFingerprint() }).toEqual({ revision: 1, fingerprint: '5f7529b1f61b6c39' });
  });

  const setupOf = (policy: unknown, policyShapeRevision?: number) => ({ clientId: 'c1', policy: policy as Policy, ...(policyShapeRevision === undefined ? {} : { policyShapeRevision }) });

  it('a setup prepared under the current revision is used as it is, without parsing', () => {
    const setup = setupOf({ not: 'parsed' }, POLICY_SHAPE_REVISION);
    expect(withCurrentPolicy(setup)).toBe(setup);
  });

  it("a setup recorded before a key existed gets today's defaults for it, and the revision", () => {
    const old = clone(defaultPolicy) as Partial<Policy>;
    delete old.upsell;
    const current = withCurrentPolicy(setupOf(old));
    expect(current.policy.upsell).toEqual(defaultPolicy.upsell);
    expect(current.policyShapeRevision).toBe(POLICY_SHAPE_REVISION);
    expect(withCurrentPolicy(setupOf(clone(defaultPolicy), POLICY_SHAPE_REVISION - 1)).policyShapeRevision).toBe(POLICY_SHAPE_REVISION);
  });

  it('a setup whose policy no longer validates is kept as recorded', () => {
    const bad = setupOf({ ctas: { escalationWindowHours: -1 } });
    expect(withCurrentPolicy(bad)).toBe(bad);
  });
});
