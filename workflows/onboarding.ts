import {
  ApplicationFailure, allHandlersFinished, condition, defineQuery, defineUpdate,
  proxyActivities, setHandler, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { Actor } from '../db/schema.js';
import {
  ONBOARDING_STEPS, applyAction, currentStep, deadlineDue, decide, initialState, nextDeadline, skipSteps, startEffects, statusView,
  type OnboardingAction, type OnboardingEffect, type OnboardingState, type OnboardingStatus, type Refusal,
} from '../domain/onboarding.js';
import { repeatOf } from '../domain/repeats.js';
import { ProcessKey, StepKey } from '../runtime/search-attributes.js';

/**
 * Onboarding Day 0–90 (DOMAIN §2.8, R-46..R-57) for one client. It reads like the blueprint:
 * plan every deadline from the signature (Day 0), record the plan and shut the delivery gate
 * then wait for each deadline in turn while ops and automations report what happened;
 * a deadline that arrives unmet is missed and escalated, and the Day 90 closeout
 * turns what is still open into CTAs and ends the run. The rules live in domain/onboarding.ts.
 */
export interface OnboardingInput {
  clientId: string;
  /** Day 0: the signature instant (may lie in the past: passed deadlines fire at once, marked late). */
  signedAt: string;
  policyVersion: number;
  /** a D client with a risk flag gets discovery/assessment. */
  riskFlag?: boolean;
  /** Access-matrix rows; default `onboarding.accessMatrixSystems`. */
  accessSystems?: string[];
}

export interface OnboardingActionRequest {
  action: OnboardingAction;
  /** C-6: the caller's idempotency key; a repeat has no second effect and gets the first result. */
  idempotencyKey: string;
  /** Hash of the request body, so a key reused for another body is refused. */
  bodyHash: string;
  actor: Actor;
  /** When the action happened, on the API's clock. */
  at: string;
}

export interface OnboardingActionResult {
  accepted: true;
  action: OnboardingAction['type'];
  /** The sequence number of this action in the run (1, 2, …). */
  sequence: number;
  duplicate: boolean;
  currentStep: { number: number; name: string } | null;
  gateOpen: boolean;
  ctasOpened: string[];
}

/** Status as the API shows it; `phase: 'starting'` until the plan is recorded. */
export type OnboardingQueryResult = OnboardingStatus | { clientId: string; phase: 'starting' };

export const onboardingStatus = defineQuery<OnboardingQueryResult>('status');
export const onboardingAction = defineUpdate<OnboardingActionResult, [OnboardingActionRequest]>('action');
export const onboardingWorkflowId = (clientId: string) => `client/${clientId}/onboarding`;
/** Refusal failure types; the API maps them to 409 and 422 problems. */
export const REFUSAL_TYPES = { 409: 'OnboardingConflict', 422: 'OnboardingUnprocessable' } as const;
/** Version of this workflow's process definition, recorded on `process.started`. Bump with `patched()`. */
export const ONBOARDING_PROCESS_VERSION = 1;

const PROCESS = 'onboarding';
const SYSTEM: Actor = { kind: 'system' };

const { prepareOnboarding, recordProcessEffects } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export async function onboarding(input: OnboardingInput): Promise<OnboardingStatus> {
  const { workflowId } = workflowInfo();
  let state: OnboardingState | undefined;
  /** Bumped by every accepted action, so the deadline wait re-plans. */
  let changes = 0;
  const seen = new Map<string, { bodyHash: string; result: OnboardingActionResult }>();
  let duplicates = 0;

  setHandler(onboardingStatus, () => (state ? statusView(state, state.closedAt ? 'completed' : 'running') : { clientId: input.clientId, phase: 'starting' }));
  setHandler(onboardingAction, handleAction, { validator: validateAction });
  upsertSearchAttributes([{ key: ProcessKey, value: PROCESS }, { key: StepKey, value: 'planning' }]);

  // Setup: plan Day 0–90 and record it (process.started, deadline.set ×N, gate.closed).
  const start = await prepareOnboarding({ clientId: input.clientId, signedAt: input.signedAt, policyVersion: input.policyVersion, riskFlag: input.riskFlag ?? false, accessSystems: input.accessSystems });
  const s = initialState(start);
  const startedAt = new Date(Date.now()).toISOString();
  const opening = [...startEffects(s, { riskFlag: start.riskFlag, accessSystems: start.accessSystems, processVersion: ONBOARDING_PROCESS_VERSION }), ...skipSteps(s, startedAt)];
  await record(s, 'start', opening, SYSTEM, startedAt);
  state = s;
  markStep(s);

  // Run: judge each deadline at its instant unless an action moves things first.
  while (!s.closedAt) {
    const next = nextDeadline(s);
    const before = changes;
    if (!next) {
      await condition(() => changes !== before);
      continue;
    }
    const wait = Date.parse(next.dueAt) - Date.now();
    if (wait > 0 && (await condition(() => changes !== before, wait))) continue;
    const effects = deadlineDue(s, next.key, new Date(Date.now()).toISOString());
    if (effects.length) await record(s, `deadline/${next.key}`, effects, SYSTEM, next.resolvedAt ?? next.dueAt);
  }
  await condition(allHandlersFinished);
  markStep(s);
  return statusView(s, 'completed');

  function validateAction(req: OnboardingActionRequest): void {
    const repeat = repeatOf(seen.get(req.idempotencyKey), req);
    if (typeof repeat === 'object') refuse(repeat);
    if (repeat === 'duplicate') return; // acknowledged by the handler, no second effect (C-6)
    if (state) {
      const refusal = decide(state, req.action, req.at);
      if (refusal) refuse(refusal);
    }
  }

  async function handleAction(req: OnboardingActionRequest): Promise<OnboardingActionResult> {
    await condition(() => state !== undefined);
    const st = state!;
    const prior = seen.get(req.idempotencyKey);
    if (prior) {
      // C-6: acknowledged and ignored, but visible on the timeline.
      duplicates += 1;
      await record(st, `duplicate-${duplicates}`, [{
        kind: 'event', type: 'signal.duplicate', ruleId: 'C-6', why: { firstSequence: prior.result.sequence },
        data: { signal: req.action.type, idempotencyKey: req.idempotencyKey, firstEventId: `${workflowId}/action-${prior.result.sequence}/0` },
      }], req.actor, req.at);
      return { ...prior.result, duplicate: true };
    }
    const refusal = decide(st, req.action, req.at); // the state may have moved since validation
    if (refusal) refuse(refusal);
    const effects = applyAction(st, req.action, req.at);
    const sequence = st.actions;
    changes += 1;
    const result: OnboardingActionResult = { accepted: true, action: req.action.type, sequence, duplicate: false, currentStep: null, gateOpen: st.gateOpen, ctasOpened: [] };
    seen.set(req.idempotencyKey, { bodyHash: req.bodyHash, result });
    result.ctasOpened = await record(st, `action-${sequence}`, effects, req.actor, req.at);
    const cur = currentStep(st);
    result.currentStep = cur < ONBOARDING_STEPS.length ? { number: cur, name: ONBOARDING_STEPS[cur]!.name } : null;
    markStep(st);
    return result;
  }

  /** Records effects through the activity, which also starts each new CTA's first-action clock (C-5, R-122). */
  async function record(st: OnboardingState, batchKey: string, effects: OnboardingEffect[], actor: Actor, at: string): Promise<string[]> {
    if (!effects.length) return [];
    const { ctas } = await recordProcessEffects({ clientId: st.clientId, process: PROCESS, workflowId, batchKey, actor, at, firstActionHours: st.rules.firstActionHours, effects });
    return ctas;
  }

  function markStep(st: OnboardingState) {
    const cur = currentStep(st);
    upsertSearchAttributes([{ key: StepKey, value: st.closedAt ? 'closed' : cur < ONBOARDING_STEPS.length ? ONBOARDING_STEPS[cur]!.name : 'closing' }]);
  }
}

function refuse(r: Refusal): never {
  throw ApplicationFailure.create({ type: REFUSAL_TYPES[r.status], message: r.message, nonRetryable: true, details: [r] });
}
