import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/business-time.js';
import type { ProcessEffect } from '../../domain/effects.js';
import { businessDaysAfter, closeQuarter, loopDues, loopStep, nextClose, type CloseFacts, type LoopSnapshot } from '../../domain/planning-loop.js';
import { defaultPolicy } from '../../domain/policy.js';

/** The client-level clocks of the planning loop: quarter close, roadmap freshness and staleness, unopened reports, Discovery and Assessment due. */
const policy = defaultPolicy;
const cal = makeCalendar({ timeZone: 'America/Chicago' });
const utc = (s: string) => new Date(s).toISOString();
const dues = (snap: LoopSnapshot) => loopDues(snap, policy, cal).map((d) => [d.key, utc(d.at)]);
const kinds = (effects: ProcessEffect[]) => effects.map((e) => (e.kind === 'event' ? `event:${e.type}` : e.kind === 'cta' ? `cta:${e.ctaKind}:${e.ownerRole}` : e.kind));

const snap = (extra: Partial<LoopSnapshot> = {}): LoopSnapshot => ({
  clientId: 'c-1', segment: 'B', goalLevel: 2, appetite: 4, fiscalYearEnd: '12-31',
  clientCreatedAt: '2026-05-11T14:00:00.000Z', loopStartedAt: '2026-05-11T14:00:00.000Z',
  roadmap: { latest: null, lastChangedAt: null }, reports: [],
  discovery: { lastCompletedAt: null, plannedSince: false, firstCompletedAt: null }, assessment: { lastCompletedAt: null, plannedSince: false },
  marks: [], ...extra,
});

describe('quarter close instants (R-61, R-84)', () => {
  it('judges the first quarter closing after the loop started, then the next unhandled one', () => {
    expect(nextClose(snap(), policy, cal)).toEqual({ quarter: '2026-Q2', at: '2026-06-30T17:00:00.000-05:00' });
    expect(nextClose(snap({ marks: ['quarter-close/2026-Q2'] }), policy, cal)).toEqual({ quarter: '2026-Q3', at: '2026-09-30T17:00:00.000-05:00' });
    // Started on the last day after 17:00: that quarter is not judged.
    expect(nextClose(snap({ loopStartedAt: '2026-06-30T23:00:00.000Z' }), policy, cal).quarter).toBe('2026-Q3');
  });

  it('counts business days at the same local time (R-88 "5 bd")', () => {
    expect(businessDaysAfter('2026-05-15T15:00:00.000Z', 5, cal)).toBe('2026-05-22T10:00:00.000-05:00');
  });
});

describe('the loop\'s due steps', () => {
  it('a new client: the quarter close and its first Discovery within 30 days (R-57)', () => {
    expect(dues(snap())).toEqual([['discovery-due/first', '2026-06-10T14:00:00.000Z'], ['quarter-close/2026-Q2', '2026-06-30T22:00:00.000Z']]);
  });

  it('roadmap reviewed within 120 days (B) of its last version, unchanged for two quarters → stale (R-86)', () => {
    const s = snap({ roadmap: { latest: { version: 1, createdAt: '2026-05-11T14:00:00.000Z' }, lastChangedAt: '2026-05-11T14:00:00.000Z' }, discovery: { lastCompletedAt: null, plannedSince: true, firstCompletedAt: null } });
    expect(dues(s)).toEqual([
      ['quarter-close/2026-Q2', '2026-06-30T22:00:00.000Z'], ['roadmap-fresh/1', '2026-09-08T14:00:00.000Z'], ['roadmap-stale/2026-05-11T14:00:00.000Z', '2026-11-11T14:00:00.000Z'],
    ]);
    expect(dues({ ...s, segment: 'C' }).find(([k]) => k === 'roadmap-fresh/1')![1]).toBe('2026-11-07T14:00:00.000Z');
    // Handled steps are not due again.
    expect(dues({ ...s, marks: ['roadmap-fresh/1'] }).map(([k]) => k)).not.toContain('roadmap-fresh/1');
  });

  it('an unopened report: the reminder 5 bd after delivery, the escalation 5 bd after the reminder; an opened one has none (R-88)', () => {
    const report = { id: 'rep-1', title: 'Q2 review', deliveredAt: '2026-05-15T15:00:00.000Z', openedAt: null, ownerRole: 'CSM', contact: 'Dana' };
    const base = { discovery: { lastCompletedAt: null, plannedSince: true, firstCompletedAt: null } };
    expect(dues(snap({ ...base, reports: [report] }))[0]).toEqual(['report/rep-1/reminder', '2026-05-22T15:00:00.000Z']);
    expect(dues(snap({ ...base, reports: [report], marks: ['report/rep-1/reminder'] }))[0]).toEqual(['report/rep-1/escalation', '2026-05-29T15:00:00.000Z']);
    expect(dues(snap({ ...base, reports: [{ ...report, openedAt: '2026-05-18T15:00:00.000Z' }] })).map(([k]) => k)).toEqual(['quarter-close/2026-Q2']);
  });

  it('Discovery on the segment cadence after the last one; an assessment a quarter after it when the goal level asks (R-67, R-69)', () => {
    const done = '2026-06-01T15:00:00.000Z';
    expect(dues(snap({ discovery: { lastCompletedAt: done, plannedSince: false, firstCompletedAt: done } }))).toEqual([
      ['quarter-close/2026-Q2', '2026-06-30T22:00:00.000Z'], [`assessment-due/${done}`, '2026-09-01T15:00:00.000Z'], [`discovery-due/${done}`, '2026-09-01T15:00:00.000Z'],
    ]);
    // Goal 1 without evident appetite asks for no assessment; a planned one stops the clock.
    expect(dues(snap({ goalLevel: 1, appetite: 1, discovery: { lastCompletedAt: done, plannedSince: false, firstCompletedAt: done } })).map(([k]) => k)).not.toContain(`assessment-due/${done}`);
    expect(dues(snap({ discovery: { lastCompletedAt: done, plannedSince: false, firstCompletedAt: done }, assessment: { lastCompletedAt: null, plannedSince: true } })).map(([k]) => k)).not.toContain(`assessment-due/${done}`);
  });
});

describe('what a due step records', () => {
  const now = '2026-09-08T14:00:00.000Z';
  it('roadmap freshness: a missed deadline and a review CTA to the Accountable; nothing once a newer version exists (R-86)', () => {
    const s = snap({ roadmap: { latest: { version: 1, createdAt: '2026-05-11T14:00:00.000Z' }, lastChangedAt: '2026-05-11T14:00:00.000Z' } });
    const fx = loopStep('roadmap-fresh/1', s, policy, cal, now);
    expect(kinds(fx)).toEqual(['event:deadline.missed', `cta:roadmap-review:${policy.raci.B.roadmapBudget.accountable}`]);
    expect(loopStep('roadmap-fresh/1', { ...s, roadmap: { ...s.roadmap, latest: { version: 2, createdAt: now } } }, policy, cal, now)).toEqual([]);
    expect(kinds(loopStep('roadmap-stale/2026-05-11T14:00:00.000Z', s, policy, cal, now))).toEqual(['event:roadmap.stale']);
    expect(loopStep('roadmap-stale/2026-01-01T00:00:00.000Z', s, policy, cal, now)).toEqual([]);
  });

  it('report reminder: the client contact reminded and a management alert; escalation to the AM; nothing once opened (R-88)', () => {
    const report = { id: 'rep-1', title: 'Q2 review', deliveredAt: '2026-05-15T15:00:00.000Z', openedAt: null, ownerRole: 'CSM', contact: 'Dana' };
    const s = snap({ reports: [report] });
    expect(kinds(loopStep('report/rep-1/reminder', s, policy, cal, now))).toEqual(['event:report.unopened', 'cta:report-reminder:CSM', 'cta:report-manager-alert:CS Lead']);
    expect(kinds(loopStep('report/rep-1/escalation', s, policy, cal, now))).toEqual(['event:report.unopened', 'cta:report-escalation:AM']);
    expect(loopStep('report/rep-1/reminder', snap({ reports: [{ ...report, openedAt: now }] }), policy, cal, now)).toEqual([]);
  });

  it('Discovery and Assessment due: CTAs to their owners by segment (R-57, R-67, R-69)', () => {
    expect(loopStep('discovery-due/first', snap(), policy, cal, now)).toEqual([expect.objectContaining({ kind: 'cta', ctaKind: 'discovery-due', ruleId: 'R-57', ownerRole: 'vCIO' })]);
    expect(loopStep('discovery-due/2026-06-01T15:00:00.000Z', snap({ segment: 'C' }), policy, cal, now)).toEqual([expect.objectContaining({ ruleId: 'R-67', ownerRole: 'CSM' })]);
    expect(loopStep('assessment-due/x', snap({ segment: 'D' }), policy, cal, now)).toEqual([expect.objectContaining({ ctaKind: 'assessment-due', ruleId: 'R-69', ownerRole: 'TAM' })]);
    expect(loopStep('quarter-close/2026-Q3', snap(), policy, cal, now)).toEqual([]); // without its facts
  });
});

describe('closing a quarter (R-61, R-80, R-84)', () => {
  const closeAt = '2026-09-30T22:00:00.000Z';
  const facts = (extra: Partial<CloseFacts> = {}): CloseFacts => ({
    quarter: '2026-Q3',
    decisions: [
      { eventId: 'e-1', meetingId: 'm-1', title: 'Approve the firewall', ownerRole: 'vCIO', initiativeId: 'i-1', at: '2026-07-14T15:45:00.000Z' },
      { eventId: 'e-2', meetingId: 'm-2', title: 'Propose Wi-Fi', ownerRole: 'AM', initiativeId: 'i-2', at: '2026-08-11T15:45:00.000Z' },
      { eventId: 'e-3', meetingId: 'm-2', title: 'Start the DR runbook', ownerRole: 'TAM', at: '2026-08-11T15:45:00.000Z' },
    ],
    versions: [{ kind: 'roadmap', sourceRef: 'm-1', createdAt: '2026-07-16T14:00:00.000Z', initiativeIds: ['i-1'] }],
    proposals: [{ initiativeId: 'i-2', createdAt: '2026-08-12T14:00:00.000Z' }],
    initiatives: [{ id: 'i-1', state: 'Approved', approvedAt: '2026-07-14T16:00:00.000Z' }, { id: 'i-2', state: 'Proposed', approvedAt: null }],
    declined: [{ proposalId: 'p-1', reason: 'price' }, { proposalId: 'p-2', reason: null }],
    lines: [{ initiativeId: 'i-1', amountUsd: 10000 }, { initiativeId: 'i-2', amountUsd: 5000 }],
    actualUsd: 20000, previousBelow: [], ...extra,
  });

  it('checks each decision for an artefact, a CTA to the Accountable of one without (R-61); measures reasons, variance and realization', () => {
    const fx = closeQuarter(facts(), snap(), policy, cal, closeAt);
    expect(kinds(fx)).toEqual(['event:quarter.closed', 'cta:decision-artefact:TAM', 'cta:budget-variance:vCIO', 'riskSignal']);
    const closed = fx[0] as Extract<ProcessEffect, { kind: 'event' }>;
    expect(closed.data).toEqual({
      quarter: '2026-Q3', decisions: 3, withArtefact: 2,
      declineReasons: { captured: 1, total: 2, ratePct: 50, targetPct: 90 },
      variance: { forecastUsd: 15000, actualUsd: 20000, variancePct: 33.33, status: 'investigate' },
      realization: { budgetedUsd: 15000, approvedUsd: 10000, pct: 66.67, below: false },
    });
    expect(fx[3]).toMatchObject({ trigger: 'budgetVariance', bucket: 'Strategic', ruleId: 'R-84' });
  });

  it('a proposal created before the decision is not its artefact', () => {
    const fx = closeQuarter(facts({ proposals: [{ initiativeId: 'i-2', createdAt: '2026-08-01T14:00:00.000Z' }], actualUsd: null }), snap(), policy, cal, closeAt);
    expect(kinds(fx)).toEqual(['event:quarter.closed', 'cta:decision-artefact:AM', 'cta:decision-artefact:TAM']);
  });

  it('realization below 40 % two quarters in a row → simplify scope; one quarter is not enough (R-84)', () => {
    const low = facts({ initiatives: [], actualUsd: 15000 });
    expect(kinds(closeQuarter(low, snap(), policy, cal, closeAt))).not.toContain('cta:simplify-scope:vCIO');
    expect(kinds(closeQuarter({ ...low, previousBelow: [true] }, snap(), policy, cal, closeAt))).toContain('cta:simplify-scope:vCIO');
    expect(kinds(closeQuarter({ ...low, previousBelow: [false, true] }, snap(), policy, cal, closeAt))).not.toContain('cta:simplify-scope:vCIO');
  });

  it('a quarter without decisions, declines or budget records "not measured"', () => {
    const fx = closeQuarter(facts({ decisions: [], declined: [], lines: [], actualUsd: null }), snap(), policy, cal, closeAt);
    expect(kinds(fx)).toEqual(['event:quarter.closed']);
    expect((fx[0] as Extract<ProcessEffect, { kind: 'event' }>).data).toMatchObject({ declineReasons: { ratePct: null }, variance: { status: 'notMeasured' }, realization: { pct: null, below: false } });
  });
});
