import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { LedgerEvent } from '../db/ledger.js';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Logger } from '../runtime/logger.js';
import type { RehearsalResult } from '../rehearsal/run.js';
import type { Scenario } from '../rehearsal/scenario.js';
import type { ConsoleOptions } from './options.js';

/**
 * Rehearse a policy change before publishing it (the console's policy page): the chosen scenario
 * runs twice with `baton rehearse`'s engine (rehearsal/run.ts: real API handlers and worker on the
 * time-skipping server and a throw-away database) — once under the policy in force, once with the
 * change merged onto it — and the two timelines are compared. One rehearsal runs at a time in a
 * process; results are kept in memory (the last few), so they belong to the API process that ran them.
 */
export interface RehearsalJob {
  id: string;
  scenario: string;
  patch: Record<string, unknown>;
  by: string;
  startedAt: string;
  state: 'running' | 'done' | 'failed';
  finishedAt?: string;
  comparison?: Comparison;
  error?: string;
}

export interface ClientComparison {
  ref: string;
  /** Timeline entries only the current policy produced, and only the change produced ("when type rule about"). */
  onlyCurrent: string[];
  onlyChanged: string[];
  /** Entries by type: count under the current policy and with the change, where they differ. */
  byType: { type: string; current: number; changed: number }[];
}

export interface Comparison {
  clients: ClientComparison[];
  /** Steps whose answer differs (e.g. a report refused under the change). */
  steps: { index: number; op: string; current: number; changed: number }[];
  failures: { current: string[]; changed: string[] };
}

const KEEP = 10;

export class Rehearsals {
  private readonly jobs = new Map<string, RehearsalJob>();
  private running: RehearsalJob | undefined;
  private bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
  constructor(private readonly options: ConsoleOptions, private readonly logger: Logger) {}

  scenarioDir(): string {
    return this.options.rehearsal?.scenarioDir ?? path.resolve(import.meta.dirname, '..', 'docs', 'scenarios');
  }

  /** The scenarios offered by the form (file names in the scenario folder). */
  scenarios(): string[] {
    try {
      return fs.readdirSync(this.scenarioDir()).filter((f) => /^[\w.-]+\.ya?ml$/.test(f)).sort();
    } catch {
      return [];
    }
  }

  get(id: string): RehearsalJob | undefined {
    return this.jobs.get(id);
  }

  busy(): RehearsalJob | undefined {
    return this.running;
  }

  /** Starts the comparison; the job is polled by id. */
  start(file: string, activePolicy: Record<string, unknown>, patch: Record<string, unknown>, by: string): RehearsalJob {
    const job: RehearsalJob = { id: randomUUID(), scenario: file, patch, by, startedAt: new Date().toISOString(), state: 'running' };
    this.jobs.set(job.id, job);
    for (const old of [...this.jobs.keys()].slice(0, Math.max(0, this.jobs.size - KEEP))) this.jobs.delete(old);
    this.running = job;
    void this.run(job, file, activePolicy, patch).finally(() => {
      this.running = undefined;
    });
    return job;
  }

  private async run(job: RehearsalJob, file: string, active: Record<string, unknown>, patch: Record<string, unknown>) {
    try {
      // Loaded on first use: the engine brings the worker and the test server.
      const { parseScenario, deepMerge } = await import('../rehearsal/scenario.js');
      const { rehearse } = await import('../rehearsal/run.js');
      const scenario: Scenario = parseScenario(fs.readFileSync(path.join(this.scenarioDir(), file), 'utf8'));
      const current = deepMerge(active, scenario.policy ?? {}) as Record<string, unknown>;
      const changed = deepMerge(current, patch) as Record<string, unknown>;
      // The workflow code is bundled once per process and shared by every rehearsal.
      this.bundle ??= import('@temporalio/worker').then(async ({ bundleWorkflowCode }) => bundleWorkflowCode({
        workflowsPath: (await import('../worker.js')).workflowsPath, preloadModules: (await import('../worker.js')).workflowPreloadModules, logger: { trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => this.logger.error(m), log() {} } as never,
      }));
      const opts = { workflowBundle: await this.bundle, ...(this.options.rehearsal?.postgresAdminUrl ? { postgresAdminUrl: this.options.rehearsal.postgresAdminUrl } : {}), ...(this.options.rehearsal?.testServerPath ? { testServerPath: this.options.rehearsal.testServerPath } : {}) };
      const a = await rehearse({ ...scenario, policy: current }, opts);
      const b = await rehearse({ ...scenario, policy: changed }, opts);
      job.comparison = compare(a, b);
      job.state = 'done';
    } catch (err) {
      this.logger.warn({ err, scenario: file }, 'console: rehearsal failed');
      job.error = (err as Error).message.slice(0, 1000);
      job.state = 'failed';
    } finally {
      job.finishedAt = new Date().toISOString();
    }
  }
}

/** "2026-03-10T05:00Z deadline.missed R-47 kickoff.held": what an entry says, without the run's own ids. */
function signature(e: LedgerEvent): string {
  const d = e.data as Record<string, unknown>;
  const about = d.deadline ?? d.title ?? d.name ?? d.template ?? d.signal ?? d.step ?? d.kind ?? '';
  const due = typeof d.dueAt === 'string' ? ` due ${d.dueAt.slice(0, 16)}` : '';
  return `${e.occurredAt.slice(0, 16)}Z ${e.type}${e.ruleId ? ` ${e.ruleId}` : ''}${about !== '' ? ` ${String(about)}` : ''}${due}`;
}

export function compare(current: RehearsalResult, changed: RehearsalResult): Comparison {
  const byRef = (r: RehearsalResult) => new Map(Object.entries(r.states).map(([id, s]) => [s.ref, r.timelines[id] ?? []]));
  const a = byRef(current);
  const b = byRef(changed);
  const clients: ClientComparison[] = [...new Set([...a.keys(), ...b.keys()])].sort().map((ref) => {
    const ea = (a.get(ref) ?? []).map(signature);
    const eb = (b.get(ref) ?? []).map(signature);
    const minus = (x: string[], y: string[]) => {
      const left = [...y];
      return x.filter((s) => {
        const i = left.indexOf(s);
        if (i < 0) return true;
        left.splice(i, 1);
        return false;
      });
    };
    const count = (xs: LedgerEvent[]) => xs.reduce((m, e) => m.set(e.type, (m.get(e.type) ?? 0) + 1), new Map<string, number>());
    const ca = count(a.get(ref) ?? []);
    const cb = count(b.get(ref) ?? []);
    const byType = [...new Set([...ca.keys(), ...cb.keys()])].sort()
      .map((type) => ({ type, current: ca.get(type) ?? 0, changed: cb.get(type) ?? 0 })).filter((t) => t.current !== t.changed);
    return { ref, onlyCurrent: minus(ea, eb), onlyChanged: minus(eb, ea), byType };
  });
  const steps = current.steps.flatMap((s, i) => {
    const other = changed.steps[i];
    return other && other.status !== s.status ? [{ index: i, op: s.op, current: s.status, changed: other.status }] : [];
  });
  return { clients, steps, failures: { current: current.failures, changed: changed.failures } };
}
