// REST helpers for the integration tests: JSON requests against a running
// daemon, the token calls every test file needs, and a JWT payload decoder so
// tests can check claims without trusting the server's own view of them.

// Sends a request and returns {status, headers, text, json}. body: an object
// (sent as JSON), a string (sent as is) or undefined.
export async function call(daemon, method, path, body, headers = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    if (typeof body === 'string') {
      init.body = body;
    } else {
      init.body = JSON.stringify(body);
      init.headers['Content-Type'] ??= 'application/json';
    }
  }
  const response = await fetch(`${daemon.base}${path}`, init);
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  noteExchangeSecrets(daemon, body, init.headers, json);
  return { status: response.status, headers: response.headers, text, json };
}

// Notes on the daemon every secret a request sent or a response carried, so
// its stop() can check that none reached the log (see daemon.mjs).
function noteExchangeSecrets(daemon, body, headers, json) {
  if (!daemon.noteSecret) return;
  const note = (value, kind) => daemon.noteSecret(value, kind);
  const bearer = /^Bearer (.+)$/i.exec(headers.Authorization ?? headers.authorization ?? '');
  if (bearer) note(bearer[1], 'access token');
  if (body && typeof body === 'object') {
    note(body.password, 'password');
    note(body.refresh_token, 'refresh token');
  }
  if (!json || typeof json !== 'object') return;
  note(json.access_token, 'access token');
  note(json.refresh_token, 'refresh token');
  note(json.password, 'TURN password');
  for (const server of Array.isArray(json.iceServers) ? json.iceServers : []) {
    note(server?.credential, 'TURN password');
  }
}

export const post = (daemon, path, body, headers) => call(daemon, 'POST', path, body, headers);
export const get = (daemon, path, headers) => call(daemon, 'GET', path, undefined, headers);

export async function login(daemon, username, password) {
  return post(daemon, '/api/v1/auth/login', { username, password });
}

export async function refresh(daemon, refreshToken) {
  return post(daemon, '/api/v1/auth/refresh', { refresh_token: refreshToken });
}

// A guest token response (throws unless 200). room is optional.
export async function guestTokens(daemon, role = 'sender', room) {
  const body = { role };
  if (room !== undefined) body.room = room;
  const response = await post(daemon, '/api/v1/auth/guest', body);
  if (response.status !== 200) {
    throw new Error(`guest token refused: ${response.status} ${response.text}`);
  }
  return response.json;
}

export async function guestToken(daemon, role = 'sender', room) {
  return (await guestTokens(daemon, role, room)).access_token;
}

function decodeSegment(segment) {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

// {header, payload} of a JWT, unverified.
export function decodeJwt(token) {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error(`not a JWT: ${token.length} characters`);
  return { header: decodeSegment(parts[0]), payload: decodeSegment(parts[1]) };
}

// Builds a token with the right shape but a signature made with another key.
export function forgeToken(token) {
  const [header, payload] = token.split('.');
  return `${header}.${payload}.${Buffer.alloc(32, 7).toString('base64url')}`;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let userCounter = 0;
// A user name no other test in this process uses.
export function uniqueName(prefix = 'user') {
  userCounter += 1;
  return `${prefix}${process.pid}x${userCounter}`;
}

// Adds a user through icegatectl (throws on failure). role: optional role list.
export function addUser(daemon, name, password = 'correct horse battery', role) {
  const args = ['user', 'add', name, '--password-stdin'];
  if (role) args.push('--role', role);
  const result = daemon.ctl(args, password);
  if (result.status !== 0) throw new Error(`user add ${name} failed: ${result.stderr}`);
  return { name, password };
}

// Runs an icegatectl command that must succeed; returns its stdout.
export function ctlOk(daemon, args) {
  const result = daemon.ctl(args);
  if (result.status !== 0) {
    throw new Error(`icegatectl ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  }
  return result.stdout;
}
