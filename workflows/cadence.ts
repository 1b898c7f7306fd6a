import {
  ApplicationFailure, allHandlersFinished, condition, continueAsNew, defineQuery, defineUpdate,
  patched, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { Actor } from '../db/schema.js';
import {
  applyAction, applyBooked, applySegmentChange, carryOver, decide, due, initialHorizon, initialState, nextDue, nextHorizonMonth, planDateTriggers, statusView,
  type CadenceAction, type CadenceSetup, type CadenceState, type CadenceStatus, type Refusal, type Step,
} from '../domain/cadence.js';
import { event } from '../domain/effects.js';
import { repeatOf } from '../domain/repeats.js';
import { ProcessKey, StepKey } from '../runtime/search-attributes.js';

/**
 * The engagement cadence of one client (DOMAIN §2.2, §2.3–§2.5, §2.9): at cadence lock it books a
 * rolling 12-month horizon from the policy's cadence matrix, runs every strategic
 * meeting's cycle (prep pack T-5 bd, pre-read, ≤2 decisions, recap 48h, CTAs 72h: R-24..R-32),
 * judges outcomes (§2.5) and recovers misses (R-33..R-35), and fires the six triggers (R-13..R-19)
 * with merge. Each month the horizon rolls; after a year it continues as new, carrying only
 * open obligations, so a client's history stays small for as long as the client stays.
 * The rules live in domain/cadence.ts; booking against capacity in the activity.
 */
export interface CadenceInput {
  clientId: string;
  /** Cadence lock. */
  lockedAt: string;
  policyVersion: number;
  /** Set by continue-as-new. */
  continued?: { setup: CadenceSetup; carried: Partial<CadenceState>; seen: [string, SeenAction][] };
}

export interface CadenceActionRequest {
  action: CadenceAction;
  /** C-6: a repeat of the key has no second effect and gets the first result. */
  idempotencyKey: string;
  bodyHash: string;
  actor: Actor;
  at: string;
}

export interface CadenceActionResult {
  accepted: true;
  action: CadenceAction['type'];
  sequence: number;
  duplicate: boolean;
  ctasOpened: string[];
  meetingsBooked: { meetingId: string; template: string; startsAt: string; state: string }[];
}

interface SeenAction { bodyHash: string; result: CadenceActionResult }

export type CadenceQueryResult = CadenceStatus | { clientId: string; phase: 'starting' };

export const cadenceStatus = defineQuery<CadenceQueryResult>('status');
export const cadenceAction = defineUpdate<CadenceActionResult, [CadenceActionRequest]>('action');
export const cadenceWorkflowId = (clientId: string) => `client/${clientId}/cadence`;
export const CADENCE_REFUSAL_TYPES = { 404: 'CadenceNotFound', 409: 'CadenceConflict', 422: 'CadenceUnprocessable' } as const;
export const CADENCE_PROCESS_VERSION = 1;
/** Horizon extensions (months) per run before continuing as new: one simulated year. */
const MONTHS_PER_RUN = 12;
/** Idempotency keys remembered across continue-as-new (C-6). */
const SEEN_CARRIED = 500;

const PROCESS = 'cadence';
const SYSTEM: Actor = { kind: 'system' };

const { prepareCadence, readCadenceClient, bookCadenceMeetings, changeCadenceSegment, recordProcessEffects } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export async function cadence(input: CadenceInput): Promise<void> {
  const { workflowId } = workflowInfo();
  let state: CadenceState | undefined;
  let changes = 0;
  const seen = new Map<string, SeenAction>(input.continued?.seen ?? []);
  const now = () => new Date(Date.now()).toISOString();

  setHandler(cadenceStatus, () => (state ? statusView(state, now()) : { clientId: input.clientId, phase: 'starting' }));
  setHandler(cadenceAction, handleAction, { validator: validateAction });
  upsertSearchAttributes([{ key: ProcessKey, value: PROCESS }, { key: StepKey, value: 'running' }]);

  // Setup: read the policy and client once; on the first run book the horizon and plan the date triggers.
  const setup = input.continued?.setup ?? (await prepareCadence({ clientId: input.clientId, lockedAt: input.lockedAt, policyVersion: input.policyVersion }));
  const s = initialState(setup, input.continued?.carried);
  if (!input.continued) {
    const at = now();
    await record('start', [event('process.started', 'R-10', {
      processVersion: CADENCE_PROCESS_VERSION, policyVersion: setup.policyVersion,
      inputs: { lockedAt: setup.lockedAt, segment: setup.segment, touchTier: setup.touchTier, fiscalYearEnd: setup.fiscalYearEnd, renewalDate: setup.renewalDate, timeZone: setup.timeZone },
    }, { horizonMonths: setup.policy.cadence.horizonMonths })], SYSTEM, at);
    const months = initialHorizon(s);
    await bookAndApply(`horizon-${months[0]}`, { plan: months }, at);
    s.bookedThrough = months[months.length - 1]!;
    await run('triggers-start', planDateTriggers(s, at), SYSTEM, at);
  }
  state = s;

  // Run: act at each due instant (cycle deadlines, triggers, the monthly horizon roll) unless a report moves things first.
  for (;;) {
    const next = nextDue(s)!;
    const before = changes;
    const wait = Date.parse(next.at) - Date.now();
    if (wait > 0 && (await condition(() => changes !== before, wait))) continue;
    const at = now();
    s.ticks += 1;
    if (next.key === 'horizon') {
      // Client changes reach the cadence from the API right away; monthly, it also re-reads the client so a change
      // that was not delivered (Temporal unreachable at the time) still re-plans triggers and segment.
      if (patched('monthly-client-sync')) await syncWithClient(at);
      const month = nextHorizonMonth(s);
      await bookAndApply(`t${s.ticks}-horizon-${month}`, { plan: [month] }, at);
      s.bookedThrough = month;
      s.extensionsThisRun += 1;
      await run(`t${s.ticks}-triggers`, planDateTriggers(s, at), SYSTEM, at);
      if (s.extensionsThisRun >= MONTHS_PER_RUN || workflowInfo().continueAsNewSuggested) break;
      continue;
    }
    await run(`t${s.ticks}-${next.key.split('|')[0]}`, due(s, next.key, at), SYSTEM, at);
  }
  // A simulated year is done: continue as new with the open obligations only.
  await condition(allHandlersFinished);
  await continueAsNew<typeof cadence>({
    clientId: input.clientId, lockedAt: input.lockedAt, policyVersion: setup.policyVersion,
    continued: { setup: s.setup, carried: carryOver(s, now()), seen: [...seen.entries()].slice(-SEEN_CARRIED) },
  });

  function validateAction(req: CadenceActionRequest): void {
    const repeat = repeatOf(seen.get(req.idempotencyKey), req);
    if (typeof repeat === 'object') refuse(repeat);
    if (repeat === 'duplicate') return; // acknowledged by the handler, no second effect (C-6)
    if (state) {
      const refusal = decide(state, req.action, req.at);
      if (refusal) refuse(refusal);
    }
  }

  async function handleAction(req: CadenceActionRequest): Promise<CadenceActionResult> {
    await condition(() => state !== undefined);
    const st = state!;
    const prior = seen.get(req.idempotencyKey);
    if (prior) {
      st.actions += 1;
      await record(`a${st.actions}-duplicate`, [event('signal.duplicate', 'C-6', { signal: req.action.type, idempotencyKey: req.idempotencyKey }, { firstSequence: prior.result.sequence })], req.actor, req.at);
      return { ...prior.result, duplicate: true };
    }
    const refusal = decide(st, req.action, req.at);
    if (refusal) refuse(refusal);
    let step: Step;
    if (req.action.type === 'segmentChanged') {
      st.actions += 1;
      step = await changeSegment(`a${st.actions}`, req.action, req.actor, req.at);
    } else {
      step = applyAction(st, req.action, req.at);
    }
    const sequence = st.actions;
    changes += 1;
    const result: CadenceActionResult = { accepted: true, action: req.action.type, sequence, duplicate: false, ctasOpened: [], meetingsBooked: [] };
    seen.set(req.idempotencyKey, { bodyHash: req.bodyHash, result });
    const done = await run(`a${sequence}`, step, req.actor, req.at);
    result.ctasOpened = done.ctas;
    result.meetingsBooked = done.booked;
    return result;
  }

  /** the activity diffs the booked meetings against the new segment's plan, restyles, cancels and books. */
  async function changeSegment(batchKey: string, change: Extract<CadenceAction, { type: 'segmentChanged' }>, actor: Actor, at: string): Promise<Step> {
    const result = await changeCadenceSegment({
      clientId: s.setup.clientId, workflowId, batchKey, actor, at, from: s.setup.segment, to: change.segment, touchTier: change.touchTier,
      changedAt: change.changedAt, setup: s.setup, bookedThrough: s.bookedThrough,
      booked: s.meetings.filter((m) => m.status === 'scheduled' && Date.parse(m.startsAt) > Date.parse(at)).map((m) => ({ key: m.key, kind: m.kind, template: m.template, startsAt: m.startsAt, meetingId: m.meetingId })),
    });
    const step = applySegmentChange(s, result, at);
    step.effects.unshift(event('process.fact_recorded', 'R-9', { fact: 'segmentChanged', details: { segment: result.segment, touchTier: result.touchTier, restyled: result.restyled.length, cancelled: result.cancelled.length, booked: result.booked.length } }));
    return step;
  }

  /** Catches up with client changes the API could not deliver (dates → re-plan, segment → R-9). */
  async function syncWithClient(at: string) {
    const current = await readCadenceClient({ clientId: s.setup.clientId });
    if (!current) return;
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
    const ctas = await record(batchKey, step.effects, actor, at);
    const booked: CadenceActionResult['meetingsBooked'] = [];
    if (step.book.length) {
      const after = await bookAndApply(`${batchKey}-book`, { requests: step.book }, at, actor);
      ctas.push(...after.ctas);
      booked.push(...after.booked);
    }
    return { ctas, booked };
  }

  async function bookAndApply(batchKey: string, what: { plan: string[] } | { requests: Step['book'] }, at: string, actor: Actor = SYSTEM) {
    const booked = await bookCadenceMeetings({ clientId: s.setup.clientId, workflowId, batchKey, actor, at, setup: s.setup, ...what });
    const ctas = await record(`${batchKey}-cycle`, applyBooked(s, booked, at).effects, actor, at);
    return { ctas, booked: booked.map((b) => ({ meetingId: b.meetingId, template: b.template, startsAt: b.startsAt, state: b.state })) };
  }

  async function record(batchKey: string, effects: Step['effects'], actor: Actor, at: string): Promise<string[]> {
    if (!effects.length) return [];
    const { ctas } = await recordProcessEffects({ clientId: input.clientId, process: PROCESS, workflowId, batchKey, actor, at, firstActionHours: setup.policy.meeting.firstActionHours, effects });
    return ctas;
  }
}

function refuse(r: Refusal): never {
  throw ApplicationFailure.create({ type: CADENCE_REFUSAL_TYPES[r.status], message: r.message, nonRetryable: true, details: [r] });
}
