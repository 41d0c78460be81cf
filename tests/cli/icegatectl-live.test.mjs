// icegatectl's live commands against a running daemon: status, sessions list
// (with --room and --json), sessions kick by id and by user (the client sees
// the close code), rooms list, and every way they fail: no daemon, a socket
// left by a killed daemon, another daemon on the same database, permissions
// (icegatectl run as another user), an unknown session or user, and usage
// errors. Also the control socket itself, spoken to directly: its mode, the
// request size limit, the per-request deadline, the client limit, pipelined
// and malformed requests, and its removal at shutdown.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { ctlBinary, daemonBinary, freePort, repoRoot, startDaemon } from '../lib/daemon.mjs';
import { addUser, guestToken, login, sleep, uniqueName } from '../lib/rest.mjs';
import { WsClient, connectAuthed, connectJoined } from '../lib/ws-client.mjs';
import { expectFailure, expectUsage } from './lib/expect.mjs';

const PASSWORD = 'correct horse battery';
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

const scratch = mkdtempSync(join(tmpdir(), 'icegatectl-live-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

// Runs icegatectl with exactly these arguments.
function run(args, { asNobody = false } = {}) {
  const command = asNobody ? 'setpriv' : ctlBinary;
  const argv = asNobody ? [...NOBODY, ctlBinary, ...args] : args;
  const result = spawnSync(command, argv, { encoding: 'utf8', timeout: 30000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectOk(result) {
  assert.equal(result.status, 0, `stdout: ${result.stdout} stderr: ${result.stderr}`);
  assert.equal(result.stderr, '');
  return result.stdout;
}

const json = (result) => JSON.parse(expectOk(result));

// Retries check (which throws until it holds) for up to ms.
async function eventually(check, ms = 3000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}

// A user with a fresh access token.
async function userToken(daemon, prefix, role) {
  const name = uniqueName(prefix);
  addUser(daemon, name, PASSWORD, role);
  const response = await login(daemon, name, PASSWORD);
  assert.equal(response.status, 200, response.text);
  return { name, token: response.json.access_token };
}

// One connection to the control socket, read line by line.
class ControlConnection {
  static open(path) {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('connect', () => resolve(new ControlConnection(socket)));
      socket.once('error', reject);
    });
  }

  constructor(socket) {
    this.socket = socket;
    this.buffer = '';
    this.lines = [];
    this.waiting = null;
    this.ended = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => {});
    socket.on('data', (data) => {
      this.buffer += data;
      let newline;
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        this.lines.push(this.buffer.slice(0, newline));
        this.buffer = this.buffer.slice(newline + 1);
      }
      this.waiting?.();
    });
  }

  send(text) {
    this.socket.write(text);
  }

  // The next reply, parsed.
  async reply(timeout = 3000) {
    const deadline = Date.now() + timeout;
    while (this.lines.length === 0) {
      if (Date.now() > deadline) throw new Error(`no reply within ${timeout} ms`);
      await Promise.race([new Promise((r) => (this.waiting = r)), sleep(50), this.ended]);
    }
    return JSON.parse(this.lines.shift());
  }

  async request(object) {
    this.send(`${JSON.stringify(object)}\n`);
    return this.reply();
  }

  // Resolves with the milliseconds until the daemon closed the connection.
  async closedWithin(timeout) {
    const started = Date.now();
    const closed = await Promise.race([this.ended.then(() => true), sleep(timeout).then(() => false)]);
    assert.ok(closed, `the connection was still open after ${timeout} ms`);
    return Date.now() - started;
  }

  close() {
    this.socket.destroy();
  }
}

describe('with a running daemon', () => {
  let daemon;
  let socketPath;
  before(async () => {
    daemon = await startDaemon({ settings: { guest_access: 'on', auth_timeout: 60 } });
    socketPath = `${daemon.dbPath}.sock`;
  });
  after(() => stopAndCheck(daemon));

  test('status counts connections, sessions, rooms and peers', async () => {
    const sender = await userToken(daemon, 'status-sender', 'sender');
    const a = await connectJoined(daemon, sender.token, 'status-a', 'sender');
    const b = await connectJoined(daemon, await guestToken(daemon, 'receiver'), 'status-a');
    const c = await connectJoined(daemon, await guestToken(daemon, 'receiver'), 'status-b');
    const pending = await WsClient.connect(daemon.wsUrl); // mid-auth: upgraded, no token yet
    try {
      const status = json(daemon.ctl(['status', '--json']));
      assert.equal(status.version, '0.1.0');
      assert.equal(status.pid, daemon.child.pid);
      assert.ok(Math.abs(status.started_at - Date.now() / 1000) < 60, `started_at ${status.started_at}`);
      assert.ok(status.uptime_seconds >= 0 && status.uptime_seconds < 60);
      // Every WebSocket, plus the keep-alive HTTP connections of the logins.
      assert.ok(status.connections >= 4, `connections: ${status.connections}`);
      assert.equal(status.sessions, 4);
      assert.equal(status.authenticated_sessions, 3);
      assert.equal(status.rooms, 2);
      assert.equal(status.peers, 3);
      assert.deepEqual(status.listening, { signaling: `127.0.0.1:${daemon.port}`, metrics: null });
      assert.equal(status.tls, false);

      const text = expectOk(daemon.ctl(['status']));
      assert.match(text, new RegExp(`^icegate 0\\.1\\.0, pid ${daemon.child.pid}\\n`));
      assert.match(text, /\nuptime {7}\d+s \(since \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\)\n/);
      assert.match(text, new RegExp(`\\nlistening {4}127\\.0\\.0\\.1:${daemon.port} \\(HTTP and WS, no TLS\\)\\n`));
      assert.match(text, /\nconnections {2}\d+\n/);
      assert.match(text, /\nsessions {5}4 \(3 authenticated\)\n/);
      assert.match(text, /\nrooms {8}2 \(3 peers\)\n$/);
    } finally {
      for (const client of [a, b, c, pending]) client.close();
    }
    await eventually(() => {
      const status = json(daemon.ctl(['status', '--json']));
      assert.deepEqual([status.sessions, status.rooms, status.peers], [0, 0, 0]);
    });
  });

  test('sessions list shows each session with its user, room and traffic', async () => {
    const alice = await userToken(daemon, 'list-alice');
    const first = await connectJoined(daemon, alice.token, 'list-room', 'sender');
    for (let i = 0; i < 3; i++) await first.request({ type: 'ping' }, 'pong');
    const second = await connectJoined(daemon, await guestToken(daemon, 'receiver'), 'list-other');
    const pending = await WsClient.connect(daemon.wsUrl);
    try {
      const sessions = json(daemon.ctl(['sessions', 'list', '--json']));
      assert.equal(sessions.length, 3);
      const mine = sessions.find((s) => s.id === first.auth.id);
      assert.deepEqual(
        { ...mine, connected_at: undefined },
        {
          id: first.auth.id,
          user: alice.name,
          roles: ['sender'],
          room: 'list-room',
          address: '127.0.0.1',
          connected_at: undefined,
          authenticated: true,
          // join and three pings in; authenticated, joined and three pongs out
          messages_in: 4,
          messages_out: 5,
        }
      );
      assert.ok(Math.abs(mine.connected_at - Date.now() / 1000) < 30);
      const guest = sessions.find((s) => s.id === second.auth.id);
      assert.match(guest.user, /^guest:/);
      assert.deepEqual(guest.roles, ['receiver']);
      const unauthenticated = sessions.find((s) => !s.authenticated);
      assert.deepEqual(
        [unauthenticated.user, unauthenticated.roles, unauthenticated.room, unauthenticated.messages_in],
        [null, [], null, 0]
      );
      // Oldest first.
      assert.deepEqual(
        sessions.map((s) => s.id),
        [first.auth.id, second.auth.id, unauthenticated.id]
      );

      const table = expectOk(daemon.ctl(['sessions', 'list'])).split('\n');
      assert.match(table[0], /^ID {16}USER +ROLES +ROOM +ADDRESS +CONNECTED {13}IN\/OUT$/);
      assert.equal(table.length, 5); // header, three rows, final newline
      const row = table.find((line) => line.startsWith(first.auth.id));
      assert.match(row, new RegExp(`^${first.auth.id}  ${alice.name} +sender +list-room +127\\.0\\.0\\.1 +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ  4/5$`));
      const pendingRow = table.find((line) => line.startsWith(unauthenticated.id));
      assert.match(pendingRow, /^[0-9a-f]{16} {2}- +- +- +127\.0\.0\.1 /);
    } finally {
      for (const client of [first, second, pending]) client.close();
    }
  });

  test('sessions list --room shows only that room', async () => {
    const inside = await connectJoined(daemon, await guestToken(daemon, 'sender'), 'only-here');
    const outside = await connectJoined(daemon, await guestToken(daemon, 'receiver'), 'elsewhere');
    try {
      const sessions = json(daemon.ctl(['sessions', 'list', '--room', 'only-here', '--json']));
      assert.deepEqual(
        sessions.map((s) => s.id),
        [inside.auth.id]
      );
      assert.deepEqual(json(daemon.ctl(['sessions', 'list', '--json', '--room', 'nobody-here'])), []);
      const table = expectOk(daemon.ctl(['sessions', 'list', '--room', 'only-here']));
      assert.ok(table.includes(inside.auth.id) && !table.includes(outside.auth.id), table);
    } finally {
      inside.close();
      outside.close();
    }
  });

  test('rooms list shows rooms by name with peers and senders', async () => {
    const clients = [
      await connectJoined(daemon, await guestToken(daemon, 'sender'), 'rooms-b'),
      await connectJoined(daemon, await guestToken(daemon, 'receiver'), 'rooms-b'),
      await connectJoined(daemon, await guestToken(daemon, 'receiver'), 'rooms-b'),
      await connectJoined(daemon, await guestToken(daemon, 'receiver'), 'rooms-a'),
    ];
    try {
      assert.deepEqual(json(daemon.ctl(['rooms', 'list', '--json'])), [
        { room: 'rooms-a', peers: 1, senders: 0 },
        { room: 'rooms-b', peers: 3, senders: 1 },
      ]);
      assert.equal(
        expectOk(daemon.ctl(['rooms', 'list'])),
        'ROOM     PEERS  SENDERS\nrooms-a  1      0\nrooms-b  3      1\n'
      );
    } finally {
      for (const client of clients) client.close();
    }
    await eventually(() => assert.deepEqual(json(daemon.ctl(['rooms', 'list', '--json'])), []));
    assert.equal(expectOk(daemon.ctl(['rooms', 'list'])), 'ROOM  PEERS  SENDERS\n');
  });

  test('sessions kick ID closes that session with 4403 and tells its room', async () => {
    const targetToken = await guestToken(daemon, 'sender');
    const target = await connectJoined(daemon, targetToken, 'kick-room');
    const peer = await connectJoined(daemon, await guestToken(daemon, 'receiver'), 'kick-room');
    try {
      assert.equal(expectOk(daemon.ctl(['sessions', 'kick', target.auth.id])), '1 session closed\n');
      const { code, reason } = await target.waitClose(2000);
      assert.equal(code, 4403);
      assert.equal(reason, 'kicked by an administrator');
      const left = await peer.nextMessage('peer-left');
      assert.equal(left.id, target.auth.id);
      assert.ok(peer.isOpen, 'the other peer stays');
      const ids = json(daemon.ctl(['sessions', 'list', '--json'])).map((s) => s.id);
      assert.ok(!ids.includes(target.auth.id) && ids.includes(peer.auth.id));
      // Kicked, not banned: the same token opens a new session.
      const again = await connectAuthed(daemon, targetToken);
      assert.notEqual(again.auth.id, target.auth.id);
      again.close();
      // The id is gone now.
      expectFailure(daemon.ctl(['sessions', 'kick', target.auth.id]), `no session with id '${target.auth.id}'`);
    } finally {
      peer.close();
    }
  });

  test('sessions kick --user closes every session of that user and no other', async () => {
    const bob = await userToken(daemon, 'kick-bob');
    const carol = await userToken(daemon, 'kick-carol');
    const bobOne = await connectJoined(daemon, bob.token, 'kick-user-room');
    const bobTwo = await connectAuthed(daemon, bob.token);
    const carolsSession = await connectJoined(daemon, carol.token, 'kick-user-room');
    try {
      assert.equal(expectOk(daemon.ctl(['sessions', 'kick', '--user', bob.name])), '2 sessions closed\n');
      for (const client of [bobOne, bobTwo]) {
        const { code, reason } = await client.waitClose(2000);
        assert.deepEqual([code, reason], [4403, 'kicked by an administrator']);
      }
      assert.ok(carolsSession.isOpen);
      assert.equal((await carolsSession.request({ type: 'ping' }, 'pong')).type, 'pong');
      // Bob can log in again: a kick is not a ban.
      assert.equal((await login(daemon, bob.name, PASSWORD)).status, 200);
      // Bob is known but has nothing open now: not an error.
      assert.equal(
        expectOk(daemon.ctl(['sessions', 'kick', '--user', bob.name])),
        `0 sessions closed ('${bob.name}' has no open session)\n`
      );
    } finally {
      carolsSession.close();
    }
  });

  test('kick --user also reaches a guest by its subject', async () => {
    const guest = await connectAuthed(daemon, await guestToken(daemon, 'receiver'));
    assert.equal(expectOk(daemon.ctl(['sessions', 'kick', '--user', guest.auth.sub])), '1 session closed\n');
    assert.equal((await guest.waitClose(2000)).code, 4403);
  });

  test('an unknown session id or user fails with exit 1', () => {
    expectFailure(daemon.ctl(['sessions', 'kick', 'nope']), "no session with id 'nope'");
    expectFailure(daemon.ctl(['sessions', 'kick', '0123456789abcdef']), "no session with id '0123456789abcdef'");
    expectFailure(daemon.ctl(['sessions', 'kick', '--user', 'ghost']), "no user 'ghost'");
    expectFailure(daemon.ctl(['sessions', 'kick', '--user', 'guest:0000']), "no user 'guest:0000'");
  });

  const usageErrors = [
    [['status', 'now'], 'status: unexpected argument \'now\''],
    [['status', '--verbose'], "status: unknown option '--verbose'"],
    [['sessions'], 'sessions: missing subcommand (list, kick)'],
    [['sessions', 'show'], "sessions: unknown subcommand 'show'"],
    [['sessions', 'list', 'extra'], "sessions list: unexpected argument 'extra'"],
    [['sessions', 'list', '--room'], "sessions list: option '--room' needs a value"],
    [['sessions', 'list', '--room', 'two words'], 'sessions: room must be a room name (1-64 characters of A-Z a-z 0-9 _ - .)'],
    [['sessions', 'kick'], 'sessions kick: expected a session ID or --user NAME'],
    [['sessions', 'kick', 'a', 'b'], 'sessions kick: expected a session ID or --user NAME'],
    [['sessions', 'kick', 'abc', '--user', 'bob'], 'sessions kick: expected a session ID or --user NAME'],
    [['sessions', 'kick', '--user'], "sessions kick: option '--user' needs a value"],
    [['sessions', 'kick', 'x'.repeat(65)], 'kick: id must be a peer id (a string of 1-64 characters)'],
    [['rooms'], 'rooms: missing subcommand (list)'],
    [['rooms', 'show'], "rooms: unknown subcommand 'show'"],
    [['rooms', 'list', 'extra'], "rooms list: unexpected argument 'extra'"],
    [['rooms', 'list', '--room', 'a'], "rooms list: unknown option '--room'"],
  ];
  for (const [args, message] of usageErrors) {
    test(`usage error: icegatectl ${args.join(' ')}`, () => {
      expectUsage(daemon.ctl(args), message);
    });
  }

  test('the socket is 0600 and serves only root and the daemon user', async () => {
    const mode = statSync(socketPath).mode;
    assert.ok((mode & 0o170000) === 0o140000, 'a socket');
    assert.equal(mode & 0o777, 0o600);
    // Another user cannot reach the socket through the private directory...
    expectFailure(
      run(['--db', daemon.dbPath, 'status'], { asNobody: true }),
      `permission denied on the control socket ${socketPath}: run icegatectl as root or as the user icegate runs as`
    );
    // ...nor through the socket's own mode...
    chmodSync(daemon.dir, 0o711);
    try {
      expectFailure(
        run(['--db', daemon.dbPath, 'sessions', 'list'], { asNobody: true }),
        `permission denied on the control socket ${socketPath}: run icegatectl as root or as the user icegate runs as`
      );
      // ...and a socket opened up by hand still answers only root and its owner.
      chmodSync(socketPath, 0o666);
      expectFailure(
        run(['--db', daemon.dbPath, 'rooms', 'list'], { asNobody: true }),
        `icegate refused this user on the control socket ${socketPath}: run icegatectl as root or as the user icegate runs as`
      );
      await eventually(() => assert.match(daemon.log(), /control: refused a client running as uid 65534/));
    } finally {
      chmodSync(socketPath, 0o600);
      chmodSync(daemon.dir, 0o700);
    }
    expectOk(daemon.ctl(['status']));
  });

  describe('the control socket protocol', () => {
    test('one JSON reply line per request, in order, on one connection', async () => {
      const connection = await ControlConnection.open(socketPath);
      try {
        connection.send('{"cmd":"rooms"}\nnot json\n{"cmd":"status"}\r\n{"cmd":"nope"}\n{"cmd":"kick"}\n');
        assert.deepEqual(await connection.reply(), { rooms: [] });
        assert.deepEqual(await connection.reply(), {
          error: 'bad_request',
          message: 'a request is one JSON object on one line',
        });
        assert.equal((await connection.reply()).pid, daemon.child.pid);
        assert.deepEqual(await connection.reply(), {
          error: 'unknown_command',
          message: "unknown command 'nope' (expected status, sessions, rooms or kick)",
        });
        assert.deepEqual(await connection.reply(), {
          error: 'bad_request',
          message: 'kick: give exactly one of id or user',
        });
        assert.deepEqual(await connection.request({ cmd: 'kick', id: 'zz' }), {
          error: 'not_found',
          message: "no session with id 'zz'",
        });
        assert.deepEqual(await connection.request({ cmd: 'kick', user: 'ghost' }), {
          error: 'unknown_user',
          message: "no user named 'ghost'",
        });
      } finally {
        connection.close();
      }
    });

    test('a request line may be 4096 bytes, newline included, and no more', async () => {
      const line = (length) => `{"cmd":"status"${' '.repeat(length - 16)}}`;
      assert.equal(line(4095).length, 4095);
      const fits = await ControlConnection.open(socketPath);
      try {
        fits.send(`${line(4095)}\n`);
        assert.equal((await fits.reply()).pid, daemon.child.pid);
      } finally {
        fits.close();
      }
      const tooLong = await ControlConnection.open(socketPath);
      tooLong.send(`${line(4096)}\n`);
      assert.deepEqual(await tooLong.reply(), {
        error: 'bad_request',
        message: 'a request line is at most 4096 bytes',
      });
      await tooLong.closedWithin(2000);
      // Without any newline at all.
      const endless = await ControlConnection.open(socketPath);
      endless.send('x'.repeat(100000));
      assert.equal((await endless.reply()).error, 'bad_request');
      await endless.closedWithin(2000);
    });

    test('a client that does not finish its request within 5 s is closed', async () => {
      const silent = await ControlConnection.open(socketPath);
      const partial = await ControlConnection.open(socketPath);
      partial.send('{"cmd":');
      const elapsed = await Promise.all([silent.closedWithin(8000), partial.closedWithin(8000)]);
      for (const ms of elapsed) assert.ok(ms >= 4000, `closed after ${ms} ms`);
      assert.deepEqual(partial.lines, []);
    });

    test('at most 16 clients at once; the next one is told to come back', async () => {
      const held = [];
      try {
        for (let i = 0; i < 16; i++) held.push(await ControlConnection.open(socketPath));
        // Make sure the daemon has accepted all of them.
        assert.equal((await held[15].request({ cmd: 'rooms' })).rooms.length, 0);
        const extra = await ControlConnection.open(socketPath);
        assert.deepEqual(await extra.reply(), {
          error: 'busy',
          message: 'too many control clients at once; try again',
        });
        await extra.closedWithin(2000);
      } finally {
        for (const connection of held) connection.close();
      }
      await eventually(() => expectOk(daemon.ctl(['status'])));
    });
  });
});

describe('when icegate cannot be asked', () => {
  test('no daemon: every live command says icegate is not running', () => {
    const db = join(scratch, 'nothing.db');
    const message =
      `icegate is not running (no control socket at ${db}.sock); start it, or point -c/--db at ` +
      'the configuration it runs with';
    for (const args of [['status'], ['sessions', 'list'], ['sessions', 'kick', 'abc'], ['rooms', 'list']]) {
      expectFailure(run(['--db', db, ...args]), message);
    }
  });

  test('a socket left by a killed daemon: not running, then replaced at the next start', async () => {
    const dir = mkdtempSync(join(scratch, 'stale-'));
    const first = await startDaemon({ dir });
    const socketPath = `${first.dbPath}.sock`;
    await first.stop('SIGKILL');
    assert.ok(existsSync(socketPath), 'SIGKILL leaves the socket file');
    expectFailure(
      run(['--db', first.dbPath, 'status']),
      `icegate is not running (nothing answers on the control socket ${socketPath}, left by a ` +
        'daemon that stopped; its next start replaces it)'
    );
    const second = await startDaemon({ dir });
    try {
      assert.equal(json(run(['--db', second.dbPath, 'status', '--json'])).pid, second.child.pid);
    } finally {
      await stopAndCheck(second);
    }
    assert.ok(!existsSync(socketPath), 'a clean stop removes the socket file');
  });

  test('a second daemon on the same database refuses to start', async () => {
    const running = await startDaemon();
    try {
      const result = spawnSync(
        daemonBinary,
        ['-p', `127.0.0.1:${await freePort()}`, '--db', running.dbPath, '--web-root', join(repoRoot, 'web')],
        { encoding: 'utf8', timeout: 15000 }
      );
      assert.equal(result.status, 1, result.stderr);
      assert.ok(
        result.stderr.includes(
          `another icegate is running with control socket ${running.dbPath}.sock (stop it, or give ` +
            'this one another database or control_socket)'
        ),
        result.stderr
      );
      // The first one is untouched.
      assert.equal(json(running.ctl(['status', '--json'])).pid, running.child.pid);
    } finally {
      await stopAndCheck(running);
    }
  });

  test('a file that is not a socket at the path stops the start', async () => {
    const dir = mkdtempSync(join(scratch, 'not-socket-'));
    writeFileSync(join(dir, 'icegate.db.sock'), 'precious\n');
    await assert.rejects(startDaemon({ dir }), (error) => {
      assert.match(error.message, /exited early \(1\)/);
      assert.ok(
        error.message.includes(
          `control socket path ${join(dir, 'icegate.db.sock')} exists and is not a socket: remove it ` +
            'or set control_socket to another path'
        ),
        error.message
      );
      return true;
    });
  });

  test('a control_socket path too long for a Unix socket stops the start', async () => {
    await assert.rejects(startDaemon({ settings: { control_socket: `/tmp/${'x'.repeat(120)}` } }), (error) => {
      assert.match(error.message, /control socket path '.*' is longer than 107 bytes; set control_socket to a shorter path/);
      return true;
    });
  });

  test('control_socket names the path; icegatectl finds it through -c', async () => {
    const dir = mkdtempSync(join(scratch, 'custom-'));
    const socketPath = join(dir, 'control');
    const daemon = await startDaemon({ dir, settings: { control_socket: socketPath } });
    const config = join(dir, 'signaling.conf');
    writeFileSync(config, `db_path = ${daemon.dbPath}\ncontrol_socket = ${socketPath}\n`);
    try {
      assert.ok(!existsSync(`${daemon.dbPath}.sock`));
      assert.equal(json(run(['-c', config, 'status', '--json'])).pid, daemon.child.pid);
    } finally {
      await stopAndCheck(daemon);
    }
    assert.ok(!existsSync(socketPath), 'removed at shutdown');
  });

  test('control_socket = off: no socket, and icegatectl says so', async () => {
    const dir = mkdtempSync(join(scratch, 'off-'));
    const daemon = await startDaemon({ dir, settings: { control_socket: 'off' } });
    const config = join(dir, 'signaling.conf');
    writeFileSync(config, `db_path = ${daemon.dbPath}\ncontrol_socket = off\n`);
    try {
      assert.ok(!existsSync(`${daemon.dbPath}.sock`));
      expectFailure(
        run(['-c', config, 'status']),
        'live commands need the control socket, and control_socket is off in the configuration'
      );
    } finally {
      await stopAndCheck(daemon);
    }
  });
});
