import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { z } from 'zod';
import { parsePayloadKeys } from './payload-codec.js';

/**
 * The one place Baton reads its environment. Every variable is listed here with its default and
 * meaning; the README's configuration table and the docker-compose check are derived from it.
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(1).max(65535);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));
const optionalFile = optionalString.refine((f) => f === undefined || fs.existsSync(f), { message: 'file not found' });

export const configSchema = z
  .object({
    BATON_DATA_DIR: z.string().min(1).default('.baton').describe('Where the embedded Temporal and PostgreSQL keep their data.'),
    BATON_API_HOST: z.string().min(1).default('127.0.0.1').describe('Interface the HTTP API listens on (0.0.0.0 in containers).'),
    BATON_API_PORT: port.default(8080).describe('Port of the HTTP API.'),
    BATON_PUBLIC_URL: z.url().optional().describe('Base URL printed for the API (defaults to http://host:port).'),
    BATON_ADMIN_API_KEY: optionalString
      .pipe(z.string().min(32, 'must be at least 32 characters').optional())
      .describe('Seeds an admin API key with this value, only while no active admin key exists (at least 32 characters).'),
    BATON_CORS_ORIGINS: optionalString
      .transform((v) => (v ? v.split(',').map((o) => o.trim()).filter(Boolean) : []))
      .pipe(z.array(z.url('each origin must be a URL such as https://app.example.com')))
      .describe('Comma-separated origins allowed to call the API from a browser (CORS); none when unset.'),
    BATON_API_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(256 * 1024).describe('Largest request body the API accepts; larger is a 413.'),
    BATON_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(20).describe('Wrong API keys one address may send per minute before it gets 429s.'),
    BATON_IDEMPOTENCY_LEASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60).describe('How long a request holds its Idempotency-Key; after that a retry with the key takes over.'),
    BATON_OIDC_ISSUER: optionalString.pipe(z.url('must be the issuer URL, e.g. https://login.microsoftonline.com/<tenant>/v2.0').optional())
      .describe('OpenID Connect issuer for console sign-in (Entra ID, Google Workspace, Okta…); unset: no single sign-on.'),
    BATON_OIDC_CLIENT_ID: optionalString.describe('Client id of Baton\'s console at the identity provider.'),
    BATON_OIDC_CLIENT_SECRET: optionalString.describe('Client secret at the identity provider (a confidential client); unset: a public client with PKCE only.'),
    BATON_OIDC_ROLE_CLAIM: z.string().min(1).default('groups').describe('Claim of the ID token (or userinfo) whose values map to Baton roles.'),
    BATON_OIDC_ROLES: optionalString
      .transform((v, ctx) => parseRoleMap(v, ctx))
      .describe('Claim value → Baton role, comma-separated, e.g. `cs-leads=manager,csms=ops,it-admins=admin`; a user with several gets the strongest (admin, manager, ops, automation).'),
    BATON_OIDC_LABEL: z.string().min(1).default('single sign-on').describe('Name of the identity provider on the sign-in button, e.g. `Microsoft Entra ID`.'),
    BATON_CONSOLE_LOCAL_SIGNIN: bool.default(true).describe('Offer console sign-in with an API key (for installs without an identity provider).'),
    BATON_SESSION_HOURS: z.coerce.number().min(0.1).max(24 * 30).default(12).describe('How long a console sign-in lasts.'),
    LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info').describe('Log level of the JSON logs.'),

    DATABASE_URL: optionalString
      .pipe(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional())
      .describe('External PostgreSQL. Unset: an embedded PostgreSQL is started under BATON_DATA_DIR.'),
    BATON_PG_PORT: port.default(55432).describe('Port of the embedded PostgreSQL.'),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10).describe('Connections in the pool.'),

    TEMPORAL_ADDRESS: optionalString.describe('External Temporal frontend (host:port). Unset: an embedded dev server is started.'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default').describe('Temporal namespace.'),
    TEMPORAL_API_KEY: optionalString.describe('API key for Temporal Cloud or a secured server (implies TLS).'),
    TEMPORAL_TLS: bool.default(false).describe('Connect to Temporal with TLS.'),
    TEMPORAL_TLS_SERVER_NAME: optionalString.describe('TLS server name override.'),
    TEMPORAL_TLS_CA_PATH: optionalFile.describe('PEM file with the server CA.'),
    TEMPORAL_TLS_CERT_PATH: optionalFile.describe('PEM client certificate (mTLS).'),
    TEMPORAL_TLS_KEY_PATH: optionalFile.describe('PEM client key (mTLS).'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('baton').describe('Task queue of Baton workflows and activities.'),
    TEMPORAL_UI_URL: optionalString.describe('Temporal Web UI URL of an external server: printed at start, and the console links each process to its workflow there.'),
    BATON_TEMPORAL_PORT: port.default(7233).describe('Port of the embedded Temporal dev server.'),
    BATON_TEMPORAL_UI_PORT: port.default(8233).describe('Port of the embedded Temporal Web UI.'),
    BATON_WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(1_000_000).optional()
      .describe('Workflows the worker keeps in memory between tasks (a miss replays the history); unset: what fits the heap at about 3 MiB a Baton workflow (worker.ts `defaultMaxCachedWorkflows`). Size it to the live workflows the worker should hold; their memory per 1,000 is measured by `npm run bench -- --only scale` (README "Benchmark").'),
    BATON_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(10_000).optional().describe('Workflow tasks one worker runs at once; unset: the SDK default (40).'),
    BATON_WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(10_000).optional().describe('Activities one worker runs at once; unset: the SDK default (100). Keep it near DATABASE_POOL_MAX times a few: every activity writes to PostgreSQL.'),
    BATON_WORKER_VM_WATCHDOG: z.enum(['on', 'off']).default('on')
      .describe('`off`: the worker enters workflow sandboxes without Node\'s watchdog thread per entry, which cuts a workflow activation off after 5 s at the cost of a thread created for every entry (runtime/workflow-threads.ts: about 15 % of a rehearsal\'s wall time on 2 vCPUs). A workflow that never yields then keeps its thread until the server hands its tasks to another worker.'),
    BATON_WORKER_WORKFLOW_POLLERS: z.enum(['fixed', 'autoscaling']).default('fixed')
      .describe('`autoscaling`: the worker opens as many workflow-task polls as the server\'s feedback asks for, instead of the SDK\'s fixed maximum of ten. In the onboarding bench on 2 vCPUs it cut the Update p99 from 3–5 s to about 1.2 s and raised the p50 from about 215 to about 295 ms (README "Benchmark"); polls are scaled on what the server reports with each poll, so the effect depends on the server.'),
    BATON_WORKER_PORT: port.default(8081).describe('Port (on BATON_API_HOST) where a worker run alone (`baton worker`) answers /healthz and /metrics.'),
    BATON_TEMPORAL_METRICS_ADDRESS: optionalString
      .pipe(z.string().regex(/^(off|[^:\s]+:\d{1,5})$/, 'must be host:port (e.g. 127.0.0.1:9464) or off').optional())
      .describe('Where the Temporal SDK runtime serves its own Prometheus metrics (forwarded through Baton\'s authenticated /metrics). Unset: a free loopback port in a process that runs a worker; `off`: no SDK metrics.'),
    BATON_WORKFLOW_BUNDLE: optionalFile.describe('Prebuilt workflow bundle (JavaScript from bundleWorkflowCode) the worker loads instead of bundling at start (the compiled build finds `dist/workflow-bundle.js` by itself).'),
    BATON_PAYLOAD_KEYS: optionalString.describe('Payload encryption keys, comma-separated `id=base64key` (32-byte keys: `openssl rand -base64 32`). The first (or BATON_PAYLOAD_ACTIVE_KEY) encrypts; the others only decrypt older histories. Unset with the embedded servers: a key is generated into the data dir on a new install.'),
    BATON_PAYLOAD_ACTIVE_KEY: optionalString.describe('Id of the key in BATON_PAYLOAD_KEYS that encrypts new payloads (default: the first).'),
    BATON_PAYLOAD_RETIRED_KEYS: optionalString
      .transform((v) => (v ? v.split(',').map((k) => k.trim()).filter(Boolean) : []))
      .describe('Key ids you removed on purpose (every history they sealed is gone): Baton stops refusing to start without them.'),
    BATON_CODEC_CORS_ORIGINS: optionalString
      .transform((v) => (v ? v.split(',').map((o) => o.trim()).filter(Boolean) : []))
      .pipe(z.array(z.url('each origin must be a URL such as https://temporal-ui.example.com')))
      .describe('Origins of the Temporal Web UI allowed to call /codec from a browser (the embedded UI is added by itself).'),
    BATON_INTEGRATION_KEY: optionalString
      .refine((v) => v === undefined || Buffer.from(v, 'base64').length === 32, 'must be 32 bytes in base64 (`openssl rand -base64 32`)')
      .describe('Key that seals connector secrets at rest (webhook signing secrets), 32 bytes in base64 (`openssl rand -base64 32`). Unset: webhook subscriptions cannot be created (503). Keep it: sealed secrets cannot be opened without it.'),
    BATON_SMTP_URL: optionalString
      .refine((v) => v === undefined || /^smtps?:\/\//.test(v), 'must be an smtp:// or smtps:// URL')
      .describe('SMTP relay for email to CTA owners (opened, escalated), e.g. `smtps://user:pass@smtp.example.com:465`. Unset: no email is sent.'),
    BATON_MAIL_FROM: optionalString.describe('Sender of Baton\'s email, e.g. `Baton <baton@msp.example>`; required with BATON_SMTP_URL.'),
    TEMPORAL_CLI_PATH: optionalFile.describe('Path of the `temporal` CLI to use for the embedded server.'),
    TEMPORAL_TEST_SERVER_PATH: optionalFile.describe('Path of the `temporal-test-server` (time-skipping) binary.'),
  })
  .superRefine((cfg, ctx) => {
    const certs = [cfg.TEMPORAL_TLS_CERT_PATH, cfg.TEMPORAL_TLS_KEY_PATH];
    if (certs.filter(Boolean).length === 1) {
      ctx.addIssue({
        code: 'custom',
        path: [cfg.TEMPORAL_TLS_CERT_PATH ? 'TEMPORAL_TLS_KEY_PATH' : 'TEMPORAL_TLS_CERT_PATH'],
        message: 'TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together',
      });
    }
    if (cfg.BATON_OIDC_ISSUER && !cfg.BATON_OIDC_CLIENT_ID) {
      ctx.addIssue({ code: 'custom', path: ['BATON_OIDC_CLIENT_ID'], message: 'required when BATON_OIDC_ISSUER is set' });
    }
    if (cfg.BATON_OIDC_ISSUER && !Object.keys(cfg.BATON_OIDC_ROLES ?? {}).length) {
      ctx.addIssue({ code: 'custom', path: ['BATON_OIDC_ROLES'], message: 'required when BATON_OIDC_ISSUER is set: which claim values give which Baton role' });
    }
    if (!cfg.BATON_OIDC_ISSUER && !cfg.BATON_CONSOLE_LOCAL_SIGNIN) {
      ctx.addIssue({ code: 'custom', path: ['BATON_CONSOLE_LOCAL_SIGNIN'], message: 'nobody could sign in to the console: set BATON_OIDC_ISSUER or leave local sign-in on' });
    }
    if (cfg.BATON_PAYLOAD_KEYS) {
      try {
        parsePayloadKeys(cfg.BATON_PAYLOAD_KEYS, cfg.BATON_PAYLOAD_ACTIVE_KEY);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['BATON_PAYLOAD_KEYS'], message: (err as Error).message });
      }
    } else if (cfg.BATON_PAYLOAD_ACTIVE_KEY) {
      ctx.addIssue({ code: 'custom', path: ['BATON_PAYLOAD_ACTIVE_KEY'], message: 'names a key, but BATON_PAYLOAD_KEYS is not set' });
    }
    if (cfg.BATON_SMTP_URL && !cfg.BATON_MAIL_FROM) {
      ctx.addIssue({ code: 'custom', path: ['BATON_MAIL_FROM'], message: 'required when BATON_SMTP_URL is set' });
    }
    if (!cfg.TEMPORAL_ADDRESS && (cfg.TEMPORAL_API_KEY || cfg.TEMPORAL_TLS)) {
      ctx.addIssue({ code: 'custom', path: ['TEMPORAL_ADDRESS'], message: 'required when TEMPORAL_API_KEY or TEMPORAL_TLS is set' });
    }
  // Cross-field checks run even when single fields failed, so one start-up lists every problem.
  }, { when: () => true });

export type Config = z.output<typeof configSchema> & { dataDir: string };

const CONSOLE_ROLES = ['admin', 'ops', 'automation', 'manager'] as const;

/** `a=manager,b=ops` → { a: 'manager', b: 'ops' }; each role must be a Baton role. */
function parseRoleMap(v: string | undefined, ctx: z.RefinementCtx): Record<string, (typeof CONSOLE_ROLES)[number]> | undefined {
  if (v === undefined) return undefined;
  const map: Record<string, (typeof CONSOLE_ROLES)[number]> = {};
  for (const pair of v.split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = pair.lastIndexOf('=');
    const value = pair.slice(0, at).trim();
    const role = pair.slice(at + 1).trim();
    if (at <= 0 || !value || !(CONSOLE_ROLES as readonly string[]).includes(role)) {
      ctx.addIssue({ code: 'custom', message: `"${pair}" must be <claim value>=<role> with role one of ${CONSOLE_ROLES.join(', ')}` });
      continue;
    }
    map[value] = role as (typeof CONSOLE_ROLES)[number];
  }
  return map;
}

/** Every environment variable Baton reads, for docs and for the compose-file check. */
export const configEnvKeys = Object.keys(configSchema.shape) as (keyof z.input<typeof configSchema>)[];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Baton cannot start: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the configuration from `env` (plus an optional `.env` file in `cwd` whose values never
 * override real environment variables). Throws ConfigError listing every problem at once.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const merged: Record<string, string | undefined> = { ...readDotEnv(path.join(cwd, '.env')), ...env };
  const picked = Object.fromEntries(configEnvKeys.map((k) => [k, merged[k]]));
  const result = configSchema.safeParse(picked);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`));
  }
  return { ...result.data, dataDir: path.resolve(cwd, result.data.BATON_DATA_DIR) };
}

function readDotEnv(file: string): Record<string, string> {
  return fs.existsSync(file) ? util.parseEnv(fs.readFileSync(file, 'utf8')) as Record<string, string> : {};
}
