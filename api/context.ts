import type { Client } from '@temporalio/client';
import type { Db } from '../db/client.js';
import type { Principal } from '../db/api-keys.js';
import type { Logger } from '../runtime/logger.js';

export interface ApiDeps {
  db: Db;
  logger: Logger;
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
