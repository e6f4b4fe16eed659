// A real OpenID Connect provider for the tests (tests/oidc.rs, e2e/sso.test.mjs): panva's
// certified `oidc-provider` (npm, e2e/package.json) with a password login page,
// auto-consent, PKCE (S256) required for every client, RS256 keys made at start (nothing
// persisted), RP-initiated logout with a plain confirmation page. 127.0.0.1 only.
//
// usage: node e2e/lib/oidc_provider.mjs PORT [CONFIG.json]   (http://127.0.0.1:PORT)
// CONFIG.json (all optional): {"redirect_uris": [...], "post_logout_redirect_uris": [...],
//   "users": {"alice": {"password": "alicepass", "claims": {...}}, ...}, "clients": [...]}
// Defaults:
//   clients: "app" / secret "appsecret" (client_secret_basic), "spa" (public, no secret);
//            both: code flow + refresh tokens, redirect_uris from CONFIG (default
//            http://127.0.0.1:8080/callback); redirect URIs must match exactly
//   users:   alice / alicepass (groups [admins, users]), bob / bobpass (groups [users]),
//            carol / carolpass (e-mail NOT verified)
//   scopes:  openid email profile groups offline_access; scope claims are in the ID token too;
//            every token response has a refresh_token
// Login page: GET /interaction/UID shows a form (login, password); POST it; a wrong password
// shows the form again with "invalid login or password" (HTTP 200).
import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';

const port = Number(process.argv[2] || 9400);
const cfg = process.argv[3] ? JSON.parse(readFileSync(process.argv[3], 'utf8')) : {};
const { default: Provider } = await import('oidc-provider');
const issuer = `http://127.0.0.1:${port}`;

const users = cfg.users || {
  alice: { password: 'alicepass', claims: { email: 'alice@example.test', email_verified: true, name: 'Alice Admin', preferred_username: 'alice', groups: ['admins', 'users'] } },
  bob: { password: 'bobpass', claims: { email: 'bob@example.test', email_verified: true, name: 'Bob User', preferred_username: 'bob', groups: ['users'] } },
  carol: { password: 'carolpass', claims: { email: 'carol@example.test', email_verified: false, name: 'Carol Unverified', preferred_username: 'carol', groups: ['users'] } },
};
const redirect_uris = cfg.redirect_uris || ['http://127.0.0.1:8080/callback'];
const post_logout_redirect_uris = cfg.post_logout_redirect_uris || [];
const common = { redirect_uris, post_logout_redirect_uris, grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] };
const clients = cfg.clients || [
  { client_id: 'app', client_secret: 'appsecret', token_endpoint_auth_method: 'client_secret_basic', ...common },
  { client_id: 'spa', token_endpoint_auth_method: 'none', ...common },
];
const SCOPE = 'openid email profile groups offline_access';
const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [{ ...key, kid: 'testkit', alg: 'RS256', use: 'sig' }] },
  cookies: { keys: ['testkit-cookie-key'] },
  pkce: { required: () => true },
  conformIdTokenClaims: false, // put scope claims (email, groups...) into the ID token as well
  scopes: SCOPE.split(' '),
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'], groups: ['groups'] },
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    introspection: { enabled: true },
    // The default pages load a web font from the internet: tests stay on 127.0.0.1.
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = `<!doctype html><html><head><title>Sign out</title></head><body>${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout" id="logout">Yes, sign me out</button></body></html>`;
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = '<!doctype html><html><head><title>Signed out</title></head><body><p id="signed-out">Signed out.</p></body></html>';
      },
    },
  },
  findAccount: async (ctx, sub) => users[sub] && { accountId: sub, claims: async () => ({ sub, ...users[sub].claims }) },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // first-party test clients: grant whatever they ask for, no consent page
  async loadExistingGrant(ctx) {
    const id = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (id) { const g = await ctx.oidc.provider.Grant.find(id); if (g) return g; }
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(SCOPE);
    await grant.save();
    return grant;
  },
  // refresh tokens for every client allowed the refresh_token grant (default: only with
  // scope offline_access + prompt=consent)
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  ttl: { AccessToken: 3600, AuthorizationCode: 120, IdToken: 3600, Interaction: 600, Session: 86400, Grant: 86400, RefreshToken: 86400 },
});

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
const form = (uid, error) => `<!doctype html><html><head><title>Sign in</title></head><body>
<form method="post" action="/interaction/${esc(uid)}">
${error ? `<p id="error">${esc(error)}</p>` : ''}
<input name="login" id="login" placeholder="login" autofocus> <input name="password" id="password" type="password" placeholder="password">
<button type="submit" id="submit">Sign in</button></form></body></html>`;

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  const send = (html) => { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }); res.end(html); };
  if (req.method === 'GET') return send(form(uid));
  let body = ''; for await (const chunk of req) body += chunk;
  const p = new URLSearchParams(body);
  const u = users[p.get('login')];
  if (!u || u.password !== p.get('password')) return send(form(uid, 'invalid login or password'));
  await provider.interactionFinished(req, res, { login: { accountId: p.get('login') } }, { mergeWithLastSubmission: false });
}

const handle = provider.callback();
createServer((req, res) => {
  const m = req.url.match(/^\/interaction\/([^/?]+)/);
  if (!m) return handle(req, res);
  interaction(req, res, m[1]).catch((e) => { res.writeHead(400, { 'content-type': 'text/plain' }); res.end(String(e.message)); });
}).listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));
