import { createHash, randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { decodeArrayFromPayloads, decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/codec-helpers.js';
import type { Payload, QueryDefinition, UpdateDefinition } from '@temporalio/common';
import type { Context } from 'hono';
import { getClient } from '../db/clients.js';
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { appendEvent } from '../db/ledger.js';
import { events } from '../db/schema.js';
import type { Actor } from '../db/schema.js';
import { actorOf } from './actor.js';
import { currentTime, type ApiEnv } from './context.js';
import { idempotencyKeyOf } from './idempotency.js';
import { notFound, ProblemError } from './problem.js';
import { PROCESS_FAILURE_TYPE } from '../workflows/contracts.js';
import { repeatOf } from '../domain/repeats.js';

/**
 * Reports to a running process are Workflow Updates; this turns the workflow's verdict into the
 * HTTP answer, the same for every process: 200 accepted (or a duplicate, C-6), the refusal's
 * 404/409/422 problem, "already finished" (409, logged as late: C-6, R-124), or 404 when the
 * client has no such process.
 */
export interface ProcessActionRequest { action: { type: string }; idempotencyKey: string; bodyHash?: string; actor: Actor; at: string }

/** A report that reached a finished process (C-6, R-124): when it finished, if known. */
export interface LateReport { finishedAt?: string }
/** What to do instead of the default "already finished" answer, e.g. R-124's access-complete after closeout. */
export type LateHandler<L> = (late: LateReport) => Promise<L>;

export interface ProcessTarget {
  process: string;
  /** e.g. "onboarding", for messages. */
  label: string;
  /** Null for a portfolio process (a governance routine). */
  clientId: string | null;
  workflowId: string;
  /** Failure types the workflow's validator throws, keyed by status. */
  refusalTypes: Record<number, string>;
  /** How to start it, for the 404 message. */
  startHint: string;
  /** The 404 when the process does not run (default: about the client and the process). */
  whenMissing?: () => ProblemError;
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

export async function sendProcessAction<R, Req extends ProcessActionRequest, L = never>(
  c: Context<ApiEnv>, t: ProcessTarget, update: UpdateDefinition<R, [Req]>, request: Req, whenFinished?: LateHandler<L>,
): Promise<R | L> {
  const temporal = requireTemporal(c);
  const late = (finishedAt?: string) => (whenFinished ? whenFinished(finishedAt ? { finishedAt } : {}) : lateAnswer(c, t, request, finishedAt));
  const handle: WorkflowHandle = temporal.client.workflow.getHandle(t.workflowId);
  try {
    return await handle.executeUpdate(update, { args: [request] });
  } catch (err) {
    const failed = failureOf(err);
    if (failed) throw processFailed(t, request, failed);
    const refusal = refusalOf(err, t.refusalTypes);
    if (refusal) {
      if (refusal.ruleId === 'R-124') return late();
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
      // Temporal itself is briefly unavailable (e.g. "shard status unknown" from a starved dev server): as busy.
      if (busy(e)) throw processBusy(t);
      throw e;
    }
    if (described.status.name !== 'RUNNING') {
      const before = await answeredBeforeClose<R>(c, t, handle, request);
      return before ?? late(described.closeTime?.toISOString());
    }
    if (busy(err)) throw processBusy(t);
    throw err;
  }
}

/**
 * C-6 across the close. The report that finished a process (a closeout, a decision) may be
 * repeated because its answer was lost (the caller or the API went away after the Update
 * completed). The workflow no longer holds its seen keys, but its history does, for the
 * namespace's retention: the Update accepted with this Idempotency-Key and its recorded result.
 * The repeat is answered like a duplicate while running (the first result, `duplicate: true`,
 * once on the timeline as `signal.duplicate`); the same key with another body is refused (422).
 * Undefined when no accepted report carried the key: the report is late.
 */
async function answeredBeforeClose<R>(c: Context<ApiEnv>, t: ProcessTarget, handle: WorkflowHandle, request: ProcessActionRequest): Promise<R | undefined> {
  if (request.idempotencyKey.startsWith('generated/') || !request.bodyHash) return undefined;
  const converter = requireTemporal(c).client.options.loadedDataConverter;
  const events = (await handle.fetchHistory()).events ?? [];
  /** Each completed Update's result, by update id (null: it failed). */
  const results = new Map<string, Payload[] | null>();
  // Newest first: the report that closed the process is among the last accepted.
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const e = events[i]!;
    const done = e.workflowExecutionUpdateCompletedEventAttributes;
    if (done?.meta?.updateId && done.outcome) results.set(done.meta.updateId, done.outcome.success?.payloads ?? null);
    const accepted = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
    if (!accepted) continue;
    const [first] = await decodeArrayFromPayloads(converter, accepted.input?.args?.payloads) as [Partial<ProcessActionRequest> | undefined];
    if (first?.idempotencyKey !== request.idempotencyKey) continue;
    const repeat = repeatOf(first.bodyHash ? { bodyHash: first.bodyHash } : undefined, { idempotencyKey: request.idempotencyKey, bodyHash: request.bodyHash });
    if (typeof repeat === 'object') throw new ProblemError(422, `${t.process}-unprocessable`, 'Cannot be applied', repeat.message, { ruleId: repeat.ruleId });
    const result = results.get(accepted.meta?.updateId ?? '');
    if (repeat !== 'duplicate' || !result) return undefined;
    const prior = await decodeFromPayloadsAtIndex<R & { sequence?: number }>(converter, 0, result);
    await appendEvent(c.get('deps').db, {
      id: `${t.workflowId}/duplicate-after-close/${keyDigest(request.idempotencyKey)}`,
      occurredAt: request.at, clientId: t.clientId, process: t.process, workflowId: t.workflowId, type: 'signal.duplicate', ruleId: 'C-6', actor: request.actor,
      why: { reason: `a repeat of the report that the ${t.label} took before it finished; nothing changed`, ...(prior.sequence !== undefined ? { firstSequence: prior.sequence } : {}) },
      data: { signal: request.action.type, idempotencyKey: request.idempotencyKey },
    });
    return { ...prior, duplicate: true };
  }
  return undefined;
}

/**
 * The workflow cannot take an Update right now (its task failed or timed out and is being retried,
 * e.g. a worker overloaded or restarting, or the server cannot answer): nothing was recorded; the
 * same request with the same Idempotency-Key is safe later.
 */
function processBusy(t: ProcessTarget): ProblemError {
  return new ProblemError(503, 'process-busy', 'The process cannot take reports right now', `The ${t.label} of client ${t.clientId} is recovering (its workflow task is being retried); nothing was recorded. Retry with the same Idempotency-Key.`, {}, { 'retry-after': '5' });
}

/** gRPC FAILED_PRECONDITION (9) / UNAVAILABLE (14) / DEADLINE_EXCEEDED (4) under an Update: transient, not the report's fault. */
function busy(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = (e as Error & { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (code === 9 || code === 14 || code === 4) return true;
  }
  return false;
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

/** C-6, R-124: a signal for a finished process changes nothing, is logged as late (once per key) and answered "already finished". */
async function lateAnswer(c: Context<ApiEnv>, t: ProcessTarget, request: ProcessActionRequest, finishedAt?: string): Promise<never> {
  const { duplicate } = await logLateSignal(c.get('deps').db, t, request, finishedAt);
  throw new ProblemError(409, 'already-finished', 'Already finished',
    duplicate
      ? `The ${t.label} of client ${t.clientId} has already finished; this repeat of the ${request.action.type} signal (Idempotency-Key seen before) is a duplicate and was already logged as late (C-6, R-124).`
      : `The ${t.label} of client ${t.clientId} has already finished; the ${request.action.type} signal changed nothing and is logged as late (C-6, R-124).`,
    { ruleId: 'R-124', duplicate });
}

/**
 * Logs a late signal on the timeline (`signal.late`, R-124). C-6: a repeat with the same
 * Idempotency-Key is a duplicate — the first entry stands and no second is written (the event id
 * derives from the key); the same key with another body is refused (422). Reports without a key
 * of their own cannot be recognised as repeats and are logged each time.
 */
export async function logLateSignal(db: Pick<Db, 'insert' | 'select'>, t: Pick<ProcessTarget, 'process' | 'label' | 'clientId' | 'workflowId'>, request: ProcessActionRequest, finishedAt?: string): Promise<{ duplicate: boolean; eventId: string }> {
  const keyed = !request.idempotencyKey.startsWith('generated/');
  const eventId = `${t.workflowId}/late/${keyed ? keyDigest(request.idempotencyKey) : randomUUID()}`;
  const inserted = await appendEvent(db, {
    id: eventId, occurredAt: request.at, clientId: t.clientId, process: t.process, workflowId: t.workflowId, type: 'signal.late', ruleId: 'R-124', actor: request.actor,
    why: { reason: `the ${t.label} has finished; nothing changed`, rule: 'C-6', ...(request.bodyHash ? { bodyHash: request.bodyHash } : {}) },
    data: { signal: request.action.type, ...(keyed ? { idempotencyKey: request.idempotencyKey } : {}), ...(finishedAt ? { finishedAt } : {}) },
  });
  if (inserted) return { duplicate: false, eventId };
  const [first] = await db.select({ why: events.why, data: events.data }).from(events).where(and(eq(events.id, eventId), t.clientId === null ? isNull(events.clientId) : eq(events.clientId, t.clientId)));
  const firstHash = (first?.why as { bodyHash?: string } | undefined)?.bodyHash;
  if (!first || (firstHash && request.bodyHash && firstHash !== request.bodyHash) || (first.data as { signal?: string }).signal !== request.action.type) {
    throw new ProblemError(422, 'idempotency-key-reused', 'Idempotency-Key reused', `The key ${request.idempotencyKey} was first used for another ${t.label} report; a repeat must send the same body (C-6).`);
  }
  return { duplicate: true, eventId };
}

/** A caller's Idempotency-Key as part of a ledger event id: one event per key, whatever the key holds. */
const keyDigest = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 32);

export async function noProcess(c: Context<ApiEnv>, t: Pick<ProcessTarget, 'clientId' | 'label' | 'startHint' | 'whenMissing'>) {
  if (t.whenMissing) return t.whenMissing();
  if (t.clientId === null || !(await getClient(c.get('deps').db, t.clientId))) return notFound('Client', t.clientId ?? '');
  return new ProblemError(404, 'not-found', `${t.label[0]!.toUpperCase()}${t.label.slice(1)} not found`, `Client ${t.clientId} has no ${t.label}; ${t.startHint}.`);
}

export function requireTemporal(c: Context<ApiEnv>) {
  const { temporal } = c.get('deps');
  if (!temporal) throw new ProblemError(503, 'unavailable', 'Workflows unavailable', 'This API runs without Temporal, so processes cannot be started or signalled.');
  return temporal;
}
