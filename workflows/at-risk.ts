import { allHandlersFinished, condition, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { Actor } from '../db/schema.js';
import { applyAction, decide, due, initialRiskState, nextDue, riskStatusView, startEffects, type RiskAction, type RiskState, type RiskStatus } from '../domain/at-risk.js';
import { RISK_REFUSAL_TYPES, riskAction, riskStatus, type RiskActionResult, type RiskInput } from './contracts.js';
import { ProcessKernel } from './kernel.js';

/**
 * One At-Risk record (DOMAIN §2.17, R-93..R-103), from the trigger that opened it to its exit to
 * green and After-Action. It reads like the play: record the risk with its severity and every
 * clock (acknowledge in business hours, stabilise by Day 3, re-engage by Day 5 / 5 bd, Save Plan,
 * H1/H2, Day 30, Day 60), ask the cadence for the executive re-engage session, then
 * judge each clock at its instant while the owner reports acknowledgement, actions, the Save Plan,
 * progress and evidence; no movement for 14 days opens a reset. The rules live in
 * domain/at-risk.ts; reports, clocks and recording run on the process kernel.
 */
export const RISK_PROCESS_VERSION = 1;
const SYSTEM: Actor = { kind: 'system' };

const { prepareRisk } = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
// Asking the cadence may wait for it to finish a booking of its own.
const { requestRiskReengage } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

export async function atRisk(input: RiskInput): Promise<RiskStatus | null> {
  let state: RiskState | undefined;
  const kernel = new ProcessKernel<RiskState, RiskAction, RiskActionResult>({
    process: 'risk', clientId: input.clientId, refusalTypes: RISK_REFUSAL_TYPES, initialStep: 'opening', firstActionHours: () => state!.setup.rules.firstActionHours,
  });
  kernel.serveStatus(riskStatus, riskStatusView);
  kernel.serveReports(riskAction, {
    decide,
    async accept(st, req) {
      const effects = applyAction(st, req.action, req.at);
      const result: RiskActionResult = { accepted: true, action: req.action.type, sequence: st.actions, duplicate: false, ctasOpened: [], status: st.status, severity: st.severity };
      return {
        result,
        async complete() {
          result.ctasOpened = await kernel.record(`a${result.sequence}`, effects, req.actor, req.at);
          markStep(st);
        },
      };
    },
    duplicateBatch: (st) => `a${++st.actions}-duplicate`,
  });

  const setup = await prepareRisk({ riskId: input.riskId });
  if (!setup) return null; // the row (or client) is gone: nothing to run
  const s = initialRiskState(setup);
  state = s;
  await kernel.record('start', startEffects(s), SYSTEM, new Date(Date.now()).toISOString());
  kernel.ready(s);
  markStep(s);

  // the executive re-engage session, booked through the cadence as a strategic meeting (or by hand).
  const r = setup.rules;
  const booking = await requestRiskReengage({
    riskId: setup.riskId, clientId: setup.clientId, openedAt: setup.openedAt, dueDate: s.reengage.dueDate, windowFromDay: r.reengageWindowDays.from,
    minNoticeBusinessDays: r.minNoticeBusinessDays, presenterRole: setup.presenterRole, minutes: r.reengageMinutes.max, calendar: r.calendar, at: new Date(Date.now()).toISOString(),
  });
  const at = new Date(Date.now()).toISOString();
  s.reengage.requestedAt = at;
  const booked = applyAction(s, { type: 'reengageBooked', meetingId: booking.meetingId, startsAt: booking.startsAt, merged: booking.merged, bookByHand: booking.bookByHand }, at);
  booked.unshift({
    kind: 'event', type: 'process.fact_recorded', ruleId: 'R-97', why: { via: booking.bookByHand ? 'by hand' : 'the cadence (R-22)', reason: booking.why }, data: {
      fact: 'reengageRequested', details: { riskId: setup.riskId, dueDate: s.reengage.dueDate, meetingId: booking.meetingId, startsAt: booking.startsAt, merged: booking.merged, bookByHand: booking.bookByHand },
    },
  });
  if (booking.bookByHand) {
    booked.push({
      kind: 'cta', key: 'book-reengage', ctaKind: 'risk-book-reengage', title: `Book the executive re-engage session (${r.reengageMinutes.min}–${r.reengageMinutes.max} min) by ${s.reengage.dueDate}: Snapshot, root-cause hypothesis, two decisions`,
      ruleId: 'R-97', ownerRole: setup.presenterRole, dueAt: s.deadlines.find((d) => d.key === 'reengage')!.dueAt, why: { riskId: setup.riskId, reason: booking.why },
    });
  }
  await kernel.record('reengage', booked, SYSTEM, at);

  await kernel.runDue({
    until: () => s.afterAction?.recordedAt !== undefined,
    next: () => nextDue(s),
    async act(next) {
      const effects = due(s, next.key, new Date(Date.now()).toISOString());
      await kernel.record(`t${s.ticks}-${next.key.replace('|', '-')}`, effects, SYSTEM, new Date(Date.now()).toISOString());
      markStep(s);
      return 'continue';
    },
  });
  await condition(allHandlersFinished);
  kernel.step('done');
  return riskStatusView(s);

  function markStep(st: RiskState) {
    kernel.step(st.status === 'closed' ? (st.afterAction?.recordedAt ? 'done' : 'after-action') : !st.acknowledgedAt ? 'acknowledge' : !st.savePlan ? 'save-plan' : 'recovering');
  }
}
