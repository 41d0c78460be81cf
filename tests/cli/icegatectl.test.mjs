// icegatectl from the outside: every command against a fresh temporary
// database, the exit codes scripts rely on (0 done, 1 failed, 2 usage), the
// messages on stderr, the --json shape, passwords read from stdin or a
// terminal and never shown, awkward user names, and tokens that a running
// daemon accepts. Run with `node --test tests/cli/`; ICEGATE_CTL (and, for
// the daemon checks, ICEGATE_BIN) name the binaries under test.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ctlBinary, startDaemon } from '../lib/daemon.mjs';
import { expectFailure, expectUsage } from './lib/expect.mjs';

const PASSWORD = 'Tr0ub4dor&3-secret';

const scratch = mkdtempSync(join(tmpdir(), 'icegatectl-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let databases = 0;
// A fresh database path for one test.
function freshDb() {
  databases += 1;
  return join(scratch, `db-${databases}.db`);
}

// Runs icegatectl with args (no --db added) and input on stdin.
function run(args, input = '') {
  const result = spawnSync(ctlBinary, args, { input, encoding: 'utf8', timeout: 30000 });
  // EPIPE only means icegatectl exited (rightly) before reading its input.
  if (result.error && result.error.code !== 'EPIPE') throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// Runs icegatectl against db.
const ctl = (db, args, input) => run(['--db', db, ...args], input);

function expectOk(result) {
  assert.equal(result.status, 0, `stderr: ${result.stderr}`);
  return result;
}

function addUser(db, name, extra = [], password = PASSWORD) {
  return expectOk(ctl(db, ['user', 'add', name, '--password-stdin', ...extra], password));
}

function listJson(db) {
  return JSON.parse(expectOk(ctl(db, ['user', 'list', '--json'])).stdout);
}

function decodeJwt(token) {
  const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url')));
  return { header, payload };
}

describe('global options', () => {
  test('--help prints every command and exits 0', () => {
    for (const flag of ['--help', '-h']) {
      const result = expectOk(run([flag]));
      for (const command of ['user add', 'user list', 'user del', 'user passwd', 'user disable',
        'user enable', 'user role', 'token']) {
        assert.ok(result.stdout.includes(command), `${flag} lacks ${command}`);
      }
    }
  });

  test('--version prints the version', () => {
    assert.match(expectOk(run(['--version'])).stdout, /^icegatectl \d+\.\d+\.\d+\n$/);
  });

  test('no command is a usage error', () => {
    expectUsage(run([]), 'missing command');
  });

  test('an unknown command is a usage error', () => {
    expectUsage(ctl(freshDb(), ['frobnicate']), "unknown command 'frobnicate'");
  });

  test('an unknown global option is a usage error', () => {
    expectUsage(run(['--frobnicate', 'user', 'list']), "unknown option '--frobnicate'");
  });

  test('-c without a file is a usage error', () => {
    expectUsage(run(['-c']), "option '-c' needs a value");
  });

  test('a missing configuration file is a failure naming it', () => {
    const path = join(scratch, 'missing.conf');
    expectFailure(run(['-c', path, 'user', 'list']), `${path}: No such file or directory`);
  });

  test('a bad configuration file is a failure naming the line', () => {
    const path = join(scratch, 'bad.conf');
    writeFileSync(path, 'port = 80\nfrobnicate = yes\n');
    expectFailure(run(['-c', path, 'user', 'list']), `${path}: line 2: frobnicate: unknown option`);
  });

  test('db_path comes from the configuration file, and --db overrides it', () => {
    const fromFile = freshDb();
    const fromFlag = freshDb();
    const path = join(scratch, `db-path-${databases}.conf`);
    writeFileSync(path, `db_path = "${fromFile}"\n`);
    expectOk(run(['-c', path, 'user', 'add', 'filed', '--password-stdin'], PASSWORD));
    // --db wins whether it comes before or after -c.
    expectOk(run(['--db', fromFlag, '-c', path, 'user', 'add', 'flagged', '--password-stdin'], PASSWORD));
    assert.deepEqual(listJson(fromFile).map((u) => u.name), ['filed']);
    assert.deepEqual(listJson(fromFlag).map((u) => u.name), ['flagged']);
  });

  test('a database in a missing directory is a failure', () => {
    const result = ctl(join(scratch, 'no', 'such', 'dir.db'), ['user', 'list']);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^icegatectl: cannot open database '.*dir\.db': .*No such file or directory\n$/);
  });

  test('a file that is not a database is a failure', () => {
    const path = join(scratch, 'garbage.db');
    writeFileSync(path, 'this is not a database '.repeat(200));
    const result = ctl(path, ['user', 'list']);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /not an SQLite database/);
  });
});

describe('user add', () => {
  test('adds a user with both roles by default', () => {
    const db = freshDb();
    const result = addUser(db, 'alice');
    assert.equal(result.stdout, "added user 'alice' with roles sender,receiver\n");
    assert.deepEqual(listJson(db)[0].roles, ['sender', 'receiver']);
  });

  test('--role sender, receiver, or both in any order', () => {
    const db = freshDb();
    addUser(db, 's', ['--role', 'sender']);
    addUser(db, 'r', ['--role', 'receiver']);
    addUser(db, 'b', ['--role', 'receiver,sender']);
    const roles = Object.fromEntries(listJson(db).map((u) => [u.name, u.roles]));
    assert.deepEqual(roles, { b: ['sender', 'receiver'], r: ['receiver'], s: ['sender'] });
  });

  test('an unknown role is a usage error', () => {
    expectUsage(ctl(freshDb(), ['user', 'add', 'alice', '--role', 'admin', '--password-stdin'], PASSWORD),
      "invalid role 'admin': expected sender, receiver or sender,receiver");
  });

  test('--role without a value is a usage error', () => {
    expectUsage(ctl(freshDb(), ['user', 'add', 'alice', '--role']), "user add: option '--role' needs a value");
  });

  test('an unknown option is a usage error', () => {
    expectUsage(ctl(freshDb(), ['user', 'add', 'alice', '--admin']), "user add: unknown option '--admin'");
  });

  test('a missing name is a usage error', () => {
    expectUsage(ctl(freshDb(), ['user', 'add', '--password-stdin'], PASSWORD),
      'user add: missing argument; expected NAME');
  });

  test('an extra argument is a usage error', () => {
    expectUsage(ctl(freshDb(), ['user', 'add', 'alice', 'bob', '--password-stdin'], PASSWORD),
      "user add: unexpected argument 'bob'");
  });

  test('a taken name is a failure', () => {
    const db = freshDb();
    addUser(db, 'alice');
    expectFailure(ctl(db, ['user', 'add', 'alice', '--password-stdin'], 'other password'),
      "user 'alice' already exists");
  });

  for (const [name, why] of [
    ['', 'empty'],
    ['a'.repeat(65), 'longer than 64 bytes'],
    ['alice smith', 'contains whitespace'],
    ['tab\there', 'contains a control character'],
    ['guest:abc', "contains ':', which is reserved for token subjects"],
  ]) {
    test(`refuses the name ${JSON.stringify(name.slice(0, 20))}: ${why}`, () => {
      const db = freshDb();
      expectFailure(ctl(db, ['user', 'add', name, '--password-stdin'], PASSWORD), `invalid user name: ${why}`);
      assert.deepEqual(listJson(db), []);
    });
  }

  test('without --password-stdin and no terminal it refuses and says what to do', () => {
    const db = freshDb();
    expectUsage(ctl(db, ['user', 'add', 'alice'], PASSWORD),
      'standard input is not a terminal: pass --password-stdin to read the password from it');
    assert.deepEqual(listJson(db), []);
  });
});

describe('passwords from standard input', () => {
  test('an empty password is refused', () => {
    expectFailure(ctl(freshDb(), ['user', 'add', 'alice', '--password-stdin'], ''), 'the password is empty');
  });

  test('a lone newline is an empty password', () => {
    expectFailure(ctl(freshDb(), ['user', 'add', 'alice', '--password-stdin'], '\n'), 'the password is empty');
  });

  test('a password over 1024 bytes is refused', () => {
    expectFailure(ctl(freshDb(), ['user', 'add', 'alice', '--password-stdin'], `${'p'.repeat(1025)}\n`),
      'the password is longer than 1024 bytes');
  });

  test('a password of exactly 1024 bytes is accepted', () => {
    addUser(freshDb(), 'alice', [], `${'p'.repeat(1024)}\r\n`);
  });

  test('a NUL byte in the password is refused', () => {
    expectFailure(ctl(freshDb(), ['user', 'add', 'alice', '--password-stdin'], 'abc\0def'),
      'the password contains a NUL byte');
  });

  test('the password never appears in any output', () => {
    const db = freshDb();
    const outputs = [
      ctl(db, ['user', 'add', 'alice', '--password-stdin'], `${PASSWORD}\n`),
      ctl(db, ['user', 'add', 'alice', '--password-stdin'], `${PASSWORD}\n`),
      ctl(db, ['user', 'passwd', 'alice', '--password-stdin'], PASSWORD),
      ctl(db, ['user', 'list']),
      ctl(db, ['user', 'list', '--json']),
      ctl(db, ['user', 'add', 'bad name', '--password-stdin'], PASSWORD),
    ];
    for (const { stdout, stderr } of outputs) {
      assert.ok(!stdout.includes(PASSWORD) && !stderr.includes(PASSWORD));
      assert.ok(!stdout.includes('$argon2') && !stderr.includes('$argon2'));
    }
  });
});

describe('user list', () => {
  test('the table shows name, roles, status and creation time', () => {
    const db = freshDb();
    addUser(db, 'bob', ['--role', 'receiver']);
    addUser(db, 'alice');
    expectOk(ctl(db, ['user', 'disable', 'bob']));
    const lines = expectOk(ctl(db, ['user', 'list'])).stdout.trimEnd().split('\n');
    assert.match(lines[0], /^NAME\s+ROLES\s+STATUS\s+CREATED$/);
    assert.match(lines[1], /^alice\s+sender,receiver\s+enabled\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    assert.match(lines[2], /^bob\s+receiver\s+disabled\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    assert.equal(lines.length, 3);
  });

  test('--json is an array of users without password hashes', () => {
    const db = freshDb();
    const before = Math.floor(Date.now() / 1000);
    addUser(db, 'alice', ['--role', 'sender']);
    const users = listJson(db);
    assert.equal(users.length, 1);
    assert.deepEqual(Object.keys(users[0]).sort(), ['created_at', 'disabled', 'id', 'name', 'roles']);
    assert.equal(users[0].name, 'alice');
    assert.deepEqual(users[0].roles, ['sender']);
    assert.equal(users[0].disabled, false);
    assert.equal(typeof users[0].id, 'number');
    assert.ok(users[0].created_at >= before - 1 && users[0].created_at <= Date.now() / 1000 + 1);
  });

  test('--json of an empty database is []', () => {
    assert.deepEqual(listJson(freshDb()), []);
  });

  test('an unknown option is a usage error', () => {
    expectUsage(ctl(freshDb(), ['user', 'list', '--xml']), "user list: unknown option '--xml'");
  });
});

describe('user del, disable, enable, role, passwd', () => {
  test('del removes the user', () => {
    const db = freshDb();
    addUser(db, 'alice');
    addUser(db, 'bob');
    assert.equal(expectOk(ctl(db, ['user', 'del', 'alice'])).stdout, "deleted user 'alice'\n");
    assert.deepEqual(listJson(db).map((u) => u.name), ['bob']);
  });

  test('disable and enable flip the status', () => {
    const db = freshDb();
    addUser(db, 'alice');
    assert.equal(expectOk(ctl(db, ['user', 'disable', 'alice'])).stdout, "disabled user 'alice'\n");
    assert.equal(listJson(db)[0].disabled, true);
    assert.equal(expectOk(ctl(db, ['user', 'enable', 'alice'])).stdout, "enabled user 'alice'\n");
    assert.equal(listJson(db)[0].disabled, false);
  });

  test('role sets the roles', () => {
    const db = freshDb();
    addUser(db, 'alice');
    assert.equal(expectOk(ctl(db, ['user', 'role', 'alice', 'receiver'])).stdout,
      "set the roles of 'alice' to receiver\n");
    assert.deepEqual(listJson(db)[0].roles, ['receiver']);
  });

  test('role with an unknown role is a usage error', () => {
    const db = freshDb();
    addUser(db, 'alice');
    expectUsage(ctl(db, ['user', 'role', 'alice', 'sender,admin']),
      "invalid role 'sender,admin': expected sender, receiver or sender,receiver");
    assert.deepEqual(listJson(db)[0].roles, ['sender', 'receiver']);
  });

  test('role without ROLE is a usage error', () => {
    expectUsage(ctl(freshDb(), ['user', 'role', 'alice']), 'user role: missing argument; expected NAME ROLE');
  });

  test('passwd changes the password', () => {
    const db = freshDb();
    addUser(db, 'alice');
    assert.equal(expectOk(ctl(db, ['user', 'passwd', 'alice', '--password-stdin'], 'new one')).stdout,
      "changed the password of 'alice'\n");
  });

  for (const command of ['del', 'disable', 'enable', 'passwd']) {
    test(`${command} of a missing user is a failure`, () => {
      const args = ['user', command, 'ghost', ...(command === 'passwd' ? ['--password-stdin'] : [])];
      expectFailure(ctl(freshDb(), args, PASSWORD), "no user 'ghost'");
    });

    test(`${command} without NAME is a usage error`, () => {
      expectUsage(ctl(freshDb(), ['user', command]), `user ${command}: missing argument; expected NAME`);
    });
  }

  test('role of a missing user is a failure', () => {
    expectFailure(ctl(freshDb(), ['user', 'role', 'ghost', 'sender']), "no user 'ghost'");
  });

  test('user without a subcommand is a usage error', () => {
    expectUsage(ctl(freshDb(), ['user']), 'user: missing subcommand (add, list, del, passwd, disable, enable, role)');
  });

  test('an unknown user subcommand is a usage error', () => {
    expectUsage(ctl(freshDb(), ['user', 'rename', 'a', 'b']), "user: unknown subcommand 'rename'");
  });
});

describe('awkward names are kept exactly', () => {
  for (const name of [`o'brien"the\`third\``, "x');DROP/**/TABLE/**/ig_users;--", 'Zoë-用户-🎥', '%_%', '-dash']) {
    test(JSON.stringify(name), () => {
      const db = freshDb();
      addUser(db, 'zzz-bystander');
      expectOk(ctl(db, ['user', 'add', '--password-stdin', '--', name], PASSWORD));
      assert.deepEqual(listJson(db).map((u) => u.name).sort(), [name, 'zzz-bystander'].sort());
      assert.ok(expectOk(ctl(db, ['user', 'list'])).stdout.includes(name));
      expectOk(ctl(db, ['user', 'disable', '--', name]));
      const token = expectOk(ctl(db, ['user', 'enable', '--', name]));
      assert.ok(token.stdout.includes(name));
      assert.equal(decodeJwt(expectOk(ctl(db, ['token', '--', name])).stdout.trim()).payload.sub, name);
      expectOk(ctl(db, ['user', 'del', '--', name]));
      assert.deepEqual(listJson(db).map((u) => u.name), ['zzz-bystander']);
    });
  }
});

describe('token', () => {
  test('prints only a three-segment JWT for the user', () => {
    const db = freshDb();
    addUser(db, 'alice', ['--role', 'sender']);
    const result = expectOk(ctl(db, ['token', 'alice']));
    assert.match(result.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    assert.equal(result.stderr, '');
    const { header, payload } = decodeJwt(result.stdout.trim());
    assert.equal(header.alg, 'HS256');
    assert.equal(payload.sub, 'alice');
    assert.deepEqual([payload.role].flat(), ['sender']);
    assert.equal(payload.exp - payload.iat, 600);
    assert.equal(payload.room, undefined);
  });

  test('--ttl and --room shape the claims', () => {
    const db = freshDb();
    addUser(db, 'alice');
    const { payload } = decodeJwt(expectOk(ctl(db, ['token', 'alice', '--ttl', '90', '--room', 'booth-1'])).stdout.trim());
    assert.equal(payload.exp - payload.iat, 90);
    assert.equal(payload.room, 'booth-1');
  });

  test('the default lifetime is the configured access_token_ttl', () => {
    const db = freshDb();
    addUser(db, 'alice');
    const path = join(scratch, `ttl-${databases}.conf`);
    writeFileSync(path, 'access_token_ttl = 42\n');
    const { payload } = decodeJwt(expectOk(run(['-c', path, '--db', db, 'token', 'alice'])).stdout.trim());
    assert.equal(payload.exp - payload.iat, 42);
  });

  test('the same database signs with the same key', () => {
    const db = freshDb();
    addUser(db, 'alice');
    const first = decodeJwt(expectOk(ctl(db, ['token', 'alice'])).stdout.trim());
    const second = decodeJwt(expectOk(ctl(db, ['token', 'alice'])).stdout.trim());
    assert.equal(first.header.kid, second.header.kid);
  });

  test('a missing user is a failure', () => {
    expectFailure(ctl(freshDb(), ['token', 'ghost']), "no user 'ghost'");
  });

  test('a disabled user is a failure', () => {
    const db = freshDb();
    addUser(db, 'alice');
    expectOk(ctl(db, ['user', 'disable', 'alice']));
    expectFailure(ctl(db, ['token', 'alice']), "user 'alice' is disabled");
  });

  for (const ttl of ['0', '86401', 'ten', '5s', '-5']) {
    test(`--ttl ${ttl} is a usage error`, () => {
      expectUsage(ctl(freshDb(), ['token', 'alice', '--ttl', ttl]), 'token: --ttl must be a number of seconds in 1..86400');
    });
  }

  for (const room of ['', 'has space', 'r'.repeat(65), 'semi;colon']) {
    test(`--room ${JSON.stringify(room.slice(0, 10))} is a usage error`, () => {
      expectUsage(ctl(freshDb(), ['token', 'alice', '--room', room]), 'token: --room must be 1-64 characters of A-Z a-z 0-9 _ - .');
    });
  }

  test('a missing NAME is a usage error', () => {
    expectUsage(ctl(freshDb(), ['token']), 'token: missing argument; expected NAME');
  });
});

// Runs icegatectl on a pseudo-terminal (through script(1)), typing each line
// of answers after the matching prompt appears. Resolves {status, output}.
function runOnTerminal(args, answers) {
  return new Promise((resolve, reject) => {
    const command = [ctlBinary, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let answered = 0;
    const prompts = [/New password: /g, /Repeat the password: /g];
    child.stdout.on('data', (data) => {
      output += data;
      while (answered < answers.length && (output.match(prompts[answered]) || []).length > 0) {
        child.stdin.write(`${answers[answered]}\n`);
        answered += 1;
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.on('error', reject);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

describe('passwords typed at a terminal', () => {
  test('asks twice with echo off and adds the user', async () => {
    const db = freshDb();
    const { status, output } = await runOnTerminal(['--db', db, 'user', 'add', 'alice'], [PASSWORD, PASSWORD]);
    assert.equal(status, 0, output);
    assert.ok(output.includes('New password: ') && output.includes('Repeat the password: '));
    assert.ok(!output.includes(PASSWORD), 'the password was echoed');
    assert.deepEqual(listJson(db).map((u) => u.name), ['alice']);
  });

  test('two different passwords are refused', async () => {
    const db = freshDb();
    const { status, output } = await runOnTerminal(['--db', db, 'user', 'add', 'alice'], [PASSWORD, `${PASSWORD}x`]);
    assert.equal(status, 1);
    assert.ok(output.includes('icegatectl: the passwords do not match'));
    assert.ok(!output.includes(PASSWORD));
    assert.deepEqual(listJson(db), []);
  });
});

describe('with a running daemon', () => {
  let daemon;
  before(async () => {
    daemon = await startDaemon();
  });
  after(() => daemon?.stop());

  async function loginStatus(username, password) {
    const response = await fetch(`${daemon.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    await response.arrayBuffer();
    return response.status;
  }

  // [stdin, the password it sets]
  for (const [input, password, label] of [
    ['plain', 'plain', 'no newline'],
    ['with newline\n', 'with newline', 'one newline'],
    ['with crlf\r\n', 'with crlf', 'CRLF'],
    ['two newlines\n\n', 'two newlines\n', 'only one of two newlines'],
  ]) {
    test(`stdin password with ${label} logs in as expected`, async () => {
      const name = `user-${label.replaceAll(' ', '-')}`;
      expectOk(ctl(daemon.dbPath, ['user', 'add', name, '--password-stdin'], input));
      assert.equal(await loginStatus(name, password), 200);
      if (password !== input) assert.equal(await loginStatus(name, input), 401);
    });
  }

  test('passwd takes effect at the next login', async () => {
    expectOk(ctl(daemon.dbPath, ['user', 'add', 'pat', '--password-stdin'], 'old password'));
    expectOk(ctl(daemon.dbPath, ['user', 'passwd', 'pat', '--password-stdin'], 'new password\n'));
    assert.equal(await loginStatus('pat', 'old password'), 401);
    assert.equal(await loginStatus('pat', 'new password'), 200);
  });

  test('a token from icegatectl is accepted by the daemon', async () => {
    expectOk(ctl(daemon.dbPath, ['user', 'add', 'tok', '--role', 'receiver', '--password-stdin'], PASSWORD));
    const token = expectOk(ctl(daemon.dbPath, ['token', 'tok'])).stdout.trim();
    const response = await fetch(`${daemon.base}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    const me = await response.json();
    assert.equal(me.sub, 'tok');
    assert.deepEqual(me.roles, ['receiver']);
  });
});
