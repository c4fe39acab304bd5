#!/usr/bin/env node
// The test identity provider of Registry Console (see README.md here):
//
// - an OpenID provider (npm `oidc-provider`): code flow with PKCE required,
//   refresh tokens (rotated on every use), RP-initiated logout, a plain login
//   form, claims `preferred_username`, `email`, `groups`;
// - OpenShift-style OAuth on the same origin: `/.well-known/oauth-authorization-server`,
//   `/oauth/authorize`, `/oauth/token` issuing opaque `sha256~` tokens (no
//   refresh token, as OpenShift);
// - a TokenReview webhook (`POST /tokenreview`) accepting those tokens until
//   they are deleted (`DELETE /tokens/<sha256~name>`), the way OpenShift's
//   oauth-apiserver checks them for kube-apiserver.
//
// HTTPS with a certificate for 127.0.0.1/::1/localhost signed by a CA kept in
// `--tls-dir` (generated there unless ca.crt and ca.key already exist).
// Prints one JSON line on stdout when ready, then exits when stdin closes.
// All state is in memory.

import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';

import forge from 'node-forge';
import Provider from 'oidc-provider';

const USAGE = `usage: node server.mjs --tls-dir DIR [options]

  --tls-dir DIR              CA and server certificate (ca.crt, ca.key, tls.crt, tls.key);
                             a CA already there is reused, else one is generated
  --host HOST                listen address (default 127.0.0.1)
  --port PORT                listen port (default 0: any free port)
  --client JSON              a client (repeatable), see below
  --clients FILE             a JSON array of clients
  --access-token-ttl SECS    OIDC access tokens (default 300)
  --id-token-ttl SECS        ID tokens (default 300)
  --refresh-token-ttl SECS   refresh tokens (default 3600)
  --session-ttl SECS         sign-in sessions and grants (default 3600)
  --openshift-token-ttl SECS sha256~ tokens (default 86400; 0 = never expire)
  --keep-running             do not exit when stdin closes

A client: {"clientId": "...", "clientSecret": "..." (omit for a public client),
  "redirectUris": ["..."], "postLogoutRedirectUris": ["..."],
  "type": "oidc" (default) | "openshift",
  "tokenEndpointAuthMethod": "client_secret_basic" (default) | "client_secret_post",
  "idTokenTtl": SECS (this client's ID token lifetime; default --id-token-ttl)}

Users (password = name + "-password"): admin (registry-admins),
auditor (registry-auditors), developer, nobody.`;

// The test cluster's users and groups (tests/controlplane/up.go, tests/seed/50-users.yaml).
const USERS = {
  admin: ['registry-admins'],
  auditor: ['registry-auditors'],
  developer: [],
  nobody: [],
};

function user(name) {
  if (!Object.hasOwn(USERS, name)) return undefined;
  const hash = crypto.createHash('sha256').update(`rc-test-idp:${name}`).digest('hex');
  const uid = `${hash.slice(0, 8)}-${hash.slice(8, 12)}-4${hash.slice(13, 16)}-a${hash.slice(17, 20)}-${hash.slice(20, 32)}`;
  return { name, uid, email: `${name}@example.com`, groups: [...USERS[name]] };
}

function checkPassword(name, password) {
  const u = user(name);
  if (!u) return undefined;
  const want = Buffer.from(`${name}-password`);
  const got = Buffer.from(String(password ?? ''));
  return got.length === want.length && crypto.timingSafeEqual(got, want) ? u : undefined;
}

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
  const opts = {
    host: '127.0.0.1',
    port: 0,
    clients: [],
    accessTokenTtl: 300,
    idTokenTtl: 300,
    refreshTokenTtl: 3600,
    sessionTtl: 3600,
    openshiftTokenTtl: 86400,
    keepRunning: false,
  };
  const seconds = (flag, value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag}: not a number of seconds: ${value}`);
    return n;
  };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
      i += 1;
      return argv[i];
    };
    switch (flag) {
      case '--tls-dir': opts.tlsDir = path.resolve(value()); break;
      case '--host': opts.host = value(); break;
      case '--port': opts.port = seconds(flag, value()); break;
      case '--client': opts.clients.push(JSON.parse(value())); break;
      case '--clients': opts.clients.push(...JSON.parse(fs.readFileSync(value(), 'utf8'))); break;
      case '--access-token-ttl': opts.accessTokenTtl = seconds(flag, value()); break;
      case '--id-token-ttl': opts.idTokenTtl = seconds(flag, value()); break;
      case '--refresh-token-ttl': opts.refreshTokenTtl = seconds(flag, value()); break;
      case '--session-ttl': opts.sessionTtl = seconds(flag, value()); break;
      case '--openshift-token-ttl': opts.openshiftTokenTtl = seconds(flag, value()); break;
      case '--keep-running': opts.keepRunning = true; break;
      case '-h': case '--help': process.stderr.write(`${USAGE}\n`); process.exit(0); break;
      default: throw new Error(`unknown argument ${flag}\n${USAGE}`);
    }
  }
  if (!opts.tlsDir) throw new Error(`--tls-dir is required\n${USAGE}`);
  for (const c of opts.clients) {
    if (typeof c.clientId !== 'string' || !c.clientId) throw new Error(`a client has no clientId: ${JSON.stringify(c)}`);
    if (!Array.isArray(c.redirectUris) || c.redirectUris.length === 0) {
      throw new Error(`client ${c.clientId} has no redirectUris`);
    }
    c.type ??= 'oidc';
    if (c.idTokenTtl !== undefined && !(Number.isInteger(c.idTokenTtl) && c.idTokenTtl > 0)) {
      throw new Error(`client ${c.clientId}: idTokenTtl must be a positive number of seconds`);
    }
    if (!['oidc', 'openshift'].includes(c.type)) throw new Error(`client ${c.clientId}: unknown type ${c.type}`);
  }
  return opts;
}

// ---------------------------------------------------------------- TLS

function rsaKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return privateKey;
}

function certificate({ commonName, keyPem, issuerCert, issuerKeyPem, ca, sans, years }) {
  const key = forge.pki.privateKeyFromPem(keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  const serial = crypto.randomBytes(16);
  serial[0] &= 0x7f;
  serial[0] |= 0x01;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 3600 * 1000);
  cert.validity.notAfter = new Date(Date.now() + years * 365 * 24 * 3600 * 1000);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer((issuerCert ?? cert).subject.attributes);
  const extensions = [
    { name: 'basicConstraints', cA: ca, critical: true },
    ca
      ? { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }
      : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ];
  if (issuerCert) {
    extensions.push({ name: 'authorityKeyIdentifier', keyIdentifier: issuerCert.generateSubjectKeyIdentifier().getBytes() });
  }
  if (!ca) {
    extensions.push({ name: 'extKeyUsage', serverAuth: true });
    extensions.push({ name: 'subjectAltName', altNames: sans });
  }
  cert.setExtensions(extensions);
  cert.sign(forge.pki.privateKeyFromPem(issuerKeyPem ?? keyPem), forge.md.sha256.create());
  return { cert, pem: forge.pki.certificateToPem(cert) };
}

function ensureTls(dir, host) {
  fs.mkdirSync(dir, { recursive: true });
  const file = (name) => path.join(dir, name);
  let caPem;
  let caKeyPem;
  if (fs.existsSync(file('ca.crt')) && fs.existsSync(file('ca.key'))) {
    caPem = fs.readFileSync(file('ca.crt'), 'utf8');
    caKeyPem = fs.readFileSync(file('ca.key'), 'utf8');
  } else {
    caKeyPem = rsaKey();
    caPem = certificate({ commonName: 'rc-test-idp CA', keyPem: caKeyPem, ca: true, years: 10 }).pem;
    fs.writeFileSync(file('ca.key'), caKeyPem, { mode: 0o600 });
    fs.writeFileSync(file('ca.crt'), caPem);
  }
  // The server certificate is made afresh on each start, for the CA of today.
  const sans = [
    { type: 7, ip: '127.0.0.1' },
    { type: 7, ip: '::1' },
    { type: 2, value: 'localhost' },
  ];
  if (!['127.0.0.1', '::1', 'localhost', '0.0.0.0', '::'].includes(host)) {
    sans.push(/^[\d.]+$|:/.test(host) ? { type: 7, ip: host } : { type: 2, value: host });
  }
  const keyPem = rsaKey();
  const caCert = forge.pki.certificateFromPem(caPem);
  const { pem } = certificate({
    commonName: 'rc-test-idp', keyPem, issuerCert: caCert, issuerKeyPem: caKeyPem, ca: false, sans, years: 1,
  });
  fs.writeFileSync(file('tls.key'), keyPem, { mode: 0o600 });
  fs.writeFileSync(file('tls.crt'), pem);
  return { caFile: file('ca.crt'), cert: pem, key: keyPem };
}

// ---------------------------------------------------------------- helpers

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const sha256 = (text) => crypto.createHash('sha256').update(text).digest();
const randomToken = () => b64url(crypto.randomBytes(32));

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

function readBody(req, limit = 1 << 20) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function readForm(req) {
  return Object.fromEntries(new URLSearchParams(await readBody(req)));
}

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, {
    'Content-Type': type,
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

const sendJson = (res, status, value, headers) => send(res, status, 'application/json', JSON.stringify(value), headers);
const sendHtml = (res, status, html, headers) => send(res, status, 'text/html; charset=utf-8', html, headers);

function redirect(res, location, headers = {}) {
  res.writeHead(302, { Location: location, 'Cache-Control': 'no-store', 'Content-Length': 0, ...headers });
  res.end();
}

function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

function loginPage({ title, action, hidden = {}, error, login = '' }) {
  const fields = Object.entries(hidden)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
<h1>${escapeHtml(title)}</h1>
${error ? `<p id="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}">${fields}
<label>User name <input id="username" name="login" autocomplete="username" value="${escapeHtml(login)}" autofocus></label>
<label>Password <input id="password" type="password" name="password" autocomplete="current-password"></label>
<button id="submit" type="submit">Sign in</button>
</form>
</body></html>`;
}

// ---------------------------------------------------------------- OIDC

function oidcProvider(issuer, opts) {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: b64url(crypto.randomBytes(9)), use: 'sig', alg: 'RS256' };
  const clients = opts.clients.filter((c) => c.type === 'oidc').map((c) => ({
    client_id: c.clientId,
    ...(c.clientSecret
      ? { client_secret: c.clientSecret, token_endpoint_auth_method: c.tokenEndpointAuthMethod ?? 'client_secret_basic' }
      : { token_endpoint_auth_method: 'none' }),
    redirect_uris: c.redirectUris,
    post_logout_redirect_uris: c.postLogoutRedirectUris ?? [],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  }));
  const idTokenTtls = new Map(opts.clients.filter((c) => c.idTokenTtl).map((c) => [c.clientId, c.idTokenTtl]));
  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: [jwk] },
    cookies: { keys: [randomToken()] },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'name'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    // The ID token carries the granted scopes' claims (kube-apiserver reads it).
    conformIdTokenClaims: false,
    async findAccount(_ctx, sub) {
      const u = user(sub);
      if (!u) return undefined;
      return {
        accountId: u.name,
        async claims() {
          return {
            sub: u.name,
            preferred_username: u.name,
            name: u.name,
            email: u.email,
            email_verified: true,
            groups: u.groups,
          };
        },
      };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    // Refresh tokens for every code flow of a client allowed the grant, rotated on each use.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => true,
    ttl: {
      AccessToken: opts.accessTokenTtl,
      AuthorizationCode: 60,
      // A client may ask for its own ID token lifetime ("idTokenTtl", seconds).
      IdToken: (_ctx, _token, client) => idTokenTtls.get(client?.clientId) ?? opts.idTokenTtl,
      RefreshToken: opts.refreshTokenTtl,
      Interaction: 600,
      Session: opts.sessionTtl,
      Grant: opts.sessionTtl,
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // Signs out at once in a browser (the form submits itself); a plain
        // HTTP client posts the form (its xsrf field and logout=yes).
        async logoutSource(ctx, form) {
          ctx.body = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sign out</title></head>
<body><h1>Signing out…</h1>${form.replace('</form>', '<input type="hidden" name="logout" value="yes"></form>')}
<script>document.forms[0].submit()</script></body></html>`;
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head><body><h1 id="signed-out">Signed out</h1></body></html>';
        },
      },
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head><body><h1>Error</h1>${
        Object.entries(out).map(([k, v]) => `<p><b>${escapeHtml(k)}</b>: <span id="${escapeHtml(k)}">${escapeHtml(v)}</span></p>`).join('')
      }</body></html>`;
    },
  });
  provider.on('server_error', (_ctx, err) => console.error(`oidc server error: ${err.stack ?? err}`));
  return provider;
}

async function interaction(provider, req, res, url) {
  const [, , uid, action] = url.pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    sendHtml(res, 400, '<p>This sign-in request is not the current one.</p>');
    return;
  }
  const { prompt, params } = details;
  if (prompt.name === 'login') {
    const title = `Sign in to ${params.client_id}`;
    if (req.method === 'GET' && !action) {
      sendHtml(res, 200, loginPage({ title, action: `/interaction/${uid}/login` }));
      return;
    }
    if (req.method === 'POST' && action === 'login') {
      const form = await readForm(req);
      const u = checkPassword(form.login, form.password);
      if (!u) {
        sendHtml(res, 401, loginPage({
          title, action: `/interaction/${uid}/login`, error: 'Wrong user name or password.', login: form.login ?? '',
        }));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: u.name } }, { mergeWithLastSubmission: false });
      return;
    }
  }
  if (prompt.name === 'consent') {
    // First-party clients: consent is given without asking.
    const { accountId } = details.session;
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: details.grantId ? {} : { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  sendHtml(res, 400, `<p>Unexpected step ${escapeHtml(prompt.name)} (${escapeHtml(req.method)} ${escapeHtml(url.pathname)}).</p>`);
}

// ---------------------------------------------------------------- OpenShift-style OAuth

const OS_SESSION_COOKIE = 'rc_oauth_session';

class OpenShiftOAuth {
  constructor(issuer, opts) {
    this.issuer = issuer;
    this.opts = opts;
    this.clients = new Map(opts.clients.filter((c) => c.type === 'openshift').map((c) => [c.clientId, c]));
    this.sessions = new Map(); // id -> { user, expires }
    this.codes = new Map(); // code -> { client, redirectUri, user, scope, challenge, method, expires }
    this.tokens = new Map(); // sha256~name -> { user, clientId, scopes, redirectUri, created, expires }
  }

  metadata() {
    return {
      issuer: this.issuer,
      authorization_endpoint: `${this.issuer}/oauth/authorize`,
      token_endpoint: `${this.issuer}/oauth/token`,
      scopes_supported: ['user:check-access', 'user:full', 'user:info', 'user:list-projects', 'user:list-scoped-projects'],
      response_types_supported: ['code', 'token'],
      grant_types_supported: ['authorization_code', 'implicit'],
      code_challenge_methods_supported: ['plain', 'S256'],
    };
  }

  static tokenName(token) {
    return `sha256~${b64url(sha256(token.replace(/^sha256~/, '')))}`;
  }

  sessionUser(req) {
    const id = cookies(req)[OS_SESSION_COOKIE];
    const session = id && this.sessions.get(id);
    if (!session) return undefined;
    if (session.expires < Date.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return session.user;
  }

  authorize(req, res, url) {
    const q = Object.fromEntries(url.searchParams);
    const client = this.clients.get(q.client_id);
    if (!client) return sendJson(res, 400, { error: 'unauthorized_client', error_description: `unknown client ${q.client_id}` });
    if (!client.redirectUris.includes(q.redirect_uri)) {
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'redirect_uri is not registered for the client' });
    }
    const back = (params) => {
      const target = new URL(q.redirect_uri);
      for (const [k, v] of Object.entries({ ...params, state: q.state })) if (v !== undefined) target.searchParams.set(k, v);
      redirect(res, target.toString());
    };
    if (q.response_type !== 'code') return back({ error: 'unsupported_response_type' });
    const method = q.code_challenge ? (q.code_challenge_method ?? 'plain') : undefined;
    if (q.code_challenge && (!['plain', 'S256'].includes(method) || !/^[A-Za-z0-9._~-]{43,128}$/.test(q.code_challenge))) {
      return back({ error: 'invalid_request', error_description: 'invalid code_challenge or code_challenge_method' });
    }
    if (!client.clientSecret && !q.code_challenge) {
      return back({ error: 'invalid_request', error_description: 'a public client must use PKCE' });
    }
    const u = this.sessionUser(req);
    if (!u) return redirect(res, `/login?then=${encodeURIComponent(url.pathname + url.search)}`);
    const code = randomToken();
    this.codes.set(code, {
      clientId: client.clientId,
      redirectUri: q.redirect_uri,
      user: u,
      scope: q.scope || 'user:full',
      challenge: q.code_challenge,
      method,
      expires: Date.now() + 5 * 60 * 1000,
    });
    return back({ code });
  }

  async login(req, res, url) {
    if (req.method === 'GET') {
      const then = url.searchParams.get('then') ?? '';
      return sendHtml(res, 200, loginPage({ title: 'Log in to the test cluster', action: '/login', hidden: { then } }));
    }
    const form = await readForm(req);
    const then = form.then ?? '';
    if (!then.startsWith('/oauth/authorize?')) return sendHtml(res, 400, '<p>Nothing to return to after signing in.</p>');
    const u = checkPassword(form.login, form.password);
    if (!u) {
      return sendHtml(res, 401, loginPage({
        title: 'Log in to the test cluster', action: '/login', hidden: { then }, error: 'Wrong user name or password.', login: form.login ?? '',
      }));
    }
    const id = randomToken();
    this.sessions.set(id, { user: u, expires: Date.now() + this.opts.sessionTtl * 1000 });
    return redirect(res, then, {
      'Set-Cookie': `${OS_SESSION_COOKIE}=${id}; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=${this.opts.sessionTtl}`,
    });
  }

  async token(req, res) {
    const form = await readForm(req);
    const error = (status, code, description) => sendJson(res, status, { error: code, error_description: description });
    let clientId = form.client_id;
    let secret = form.client_secret;
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      clientId = decodeURIComponent(decoded.slice(0, colon));
      secret = decodeURIComponent(decoded.slice(colon + 1));
    }
    const client = this.clients.get(clientId);
    if (!client) return error(401, 'invalid_client', 'unknown client');
    if (client.clientSecret && secret !== client.clientSecret) return error(401, 'invalid_client', 'wrong client secret');
    if (form.grant_type !== 'authorization_code') return error(400, 'unsupported_grant_type', `grant_type ${form.grant_type} is not supported`);
    const grant = this.codes.get(form.code ?? '');
    this.codes.delete(form.code ?? '');
    if (!grant || grant.expires < Date.now() || grant.clientId !== client.clientId) {
      return error(400, 'invalid_grant', 'unknown, used or expired code');
    }
    if (form.redirect_uri !== grant.redirectUri) return error(400, 'invalid_grant', 'redirect_uri does not match');
    if (grant.challenge) {
      const verifier = form.code_verifier ?? '';
      const computed = grant.method === 'S256' ? b64url(sha256(verifier)) : verifier;
      if (!verifier || computed !== grant.challenge) return error(400, 'invalid_grant', 'code_verifier does not match');
    }
    const token = `sha256~${randomToken()}`;
    const ttl = this.opts.openshiftTokenTtl;
    this.tokens.set(OpenShiftOAuth.tokenName(token), {
      user: grant.user,
      clientId: client.clientId,
      scopes: grant.scope.split(' ').filter(Boolean),
      redirectUri: grant.redirectUri,
      created: Date.now(),
      expires: ttl ? Date.now() + ttl * 1000 : undefined,
    });
    return sendJson(res, 200, {
      access_token: token, token_type: 'Bearer', ...(ttl ? { expires_in: ttl } : {}), scope: grant.scope,
    });
  }

  lookup(token) {
    if (typeof token !== 'string' || !token.startsWith('sha256~')) return undefined;
    const name = OpenShiftOAuth.tokenName(token);
    const entry = this.tokens.get(name);
    if (!entry) return undefined;
    if (entry.expires !== undefined && entry.expires < Date.now()) {
      this.tokens.delete(name);
      return undefined;
    }
    return entry;
  }

  async tokenReview(req, res) {
    let review;
    try {
      review = JSON.parse(await readBody(req));
    } catch (e) {
      return sendJson(res, 400, { error: `not a TokenReview: ${e.message}` });
    }
    const entry = this.lookup(review?.spec?.token);
    const status = entry
      ? {
        authenticated: true,
        user: {
          username: entry.user.name,
          uid: entry.user.uid,
          groups: [...entry.user.groups, 'system:authenticated:oauth'],
          extra: { 'scopes.authorization.openshift.io': entry.scopes },
        },
      }
      : { authenticated: false };
    return sendJson(res, 200, {
      apiVersion: review?.apiVersion ?? 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      status,
    });
  }

  tokenObject(req, res, name) {
    const entry = this.tokens.get(name);
    if (!entry || (entry.expires !== undefined && entry.expires < Date.now())) {
      return sendJson(res, 404, { error: `no token ${name}` });
    }
    if (req.method === 'DELETE') {
      this.tokens.delete(name);
      return sendJson(res, 200, { deleted: name });
    }
    return sendJson(res, 200, {
      name,
      userName: entry.user.name,
      userUID: entry.user.uid,
      clientName: entry.clientId,
      scopes: entry.scopes,
      redirectURI: entry.redirectUri,
      expiresIn: entry.expires === undefined ? 0 : Math.round((entry.expires - entry.created) / 1000),
    });
  }
}

// ---------------------------------------------------------------- main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const tls = ensureTls(opts.tlsDir, opts.host);
  let handler = (_req, res) => send(res, 503, 'text/plain', 'starting\n');
  const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => handler(req, res));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, resolve);
  });
  const { port } = server.address();
  const hostInUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const issuer = `https://${['0.0.0.0', '::'].includes(opts.host) ? '127.0.0.1' : hostInUrl}:${port}`;

  const provider = oidcProvider(issuer, opts);
  const oidc = provider.callback();
  const openshift = new OpenShiftOAuth(issuer, opts);

  handler = async (req, res) => {
    const url = new URL(req.url, issuer);
    const route = `${req.method} ${url.pathname}`;
    try {
      if (url.pathname.startsWith('/interaction/')) return await interaction(provider, req, res, url);
      if (route === 'GET /.well-known/oauth-authorization-server') return sendJson(res, 200, openshift.metadata());
      if (route === 'GET /oauth/authorize') return openshift.authorize(req, res, url);
      if (route === 'POST /oauth/token') return await openshift.token(req, res);
      if (url.pathname === '/login' && ['GET', 'POST'].includes(req.method)) return await openshift.login(req, res, url);
      if (route === 'POST /tokenreview') return await openshift.tokenReview(req, res);
      if (url.pathname.startsWith('/tokens/') && ['GET', 'DELETE'].includes(req.method)) {
        return openshift.tokenObject(req, res, decodeURIComponent(url.pathname.slice('/tokens/'.length)));
      }
      if (route === 'GET /healthz') return send(res, 200, 'text/plain', 'ok\n');
      return oidc(req, res);
    } catch (e) {
      console.error(`${route}: ${e.stack ?? e}`);
      if (!res.headersSent) sendHtml(res, 500, `<p>${escapeHtml(e.message ?? e)}</p>`);
      else res.end();
      return undefined;
    }
  };

  process.stdout.write(`${JSON.stringify({
    ready: true,
    issuer,
    caFile: tls.caFile,
    port,
    tokenReviewUrl: `${issuer}/tokenreview`,
    clients: opts.clients.map((c) => ({ clientId: c.clientId, type: c.type })),
  })}\n`);

  if (!opts.keepRunning) {
    process.stdin.on('end', () => process.exit(0));
    process.stdin.on('close', () => process.exit(0));
    process.stdin.on('error', () => process.exit(0));
    process.stdin.resume();
  }
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
}

main().catch((e) => {
  process.stdout.write(`${JSON.stringify({ ready: false, error: e.message ?? String(e) })}\n`);
  console.error(e.stack ?? e);
  process.exit(1);
});
