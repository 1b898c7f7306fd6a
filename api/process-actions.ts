import { createHash, randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { QueryDefinition, UpdateDefinition } from '@temporalio/common';
import type { Context } from 'hono';
import { getClient } from '../db/clients.js';
import { appendEvent } from '../db/ledger.js';
import type { Actor } from '../db/schema.js';
import { actorOf } from './actor.js';
import { currentTime, type ApiEnv } from './context.js';
import { idempotencyKeyOf } from './idempotency.js';
import { notFound, ProblemError } from './problem.js';
import { PROCESS_FAILURE_TYPE } from '../workflows/contracts.js';

/**
 * Reports to a running process are Workflow Updates; this turns the workflow's verdict into the
 * HTTP answer, the same for every process: 200 accepted (or a duplicate, C-6), the refusal's
 * 404/409/422 problem, "already finished" (409, logged as late: C-6, R-124), or 404 when the
 * client has no such process.
 */
export interface ProcessActionRequest { action: { type: string }; idempotencyKey: string; actor: Actor; at: string }

export interface ProcessTarget {
  process: string;
  /** e.g. "onboarding", for messages. */
  label: string;
  clientId: string;
  workflowId: string;
  /** Failure types the workflow's validator throws, keyed by status. */
  refusalTypes: Record<number, string>;
  /** How to start it, for the 404 message. */
  startHint: string;
}

interface Refusal { status: number; message: string; ruleId?: string; details?: Record<string, unknown> }

/**
 * What every report carries besides its action: the caller's Idempotency-Key (C-6; a generated one
 * when absent), a hash of what was sent (`scope` names the operation, so one key on two operations
 * differs), who sent it and when, on the API's clock.
 */
export async function reportEnvelope(c: Context<ApiEnv>, scope: string) {
  const now = await currentTime(c.get('deps'));
  const raw = await c.req.text();
  return {
    now,
    idempotencyKey: idempotencyKeyOf(c) ?? `generated/${randomUUID()}`,
    bodyHash: createHash('sha256').update(`${scope}\n${raw}`).digest('hex'),
    actor: actorOf(c),
    at: now.toISOString(),
  };
}

/** A process's status query; 404 when the client has no such process (or no such client). */
export async function queryProcess<R>(c: Context<ApiEnv>, t: ProcessTarget, query: QueryDefinition<R>): Promise<R> {
  try {
    return await requireTemporal(c).client.workflow.getHandle(t.workflowId).query(query);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw await noProcess(c, t);
    throw err;
  }
}

export async function sendProcessAction<R, Req extends ProcessActionRequest>(c: Context<ApiEnv>, t: ProcessTarget, update: UpdateDefinition<R, [Req]>, request: Req): Promise<R> {
  const temporal = requireTemporal(c);
  const handle: WorkflowHandle = temporal.client.workflow.getHandle(t.workflowId);
  try {
    return await handle.executeUpdate(update, { args: [request] });
  } catch (err) {
    const failed = failureOf(err);
    if (failed) throw processFailed(t, request, failed);
    const refusal = refusalOf(err, t.refusalTypes);
    if (refusal) {
      if (refusal.ruleId === 'R-124') throw await late(c, t, request);
      const kind = refusal.status === 409 ? 'refused' : refusal.status === 404 ? 'not-found' : 'unprocessable';
      const title = refusal.status === 409 ? 'Refused in the current state' : refusal.status === 404 ? 'Not found' : 'Cannot be applied';
      throw new ProblemError(refusal.status as 404 | 409 | 422, refusal.status === 404 ? 'not-found' : `${t.process}-${kind}`, title, refusal.message, {
        ...(refusal.ruleId ? { ruleId: refusal.ruleId } : {}), ...(refusal.details ? { details: refusal.details } : {}),
      });
    }
    // Not a verdict: the process does not exist, or it has finished.
    let described;
    try {
      described = await handle.describe();
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) throw await noProcess(c, t);
      throw e;
    }
    if (described.status.name !== 'RUNNING') throw await late(c, t, request, described.closeTime?.toISOString());
    throw err;
  }
}

/** The kernel could not record the report (workflows/kernel.ts): nothing changed, and the timeline says so. */
function failureOf(err: unknown): { retryable: boolean; failureType: string; message: string } | undefined {
  for (let e: unknown = err; e instanceof Error; e = (e as Error & { cause?: unknown }).cause) {
    if (e instanceof ApplicationFailure && e.type === PROCESS_FAILURE_TYPE) {
      const d = (e.details?.[0] ?? {}) as { retryable?: boolean; failureType?: string };
      return { retryable: d.retryable ?? true, failureType: d.failureType ?? 'unknown', message: e.message };
    }
  }
  return undefined;
}

/** A permanent failure is the report's own fault (422); a transient one (the database away through every retry) may be retried (503). */
function processFailed(t: ProcessTarget, request: ProcessActionRequest, f: { retryable: boolean; failureType: string; message: string }) {
  const ext = { failureType: f.failureType, action: request.action.type };
  return f.retryable
    ? new ProblemError(503, 'process-unavailable', 'Could not be recorded now', `${f.message} Retry later with the same Idempotency-Key.`, ext, { 'retry-after': '60' })
    : new ProblemError(422, `${t.process}-report-failed`, 'Could not be recorded', f.message, ext);
}

function refusalOf(err: unknown, types: Record<number, string>): Refusal | undefined {
  const known = Object.values(types);
  for (let e: unknown = err; e instanceof Error; e = (e as Error & { cause?: unknown }).cause) {
    if (e instanceof ApplicationFailure && known.includes(e.type as string)) return e.details?.[0] as Refusal;
  }
  return undefined;
}

/** C-6, R-124: a signal for a finished process changes nothing, is logged as late and answered "already finished". */
async function late(c: Context<ApiEnv>, t: ProcessTarget, request: ProcessActionRequest, finishedAt?: string) {
  await appendEvent(c.get('deps').db, {
    occurredAt: request.at, clientId: t.clientId, process: t.process, workflowId: t.workflowId, type: 'signal.late', ruleId: 'R-124', actor: request.actor,
    why: { reason: `the ${t.label} has finished; nothing changed`, rule: 'C-6' },
    data: { signal: request.action.type, ...(request.idempotencyKey.startsWith('generated/') ? {} : { idempotencyKey: request.idempotencyKey }), ...(finishedAt ? { finishedAt } : {}) },
  });
  return new ProblemError(409, 'already-finished', 'Already finished', `The ${t.label} of client ${t.clientId} has already finished; the ${request.action.type} signal changed nothing and is logged as late (C-6, R-124).`, { ruleId: 'R-124' });
}

export async function noProcess(c: Context<ApiEnv>, t: Pick<ProcessTarget, 'clientId' | 'label' | 'startHint'>) {
  if (!(await getClient(c.get('deps').db, t.clientId))) return notFound('Client', t.clientId);
  return new ProblemError(404, 'not-found', `${t.label[0]!.toUpperCase()}${t.label.slice(1)} not found`, `Client ${t.clientId} has no ${t.label}; ${t.startHint}.`);
}

export function requireTemporal(c: Context<ApiEnv>) {
  const { temporal } = c.get('deps');
  if (!temporal) throw new ProblemError(503, 'unavailable', 'Workflows unavailable', 'This API runs without Temporal, so processes cannot be started or signalled.');
  return temporal;
}
