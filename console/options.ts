import type { Role } from '../db/api-keys.js';

/** OpenID Connect sign-in (console/oidc.ts): the IdP, Baton's client there, and how claims map to roles. */
export interface OidcOptions {
  issuer: string;
  clientId: string;
  /** A confidential client's secret; without one Baton is a public client (PKCE only). */
  clientSecret?: string;
  /** Claim whose values (a string or a list) map to roles, e.g. `groups`. */
  roleClaim: string;
  /** Claim value → role; several matches give the strongest role. */
  roles: Record<string, Role>;
  /** Name on the sign-in button. */
  label: string;
  scopes?: string;
}

/** What the console needs besides the API's own dependencies. */
export interface ConsoleOptions {
  oidc?: OidcOptions;
  /** Sign-in with an API key, for installs without an IdP. */
  localSignIn: boolean;
  sessionHours: number;
  /** Base URL people reach Baton at: the OIDC redirect URI, and `Secure` cookies when it is https (TLS in front). */
  publicUrl?: string;
  /** Temporal Web UI, for the links to each workflow. */
  temporalUiUrl?: string;
  /** Where the rehearse-a-change form runs its rehearsals (rehearsal/run.ts options); default an embedded PostgreSQL per run. */
  rehearsal?: { postgresAdminUrl?: string; testServerPath?: string; scenarioDir?: string };
}

export const CONSOLE_DEFAULTS: ConsoleOptions = { localSignIn: true, sessionHours: 12 };

/** The strongest role wins when a user's claims map to several. */
export const ROLE_STRENGTH: readonly Role[] = ['admin', 'manager', 'ops', 'automation'];
