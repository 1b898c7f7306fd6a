import { allHandlersFinished, condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type * as activities from './baseline-activities.js';

/**
 * The onboarding bench's baseline: the same shape as one Baton onboarding (setup activities, then
 * one Workflow Update after another, each running one activity, then completion) with no Baton
 * logic, no database and no HTTP. The bench passes the update and activity counts it read from a
 * recorded onboarding history, so the two differ only in what Baton adds.
 */
export interface BaselineInput {
  updates: number;
  activities: number;
}

export const baselineStep = defineUpdate<number, [number]>('step');

const { noop } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

export async function baseline(input: BaselineInput): Promise<number> {
  let ready = false;
  let ran = 0;
  let handled = 0;
  const activity = async () => {
    if (ran >= input.activities) return;
    ran += 1;
    await noop();
  };
  // Like the onboarding, an update waits for setup, then does its one activity.
  setHandler(baselineStep, async () => {
    await condition(() => ready);
    await activity();
    return ++handled;
  });
  // Setup takes the activities not spent on updates (the onboarding's plan and its recording).
  for (let i = 0; i < input.activities - input.updates; i++) await activity();
  ready = true;
  await condition(() => handled >= input.updates);
  await condition(allHandlersFinished);
  return ran;
}

/** The floor for opening a CTA or registering a client: a workflow start with nothing in it (bench/run.ts `bare`). */
export async function bare(): Promise<void> {}
