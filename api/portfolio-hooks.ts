import type { Context } from 'hono';
import { evaluateCapacityGap } from '../runtime/processes.js';
import { currentTime, type ApiEnv } from './context.js';

/**
 * after a committed change of clients, people or policy (which recorded the need in the
 * outbox, db/portfolio.ts), re-evaluate the capacity-gap alert at once. A failure here loses
 * nothing: the worker's outbox dispatcher runs the evaluation within seconds.
 */
export async function afterCapacityChange(c: Context<ApiEnv>): Promise<void> {
  const deps = c.get('deps');
  try {
    await evaluateCapacityGap(deps.temporal, deps.db, (await currentTime(deps)).toISOString());
  } catch (err) {
    deps.logger.warn({ err }, 'capacity-gap evaluation deferred to the outbox dispatcher');
  }
}
