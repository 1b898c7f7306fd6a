import { allHandlersFinished, condition, defineUpdate, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type * as activities from './baseline-activities.js';

/**
 * The onboarding bench's baseline: the same shape as one Baton onboarding (setup activities, then
 * one Workflow Update after another, each running one activity, then completion) with no Baton
 * logic, no database and no HTTP. The bench passes the update and activity counts it read from a
 * recorded onboarding history, so the two differ only in what Baton adds.
 */
export interface BaselineInput {
  updates: number;
  /** Regular activities (a task through the server each). */
  activities: number;
  /** Local activities (run by the worker inside the workflow task; Baton records most effects this way, kernel v3). */
  localActivities?: number;
}

export const baselineStep = defineUpdate<number, [number]>('step');

const { noop } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });
const local = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

export async function baseline(input: BaselineInput): Promise<number> {
  let ready = false;
  let ran = 0;
  let handled = 0;
  const locals = input.localActivities ?? 0;
  const total = input.activities + locals;
  // The activities in Baton's order: the regular ones (the onboarding's plan) first, then the local ones.
  const activity = async () => {
    if (ran >= total) return;
    ran += 1;
    await (ran <= input.activities ? noop() : local.noop());
  };
  // Like the onboarding, an update waits for setup, then does its one activity.
  setHandler(baselineStep, async () => {
    await condition(() => ready);
    await activity();
    return ++handled;
  });
  // Setup takes the activities not spent on updates (the onboarding's plan and its recording).
  for (let i = 0; i < total - input.updates; i++) await activity();
  ready = true;
  await condition(() => handled >= input.updates);
  await condition(allHandlersFinished);
  return ran;
}

/** The floor for opening a CTA or registering a client: a workflow start with nothing in it (bench/run.ts `bare`). */
export async function bare(): Promise<void> {}
