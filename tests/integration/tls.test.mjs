// HTTPS and WSS on the signaling port with a self-signed certificate made for
// each run: login, rooms and relaying over TLS; the clear refusal a plain
// HTTP client gets on the TLS port; protocol versions; stalled and garbage
// handshakes; SIGHUP with a renewed, a broken and a missing certificate while
// WebSockets stay open; SIGHUP with a changed, a restart-only and a broken
// configuration file; and the startup errors for bad certificate files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { SANITIZER_REPORT, stopAndCheck } from '../lib/daemon-check.mjs';
import { createUserAndLogin, daemonBinary, freePort, repoRoot, startDaemon } from '../lib/daemon.mjs';
import { rawRequest } from '../lib/raw-http.mjs';
import { sleep, uniqueName } from '../lib/rest.mjs';
import { handshake, installCertificate, makeCertificate as makeTlsCertificate } from '../lib/tls.mjs';
import { WsClient, withTimeout } from '../lib/ws-client.mjs';

const SDP = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

let workDir;
before(() => {
  workDir = mkdtempSync(join(tmpdir(), 'icegate-tls-'));
});
after(() => rmSync(workDir, { recursive: true, force: true }));

const makeCertificate = (cn) => makeTlsCertificate(workDir, cn);

// Opens a WSS connection with token (header), trusting ca, and waits for
// `authenticated`. Rejects with err.status when the upgrade is refused.
async function openWss(daemon, token, options = {}) {
  const socket = new WebSocket(daemon.wsUrl, {
    ca: options.ca ?? daemon.ca,
    origin: options.origin,
    headers: { Authorization: `Bearer ${token}` },
    perMessageDeflate: false,
    handshakeTimeout: 5000,
  });
  const client = new WsClient(socket);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
    socket.once('unexpected-response', (request, response) => {
      const error = new Error(`upgrade refused with HTTP ${response.statusCode}`);
      error.status = response.statusCode;
      socket.terminate();
      reject(error);
    });
  });
  client.auth = await client.nextMessage('authenticated');
  return client;
}

async function openJoined(t, daemon, token, room) {
  const client = await openWss(daemon, token);
  t.after(() => client.close());
  client.joined = await client.request({ type: 'join', room }, 'joined');
  return client;
}

// Checks that a WebSocket opened earlier still relays both ways.
async function assertRelays(from, to) {
  from.send({ type: 'offer', to: to.auth.id, sdp: SDP });
  const offer = await to.nextMessage('offer');
  assert.equal(offer.from, from.auth.id);
  assert.equal(offer.sdp, SDP);
  to.send({ type: 'answer', to: from.auth.id, sdp: SDP });
  assert.equal((await from.nextMessage('answer')).from, to.auth.id);
}

// Resolves once the daemon's log matches pattern `count` times; returns the
// last match.
async function waitForLog(daemon, pattern, count = 1, timeout = 5000) {
  const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  const deadline = Date.now() + timeout;
  for (;;) {
    const matches = [...daemon.log().matchAll(global)];
    if (matches.length >= count) return matches[count - 1];
    if (Date.now() > deadline) throw new Error(`log never matched ${pattern} ${count} times:\n${daemon.log()}`);
    await sleep(20);
  }
}

// The log lines written from now on, for checks that nothing was logged.
function logFrom(daemon) {
  const start = daemon.log().length;
  return () => daemon.log().slice(start);
}

// A plain TCP connection that sends data and reports when the server closes
// it: {closed: Promise<ms after connect>, received()}.
function rawConnection(port, data) {
  const socket = connectTcp({ host: '127.0.0.1', port });
  const started = Date.now();
  let received = Buffer.alloc(0);
  socket.on('data', (chunk) => (received = Buffer.concat([received, chunk])));
  socket.on('error', () => {});
  const closed = new Promise((resolve) => socket.once('close', () => resolve(Date.now() - started)));
  socket.once('connect', () => data && socket.write(data));
  return { socket, closed, received: () => received };
}

describe('HTTPS and WSS', () => {
  let daemon;
  let certificate;
  before(async () => {
    certificate = makeCertificate();
    daemon = await startDaemon({ tls: certificate });
  });
  after(() => stopAndCheck(daemon));

  test('REST over HTTPS: health, login and the caller\'s identity', async () => {
    const health = await daemon.fetch(`${daemon.base}/healthz`);
    assert.equal(health.status, 200);
    const name = uniqueName('tls');
    const tokens = await createUserAndLogin(daemon, name);
    const me = await daemon.fetch(`${daemon.base}/api/v1/me`, {
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(me.status, 200);
    assert.equal((await me.json()).sub, name);
  });

  test('WSS: two clients join a room and relay an offer and an answer', async (t) => {
    const alice = await createUserAndLogin(daemon, uniqueName('alice'));
    const bob = await createUserAndLogin(daemon, uniqueName('bob'));
    const first = await openJoined(t, daemon, alice.access_token, 'tls-room');
    const second = await openJoined(t, daemon, bob.access_token, 'tls-room');
    assert.deepEqual(second.joined.peers.map((peer) => peer.id), [first.auth.id]);
    assert.equal((await first.nextMessage('peer-joined')).peer.id, second.auth.id);
    await assertRelays(second, first);
  });

  test('the certificate verifies against itself, with TLS 1.3 and ALPN http/1.1', async () => {
    const result = await handshake(daemon.port, { ca: certificate.pem, rejectUnauthorized: true, ALPNProtocols: ['h2', 'http/1.1'] });
    assert.ok(result.authorized);
    assert.equal(result.fingerprint, certificate.fingerprint);
    assert.equal(result.protocol, 'TLSv1.3');
    assert.equal(result.alpn, 'http/1.1');
  });

  test('TLS 1.0 and 1.1 are refused by the server', async () => {
    for (const version of ['TLSv1', 'TLSv1.1']) {
      // The client is allowed the old protocol, so the refusal is the server's.
      await assert.rejects(
        handshake(daemon.port, { minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' }),
        (error) => error.code === 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
        `${version} is refused with a protocol_version alert`,
      );
    }
  });

  test('TLS 1.2 is accepted with an ECDHE AEAD suite, and TLS 1.3', async () => {
    const tls12 = await handshake(daemon.port, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    assert.equal(tls12.protocol, 'TLSv1.2');
    assert.match(tls12.cipher, /^ECDHE-ECDSA-(AES\d+-GCM|CHACHA20-POLY1305)/);
    const tls13 = await handshake(daemon.port, { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
    assert.equal(tls13.protocol, 'TLSv1.3');
  });

  test('a plain HTTP request to the TLS port gets a clear 400 and is closed', async () => {
    const response = await rawRequest(daemon.port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${daemon.port}\r\n\r\n`);
    assert.equal(response.status, 400);
    assert.match(response.headers['content-type'], /^text\/plain/);
    assert.equal(response.headers.connection, 'close');
    assert.match(response.body, /this port speaks HTTPS; use https:\/\/ or wss:\/\//);
    assert.ok(response.closed, 'the server closes the connection');
    // node's own fetch over http:// sees the same answer.
    const plain = await fetch(`http://127.0.0.1:${daemon.port}/api/v1/me`);
    assert.equal(plain.status, 400);
    assert.match(await plain.text(), /https:\/\//);
    // A ws:// client is refused the same way, not left hanging.
    const socket = new WebSocket(`ws://127.0.0.1:${daemon.port}/ws`, { handshakeTimeout: 3000 });
    const status = await new Promise((resolve) => {
      socket.once('unexpected-response', (request, reply) => {
        resolve(reply.statusCode);
        socket.terminate();
      });
      socket.once('error', () => resolve('error'));
    });
    assert.equal(status, 400);
    // TLS clients are served as before.
    assert.equal((await daemon.fetch(`${daemon.base}/healthz`)).status, 200);
  });

  test('a response that closes the connection ends with close_notify', () => {
    // OpenSSL's client reports a TCP close without close_notify as an
    // unexpected EOF: a truncation attack looks exactly like that.
    const result = spawnSync(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${daemon.port}`, '-quiet', '-ign_eof'],
      { input: 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', encoding: 'utf8', timeout: 10000 },
    );
    assert.match(result.stdout, /^HTTP\/1\.1 200 OK/);
    assert.match(result.stdout, /\r\n\r\nok\s*$/);
    assert.doesNotMatch(result.stderr, /unexpected eof/i);
    assert.equal(result.status, 0, result.stderr);
  });

  test('a garbage handshake is closed at once and not logged above debug', async () => {
    const since = logFrom(daemon);
    const garbage = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x40]), randomBytes(64)]);
    const connection = rawConnection(daemon.port, garbage);
    const closedAfter = await withTimeout(connection.closed, 3000, 'garbage handshake not closed');
    assert.ok(closedAfter < 3000);
    const clientHello = rawConnection(daemon.port, Buffer.from('\x16\x03\x01\x00\x05hello', 'latin1'));
    await withTimeout(clientHello.closed, 3000, 'short garbage handshake not closed');
    assert.equal(since(), '', 'nothing logged at the default level');
    assert.equal((await daemon.fetch(`${daemon.base}/healthz`)).status, 200);
  });

  test('silent and stalled handshakes are cut by the request head deadline', async () => {
    const silent = rawConnection(daemon.port, null);
    const stalled = rawConnection(daemon.port, Buffer.from([0x16, 0x03, 0x01]));
    const [silentAfter, stalledAfter] = await withTimeout(
      Promise.all([silent.closed, stalled.closed]),
      15000,
      'stalled connections were not closed',
    );
    for (const elapsed of [silentAfter, stalledAfter]) {
      assert.ok(elapsed >= 9000 && elapsed < 14000, `closed after ${elapsed} ms`);
    }
    assert.equal(silent.received().length, 0, 'a silent client gets nothing, not plain text');
  });

  test('WebSocket origins: https:// of this host is allowed, http:// is not', async (t) => {
    const tokens = await createUserAndLogin(daemon, uniqueName('origin'));
    const allowed = await openWss(daemon, tokens.access_token, { origin: `https://127.0.0.1:${daemon.port}` });
    t.after(() => allowed.close());
    assert.equal((await allowed.request({ type: 'ping' }, 'pong')).type, 'pong');
    await assert.rejects(
      openWss(daemon, tokens.access_token, { origin: `http://127.0.0.1:${daemon.port}` }),
      (error) => error.status === 403,
    );
    await assert.rejects(
      openWss(daemon, tokens.access_token, { origin: 'https://elsewhere.example' }),
      (error) => error.status === 403,
    );
  });
});

describe('SIGHUP reloads the certificate', () => {
  let daemon;
  let served; // the files the daemon was started with
  let first;
  before(async () => {
    first = makeCertificate('first.localhost');
    served = { cert: join(workDir, 'served-cert.pem'), key: join(workDir, 'served-key.pem') };
    installCertificate(served, first);
    daemon = await startDaemon({ tls: served });
  });
  after(() => stopAndCheck(daemon));

  test('a renewed certificate is served to new connections; open WebSockets stay and relay', async (t) => {
    const alice = await createUserAndLogin(daemon, uniqueName('alice'));
    const bob = await createUserAndLogin(daemon, uniqueName('bob'));
    const early = await openJoined(t, daemon, alice.access_token, 'renewal');
    const other = await openJoined(t, daemon, bob.access_token, 'renewal');
    await early.nextMessage('peer-joined');
    assert.equal((await handshake(daemon.port)).fingerprint, first.fingerprint);

    const renewed = makeCertificate('renewed.localhost');
    assert.notEqual(renewed.fingerprint, first.fingerprint);
    installCertificate(served, renewed);
    daemon.child.kill('SIGHUP');
    await waitForLog(daemon, /TLS certificate loaded from .*: subject CN = renewed\.localhost/);
    await waitForLog(daemon, /configuration reloaded: nothing changed/);

    const now = await handshake(daemon.port, { ca: renewed.pem, rejectUnauthorized: true });
    assert.equal(now.fingerprint, renewed.fingerprint);
    assert.ok(now.authorized);
    // The sessions opened under the first certificate are untouched.
    assert.ok(early.isOpen && other.isOpen);
    await assertRelays(early, other);
    await assertRelays(other, early);
    // A new client trusting only the renewed certificate joins them.
    daemon.ca = renewed.pem;
    const carol = await createUserAndLogin(daemon, uniqueName('carol'));
    const late = await openJoined(t, daemon, carol.access_token, 'renewal');
    assert.equal(late.joined.peers.length, 2);
    await assertRelays(late, early);
  });

  test('a key that does not match, or a missing file, keeps the served certificate', async (t) => {
    const before = await handshake(daemon.port);
    const carol = await createUserAndLogin(daemon, uniqueName('carol'));
    const session = await openJoined(t, daemon, carol.access_token, 'broken-renewal');

    // A key of another certificate.
    const stranger = makeCertificate('stranger.localhost');
    const goodKey = readFileSync(served.key);
    writeFileSync(served.key, readFileSync(stranger.key));
    daemon.child.kill('SIGHUP');
    const mismatch = await waitForLog(daemon, /error TLS certificate not reloaded: (.*); still serving (.*)/);
    assert.match(mismatch[1], /pkey .*served-key\.pem does not match the certificate in .*served-cert\.pem/);
    assert.equal((await handshake(daemon.port)).fingerprint, before.fingerprint);

    // A missing certificate file.
    writeFileSync(served.key, goodKey);
    unlinkSync(served.cert);
    daemon.child.kill('SIGHUP');
    const missing = await waitForLog(daemon, /error TLS certificate not reloaded: (.*); still serving/, 2);
    assert.match(missing[1], /cert .*served-cert\.pem: No such file or directory/);
    assert.equal((await handshake(daemon.port)).fingerprint, before.fingerprint);

    assert.equal(daemon.child.exitCode, null, 'the daemon is alive');
    assert.equal((await daemon.fetch(`${daemon.base}/healthz`)).status, 200);
    assert.equal((await session.request({ type: 'ping' }, 'pong')).type, 'pong');
  });
});

describe('SIGHUP reloads the configuration file', () => {
  let daemon;
  let configPath;
  const secrets = ['a'.repeat(12) + randomBytes(16).toString('hex'), 'b'.repeat(12) + randomBytes(16).toString('hex')];
  const writeConfig = (lines) => writeFileSync(configPath, `${lines.join('\n')}\n`);

  before(async () => {
    configPath = join(workDir, 'signaling.conf');
    writeConfig([
      '# icegate test configuration',
      'guest_access = off',
      'max_peers_per_room = 16',
      'worker_threads = 2',
      `jwt_secret = ${secrets[0]}`,
      'log_level = info',
    ]);
    daemon = await startDaemon({ tls: makeCertificate(), args: ['-c', configPath] });
    for (const secret of secrets) daemon.noteSecret(secret, 'jwt_secret in the file');
  });
  after(() => stopAndCheck(daemon));

  const guest = () =>
    daemon.fetch(`${daemon.base}/api/v1/auth/guest`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ role: 'sender' }),
    });

  test('live options change, restart-only ones are kept and named, sessions stay', async (t) => {
    assert.equal((await guest()).status, 403);
    const tokens = await createUserAndLogin(daemon, uniqueName('stays'));
    const early = await openJoined(t, daemon, tokens.access_token, 'small-room');
    const quiet = logFrom(daemon);
    await rawRequest(daemon.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.doesNotMatch(quiet(), /plain HTTP/, 'debug lines are off at info');

    // A turnserver.conf that disagrees (no use-auth-secret): checked again
    // on every reload.
    const turnserverConf = join(workDir, 'turnserver.conf');
    writeFileSync(turnserverConf, 'realm=icegate\n');
    writeConfig([
      'guest_access = on',
      'max_peers_per_room = 2',
      'worker_threads = 3',
      `jwt_secret = ${secrets[1]}`,
      'log_level = debug',
      `turnserver_conf = ${turnserverConf}`,
    ]);
    daemon.child.kill('SIGHUP');
    const reloaded = await waitForLog(daemon, /info configuration reloaded: (.*) changed/);
    assert.deepEqual(reloaded[1].split(', ').sort(), ['guest_access', 'log_level', 'max_peers_per_room', 'turnserver_conf']);
    assert.ok(daemon.log().includes(`error ${turnserverConf}: `), 'the turnserver.conf problems are logged');
    assert.match(daemon.log(), /warn worker_threads changed: restart icegate to apply/);
    assert.match(daemon.log(), /warn jwt_secret changed: restart icegate to apply/);

    // guest_access took effect; the signing secret did not (the old token works).
    assert.equal((await guest()).status, 200);
    const me = await daemon.fetch(`${daemon.base}/api/v1/me`, {
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(me.status, 200);
    // max_peers_per_room 16 -> 2: the session from before stays, a second
    // peer joins, a third is refused.
    assert.equal((await early.request({ type: 'ping' }, 'pong')).type, 'pong');
    const second = await openJoined(t, daemon, (await createUserAndLogin(daemon, uniqueName('second'))).access_token, 'small-room');
    assert.equal(second.joined.peers.length, 1);
    const third = await openWss(daemon, (await createUserAndLogin(daemon, uniqueName('third'))).access_token);
    t.after(() => third.close());
    assert.equal((await third.request({ type: 'join', room: 'small-room' }, 'error')).code, 'room_full');
    await assertRelays(second, early);
    // log_level debug took effect.
    const verbose = logFrom(daemon);
    await rawRequest(daemon.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitForLog({ log: verbose }, /debug plain HTTP from 127\.0\.0\.1 on the TLS port: refused/);
  });

  test('a file that does not parse keeps the running configuration and names the line', async (t) => {
    const tokens = await createUserAndLogin(daemon, uniqueName('broken'));
    const session = await openWss(daemon, tokens.access_token);
    t.after(() => session.close());
    writeConfig(['guest_access = off', 'max_peers_per_room = many', 'log_level = info']);
    daemon.child.kill('SIGHUP');
    const failed = await waitForLog(daemon, /error configuration not reloaded: (.*); the running configuration stays/);
    assert.match(failed[1], /signaling\.conf: line 2: max_peers_per_room: not a number/);
    // guest_access = off on line 1 was not applied either.
    assert.equal((await guest()).status, 200);
    assert.equal((await session.request({ type: 'ping' }, 'pong')).type, 'pong');
    assert.equal(daemon.child.exitCode, null);
  });
});

describe('startup errors', () => {
  // Runs the daemon to its exit; returns {status, stderr}.
  async function runDaemon(settings) {
    const dir = mkdtempSync(join(workDir, 'start-'));
    const args = ['-p', `127.0.0.1:${await freePort()}`, '--db', join(dir, 'icegate.db'), '--web-root', join(repoRoot, 'web')];
    for (const [key, value] of Object.entries(settings)) args.push('--set', `${key}=${value}`);
    const result = spawnSync(daemonBinary, args, { encoding: 'utf8', timeout: 15000 });
    return { status: result.status, stderr: result.stderr };
  }

  test('a missing certificate file stops the daemon with a message naming it', async () => {
    const good = makeCertificate();
    const missing = join(workDir, 'no-such-cert.pem');
    const result = await runDaemon({ cert: missing, pkey: good.key });
    assert.equal(result.status, 1, result.stderr);
    assert.doesNotMatch(result.stderr, SANITIZER_REPORT);
    assert.ok(result.stderr.includes(`cert ${missing}: No such file or directory`), result.stderr);
  });

  test('a key that does not match the certificate stops the daemon', async () => {
    const one = makeCertificate();
    const other = makeCertificate();
    const result = await runDaemon({ cert: one.cert, pkey: other.key });
    assert.equal(result.status, 1, result.stderr);
    assert.doesNotMatch(result.stderr, SANITIZER_REPORT);
    assert.ok(result.stderr.includes(`pkey ${other.key} does not match the certificate in ${one.cert}`), result.stderr);
  });

  test('a certificate file that is not PEM stops the daemon', async () => {
    const good = makeCertificate();
    const result = await runDaemon({ cert: good.key, pkey: good.key });
    assert.equal(result.status, 1, result.stderr);
    assert.doesNotMatch(result.stderr, SANITIZER_REPORT);
    assert.ok(result.stderr.includes(`cert ${good.key}: not a PEM certificate chain`), result.stderr);
  });

  test('cert without pkey is refused before anything starts', async () => {
    const good = makeCertificate();
    const result = await runDaemon({ cert: good.cert });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /cert and pkey go together/);
  });
});

test('the metrics listener stays plain HTTP while the signaling port speaks TLS', async (t) => {
  const metricsPort = await freePort();
  const daemon = await startDaemon({ tls: makeCertificate(), settings: { metrics_listen: `127.0.0.1:${metricsPort}` } });
  t.after(() => stopAndCheck(daemon));
  const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /^# (HELP|TYPE) /m);
  assert.equal((await daemon.fetch(`${daemon.base}/healthz`)).status, 200);
});

test('SIGTERM closes WSS sessions with 1001 and the daemon exits cleanly', async () => {
  const daemon = await startDaemon({ tls: makeCertificate() });
  const tokens = await createUserAndLogin(daemon, uniqueName('leaving'));
  const client = await openWss(daemon, tokens.access_token);
  const closed = client.waitClose(8000);
  await stopAndCheck(daemon);
  assert.equal((await closed).code, 1001);
});
