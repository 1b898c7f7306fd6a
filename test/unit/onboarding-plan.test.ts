import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  ONBOARDING_RULE_IDS,
  accessGateMet,
  accessPercent,
  firstActionDueAt,
  onboardingAccountable,
  planOnboarding,
  recapDueAt,
  type OnboardingPlanInput,
  type PlannedDeadline,
} from '../../domain/onboarding-plan.js';
import { defaultPolicy } from '../../domain/policy.js';
import { makeCalendar } from '../../domain/business-time.js';
import { policyWith } from '../support/policy.js';

// Weekdays checked with Luxon: 2026-03-02 Mon, 03-06 Fri, 03-08 Sun (US DST), 03-17 Tue,
// 03-24 Tue, 03-29 Sun (EU DST), 05-01 Fri, 05-15 Fri, 05-16 Sat, 05-22 Fri, 05-23 Sat,
// 05-31 Sun, 06-15 Mon, 06-22 Mon, 09-04 Fri, 09-07 Mon (Labor Day), 11-23 Mon.


const chicago = makeCalendar({ timeZone: 'America/Chicago' });
const berlin = makeCalendar({ timeZone: 'Europe/Berlin', holidays: ['2026-04-03', '2026-04-06'] });

const byKey = (plan: PlannedDeadline[]) => Object.fromEntries(plan.map((d) => [d.key, d]));
const dues = (plan: PlannedDeadline[]) => Object.fromEntries(plan.map((d) => [d.key, d.dueAt]));
const owners = (plan: PlannedDeadline[]) => Object.fromEntries(plan.map((d) => [d.key, d.owner.role]));

const ALL_KEYS = [
  'access.checkpoint',
  'cadenceLock.window.closes',
  'cadenceLock.window.opens',
  'closeout.held',
  'day60Review.held',
  'discovery.checkpoint',
  'documentation.checkpoint',
  'handoff.complete',
  'healthBaseline.window.closes',
  'healthBaseline.window.opens',
  'kickoff.held',
  'proposals.window.closes',
  'proposals.window.opens',
  'quickWins.checkpoint',
  'roadmap.window.closes',
  'roadmap.window.opens',
];

describe('planOnboarding: B client signed Mon 2026-03-02 14:00 America/Chicago', () => {
  const input: OnboardingPlanInput = { signedAt: '2026-03-02T14:00:00-06:00', segment: 'B' };
  const plan = planOnboarding(input, defaultPolicy, chicago);

  it('lists every deadline in order with its rule, clock and owner', () => {
    expect(plan.map((d) => [d.key, d.dueAt, d.ruleId, d.clock, d.owner.role])).toEqual([
      ['handoff.complete', '2026-03-03T00:00:00.000-06:00', 'R-46', 'checkpoint', 'AM'],
      // Day 0 + 5 bd = Mon 03-09, end of day; CDT since the 03-08 switch.
      ['kickoff.held', '2026-03-10T00:00:00.000-05:00', 'R-47', 'businessDays', 'vCIO'],
      // Day 14 = Mon 03-16; 24:00 at its end.
      ['access.checkpoint', '2026-03-17T00:00:00.000-05:00', 'R-49', 'checkpoint', 'TAM'],
      ['documentation.checkpoint', '2026-03-24T00:00:00.000-05:00', 'R-49', 'checkpoint', 'TAM'],
      ['discovery.checkpoint', '2026-03-31T00:00:00.000-05:00', 'R-51', 'checkpoint', 'vCIO'],
      // Windows open at the start of Day 30 (Wed 04-01) = end of Day 29.
      ['proposals.window.opens', '2026-04-01T00:00:00.000-05:00', 'R-54', 'checkpoint', 'AM'],
      ['roadmap.window.opens', '2026-04-01T00:00:00.000-05:00', 'R-53', 'checkpoint', 'vCIO'],
      ['quickWins.checkpoint', '2026-04-02T00:00:00.000-05:00', 'R-52', 'checkpoint', 'TAM'],
      ['cadenceLock.window.opens', '2026-04-16T00:00:00.000-05:00', 'R-55', 'checkpoint', 'CSM'],
      ['healthBaseline.window.opens', '2026-04-16T00:00:00.000-05:00', 'R-55', 'checkpoint', 'CSM'],
      ['roadmap.window.closes', '2026-04-17T00:00:00.000-05:00', 'R-53', 'checkpoint', 'vCIO'],
      // Day 60 = Fri 05-01, a business day: 17:00 local.
      ['day60Review.held', '2026-05-01T17:00:00.000-05:00', 'R-56', 'roll', 'CSM'],
      ['cadenceLock.window.closes', '2026-05-02T00:00:00.000-05:00', 'R-55', 'checkpoint', 'CSM'],
      ['healthBaseline.window.closes', '2026-05-02T00:00:00.000-05:00', 'R-55', 'checkpoint', 'CSM'],
      ['proposals.window.closes', '2026-05-02T00:00:00.000-05:00', 'R-54', 'checkpoint', 'AM'],
      // Day 90 = Sun 05-31 → rolls back to Fri 05-29 17:00.
      ['closeout.held', '2026-05-29T17:00:00.000-05:00', 'R-56', 'roll', 'CSM'],
    ]);
  });

  it('explains each deadline with its inputs', () => {
    const k = byKey(plan);
    expect(k['kickoff.held']!.why).toMatchObject({
      anchor: '2026-03-02T14:00:00.000-06:00',
      day0: '2026-03-02',
      zone: 'America/Chicago',
      businessDays: 5,
      localDate: '2026-03-09',
      holidaysApplied: [],
      policyKeys: ['onboarding.kickoffBusinessDays', 'raci.B.processOwners.kickoffPresenter'],
      ownerSource: 'raci.B.processOwners.kickoffPresenter',
    });
    expect(k['access.checkpoint']!.why).toMatchObject({
      day: 14,
      localDate: '2026-03-16',
      thresholdPct: 95,
      rolled: false,
      policyKeys: ['onboarding.accessCheckpointDay', 'onboarding.accessThresholdPct'],
    });
    expect(k['quickWins.checkpoint']!.why).toMatchObject({ day: 30, required: 2 });
    expect(k['roadmap.window.opens']!.why).toMatchObject({ window: { from: 30, to: 45 }, policyKeys: ['onboarding.roadmapWindowDays.from'] });
    expect(k['closeout.held']!.why).toMatchObject({
      day: 90,
      targetDate: '2026-05-31',
      localDate: '2026-05-29',
      rolled: true,
      rolledFrom: '2026-05-31',
      earliest: '2026-03-02',
      dueTime: '17:00',
      policyKeys: ['onboarding.closeoutDay', 'calendar.dayEnd'],
    });
    expect(k['day60Review.held']!.why).toMatchObject({ rolled: false, localDate: '2026-05-01' });
    expect(k['day60Review.held']!.why).not.toHaveProperty('rolledFrom');
    expect(k['handoff.complete']!.why).toMatchObject({
      onboardingAccountable: { role: 'CSM', ruleId: 'R-46', source: 'raci.B.processOwners.onboardingAccountable' },
    });
    expect(k['proposals.window.opens']!.why).toMatchObject({ presenter: 'vCIO' });
    expect(plan.every((d) => d.skipped === undefined)).toBe(true);
  });

  it('is deterministic and reads the instant, not the offset it was written in', () => {
    expect(planOnboarding(input, defaultPolicy, chicago)).toEqual(plan);
    expect(planOnboarding({ ...input, signedAt: '2026-03-02T20:00:00Z' }, defaultPolicy, chicago)).toEqual(plan);
  });
});

describe('planOnboarding: Day 0 (C-3)', () => {
  it('is the local date in the client zone, not the UTC date', () => {
    // 23:30 CST on Mon 03-02 is already Tue 03-03 in UTC.
    const plan = planOnboarding({ signedAt: '2026-03-03T05:30:00Z', segment: 'C' }, defaultPolicy, chicago);
    expect(byKey(plan)['handoff.complete']!.why.day0).toBe('2026-03-02');
    expect(dues(plan)['handoff.complete']).toBe('2026-03-03T00:00:00.000-06:00');
    expect(dues(plan)['access.checkpoint']).toBe('2026-03-17T00:00:00.000-05:00');
  });

  it('rejects an offset-less instant and an unknown segment', () => {
    expect(() => planOnboarding({ signedAt: '2026-03-02T14:00:00', segment: 'B' }, defaultPolicy, chicago)).toThrow(RangeError);
    expect(() =>
      planOnboarding({ signedAt: '2026-03-02T14:00:00Z', segment: 'E' as unknown as 'A' }, defaultPolicy, chicago),
    ).toThrow(RangeError);
  });
});

describe('planOnboarding: kickoff business days (R-47)', () => {
  it('a Friday signing skips the Monday holiday', () => {
    const laborDay = makeCalendar({ timeZone: 'America/Chicago', holidays: ['2026-09-07'] });
    const input: OnboardingPlanInput = { signedAt: '2026-09-04T10:00:00-05:00', segment: 'C' };
    const withHoliday = planOnboarding(input, defaultPolicy, laborDay);
    const without = planOnboarding(input, defaultPolicy, chicago);
    // Tue 8, Wed 9, Thu 10, Fri 11, Mon 14 → end of Mon 09-14.
    expect(byKey(withHoliday)['kickoff.held']).toMatchObject({
      dueAt: '2026-09-15T00:00:00.000-05:00',
      why: { localDate: '2026-09-14', holidaysApplied: ['2026-09-07'] },
    });
    // Without the holiday: Mon 7 … Fri 11.
    expect(dues(without)['kickoff.held']).toBe('2026-09-12T00:00:00.000-05:00');
    // CHECKPOINTs never look at holidays.
    const { ['kickoff.held']: _a, ...restWith } = dues(withHoliday);
    const { ['kickoff.held']: _b, ...restWithout } = dues(without);
    expect(restWith).toEqual(restWithout);
    expect(restWith['access.checkpoint']).toBe('2026-09-19T00:00:00.000-05:00');
  });

  it('kickoffBusinessDays 3 changes only the kickoff deadline', () => {
    const input: OnboardingPlanInput = { signedAt: '2026-03-02T14:00:00-06:00', segment: 'B' };
    const five = planOnboarding(input, defaultPolicy, chicago);
    const three = planOnboarding(input, policyWith({ onboarding: { kickoffBusinessDays: 3 } }), chicago);
    // Mon 03-02 + 3 bd = Thu 03-05, still CST.
    expect(byKey(three)['kickoff.held']).toMatchObject({ dueAt: '2026-03-06T00:00:00.000-06:00', why: { businessDays: 3 } });
    const strip = (plan: PlannedDeadline[]) => plan.filter((d) => d.key !== 'kickoff.held');
    expect(strip(three)).toEqual(strip(five));
  });
});

describe('planOnboarding: Day 60 / Day 90 ROLL (R-56, A-21, C-2)', () => {
  const input: OnboardingPlanInput = { signedAt: '2026-03-17T11:00:00-05:00', segment: 'B' };

  it('Day 60 on a Saturday rolls back to Friday 17:00', () => {
    const d = byKey(planOnboarding(input, defaultPolicy, chicago));
    expect(d['day60Review.held']).toMatchObject({
      dueAt: '2026-05-15T17:00:00.000-05:00',
      clock: 'roll',
      why: { targetDate: '2026-05-16', rolledFrom: '2026-05-16', localDate: '2026-05-15', rolled: true, holidaysApplied: [] },
    });
    // Day 90 = Mon 06-15: no roll.
    expect(d['closeout.held']!.dueAt).toBe('2026-06-15T17:00:00.000-05:00');
  });

  it('skips a holiday Friday too', () => {
    const cal = makeCalendar({ timeZone: 'America/Chicago', holidays: ['2026-05-15'] });
    expect(byKey(planOnboarding(input, defaultPolicy, cal))['day60Review.held']).toMatchObject({
      dueAt: '2026-05-14T17:00:00.000-05:00',
      why: { rolledFrom: '2026-05-16', holidaysApplied: ['2026-05-15'] },
    });
  });

  it('uses the calendar dayEnd as the time of day', () => {
    const late = makeCalendar({ timeZone: 'America/Chicago', dayEnd: '18:30' });
    expect(dues(planOnboarding(input, defaultPolicy, late))['day60Review.held']).toBe('2026-05-15T18:30:00.000-05:00');
  });

  it('never rolls to before the signature (earliest = Day 0, then the signing instant)', () => {
    // reviewDay 1 from Fri 18:00: Sat → back to Fri = Day 0, but 17:00 is before signing → Mon.
    const p = policyWith({ onboarding: { reviewDay: 1 } });
    const d = byKey(planOnboarding({ signedAt: '2026-03-06T18:00:00-06:00', segment: 'B' }, p, chicago));
    expect(d['day60Review.held']).toMatchObject({
      dueAt: '2026-03-09T17:00:00.000-05:00',
      why: { rolledFrom: '2026-03-07', localDate: '2026-03-09' },
    });
  });
});

describe('planOnboarding: windows (R-53..R-55)', () => {
  it('a window from Day 0 opens at the signing instant, not before it', () => {
    const p = policyWith({ onboarding: { roadmapWindowDays: { from: 0, to: 45 } } });
    const d = byKey(planOnboarding({ signedAt: '2026-03-02T14:00:00-06:00', segment: 'B' }, p, chicago));
    expect(d['roadmap.window.opens']).toMatchObject({
      dueAt: '2026-03-02T14:00:00.000-06:00',
      why: { clampedFrom: '2026-03-02T00:00:00.000-06:00' },
    });
    expect(d['roadmap.window.closes']!.dueAt).toBe('2026-04-17T00:00:00.000-05:00');
  });

  it('a window from Day 1 opens at the end of Day 0', () => {
    const p = policyWith({ onboarding: { proposalsWindowDays: { from: 1, to: 60 } } });
    const d = byKey(planOnboarding({ signedAt: '2026-03-02T14:00:00-06:00', segment: 'B' }, p, chicago));
    expect(d['proposals.window.opens']!.dueAt).toBe('2026-03-03T00:00:00.000-06:00');
    expect(d['proposals.window.opens']!.why).not.toHaveProperty('clampedFrom');
  });
});

describe('planOnboarding: segments and owners', () => {
  const signedAt = '2026-03-02T14:00:00-06:00';

  it('A client owners', () => {
    expect(owners(planOnboarding({ signedAt, segment: 'A' }, defaultPolicy, chicago))).toEqual({
      'handoff.complete': 'AM',
      'kickoff.held': 'vCIO',
      'access.checkpoint': 'TAM',
      'documentation.checkpoint': 'TAM',
      'discovery.checkpoint': 'vCIO',
      'quickWins.checkpoint': 'TAM',
      'roadmap.window.opens': 'vCIO',
      'roadmap.window.closes': 'vCIO',
      'proposals.window.opens': 'AM',
      'proposals.window.closes': 'AM',
      'healthBaseline.window.opens': 'CSM',
      'healthBaseline.window.closes': 'CSM',
      'cadenceLock.window.opens': 'CSM',
      'cadenceLock.window.closes': 'CSM',
      'day60Review.held': 'CSM',
      'closeout.held': 'CSM',
    });
    expect(onboardingAccountable('A', defaultPolicy)).toMatchObject({ role: 'CSM', ruleId: 'R-46' });
  });

  it('C client: CSM presents the kickoff, runs discovery and the roadmap', () => {
    const o = owners(planOnboarding({ signedAt, segment: 'C' }, defaultPolicy, chicago));
    expect(o).toMatchObject({ 'kickoff.held': 'CSM', 'discovery.checkpoint': 'CSM', 'roadmap.window.opens': 'CSM', 'cadenceLock.window.opens': 'CSM' });
    const d = byKey(planOnboarding({ signedAt, segment: 'C' }, defaultPolicy, chicago));
    expect(d['proposals.window.opens']!.why.presenter).toBeNull();
  });

  it('D client: TAM-led, discovery skipped unless risk, roadmap kept as the R-57 variation', () => {
    const plan = planOnboarding({ signedAt, segment: 'D' }, defaultPolicy, chicago);
    const d = byKey(plan);
    expect(owners(plan)).toMatchObject({
      'handoff.complete': 'AM',
      'kickoff.held': 'TAM',
      'discovery.checkpoint': 'TAM',
      'roadmap.window.opens': 'TAM',
      'roadmap.window.closes': 'TAM',
      'proposals.window.opens': 'AM',
      'healthBaseline.window.opens': 'CSM',
      'cadenceLock.window.opens': 'TAM',
      'day60Review.held': 'CSM',
    });
    expect(d['handoff.complete']!.why.onboardingAccountable).toMatchObject({ role: 'TAM' });
    expect(d['discovery.checkpoint']).toMatchObject({
      skipped: true,
      dueAt: '2026-03-31T00:00:00.000-05:00',
      why: { reason: 'D: discovery/assessment skipped unless risk (R-51)' },
    });
    expect(d['roadmap.window.opens']).toMatchObject({
      owner: { role: 'TAM', ruleId: '§2.19' },
      why: { variation: 'D: 1–2 operational initiatives, no formal roadmap (R-57)' },
    });
    expect(d['roadmap.window.closes']!.why.variation).toBe('D: 1–2 operational initiatives, no formal roadmap (R-57)');
    expect(plan.filter((x) => x.skipped).map((x) => x.key)).toEqual(['discovery.checkpoint']);
  });

  it('D client with riskFlag: discovery runs', () => {
    const d = byKey(planOnboarding({ signedAt, segment: 'D', riskFlag: true }, defaultPolicy, chicago));
    expect(d['discovery.checkpoint']).not.toHaveProperty('skipped');
    expect(d['discovery.checkpoint']!.why).toMatchObject({ riskFlag: true });
    expect(d['discovery.checkpoint']!.owner.role).toBe('TAM');
  });

  it('riskFlag changes nothing for A/B/C', () => {
    for (const segment of ['A', 'B', 'C'] as const) {
      expect(planOnboarding({ signedAt, segment, riskFlag: true }, defaultPolicy, chicago)).toEqual(
        planOnboarding({ signedAt, segment }, defaultPolicy, chicago),
      );
    }
  });

  it('policy RACI wins over the rule defaults', () => {
    const p = policyWith({
      raci: {
        C: { processOwners: { kickoffPresenter: 'TAM', discoveryOwner: 'TAM', onboardingAccountable: 'TAM' }, cadenceOwner: 'TAM' },
        B: { roadmapBudget: { accountable: 'CSM' } },
      },
    });
    const c = byKey(planOnboarding({ signedAt, segment: 'C' }, p, chicago));
    expect(c['kickoff.held']!.owner).toEqual({ role: 'TAM', ruleId: 'R-47' });
    expect(c['discovery.checkpoint']!.owner).toEqual({ role: 'TAM', ruleId: 'R-51' });
    expect(c['cadenceLock.window.opens']!.owner).toEqual({ role: 'TAM', ruleId: 'R-10' });
    expect(c['handoff.complete']!.why.onboardingAccountable).toMatchObject({ role: 'TAM' });
    expect(byKey(planOnboarding({ signedAt, segment: 'B' }, p, chicago))['roadmap.window.opens']!.owner).toEqual({ role: 'CSM', ruleId: 'R-53' });
  });
});

describe('planOnboarding: Europe/Berlin across the 2026-03-29 DST switch', () => {
  it('keeps local 24:00 / 17:00 on both sides of the switch', () => {
    const plan = planOnboarding({ signedAt: '2026-03-24T09:30:00+01:00', segment: 'A' }, defaultPolicy, berlin);
    expect(dues(plan)).toEqual({
      'handoff.complete': '2026-03-25T00:00:00.000+01:00',
      // Tue 03-24 + 5 bd = Tue 03-31 (CEST).
      'kickoff.held': '2026-04-01T00:00:00.000+02:00',
      'access.checkpoint': '2026-04-08T00:00:00.000+02:00',
      'documentation.checkpoint': '2026-04-15T00:00:00.000+02:00',
      'discovery.checkpoint': '2026-04-22T00:00:00.000+02:00',
      'roadmap.window.opens': '2026-04-23T00:00:00.000+02:00',
      'proposals.window.opens': '2026-04-23T00:00:00.000+02:00',
      'quickWins.checkpoint': '2026-04-24T00:00:00.000+02:00',
      'healthBaseline.window.opens': '2026-05-08T00:00:00.000+02:00',
      'cadenceLock.window.opens': '2026-05-08T00:00:00.000+02:00',
      'roadmap.window.closes': '2026-05-09T00:00:00.000+02:00',
      // Day 60 = Sat 05-23 → Fri 05-22.
      'day60Review.held': '2026-05-22T17:00:00.000+02:00',
      'healthBaseline.window.closes': '2026-05-24T00:00:00.000+02:00',
      'cadenceLock.window.closes': '2026-05-24T00:00:00.000+02:00',
      'proposals.window.closes': '2026-05-24T00:00:00.000+02:00',
      'closeout.held': '2026-06-22T17:00:00.000+02:00',
    });
    // Day 14 ends 22:00Z (CEST), not 23:00Z as "15 × 24h from local midnight in CET" would give.
    expect(Date.parse(dues(plan)['access.checkpoint']!)).toBe(Date.parse('2026-04-07T22:00:00Z'));
  });

  it('counts business days over the Easter holidays', () => {
    // Thu 04-02 + 2 bd skips Good Friday 04-03 and Easter Monday 04-06 → Wed 04-08.
    const p = policyWith({ onboarding: { kickoffBusinessDays: 2 } });
    expect(byKey(planOnboarding({ signedAt: '2026-04-02T16:00:00+02:00', segment: 'B' }, p, berlin))['kickoff.held']).toMatchObject({
      dueAt: '2026-04-09T00:00:00.000+02:00',
      why: { holidaysApplied: ['2026-04-03', '2026-04-06'] },
    });
  });
});

describe('recapDueAt (R-29, A-14) and firstActionDueAt (C-5)', () => {
  const fri = '2026-03-06T15:00:00-06:00'; // Fri 15:00 CST, weekend holds the US DST switch
  const business = policyWith({ calendar: { slaClock: 'business' } });

  it('elapsed by default: 48h across the weekend (and the DST switch) lands on Sunday', () => {
    expect(recapDueAt(fri, defaultPolicy, chicago)).toEqual({
      dueAt: '2026-03-08T16:00:00.000-05:00',
      ruleId: 'R-29',
      why: {
        from: fri,
        hours: 48,
        clock: 'elapsed',
        zone: 'America/Chicago',
        policyKeys: ['meeting.recapHours', 'calendar.slaClock'],
      },
    });
    expect(recapDueAt(fri, defaultPolicy).dueAt).toBe('2026-03-08T21:00:00.000Z');
    expect(firstActionDueAt(fri, defaultPolicy, chicago)).toMatchObject({ dueAt: '2026-03-09T16:00:00.000-05:00', ruleId: 'C-5' });
  });

  it("slaClock 'business' counts business hours only", () => {
    // Fri 2 bh + Mon–Fri 5 × 8 bh + Mon 6 bh = 48 bh → Mon 03-16 15:00.
    expect(recapDueAt(fri, business, chicago)).toMatchObject({ dueAt: '2026-03-16T15:00:00.000-05:00', ruleId: 'R-29', why: { clock: 'business' } });
    // 72 bh = 9 business days → Thu 03-19 15:00.
    expect(firstActionDueAt(fri, business, chicago)).toMatchObject({ dueAt: '2026-03-19T15:00:00.000-05:00', ruleId: 'C-5' });
  });

  it("slaClock 'business' needs the client's calendar", () => {
    expect(() => recapDueAt(fri, business)).toThrow(RangeError);
  });

  it('follows meeting.recapHours / firstActionHours', () => {
    const p = policyWith({ meeting: { recapHours: 24, firstActionHours: 12 } });
    expect(recapDueAt(fri, p, chicago).dueAt).toBe('2026-03-07T15:00:00.000-06:00');
    expect(firstActionDueAt(fri, p, chicago).dueAt).toBe('2026-03-07T03:00:00.000-06:00');
  });
});

describe('accessPercent / accessGateMet (R-48, R-49)', () => {
  const rows = (granted: number, total: number) =>
    Array.from({ length: total }, (_, i) => ({ system: `sys-${i}`, granted: i < granted }));

  it('no rows → 0, gate shut', () => {
    expect(accessPercent([])).toBe(0);
    expect(accessGateMet(accessPercent([]), defaultPolicy)).toBe(false);
  });

  it('19/20 = 95 meets the gate, 18/20 = 90 does not', () => {
    expect(accessPercent(rows(19, 20))).toBe(95);
    expect(accessGateMet(accessPercent(rows(19, 20)), defaultPolicy)).toBe(true);
    expect(accessPercent(rows(18, 20))).toBe(90);
    expect(accessGateMet(accessPercent(rows(18, 20)), defaultPolicy)).toBe(false);
    expect(accessPercent(rows(20, 20))).toBe(100);
  });

  it('2 decimals, truncated so a near miss never reads as met', () => {
    expect(accessPercent(rows(2, 3))).toBe(66.66);
    expect(accessPercent(rows(1, 3))).toBe(33.33);
    expect(accessPercent(rows(18_999, 20_000))).toBe(94.99);
    expect(accessGateMet(accessPercent(rows(18_999, 20_000)), defaultPolicy)).toBe(false);
  });

  it('follows onboarding.accessThresholdPct', () => {
    expect(accessGateMet(90, policyWith({ onboarding: { accessThresholdPct: 90 } }))).toBe(true);
    expect(accessGateMet(Number.NaN, defaultPolicy)).toBe(false);
  });
});

describe('planOnboarding properties', () => {
  const ALLOWED_RULES = new Set([...Array.from({ length: 12 }, (_, i) => `R-${46 + i}`), 'C-5', 'R-29']);
  const zones = ['America/Chicago', 'Europe/Berlin', 'Australia/Sydney', 'Asia/Kolkata', 'Pacific/Auckland', 'UTC'];

  const calArb = fc.record({
    timeZone: fc.constantFrom(...zones),
    holidays: fc.uniqueArray(
      fc.integer({ min: 0, max: 400 }).map((n) => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000).toISOString().slice(0, 10)),
      { maxLength: 25 },
    ),
    workdays: fc.constantFrom([1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 6], [7, 1, 2, 3, 4]),
    dayEnd: fc.constantFrom('17:00', '18:30', '24:00'),
  });

  const windowArb = fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 30 })).map(([from, len]) => ({ from, to: from + len }));
  const onboardingArb = fc
    .record({
      kickoffBusinessDays: fc.integer({ min: 0, max: 15 }),
      accessCheckpointDay: fc.integer({ min: 0, max: 30 }),
      docsExtra: fc.integer({ min: 0, max: 20 }),
      assessmentsByDay: fc.integer({ min: 0, max: 60 }),
      quickWinsCheckpointDay: fc.integer({ min: 0, max: 60 }),
      roadmapWindowDays: windowArb,
      proposalsWindowDays: windowArb,
      cadenceLockWindowDays: windowArb,
      reviewDay: fc.integer({ min: 0, max: 90 }),
      closeoutExtra: fc.integer({ min: 0, max: 30 }),
    })
    .map(({ docsExtra, closeoutExtra, ...o }) => ({
      ...o,
      docsCheckpointDay: o.accessCheckpointDay + docsExtra,
      closeoutDay: Math.max(o.reviewDay, o.cadenceLockWindowDays.to) + closeoutExtra,
    }));

  const policyArb = fc.oneof(fc.constant(defaultPolicy), onboardingArb.map((onboarding) => policyWith({ onboarding })));
  const signedArb = fc
    .integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 11, 31) })
    .map((ms) => new Date(ms).toISOString());

  it('every dueAt ≥ signedAt, sorted by dueAt then key, unique keys, known rules', () => {
    fc.assert(
      fc.property(
        calArb,
        policyArb,
        signedArb,
        fc.constantFrom<'A' | 'B' | 'C' | 'D'>('A', 'B', 'C', 'D'),
        fc.boolean(),
        (c, policy, signedAt, segment, riskFlag) => {
          const cal = makeCalendar(c);
          const plan = planOnboarding({ signedAt, segment, riskFlag }, policy, cal);
          const signed = Date.parse(signedAt);
          expect(plan.map((d) => d.key).sort()).toEqual(ALL_KEYS);
          for (const d of plan) {
            expect(Date.parse(d.dueAt)).toBeGreaterThanOrEqual(signed);
            expect(ALLOWED_RULES.has(d.ruleId)).toBe(true);
            expect((ONBOARDING_RULE_IDS as readonly string[]).includes(d.ruleId)).toBe(true);
            expect(d.skipped === undefined || (d.skipped === true && typeof d.why.reason === 'string')).toBe(true);
          }
          for (let i = 1; i < plan.length; i++) {
            const a = plan[i - 1]!;
            const b = plan[i]!;
            const diff = Date.parse(b.dueAt) - Date.parse(a.dueAt);
            expect(diff > 0 || (diff === 0 && a.key < b.key)).toBe(true);
          }
          for (const s of [recapDueAt(signedAt, policy, cal), firstActionDueAt(signedAt, policy, cal)]) {
            expect(ALLOWED_RULES.has(s.ruleId)).toBe(true);
            expect(Date.parse(s.dueAt)).toBeGreaterThanOrEqual(signed);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the Day 60/90 review lands on a business day at dayEnd, checkpoints at local midnight', () => {
    fc.assert(
      fc.property(calArb, signedArb, fc.constantFrom<'A' | 'B' | 'C' | 'D'>('A', 'B', 'C', 'D'), (c, signedAt, segment) => {
        const cal = makeCalendar(c);
        const plan = planOnboarding({ signedAt, segment }, defaultPolicy, cal);
        for (const d of plan) {
          const local = d.dueAt.slice(11, 23);
          if (d.clock === 'roll') {
            expect(cal.holidays.includes(d.why.localDate as string)).toBe(false);
            const expectedTime = cal.dayEnd === '24:00' ? '00:00:00.000' : `${cal.dayEnd}:00.000`;
            expect(local).toBe(expectedTime);
          } else {
            // Local midnight except in zones where 00:00 falls into a DST gap (none of these here).
            expect(local).toBe('00:00:00.000');
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});
