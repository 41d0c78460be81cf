// Starts a real icegate daemon for a test: a fresh temporary database, a free
// loopback port, options given as `--set key=value`, and icegatectl bound to the
// same database. Every test file that needs a server goes through here, so the
// way tests launch the daemon is the way operators do.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SANITIZER_REPORT } from './daemon-check.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..');
export const daemonBinary = process.env.ICEGATE_BIN || join(repoRoot, 'build', 'icegate');
export const ctlBinary = process.env.ICEGATE_CTL || join(repoRoot, 'build', 'icegatectl');

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs icegatectl against the daemon's database. Returns {status, stdout, stderr}.
export function ctl(dbPath, args, input) {
  const result = spawnSync(ctlBinary, ['--db', dbPath, ...args], {
    input: input ?? '',
    encoding: 'utf8',
    timeout: 30000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// fetch() for a daemon serving HTTPS with a certificate only ca vouches for:
// node's own fetch cannot be given a CA, so this sends the request with
// node:https (one connection per request) and answers with a real Response.
export function fetchTrusting(ca, url, init = {}) {
  return new Promise((resolveResponse, reject) => {
    const headers = Object.fromEntries(new Headers(init.headers ?? {}));
    const request = httpsRequest(url, { method: init.method ?? 'GET', headers, ca, agent: false }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const answer = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          for (const item of [].concat(value)) answer.append(name, item);
        }
        const body = [204, 205, 304].includes(response.statusCode) ? null : Buffer.concat(chunks);
        resolveResponse(new Response(body, { status: response.statusCode, headers: answer }));
      });
    });
    request.on('error', reject);
    request.end(init.body);
  });
}

// Starts the daemon. options: {settings: {key: value}, args: [...], dir,
// tls: {cert, key}}. With tls (PEM file paths) the daemon serves HTTPS and WSS:
// base is https://, wsUrl wss://, ca the certificate to trust (a test may
// replace it after a reload) and fetch a fetch() that trusts it. Resolves once
// /healthz answers; the returned object stops it again.
export async function startDaemon(options = {}) {
  const dir = options.dir || mkdtempSync(join(tmpdir(), 'icegate-test-'));
  const ownsDir = !options.dir;
  const dbPath = join(dir, 'icegate.db');
  const port = options.port || (await freePort());
  const args = ['-p', `127.0.0.1:${port}`, '--db', dbPath, '--web-root', join(repoRoot, 'web')];
  for (const [key, value] of Object.entries(options.settings || {})) {
    args.push('--set', `${key}=${value}`);
  }
  if (options.tls) args.push('--set', `cert=${options.tls.cert}`, '--set', `pkey=${options.tls.key}`);
  args.push(...(options.args || []));

  const child = spawn(daemonBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));

  const base = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const trust = { ca: options.tls ? readFileSync(options.tls.cert) : undefined };
  const fetchFromDaemon = options.tls ? (url, init) => fetchTrusting(trust.ca, url, init) : fetch;
  const deadline = Date.now() + 15000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`icegate exited early (${child.exitCode}):\n${log}`);
    }
    try {
      const response = await fetchFromDaemon(`${base}/healthz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`icegate did not become healthy:\n${log}`);
    }
    await sleep(50);
  }

  const secrets = new Map(); // secret text -> what kind of secret it is
  return {
    port,
    base,
    wsUrl: `${options.tls ? 'wss' : 'ws'}://127.0.0.1:${port}/ws`,
    get ca() {
      return trust.ca;
    },
    set ca(value) {
      trust.ca = value;
    },
    fetch: fetchFromDaemon,
    dir,
    dbPath,
    child,
    log: () => log,
    ctl: (ctlArgs, input) => noteCtlSecrets(secrets, ctlArgs, input, ctl(dbPath, ctlArgs, input)),
    // Every secret a test used with this daemon: stop() fails when one of
    // them is in the daemon's log. The harness notes what passes through
    // it (passwords, tokens, TURN passwords, API keys, jwt_secret); a test
    // adds its own with noteSecret.
    secrets,
    noteSecret: (value, kind = 'secret') => noteSecret(secrets, value, kind),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
        await exited;
        clearTimeout(timer);
      }
      // The secrets the daemon held (read before the database goes away).
      for (const [value, kind] of daemonSecrets(options, dbPath)) noteSecret(secrets, value, kind);
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
      const result = await exited;
      // A sanitizer build reports memory errors, undefined behaviour and
      // leaks on stderr: any report fails the test that started the daemon.
      if (SANITIZER_REPORT.test(log)) {
        throw new Error(`icegate reported a sanitizer error:\n${log}`);
      }
      const leaked = leakedSecretKinds(log, secrets);
      if (leaked.length > 0) {
        throw new Error(`icegate's log contains secrets the test used: ${leaked.join(', ')}`);
      }
      return result;
    },
  };
}

// Shorter values are too likely to occur in ordinary log text to scan for.
const SECRET_MIN_LENGTH = 6;

function noteSecret(secrets, value, kind) {
  if (typeof value === 'string' && value.length >= SECRET_MIN_LENGTH) secrets.set(value, kind);
}

// Notes what an icegatectl run handed over or printed (a password read with
// --password-stdin, an API key from `apikey add`, a token from `token`) and
// returns its result.
function noteCtlSecrets(secrets, args, input, result) {
  if (args.includes('--password-stdin') && typeof input === 'string') {
    noteSecret(secrets, input.replace(/\n$/, ''), 'password');
  }
  if (result.status === 0 && args[0] === 'apikey' && args[1] === 'add') {
    noteSecret(secrets, result.stdout.trim(), 'API key');
  }
  if (result.status === 0 && args[0] === 'token') noteSecret(secrets, result.stdout.trim(), 'access token');
  return result;
}

// The JWT secret the daemon was given, the one it generated and stored, the
// previous one after a rotation, and the TURN secrets derived from them, as
// [value, kind] pairs. A database that is gone or unreadable (the fault
// tests break it on purpose) yields only the configured secret.
function daemonSecrets(options, dbPath) {
  const found = [];
  const args = options.args || [];
  const configured = [options.settings?.jwt_secret];
  args.forEach((arg, i) => {
    if (arg === '-k' || arg === '--secret') configured.push(args[i + 1]);
    if (arg.startsWith('jwt_secret=')) configured.push(arg.slice('jwt_secret='.length));
  });
  for (const value of configured) if (value) found.push([value, 'jwt_secret setting']);
  try {
    const rows = execFileSync(
      'sqlite3',
      ['-readonly', '-bail', dbPath, "SELECT value FROM ig_settings WHERE key LIKE 'jwt_secret%'; SELECT value FROM turn_secret;"],
      { encoding: 'utf8', timeout: 10000, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    for (const value of rows.split('\n').filter(Boolean)) found.push([value, 'stored JWT or TURN secret']);
  } catch {
    // no database left to read
  }
  return found;
}

// The kinds of the secrets that occur in log, as written or JSON-escaped.
function leakedSecretKinds(log, secrets) {
  const kinds = new Set();
  for (const [value, kind] of secrets) {
    if (log.includes(value) || log.includes(JSON.stringify(value).slice(1, -1))) kinds.add(kind);
  }
  return [...kinds];
}

// Creates a user through icegatectl and logs in through the API.
export async function createUserAndLogin(daemon, name, password = 'correct horse battery', role) {
  const args = ['user', 'add', name, '--password-stdin'];
  if (role) args.push('--role', role);
  const added = daemon.ctl(args, password);
  if (added.status !== 0) throw new Error(`user add failed: ${added.stderr}`);
  const response = await (daemon.fetch ?? fetch)(`${daemon.base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: name, password }),
  });
  if (response.status !== 200) throw new Error(`login failed: ${response.status}`);
  const tokens = await response.json();
  daemon.noteSecret?.(tokens.access_token, 'access token');
  daemon.noteSecret?.(tokens.refresh_token, 'refresh token');
  return tokens;
}
