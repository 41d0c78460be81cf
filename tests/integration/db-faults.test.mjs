// How a running icegate behaves when its SQLite file misbehaves: missing,
// read-only, locked by another writer, on a full disk, and when coturn's
// turnserver.conf disagrees with the daemon's configuration. A production
// signaling server must fail writes with a clear 503, keep relaying between
// peers that are already connected, never hang a client for longer than the
// store's busy timeout, lose no refresh token and recover on its own once the
// file is usable again. The faults are real: tmpfs mounts (read-only, full)
// and the immutable attribute need root, as the CI runner has.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { ctl, daemonBinary, freePort, repoRoot, startDaemon } from '../lib/daemon.mjs';
import { addUser, get, login, refresh, sleep, uniqueName } from '../lib/rest.mjs';
import { connectJoined } from '../lib/ws-client.mjs';
import { fillDisk, holdWriteLock } from '../lib/store-faults.mjs';

const PASSWORD = 'correct horse battery';
const BUSY_TIMEOUT_MS = 5000; // the store's sqlite3_busy_timeout

// Runs a command that must succeed; returns its stdout.
function run(command, args, input) {
  const result = spawnSync(command, args, { encoding: 'utf8', input: input ?? '', timeout: 30000 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  }
  return result.stdout;
}

// Mounts a tmpfs of `size` on a fresh directory; t.after unmounts it and
// removes the directory even when the test failed half way.
function mountTmpfs(t, size) {
  const dir = mkdtempSync(join(tmpdir(), 'icegate-fault-'));
  run('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
  let mounted = true;
  t.after(() => {
    if (mounted) spawnSync('umount', ['-l', dir]);
    mounted = false;
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    remount: (mode) => run('mount', ['-o', `remount,${mode}`, dir]),
  };
}

// Starts the daemon binary and waits for it to exit by itself.
function runUntilExit(args, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const child = spawn(daemonBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`icegate kept running with ${args.join(' ')}:\n${output}`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

// Awaits promise and says how long it took, in milliseconds.
async function timed(promise) {
  const start = performance.now();
  const value = await promise;
  return { value, ms: Math.round(performance.now() - start) };
}

function assertServerError(response) {
  assert.equal(response.status, 503, response.text);
  assert.equal(response.json?.error, 'server_error', response.text);
  assert.equal(typeof response.json.error_description, 'string');
}

function assertTokens(response) {
  assert.equal(response.status, 200, response.text);
  assert.match(response.json.refresh_token, /^[A-Za-z0-9_-]{43}$/);
  return response.json;
}

// The daemon's log lines at error (or warn) level since `from` characters.
function errorLines(daemon, from, levels = /\b(error|warn)\b/) {
  return daemon
    .log()
    .slice(from)
    .split('\n')
    .filter((line) => levels.test(line));
}

// Two users in one room, connected over WebSocket, so a test can check that
// relaying between already-authenticated peers survives a database fault.
async function joinPair(daemon, room) {
  const names = [uniqueName('alice'), uniqueName('bob')];
  const clients = [];
  for (const name of names) {
    addUser(daemon, name, PASSWORD);
    const tokens = assertTokens(await login(daemon, name, PASSWORD));
    clients.push(await connectJoined(daemon, tokens.access_token, room));
  }
  return clients;
}

async function assertRelays(from, to) {
  const candidate = { candidate: 'candidate:1 1 udp 1 192.0.2.1 9 typ host', sdpMid: '0' };
  from.send({ type: 'candidate', to: to.joined.id, candidate });
  const relayed = await to.nextMessage('candidate', 3000);
  assert.equal(relayed.from, from.joined.id);
  assert.deepEqual(relayed.candidate.candidate, candidate.candidate);
}

function sqlite(dbPath, sql) {
  return run('sqlite3', [dbPath, sql]).trim();
}

describe('database file missing', () => {
  test('a missing file in an existing directory is created and migrated at start', async (t) => {
    const daemon = await startDaemon();
    t.after(() => stopAndCheck(daemon));
    assert.ok(existsSync(daemon.dbPath), 'the daemon created the database file');
    const name = uniqueName('fresh');
    addUser(daemon, name, PASSWORD);
    assertTokens(await login(daemon, name, PASSWORD));
    assert.equal((await get(daemon, '/readyz')).status, 200);
    assert.equal(sqlite(daemon.dbPath, 'PRAGMA journal_mode'), 'wal');
  });

  test('a database in a missing directory stops the start, naming the path', async () => {
    const dbPath = join(tmpdir(), `icegate-no-such-dir-${process.pid}`, 'icegate.db');
    const port = await freePort();
    const { code, signal, output } = await runUntilExit([
      '-p',
      `127.0.0.1:${port}`,
      '--db',
      dbPath,
      '--web-root',
      join(repoRoot, 'web'),
    ]);
    assert.equal(signal, null, `no crash:\n${output}`);
    assert.notEqual(code, 0, output);
    assert.match(output, /\berror\b/);
    assert.ok(output.includes(dbPath), `the message names ${dbPath}:\n${output}`);
    assert.match(output, /directory/);
    assert.doesNotMatch(output, /AddressSanitizer|LeakSanitizer|runtime error:/);
  });
});

describe('read-only database', () => {
  test('a database on a read-only mount stops the start with a clear message', async (t) => {
    const mount = mountTmpfs(t, '4m');
    const dbPath = join(mount.dir, 'icegate.db');
    const added = ctl(dbPath, ['user', 'add', uniqueName('ro'), '--password-stdin'], PASSWORD);
    assert.equal(added.status, 0, added.stderr);
    mount.remount('ro');
    const port = await freePort();
    const { code, signal, output } = await runUntilExit([
      '-p',
      `127.0.0.1:${port}`,
      '--db',
      dbPath,
      '--web-root',
      join(repoRoot, 'web'),
    ]);
    assert.equal(signal, null, `no crash:\n${output}`);
    assert.notEqual(code, 0, output);
    assert.ok(output.includes(dbPath), `the message names ${dbPath}:\n${output}`);
    assert.match(output, /read-only/);
    assert.doesNotMatch(output, /AddressSanitizer|LeakSanitizer|runtime error:/);
  });
});

// The immutable attribute refuses writes even to files the daemon already
// holds open (a read-only remount would be refused while they are open), and
// it binds root too. It needs a disk file system: tmpfs ignores it for open
// files, so the directory lives under /var/tmp.
function freezable(t) {
  const dir = mkdtempSync(join('/var/tmp', 'icegate-frozen-'));
  const paths = () =>
    [dir, ...['icegate.db', 'icegate.db-wal', 'icegate.db-shm'].map((f) => join(dir, f))].filter(
      existsSync
    );
  const set = (flag) => {
    for (const path of paths()) run('chattr', [flag, path]);
  };
  t.after(() => {
    set('-i');
    rmSync(dir, { recursive: true, force: true });
  });
  // Checks the mechanism before relying on it: a write through a descriptor
  // opened before the flag was set must fail.
  const probe = join(dir, 'probe');
  writeFileSync(probe, 'x');
  const fd = openSync(probe, 'r+');
  run('chattr', ['+i', probe]);
  assert.throws(() => writeSync(fd, 'y', 0), /EPERM/, 'chattr +i must stop writes here');
  run('chattr', ['-i', probe]);
  closeSync(fd);
  rmSync(probe);
  return { dir, freeze: () => set('+i'), thaw: () => set('-i') };
}

describe('database made read-only while running', () => {
  test('writes answer 503, reads and relaying go on, and it recovers', async (t) => {
    const frozen = freezable(t);
    const daemon = await startDaemon({ dir: frozen.dir });
    t.after(() => stopAndCheck(daemon));
    const name = uniqueName('frozen');
    addUser(daemon, name, PASSWORD);
    const before = assertTokens(await login(daemon, name, PASSWORD));
    const [alice, bob] = await joinPair(daemon, 'frozen');
    t.after(() => [alice, bob].forEach((c) => c.close()));

    const logFrom = daemon.log().length;
    frozen.freeze();
    const loginAttempt = await timed(login(daemon, name, PASSWORD));
    assertServerError(loginAttempt.value);
    const refreshAttempt = await timed(refresh(daemon, before.refresh_token));
    assertServerError(refreshAttempt.value);
    const ice = await get(daemon, '/api/v1/ice-servers', {
      Authorization: `Bearer ${before.access_token}`,
    });
    // Minting needs no write: the audit record waits in memory for the file.
    assert.equal(ice.status, 200, ice.text);
    assert.equal((await get(daemon, '/healthz')).status, 200);
    await assertRelays(alice, bob);
    await assertRelays(bob, alice);
    // Checked last, so that a wrong readiness answer does not hide how the
    // daemon recovers.
    const readyWhileFrozen = await get(daemon, '/readyz');
    await sleep(1500); // one audit flush attempt
    const errors = errorLines(daemon, logFrom);
    assert.ok(errors.some((l) => /\berror\b.*refresh/.test(l)), errors.join('\n'));
    assert.ok(errors.some((l) => /audit/.test(l)), `audit failure logged:\n${errors.join('\n')}`);
    t.diagnostic(
      `read-only: login 503 in ${loginAttempt.ms} ms, refresh 503 in ${refreshAttempt.ms} ms`
    );

    frozen.thaw();
    assertTokens(await login(daemon, name, PASSWORD));
    assert.equal((await get(daemon, '/readyz')).status, 200);
    const rotated = assertTokens(await refresh(daemon, before.refresh_token));
    assertTokens(await refresh(daemon, rotated.refresh_token));
    await sleep(1500); // the queued audit record reaches the file
    const audited = sqlite(
      daemon.dbPath,
      `SELECT count(*) FROM ig_turn_credentials WHERE subject = '${name}'`
    );
    assert.equal(audited, '1', 'the credential issued while read-only was audited afterwards');
    assert.equal(readyWhileFrozen.status, 503, `readyz while read-only: ${readyWhileFrozen.text}`);
    assert.equal(readyWhileFrozen.json?.error, 'not_ready');
  });
});

describe('SIGHUP while the daemon waits for the database at start', () => {
  // A reload hook (certbot's, systemctl reload) may fire while the daemon is
  // still opening its database, here held up by another writer's lock: the
  // signal must not kill it, and it must come up once the lock goes.
  test('does not kill it; it serves once the lock is released', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'icegate-hup-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    await stopAndCheck(await startDaemon({ dir })); // the database exists
    const dbPath = join(dir, 'icegate.db');
    const release = await holdWriteLock(t, dbPath);
    const port = await freePort();
    const child = spawn(
      daemonBinary,
      ['-p', `127.0.0.1:${port}`, '--db', dbPath, '--web-root', join(repoRoot, 'web')],
      { stdio: ['ignore', 'ignore', 'pipe'] }
    );
    let log = '';
    child.stderr.on('data', (chunk) => (log += chunk));
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    t.after(() => child.kill('SIGKILL'));
    try {
      await sleep(500); // in main(), waiting on the lock
      for (let i = 0; i < 3; i++) {
        child.kill('SIGHUP');
        await sleep(50);
      }
      assert.equal(child.signalCode, null, `SIGHUP killed the starting daemon:\n${log}`);
    } finally {
      await release();
    }
    let serving = false;
    for (const deadline = Date.now() + BUSY_TIMEOUT_MS + 5000; !serving && Date.now() < deadline; ) {
      serving = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
      if (!serving) await sleep(100);
    }
    assert.ok(serving, `the daemon serves once the lock is released:\n${log}`);
    child.kill('SIGTERM');
    assert.deepEqual(await exited, { code: 0, signal: null }, log);
  });
});

describe('database locked by another writer', () => {
  test('writes answer 503 after the busy timeout, the rest keeps working', async (t) => {
    const daemon = await startDaemon();
    t.after(() => stopAndCheck(daemon));
    const name = uniqueName('locked');
    addUser(daemon, name, PASSWORD);
    const before = assertTokens(await login(daemon, name, PASSWORD));
    const [alice, bob] = await joinPair(daemon, 'locked');
    t.after(() => [alice, bob].forEach((c) => c.close()));
    await sleep(1200); // the join credentials' audit records are flushed

    // Everything is measured under the lock and checked once it is released,
    // so that a failed check never leaves the lock held.
    const release = await holdWriteLock(t, daemon.dbPath);
    let loginAttempt, refreshAttempt, health, relay, healthAfter, ice, healthDuringFlush;
    try {
      const loginPending = timed(login(daemon, name, PASSWORD));
      await sleep(300); // the login is waiting on the lock now
      health = await timed(get(daemon, '/healthz'));
      relay = await timed(assertRelays(alice, bob));
      loginAttempt = await loginPending;
      refreshAttempt = await timed(refresh(daemon, before.refresh_token));
      healthAfter = await timed(get(daemon, '/healthz'));
      // A minted credential queues an audit record; its flush, once a
      // second, then waits on the lock too.
      ice = await get(daemon, '/api/v1/ice-servers', {
        Authorization: `Bearer ${before.access_token}`,
      });
      await sleep(1300);
      healthDuringFlush = await timed(get(daemon, '/healthz'));
    } finally {
      await release();
    }
    t.diagnostic(
      `locked: login 503 in ${loginAttempt.ms} ms, refresh 503 in ${refreshAttempt.ms} ms, ` +
        `/healthz during the login ${health.ms} ms, relay ${relay.ms} ms, ` +
        `/healthz after ${healthAfter.ms} ms, during an audit flush ${healthDuringFlush.ms} ms`
    );
    assertServerError(loginAttempt.value);
    assertServerError(refreshAttempt.value);
    assert.ok(loginAttempt.ms < BUSY_TIMEOUT_MS + 3000, `login answered in ${loginAttempt.ms} ms`);
    assert.ok(
      refreshAttempt.ms < BUSY_TIMEOUT_MS + 3000,
      `refresh answered in ${refreshAttempt.ms} ms`
    );
    assert.equal(ice.status, 200, ice.text);
    for (const answer of [health, healthAfter, healthDuringFlush]) {
      assert.equal(answer.value.status, 200);
    }
    assert.ok(healthAfter.ms < 1000, `/healthz with no write waiting took ${healthAfter.ms} ms`);

    assertTokens(await login(daemon, name, PASSWORD));
    const rotated = assertTokens(await refresh(daemon, before.refresh_token));
    assertTokens(await refresh(daemon, rotated.refresh_token));
    assert.equal((await get(daemon, '/readyz')).status, 200);
    await assertRelays(bob, alice);

    // The store runs on the loop thread: a write waiting on the lock stalls
    // every other client, which is bearable only up to the busy timeout.
    assert.ok(health.ms < BUSY_TIMEOUT_MS + 1000, `/healthz during a login took ${health.ms} ms`);
    assert.ok(
      healthDuringFlush.ms < BUSY_TIMEOUT_MS + 1000,
      `/healthz during the audit flush took ${healthDuringFlush.ms} ms`
    );
  });
});

describe('full disk', () => {
  test('writes answer 503 and nothing is lost or corrupted', async (t) => {
    const mount = mountTmpfs(t, '2m');
    const daemon = await startDaemon({ dir: mount.dir });
    t.after(() => stopAndCheck(daemon));
    const name = uniqueName('full');
    addUser(daemon, name, PASSWORD);
    let current = assertTokens(await login(daemon, name, PASSWORD)).refresh_token;

    const filler = fillDisk(mount.dir);
    // The write-ahead log reuses the pages it already has, so the first few
    // writes may still fit; the refresh chain runs until one is refused.
    let refused, attempt;
    for (attempt = 0; attempt < 500 && !refused; attempt++) {
      const response = await refresh(daemon, current);
      if (response.status === 200) current = response.json.refresh_token;
      else refused = response;
    }
    assert.ok(refused, 'some write was refused on the full disk');
    t.diagnostic(`full disk: refresh number ${attempt} was the first refused`);
    assertServerError(refused);
    assertServerError(await login(daemon, name, PASSWORD));
    assert.equal((await get(daemon, '/healthz')).status, 200);

    rmSync(filler);
    assert.equal(sqlite(daemon.dbPath, 'PRAGMA integrity_check'), 'ok');
    assert.match(ctl(daemon.dbPath, ['user', 'list']).stdout, new RegExp(name));
    // The token the refused refresh presented was not spent.
    const rotated = assertTokens(await refresh(daemon, current));
    assertTokens(await refresh(daemon, rotated.refresh_token));
    assertTokens(await login(daemon, name, PASSWORD));
    assert.equal((await get(daemon, '/readyz')).status, 200);
  });
});

describe('turnserver.conf checked at start', () => {
  const shipped = readFileSync(join(repoRoot, 'etc', 'turnserver.conf'), 'utf8');
  const SECRET = 'static-secret-that-must-not-be-logged';

  // Writes the shipped turnserver.conf with userdb pointing at dbPath and
  // `edits` (option -> value) applied or added; returns its path.
  function turnserverConf(dir, dbPath, edits = {}) {
    let text = shipped.replace(/^userdb=.*$/m, `userdb=${dbPath}`);
    for (const [option, value] of Object.entries(edits)) {
      const line = `${option}=${value}`;
      const existing = new RegExp(`^${option}=.*$`, 'm');
      text = existing.test(text) ? text.replace(existing, line) : `${text}\n${line}\n`;
    }
    const path = join(dir, 'turnserver.conf');
    writeFileSync(path, text);
    return path;
  }

  test('each mismatch is logged with what to change, and the daemon still starts', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'icegate-turnconf-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const conf = turnserverConf(dir, join(dir, 'icegate.db'), {
      realm: 'other',
      'static-auth-secret': SECRET,
    });
    const daemon = await startDaemon({ dir, settings: { turnserver_conf: conf } });
    t.after(() => stopAndCheck(daemon));
    const errors = errorLines(daemon, 0, /\berror\b/);
    assert.equal(errors.length, 2, errors.join('\n'));
    const realm = errors.find((l) => /realm/.test(l));
    assert.ok(realm?.includes(conf), `names the file:\n${errors.join('\n')}`);
    assert.match(realm, /'other'.*set realm=icegate/);
    const secret = errors.find((l) => /static-auth-secret/.test(l));
    assert.match(secret ?? '', /remove it/);
    assert.ok(!daemon.log().includes(SECRET), 'the secret is never logged');
    assert.equal((await get(daemon, '/healthz')).status, 200);
  });

  test('the shipped file with userdb pointing at the database logs nothing', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'icegate-turnconf-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const conf = turnserverConf(dir, join(dir, 'icegate.db'));
    const daemon = await startDaemon({ dir, settings: { turnserver_conf: conf } });
    t.after(() => stopAndCheck(daemon));
    assert.deepEqual(errorLines(daemon, 0), []);
    assert.ok(!daemon.log().includes(conf), daemon.log());
  });
});
