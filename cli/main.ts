import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { createApiKey, listApiKeys, revokeApiKey, ROLES, type Role } from '../db/api-keys.js';
import { connectDatabase, runMigrations } from '../db/client.js';
import { ensureDefaultPolicy } from '../db/policies.js';
import { installTemporalRuntime, startBaton, type Mode } from '../runtime/baton.js';
import { ConfigError, loadConfig, type Config } from '../runtime/config.js';
import { embeddedPostgresUrl, startEmbeddedPostgres } from '../runtime/embedded-postgres.js';
import { ActionableError, databaseProblem } from '../runtime/errors.js';
import { createLogger } from '../runtime/logger.js';
import { isAlive } from '../runtime/supervised-process.js';
import { ensureSchemathesis, projectRoot, resolveTool, TemporalToolsError } from '../runtime/temporal-tools.js';
import { temporalToolPath } from '../runtime/embedded-temporal.js';
import { ensureChromium } from '../runtime/chromium.js';

/**
 * The `baton` command. Every subcommand answers `--help`/`-h` without side effects; a usage error
 * (unknown command or option, a bad choice, a missing argument) is one line on stderr and exit 2;
 * a problem the user can fix (busy port, unreachable database, missing file) is one line and exit 1.
 */
const version = (JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

const CONFIG_HELP = `
Configuration comes from the environment and an optional .env file (README, "Configuration").
Without DATABASE_URL and TEMPORAL_ADDRESS, Baton runs an embedded PostgreSQL and Temporal under
BATON_DATA_DIR (default .baton) on BATON_PG_PORT, BATON_TEMPORAL_PORT and BATON_TEMPORAL_UI_PORT.`;

/** Where help and parser errors go (tests capture them). */
export interface CliOutput {
  out: (text: string) => void;
  err: (text: string) => void;
}
const stdio: CliOutput = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export function program(io: CliOutput = stdio): { cli: Command; exitCode: () => number } {
  let code = 0;
  const done = (n: number) => {
    code = n;
  };
  const cli = new Command('baton')
    .description("Runs an MSP's customer-success lifecycle for every client as durable Temporal workflows.")
    .version(version, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (text, write) => write(text.endsWith('\n') ? text : `${text}\n`) })
    .addHelpText('after', CONFIG_HELP);

  cli.command('start')
    .description('API + worker in one process (embedded Temporal and PostgreSQL unless configured)')
    .addHelpText('after', CONFIG_HELP)
    .action(async () => done(await run('all')));
  cli.command('worker')
    .description('the worker only (needs DATABASE_URL and TEMPORAL_ADDRESS)')
    .action(async () => done(await run('worker')));
  cli.command('api')
    .description('the HTTP API only (needs DATABASE_URL and TEMPORAL_ADDRESS)')
    .action(async () => done(await run('api')));
  cli.command('migrate')
    .description('apply the database migrations and exit')
    .action(async () => done(await withDatabase(loadConfig(), async () => 0)));

  const keys = cli.command('keys').description('manage API keys (only their hashes are stored)');
  keys.command('create')
    .description('create an API key and print it once')
    .requiredOption('--name <name>', 'who or what uses the key, e.g. "PSA sync"')
    .addOption(new Option('--role <role>', 'what the key may do').choices(ROLES).makeOptionMandatory())
    .action(async (o: { name: string; role: Role }) => done(await createKey(o)));
  keys.command('list')
    .description('list API keys (never the keys themselves)')
    .action(async () => done(await listKeys()));
  keys.command('revoke')
    .description('revoke an API key at once')
    .argument('<id>', 'the key id, as `baton keys list` shows it')
    .action(async (id: string) => done(await revokeKey(id)));

  rehearseCli(cli, done);

  const tools = cli.command('tools').description('manage the binaries Baton needs');
  tools.command('ensure')
    .description('install the Temporal CLI, the time-skipping test server, libfaketime and schemathesis into .tools/ if missing, and Debian\'s chromium (as root) for the browser tests')
    .action(async () => done(await ensureTools()));

  return { cli, exitCode: () => code };
}

/** Options of `baton rehearse`, all declared in rehearseCli and read in rehearseCommand (rehearsal/cli.ts). */
export interface RehearseOptions {
  json: boolean;
  summary?: boolean;
  full?: boolean;
  portfolio?: number;
  segments?: string;
  processes?: 'cadence' | 'all';
  days?: number;
  start?: string;
  policy?: string;
  printScenario: boolean;
  stallTimeout?: number;
  maxCachedWorkflows?: number;
  progressEvery: number;
  quiet: boolean;
}

/** `baton rehearse`: the one place its arguments and options are declared (run by rehearsal/cli.ts). */
function rehearseCli(cli: Command, done: (code: number) => void) {
  const wholeNumber = (min: number) => (text: string) => {
    if (!/^\d+$/.test(text) || Number(text) < min) throw new InvalidArgumentError(`a whole number${min > 0 ? ` of at least ${min}` : ''}.`);
    return Number(text);
  };
  cli.command('rehearse')
    .description("run a scenario, or a generated portfolio, on a simulated clock (time-skipping server, throw-away database) and report each client")
    .argument('[scenario]', 'scenario file (.yaml or .json); examples in docs/scenarios/, format in docs/rehearsal.md; or use --portfolio N')
    .option('--json', 'the report as JSON on stdout (progress stays on stderr)', false)
    .addOption(new Option('--summary', 'counts per client only (default for a portfolio)').conflicts('full'))
    .option('--full', "every client's timeline and final state (default for a scenario file)")
    .addOption(new Option('--portfolio <n>', 'N clients of mixed segments, one shared team, cadences started 5 minutes apart').argParser(wholeNumber(0)))
    .option('--segments <mix>', 'segment order, cycled: A,B,C,D (default) or weighted, e.g. A:1,B:3,C:2,D:4')
    .addOption(new Option('--processes <which>', 'cadence: every client starts its cadence (default); all: cadences, upsells, onboardings and sales in turn').choices(['cadence', 'all']))
    .addOption(new Option('--days <d>', 'simulated days after the first start (default 365)').argParser(wholeNumber(1)))
    .option('--start <date>', 'the first cadence starts at 08:00 America/Chicago that day, YYYY-MM-DD (default 2027-01-04)')
    .option('--policy <file>', "policy areas (YAML or JSON) merged onto the default policy first, as a scenario's `policy:`")
    .option('--print-scenario', 'print the generated portfolio scenario as YAML and exit', false)
    .addOption(new Option('--stall-timeout <seconds>', 'seconds without simulated progress before the rehearsal gives up (default 120)').argParser(wholeNumber(5)))
    .addOption(new Option('--max-cached-workflows <n>', "bound the rehearsal worker's workflow cache (memory for replay time; default what fits the heap at about 10 MB a workflow)").argParser(wholeNumber(2)))
    .addOption(new Option('--progress-every <seconds>', 'seconds between progress lines on stderr (0: every slice)').argParser(wholeNumber(0)).default(5))
    .option('--quiet', 'no progress or step lines on stderr', false)
    .addHelpText('after', "\nExit codes: 0 done, 1 a step's status differed from its `expect`, 2 usage, 3 the rehearsal stalled (its message names what was stuck).")
    .action(async (scenario: string | undefined, o: RehearseOptions, command: Command) => {
      const { rehearseCommand } = await import('../rehearsal/cli.js');
      done(await rehearseCommand(scenario, o, (why) => command.error(why, { exitCode: 2, code: 'baton.usage' })));
    });
}

async function run(mode: Mode): Promise<number> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const startedAt = Date.now();
  const baton = await startBaton(config, mode, logger);
  const lines = [
    '',
    `Baton is running (${mode}) — ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
    baton.apiUrl && `  Console        ${baton.apiUrl}/   (sign in with the admin API key below, or your identity provider)`,
    baton.apiUrl && `  API            ${baton.apiUrl}/v1`,
    baton.apiUrl && `  API reference  ${baton.apiUrl}/docs   (OpenAPI: ${baton.apiUrl}/openapi.json)`,
    baton.workerUrl && `  Worker health  ${baton.workerUrl}/healthz   (Prometheus: ${baton.workerUrl}/metrics, with an API key)`,
    `  Temporal       ${baton.temporalAddress}${baton.temporalUiUrl ? `   UI: ${baton.temporalUiUrl}` : ''}`,
    `  PostgreSQL     ${baton.databaseUrl}`,
    `  Payloads       ${baton.payloadEncryption}`,
    mode === 'worker'
      ? ''
      : baton.adminKey
      ? `  Admin API key  ${baton.adminKey}\n                 (shown once; only its hash is stored. Create more with: npm run baton -- keys create --name NAME --role ROLE)`
      : '  Admin API key  already set up (create another with: npm run baton -- keys create --name NAME --role admin)',
    '',
  ].filter(Boolean);
  // One shutdown, whatever ends the run: the first signal stops Baton in order; later signals only say so.
  // The handlers go in before "running" is printed, so a signal sent on seeing it never meets Node's default.
  const ended = new Promise<{ signal: string } | { failure: string }>((resolve) => {
    let first = true;
    const onSignal = (signal: string) => {
      if (first) {
        first = false;
        resolve({ signal });
      } else {
        logger.info({ signal }, 'already stopping');
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    void baton.failed.then((failure) => {
      first = false;
      resolve({ failure });
    });
  });
  process.stdout.write(`${lines.join('\n')}\n`);
  const end = await ended;
  if ('failure' in end) logger.error({ reason: end.failure }, 'stopping: a part Baton needs has stopped');
  else logger.info({ signal: end.signal }, 'shutting down');
  await baton.stop();
  logger.info('stopped');
  if ('failure' in end) {
    console.error(`Baton stopped: ${end.failure}`);
    return 1;
  }
  return 0;
}

/** Runs `fn` against Baton's database: external, the running embedded one, or a temporary embedded one. */
async function withDatabase<T>(config: Config, fn: (db: ReturnType<typeof connectDatabase>['db']) => Promise<T>): Promise<T> {
  let url = config.DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!url) {
    const lock = path.join(config.dataDir, 'baton.pid');
    const runningPid = fs.existsSync(lock) ? Number(fs.readFileSync(lock, 'utf8')) : 0;
    if (runningPid && isAlive(runningPid)) {
      url = embeddedPostgresUrl(path.join(config.dataDir, 'postgres'), config.BATON_PG_PORT);
    } else {
      const pg = await startEmbeddedPostgres({ dataDir: path.join(config.dataDir, 'postgres'), port: config.BATON_PG_PORT, portVariable: 'BATON_PG_PORT' });
      url = pg.url;
      stopEmbedded = pg.stop;
    }
  }
  const database = connectDatabase(url, { max: 2 });
  try {
    try {
      await runMigrations(url);
    } catch (err) {
      throw databaseProblem(err, url, config.DATABASE_URL ? 'DATABASE_URL' : 'embedded') ?? err;
    }
    await ensureDefaultPolicy(database.db);
    return await fn(database.db);
  } finally {
    await database.close();
    await stopEmbedded?.();
  }
}

async function createKey(o: { name: string; role: Role }): Promise<number> {
  const created = await withDatabase(loadConfig(), (db) => createApiKey(db, { name: o.name, role: o.role, createdBy: 'cli' }));
  console.log(`Created ${created.record.role} key "${created.record.name}" (id ${created.record.id}).\n${created.key}\nStore it now: only its hash is kept.`);
  return 0;
}

async function listKeys(): Promise<number> {
  const rows = await withDatabase(loadConfig(), (db) => listApiKeys(db));
  console.table(rows.map((k) => ({ id: k.id, name: k.name, role: k.role, prefix: k.prefix, created: k.createdAt, lastUsed: k.lastUsedAt ?? '', revoked: k.revokedAt ?? '' })));
  return 0;
}

async function revokeKey(id: string): Promise<number> {
  const revoked = await withDatabase(loadConfig(), (db) => revokeApiKey(db, id));
  if (!revoked) {
    console.error(`No API key with id ${id} (see baton keys list).`);
    return 1;
  }
  console.log(`Revoked key ${revoked.id} (${revoked.name}).`);
  return 0;
}

async function ensureTools(): Promise<number> {
  const log = (m: string) => console.log(m);
  for (const name of ['cli', 'testServer'] as const) {
    console.log(`${name === 'cli' ? 'temporal' : 'temporal-test-server'}: ${await temporalToolPath(name, { log })}`);
  }
  console.log(`libfaketime: ${resolveTool('faketime', { log }).path}`);
  console.log(`schemathesis: ${ensureSchemathesis(undefined, log).command}`);
  try {
    console.log(`chromium: ${ensureChromium(log)}`);
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  }
  return 0;
}

/** Asked-for help and the version end with 0; every other parser exit (a command group without its subcommand included) is a usage error (2). */
const parserSucceeded = (err: CommanderError) =>
  err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || (err.code === 'commander.help' && err.exitCode === 0);

export async function main(argv: string[], io: CliOutput = stdio): Promise<number> {
  const { cli, exitCode } = program(io);
  if (argv.length === 0) {
    cli.outputHelp({ error: true });
    return 2;
  }
  try {
    await cli.parseAsync(argv, { from: 'user' });
    return exitCode();
  } catch (err) {
    if (err instanceof CommanderError) return parserSucceeded(err) ? 0 : 2;
    throw err;
  }
}

/** Problems the user can fix print as their message alone; anything else is a bug and keeps its stack. */
function report(err: unknown): void {
  if (err instanceof ConfigError || err instanceof TemporalToolsError || err instanceof ActionableError || (err instanceof Error && (err.name === 'ScenarioError' || err.name === 'LastAdminKeyError'))) {
    console.error(err.message);
  } else {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  }
}

/** Runs the command line of this process and exits with its code. */
export function runCli(): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      report(err);
      process.exit(1);
    },
  );
}

// `tsx cli/main.ts …` runs it; bin/baton.js and tests import it.
if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) runCli();
