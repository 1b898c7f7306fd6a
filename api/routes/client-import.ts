import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { Context } from 'hono';
import { inArray } from 'drizzle-orm';
import { regionProblem } from '../../db/client-calendar.js';
import { isUniqueViolation } from '../../db/errors.js';
import { createClient, updateClient, type ClientInput, type ClientRow } from '../../db/clients.js';
import { activePolicy } from '../../db/policies.js';
import { clients } from '../../db/schema.js';
import { atLocalTime, makeCalendar } from '../../domain/business-time.js';
import { IMPORT_COLUMNS, parseClientCsv, type ImportError, type ImportRow } from '../../domain/client-import.js';
import { deliveryIdFor } from '../../db/deliveries.js';
import { dispatchWorkflowStart, ensureCadence, startOnboarding, type TemporalTarget } from '../../runtime/processes.js';
import { onboardingWorkflowId } from '../../workflows/contracts.js';
import { writeContext } from '../actor.js';
import { currentTime, type ApiEnv } from '../context.js';
import { afterCapacityChange } from '../portfolio-hooks.js';
import { conflict, ProblemError, unprocessable } from '../problem.js';
import { jsonBody, jsonResponse, ROLE_SETS, securedRoute } from '../route.js';
import { notifyCadenceOfClientChange } from './cadence.js';

export const RowError = z.object({
  row: z.number().int().openapi({ description: 'The line in the file (the header is line 1).' }),
  column: z.string().nullable().openapi({ description: 'The column, or null for a problem of the whole row or file.' }),
  message: z.string(),
}).openapi('ImportRowError');

export const ProcessOutcome = z.enum(['started', 'running', 'already-ran', 'not-started', 'none']).openapi({
  description: '`started` now; `running` already (a re-import); `already-ran` (an onboarding runs once per client); `not-started` (Temporal unreachable: import again to start it); `none` (not this lifecycle).',
});
export const RowResult = z.object({
  row: z.number().int(),
  externalRef: z.string(),
  name: z.string(),
  action: z.enum(['create', 'update', 'unchanged']).openapi({ description: 'Matched by externalRef: a new client, changed fields, or nothing to change.' }),
  clientId: z.string().nullable().openapi({ description: 'Null for a client a dry run would create.' }),
  lifecycle: z.enum(['onboarding', 'engagement', 'none']),
  changes: z.array(z.string()).openapi({ description: 'The fields an update changes.' }),
  processes: z.object({ onboarding: ProcessOutcome, cadence: ProcessOutcome }).optional().openapi({ description: 'Absent in a dry run.' }),
}).openapi('ImportRowResult');

export const ImportResult = z.object({
  dryRun: z.boolean(),
  total: z.number().int().openapi({ description: 'Client rows in the file.' }),
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  errors: z.array(RowError).openapi({ description: 'Every problem, per row and column. A real import with any error writes nothing (422).' }),
  rows: z.array(RowResult),
}).openapi('ClientImportResult');

const importRoute = securedRoute(ROLE_SETS.operate, {
  method: 'post', path: '/v1/clients/import', operationId: 'importClients', tags: ['Clients'],
  summary: 'Import existing clients from CSV (issue 15): dry run with per-row errors, idempotent by externalRef, each client started at the lifecycle state it is in, nothing back-dated',
  description: `Columns (header row, any order): ${IMPORT_COLUMNS.map((c) => `\`${c.name}\`${c.required ? ' (required)' : ''} — ${c.description}`).join('; ')}. See docs/integrations.md "Importing clients".`,
  request: jsonBody(z.object({
    csv: z.string().min(1).max(50_000_000).openapi({ description: 'The CSV text (UTF-8, comma-separated, RFC 4180 quoting). At most `integrations.importMaxBytes` bytes (413) and `integrations.importMaxRows` rows (422).' }),
    dryRun: z.boolean().optional().openapi({ description: 'Validate and say what would change, writing nothing (default false).' }),
  }).strict()),
  responses: { 200: jsonResponse(ImportResult, 'What the import did (or, in a dry run, would do), row by row') },
});

type ClientFields = Required<Pick<ClientInput, 'name' | 'mrr' | 'maturity' | 'appetite' | 'timeZone' | 'ownsInnovationAgenda' | 'region' | 'renewalDate' | 'fiscalYearEnd'>>;
const fieldsOf = (r: ImportRow): ClientFields => {
  const c = r.client;
  return { name: c.name, mrr: c.mrr, maturity: c.maturity, appetite: c.appetite, timeZone: c.timeZone, ownsInnovationAgenda: c.ownsInnovationAgenda, region: c.region, renewalDate: c.renewalDate, fiscalYearEnd: c.fiscalYearEnd };
};
const changedFields = (row: ClientRow, f: ClientFields) => (Object.keys(f) as (keyof ClientFields)[]).filter((k) => JSON.stringify(row[k]) !== JSON.stringify(f[k]));

export function registerClientImportRoutes(app: OpenAPIHono<ApiEnv>) {
  app.openapi(importRoute, async (c) => {
    const { db } = c.get('deps');
    const body = c.req.valid('json');
    const policy = await activePolicy(db);
    const limits = policy.document.integrations;
    const bytes = Buffer.byteLength(body.csv, 'utf8');
    if (bytes > limits.importMaxBytes) {
      throw new ProblemError(413, 'payload-too-large', 'CSV too large', `The CSV has ${bytes} bytes; one import takes at most ${limits.importMaxBytes} (integrations.importMaxBytes). Split the file.`, { maxBytes: limits.importMaxBytes });
    }
    const now = await currentTime(c.get('deps'));
    const parsed = parseClientCsv(body.csv, now.toISOString().slice(0, 10), { maxRows: limits.importMaxRows, onboardingDays: policy.document.onboarding.closeoutDay });
    return c.json(await importClientRows(c, parsed, { dryRun: body.dryRun ?? false, source: 'the CSV', fix: 'send the file again', errorPath: 'csv', now, policy }), 200);
  });
}

/** What one import answers (the CSV route's body; other sources add their own fields per row). */
export type ImportAnswer = z.infer<typeof ImportResult>;

/**
 * The one import path (issue 15, "Getting clients in"): rows already mapped to clients by their
 * source (a CSV file, a PSA's companies) are validated together, matched by `externalRef`, and —
 * unless a dry run or any row is invalid (422 `rowErrors`, nothing written) — created or updated
 * and started at the lifecycle state they are in (nothing back-dated).
 */
export async function importClientRows(
  c: Context<ApiEnv>, parsed: { rows: ImportRow[]; errors: ImportError[]; total: number },
  opts: { dryRun: boolean; source: string; fix: string; errorPath: string; now: Date; policy: Awaited<ReturnType<typeof activePolicy>> },
): Promise<ImportAnswer> {
  const { db, temporal } = c.get('deps');
  const { now, policy } = opts;
  const errors: ImportError[] = [...parsed.errors];
  for (const r of parsed.rows) {
    const problem = r.client.region ? regionProblem(r.client.region) : undefined;
    if (problem) errors.push({ row: r.row, column: 'region', message: problem });
  }
  errors.sort((a, b) => a.row - b.row);
  const existing = new Map<string, ClientRow>();
  const refs = parsed.rows.map((r) => r.client.externalRef);
  for (let i = 0; i < refs.length; i += 1000) {
    for (const row of await db.select().from(clients).where(inArray(clients.externalRef, refs.slice(i, i + 1000)))) existing.set(row.externalRef!, row);
  }
  const plans = parsed.rows.map((r) => {
    const found = existing.get(r.client.externalRef);
    const changes = found ? changedFields(found, fieldsOf(r)) : [];
    return { r, found, changes, action: (!found ? 'create' : changes.length ? 'update' : 'unchanged') as 'create' | 'update' | 'unchanged' };
  });
  const count = (a: string) => plans.filter((p) => p.action === a).length;
  const view = (p: (typeof plans)[number], clientId: string | null, processes?: { onboarding: Outcome; cadence: Outcome }) => ({
    row: p.r.row, externalRef: p.r.client.externalRef, name: p.r.client.name, action: p.action, clientId, lifecycle: p.r.client.lifecycle, changes: p.changes, ...(processes ? { processes } : {}),
  });
  if (opts.dryRun) {
    return { dryRun: true, total: parsed.total, created: count('create'), updated: count('update'), unchanged: count('unchanged'), errors, rows: plans.map((p) => view(p, p.found?.id ?? null)) };
  }
  if (errors.length) {
    throw unprocessable(`${errors.length} problem(s) in ${opts.source}; nothing was imported. Fix them (a dry run lists them all) and ${opts.fix}.`, {
      rowErrors: errors, errors: errors.slice(0, 100).map((e) => ({ location: 'body', path: `${opts.errorPath}[${e.row}]${e.column ? `.${e.column}` : ''}`, message: e.message })),
    });
  }
  const ctx = await writeContext(c);
  const results = [];
  for (const p of plans) {
    let row: ClientRow;
    if (!p.found) {
      // The id derives from externalRef: two concurrent imports of one file create the client once.
      const created = await createClient(db, { externalRef: p.r.client.externalRef, ...fieldsOf(p.r) }, ctx, deliveryIdFor(`client-import/${p.r.client.externalRef}`)).catch((err) => {
        // Registered through the API between the lookup and this insert: the rows before it stand; importing again matches it.
        if (isUniqueViolation(err)) throw conflict(`A client with externalRef ${p.r.client.externalRef} was registered meanwhile (row ${p.r.row}); import the file again to match it.`);
        throw err;
      });
      row = created.row;
      if (temporal && !created.existed) await dispatchWorkflowStart(temporal, db, 'placement-review', row.id).catch(() => undefined); // the outbox dispatcher retries
    } else if (p.action === 'update') {
      const updated = await updateClient(db, p.found.id, fieldsOf(p.r), ctx);
      row = updated!.row;
      if (updated!.changed) await notifyCadenceOfClientChange(c, p.found, row);
    } else {
      row = p.found;
    }
    results.push(view(p, row.id, await startLifecycle(temporal, row, p.r, policy.version, policy.document.calendar, now.toISOString())));
  }
  if (count('create') + count('update') > 0) await afterCapacityChange(c);
  return { dryRun: false, total: parsed.total, created: count('create'), updated: count('update'), unchanged: count('unchanged'), errors: [], rows: results };
}

type Outcome = z.infer<typeof ProcessOutcome>;

/**
 * Starts what the row's lifecycle asks for unless it runs (so a re-import after Temporal was
 * unreachable starts what is missing, and otherwise changes nothing): onboarding at its step
 * (`imported`: nothing back-dated), or the cadence locked at the import instant — the next
 * meetings from today (R-10), never a past one. A client at step 8 locked its cadence (R-55) too.
 */
async function startLifecycle(
  temporal: TemporalTarget | undefined, client: ClientRow, r: ImportRow, policyVersion: number,
  calendar: { dayStart: string; dayEnd: string; workdays: readonly number[] }, now: string,
): Promise<{ onboarding: Outcome; cadence: Outcome }> {
  const lifecycle = r.client.lifecycle;
  const out: { onboarding: Outcome; cadence: Outcome } = { onboarding: 'none', cadence: 'none' };
  if (lifecycle === 'none') return out;
  if (!temporal) return { onboarding: lifecycle === 'onboarding' ? 'not-started' : 'none', cadence: lifecycle === 'engagement' ? 'not-started' : 'none' };
  const who = { name: client.name, segment: client.segment };
  try {
    if (lifecycle === 'onboarding' && r.client.onboarding) {
      const cal = makeCalendar({ timeZone: client.timeZone, holidays: [], dayStart: calendar.dayStart, dayEnd: calendar.dayEnd, workdays: [...calendar.workdays] });
      const signedAt = atLocalTime(r.client.onboarding.signedOn, calendar.dayStart, cal);
      try {
        await startOnboarding(temporal, { clientId: client.id, signedAt: Date.parse(signedAt) > Date.parse(now) ? now : signedAt, policyVersion, imported: { step: r.client.onboarding.step } }, who);
        out.onboarding = 'started';
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        out.onboarding = (await isRunning(temporal, onboardingWorkflowId(client.id))) ? 'running' : 'already-ran';
      }
      if (r.client.onboarding.step < 8) return out;
    } else if (await isRunning(temporal, onboardingWorkflowId(client.id))) {
      // Still onboarding here: its cadence lock (R-55) starts the cadence.
      return { ...out, onboarding: 'running' };
    }
    await ensureCadence(temporal, { clientId: client.id, lockedAt: now, policyVersion }, who);
    out.cadence = 'running';
  } catch {
    return { onboarding: out.onboarding === 'none' && lifecycle === 'onboarding' ? 'not-started' : out.onboarding, cadence: out.cadence === 'none' && (lifecycle === 'engagement' || r.client.onboarding?.step === 8) ? 'not-started' : out.cadence };
  }
  return out;
}

async function isRunning(t: TemporalTarget, workflowId: string) {
  try {
    return (await t.client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
