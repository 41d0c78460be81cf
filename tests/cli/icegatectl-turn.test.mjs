// icegatectl's TURN, API key and secret commands from the outside, each
// against a fresh temporary database: what they print, the exit codes
// scripts rely on (0 done, 1 failed, 2 usage), the messages on stderr, the
// --json shapes, that an API key is shown once and only its SHA-256 is kept,
// and that rotating the secret changes the signing key. Run with
// `node --test tests/cli/`; ICEGATE_CTL names the binary under test.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ctlBinary } from '../lib/daemon.mjs';
import { expectFailure, expectUsage } from './lib/expect.mjs';

const PASSWORD = 'Tr0ub4dor&3-secret';

const scratch = mkdtempSync(join(tmpdir(), 'icegatectl-turn-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let files = 0;
function freshPath(suffix) {
  files += 1;
  return join(scratch, `f-${files}${suffix}`);
}
const freshDb = () => freshPath('.db');

function run(args, input = '') {
  const result = spawnSync(ctlBinary, args, { input, encoding: 'utf8', timeout: 30000 });
  if (result.error && result.error.code !== 'EPIPE') throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
const ctl = (db, args, input) => run(['--db', db, ...args], input);

function expectOk(result) {
  assert.equal(result.status, 0, `stderr: ${result.stderr}`);
  return result;
}

function addUser(db, name) {
  expectOk(ctl(db, ['user', 'add', name, '--password-stdin'], PASSWORD));
}

const revokedJson = (db) => JSON.parse(expectOk(ctl(db, ['turn', 'list-revoked', '--json'])).stdout);

// The database's bytes (icegatectl checkpoints the WAL when it exits).
function databaseBytes(db) {
  const parts = [readFileSync(db)];
  if (existsSync(`${db}-wal`)) parts.push(readFileSync(`${db}-wal`));
  return Buffer.concat(parts).toString('latin1');
}

function kidOf(token) {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url')).kid;
}

describe('help', () => {
  test('--help lists the TURN, API key and secret commands', () => {
    const { stdout } = expectOk(run(['--help']));
    for (const command of ['turn revoke --user NAME', 'turn revoke --username EXPIRY:SUBJECT',
      'turn list-revoked', 'turn check', 'apikey add NAME', 'apikey list', 'apikey del NAME',
      'secret rotate [--now]']) {
      assert.ok(stdout.includes(command), `--help lacks ${command}`);
    }
  });
});

describe('turn revoke', () => {
  test('--user records a revocation covering the credential lifetime', () => {
    const db = freshDb();
    addUser(db, 'alice');
    const { stdout } = expectOk(ctl(db, ['turn', 'revoke', '--user', 'alice']));
    assert.match(stdout, /^revoked the TURN credentials of user 'alice' \(every one expiring up to \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\)\n$/);
    const [row] = revokedJson(db);
    assert.deepEqual(Object.keys(row).sort(), ['expiry_through', 'kind', 'revoked_at', 'subject']);
    assert.equal(row.kind, 'subject');
    assert.equal(row.subject, 'alice');
    assert.equal(row.expiry_through - row.revoked_at, 3600);
    assert.ok(Math.abs(row.revoked_at - Date.now() / 1000) < 60);
  });

  test('--user of a missing user is a failure', () => {
    const db = freshDb();
    expectFailure(ctl(db, ['turn', 'revoke', '--user', 'ghost']), "no user 'ghost'");
    assert.deepEqual(revokedJson(db), []);
  });

  test('--username records that one credential', () => {
    const db = freshDb();
    assert.equal(expectOk(ctl(db, ['turn', 'revoke', '--username', '1700003600:guest:ab12'])).stdout,
      "revoked the TURN username '1700003600:guest:ab12'\n");
    const [row] = revokedJson(db);
    assert.deepEqual(Object.keys(row).sort(), ['kind', 'revoked_at', 'username']);
    assert.equal(row.kind, 'username');
    assert.equal(row.username, '1700003600:guest:ab12');
  });

  for (const [username, why] of [
    ['alice', 'expected EXPIRY:SUBJECT with EXPIRY in unix seconds'],
    ['17e8:alice', 'expected EXPIRY:SUBJECT with EXPIRY in unix seconds'],
    [':alice', 'expected EXPIRY:SUBJECT with EXPIRY in unix seconds'],
    ['1700003600:', "the subject after ':' is empty"],
    ['1700003600:a\tb', 'the subject contains a control character'],
    [`1:${'a'.repeat(160)}`, 'longer than 159 bytes'],
  ]) {
    test(`--username ${JSON.stringify(username.slice(0, 16))} is refused: ${why}`, () => {
      const db = freshDb();
      expectFailure(ctl(db, ['turn', 'revoke', '--username', username]), `invalid TURN username: ${why}`);
      assert.deepEqual(revokedJson(db), []);
    });
  }

  test('neither --user nor --username is a usage error', () => {
    expectUsage(ctl(freshDb(), ['turn', 'revoke']),
      'turn revoke: expected one of --user NAME or --username EXPIRY:SUBJECT');
  });

  test('both --user and --username is a usage error', () => {
    expectUsage(ctl(freshDb(), ['turn', 'revoke', '--user', 'a', '--username', '1:a']),
      'turn revoke: expected one of --user NAME or --username EXPIRY:SUBJECT');
  });

  test('--user without a value is a usage error', () => {
    expectUsage(ctl(freshDb(), ['turn', 'revoke', '--user']), "turn revoke: option '--user' needs a value");
  });

  test('an extra argument is a usage error', () => {
    expectUsage(ctl(freshDb(), ['turn', 'revoke', '--user', 'alice', 'bob']),
      "turn revoke: unexpected argument 'bob'");
  });
});

describe('turn list-revoked', () => {
  test('the table shows subjects, then usernames', () => {
    const db = freshDb();
    addUser(db, 'alice');
    expectOk(ctl(db, ['turn', 'revoke', '--username', '1700003600:bob']));
    expectOk(ctl(db, ['turn', 'revoke', '--user', 'alice']));
    const lines = expectOk(ctl(db, ['turn', 'list-revoked'])).stdout.trimEnd().split('\n');
    assert.match(lines[0], /^KIND\s+NAME\s+REVOKED\s+EXPIRING UP TO$/);
    assert.match(lines[1], /^subject\s+alice\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    assert.match(lines[2], /^username\s+1700003600:bob\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+-$/);
    assert.equal(lines.length, 3);
  });

  test('--json of an empty database is []', () => {
    assert.deepEqual(revokedJson(freshDb()), []);
  });

  test('an unknown option is a usage error', () => {
    expectUsage(ctl(freshDb(), ['turn', 'list-revoked', '--xml']), "turn list-revoked: unknown option '--xml'");
  });
});

describe('deleting or disabling a user revokes their TURN credentials', () => {
  for (const command of ['del', 'disable']) {
    test(`user ${command}`, () => {
      const db = freshDb();
      addUser(db, 'alice');
      expectOk(ctl(db, ['user', command, 'alice']));
      assert.deepEqual(revokedJson(db).map((r) => [r.kind, r.subject]), [['subject', 'alice']]);
    });
  }

  test('user enable lifts nothing', () => {
    const db = freshDb();
    addUser(db, 'alice');
    expectOk(ctl(db, ['user', 'enable', 'alice']));
    assert.deepEqual(revokedJson(db), []);
  });
});

describe('turn check', () => {
  function confFile(text) {
    const path = freshPath('.conf');
    writeFileSync(path, text);
    return path;
  }

  test('a consistent turnserver.conf passes', () => {
    const db = freshDb();
    addUser(db, 'alice');
    const conf = confFile(`realm=icegate\nuse-auth-secret\nuserdb=${db}\n`);
    assert.equal(expectOk(ctl(db, ['turn', 'check', conf])).stdout,
      `${conf} agrees with icegate's configuration\n`);
  });

  test('problems are listed on stdout and the command fails', () => {
    const db = freshDb();
    const conf = confFile(`realm=other\nuse-auth-secret\nstatic-auth-secret=s3cr3t-value\nuserdb=${db}\n`);
    const result = ctl(db, ['turn', 'check', conf]);
    assert.equal(result.status, 1);
    assert.equal(result.stdout,
      "realm is 'other' but icegate's realm is 'icegate': set realm=icegate\n"
      + "static-auth-secret is set: remove it (the secrets come from icegate's database and change on their own)\n");
    assert.equal(result.stderr, `icegatectl: ${conf}: 2 problems to fix\n`);
    assert.ok(!result.stdout.includes('s3cr3t-value'));
  });

  test('the file defaults to turnserver_conf from the configuration', () => {
    const db = freshDb();
    const conf = confFile(`realm=example.org\nuse-auth-secret\nuserdb=${db}\n`);
    const config = confFile(`realm = example.org\nturnserver_conf = "${conf}"\n`);
    expectOk(run(['-c', config, '--db', db, 'turn', 'check']));
  });

  test('a missing file is a failure naming it', () => {
    const path = join(scratch, 'no-turnserver.conf');
    expectFailure(ctl(freshDb(), ['turn', 'check', path]), `${path}: No such file or directory`);
  });

  test('no file and no turnserver_conf is a usage error', () => {
    expectUsage(ctl(freshDb(), ['turn', 'check']), 'turn check: no file given and turnserver_conf is not set');
  });
});

describe('turn', () => {
  test('without a subcommand is a usage error', () => {
    expectUsage(ctl(freshDb(), ['turn']), 'turn: missing subcommand (revoke, list-revoked, check)');
  });

  test('an unknown subcommand is a usage error', () => {
    expectUsage(ctl(freshDb(), ['turn', 'unrevoke']), "turn: unknown subcommand 'unrevoke'");
  });
});

describe('apikey', () => {
  test('add prints the key once and stores only its SHA-256', () => {
    const db = freshDb();
    const result = expectOk(ctl(db, ['apikey', 'add', 'ci-runner']));
    assert.match(result.stdout, /^igk_[A-Za-z0-9_-]{43}\n$/);
    assert.equal(result.stderr, "added API key 'ci-runner': keep it now, it cannot be shown again\n");
    const key = result.stdout.trim();
    const bytes = databaseBytes(db);
    assert.ok(bytes.includes(createHash('sha256').update(key).digest('hex')));
    assert.ok(!bytes.includes(key.slice(4)));
    for (const args of [['apikey', 'list'], ['apikey', 'list', '--json']]) {
      const { stdout, stderr } = expectOk(ctl(db, args));
      assert.ok(!stdout.includes(key.slice(4)) && !stderr.includes(key.slice(4)));
    }
  });

  test('two keys differ', () => {
    const db = freshDb();
    const first = expectOk(ctl(db, ['apikey', 'add', 'a'])).stdout;
    const second = expectOk(ctl(db, ['apikey', 'add', 'b'])).stdout;
    assert.notEqual(first, second);
  });

  test('a taken name is a failure', () => {
    const db = freshDb();
    expectOk(ctl(db, ['apikey', 'add', 'ci']));
    expectFailure(ctl(db, ['apikey', 'add', 'ci']), "API key 'ci' already exists");
  });

  for (const [name, why] of [
    ['', 'empty'],
    ['has space', 'contains whitespace'],
    ['a:b', "contains ':', which is reserved for token subjects"],
    ['k'.repeat(65), 'longer than 64 bytes'],
  ]) {
    test(`add refuses the name ${JSON.stringify(name.slice(0, 12))}: ${why}`, () => {
      const db = freshDb();
      expectFailure(ctl(db, ['apikey', 'add', name]), `invalid API key name: ${why}`);
    });
  }

  test('add without NAME is a usage error', () => {
    expectUsage(ctl(freshDb(), ['apikey', 'add']), 'apikey add: missing argument; expected NAME');
  });

  test('list shows names and creation times, sorted', () => {
    const db = freshDb();
    expectOk(ctl(db, ['apikey', 'add', 'zeta']));
    expectOk(ctl(db, ['apikey', 'add', 'Zoë-ci']));
    const lines = expectOk(ctl(db, ['apikey', 'list'])).stdout.trimEnd().split('\n');
    assert.match(lines[0], /^NAME\s+CREATED$/);
    assert.match(lines[1], /^Zoë-ci\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    assert.match(lines[2], /^zeta\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    const keys = JSON.parse(expectOk(ctl(db, ['apikey', 'list', '--json'])).stdout);
    assert.deepEqual(keys.map((k) => k.name), ['Zoë-ci', 'zeta']);
    assert.deepEqual(Object.keys(keys[0]).sort(), ['created_at', 'name']);
    assert.equal(typeof keys[0].created_at, 'number');
  });

  test('list --json of an empty database is []', () => {
    assert.deepEqual(JSON.parse(expectOk(ctl(freshDb(), ['apikey', 'list', '--json'])).stdout), []);
  });

  test('del removes the key', () => {
    const db = freshDb();
    expectOk(ctl(db, ['apikey', 'add', 'ci']));
    assert.equal(expectOk(ctl(db, ['apikey', 'del', 'ci'])).stdout, "deleted API key 'ci'\n");
    assert.deepEqual(JSON.parse(expectOk(ctl(db, ['apikey', 'list', '--json'])).stdout), []);
  });

  test('del of a missing key is a failure', () => {
    expectFailure(ctl(freshDb(), ['apikey', 'del', 'ghost']), "no API key 'ghost'");
  });

  test('without a subcommand is a usage error', () => {
    expectUsage(ctl(freshDb(), ['apikey']), 'apikey: missing subcommand (add, list, del)');
  });

  test('an unknown subcommand is a usage error', () => {
    expectUsage(ctl(freshDb(), ['apikey', 'show', 'ci']), "apikey: unknown subcommand 'show'");
  });
});

describe('secret rotate', () => {
  test('new tokens are signed with a new key; the TURN secrets follow', () => {
    const db = freshDb();
    addUser(db, 'alice');
    const before = kidOf(expectOk(ctl(db, ['token', 'alice'])).stdout.trim());
    const result = expectOk(ctl(db, ['secret', 'rotate']));
    assert.equal(result.stdout,
      'rotated the JWT secret: new access tokens are signed with the new one; tokens signed '
      + 'with the old one stay valid until they expire\n'
      + "updated the TURN secrets of realm 'icegate' for 2 keys\n");
    const afterKid = kidOf(expectOk(ctl(db, ['token', 'alice'])).stdout.trim());
    assert.notEqual(afterKid, before);
  });

  test('--now drops the previous secret', () => {
    const db = freshDb();
    addUser(db, 'alice');
    expectOk(ctl(db, ['token', 'alice']));
    const result = expectOk(ctl(db, ['secret', 'rotate', '--now']));
    assert.equal(result.stdout,
      'rotated the JWT secret and dropped the previous one: access tokens issued before now are refused\n'
      + "updated the TURN secrets of realm 'icegate' for 1 key\n");
  });

  test('the realm comes from the configuration', () => {
    const db = freshDb();
    const config = freshPath('.conf');
    writeFileSync(config, 'realm = example.org\n');
    const { stdout } = expectOk(run(['-c', config, '--db', db, 'secret', 'rotate']));
    assert.ok(stdout.endsWith("updated the TURN secrets of realm 'example.org' for 1 key\n"));
  });

  test('a secret configured in the file is refused', () => {
    const db = freshDb();
    const config = freshPath('.conf');
    writeFileSync(config, 'jwt_secret = "a configured secret of sufficient length"\n');
    const result = run(['-c', config, '--db', db, 'secret', 'rotate']);
    expectFailure(result, 'jwt_secret is set in the configuration: change it there (rotation manages only the secret kept in the database)');
    assert.ok(!existsSync(db));
  });

  test('a TURN lifetime longer than the secret window is refused', () => {
    const config = freshPath('.conf');
    writeFileSync(config, 'turn_credential_ttl = 7200\nturn_secret_window = 3600\n');
    expectFailure(run(['-c', config, '--db', freshDb(), 'secret', 'rotate']),
      `${config}: turn_credential_ttl (7200) must not exceed turn_secret_window (3600)`);
  });

  test('an extra argument is a usage error', () => {
    expectUsage(ctl(freshDb(), ['secret', 'rotate', 'now']), "secret rotate: unexpected argument 'now'");
  });

  test('an unknown option is a usage error', () => {
    expectUsage(ctl(freshDb(), ['secret', 'rotate', '--force']), "secret rotate: unknown option '--force'");
  });

  test('without a subcommand is a usage error', () => {
    expectUsage(ctl(freshDb(), ['secret']), 'secret: missing subcommand (rotate)');
  });

  test('an unknown subcommand is a usage error', () => {
    expectUsage(ctl(freshDb(), ['secret', 'show']), "secret: unknown subcommand 'show'");
  });
});
