import http from 'node:http';
import Provider from 'oidc-provider';

/**
 * A real OpenID provider for the console's sign-in tests (the `oidc-provider` package, certified
 * OpenID Connect), on 127.0.0.1 with its development login and consent pages: any login name
 * signs in as the account of that name in `accounts`. Accounts carry a `groups` claim (profile
 * scope, so it comes from userinfo, as with IdPs that keep groups out of the ID token).
 */
export interface TestAccount { name: string; email: string; groups: string[] }

export async function startOidcProvider(opts: { port: number; redirectUri: string; clientId: string; clientSecret: string; accounts: Record<string, TestAccount> }) {
  const issuer = `http://127.0.0.1:${opts.port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: opts.clientId, client_secret: opts.clientSecret, redirect_uris: [opts.redirectUri],
      grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post',
    }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx, id) {
      const account = opts.accounts[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, name: account.name, email: account.email, email_verified: true, groups: account.groups }) };
    },
  });
  provider.proxy = false;
  const server = http.createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(opts.port, '127.0.0.1', resolve));
  return {
    issuer,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
