// The company identity provider stand-in: the OpenID Certified npm package `oidc-provider`
// (pinned in oidc_idp.py), configured like a company IdP: one confidential client (the
// gateway), users with email and groups claims, and a sign-in page of its own.
// Usage: node oidc_idp.mjs <config.json>; users are re-read from cfg.users_file at every
// sign-in and token refresh, so a test can remove a user the way an admin offboards one.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import Provider from 'oidc-provider';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const users = () => JSON.parse(fs.readFileSync(cfg.users_file, 'utf8'));

const provider = new Provider(cfg.issuer, {
  clients: cfg.clients,
  cookies: { keys: ['idp-stand-in-cookie-key-not-secret'] },
  // email and groups in the ID token itself (the gateway reads them there), as Okta/Entra
  // do when configured to; groups ride on the openid scope because the gateway does not
  // ask for a groups scope.
  conformIdTokenClaims: false,
  claims: { openid: ['sub', 'groups'], email: ['email', 'email_verified'], profile: ['name'] },
  features: { devInteractions: { enabled: false }, deviceFlow: { enabled: true },
    revocation: { enabled: true } },
  ttl: cfg.ttl || {},
  findAccount: async (ctx, id) => {
    const u = users()[id];
    if (!u) return undefined; // removed from the IdP: no sign-in, no refresh
    return { accountId: id, claims: async () => ({ sub: id, email: u.email,
      email_verified: true, name: u.name, groups: u.groups }) };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});
provider.proxy = false;

const page = (body) => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Example Corp sign-in</title></head><body>
<p class="stand-in">This sign-in page is the test IdP (oidc-provider). In your company it is
Okta, Microsoft Entra ID, Google Workspace or another OpenID Connect provider.</p>
${body}</body></html>`;

const loginForm = (uid, error) => page(`<h1>Sign in to Example Corp</h1>
${error ? `<p class="error">${error}</p>` : ''}
<form method="post" action="/interaction/${uid}">
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button></form>`);

function readForm(req) {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => resolve(Object.fromEntries(new URLSearchParams(data))));
  });
}

async function consent(details) {
  // Company IdPs grant their own apps by admin consent: no consent screen for developers.
  const { prompt: { details: missing }, params, session } = details;
  const grant = details.grantId ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  if (missing.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  return { consent: { grantId: await grant.save() } };
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'consent') {
    return provider.interactionFinished(req, res, await consent(details),
      { mergeWithLastSubmission: true });
  }
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return res.end(loginForm(uid));
  }
  const form = await readForm(req);
  const u = users()[form.username];
  if (!u || u.password !== form.password) {
    console.log(`sign-in refused for ${JSON.stringify(form.username)}`);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return res.end(loginForm(uid, 'Unknown user or wrong password.'));
  }
  console.log(`signed in ${form.username}`);
  return provider.interactionFinished(req, res, { login: { accountId: form.username } },
    { mergeWithLastSubmission: false });
}

const handler = provider.callback();
// https with cfg.tls (an IdP reached by name through a proxy), plain http otherwise
const serve = (app) => (cfg.tls ? https.createServer({ cert: fs.readFileSync(cfg.tls.cert),
  key: fs.readFileSync(cfg.tls.key) }, app) : http.createServer(app));
serve((req, res) => {
  const m = req.url.match(/^\/interaction\/([\w-]+)$/);
  if (!m) return handler(req, res);
  interaction(req, res, m[1]).catch((err) => {
    console.log(`interaction error: ${err}`);
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(String(err));
  });
}).listen(cfg.port, '127.0.0.1', () => console.log(`idp listening on ${cfg.issuer}`));
