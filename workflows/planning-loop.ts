import { allHandlersFinished, condition, continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { Actor } from '../db/schema.js';
import type { LoopDue } from '../domain/planning-loop.js';
import { PLANNING_LOOP_REFUSAL_TYPES, planningLoopAction, planningLoopStatus, type PlanningLoopAction, type PlanningLoopInput, type PlanningLoopResult, type PlanningLoopStatus } from './contracts.js';
import { dueInstant, ProcessKernel } from './kernel.js';

/**
 * The client-level clocks of the planning loop (issue 11): roadmap freshness 120/180/365 days and
 * "unchanged for more than two quarters", reports unopened 5 business days, the
 * quarter close on its last business day at 17:00 (R-61 artefacts and decline reasons, R-84
 * variance and realization), the next Discovery and Assessment. It keeps no copy of
 * the records: each step reads them (activities), records its effects together with its mark, and
 * re-plans; the API tells it to re-read after a change (`refresh`). It continues as new each
 * simulated year.
 */
const SYSTEM: Actor = { kind: 'system' };
/** Quarter closes per run before continuing as new (one simulated year). */
const CLOSES_PER_RUN = 4;
const SEEN_CARRIED = 200;

interface LoopState { actions: number; dues: LoopDue[]; handled: number; closes: number }

const { planningLoopDues, planningLoopStep } = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { initialInterval: '1 second', maximumInterval: '1 minute' } });

export async function planningLoop(input: PlanningLoopInput): Promise<void> {
  const startedAt = input.startedAt ?? new Date(Date.now()).toISOString();
  const workflowId = workflowInfo().workflowId;
  const kernel = new ProcessKernel<LoopState, PlanningLoopAction, PlanningLoopResult>({
    process: 'planning-loop', clientId: input.clientId, refusalTypes: PLANNING_LOOP_REFUSAL_TYPES, initialStep: 'starting', seen: input.continued?.seen,
  });
  kernel.serveStatus(planningLoopStatus, (st): PlanningLoopStatus => ({ clientId: input.clientId, phase: 'running', startedAt, dues: st.dues.slice(0, 20), handled: st.handled }));
  kernel.serveReports(planningLoopAction, {
    decide: () => undefined,
    async accept(st) {
      st.actions += 1;
      st.dues = (await planningLoopDues({ clientId: input.clientId, startedAt }))?.dues ?? [];
      const result: PlanningLoopResult = { accepted: true, action: 'refresh', sequence: st.actions, duplicate: false, next: st.dues[0] ?? null };
      return { result, async complete() {} };
    },
    duplicateBatch: (st) => `refresh-${++st.actions}-duplicate`,
  });

  const first = await planningLoopDues({ clientId: input.clientId, startedAt });
  if (!first) return; // the client is gone
  const s: LoopState = { actions: input.continued?.actions ?? 0, dues: first.dues, handled: 0, closes: 0 };
  kernel.ready(s);
  kernel.step('running');

  await kernel.runDue({
    until: () => false,
    next: () => s.dues[0],
    async act(d) {
      const at = dueInstant(d.at);
      const { effects } = await planningLoopStep({ clientId: input.clientId, startedAt, key: d.key, now: at });
      // The step and its mark in one transaction: a due step lands once, whatever retries (the batch is named by the step).
      await kernel.record(`due/${d.key}`, [...effects, { kind: 'planning', write: { op: 'mark', subject: workflowId, key: d.key } }], SYSTEM, at);
      s.handled += 1;
      if (d.key.startsWith('quarter-close/')) s.closes += 1;
      s.dues = (await planningLoopDues({ clientId: input.clientId, startedAt }))?.dues ?? [];
      return s.closes >= CLOSES_PER_RUN || workflowInfo().continueAsNewSuggested ? 'stop' : 'continue';
    },
  });
  await condition(allHandlersFinished);
  await continueAsNew<typeof planningLoop>({ clientId: input.clientId, startedAt, continued: { actions: s.actions, seen: kernel.carriedSeen(SEEN_CARRIED) } });
}
