import { allHandlersFinished, condition, patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { Actor } from '../db/schema.js';
import {
  ONBOARDING_STEPS, applyAction, currentStep, deadlineDue, decide, handoffPacketEffects, initialState, nextDeadline, resumeImported, skipSteps, startEffects, statusView,
  type OnboardingAction, type OnboardingState, type OnboardingStatus, type OnboardingVersion,
} from '../domain/onboarding.js';
import {
  ONBOARDING_REFUSAL_TYPES, onboardingAction, onboardingStatus,
  type OnboardingActionResult, type OnboardingInput,
} from './contracts.js';
import { ProcessKernel } from './kernel.js';
import { packetItems } from '../domain/sale.js';

/**
 * Onboarding Day 0–90 (DOMAIN §2.8, R-46..R-57) for one client. It reads like the blueprint:
 * plan every deadline from the signature (Day 0), record the plan and shut the delivery gate
 * then wait for each deadline in turn while ops and automations report what happened;
 * a deadline that arrives unmet is missed and escalated, and the Day 90 closeout
 * turns what is still open into CTAs and ends the run. The rules live in domain/onboarding.ts;
 * reports, deadlines and recording run on the process kernel (workflows/kernel.ts).
 */

/**
 * Version of this workflow's process definition for runs starting now, recorded on
 * `process.started` (domain/onboarding.ts `OnboardingVersion` says what each changed). Decided once
 * at the start with `patched()`, carried in the state: runs started before a version keep theirs.
 */
export const ONBOARDING_PROCESS_VERSION: OnboardingVersion = 4;
/** Patch id of version 2 (R-57 D without a formal roadmap, R-58 Working Agreement, A-26 kickoff CTAs, access record). */
export const ONBOARDING_V2_PATCH = 'onboarding-2026-12';
/** Patch id of version 3 (step 0 reads the sale's handoff packet, R-44, R-46). */
export const ONBOARDING_V3_PATCH = 'onboarding-sale-handoff';
/** Patch id of version 4 (the kickoff invite waits for the handoff packet, R-46). */
export const ONBOARDING_V4_PATCH = 'onboarding-handoff-gate';
/** Patch id of the import start (issue 15): a run whose input says `imported` starts at that step. Asked only by such runs. */
export const ONBOARDING_IMPORT_PATCH = 'onboarding-import';

const SYSTEM: Actor = { kind: 'system' };

// A read (the plan is computed, nothing written): retried until the database answers.
const planning = { startToCloseTimeout: '15 seconds', retry: { initialInterval: '1 second', maximumInterval: '1 minute' } } as const;
const { prepareOnboarding } = proxyActivities<Activities>(planning);
// The same read as a local activity (issue 17): the first report waits on setup, and a local read
// saves it a task round trip through the server.
const localPlan = proxyLocalActivities<Activities>(planning);
/** Patch id of the plan read as a local activity (issue 17). */
export const ONBOARDING_LOCAL_PLAN_PATCH = 'onboarding-local-plan';

export async function onboarding(input: OnboardingInput): Promise<OnboardingStatus> {
  let rules: OnboardingState['rules'] | undefined;
  const kernel = new ProcessKernel<OnboardingState, OnboardingAction, OnboardingActionResult>({
    process: 'onboarding', clientId: input.clientId, refusalTypes: ONBOARDING_REFUSAL_TYPES, initialStep: 'planning', firstActionHours: () => rules!.firstActionHours,
  });
  kernel.serveStatus(onboardingStatus, (st) => statusView(st, st.closedAt ? 'completed' : 'running'));
  kernel.serveReports(onboardingAction, {
    decide,
    async accept(st, req) {
      const effects = applyAction(st, req.action, req.at);
      const result: OnboardingActionResult = { accepted: true, action: req.action.type, sequence: st.actions, duplicate: false, currentStep: null, gateOpen: st.gateOpen, ctasOpened: [] };
      return {
        result,
        async complete() {
          result.ctasOpened = await kernel.record(`action-${result.sequence}`, effects, req.actor, req.at);
          const cur = currentStep(st);
          result.currentStep = cur < ONBOARDING_STEPS.length ? { number: cur, name: ONBOARDING_STEPS[cur]!.name } : null;
          markStep(st);
        },
      };
    },
    duplicateData: (prior) => ({ firstEventId: `${kernel.workflowId}/action-${prior.sequence}/0` }),
  });

  // Which process definition this run follows, decided once (runs recorded before version 2 replay as version 1).
  // Each version is asked only of runs that follow the one before, so older histories replay without its marker.
  const version: OnboardingVersion = !patched(ONBOARDING_V2_PATCH) ? 1 : !patched(ONBOARDING_V3_PATCH) ? 2 : patched(ONBOARDING_V4_PATCH) ? 4 : 3;
  // Setup: plan Day 0–90 and record it (process.started, deadline.set ×N, gate.closed).
  const plan = patched(ONBOARDING_LOCAL_PLAN_PATCH) ? localPlan.prepareOnboarding : prepareOnboarding;
  // Asked after the plan is read; decided here, before anything is awaited, in runs that decide their patches at start (kernel.ts).
  const importPatch = input.imported ? kernel.patch(ONBOARDING_IMPORT_PATCH) : () => false;
  const start = await plan({
    clientId: input.clientId, signedAt: input.signedAt, policyVersion: input.policyVersion, riskFlag: input.riskFlag ?? false, accessSystems: input.accessSystems,
    ...(version >= 2 ? { version: 2 as const } : {}), // the plan is version 2's (version 3 changes step 0 only)
  });
  const s = initialState({ ...start, version });
  rules = s.rules;
  const startedAt = new Date(Date.now()).toISOString();
  const opening = [...startEffects(s, { riskFlag: start.riskFlag, accessSystems: start.accessSystems, processVersion: version }), ...skipSteps(s, startedAt)];
  // v3: step 0 reads the handoff packet the sale assembled.
  if (version >= 3 && input.handoffPacket) {
    opening.push(...handoffPacketEffects(s, { saleWorkflowId: input.handoffPacket.saleWorkflowId, ...packetItems(input.handoffPacket, s.rules.handoffPacketItems) }, startedAt));
  }
  // Issue 15: a client imported mid-onboarding starts at its step, its past not judged (no back-dated CTAs).
  if (input.imported && importPatch()) opening.push(...resumeImported(s, input.imported.step, startedAt));
  await kernel.record('start', opening, SYSTEM, startedAt);
  kernel.ready(s);
  markStep(s);

  // Run: judge each deadline at its instant unless a report moves things first.
  await kernel.runDue({
    until: () => !!s.closedAt,
    next: () => {
      const d = nextDeadline(s);
      return d && { key: d.key, at: d.dueAt };
    },
    async act(next) {
      const d = s.deadlines.find((x) => x.key === next.key)!;
      const effects = deadlineDue(s, next.key, new Date(Date.now()).toISOString());
      if (effects.length) await kernel.record(`deadline/${next.key}`, effects, SYSTEM, d.resolvedAt ?? d.dueAt);
      return 'continue';
    },
  });
  await condition(allHandlersFinished);
  markStep(s);
  return statusView(s, 'completed');

  function markStep(st: OnboardingState) {
    const cur = currentStep(st);
    kernel.step(st.closedAt ? 'closed' : cur < ONBOARDING_STEPS.length ? ONBOARDING_STEPS[cur]!.name : 'closing');
  }
}
