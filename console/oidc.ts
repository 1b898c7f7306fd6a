import * as oidc from 'openid-client';
import type { Principal, Role } from '../db/api-keys.js';
import { ROLE_STRENGTH, type OidcOptions } from './options.js';

/**
 * OpenID Connect sign-in with openid-client: authorization code flow with PKCE (S256), state and
 * nonce; the ID token is verified by the library (issuer, audience, signature, expiry, nonce).
 * Roles come from a claim (default `groups`) mapped by BATON_OIDC_ROLES; a user none of whose
 * values is mapped cannot sign in. The IdP's metadata is discovered once and kept.
 */
export class OidcSignIn {
  private config: Promise<oidc.Configuration> | undefined;
  constructor(readonly options: OidcOptions) {}

  private discover(): Promise<oidc.Configuration> {
    const issuer = new URL(this.options.issuer);
    // Plain http only for an IdP on this machine (development and the tests' own provider).
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname);
    this.config ??= oidc.discovery(
      issuer, this.options.clientId,
      this.options.clientSecret ? undefined : { token_endpoint_auth_method: 'none' },
      this.options.clientSecret ? oidc.ClientSecretPost(this.options.clientSecret) : oidc.None(),
      loopback ? { execute: [oidc.allowInsecureRequests] } : undefined,
    ).catch((err: unknown) => {
      this.config = undefined; // try again on the next sign-in
      throw err;
    });
    return this.config;
  }

  /** Where to send the browser, and what to keep until it comes back. */
  async begin(redirectUri: string): Promise<{ url: URL; codeVerifier: string; state: string; nonce: string }> {
    const config = await this.discover();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri, scope: this.options.scopes ?? 'openid email profile', response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', state, nonce,
    });
    return { url, codeVerifier, state, nonce };
  }

  /** The IdP sent the browser back to `callbackUrl`: exchange the code and decide who signed in, with which role. */
  async finish(callbackUrl: URL, pending: { codeVerifier: string; state: string; nonce: string }): Promise<{ principal: Principal } | { refused: string }> {
    const config = await this.discover();
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true,
    });
    const claims: Record<string, unknown> & { sub: string } = { ...tokens.claims()! };
    let values = claimValues(claims[this.options.roleClaim]);
    // Some IdPs put groups only in userinfo.
    if (!values.length && tokens.access_token && config.serverMetadata().userinfo_endpoint) {
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      values = claimValues(info[this.options.roleClaim]);
      claims.email ??= info.email;
      claims.name ??= info.name;
    }
    const role = roleFor(values, this.options.roles);
    const email = typeof claims.email === 'string' ? claims.email : undefined;
    const name = typeof claims.name === 'string' ? claims.name : email ?? claims.sub;
    if (!role) return { refused: `${name} has no Baton role: none of the values of the "${this.options.roleClaim}" claim (${values.join(', ') || 'none'}) is mapped in BATON_OIDC_ROLES.` };
    return { principal: { kind: 'user', id: `oidc:${claims.sub}`, name, role, ...(email ? { email } : {}) } };
  }
}

function claimValues(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** The strongest role any of the values maps to (admin, manager, ops, automation), or undefined. */
export function roleFor(values: readonly string[], map: Record<string, Role>): Role | undefined {
  const granted = new Set(values.map((v) => map[v]).filter((r): r is Role => !!r));
  return ROLE_STRENGTH.find((r) => granted.has(r));
}
