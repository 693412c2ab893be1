// A real OpenID Connect provider (panva's oidc-provider) for the single sign-on tests.
//
//   node server.js STATE_FILE
//
// Listens on a free loopback port and prints one JSON line, {"issuer": "http://127.0.0.1:PORT"},
// once it answers. The test writes STATE_FILE (JSON) and may rewrite it between requests; it is
// read again on every request, so a test changes an account's groups, or the provider's clock,
// without a restart:
//
//   {
//     "redirectUris": ["http://localhost:8001/oidc/callback/"],       // read once, at start
//     "postLogoutRedirectUris": ["http://localhost:8001/accounts/login/"],
//     "accounts": {"alice": {"email": "...", "given_name": "...", "groups": ["..."]}},
//     "clockOffsetSeconds": 0,      // the provider's clock, moved (tokens born in the past)
//     "idTokenClaimsOverride": null // e.g. {"aud": "other"}: the ID token the token endpoint
//                                   // hands out is re-signed, with the provider's own key, with
//                                   // these claims changed (a token minted for someone else)
//   }
//
// Logins go through oidc-provider's development interactions: a plain HTML login form (any
// password) and a consent form. The clients: "tracker" (the app, secret "tracker-secret") and
// "other" (a second client of the same provider).

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import { exportJWK, generateKeyPair, importJWK, SignJWT, decodeJwt } from 'jose';
import Provider from 'oidc-provider';

const stateFile = process.argv[2];
if (!stateFile) {
  console.error('usage: node server.js STATE_FILE');
  process.exit(2);
}
const readState = () => JSON.parse(readFileSync(stateFile, 'utf8'));
let state = readState();

// The provider's clock: every date it stamps (iat, exp, cookies) comes from Date.now().
const realNow = Date.now;
Date.now = () => realNow() + (state.clockOffsetSeconds || 0) * 1000;

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

const configuration = {
  clients: [
    {
      client_id: 'tracker',
      client_secret: 'tracker-secret',
      redirect_uris: state.redirectUris,
      post_logout_redirect_uris: state.postLogoutRedirectUris || [],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: 'other',
      client_secret: 'other-secret',
      redirect_uris: ['http://127.0.0.1:9/other/callback'],
      response_types: ['code'],
      grant_types: ['authorization_code'],
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: ['test-only-cookie-key'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    groups: ['groups'],
  },
  async findAccount(ctx, id) {
    const account = state.accounts[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account }) };
  },
  // The clock offset, not a tiny TTL, is how a test gets an expired ID token (a minute's
  // life, born ten minutes ago): everything the browser keeps (the interaction and session
  // cookies) lives long enough to outlast such an offset.
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 120,
    IdToken: 60,
    Interaction: 3600,
    Session: 86400,
    Grant: 86400,
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
};

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, configuration);

  provider.use(async (ctx, next) => {
    state = readState();
    await next();
    const override = state.idTokenClaimsOverride;
    if (override && ctx.path === '/token' && ctx.body && ctx.body.id_token) {
      const claims = { ...decodeJwt(ctx.body.id_token), ...override };
      const key = await importJWK(signingKey, 'RS256');
      ctx.body.id_token = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: signingKey.kid, typ: 'JWT' })
        .sign(key);
    }
  });

  server.on('request', provider.callback());
  console.log(JSON.stringify({ issuer }));
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
