import fs from 'node:fs';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel, type Worker } from '@temporalio/worker';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { createApp } from '../api/app.js';
import { BatonMetrics } from '../api/metrics.js';
import type { ConsoleOptions } from '../console/options.js';
import { pruneIdempotencyRecords } from '../api/idempotency.js';
import { createApiKey, hasActiveAdmin, listenForApiKeyChanges } from '../db/api-keys.js';
import { connectDatabase, runMigrations, type Database } from '../db/client.js';
import { ensureDefaultPolicy } from '../db/policies.js';
import { createWorker, defaultWorkflowBundle } from '../worker.js';
import { ConfigError, type Config } from './config.js';
import { startEmbeddedPostgres, stopStaleEmbeddedPostgres } from './embedded-postgres.js';
import { startEmbeddedTemporal, stopStaleEmbeddedTemporal } from './embedded-temporal.js';
import { databaseProblem, redactUrl, ActionableError } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { assertPortsFree, freePort, type PortClaim } from './ports.js';
import { createWorkerHealthApp, serveWorkerHealth } from './worker-health.js';
import { installTracing, tracesExporterFromEnv } from './tracing.js';
import { ensureAllCtaClocks, ensureAllHealth, ensureAllPlacementReviews, ensureAllRisks, ensureGovernanceRoutines, ensureNotificationSchedule, ensureAllConnectorPollers, startWorkflowStartDispatcher } from './processes.js';
import { registerSearchAttributes } from './search-attribute-registry.js';
import { isAlive } from './supervised-process.js';
import { batonDataConverter } from './payload-codec.js';
import { setIntegrationKey } from './secret-box.js';
import { configureMailer } from './mailer.js';
import { checkPayloadKeys, payloadKeyFile, resolvePayloadKeyring } from './payload-keys.js';

export type Mode = 'all' | 'worker' | 'api';

export interface RunningBaton {
  apiUrl?: string;
  /** A worker run alone: where it answers /healthz and /metrics. */
  workerUrl?: string;
  temporalAddress: string;
  temporalUiUrl?: string;
  databaseUrl: string;
  adminKey?: string;
  /** One line on payload encryption: the key in use and where it comes from, or why it is off. */
  payloadEncryption: string;
  /**
   * Resolves with a one-line reason when a part Baton cannot run without stops on its own (an
   * embedded server exited, the worker failed): the caller then stops Baton and exits non-zero.
   */
  failed: Promise<string>;
  /** Stops everything, once: later calls wait for the first. */
  stop(): Promise<void>;
}

/** One Baton per data dir: a second start would fight over the embedded servers. */
function acquireInstanceLock(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const lock = path.join(dataDir, 'baton.pid');
  if (fs.existsSync(lock)) {
    const pid = Number(fs.readFileSync(lock, 'utf8'));
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new ActionableError(`Baton is already running with data dir ${dataDir} (pid ${pid}); stop it first, or set BATON_DATA_DIR to another directory.`);
    }
  }
  fs.writeFileSync(lock, String(process.pid));
  return () => {
    if (fs.existsSync(lock) && Number(fs.readFileSync(lock, 'utf8')) === process.pid) fs.rmSync(lock);
  };
}

/**
 * Temporal's own logs go through Baton's JSON logger. Install once, before any connection. With
 * `metricsBindAddress`, the SDK's native runtime serves its metrics (worker task slots, poll and
 * schedule-to-start latencies, sticky cache…) in Prometheus format there; the returned URL is what
 * Baton's /metrics forwards. Later calls return the first call's URL.
 */
let runtimeInstalled = false;
let sdkMetricsUrl: string | undefined;
export function installTemporalRuntime(logger: Logger, opts: { metricsBindAddress?: string } = {}): string | undefined {
  if (runtimeInstalled) return sdkMetricsUrl;
  const level = (['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const).find((l) => l.toLowerCase() === logger.level) ?? 'INFO';
  Runtime.install({
    logger: new DefaultLogger(level as LogLevel, (entry) => {
      const method = entry.level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
      logger[method]({ ...entry.meta, source: 'temporal' }, entry.message);
    }),
    // The native core's own logs go through the same logger (not straight to the console), so
    // `baton rehearse --json` keeps stdout pure JSON and every line is structured.
    telemetryOptions: {
      logging: { filter: { core: level as LogLevel, other: 'WARN' }, forward: {} },
      ...(opts.metricsBindAddress ? { metrics: { prometheus: { bindAddress: opts.metricsBindAddress } } } : {}),
    },
    // Baton handles SIGINT/SIGTERM itself and shuts the worker down once, in order. With the SDK's
    // own handlers too, both would shut the worker down and the second logs IllegalStateError.
    shutdownSignals: [],
  });
  runtimeInstalled = true;
  if (opts.metricsBindAddress) {
    const at = opts.metricsBindAddress.lastIndexOf(':');
    const host = opts.metricsBindAddress.slice(0, at);
    sdkMetricsUrl = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${opts.metricsBindAddress.slice(at + 1)}/metrics`;
  }
  return sdkMetricsUrl;
}

export function temporalConnectionOptions(config: Config, address: string): ConnectionOptions {
  const file = (p?: string) => (p ? fs.readFileSync(p) : undefined);
  const tls = config.TEMPORAL_TLS || config.TEMPORAL_API_KEY || config.TEMPORAL_TLS_CERT_PATH
    ? {
        serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME,
        serverRootCACertificate: file(config.TEMPORAL_TLS_CA_PATH),
        ...(config.TEMPORAL_TLS_CERT_PATH ? { clientCertPair: { crt: file(config.TEMPORAL_TLS_CERT_PATH)!, key: file(config.TEMPORAL_TLS_KEY_PATH)! } } : {}),
      }
    : undefined;
  return { address, tls, apiKey: config.TEMPORAL_API_KEY };
}

/** On an external server Baton registers its search attributes if they are missing. */
async function ensureSearchAttributes(connection: Connection, namespace: string, log: Logger) {
  try {
    const added = await registerSearchAttributes(connection, namespace);
    if (added.length) log.info({ added }, 'registered search attributes');
  } catch (err) {
    log.warn({ err }, 'could not check or register search attributes; register ClientId, Segment, Process, Step (Keyword) yourself');
  }
}

/** The first admin key: from BATON_ADMIN_API_KEY, or generated and returned once. */
export async function bootstrapAdminKey(db: Database['db'], config: Config): Promise<string | undefined> {
  if (await hasActiveAdmin(db)) return undefined;
  if (config.BATON_ADMIN_API_KEY) {
    await createApiKey(db, { name: 'bootstrap admin (BATON_ADMIN_API_KEY)', role: 'admin', createdBy: 'system', key: config.BATON_ADMIN_API_KEY });
    return undefined;
  }
  const { key } = await createApiKey(db, { name: 'first admin', role: 'admin', createdBy: 'system' });
  return key;
}

export async function startBaton(config: Config, mode: Mode = 'all', logger = createLogger(config.LOG_LEVEL)): Promise<RunningBaton> {
  const stops: (() => Promise<void> | void)[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () => (stopping ??= (async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        logger.error({ err }, 'error during shutdown');
      }
    }
  })());
  let fail!: (reason: string) => void;
  const failed = new Promise<string>((resolve) => (fail = resolve));
  const embedded = !config.DATABASE_URL || !config.TEMPORAL_ADDRESS;
  if (mode !== 'all' && embedded) {
    // Separate API and worker processes must share one database and one Temporal server.
    throw new ConfigError([
      ...(config.DATABASE_URL ? [] : ['DATABASE_URL: required when running the ' + mode + ' alone (`npm start` runs both with embedded servers)']),
      ...(config.TEMPORAL_ADDRESS ? [] : ['TEMPORAL_ADDRESS: required when running the ' + mode + ' alone (`npm start` runs both with embedded servers)']),
    ]);
  }
  try {
    if (embedded) stops.push(acquireInstanceLock(config.dataDir));
    await claimPorts(config, mode, logger);
    // The SDK's metrics describe its workers (the API's client is plain gRPC): a process without one exports none.
    const metricsBindAddress = mode === 'api' || config.BATON_TEMPORAL_METRICS_ADDRESS === 'off' ? undefined : config.BATON_TEMPORAL_METRICS_ADDRESS ?? `127.0.0.1:${await freePort()}`;
    const sdkMetrics = installTemporalRuntime(logger, { metricsBindAddress });
    const tracing = installTracing(mode === 'all' ? 'baton' : `baton-${mode}`);
    if (tracing) stops.push(() => tracing.shutdown());
    logger.info({ tracing: tracesExporterFromEnv() ?? 'off' }, 'OpenTelemetry traces');

    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres({ dataDir: path.join(config.dataDir, 'postgres'), port: config.BATON_PG_PORT, portVariable: 'BATON_PG_PORT', log: (m) => logger.info(m) });
      stops.push(() => pg.stop());
      void pg.died.then(fail);
      databaseUrl = pg.url;
    }
    const database = connectDatabase(databaseUrl, { max: config.DATABASE_POOL_MAX });
    stops.push(() => database.close());
    try {
      await runMigrations(databaseUrl);
    } catch (err) {
      throw databaseProblem(err, databaseUrl, config.DATABASE_URL ? 'DATABASE_URL' : 'embedded') ?? err;
    }
    await ensureDefaultPolicy(database.db);
    // Before the embedded Temporal starts: a new install is one whose Temporal has no history yet.
    const { keyring, source } = resolvePayloadKeyring(config, logger);
    const payloadEncryption = keyring
      ? `encrypted with key ${keyring.activeKeyId} (${source}${source === payloadKeyFile(config.dataDir) ? ' — back it up: histories cannot be read without it' : ''})`
      : 'NOT encrypted: set BATON_PAYLOAD_KEYS (README: Payload encryption)';
    await checkPayloadKeys(database.db, keyring, config.BATON_PAYLOAD_RETIRED_KEYS);
    const dataConverter = batonDataConverter(keyring);
    setIntegrationKey(config.BATON_INTEGRATION_KEY);
    configureMailer(config.BATON_SMTP_URL, config.BATON_MAIL_FROM, config.BATON_PUBLIC_URL);
    const publicApiUrl = config.BATON_PUBLIC_URL ?? `http://${config.BATON_API_HOST === '0.0.0.0' ? '127.0.0.1' : config.BATON_API_HOST}:${config.BATON_API_PORT}`;
    // The API process owns the first admin key, so a worker never prints or creates one.
    const adminKey = mode === 'worker' ? undefined : await bootstrapAdminKey(database.db, config);

    let address = config.TEMPORAL_ADDRESS;
    let uiUrl = config.TEMPORAL_UI_URL;
    if (!address) {
      const temporal = await startEmbeddedTemporal({
        dataDir: path.join(config.dataDir, 'temporal'), port: config.BATON_TEMPORAL_PORT, uiPort: config.BATON_TEMPORAL_UI_PORT,
        portVariables: { port: 'BATON_TEMPORAL_PORT', uiPort: 'BATON_TEMPORAL_UI_PORT' },
        namespace: config.TEMPORAL_NAMESPACE, log: (m) => logger.info(m),
        // The embedded Web UI decodes histories through Baton's codec endpoint (for those allowed).
        ...(keyring && mode !== 'worker' ? { uiCodecEndpoint: `${publicApiUrl}/codec` } : {}),
      });
      stops.push(() => temporal.stop());
      void temporal.died.then(fail);
      address = temporal.address;
      uiUrl = temporal.uiUrl;
    }
    const connectionOptions = temporalConnectionOptions(config, address);
    const connection = await connectTemporal(() => Connection.connect(connectionOptions), address, !!config.TEMPORAL_ADDRESS);
    stops.push(() => connection.close());
    if (config.TEMPORAL_ADDRESS) await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE, logger);
    const client = new Client({
      connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter,
      ...(tracing ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {}),
    });
    const temporalTarget = { client, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE };

    let worker: Worker | undefined;
    let workerUrl: string | undefined;
    if (mode !== 'api') {
      const native = await connectTemporal(() => NativeConnection.connect({ address, tls: connectionOptions.tls, apiKey: config.TEMPORAL_API_KEY }), address, !!config.TEMPORAL_ADDRESS);
      const workflowBundle = defaultWorkflowBundle(config.BATON_WORKFLOW_BUNDLE, !!tracing);
      logger.info({ workflowBundle: workflowBundle?.codePath ?? 'bundled at start' }, 'workflow code');
      worker = await createWorker({
        connection: native, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE, db: database.db, dataConverter,
        ...(workflowBundle ? { workflowBundle } : {}), ...(tracing ? { tracing } : {}),
        tuning: {
          maxCachedWorkflows: config.BATON_WORKER_MAX_CACHED_WORKFLOWS, maxConcurrentWorkflowTaskExecutions: config.BATON_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
          maxConcurrentActivityTaskExecutions: config.BATON_WORKER_MAX_CONCURRENT_ACTIVITIES, vmWatchdog: config.BATON_WORKER_VM_WATCHDOG === 'on',
          workflowPollers: config.BATON_WORKER_WORKFLOW_POLLERS,
        },
      });
      let workerStopping = false;
      const running = worker.run().then(
        () => {
          if (!workerStopping) fail('the Temporal worker stopped on its own');
        },
        (err: unknown) => {
          if (!workerStopping) fail(`the Temporal worker failed: ${(err as Error).message}`);
        },
      );
      stops.push(async () => {
        workerStopping = true;
        if (worker!.getState() === 'RUNNING') worker!.shutdown();
        await running;
        await native.close();
      });
      if (mode === 'worker') {
        const metrics = new BatonMetrics({ sdkMetricsUrl: sdkMetrics, logger });
        const healthServer = await serveWorkerHealth(createWorkerHealthApp({ db: database.db, logger, metrics, workerState: () => worker!.getState() }), config.BATON_API_HOST, config.BATON_WORKER_PORT);
        stops.push(() => new Promise<void>((resolve) => healthServer.close(() => resolve())));
        workerUrl = `http://${config.BATON_API_HOST === '0.0.0.0' ? '127.0.0.1' : config.BATON_API_HOST}:${config.BATON_WORKER_PORT}`;
      }
      const reviews = await ensureAllPlacementReviews(temporalTarget, database.db);
      const clocks = await ensureAllCtaClocks(temporalTarget, database.db);
      const health = await ensureAllHealth(temporalTarget, database.db);
      const risks = await ensureAllRisks(temporalTarget, database.db);
      const routines = await ensureGovernanceRoutines(temporalTarget);
      const notificationSchedule = await ensureNotificationSchedule(temporalTarget, database.db);
      const connectorPollers = await ensureAllConnectorPollers(temporalTarget, database.db);
      logger.info({ placementReviews: reviews, ctaClocks: clocks, health, risks, governanceRoutines: routines, notificationSchedule, connectorPollers }, 'long-running processes reconciled');
      // From then on, the outbox: starts the API committed but did not make (it died, Temporal was away).
      stops.push(startWorkflowStartDispatcher(temporalTarget, database.db, logger));
    }

    let apiUrl: string | undefined;
    if (mode !== 'worker') {
      // API keys are cached per process (db/api-keys.ts): a revocation anywhere must reach this one at once.
      const unlisten = await listenForApiKeyChanges(database);
      stops.push(unlisten);
      const app = createApp({
        db: database.db, logger, temporal: temporalTarget, payloadCodec: dataConverter.payloadCodecs?.[0],
        metrics: new BatonMetrics({ db: database.db, sdkMetricsUrl: sdkMetrics, logger }),
        options: {
          codecCorsOrigins: [...config.BATON_CODEC_CORS_ORIGINS, ...(uiUrl ? [uiUrl] : [])],
          corsOrigins: config.BATON_CORS_ORIGINS, maxBodyBytes: config.BATON_API_MAX_BODY_BYTES,
          authFailuresPerMinute: config.BATON_AUTH_FAILURES_PER_MINUTE, idempotencyLeaseSeconds: config.BATON_IDEMPOTENCY_LEASE_SECONDS,
        },
        console: consoleOptions(config, uiUrl),
      });
      const server: ServerType = await new Promise((resolve, reject) => {
        const s = serve({ fetch: app.fetch, port: config.BATON_API_PORT, hostname: config.BATON_API_HOST }, () => resolve(s));
        s.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE'
          ? new ActionableError(`BATON_API_PORT=${config.BATON_API_PORT} is already in use on ${config.BATON_API_HOST}; stop whatever listens there or set BATON_API_PORT to a free port.`)
          : err));
      });
      stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      // Idempotency records are kept a week (the IETF draft asks for at least 24 h).
      const prune = () => pruneIdempotencyRecords(database.db).catch((err) => logger.warn({ err }, 'idempotency pruning failed'));
      void prune();
      const pruning = setInterval(prune, 6 * 3600 * 1000).unref();
      stops.push(() => clearInterval(pruning));
      apiUrl = publicApiUrl;
    }

    return { apiUrl, workerUrl, temporalAddress: address, temporalUiUrl: uiUrl, databaseUrl: redactUrl(databaseUrl), adminKey, payloadEncryption, failed, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The console's sign-in (OpenID Connect and/or API keys), session length and Temporal UI links, from the configuration. */
export function consoleOptions(config: Config, temporalUiUrl: string | undefined): Partial<ConsoleOptions> {
  return {
    localSignIn: config.BATON_CONSOLE_LOCAL_SIGNIN,
    sessionHours: config.BATON_SESSION_HOURS,
    ...(config.BATON_PUBLIC_URL ? { publicUrl: config.BATON_PUBLIC_URL } : {}),
    ...(temporalUiUrl ? { temporalUiUrl } : {}),
    ...(config.TEMPORAL_TEST_SERVER_PATH ? { rehearsal: { testServerPath: config.TEMPORAL_TEST_SERVER_PATH } } : {}),
    ...(config.BATON_OIDC_ISSUER && config.BATON_OIDC_CLIENT_ID ? {
      oidc: {
        issuer: config.BATON_OIDC_ISSUER, clientId: config.BATON_OIDC_CLIENT_ID, ...(config.BATON_OIDC_CLIENT_SECRET ? { clientSecret: config.BATON_OIDC_CLIENT_SECRET } : {}),
        roleClaim: config.BATON_OIDC_ROLE_CLAIM, roles: config.BATON_OIDC_ROLES ?? {}, label: config.BATON_OIDC_LABEL,
      },
    } : {}),
  };
}

/**
 * Before any server starts: servers a killed Baton left in this data dir are stopped, then every
 * port this process will listen on must be free — otherwise Baton would report ready against
 * someone else's PostgreSQL or Temporal. One line names the variable to change.
 */
async function claimPorts(config: Config, mode: Mode, logger: Logger) {
  const claims: PortClaim[] = [];
  if (!config.DATABASE_URL) {
    await stopStaleEmbeddedPostgres(path.join(config.dataDir, 'postgres'), (m) => logger.info(m));
    claims.push({ variable: 'BATON_PG_PORT', port: config.BATON_PG_PORT, purpose: 'the embedded PostgreSQL' });
  }
  if (!config.TEMPORAL_ADDRESS) {
    await stopStaleEmbeddedTemporal(path.join(config.dataDir, 'temporal'), (m) => logger.info(m));
    claims.push({ variable: 'BATON_TEMPORAL_PORT', port: config.BATON_TEMPORAL_PORT, purpose: 'the embedded Temporal server' });
    claims.push({ variable: 'BATON_TEMPORAL_UI_PORT', port: config.BATON_TEMPORAL_UI_PORT, purpose: 'the embedded Temporal Web UI' });
  }
  if (mode === 'worker') claims.push({ variable: 'BATON_WORKER_PORT', port: config.BATON_WORKER_PORT, host: config.BATON_API_HOST, purpose: 'the worker\'s health and metrics endpoint' });
  if (mode !== 'worker') claims.push({ variable: 'BATON_API_PORT', port: config.BATON_API_PORT, host: config.BATON_API_HOST, purpose: 'the HTTP API' });
  await assertPortsFree(claims);
}

/** An external Temporal that cannot be reached is a configuration problem: say so in one line. */
async function connectTemporal<T>(connect: () => Promise<T>, address: string, external: boolean): Promise<T> {
  try {
    return await connect();
  } catch (err) {
    if (!external) throw err;
    throw new ActionableError(`Cannot reach Temporal at ${address}: ${(err as Error).message.split('\n')[0]}; check TEMPORAL_ADDRESS (and TEMPORAL_TLS / TEMPORAL_API_KEY), or unset it to use the embedded server.`, { cause: err });
  }
}
