import { allHandlersFinished, condition, continueAsNew, patched, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { Actor } from '../db/schema.js';
import {
  applyAction, applyBooked, applySegmentChange, carryOver, decide, due, initialHorizon, initialState, nextDue, nextHorizonMonth, planDateTriggers, planTouches, statusView,
  type CadenceAction, type CadenceState, type Step,
} from '../domain/cadence.js';
import { event } from '../domain/effects.js';
import { CADENCE_REFUSAL_TYPES, cadenceAction, cadenceStatus, type CadenceActionResult, type CadenceInput } from './contracts.js';
import { ProcessKernel } from './kernel.js';

/**
 * The engagement cadence of one client (DOMAIN §2.2, §2.3–§2.5, §2.9): at cadence lock it books a
 * rolling 12-month horizon from the policy's cadence matrix, runs every strategic
 * meeting's cycle (prep pack T-5 bd, pre-read, ≤2 decisions, recap 48h, CTAs 72h: R-24..R-32),
 * judges outcomes (§2.5) and recovers misses (R-33..R-35), and fires the six triggers (R-13..R-19)
 * with merge. Each month the horizon rolls; after a year it continues as new, carrying only
 * open obligations, so a client's history stays small for as long as the client stays.
 * The rules live in domain/cadence.ts; booking against capacity in the activity;
 * reports, due instants and recording run on the process kernel (workflows/kernel.ts).
 */
export const CADENCE_PROCESS_VERSION = 1;
/** Horizon extensions (months) per run before continuing as new: one simulated year. */
const MONTHS_PER_RUN = 12;
/** Idempotency keys remembered across continue-as-new (C-6). */
const SEEN_CARRIED = 500;

const SYSTEM: Actor = { kind: 'system' };

// Booking a year of meetings heartbeats, so a worker that dies mid-booking is noticed in seconds; retries
// are bounded like every effect the kernel records (a failure undoes the step, workflows/kernel.ts).
const { bookCadenceMeetings, changeCadenceSegment } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 12 },
});
// Reads only: retried until the database answers.
const reads = { startToCloseTimeout: '15 seconds', retry: { initialInterval: '1 second', maximumInterval: '1 minute' } } as const;
const regularReads = proxyActivities<Activities>(reads);
// The same reads as local activities (issue 17): the setup and every monthly roll's client read take
// no task round trip through the server. Booking stays a regular activity (it heartbeats, and waits
// on the people's capacity locks other cadences hold, R-36/R-37).
const localReads = proxyLocalActivities<Activities>(reads);
/** Patch id of the local reads; runs recorded before it keep regular activities on replay. */
export const CADENCE_LOCAL_READS_PATCH = 'cadence-local-reads';

export async function cadence(input: CadenceInput): Promise<void> {
  let setupPolicy: CadenceState['setup']['policy'] | undefined = input.continued?.setup.policy;
  const kernel = new ProcessKernel<CadenceState, CadenceAction, CadenceActionResult>({
    process: 'cadence', clientId: input.clientId, refusalTypes: CADENCE_REFUSAL_TYPES, initialStep: 'running',
    firstActionHours: () => setupPolicy!.meeting.firstActionHours, seen: input.continued?.seen,
  });
  const now = () => new Date(Date.now()).toISOString();
  kernel.serveStatus(cadenceStatus, (st) => statusView(st, now()));
  kernel.serveReports(cadenceAction, {
    decide,
    async accept(st, req) {
      let step: Step;
      if (req.action.type === 'segmentChanged') {
        st.actions += 1;
        step = await changeSegment(`a${st.actions}`, req.action, req.actor, req.at);
      } else {
        step = applyAction(st, req.action, req.at);
      }
      const result: CadenceActionResult = { accepted: true, action: req.action.type, sequence: st.actions, duplicate: false, ctasOpened: [], meetingsBooked: [] };
      return {
        result,
        async complete() {
          const done = await run(`a${result.sequence}`, step, req.actor, req.at);
          result.ctasOpened = done.ctas;
          result.meetingsBooked = done.booked;
        },
      };
    },
    duplicateBatch: (st) => `a${++st.actions}-duplicate`,
  });

  // The model's version for this run (domain/cadence.ts CadenceState.version): runs that started before it replay as v1.
  const version = patched('cadence-v2') ? 2 : 1;
  const { prepareCadence, readCadenceClient } = patched(CADENCE_LOCAL_READS_PATCH) ? localReads : regularReads;
  // Asked at each monthly roll; decided here, before anything is awaited, in runs that decide their patches at start (kernel.ts).
  const monthlyClientSync = kernel.patch('monthly-client-sync');
  // Setup: read the policy and client once; on the first run book the horizon and plan the date triggers.
  const setup = input.continued?.setup ?? (await prepareCadence({ clientId: input.clientId, lockedAt: input.lockedAt, policyVersion: input.policyVersion }));
  const s = initialState(setup, input.continued?.carried, version);
  setupPolicy = s.setup.policy;
  if (!input.continued) {
    const at = now();
    await kernel.record('start', [event('process.started', 'R-10', {
      processVersion: CADENCE_PROCESS_VERSION, policyVersion: setup.policyVersion,
      inputs: { lockedAt: setup.lockedAt, segment: setup.segment, touchTier: setup.touchTier, fiscalYearEnd: setup.fiscalYearEnd, renewalDate: setup.renewalDate, timeZone: setup.timeZone },
    }, { horizonMonths: setup.policy.cadence.horizonMonths })], SYSTEM, at);
    const months = initialHorizon(s);
    await bookAndApply(`horizon-${months[0]}`, { plan: months }, at);
    s.bookedThrough = months[months.length - 1]!;
    planTouches(s, setup.lockedAt, s.bookedThrough);
    await run('triggers-start', planDateTriggers(s, at), SYSTEM, at);
  }
  kernel.ready(s);

  // Run: act at each due instant (cycle deadlines, triggers, the monthly horizon roll) unless a report moves things first.
  await kernel.runDue({
    until: () => false,
    next: () => nextDue(s),
    async act(next) {
      const at = now();
      s.ticks += 1;
      if (next.key !== 'horizon') {
        await run(`t${s.ticks}-${next.key.split('|')[0]}`, due(s, next.key, at), SYSTEM, at);
        return 'continue';
      }
      // Client changes reach the cadence from the API right away; monthly, it also re-reads the client so a change
      // that was not delivered (Temporal unreachable at the time) still re-plans triggers and segment.
      if (monthlyClientSync()) await syncWithClient(at);
      const month = nextHorizonMonth(s);
      await bookAndApply(`t${s.ticks}-horizon-${month}`, { plan: [month] }, at);
      planTouches(s, { month: s.bookedThrough }, month);
      s.bookedThrough = month;
      s.extensionsThisRun += 1;
      await run(`t${s.ticks}-triggers`, planDateTriggers(s, at), SYSTEM, at);
      return s.extensionsThisRun >= MONTHS_PER_RUN || workflowInfo().continueAsNewSuggested ? 'stop' : 'continue';
    },
  });
  // A simulated year is done: continue as new with the open obligations only.
  await condition(allHandlersFinished);
  await continueAsNew<typeof cadence>({
    clientId: input.clientId, lockedAt: input.lockedAt, policyVersion: setup.policyVersion,
    continued: { setup: s.setup, carried: carryOver(s, now()), seen: kernel.carriedSeen(SEEN_CARRIED) },
  });

  /** the activity diffs the booked meetings against the new segment's plan, restyles, cancels and books. */
  async function changeSegment(batchKey: string, change: Extract<CadenceAction, { type: 'segmentChanged' }>, actor: Actor, at: string): Promise<Step> {
    const result = await changeCadenceSegment({
      clientId: s.setup.clientId, workflowId: kernel.workflowId, batchKey, actor, at, from: s.setup.segment, to: change.segment, touchTier: change.touchTier,
      changedAt: change.changedAt, setup: s.setup, bookedThrough: s.bookedThrough,
      booked: s.meetings.filter((m) => m.status === 'scheduled' && Date.parse(m.startsAt) > Date.parse(at)).map((m) => ({ key: m.key, kind: m.kind, template: m.template, startsAt: m.startsAt, meetingId: m.meetingId })),
    });
    const step = applySegmentChange(s, result, at);
    step.effects.unshift(event('process.fact_recorded', 'R-9', { fact: 'segmentChanged', details: { segment: result.segment, touchTier: result.touchTier, restyled: result.restyled.length, cancelled: result.cancelled.length, booked: result.booked.length } }));
    return step;
  }

  /** Catches up with client changes the API could not deliver (dates → re-plan, segment → R-9). */
  async function syncWithClient(at: string) {
    const current = await readCadenceClient({ clientId: s.setup.clientId, at });
    if (!current) return;
    // v2: the calendar follows the client's holidays (its region's later years, a changed region or list, C-1).
    if (s.version >= 2 && current.holidays && current.holidays.join() !== s.setup.calendar.holidays.join()) {
      const before = s.setup.calendar.holidays;
      s.setup = { ...s.setup, calendar: { ...s.setup.calendar, holidays: current.holidays } };
      const added = current.holidays.filter((h) => !before.includes(h));
      const removed = before.filter((h) => !current.holidays!.includes(h) && h >= at.slice(0, 10));
      if (added.length || removed.length) {
        await run(`t${s.ticks}-calendar`, { effects: [event('process.fact_recorded', 'C-1', { fact: 'calendarRefreshed', details: { added: added.slice(0, 50), removed: removed.slice(0, 50), holidays: current.holidays.length } })], book: [] }, SYSTEM, at);
      }
    }
    if (current.renewalDate !== s.setup.renewalDate || current.fiscalYearEnd !== s.setup.fiscalYearEnd) {
      await run(`t${s.ticks}-client-dates`, applyAction(s, { type: 'clientDatesChanged', renewalDate: current.renewalDate, fiscalYearEnd: current.fiscalYearEnd }, at), SYSTEM, at);
    }
    if (current.segment !== s.setup.segment || current.touchTier !== s.setup.touchTier) {
      const change = { type: 'segmentChanged' as const, segment: current.segment, touchTier: current.touchTier, changedAt: at };
      await run(`t${s.ticks}-client-segment`, await changeSegment(`t${s.ticks}-segment`, change, SYSTEM, at), SYSTEM, at);
    }
  }

  /** Records a step's effects, books what it asks for, and records the consequences of the booking. */
  async function run(batchKey: string, step: Step, actor: Actor, at: string) {
    const ctas = await kernel.record(batchKey, step.effects, actor, at);
    const booked: CadenceActionResult['meetingsBooked'] = [];
    if (step.book.length) {
      const after = await bookAndApply(`${batchKey}-book`, { requests: step.book }, at, actor);
      ctas.push(...after.ctas);
      booked.push(...after.booked);
    }
    return { ctas, booked };
  }

  async function bookAndApply(batchKey: string, what: { plan: string[] } | { requests: Step['book'] }, at: string, actor: Actor = SYSTEM) {
    const booked = await bookCadenceMeetings({ clientId: s.setup.clientId, workflowId: kernel.workflowId, batchKey, actor, at, setup: s.setup, ...what });
    const ctas = await kernel.record(`${batchKey}-cycle`, applyBooked(s, booked, at).effects, actor, at);
    return { ctas, booked: booked.map((b) => ({ meetingId: b.meetingId, template: b.template, startsAt: b.startsAt, state: b.state })) };
  }
}
