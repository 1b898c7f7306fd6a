import type { Client } from '@temporalio/client';
import type { Db } from '../db/client.js';
import type { Principal } from '../db/api-keys.js';
import type { Logger } from '../runtime/logger.js';

export interface ApiDeps {
  db: Db;
  logger: Logger;
  /**
   * The current instant. Wall time in production; the Temporal test server's clock in tests and
   * rehearsals, so API actions and workflow timers share one timeline.
   */
  now?: () => Promise<Date>;
  /** Absent when the API runs without Temporal (readiness then reports it). */
  temporal?: { client: Client; namespace: string; taskQueue: string };
}

export interface ApiEnv {
  Variables: {
    principal: Principal;
    requestId: string;
    deps: ApiDeps;
  };
}

export const currentTime = (deps: ApiDeps): Promise<Date> => (deps.now ? deps.now() : Promise.resolve(new Date()));
