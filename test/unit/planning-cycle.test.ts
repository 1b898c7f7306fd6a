import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/business-time.js';
import { planCycle } from '../../domain/cadence-plan.js';
import type { ProcessEffect } from '../../domain/effects.js';
import * as C from '../../domain/planning-cycle.js';
import { defaultPolicy } from '../../domain/policy.js';

/**
 * The annual planning cycle's pure model (DOMAIN §2.10 R-62..R-66, R-21) that
 * workflows/planning-cycle.ts interprets. The meetings come from the cadence's own anchor
 * computation (`planCycle`), as the workflow's setup activity builds them.
 */
const policy = defaultPolicy;
const calendar = { timeZone: 'Europe/Berlin', holidays: [], workdays: [1, 2, 3, 4, 5], dayStart: '09:00', dayEnd: '17:00' };
const cal = makeCalendar(calendar);
const LOCK = '2026-06-01T08:00:00.000Z';
const utc = (iso: string) => new Date(iso).toISOString();
const events = (effects: ProcessEffect[]) => effects.flatMap((e) => (e.kind === 'event' ? [e.type] : []));
const ctas = (effects: ProcessEffect[]) => effects.flatMap((e) => (e.kind === 'cta' ? [{ key: e.key, ownerRole: e.ownerRole, dueAt: utc(e.dueAt), ruleId: e.ruleId }] : []));

function cycle(segment: C.CycleSegment, fiscalYear: number, opts: { renewalDate?: string } = {}) {
  const planned = planCycle({ segment, touchTier: 'High', fiscalYearEnd: '12-31', renewalDate: opts.renewalDate ?? null, lockedAt: LOCK }, fiscalYear, policy, cal);
  const booked = planned.map((m, i) => ({ key: m.key, meetingId: `m${i + 1}`, template: m.template, startsAt: m.startsAt, state: 'scheduled' }));
  const s = C.initialState({ clientId: 'c-1', fiscalYear, segment, policyVersion: 1, policy, calendar, planned: planned.map((m) => ({ key: m.key, template: m.template, startsAt: m.startsAt, endsAt: m.endsAt })), booked, startedBy: 'cadence' }, LOCK);
  return { s, start: C.start(s, LOCK) };
}
function apply(s: C.PlanningCycleState, a: C.PlanningCycleAction, at: string) {
  const refusal = C.decide(s, a, at);
  if (refusal) throw new Error(`refused: ${refusal.message}`);
  return C.accept(s, a, at);
}

describe('A cycle (R-62, R-64, R-65)', () => {
  it('takes its meetings from the cadence anchors: M3 = FY-end − 30 d, M2 = M3 − 28 d, M1 = M2 − 28 d (ROLL)', () => {
    const { s } = cycle('A', 2027);
    expect(s.meetings.map((m) => [m.template, m.key, utc(m.startsAt)])).toEqual([
      ['M1', 'ap/2027/M1', '2027-10-06T08:00:00.000Z'],
      ['M2', 'ap/2027/M2', '2027-11-03T09:00:00.000Z'],
      ['M3', 'ap/2027/M3', '2027-12-01T09:00:00.000Z'],
    ]);
  });

  it('plans 9.0 h over the seven R-65 steps; the trigger step is done when the cycle starts', () => {
    const { s, start } = cycle('A', 2027);
    expect(s.steps.map((st) => [st.key, st.plannedHours])).toEqual([['trigger', 0.5], ['prep', 2.5], ['m1', 1.5], ['followUp', 0.5], ['m2', 1.5], ['budgeting', 1.5], ['sow', 1]]);
    expect(C.effort(s).planned).toBe(9);
    expect(events(start.effects)).toEqual(['planning_cycle.started', 'planning_cycle.step_done']);
    expect(s.steps[0]!.status).toBe('done');
    expect(s.stage).toBe('booked');
  });

  it('opens the Business Discovery CTA to the vCIO at M1 − 42 d, due at the end of M1 − 28 d (R-64)', () => {
    const { s } = cycle('A', 2027);
    expect({ key: C.nextDue(s)!.key, at: utc(C.nextDue(s)!.at) }).toEqual({ key: 'discovery.opens', at: '2027-08-25T07:00:00.000Z' });
    const step = C.due(s, 'discovery.opens', '2027-08-25T07:00:00.000Z');
    expect(ctas(step.effects)).toEqual([{ key: 'discovery', ownerRole: 'vCIO', dueAt: '2027-09-08T15:00:00.000Z', ruleId: 'R-64' }]);
    expect(s.stage).toBe('discovery');
    expect(C.nextDue(s)).toBeUndefined();
  });

  it('gives each unclear topic an assessment CTA due before M1, and refuses an unknown one', () => {
    const { s } = cycle('A', 2027);
    C.due(s, 'discovery.opens', '2027-08-25T07:00:00.000Z');
    const done = apply(s, { type: 'discoveryDone', unclearTopics: ['backup', 'identity'], actualHours: 1 }, '2027-09-01T10:00:00.000Z');
    expect(ctas(done.effects)).toEqual([
      { key: 'assessment/1', ownerRole: 'vCIO', dueAt: '2027-10-06T08:00:00.000Z', ruleId: 'R-64' },
      { key: 'assessment/2', ownerRole: 'vCIO', dueAt: '2027-10-06T08:00:00.000Z', ruleId: 'R-64' },
    ]);
    expect(done.effects.some((e) => e.kind === 'ctaResolved' && e.key === 'discovery')).toBe(true);
    expect(s.stage).toBe('prep');
    expect(C.decide(s, { type: 'assessmentDone', topic: 'network' }, '2027-09-02T10:00:00.000Z')).toMatchObject({ status: 404 });
    apply(s, { type: 'assessmentDone', topic: 'backup' }, '2027-09-02T10:00:00.000Z');
    expect(C.decide(s, { type: 'assessmentDone', topic: 'backup' }, '2027-09-02T10:00:00.000Z')).toMatchObject({ status: 409 });
    expect(C.decide(s, { type: 'discoveryDone', unclearTopics: [] }, '2027-09-02T10:00:00.000Z')).toMatchObject({ status: 409, ruleId: 'R-64' });
  });

  it('marks meeting steps done when the cadence reports them held; hours for a meeting step only after it', () => {
    const { s } = cycle('A', 2027);
    expect(C.decide(s, { type: 'stepDone', step: 'm2', actualHours: 1.5 }, '2027-10-07T10:00:00.000Z')).toMatchObject({ status: 409 });
    expect(C.decide(s, { type: 'stepDone', step: 'nope', actualHours: 1 }, '2027-10-07T10:00:00.000Z')).toMatchObject({ status: 404 });
    const held = apply(s, { type: 'meetingHeld', meetingId: 'm1', heldAt: '2027-10-06T08:00:00.000Z' }, '2027-10-06T10:00:00.000Z');
    expect(events(held.effects)).toEqual(['planning_cycle.meeting_noted', 'planning_cycle.step_done']);
    expect(s.steps.find((x) => x.key === 'm1')!.status).toBe('done');
    expect(s.stage).toBe('meetings');
    const hours = apply(s, { type: 'stepDone', step: 'm1', actualHours: 1.75 }, '2027-10-07T10:00:00.000Z');
    expect(events(hours.effects)).toEqual(['planning_cycle.effort_reported']);
    expect(C.decide(s, { type: 'stepDone', step: 'm1', actualHours: 1 }, '2027-10-07T10:00:00.000Z')).toMatchObject({ status: 409 });
  });

  it('loops back to prep with a CTA when M3 is held without an output, and closes once it has one (R-66)', () => {
    const { s } = cycle('A', 2027);
    apply(s, { type: 'stepDone', step: 'prep', actualHours: 2.5 }, '2027-09-20T10:00:00.000Z');
    apply(s, { type: 'meetingHeld', meetingId: 'm1', heldAt: '2027-10-06T08:00:00.000Z' }, '2027-10-06T10:00:00.000Z');
    apply(s, { type: 'stepDone', step: 'followUp', actualHours: 0.5 }, '2027-10-07T10:00:00.000Z');
    apply(s, { type: 'meetingHeld', meetingId: 'm2', heldAt: '2027-11-03T09:00:00.000Z' }, '2027-11-03T11:00:00.000Z');
    apply(s, { type: 'outputRecorded', output: { kind: 'budgetVersion', reference: 'v3' } }, '2027-11-20T10:00:00.000Z');
    const m3 = apply(s, { type: 'meetingHeld', meetingId: 'm3', heldAt: '2027-12-01T09:00:00.000Z' }, '2027-12-01T11:00:00.000Z');
    expect(events(m3.effects)).toEqual(['planning_cycle.meeting_noted', 'planning_cycle.step_done', 'planning_cycle.gap']);
    expect(ctas(m3.effects)).toEqual([{ key: 'gap/1', ownerRole: 'vCIO', dueAt: '2027-12-04T11:00:00.000Z', ruleId: 'R-66' }]);
    expect(s.stage).toBe('gap');
    expect(s.steps.find((x) => x.key === 'prep')!.status).toBe('open');
    // A roadmap is a closing output, but prep (reopened) and the SOW step are still open.
    const roadmap = apply(s, { type: 'outputRecorded', output: { kind: 'roadmap', reference: 'roadmap v4' } }, '2027-12-02T10:00:00.000Z');
    expect(events(roadmap.effects)).toEqual(['planning_cycle.output_recorded']);
    expect(C.isClosed(s)).toBe(false);
    apply(s, { type: 'stepDone', step: 'prep', actualHours: 0.5 }, '2027-12-02T11:00:00.000Z');
    const sow = apply(s, { type: 'stepDone', step: 'sow', actualHours: 1 }, '2027-12-03T10:00:00.000Z');
    expect(events(sow.effects)).toEqual(['planning_cycle.step_done', 'planning_cycle.closed']);
    const closed = sow.effects.find((e) => e.kind === 'event' && e.type === 'planning_cycle.closed');
    expect(closed && closed.kind === 'event' && closed.data).toEqual({ fiscalYear: 2027, outputs: ['budgetVersion', 'roadmap'], plannedHours: 9, actualHours: 4.5, gaps: 1 });
    expect(C.decide(s, { type: 'outputRecorded', output: { kind: 'sow', reference: 'late' } }, '2027-12-04T10:00:00.000Z')).toMatchObject({ status: 409, ruleId: 'R-66' });
  });

  it('names 2–3 top initiatives, each with owner and date (R-65)', () => {
    const { s } = cycle('A', 2027);
    expect(C.decide(s, { type: 'outputRecorded', output: { kind: 'initiative', reference: 'i-1' } }, '2027-11-01T10:00:00.000Z')).toMatchObject({ status: 422, ruleId: 'R-65' });
    for (const ref of ['i-1', 'i-2', 'i-3']) apply(s, { type: 'outputRecorded', output: { kind: 'initiative', reference: ref, owner: 'CFO', targetDate: '2028-03-31' } }, '2027-11-01T10:00:00.000Z');
    expect(C.decide(s, { type: 'outputRecorded', output: { kind: 'initiative', reference: 'i-4', owner: 'CFO', targetDate: '2028-03-31' } }, '2027-11-01T10:00:00.000Z')).toMatchObject({ status: 409 });
    expect(C.decide(s, { type: 'outputRecorded', output: { kind: 'okrLink', reference: 'i-1' } }, '2027-11-01T10:00:00.000Z')).toBeUndefined();
  });

  it('notes a date trigger that attaches to the final meeting instead of booking one (R-21, R-14)', () => {
    const { s } = cycle('A', 2027);
    const step = apply(s, { type: 'triggerAttached', meetingId: 'm3', trigger: 'fiscalYearEnd', ruleId: 'R-14', firedAt: '2027-11-17T08:00:00.000Z' }, '2027-11-17T08:00:00.000Z');
    expect(events(step.effects)).toEqual(['planning_cycle.trigger_attached']);
    expect(s.meetings[2]!.attached).toEqual([{ trigger: 'fiscalYearEnd', ruleId: 'R-14', at: '2027-11-17T08:00:00.000Z' }]);
    expect(s.packSentAt).toBeUndefined();
  });
});

describe('B, C and D cycles (R-66)', () => {
  it("plans each segment's hours inside its policy band (R-65, R-66, A-15)", () => {
    for (const seg of ['A', 'B', 'C', 'D'] as const) {
      const h = C.plannedHours(policy, seg);
      const band = policy.annualPlanning.cycleHours[seg];
      expect(h, seg).toBeGreaterThanOrEqual(band.min);
      expect(h, seg).toBeLessThanOrEqual(band.max);
    }
    expect([C.plannedHours(policy, 'B'), C.plannedHours(policy, 'C'), C.plannedHours(policy, 'D')]).toEqual([5, 2.5, 1.5]);
  });

  it('B: two meetings, M1 = M2 − 28 d; the discovery window hangs off M1', () => {
    const { s } = cycle('B', 2027);
    expect(s.meetings.map((m) => [m.template, utc(m.startsAt)])).toEqual([['M1', '2027-11-03T09:00:00.000Z'], ['M2', '2027-12-01T09:00:00.000Z']]);
    expect(utc(s.discovery.opensAt)).toBe('2027-09-22T07:00:00.000Z');
    expect(s.discovery.ownerRole).toBe('vCIO');
  });

  it('C: one meeting, the CSM owns the discovery', () => {
    const { s } = cycle('C', 2027);
    expect(s.meetings.map((m) => m.template)).toEqual(['Annual Planning']);
    expect(s.discovery.ownerRole).toBe('CSM');
  });

  it('D: the check-in sits on renewal − 90 d; its renewal trigger sends the async pack, and an amendment closes it', () => {
    const { s } = cycle('D', 2027, { renewalDate: '2026-09-30' });
    expect(s.meetings.map((m) => [m.template, m.key, utc(m.startsAt)])).toEqual([['Annual IT Strategy', 'ap/2027/annual', '2027-07-02T08:00:00.000Z']]);
    expect(s.discovery.ownerRole).toBe('TAM');
    const fired = apply(s, { type: 'triggerAttached', meetingId: 'm1', trigger: 'renewal', ruleId: 'R-13', firedAt: '2027-06-18T07:00:00.000Z' }, '2027-06-18T07:00:00.000Z');
    expect(events(fired.effects)).toEqual(['planning_cycle.trigger_attached', 'planning_cycle.pack_sent', 'planning_cycle.step_done']);
    expect(s.steps.find((x) => x.key === 'autoReport')!.status).toBe('done');
    apply(s, { type: 'stepDone', step: 'survey', actualHours: 0.25 }, '2027-06-25T10:00:00.000Z');
    apply(s, { type: 'outputRecorded', output: { kind: 'amendment', reference: 'renewal amendment 2027' } }, '2027-07-01T10:00:00.000Z');
    const held = apply(s, { type: 'meetingHeld', meetingId: 'm1', heldAt: '2027-07-02T08:00:00.000Z' }, '2027-07-02T10:00:00.000Z');
    // The optional call is not needed to close.
    expect(events(held.effects)).toEqual(['planning_cycle.meeting_noted', 'planning_cycle.step_done', 'planning_cycle.closed']);
    expect(C.isClosed(s)).toBe(true);
  });
});
