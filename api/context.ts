import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Db } from '../db/client.js';
import type { Principal } from '../db/api-keys.js';
import type { Logger } from '../runtime/logger.js';
import type { AuthThrottle } from './auth-throttle.js';
import type { BatonMetrics } from './metrics.js';
import type { ConsoleOptions } from '../console/options.js';

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
  /** The payload codec of Baton's clients and workers, served at /codec for the Temporal Web UI (issue 18). */
  payloadCodec?: PayloadCodec;
  /** The process's Prometheus metrics (api/metrics.ts); by default a registry of the API's own with the database gauges. */
  metrics?: BatonMetrics;
  /** Edge limits and browser access; defaults in `API_DEFAULTS`. */
  options?: Partial<ApiOptions>;
  /** The web console's sign-in and links (console/options.ts); defaults: API-key sign-in only. */
  console?: Partial<ConsoleOptions>;
}

export interface ApiOptions {
  /** Largest request body accepted; more is a 413. */
  maxBodyBytes: number;
  /** Wrong or malformed API keys an address may send per minute before it gets 429s. */
  authFailuresPerMinute: number;
  /** Origins allowed to call the API from a browser (CORS); none by default. */
  corsOrigins: string[];
  /** How long a request holds its Idempotency-Key before a retry may take over (the API may have died). */
  idempotencyLeaseSeconds: number;
  /** Origins of the Temporal Web UI allowed to call /codec from a browser (with credentials). */
  codecCorsOrigins: string[];
}

export const API_DEFAULTS: ApiOptions = { maxBodyBytes: 256 * 1024, authFailuresPerMinute: 20, corsOrigins: [], idempotencyLeaseSeconds: 60, codecCorsOrigins: [] };

/** The API's options with defaults filled in. */
export const apiOptions = (deps: ApiDeps): ApiOptions => ({ ...API_DEFAULTS, ...deps.options });

export interface ApiEnv {
  Variables: {
    principal: Principal;
    requestId: string;
    deps: ApiDeps;
    authThrottle: AuthThrottle;
    /** Set when this request took over the Idempotency-Key of an attempt that died (api/idempotency.ts). */
    idempotencyTakeover: boolean;
    /** Set by a handler whose answer shows a secret once (a webhook signing secret): its response is not kept for replay (api/idempotency.ts). */
    responseHoldsSecret: boolean;
  };
}

export const currentTime = (deps: ApiDeps): Promise<Date> => (deps.now ? deps.now() : Promise.resolve(new Date()));
