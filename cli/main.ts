import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createApiKey, listApiKeys, revokeApiKey, ROLES, type Role } from '../db/api-keys.js';
import { connectDatabase, runMigrations } from '../db/client.js';
import { ensureDefaultPolicy } from '../db/policies.js';
import { installTemporalRuntime, startBaton, type Mode } from '../runtime/baton.js';
import { ConfigError, loadConfig, type Config } from '../runtime/config.js';
import { startEmbeddedPostgres } from '../runtime/embedded-postgres.js';
import { createLogger } from '../runtime/logger.js';
import { isAlive } from '../runtime/supervised-process.js';
import { resolveTool, TemporalToolsError } from '../runtime/temporal-tools.js';
import { temporalToolPath } from '../runtime/embedded-temporal.js';

const USAGE = `Usage: baton <command>

  start                 API + worker in one process (embedded Temporal and PostgreSQL unless configured)
  worker                the worker only
  api                   the HTTP API only
  keys create --name N --role admin|ops|automation|manager
  keys list
  keys revoke <id>
  migrate               apply database migrations and exit
  rehearse <scenario.yaml|json> [--json] [--summary|--full]
  rehearse --portfolio N [--segments A,B,C,D] [--days 365] [--json]
                        run a scenario (or a generated portfolio) on a simulated clock (time-skipping
                        server, throw-away database) and report each client; \`rehearse --help\`, docs/rehearsal.md
  tools ensure          install the Temporal CLI, test server and libfaketime into .tools/ if missing

Configuration comes from the environment (see README, "Configuration").`;

async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  switch (command) {
    case 'start':
    case 'worker':
    case 'api':
      return run(command === 'start' ? 'all' : command);
    case 'keys':
      return keys(sub, rest);
    case 'migrate':
      return withDatabase(loadConfig(), async () => 0);
    case 'rehearse': {
      const { rehearseCommand } = await import('../rehearsal/cli.js'); // parses its own options (rehearsal/cli.ts)
      return rehearseCommand([sub, ...rest].filter((x): x is string => x !== undefined));
    }
    case 'tools':
      if (sub !== 'ensure') break;
      return ensureTools();
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return 0;
  }
  console.error(`Unknown command: ${argv.join(' ')}\n\n${USAGE}`);
  return 2;
}

async function run(mode: Mode): Promise<number> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const startedAt = Date.now();
  const baton = await startBaton(config, mode, logger);
  const lines = [
    '',
    `Baton is running (${mode}) — ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
    baton.apiUrl && `  API            ${baton.apiUrl}/v1`,
    baton.apiUrl && `  API reference  ${baton.apiUrl}/docs   (OpenAPI: ${baton.apiUrl}/openapi.json)`,
    `  Temporal       ${baton.temporalAddress}${baton.temporalUiUrl ? `   UI: ${baton.temporalUiUrl}` : ''}`,
    `  PostgreSQL     ${baton.databaseUrl}`,
    mode === 'worker'
      ? ''
      : baton.adminKey
      ? `  Admin API key  ${baton.adminKey}\n                 (shown once; only its hash is stored. Create more with: npm run baton -- keys create --name NAME --role ROLE)`
      : '  Admin API key  already set up (create another with: npm run baton -- keys create --name NAME --role admin)',
    '',
  ].filter(Boolean);
  process.stdout.write(`${lines.join('\n')}\n`);

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
  await baton.stop();
  logger.info('stopped');
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
      url = `postgres://baton:baton@127.0.0.1:${config.BATON_PG_PORT}/baton`;
    } else {
      const pg = await startEmbeddedPostgres({ dataDir: path.join(config.dataDir, 'postgres'), port: config.BATON_PG_PORT });
      url = pg.url;
      stopEmbedded = pg.stop;
    }
  }
  const database = connectDatabase(url, { max: 2 });
  try {
    await runMigrations(url);
    await ensureDefaultPolicy(database.db);
    return await fn(database.db);
  } finally {
    await database.close();
    await stopEmbedded?.();
  }
}

async function keys(sub: string | undefined, args: string[]): Promise<number> {
  const config = loadConfig();
  if (sub === 'create') {
    const { values } = parseArgs({ args, options: { name: { type: 'string' }, role: { type: 'string' } } });
    if (!values.name || !values.role || !ROLES.includes(values.role as Role)) {
      console.error(`keys create needs --name and --role (${ROLES.join('|')})`);
      return 2;
    }
    const created = await withDatabase(config, (db) => createApiKey(db, { name: values.name!, role: values.role as Role, createdBy: 'cli' }));
    console.log(`Created ${created.record.role} key "${created.record.name}" (id ${created.record.id}).\n${created.key}\nStore it now: only its hash is kept.`);
    return 0;
  }
  if (sub === 'list') {
    const rows = await withDatabase(config, (db) => listApiKeys(db));
    console.table(rows.map((k) => ({ id: k.id, name: k.name, role: k.role, prefix: k.prefix, created: k.createdAt, lastUsed: k.lastUsedAt ?? '', revoked: k.revokedAt ?? '' })));
    return 0;
  }
  if (sub === 'revoke' && args[0]) {
    const revoked = await withDatabase(config, (db) => revokeApiKey(db, args[0]!));
    if (!revoked) {
      console.error(`No API key with id ${args[0]}`);
      return 1;
    }
    console.log(`Revoked key ${revoked.id} (${revoked.name}).`);
    return 0;
  }
  console.error('Usage: baton keys create --name N --role R | keys list | keys revoke <id>');
  return 2;
}

async function ensureTools(): Promise<number> {
  const log = (m: string) => console.log(m);
  for (const name of ['cli', 'testServer'] as const) {
    console.log(`${name === 'cli' ? 'temporal' : 'temporal-test-server'}: ${await temporalToolPath(name, { log })}`);
  }
  console.log(`libfaketime: ${resolveTool('faketime', { log }).path}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof ConfigError || err instanceof TemporalToolsError || (err instanceof Error && err.name === 'ScenarioError')) console.error(err.message);
    else console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
