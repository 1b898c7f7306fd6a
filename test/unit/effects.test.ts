import { describe, expect, it } from 'vitest';
import { waitsOnAnotherProcess, type ProcessEffect } from '../../domain/effects.js';

/**
 * Which batches the kernel may record in a local activity (issue 17): only those whose recording
 * sends no Workflow Update to another process (activities/index.ts `recordProcessEffects`), so a
 * workflow task held open by its local activity never waits on another workflow's task.
 */
const event = (type: string): ProcessEffect => ({ kind: 'event', type: type as never, ruleId: null, why: {}, data: {} });
const cta: ProcessEffect = { kind: 'cta', key: 'k', ctaKind: 'task', title: 'Do it', ruleId: 'R-30', ownerRole: 'CSM', dueAt: '2027-01-04T15:00:00.000Z', why: {} } as never;
const meetingHeld: ProcessEffect = { kind: 'meetingUpdate', meetingId: 'm1', changes: { state: 'held' } } as never;

describe('waitsOnAnotherProcess', () => {
  it('lets ledger events, CTAs and rows of the process itself go local', () => {
    expect(waitsOnAnotherProcess('onboarding', [event('deadline.set'), cta, { kind: 'ctaResolved', key: 'k', note: 'done' }, { kind: 'startCadence', lockedAt: '2027-01-04T15:00:00.000Z' }])).toBe(false);
    expect(waitsOnAnotherProcess('cadence', [event('meeting.scheduled'), cta])).toBe(false);
    expect(waitsOnAnotherProcess('onboarding', [])).toBe(false);
  });

  it('keeps a regular activity for risk evidence, resegments and planning notices', () => {
    const risk = { kind: 'riskSignal', trigger: 'x', bucket: 'Service', evidence: 'e', ruleId: 'R-93' } as unknown as ProcessEffect;
    expect(waitsOnAnotherProcess('onboarding', [event('deadline.missed'), risk])).toBe(true);
    expect(waitsOnAnotherProcess('health', [{ kind: 'resegment', maturity: 2, appetite: 4, reason: 'R-110' }])).toBe(true);
    expect(waitsOnAnotherProcess('health', [{ kind: 'riskEvidence', key: 'k', bucket: 'Service', evidence: 'e', conditionCleared: false, ruleId: 'R-124' }])).toBe(true);
    expect(waitsOnAnotherProcess('initiative', [{ kind: 'planning', write: {} as never }])).toBe(true);
  });

  it("keeps a regular activity for the cadence's meeting changes and merged date triggers (its planning cycles hear of them, R-21)", () => {
    expect(waitsOnAnotherProcess('cadence', [meetingHeld])).toBe(true);
    expect(waitsOnAnotherProcess('cadence', [event('trigger.fired')])).toBe(true);
    // The same effects from another process tell no planning cycle.
    expect(waitsOnAnotherProcess('governance', [meetingHeld, event('trigger.fired')])).toBe(false);
  });
});
