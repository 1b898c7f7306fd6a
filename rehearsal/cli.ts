/**
 * `baton rehearse`: what the command does once cli/main.ts (`rehearseCli`, commander) has parsed its
 * options — progress on stderr and the report on stdout (docs/rehearsal.md). Kept apart from cli/main.ts
 * so the run and report code lives with the rehearsal; cli/main.ts loads it only for this command.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { z } from 'zod';
import { installTemporalRuntime } from '../runtime/baton.js';
import { ActionableError } from '../runtime/errors.js';
import { createLogger } from '../runtime/logger.js';
import { formatClientDetail, formatHeader, formatSummary } from './format.js';
import { portfolioScenario } from './portfolio.js';
import type { ClientReport, RehearsalProgress, RehearsalResult } from './run.js';
import { parseScenario, ScenarioError, type Scenario } from './scenario.js';
import type { RehearseOptions } from '../cli/main.js';

/** Exit codes of `baton rehearse` beyond 0 (done) and 2 (usage). */
export const REHEARSE_EXIT = { expectMissed: 1, stalled: 3, interrupted: { SIGINT: 130, SIGTERM: 143 } } as const;

/**
 * Runs the command; returns the process exit code. `usage` reports a usage error (one line, exit 2)
 * and does not return. A scenario file that cannot be read is a problem to fix (ActionableError, exit 1).
 */
export async function rehearseCommand(file: string | undefined, o: RehearseOptions, usage: (why: string) => never): Promise<number> {
  const portfolio = o.portfolio !== undefined;
  if (portfolio === (file !== undefined)) usage('error: give one scenario file, or --portfolio N');
  if (!portfolio && (o.segments ?? o.processes ?? o.days ?? o.start ?? o.policy) !== undefined) usage('error: --segments, --processes, --days, --start and --policy go with --portfolio (a scenario file says all that itself)');

  let scenario: Scenario;
  try {
    scenario = portfolio
      ? portfolioScenario({
        clients: o.portfolio!,
        ...(o.segments !== undefined ? { segments: o.segments } : {}),
        ...(o.processes !== undefined ? { processes: o.processes } : {}),
        ...(o.days !== undefined ? { days: o.days } : {}),
        ...(o.start !== undefined ? { start: o.start } : {}),
        ...(o.policy !== undefined ? { policy: policyFile(o.policy) } : {}),
      })
      : parseScenario(readScenarioFile(file!));
  } catch (err) {
    if (portfolio && err instanceof ScenarioError) usage(`error: ${err.message}`);
    if (err instanceof z.ZodError) usage(`error: invalid portfolio options: ${oneLine(z.prettifyError(err))}`);
    throw err;
  }
  if (o.printScenario) {
    process.stdout.write(toYaml(scenario));
    return 0;
  }

  const { rehearse, RehearsalStalledError, RehearsalInterruptedError } = await import('./run.js');
  const detail = o.summary ? 'summary' : o.full ? 'full' : portfolio ? 'summary' : 'full';
  const { json, quiet } = o;
  installTemporalRuntime(createLogger('error'));
  const spool = new ReportSpool(json);
  // Ctrl-C (or a stop) ends the run with its test server and database stopped, not orphaned; a second one quits at once.
  const interrupt = new AbortController();
  let stoppedBy: 'SIGINT' | 'SIGTERM' | undefined;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (stoppedBy) process.exit(REHEARSE_EXIT.interrupted[signal]);
    stoppedBy = signal;
    console.error(`${signal}: stopping the rehearsal (its worker, test server and database); again to quit at once`);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await rehearse(scenario, {
      signal: interrupt.signal,
      detail,
      log: quiet ? () => {} : (m) => console.error(m),
      ...(quiet ? {} : { progress: (p: RehearsalProgress) => console.error(formatProgress(p)), progressEveryMs: o.progressEvery * 1000 }),
      ...(detail === 'full' ? { onClientReport: (r: ClientReport) => spool.add(r) } : {}),
      ...(o.stallTimeout !== undefined ? { limits: { stallMs: o.stallTimeout * 1000 } } : {}),
      ...(o.maxCachedWorkflows !== undefined ? { worker: { maxCachedWorkflows: o.maxCachedWorkflows } } : {}),
    });
    await spool.writeReport(result, process.stdout);
    if (result.failures.length) {
      console.error(`\n${result.failures.length} step(s) did not return the expected status:\n${result.failures.map((f) => `  - ${f}`).join('\n')}`);
      return REHEARSE_EXIT.expectMissed;
    }
    return 0;
  } catch (err) {
    if (err instanceof RehearsalStalledError) {
      console.error(err.message);
      return REHEARSE_EXIT.stalled;
    }
    if (err instanceof RehearsalInterruptedError && stoppedBy) {
      console.error(err.message);
      return REHEARSE_EXIT.interrupted[stoppedBy];
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    spool.remove();
  }
}

function readScenarioFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const root = path.resolve(import.meta.dirname, '..');
    throw new ActionableError(code === 'ENOENT'
      ? `Scenario file not found: ${file} (examples: ${path.relative(process.cwd(), path.join(root, 'docs/scenarios')) || 'docs/scenarios'}/).`
      : `Cannot read scenario file ${file}: ${(err as Error).message}`);
  }
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

function policyFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ActionableError(`Cannot read policy file ${file}: ${(err as Error).message}`);
  }
  const doc = parseYaml(text) as unknown;
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ScenarioError(`--policy ${file}: expected policy areas, such as "cadence: { … }"`);
  return doc as Record<string, unknown>;
}

/** `rehearsal · advancing · 2027-03-14 16:25Z (19 %) · 4,210 events · 0:45 elapsed · about 3:10 left · 1.3 GB RSS` */
export function formatProgress(p: RehearsalProgress): string {
  const where = p.phase === 'report' ? `${Math.round(p.fraction * 100)} % of clients reported` : `${p.simulatedAt.slice(0, 16).replace('T', ' ')}Z (${Math.floor(p.fraction * 100)} %)`;
  const eta = p.etaMs === null ? '' : ` · about ${clock(p.etaMs)} left`;
  return `rehearsal · ${p.phase} · ${where} · ${p.events.toLocaleString('en-US')} events · ${clock(p.elapsedMs)} elapsed${eta} · ${(p.rssBytes / 2 ** 30).toFixed(1)} GB RSS${p.cachedWorkflows === undefined ? '' : ` · ${p.cachedWorkflows.toLocaleString('en-US')} cached workflows`}`;
}

const clock = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

/**
 * Client reports go to temporary files as they are taken, so a portfolio's full report never sits in
 * memory whole; stdout gets the complete report at the end (valid JSON, or nothing if the run fails).
 */
class ReportSpool {
  private dir: string | undefined;
  private files = new Map<string, { fd: number | null; path: string; entries: number }>();

  constructor(private readonly json: boolean) {}

  add(r: ClientReport) {
    if (this.json) {
      this.append('timelines', jsonEntry(r.clientId, r.timeline ?? []));
      this.append('states', jsonEntry(r.clientId, r.state ?? null));
    } else {
      this.append('details', `\n\n${formatClientDetail(r.clientId, r.timeline ?? [], r.state!)}`);
    }
  }

  private append(name: string, text: string) {
    this.dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'baton-report-'));
    let f = this.files.get(name);
    if (!f) {
      const p = path.join(this.dir, name);
      f = { fd: fs.openSync(p, 'w'), path: p, entries: 0 };
      this.files.set(name, f);
    }
    fs.writeSync(f.fd!, this.json && f.entries > 0 ? `,\n${text}` : text);
    f.entries += 1;
  }

  private closeAll() {
    for (const f of this.files.values()) {
      if (f.fd !== null) fs.closeSync(f.fd);
      f.fd = null;
    }
  }

  async writeReport(r: RehearsalResult, out: NodeJS.WritableStream) {
    this.closeAll();
    if (!this.json) {
      await write(out, formatHeader(r));
      await this.copy('details', out);
      await write(out, `\n\n${formatSummary(r)}\n`);
      return;
    }
    const rest = { summaries: r.summaries, totals: r.totals, steps: r.steps, refs: r.refs, failures: r.failures, scenario: r.scenario, start: r.start, end: r.end, detail: r.detail, wallMs: r.wallMs, clock: r.clock };
    const tail = JSON.stringify(rest, null, 2).slice(1); // without its opening brace
    if (r.detail === 'full') {
      await write(out, '{\n  "timelines": {\n');
      await this.copy('timelines', out);
      await write(out, '\n  },\n  "states": {\n');
      await this.copy('states', out);
      await write(out, `\n  },${tail}\n`);
    } else {
      await write(out, `{${tail}\n`);
    }
  }

  private async copy(name: string, out: NodeJS.WritableStream) {
    const f = this.files.get(name);
    if (f) await pipeline(fs.createReadStream(f.path), out, { end: false });
  }

  remove() {
    this.closeAll();
    this.files.clear();
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `    "<key>": <value>` indented as it would be two levels down in a pretty-printed object. */
function jsonEntry(key: string, value: unknown): string {
  return `    ${JSON.stringify(key)}: ${JSON.stringify(value, null, 2).replace(/\n/g, '\n    ')}`;
}

async function write(out: NodeJS.WritableStream, text: string) {
  if (!out.write(text)) await once(out, 'drain');
}
