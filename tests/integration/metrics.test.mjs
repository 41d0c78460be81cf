// GET /metrics against a real daemon: the text parses under a strict reading
// of the Prometheus exposition format 0.0.4, its counters move by exactly what
// the test's traffic should cause (logins, relayed messages by type, errors,
// 404s, WebSocket closes, TURN credentials, a revocation), the relay latency
// histogram counts every relayed message, the gauges rise and fall with
// connections, sessions and rooms, and with metrics_listen set the metrics
// port serves only /metrics and the health checks.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { createUserAndLogin, freePort, startDaemon } from '../lib/daemon.mjs';
import { rawRequest } from '../lib/raw-http.mjs';
import { get, guestToken, login, sleep, uniqueName } from '../lib/rest.mjs';
import { WsClient, connectAuthed, connectJoined } from '../lib/ws-client.mjs';

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
const CANDIDATE = { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0' };

// ---- a strict parser of the text format ----

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram']);

// Parses `key="value",...` with the format's three escapes; throws on
// anything else.
function parseLabels(text, line) {
  const labels = {};
  let rest = text;
  while (rest.length > 0) {
    const match = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
    if (!match) throw new Error(`malformed labels in: ${line}`);
    if (match[1] in labels) throw new Error(`label ${match[1]} twice in: ${line}`);
    labels[match[1]] = match[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    rest = rest.slice(match[0].length);
    if (match[3] === '' && rest.length > 0) throw new Error(`malformed labels in: ${line}`);
  }
  return labels;
}

// The family a sample name belongs to, given the declared types.
function familyOf(name, types) {
  if (types.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  if (base !== name && types.get(base) === 'histogram') return base;
  throw new Error(`sample ${name} has no TYPE line before it`);
}

const seriesKey = (name, labels) =>
  `${name}{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',')}}`;

// Returns {value(name, labels), samples, types}; throws on any violation.
function parseExposition(text) {
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  const types = new Map();
  const helps = new Set();
  const samples = new Map();
  const histograms = new Map(); // family -> [{le, value}] in order, count
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('#')) {
      const match = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!match || !NAME.test(match[2])) throw new Error(`bad comment line: ${line}`);
      const [, kind, name, rest] = match;
      if (kind === 'HELP') {
        if (helps.has(name)) throw new Error(`HELP twice for ${name}`);
        helps.add(name);
      } else {
        if (!TYPES.has(rest)) throw new Error(`unknown type in: ${line}`);
        if (types.has(name)) throw new Error(`TYPE twice for ${name}`);
        if (rest === 'counter' && !name.endsWith('_total')) {
          throw new Error(`counter ${name} does not end in _total`);
        }
        types.set(name, rest);
      }
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const [, name, labelText, valueText] = match;
    const labels = parseLabels(labelText ?? '', line);
    if (!/^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$/.test(valueText)) {
      throw new Error(`bad value in: ${line}`);
    }
    const value = Number(valueText.replace('Inf', 'Infinity'));
    const family = familyOf(name, types);
    if (!family.startsWith('icegate_')) throw new Error(`${family} is not an icegate_ metric`);
    if (!helps.has(family)) throw new Error(`${family} has no HELP line`);
    const key = seriesKey(name, labels);
    if (samples.has(key)) throw new Error(`series ${key} twice`);
    samples.set(key, value);
    if (types.get(family) === 'histogram') {
      const entry = histograms.get(family) ?? { buckets: [], count: undefined };
      histograms.set(family, entry);
      if (name.endsWith('_bucket')) entry.buckets.push({ le: labels.le, value });
      if (name.endsWith('_count')) entry.count = value;
    }
  }
  for (const [family, { buckets, count }] of histograms) {
    assert.ok(buckets.length > 1, `${family} has buckets`);
    assert.equal(buckets.at(-1).le, '+Inf', `${family}'s last bucket is +Inf`);
    for (let i = 1; i < buckets.length; i++) {
      assert.ok(Number(buckets[i].le.replace('Inf', 'Infinity')) > Number(buckets[i - 1].le),
        `${family} bounds increase`);
      assert.ok(buckets[i].value >= buckets[i - 1].value, `${family} buckets are cumulative`);
    }
    assert.equal(buckets.at(-1).value, count, `${family}: +Inf bucket equals _count`);
  }
  return {
    types,
    samples,
    value(name, labels = {}) {
      const found = samples.get(seriesKey(name, labels));
      if (found === undefined) throw new Error(`no series ${seriesKey(name, labels)}`);
      return found;
    },
  };
}

async function scrape(daemon, base = daemon.base) {
  const response = await fetch(`${base}/metrics`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), CONTENT_TYPE);
  return parseExposition(await response.text());
}

// Scrapes until check(metrics) holds (the daemon applies some changes from a
// timer or after a close), failing with the last difference after timeout.
async function scrapeUntil(daemon, check, what, timeout = 3000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const metrics = await scrape(daemon);
    if (check(metrics)) return metrics;
    if (Date.now() > deadline) assert.fail(`${what} within ${timeout} ms`);
    await sleep(50);
  }
}

describe('the parser used here is strict', () => {
  // It must reject what Prometheus rejects, or its passing means nothing.
  const bad = {
    'no trailing newline': '# HELP icegate_a_total a\n# TYPE icegate_a_total counter\nicegate_a_total 1',
    'no TYPE': '# HELP icegate_a a\nicegate_a 1\n',
    'counter without _total': '# HELP icegate_a a\n# TYPE icegate_a counter\nicegate_a 1\n',
    'unescaped quote': '# HELP icegate_a a\n# TYPE icegate_a gauge\nicegate_a{l="x"y"} 1\n',
    'bad value': '# HELP icegate_a a\n# TYPE icegate_a gauge\nicegate_a one\n',
    'duplicate series': '# HELP icegate_a a\n# TYPE icegate_a gauge\nicegate_a 1\nicegate_a 2\n',
    'decreasing buckets':
      '# HELP icegate_h h\n# TYPE icegate_h histogram\nicegate_h_bucket{le="1"} 2\n' +
      'icegate_h_bucket{le="+Inf"} 1\nicegate_h_sum 1\nicegate_h_count 1\n',
    '+Inf not the count':
      '# HELP icegate_h h\n# TYPE icegate_h histogram\nicegate_h_bucket{le="1"} 1\n' +
      'icegate_h_bucket{le="+Inf"} 1\nicegate_h_sum 1\nicegate_h_count 2\n',
  };
  for (const [what, text] of Object.entries(bad)) {
    test(`rejects ${what}`, () => assert.throws(() => parseExposition(text)));
  }
  test('accepts escaped label values', () => {
    const parsed = parseExposition('# HELP icegate_a a\n# TYPE icegate_a gauge\nicegate_a{l="q\\"b\\\\n\\n"} 1\n');
    assert.equal(parsed.value('icegate_a', { l: 'q"b\\n\n' }), 1);
  });
});

describe('GET /metrics on the signaling port (metrics_listen unset)', () => {
  let daemon;
  before(async () => {
    daemon = await startDaemon({
      settings: { guest_access: 'on', max_peers_per_room: 2, user_poll_interval_ms: 100, auth_timeout: 1 },
    });
  });
  after(() => stopAndCheck(daemon));

  test('serves the whole exposition with the 0.0.4 content type', async () => {
    const metrics = await scrape(daemon);
    for (const [name, type] of [
      ['icegate_http_responses_total', 'counter'],
      ['icegate_websocket_closes_total', 'counter'],
      ['icegate_signaling_messages_received_total', 'counter'],
      ['icegate_signaling_messages_relayed_total', 'counter'],
      ['icegate_signaling_errors_total', 'counter'],
      ['icegate_auth_attempts_total', 'counter'],
      ['icegate_turn_credentials_issued_total', 'counter'],
      ['icegate_revocations_total', 'counter'],
      ['icegate_relay_latency_seconds', 'histogram'],
      ['icegate_connections', 'gauge'],
      ['icegate_websocket_sessions', 'gauge'],
      ['icegate_authenticated_sessions', 'gauge'],
      ['icegate_rooms', 'gauge'],
      ['icegate_room_peers', 'gauge'],
      ['icegate_start_time_seconds', 'gauge'],
      ['icegate_uptime_seconds', 'gauge'],
      ['icegate_build_info', 'gauge'],
      ['icegate_process_resident_memory_bytes', 'gauge'],
      ['icegate_process_virtual_memory_bytes', 'gauge'],
      ['icegate_process_open_fds', 'gauge'],
      ['icegate_process_max_fds', 'gauge'],
      ['icegate_process_cpu_seconds_total', 'counter'],
    ]) {
      assert.equal(metrics.types.get(name), type, name);
    }
    assert.ok(metrics.value('icegate_process_resident_memory_bytes') > 1024 * 1024);
    assert.ok(metrics.value('icegate_process_open_fds') >= 4);
    const started = metrics.value('icegate_start_time_seconds');
    assert.ok(Math.abs(started - Date.now() / 1000) < 120, 'start time is now-ish unix time');
    const versions = [...metrics.samples.keys()].filter((k) => k.startsWith('icegate_build_info'));
    assert.equal(versions.length, 1);
    assert.match(versions[0], /version="\d+\.\d+\.\d+"/);
  });

  test('login, refresh and bearer outcomes are counted by reason', async () => {
    const auth = (metrics, method, result) =>
      metrics.value('icegate_auth_attempts_total', { method, result });
    const before = await scrape(daemon);
    const name = uniqueName('metrics');
    const tokens = await createUserAndLogin(daemon, name, 'metrics password one');
    assert.equal((await login(daemon, name, 'not the password')).status, 401);
    assert.equal((await login(daemon, 'nobody-by-that-name', 'whatever password')).status, 401);
    assert.equal((await get(daemon, '/api/v1/me', { Authorization: `Bearer ${tokens.access_token}` })).status, 200);
    assert.equal((await get(daemon, '/api/v1/me')).status, 401);
    assert.equal((await get(daemon, '/api/v1/me', { Authorization: 'Bearer not.a.token' })).status, 401);
    const after = await scrape(daemon);
    assert.equal(auth(after, 'login', 'ok') - auth(before, 'login', 'ok'), 1);
    assert.equal(auth(after, 'login', 'bad_credentials') - auth(before, 'login', 'bad_credentials'), 2);
    assert.equal(auth(after, 'bearer', 'ok') - auth(before, 'bearer', 'ok'), 1);
    assert.equal(auth(after, 'bearer', 'missing_token') - auth(before, 'bearer', 'missing_token'), 1);
    assert.equal(auth(after, 'bearer', 'invalid_token') - auth(before, 'bearer', 'invalid_token'), 1);
    // No label carries the user's name.
    const text = await (await fetch(`${daemon.base}/metrics`)).text();
    assert.ok(!text.includes(name), 'user names never become labels');
  });

  test('HTTP responses are counted by status; a 404 moves the 404 series', async () => {
    const before = await scrape(daemon);
    assert.equal((await get(daemon, '/no/such/page')).status, 404);
    assert.equal((await get(daemon, '/another/missing')).status, 404);
    assert.equal((await get(daemon, '/healthz')).status, 200);
    const malformed = await rawRequest(daemon.port, 'GET /x HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n');
    assert.equal(malformed.status, 400);
    const after = await scrape(daemon);
    const code = (metrics, c) => metrics.value('icegate_http_responses_total', { code: c });
    assert.equal(code(after, '404') - code(before, '404'), 2);
    assert.equal(code(after, '400') - code(before, '400'), 1);
    // /healthz and the first scrape (counted once answered).
    assert.equal(code(after, '200') - code(before, '200'), 2);
  });

  test('relayed messages, latency, errors, credentials and closes move together', async () => {
    const before = await scrape(daemon);
    const room = `metrics-room-${process.pid}`;
    const sender = await connectJoined(daemon, await guestToken(daemon, 'sender'), room);
    const receiver = await connectJoined(daemon, await guestToken(daemon, 'receiver'), room);
    await sender.nextMessage('peer-joined');

    receiver.send({ type: 'offer', sdp: SDP });
    assert.equal((await sender.nextMessage('offer')).from, receiver.auth.id);
    sender.send({ type: 'answer', to: receiver.auth.id, sdp: SDP });
    await receiver.nextMessage('answer');
    sender.send({ type: 'candidate', to: receiver.auth.id, candidate: CANDIDATE });
    receiver.send({ type: 'candidate', to: sender.auth.id, candidate: CANDIDATE });
    await receiver.nextMessage('candidate');
    await sender.nextMessage('candidate');
    sender.send({ type: 'chat', text: 'hello' });
    await receiver.nextMessage('chat');
    await sender.nextMessage('chat'); // the sender's own copy is not a relay

    // The room holds two: a third peer is refused with room_full.
    const third = await connectAuthed(daemon, await guestToken(daemon, 'receiver'));
    assert.equal((await third.request({ type: 'join', room }, 'error')).code, 'room_full');
    // A type nobody knows is counted as "other", never by its own name.
    assert.equal((await third.request({ type: 'mystery-type' }, 'error')).code, 'bad_request');

    const during = await scrape(daemon);
    const delta = (name, labels) => during.value(name, labels) - before.value(name, labels);
    const relayed = (type) => delta('icegate_signaling_messages_relayed_total', { type });
    const received = (type) => delta('icegate_signaling_messages_received_total', { type });
    assert.equal(relayed('offer'), 1);
    assert.equal(relayed('answer'), 1);
    assert.equal(relayed('candidate'), 2);
    assert.equal(relayed('chat'), 1);
    assert.equal(relayed('join'), 0);
    assert.equal(received('offer'), 1);
    assert.equal(received('answer'), 1);
    assert.equal(received('candidate'), 2);
    assert.equal(received('join'), 3);
    assert.equal(received('other'), 1);
    assert.equal(delta('icegate_relay_latency_seconds_count', {}), 5, 'one observation per relayed message');
    assert.ok(delta('icegate_relay_latency_seconds_sum', {}) > 0);
    assert.ok(delta('icegate_relay_latency_seconds_sum', {}) < 5, 'latencies are seconds, not nanoseconds');
    assert.equal(delta('icegate_signaling_errors_total', { code: 'room_full' }), 1);
    assert.equal(delta('icegate_signaling_errors_total', { code: 'bad_request' }), 1);
    // Two joins, and the offer and answer each carry a credential for their recipient.
    assert.equal(delta('icegate_turn_credentials_issued_total', { endpoint: 'websocket' }), 4);
    assert.equal(delta('icegate_auth_attempts_total', { method: 'websocket', result: 'ok' }), 3);
    assert.equal(delta('icegate_auth_attempts_total', { method: 'guest', result: 'ok' }), 3);
    assert.equal(delta('icegate_http_responses_total', { code: '101' }), 3);
    assert.ok(![...during.samples.keys()].some((k) => k.includes('mystery')));

    // Gauges: three sessions, all authenticated; one room of two.
    assert.equal(during.value('icegate_websocket_sessions'), before.value('icegate_websocket_sessions') + 3);
    assert.equal(during.value('icegate_authenticated_sessions'), before.value('icegate_authenticated_sessions') + 3);
    assert.equal(during.value('icegate_rooms'), before.value('icegate_rooms') + 1);
    assert.equal(during.value('icegate_room_peers'), before.value('icegate_room_peers') + 2);
    const connections = (m) => m.value('icegate_connections', { listener: 'signaling' });
    assert.ok(connections(during) >= 3 + 1, 'three WebSockets and the scrape');
    assert.equal(during.value('icegate_connections', { listener: 'metrics' }), 0);

    // Closes by code: a normal close, a dropped connection (1006), and a
    // policy close the server sends.
    sender.close(1000);
    receiver.socket.terminate();
    await sender.waitClose();
    const closed = await scrapeUntil(
      daemon,
      (m) =>
        m.value('icegate_websocket_sessions') === before.value('icegate_websocket_sessions') + 1 &&
        m.value('icegate_rooms') === before.value('icegate_rooms'),
      'the two closed sessions leave the gauges',
    );
    const closes = (m, code) => m.value('icegate_websocket_closes_total', { code });
    assert.equal(closes(closed, '1000') - closes(before, '1000'), 1);
    assert.equal(closes(closed, '1006') - closes(before, '1006'), 1);
    assert.equal(closed.value('icegate_room_peers'), before.value('icegate_room_peers'));
    assert.ok(connections(closed) <= connections(during) - 2, 'connections go back down');
    third.close(4000);
    await third.waitClose();
    const last = await scrapeUntil(
      daemon,
      (m) => m.value('icegate_websocket_sessions') === before.value('icegate_websocket_sessions'),
      'the last session leaves the gauges',
    );
    assert.throws(() => closes(last, '4000'), /no series/, 'a client-chosen code is no label');
    assert.equal(closes(last, 'other') - closes(before, 'other'), 1, 'an unlisted code counts as other');
    assert.equal(last.value('icegate_authenticated_sessions'), before.value('icegate_authenticated_sessions'));
  });

  test('REST credentials and a revocation through icegatectl are counted', async () => {
    const name = uniqueName('revoked');
    const tokens = await createUserAndLogin(daemon, name, 'revoked user password');
    const before = await scrape(daemon);
    const servers = await get(daemon, '/api/v1/ice-servers', { Authorization: `Bearer ${tokens.access_token}` });
    assert.equal(servers.status, 200);
    const client = await connectAuthed(daemon, tokens.access_token);
    const revoked = daemon.ctl(['turn', 'revoke', '--user', name]);
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.equal((await client.waitClose()).code, 4403);
    const after = await scrapeUntil(
      daemon,
      (m) =>
        m.value('icegate_websocket_closes_total', { code: '4403' }) >
        before.value('icegate_websocket_closes_total', { code: '4403' }),
      'the 4403 close is counted',
    );
    const delta = (n, labels) => after.value(n, labels) - before.value(n, labels);
    assert.equal(delta('icegate_turn_credentials_issued_total', { endpoint: 'ice_servers' }), 1);
    assert.equal(delta('icegate_revocations_total', { kind: 'turn_revoked' }), 1);
    assert.equal(delta('icegate_websocket_closes_total', { code: '4403' }), 1);
    assert.equal(delta('icegate_revocations_total', { kind: 'user_disabled' }), 0);

    assert.equal(daemon.ctl(['user', 'disable', name]).status, 0);
    await scrapeUntil(
      daemon,
      (m) => m.value('icegate_revocations_total', { kind: 'user_disabled' }) === before.value('icegate_revocations_total', { kind: 'user_disabled' }) + 1,
      'the disable is counted',
    );
  });

  test('WebSocket authentication failures are counted by reason', async () => {
    const before = await scrape(daemon);
    const invalid = await WsClient.connect(daemon.wsUrl);
    invalid.send({ type: 'auth', token: 'not-a-token' });
    assert.equal((await invalid.waitClose()).code, 4401);
    const silent = await WsClient.connect(daemon.wsUrl); // auth_timeout is 1 s here
    assert.equal((await silent.waitClose(3000)).code, 4401);
    const after = await scrapeUntil(
      daemon,
      (m) =>
        m.value('icegate_websocket_closes_total', { code: '4401' }) ===
        before.value('icegate_websocket_closes_total', { code: '4401' }) + 2,
      'both 4401 closes are counted',
    );
    const auth = (m, result) => m.value('icegate_auth_attempts_total', { method: 'websocket', result });
    assert.equal(auth(after, 'invalid_token') - auth(before, 'invalid_token'), 1);
    assert.equal(auth(after, 'timeout') - auth(before, 'timeout'), 1);
  });
});

describe('metrics_listen: /metrics on its own port', () => {
  let daemon;
  let metricsBase;
  let metricsPort;
  before(async () => {
    metricsPort = await freePort();
    metricsBase = `http://127.0.0.1:${metricsPort}`;
    daemon = await startDaemon({ settings: { metrics_listen: `127.0.0.1:${metricsPort}` } });
  });
  after(() => stopAndCheck(daemon));

  test('the metrics port serves /metrics; the signaling port answers 404', async () => {
    const metrics = await scrape(daemon, metricsBase);
    assert.ok(metrics.value('icegate_connections', { listener: 'metrics' }) >= 1, 'the scrape itself');
    const onSignaling = await get(daemon, '/metrics');
    assert.equal(onSignaling.status, 404);
    assert.equal(onSignaling.json.error, 'not_found');
  });

  test('the metrics port serves /healthz and /readyz', async () => {
    assert.equal((await fetch(`${metricsBase}/healthz`)).status, 200);
    assert.equal((await fetch(`${metricsBase}/readyz`)).status, 200);
  });

  test('the metrics port does not serve the API, the pages or /ws', async () => {
    const metricsDaemon = { base: metricsBase };
    for (const [method, path] of [
      ['POST', '/api/v1/auth/login'],
      ['GET', '/api/v1/me'],
      ['GET', '/api/v1/ice-servers'],
      ['GET', '/'],
      ['GET', '/sender'],
      ['GET', '/first'],
      ['POST', '/create/1'],
      ['GET', '/api/v1/auth/login'], // a 405 on the signaling port: 404 here
    ]) {
      const response = await fetch(`${metricsDaemon.base}${path}`, { method, body: method === 'POST' ? '{}' : undefined });
      assert.equal(response.status, 404, `${method} ${path}`);
    }
    await assert.rejects(WsClient.connect(`ws://127.0.0.1:${metricsPort}/ws`), (error) => error.status === 404);
    // The signaling port still serves them.
    assert.equal((await get(daemon, '/api/v1/me')).status, 401);
  });
});
