/**
 * `baton rehearse`: argument parsing, progress on stderr and the report on stdout (docs/rehearsal.md).
 * Kept apart from cli/main.ts so the command's options live with the rehearsal code.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { installTemporalRuntime } from '../runtime/baton.js';
import { createLogger } from '../runtime/logger.js';
import { formatClientDetail, formatHeader, formatSummary } from './format.js';
import { portfolioScenario } from './portfolio.js';
import type { ClientReport, RehearsalProgress, RehearsalResult } from './run.js';
import { parseScenario, ScenarioError, type Scenario } from './scenario.js';

export const REHEARSE_USAGE = `Usage: baton rehearse <scenario.yaml|json> [options]
       baton rehearse --portfolio N [--segments A,B,C,D] [--days 365] [--start 2027-01-04] [options]

  --json                 the report as JSON on stdout (progress stays on stderr)
  --summary | --full     counts per client only | every client's timeline and final state
                         (default: --full for a scenario file, --summary for a portfolio)
  --portfolio N          N clients of mixed segments, one shared team, cadences started 5 minutes apart
  --segments MIX         segment order, cycled: A,B,C,D (default) or weighted, e.g. A:1,B:3,C:2,D:4
  --days D               simulated days after the first start (default 365)
  --start YYYY-MM-DD     the first cadence starts at 08:00 America/Chicago that day (default 2027-01-04)
  --policy FILE          policy areas (YAML or JSON) merged onto the default policy first, as a
                         scenario's \`policy:\` (rehearse a policy change on the portfolio)
  --print-scenario       print the generated portfolio scenario as YAML and exit
  --stall-timeout S      seconds without simulated progress before the rehearsal gives up (default 120)
  --progress-every S     seconds between progress lines on stderr (default 5)
  --quiet                no progress or step lines on stderr

Exit codes: 0 done, 1 a step's status differed from its expect, 2 usage, 3 the rehearsal stalled.`;

/** Runs the command; returns the process exit code. */
export async function rehearseCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(REHEARSE_USAGE);
    return 0;
  }
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args, allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false }, summary: { type: 'boolean' }, full: { type: 'boolean' },
        portfolio: { type: 'string' }, segments: { type: 'string' }, days: { type: 'string' }, start: { type: 'string' }, policy: { type: 'string' },
        'print-scenario': { type: 'boolean', default: false }, 'stall-timeout': { type: 'string' }, 'progress-every': { type: 'string' }, quiet: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${REHEARSE_USAGE}`);
    return 2;
  }
  const usage = (why: string) => {
    console.error(`${why}\n\n${REHEARSE_USAGE}`);
    return 2;
  };
  const portfolio = values.portfolio !== undefined;
  if (portfolio === (positionals.length === 1) || positionals.length > 1) return usage('Give one scenario file, or --portfolio N.');
  if (!portfolio && (values.segments ?? values.days ?? values.start ?? values.policy) !== undefined) return usage('--segments, --days, --start and --policy go with --portfolio (a scenario file says all that itself).');
  if (values.summary && values.full) return usage('--summary and --full exclude each other.');
  const stallSeconds = values['stall-timeout'] === undefined ? undefined : Number(values['stall-timeout']);
  if (stallSeconds !== undefined && !(stallSeconds >= 5)) return usage('--stall-timeout is a number of seconds, at least 5.');
  const progressSeconds = values['progress-every'] === undefined ? 5 : Number(values['progress-every']);
  if (!(progressSeconds >= 0)) return usage('--progress-every is a number of seconds.');

  let scenario: Scenario;
  try {
    scenario = portfolio
      ? portfolioScenario({
        clients: integer(values.portfolio as string, '--portfolio'),
        ...(values.segments !== undefined ? { segments: values.segments as string } : {}),
        ...(values.days !== undefined ? { days: integer(values.days as string, '--days') } : {}),
        ...(values.start !== undefined ? { start: values.start as string } : {}),
        ...(values.policy !== undefined ? { policy: policyFile(values.policy as string) } : {}),
      })
      : parseScenario(fs.readFileSync(positionals[0]!, 'utf8'));
  } catch (err) {
    if (err instanceof ScenarioError) return usage(err.message);
    if ((err as { name?: string }).name === 'ZodError') return usage(`Invalid portfolio options: ${(err as Error).message}`);
    throw err;
  }
  if (values['print-scenario']) {
    process.stdout.write(toYaml(scenario));
    return 0;
  }

  const { rehearse, RehearsalStalledError } = await import('./run.js');
  const detail = values.summary ? 'summary' : values.full ? 'full' : portfolio ? 'summary' : 'full';
  const json = values.json === true;
  const quiet = values.quiet === true;
  installTemporalRuntime(createLogger('error'));
  const spool = new ReportSpool(json);
  try {
    const result = await rehearse(scenario, {
      detail,
      log: quiet ? () => {} : (m) => console.error(m),
      ...(quiet ? {} : { progress: (p: RehearsalProgress) => console.error(formatProgress(p)), progressEveryMs: progressSeconds * 1000 }),
      ...(detail === 'full' ? { onClientReport: (r: ClientReport) => spool.add(r) } : {}),
      ...(stallSeconds !== undefined ? { limits: { stallMs: stallSeconds * 1000 } } : {}),
    });
    await spool.writeReport(result, process.stdout);
    if (result.failures.length) {
      console.error(`\n${result.failures.length} step(s) did not return the expected status:\n${result.failures.map((f) => `  - ${f}`).join('\n')}`);
      return 1;
    }
    return 0;
  } catch (err) {
    if (err instanceof RehearsalStalledError) {
      console.error(err.message);
      return 3;
    }
    throw err;
  } finally {
    spool.remove();
  }
}

function policyFile(file: string): Record<string, unknown> {
  const doc = parseYaml(fs.readFileSync(file, 'utf8')) as unknown;
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ScenarioError(`--policy ${file}: expected policy areas, such as "cadence: { … }"`);
  return doc as Record<string, unknown>;
}

function integer(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new ScenarioError(`${flag} takes a whole number, not "${text}"`);
  return Number(text);
}

/** `rehearsal · advancing · 2027-03-14 16:25Z (19 %) · 4,210 events · 0:45 elapsed · about 3:10 left · 1.3 GB RSS` */
export function formatProgress(p: RehearsalProgress): string {
  const where = p.phase === 'report' ? `${Math.round(p.fraction * 100)} % of clients reported` : `${p.simulatedAt.slice(0, 16).replace('T', ' ')}Z (${Math.floor(p.fraction * 100)} %)`;
  const eta = p.etaMs === null ? '' : ` · about ${clock(p.etaMs)} left`;
  return `rehearsal · ${p.phase} · ${where} · ${p.events.toLocaleString('en-US')} events · ${clock(p.elapsedMs)} elapsed${eta} · ${(p.rssBytes / 2 ** 30).toFixed(1)} GB RSS`;
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
