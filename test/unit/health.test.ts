import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/business-time.js';
import { conditionsOf, initialHealthState, nextDue, react, redStreak, type ConditionFacts, type HealthEvaluation, type HealthState } from '../../domain/health-process.js';
import { deriveSignals, dmiOf, nextSnapshot, scoreHealth, snapshotInstantOf, type HealthFacts, type HealthSignals, type MeetingFact } from '../../domain/health.js';
import { defaultPolicy, parsePolicy, type Policy } from '../../domain/policy.js';

/**
 * Health scoring by hand (R-104..R-110). The seed's worked examples carry arithmetic slips:
 * Engagement "77.25" is 0.3·90 + 0.3·70 + 0.25·65 + 0.15·80 = 27 + 21 + 16.25 + 12 = 76.25;
 * Quality "82.1" is 0.3·88 + 0.25·72 + 0.25·80 + 0.2·90 = 26.4 + 18 + 20 + 18 = 82.4;
 * Alignment "80" is 0.4·90 + 0.3·70 + 0.3·80 = 36 + 21 + 24 = 81.
 */
const chicago = makeCalendar({ timeZone: 'America/Chicago', holidays: ['2026-12-31'], workdays: [1, 2, 3, 4, 5], dayStart: '09:00', dayEnd: '17:00' });
const AS_OF = '2026-06-30T22:00:00.000Z'; // Tue 30 Jun 2026 17:00 CDT
const withPolicy = (patch: Record<string, unknown>): Policy => {
  const r = parsePolicy({ ...JSON.parse(JSON.stringify(defaultPolicy)), ...patch });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.policy;
};

/** Signals with every dimension fed: the seed's B account. */
function seedSignals(over: Partial<HealthSignals> = {}): HealthSignals {
  return {
    segment: 'B', asOf: AS_OF,
    cx: { pulseAverage: 4.2, respondents: 3, invited: 5, responseRatePct: 60, sponsorDays: 130, complaints: 1, complaintTags: ['Cadence'], pulseMonthAverage: 4.2, lastNegativeAt: '2026-06-20T15:00:00.000Z' },
    adoption: {
      dmi: dmiOf([{ key: 'mfa', weight: 5, coveragePct: 90 }, { key: 'endpoint', weight: 4, coveragePct: 80 }, { key: 'backup', weight: 4, coveragePct: 100 }, { key: 'conditionalAccess', weight: 3, coveragePct: 50 }, { key: 'emailSecurity', weight: 3, coveragePct: 70 }, { key: 'collaboration', weight: 2, coveragePct: 60 }, { key: 'encryption', weight: 2, coveragePct: 40 }]),
      insights: [], measuredAt: '2026-06-01T15:00:00.000Z', previousDmi: [],
    },
    engagement: {
      cadenceAdherencePct: 90, held: 9, missed: 1, stakeholderMixPct: 70, decisionMedianDays: 46.15, decisionSamples: 3, decisionVelocityPct: 65,
      followUpClosurePct: 80, recapOnTimePct: 90, qbrDecisionPct: 80, lastQbrsWithoutDecision: false, decisionMakerAbsentStreak: 0,
    },
    serviceQuality: {
      slaPct: 88, milestonesOnTimePct: 72, reopenPct: 20, repeatPct: 4, recurrencePct: 80, recapFollowThroughPct: 90, backupSuccessPct: 99, lateMilestones: [],
      backlogAgingDays: 5, openPostMortemActions: 0, measuredAt: '2026-06-25T15:00:00.000Z', previousSlaPct: 90,
    },
    alignment: { observedAt: '2026-06-15T15:00:00.000Z', method: 'rubric', presence: 90, perception: 70, performance: 80 },
    ...over,
  };
}

describe('the five dimensions, by hand (R-104..R-108, A-15)', () => {
  const s = scoreHealth(seedSignals(), defaultPolicy);

  it('Engagement = 0.30 cadence + 0.30 mix + 0.25 velocity + 0.15 follow-up = 76.25 (the seed prints 77.25, A-15); colour by rule, not by score (A-3)', () => {
    expect(s.dimensions.engagement.score).toBe(76.25);
    expect(s.dimensions.engagement.weights).toEqual({ cadenceAdherence: 30, stakeholderMix: 30, decisionVelocity: 25, followUpClosure: 15 });
    // Sponsor not seen for 130 d > 120 → Red whatever the score.
    expect(s.dimensions.engagement.colour).toBe('Red');
    expect(s.dimensions.engagement.reasons).toEqual(['Red: sponsor not seen for 130 d > 120 d']);
  });

  it('Service Quality = 0.30 SLA + 0.25 milestones + 0.25 recurrence + 0.20 recap follow-through = 82.4 (the seed prints 82.1), Green for B (≥ 80)', () => {
    expect(s.dimensions.serviceQuality.score).toBe(82.4);
    expect(s.dimensions.serviceQuality.colour).toBe('Green');
    expect(s.dimensions.serviceQuality.band).toEqual({ greenMin: 80, yellowMin: 70 });
  });

  it('Alignment = 0.4 presence + 0.3 perception + 0.3 performance = 81 (the seed prints 80), Green for B', () => {
    expect(s.dimensions.alignment.score).toBe(81);
    expect(s.dimensions.alignment.colour).toBe('Green');
  });

  it('CX = 20 × pulse − 10 (sponsor > 120 d) − 10 per complaint: 84 − 10 − 10 = 64; colour rolls up pulse Yellow, sponsor Red, 1 complaint Yellow → Red (R-104)', () => {
    expect(s.dimensions.cx.score).toBe(64);
    expect(s.dimensions.cx.colour).toBe('Red');
    expect(s.dimensions.cx.reasons).toEqual([
      'pulse 4.2 → Yellow (G ≥ 4.5, Y ≥ 4)', 'sponsor seen 130 d ago → Red (healthy ≤ 120 d)', '1 complaint(s) in 30 d → Yellow (G ≤ 0, Y ≤ 1)',
    ]);
    // Floor at 0: pulse 1.0 with five complaints.
    const low = scoreHealth(seedSignals({ cx: { ...seedSignals().cx, pulseAverage: 1, complaints: 5 } }), defaultPolicy);
    expect(low.dimensions.cx.score).toBe(0);
  });

  it('DMI = Σ(weight × coverage) ÷ Σ weights: the seed\'s seven insights 1730 ÷ 23 = 75.22 — Yellow for B (80/65), Green for C (70/55) (R-105)', () => {
    expect(s.dimensions.adoption.score).toBe(75.22);
    expect(s.dimensions.adoption.colour).toBe('Yellow');
    expect(scoreHealth(seedSignals({ segment: 'C' }), defaultPolicy).dimensions.adoption.colour).toBe('Green');
  });

  it('composite 20 % each: (64 + 75.22 + 76.25 + 82.4 + 81) ÷ 5 = 75.77 → Green (≥ 75); per-segment weights apply (R-109)', () => {
    expect(s.composite.score).toBe(75.77);
    expect(s.composite.colour).toBe('Green');
    const aWeights = withPolicy({ health: { ...defaultPolicy.health, weightsPct: { ...defaultPolicy.health.weightsPct, B: { cx: 25, adoption: 15, engagement: 20, serviceQuality: 15, alignment: 25 } } } });
    // 0.25·64 + 0.15·75.22 + 0.2·76.25 + 0.15·82.4 + 0.25·81 = 16 + 11.283 + 15.25 + 12.36 + 20.25 = 75.143
    expect(scoreHealth(seedSignals(), aWeights).composite.score).toBe(75.14);
  });

  it('derives maturity 0.4 A + 0.3 Q + 0.2 E + 0.1 Al = 78.16 → 4 and appetite 0.4 CX + 0.3 E + 0.2 A + 0.1 Al = 71.62 → 4, so segment A (R-109, R-1)', () => {
    expect(s.derived).toEqual({ maturity: 78.16, appetite: 71.62, maturityScore: 4, appetiteScore: 4, segment: 'A' });
  });

  it('the alignment checklist option: four 25-point checks, G ≥ 85 / Y ≥ 65 (R-108)', () => {
    const r = scoreHealth(seedSignals({ alignment: { observedAt: AS_OF, method: 'checklist', checks: { cadenceVsPlan: true, deliverablesWithRecap: true, sponsorForAB: false, effortMix: true } } }), defaultPolicy);
    expect(r.dimensions.alignment).toMatchObject({ score: 75, colour: 'Yellow' });
  });

  it('a dimension without data has no score; the composite re-weights over the ones that have one', () => {
    const r = scoreHealth(seedSignals({ alignment: null, adoption: { dmi: null, insights: [], measuredAt: null, previousDmi: [] } }), defaultPolicy);
    expect(r.dimensions.alignment).toMatchObject({ score: null, colour: null });
    // (64 + 76.25 + 82.4) ÷ 3 = 74.22 → Yellow
    expect(r.composite).toMatchObject({ score: 74.22, colour: 'Yellow', weights: { cx: 33.33, engagement: 33.33, serviceQuality: 33.33 } });
    expect(r.derived).toBeNull();
  });
});

describe('Engagement colour by rule (R-106)', () => {
  const engagement = (e: Partial<HealthSignals['engagement']>, cx: Partial<HealthSignals['cx']> = {}) =>
    scoreHealth(seedSignals({ engagement: { ...seedSignals().engagement, ...e }, cx: { ...seedSignals().cx, sponsorDays: 40, complaintTags: [], ...cx } }), defaultPolicy).dimensions.engagement;
  it('Green only when cadence ≥ 90, sponsor ≤ 120 d, recaps ≥ 95 and ≥ 70 % with a decision', () => {
    expect(engagement({ recapOnTimePct: 95 }).colour).toBe('Green');
    expect(engagement({ recapOnTimePct: 94 }).colour).toBe('Yellow');
  });
  it('Red on any one red line: cadence < 80, recaps < 80, no decision in the last 2, a Relevance/Follow-through complaint', () => {
    expect(engagement({ cadenceAdherencePct: 79.99 }).reasons).toEqual(['Red: cadence 79.99 % < 80 %']);
    expect(engagement({ recapOnTimePct: 75 }).colour).toBe('Red');
    expect(engagement({ lastQbrsWithoutDecision: true }).reasons).toEqual(['Red: no decision in the last 2 strategic meetings']);
    expect(engagement({}, { complaintTags: ['Follow-through'] }).reasons).toEqual(['Red: complaint tagged Follow-through']);
  });
});

describe('signals from facts (windows, medians, the sponsor heartbeat)', () => {
  const held = (startsAt: string, o: Partial<MeetingFact> = {}): MeetingFact => ({
    startsAt, state: 'held', strategic: true, heldAt: startsAt, decisionCount: 1, sponsorPresent: true, decisionMakerPresent: true, recapDueAt: startsAt.replace('T15', 'T23'), recapSentAt: startsAt.replace('T15', 'T18'), ...o,
  });
  const facts: HealthFacts = {
    asOf: AS_OF, segment: 'B', clientSince: '2025-01-05T15:00:00.000Z',
    pulses: [
      { observedAt: '2026-06-10T15:00:00.000Z', invited: 4, respondents: 2, scores: [5, 4, 3, 4] },
      { observedAt: '2026-02-10T15:00:00.000Z', invited: 4, respondents: 4, scores: [1, 1, 1, 1, 1, 1, 1, 1] }, // outside the 90-day window
    ],
    complaints: [{ observedAt: '2026-06-20T15:00:00.000Z', tag: 'Relevance' }, { observedAt: '2026-05-01T15:00:00.000Z', tag: 'Quality' }],
    dmi: [{ observedAt: '2026-03-01T15:00:00.000Z', insights: [{ key: 'mfa', weight: 5, coveragePct: 80 }] }, { observedAt: '2026-06-01T15:00:00.000Z', insights: [{ key: 'mfa', weight: 5, coveragePct: 60 }, { key: 'backup', weight: 5, coveragePct: 80 }] }],
    serviceMetrics: [{ observedAt: '2026-06-25T15:00:00.000Z', slaResponsePct: 90, slaResolutionPct: 86, milestonesOnTimePct: 72, reopenPct: 6, repeatPct: 20 }],
    alignment: [],
    meetings: [
      held('2026-04-14T15:00:00.000Z'), held('2026-05-12T15:00:00.000Z', { decisionMakerPresent: false, decisionCount: 0 }), held('2026-06-09T15:00:00.000Z', { decisionMakerPresent: false, decisionCount: 0, recapSentAt: null }),
      { startsAt: '2026-05-26T15:00:00.000Z', state: 'missed', strategic: true, heldAt: null, decisionCount: null, sponsorPresent: null, recapDueAt: null, recapSentAt: null },
      held('2026-01-13T15:00:00.000Z'), // outside the window (but counts as history for "last 2")
    ],
    lastSponsorSeenAt: '2026-04-14T15:00:00.000Z',
    decisionLatencyDays: [20, 40, 60],
    decisionCtas: [{ firstActionDueAt: '2026-06-12T15:00:00.000Z', firstActionAt: '2026-06-11T15:00:00.000Z' }],
  };
  const s = deriveSignals(facts, defaultPolicy);
  it('CX: the pulse over 90 days (16 ÷ 4 = 4), complaints over 30 days (1, Relevance), response rate 2 of 4, sponsor seen 77 days ago', () => {
    expect(s.cx).toMatchObject({ pulseAverage: 4, respondents: 2, invited: 4, responseRatePct: 50, complaints: 1, complaintTags: ['Relevance'], sponsorDays: 77, pulseMonthAverage: 4, lastNegativeAt: '2026-06-20T15:00:00.000Z' });
  });
  it('Engagement: cadence 3 held of 4 = 75 %, decision-maker in 1 of 3, median latency 40 d vs B\'s 30 d target → 75 %, follow-up 3 of 4 (2 recaps on time of 3 due, 1 CTA on time)', () => {
    expect(s.engagement).toMatchObject({
      cadenceAdherencePct: 75, held: 3, missed: 1, stakeholderMixPct: 33.33, decisionMedianDays: 40, decisionVelocityPct: 75, recapOnTimePct: 66.67, followUpClosurePct: 75, qbrDecisionPct: 33.33,
      lastQbrsWithoutDecision: true, decisionMakerAbsentStreak: 2,
    });
  });
  it('DMI: the latest measurement (60·5 + 80·5) ÷ 10 = 70, the previous 80 kept for R-115; Quality: SLA (90 + 86) ÷ 2 = 88, recurrence 100 − max(6, 20) = 80', () => {
    expect(s.adoption).toMatchObject({ dmi: 70, previousDmi: [80] });
    expect(s.serviceQuality).toMatchObject({ slaPct: 88, recurrencePct: 80, recapFollowThroughPct: 66.67 });
  });
  it('without a sponsor ever seen, the heartbeat counts from registration', () => {
    expect(deriveSignals({ ...facts, lastSponsorSeenAt: null }, defaultPolicy).cx.sponsorDays).toBe(541);
  });
});

describe('the monthly snapshot instant (§2.18: last business day, 17:00 in the client\'s zone)', () => {
  it('May 2026 ends on a Sunday: Friday 29 May 17:00 CDT', () => {
    expect(snapshotInstantOf('2026-05', chicago, '17:00')).toBe('2026-05-29T17:00:00.000-05:00');
  });
  it('a holiday on the last weekday moves it back: 31 Dec 2026 is a holiday → Wednesday 30 Dec 17:00 CST', () => {
    expect(snapshotInstantOf('2026-12', chicago, '17:00')).toBe('2026-12-30T17:00:00.000-06:00');
  });
  it('the next one after an instant: after the June snapshot comes July\'s (Fri 31 Jul)', () => {
    expect(nextSnapshot('2026-06-10T12:00:00.000Z', chicago, '17:00')).toEqual({ month: '2026-06', at: '2026-06-30T17:00:00.000-05:00' });
    expect(nextSnapshot('2026-06-30T22:00:00.000Z', chicago, '17:00')).toEqual({ month: '2026-07', at: '2026-07-31T17:00:00.000-05:00' });
  });
});

// ---------------------------------------------------------------------------------------------
// Conditions and the process's reaction

const factsOf = (over: Partial<ConditionFacts> = {}): ConditionFacts => ({
  segment: 'B', segmentSource: 'computed', roadmapLastMovementAt: null, relevanceTimingDeclines: [], stakeholdersLeft: [], sponsorAnchor: '2026-02-06T15:00:00.000Z', slaHistory: [90, 88], ...over,
});

function evaluation(s: HealthSignals, at: string, over: Partial<HealthEvaluation> = {}, cf: Partial<ConditionFacts> = {}, policy = defaultPolicy): HealthEvaluation {
  const scores = scoreHealth({ ...s, asOf: at }, policy);
  const { conditions, wakeAt } = conditionsOf(scores, s, factsOf(cf), policy, chicago, at);
  return {
    occasion: 'signal', at, policyVersion: 1, scores, conditions, openPlayCtas: [],
    gate: { consecutiveRedMonths: 2, pauseThresholdUsd: 10000, aQuarter: null, roadmapResetAt: null, qualityReview: { ownerRole: 'vCIO', dueAt: at } },
    segment: { current: 'B', source: 'computed', autoResegment: false }, nextSnapshot: nextSnapshot(at, chicago, '17:00'), wakeAt, ...over,
  };
}
const ctas = (fx: ReturnType<typeof react>) => fx.filter((e) => e.kind === 'cta') as Extract<ReturnType<typeof react>[number], { kind: 'cta' }>[];
const events = (fx: ReturnType<typeof react>, type: string) => fx.filter((e) => e.kind === 'event' && e.type === type) as Extract<ReturnType<typeof react>[number], { kind: 'event' }>[];
const openCtas = (st: HealthState) => Object.values(st.plays).map((p) => p.ctaKey);

describe('plays: each with its owner and deadline from policy (R-111..R-119, R-104, R-110)', () => {
  const at = '2026-06-16T15:00:00.000Z'; // Tue 16 Jun 10:00 CDT
  const { conditions } = conditionsOf(scoreHealth(seedSignals({ asOf: at }), defaultPolicy), seedSignals(), factsOf(), defaultPolicy, chicago, at);
  const play = (key: string) => conditions.find((c) => c.key === key) as Extract<(typeof conditions)[number], { kind: 'play' }>;

  it('R-111 CX Red: a B client\'s goes to the vCIO for review, due in 7 d', () => {
    expect(play('cxRed')).toMatchObject({ ownerRole: 'vCIO', dueAt: '2026-06-23T10:00:00.000-05:00', ruleId: 'R-111' });
  });
  it('R-112 negative feedback: "we own the miss" call due in 48h and the 14-day check-in', () => {
    expect(play('negativePulse')).toMatchObject({ ownerRole: 'CSM', dueAt: '2026-06-18T10:00:00.000-05:00', checkIn: { dueAt: '2026-06-30T10:00:00.000-05:00' } });
  });
  it('R-113 Engagement Red by cause: sponsor > 120 d → AM exec intro in 10 d', () => {
    expect(play('engagementRed/sponsor')).toMatchObject({ ownerRole: 'AM', dueAt: '2026-06-26T10:00:00.000-05:00' });
  });
  it('R-104 sponsor reminders at 90 and 120 days after the sponsor was last seen', () => {
    expect(conditions.filter((c) => c.key.startsWith('sponsorReminder/')).map((c) => c.key)).toEqual(['sponsorReminder/90', 'sponsorReminder/120']);
    const fresh = conditionsOf(scoreHealth(seedSignals({ asOf: at }), defaultPolicy), seedSignals({ cx: { ...seedSignals().cx, sponsorDays: 10 } }), factsOf({ sponsorAnchor: '2026-06-06T15:00:00.000Z' }), defaultPolicy, chicago, at);
    expect(fresh.conditions.some((c) => c.key.startsWith('sponsorReminder/'))).toBe(false);
    // …the workflow wakes when each comes due (90 d, 120 d) and when the heartbeat turns Red (day 121).
    expect(fresh.wakeAt).toEqual(['2026-09-04T15:00:00.000Z', '2026-10-04T15:00:00.000Z', '2026-10-05T15:00:00.000Z']);
  });
  it('R-114..R-119 from service metrics, DMI and alignment, each with its due', () => {
    const s = seedSignals({
      serviceQuality: { ...seedSignals().serviceQuality, slaPct: 90, backupSuccessPct: 94, reopenPct: 9, lateMilestones: [{ milestone: 'Firewall cutover', daysLate: 15 }, { milestone: 'Printer swap', daysLate: 14 }] },
      adoption: { ...seedSignals().adoption, dmi: 60, previousDmi: [71] },
      alignment: { observedAt: at, method: 'rubric', presence: 60, perception: 65, performance: 90, roadmapNotRelevant: true, lateRoadmapCount: 2 },
    });
    const c = conditionsOf(scoreHealth(s, defaultPolicy), s, factsOf(), defaultPolicy, chicago, at).conditions;
    const due = (k: string) => (c.find((x) => x.key === k) as { ownerRole: string; dueAt: string } | undefined);
    expect(due('backupLow')).toMatchObject({ ownerRole: 'TAM', dueAt: '2026-06-19T10:00:00.000-05:00' }); // 3 d
    expect(due('dmiDrop')).toMatchObject({ ownerRole: 'vCIO', dueAt: '2026-06-23T10:00:00.000-05:00' }); // drop 11 ≥ 10, 7 d
    expect(due('slaRed')).toMatchObject({ ownerRole: 'TAM', dueAt: '2026-06-21T10:00:00.000-05:00' }); // 90 < B's 95, 5 d
    expect(due('milestoneLate/Firewall cutover')).toMatchObject({ ownerRole: 'vCIO', dueAt: '2026-06-19T10:00:00.000-05:00' }); // > 14 d, 72h
    expect(due('milestoneLate/Printer swap')).toBeUndefined(); // exactly 14 is not "more than 14"
    expect(due('reopen')).toMatchObject({ ownerRole: 'TAM', dueAt: '2026-06-23T10:00:00.000-05:00' }); // 9 > 8 %, 7 d
    expect(due('alignment/perception')).toMatchObject({ ownerRole: 'CSM', dueAt: '2026-06-24T00:00:00.000-05:00' }); // 5 bd → end of Tue 23 Jun
    expect(due('alignment/presence')).toMatchObject({ ownerRole: 'TAM', dueAt: '2026-06-26T10:00:00.000-05:00' }); // 10 d
    expect(due('alignment/lateRoadmap')).toMatchObject({ ownerRole: 'vCIO', dueAt: '2026-06-19T10:00:00.000-05:00' }); // 72h
    expect(due('alignment/notRelevant')).toMatchObject({ ownerRole: 'vCIO', dueAt: '2026-06-23T10:00:00.000-05:00' }); // 7 d
    // R-93 from the same facts: SLA below green two cycles (90, 88 < 95); CSAT 4.2 ≥ 4.0 and repeats 4 % ≤ 8 % are not triggers.
    expect(c.filter((x) => x.kind === 'risk').map((x) => x.key)).toEqual(['risk/slaTrend']);
  });
  it('R-110: derived segment A ≠ B → segment review for the CSM in 7 d, with the derived placement', () => {
    expect(play('segmentDrift')).toMatchObject({ ownerRole: 'CSM', dueAt: '2026-06-23T10:00:00.000-05:00', quadrant: { from: 'B', to: 'A', maturityScore: 4, appetiteScore: 4 } });
  });
});

describe('the reaction: every change explained, plays once per condition (hysteresis), gates at the snapshot', () => {
  it('a score change carries its inputs, weights, band crossed and previous value', () => {
    const st = initialHealthState('c-1');
    react(st, evaluation(seedSignals({ cx: { ...seedSignals().cx, sponsorDays: 40, complaints: 0, complaintTags: [], lastNegativeAt: null } }), '2026-06-16T15:00:00.000Z'));
    const fx = react(st, evaluation(seedSignals(), '2026-06-17T15:00:00.000Z'));
    const cx = events(fx, 'health.score_changed').find((e) => e.data.dimension === 'cx')!;
    expect(cx.data).toEqual({ dimension: 'cx', score: 64, colour: 'Red', previousScore: 84, previousColour: 'Yellow', occasion: 'signal' });
    expect(cx.why).toMatchObject({ crossed: 'Yellow → Red', previous: { score: 84, colour: 'Yellow' }, inputs: { pulseAverage: 4.2, sponsorDays: 130, complaints: 1 } });
  });

  it('a flapping condition never opens its play twice while the CTA is open; a new occurrence appends evidence; a closed CTA re-arms it', () => {
    const st = initialHealthState('c-1');
    const red = seedSignals();
    const green = seedSignals({ cx: { ...red.cx, pulseAverage: 4.8, sponsorDays: 10, complaints: 0, complaintTags: [], lastNegativeAt: null } });
    const first = react(st, evaluation(red, '2026-06-16T15:00:00.000Z'));
    expect(ctas(first).filter((c) => c.key.startsWith('play/cxRed/')).map((c) => c.key)).toEqual(['play/cxRed/1']);
    react(st, evaluation(green, '2026-06-17T15:00:00.000Z', { openPlayCtas: openCtas(st) }));
    const again = react(st, evaluation(red, '2026-06-18T15:00:00.000Z', { openPlayCtas: openCtas(st) }));
    expect(ctas(again).filter((c) => c.key.startsWith('play/cxRed/'))).toEqual([]);
    expect(events(again, 'play.evidence_added').find((e) => e.data.play === 'cxRed')!.data).toEqual({ play: 'cxRed', ctaKey: 'play/cxRed/1', evidence: 2 });
    // Still Red at the next evaluation: nothing new.
    expect(events(react(st, evaluation(red, '2026-06-19T15:00:00.000Z', { openPlayCtas: openCtas(st) })), 'play.evidence_added').filter((e) => e.data.play === 'cxRed')).toEqual([]);
    // The CTA was done; the condition clears and returns → a fresh play.
    react(st, evaluation(green, '2026-06-20T15:00:00.000Z', { openPlayCtas: openCtas(st).filter((k) => !k.startsWith('play/cxRed/')) }));
    const refire = react(st, evaluation(red, '2026-06-21T15:00:00.000Z', { openPlayCtas: openCtas(st) }));
    expect(ctas(refire).filter((c) => c.key.startsWith('play/cxRed/')).map((c) => c.key)).toEqual(['play/cxRed/2']);
  });

  it('a second complaint while the "we own the miss" play is open is evidence (R-124), not a second call', () => {
    const st = initialHealthState('c-1');
    react(st, evaluation(seedSignals(), '2026-06-16T15:00:00.000Z'));
    const fx = react(st, evaluation(seedSignals({ cx: { ...seedSignals().cx, complaints: 2, lastNegativeAt: '2026-06-21T15:00:00.000Z' } }), '2026-06-21T15:00:00.000Z', { openPlayCtas: openCtas(st) }));
    expect(ctas(fx).filter((c) => c.key.startsWith('play/negativePulse'))).toEqual([]);
    expect(events(fx, 'play.evidence_added').map((e) => e.data.play)).toContain('negativePulse');
  });

  it('R-93 triggers go to At Risk as riskSignal effects, once per rising edge', () => {
    const st = initialHealthState('c-1');
    const fx = react(st, evaluation(seedSignals({ cx: { ...seedSignals().cx, pulseMonthAverage: 3.5, complaints: 2 } }), '2026-06-16T15:00:00.000Z'));
    expect(fx.filter((e) => e.kind === 'riskSignal').map((e) => e.kind === 'riskSignal' && [e.trigger, e.bucket])).toEqual([
      ['csatBelowForTheMonth', 'Strategic'], ['detractorTickets', 'Service'], ['slaBreachTrend', 'Service'],
    ]);
    expect(react(st, evaluation(seedSignals({ cx: { ...seedSignals().cx, pulseMonthAverage: 3.5, complaints: 2 } }), '2026-06-17T15:00:00.000Z')).filter((e) => e.kind === 'riskSignal')).toEqual([]);
  });

  it('two consecutive Red months of Engagement close the credit gate (R-32, R-120); the first snapshot that lifts it releases the deferred credit', () => {
    const st = initialHealthState('c-1');
    const red = seedSignals();
    const snap = (s: HealthSignals, at: string, month: string) => react(st, evaluation(s, at, { occasion: 'snapshot', month, openPlayCtas: openCtas(st) }));
    expect(events(snap(red, '2026-05-29T22:00:00.000Z', '2026-05'), 'gate.closed')).toEqual([]);
    const june = snap(red, '2026-06-30T22:00:00.000Z', '2026-06');
    const closed = events(june, 'gate.closed').find((e) => e.data.gate === 'credit')!;
    expect(closed.data.conditions).toEqual({ cxNotRedTwoMonths: false, engagementNotRedTwoMonths: false, alignmentNotRedTwoMonths: true });
    expect(closed.why.reasons).toEqual(['CX Red 2 consecutive months (R-32, R-120)', 'Engagement Red 2 consecutive months (R-32, R-120)']);
    expect(st.credit).toMatchObject({ closed: true, since: '2026-06-30T22:00:00.000Z' });
    const healthy = seedSignals({ cx: { ...red.cx, pulseAverage: 4.8, sponsorDays: 10, complaints: 0, complaintTags: [], lastNegativeAt: null }, engagement: { ...red.engagement, recapOnTimePct: 96 } });
    const july = snap(healthy, '2026-07-31T22:00:00.000Z', '2026-07');
    expect(events(july, 'gate.opened').map((e) => e.data.gate)).toEqual(['credit']);
    expect(july.filter((e) => e.kind === 'creditRelease')).toEqual([{ kind: 'creditRelease', month: '2026-07', reason: 'the 2026-07 snapshot lifted the credit gate (R-32)' }]);
  });

  it('Red months must be consecutive calendar months; a month without a snapshot breaks the streak', () => {
    const months = [{ month: '2026-04', colours: { engagement: 'Red' } }, { month: '2026-06', colours: { engagement: 'Red' } }] as HealthState['months'];
    expect(redStreak(months, 'engagement', '2026-06')).toBe(1);
    expect(redStreak([{ month: '2025-12', colours: { engagement: 'Red' } }, { month: '2026-01', colours: { engagement: 'Red' } }] as HealthState['months'], 'engagement', '2026-01')).toBe(2);
  });

  it('R-120: Quality Red two months pauses initiatives above $10,000 and asks the vCIO for a roadmap review; Alignment\'s pause lasts until a Roadmap Reset', () => {
    const st = initialHealthState('c-1');
    const s = seedSignals({ serviceQuality: { ...seedSignals().serviceQuality, slaPct: 40, milestonesOnTimePct: 40 }, alignment: { observedAt: AS_OF, method: 'rubric', presence: 40, perception: 40, performance: 40 } });
    react(st, evaluation(s, '2026-05-29T22:00:00.000Z', { occasion: 'snapshot', month: '2026-05' }));
    const june = react(st, evaluation(s, '2026-06-30T22:00:00.000Z', { occasion: 'snapshot', month: '2026-06', openPlayCtas: openCtas(st) }));
    expect(events(june, 'gate.closed').find((e) => e.data.gate === 'initiativePause')!.why.reasons).toEqual([
      'Service Quality Red 2 consecutive months: initiatives above $10000 paused unless a risk plan is agreed in the QBR (R-120)',
      'Service Level Alignment Red 2+ consecutive months: initiatives above $10000 paused until a Roadmap Reset is recorded (R-120)',
    ]);
    expect(ctas(june).find((c) => c.key === 'play/qualityRed2/1')).toMatchObject({ ownerRole: 'vCIO', ruleId: 'R-120' });
    // Quality recovers; Alignment's pause stays until the reset …
    const better = seedSignals({ alignment: s.alignment });
    const july = react(st, evaluation(better, '2026-07-31T22:00:00.000Z', { occasion: 'snapshot', month: '2026-07', openPlayCtas: openCtas(st) }));
    expect(st.pause.reasons).toEqual(['Service Level Alignment Red 2+ consecutive months: initiatives above $10000 paused until a Roadmap Reset is recorded (R-120)']);
    expect(events(july, 'gate.opened')).toEqual([]);
    // … recorded in August: the pause lifts although Alignment is still Red.
    const aug = react(st, evaluation(better, '2026-08-31T22:00:00.000Z', { occasion: 'snapshot', month: '2026-08', openPlayCtas: openCtas(st), gate: { ...evaluation(better, AS_OF).gate, roadmapResetAt: '2026-08-10T15:00:00.000Z' } }));
    expect(events(aug, 'gate.opened').map((e) => e.data.gate)).toEqual(['initiativePause']);
  });

  it('R-110: the quadrant-shift alert, and with autoResegment a move of a computed placement (never of an override, R-7)', () => {
    const st = initialHealthState('c-1');
    const fx = react(st, evaluation(seedSignals(), '2026-06-16T15:00:00.000Z', { segment: { current: 'B', source: 'computed', autoResegment: true } }));
    expect(events(fx, 'health.quadrant_shift')[0]!.data).toEqual({ from: 'B', to: 'A', maturityScore: 4, appetiteScore: 4 });
    expect(fx.filter((e) => e.kind === 'resegment')).toEqual([{ kind: 'resegment', maturity: 4, appetite: 4, reason: 'health places the client in A (R-110, autoResegment)' }]);
    const over = react(initialHealthState('c-2'), evaluation(seedSignals(), '2026-06-16T15:00:00.000Z', { segment: { current: 'B', source: 'override', autoResegment: true } }));
    expect(over.filter((e) => e.kind === 'resegment')).toEqual([]);
  });

  it('plans the next instant: the monthly snapshot or an earlier time threshold', () => {
    const st = initialHealthState('c-1');
    react(st, evaluation(seedSignals({ cx: { ...seedSignals().cx, sponsorDays: 10 } }), '2026-06-16T15:00:00.000Z', {}, { sponsorAnchor: '2026-06-06T15:00:00.000Z' }));
    expect(nextDue(st)).toEqual({ key: 'snapshot|2026-06', at: '2026-06-30T17:00:00.000-05:00' });
  });
});
