// icegatectl doctor on real installations built in a temporary directory: a
// consistent one (signaling.conf, turnserver.conf, certificates, keys and
// database with tight permissions, a running daemon) passes with exit 0,
// and each thing an operator gets wrong is reported on its own line with
// what to do: a turnserver.conf that disagrees, files every user can read,
// a world-writable directory, a -wal file the daemon cannot write, expired,
// soon-expiring, encrypted, mismatched and wrong-domain certificates and
// keys, TURN over TLS without a certificate, and a daemon or database that
// is not there. Warnings keep exit 0; failures give exit 1.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { ctlBinary, startDaemon } from '../lib/daemon.mjs';
import { HINT } from './lib/expect.mjs';

const DOMAIN = 'example.test';
const SECRET = 'doctor-test-secret-0123456789-abcdefghij';

const scratch = mkdtempSync(join(tmpdir(), 'icegatectl-doctor-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function openssl(args) {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

// A private key at path (0600).
function makeKey(path) {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
  chmodSync(path, 0o600);
  return path;
}

// A self-signed certificate for commonName with key, valid for days (a
// negative number gives one that has already expired).
function makeCert(path, key, commonName, days) {
  const request = `${path}.csr`;
  openssl(['req', '-new', '-key', key, '-subj', `/CN=${commonName}`, '-out', request]);
  openssl(['x509', '-req', '-in', request, '-key', key, '-days', String(days), '-out', path]);
  rmSync(request);
  return path;
}

// The lines of the doctor's report, and its exit status.
function doctor(args) {
  const result = spawnSync(ctlBinary, [...args, 'doctor'], { encoding: 'utf8', timeout: 30000 });
  return { status: result.status, lines: result.stdout.split('\n').filter(Boolean), stderr: result.stderr };
}

function expectLine(report, line) {
  assert.ok(report.lines.includes(line), `missing line:\n${line}\nreport:\n${report.lines.join('\n')}`);
}

function expectMatch(report, pattern) {
  assert.ok(
    report.lines.some((line) => pattern.test(line)),
    `no line matches ${pattern}\nreport:\n${report.lines.join('\n')}`
  );
}

// Builds a consistent installation in a new directory: keys, certificates,
// the database of a daemon that ran once (or is running), signaling.conf
// and turnserver.conf. edits change configuration lines; extra adds some.
async function installation({ running = false, settings = {}, turnEdits = {}, turnExtra = '' } = {}) {
  const dir = mkdtempSync(join(scratch, 'install-'));
  const key = makeKey(join(dir, 'privkey.pem'));
  const cert = makeCert(join(dir, 'fullchain.pem'), key, DOMAIN, 90);
  const turnKey = makeKey(join(dir, 'turn-key.pem'));
  makeCert(join(dir, 'turn-cert.pem'), turnKey, DOMAIN, 90);
  const daemon = await startDaemon({ dir });
  const dbPath = daemon.dbPath;
  const turnConf = join(dir, 'turnserver.conf');
  const turnLines = {
    realm: 'icegate',
    'use-auth-secret': null,
    userdb: dbPath,
    cert: 'turn-cert.pem', // relative to turnserver.conf
    pkey: 'turn-key.pem',
    ...turnEdits,
  };
  writeFileSync(
    turnConf,
    Object.entries(turnLines)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => (value === null ? name : `${name}=${value}`))
      .join('\n') + `\n${turnExtra}`
  );
  const config = join(dir, 'signaling.conf');
  const options = {
    db_path: dbPath,
    domain: DOMAIN,
    jwt_secret: SECRET,
    cert,
    pkey: key,
    turnserver_conf: turnConf,
    ...settings,
  };
  writeFileSync(
    config,
    Object.entries(options)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => `${name} = ${value}\n`)
      .join(''),
    { mode: 0o600 }
  );
  if (!running) await stopAndCheck(daemon);
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      chmodSync(`${dbPath}${suffix}`, 0o600);
    } catch {
      // -wal and -shm exist only while the daemon runs
    }
  }
  return { dir, dbPath, config, cert, key, turnConf, turnKey, daemon: running ? daemon : null };
}

describe('a consistent installation', () => {
  let setup;
  before(async () => {
    setup = await installation({ running: true });
  });
  after(() => stopAndCheck(setup.daemon));

  test('every check is ok and the exit status is 0', () => {
    const report = doctor(['-c', setup.config]);
    assert.equal(report.status, 0, report.lines.join('\n'));
    assert.equal(report.stderr, '');
    for (const line of report.lines.slice(0, -1)) assert.match(line, /^ok {4}/);
    assert.equal(report.lines.at(-1), 'doctor: everything looks right');
    const { dir, dbPath, config, cert, key, turnConf } = setup;
    for (const line of [
      `ok    configuration ${config}`,
      `ok    turnserver.conf ${turnConf} agrees with icegate's configuration`,
      `ok    database directory ${dir}: mode 0700`,
      `ok    database file ${dbPath}: mode 0600, owner root`,
      `ok    database file ${dbPath}-wal: mode 0600, owner root`,
      `ok    database file ${dbPath}-shm: mode 0600, owner root`,
      `ok    private key ${key}: mode 0600, owner root`,
      `ok    TURN private key ${join(dir, 'turn-key.pem')}: mode 0600, owner root`,
      `ok    configuration (it holds jwt_secret) ${config}: mode 0600, owner root`,
      `ok    certificate key ${key} belongs to the certificate`,
      `ok    certificate ${cert} covers ${DOMAIN}`,
      `ok    TURN certificate ${join(dir, 'turn-cert.pem')} covers ${DOMAIN}`,
      `ok    database ${dbPath} opens, schema version 2 (current)`,
      `ok    icegate 0.1.0 is running (pid ${setup.daemon.child.pid}) and answers on its control socket`,
    ]) {
      expectLine(report, line);
    }
    expectMatch(report, new RegExp(`^ok {4}certificate ${cert} is valid until \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ \\(CN=${DOMAIN}\\)$`));
  });

  test('--turnserver-conf checks another file than the configured one', () => {
    const other = join(setup.dir, 'other-turnserver.conf');
    writeFileSync(other, `realm=elsewhere\nuse-auth-secret\nuserdb=${setup.dbPath}\n`);
    assert.equal(doctor(['-c', setup.config]).status, 0, 'the configured file agrees');
    const flagged = spawnSync(ctlBinary, ['-c', setup.config, 'doctor', '--turnserver-conf', other], {
      encoding: 'utf8',
    });
    assert.equal(flagged.status, 1);
    assert.ok(
      flagged.stdout.includes(
        `fail  turnserver.conf ${other}: realm is 'elsewhere' but icegate's realm is 'icegate': set realm=icegate\n`
      ),
      flagged.stdout
    );
  });
});

describe('what doctor finds', () => {
  test('a turnserver.conf that disagrees: one failure per problem', async () => {
    const setup = await installation({ turnEdits: { realm: 'other', userdb: '/var/lib/other.db', 'use-auth-secret': undefined } });
    const report = doctor(['-c', setup.config]);
    assert.equal(report.status, 1);
    const prefix = `fail  turnserver.conf ${setup.turnConf}: `;
    expectLine(report, `${prefix}realm is 'other' but icegate's realm is 'icegate': set realm=icegate`);
    expectLine(report, `${prefix}use-auth-secret is missing: add use-auth-secret (icegate hands out time-limited credentials)`);
    expectLine(report, `${prefix}userdb is '/var/lib/other.db' but icegate's db_path is '${setup.dbPath}': set userdb=${setup.dbPath}`);
    assert.match(report.lines.at(-1), /^doctor: 3 failures, \d+ warnings?$/);
  });

  test('a missing turnserver.conf, and none configured', async () => {
    const setup = await installation({ settings: { turnserver_conf: join(scratch, 'nowhere.conf') } });
    const missing = doctor(['-c', setup.config]);
    assert.equal(missing.status, 1);
    expectLine(missing, `fail  turnserver.conf: ${join(scratch, 'nowhere.conf')}: No such file or directory`);
    const none = await installation({ settings: { turnserver_conf: undefined } });
    const report = doctor(['-c', none.config]);
    expectLine(
      report,
      'warn  turnserver.conf not checked: set turnserver_conf in signaling.conf or pass --turnserver-conf FILE'
    );
  });

  test('a database and a key every user can read', async () => {
    const setup = await installation();
    chmodSync(setup.dbPath, 0o644);
    chmodSync(setup.key, 0o644);
    chmodSync(setup.config, 0o666);
    const report = doctor(['-c', setup.config]);
    assert.equal(report.status, 1);
    expectLine(report, `fail  database file ${setup.dbPath} can be read by every user (mode 0644): chmod o-rwx ${setup.dbPath}`);
    expectLine(report, `fail  private key ${setup.key} can be read by every user (mode 0644): chmod o-rwx ${setup.key}`);
    expectLine(
      report,
      `fail  configuration (it holds jwt_secret) ${setup.config} can be written by every user (mode 0666): chmod o-rwx ${setup.config}`
    );
  });

  test('a key its group can read is a warning only', async () => {
    const setup = await installation();
    chmodSync(setup.key, 0o640);
    const report = doctor(['-c', setup.config]);
    assert.equal(report.status, 0, report.lines.join('\n'));
    expectLine(
      report,
      `warn  private key ${setup.key} can be read by group root (mode 0640): chmod g-rwx ${setup.key} unless that group is meant to read it`
    );
  });

  test('a world-writable database directory', async () => {
    const setup = await installation();
    chmodSync(setup.dir, 0o777);
    const report = doctor(['-c', setup.config]);
    assert.equal(report.status, 1);
    expectLine(
      report,
      `fail  database directory ${setup.dir} can be written by every user (mode 0777), who could replace the database: chmod o-w ${setup.dir}`
    );
  });

  test('a -wal file the daemon user cannot write (left by root)', async () => {
    const setup = await installation();
    // The daemon runs as nobody (it owns the database); root left a -wal.
    chownSync(setup.dbPath, 65534, 65534);
    chmodSync(setup.dir, 0o711);
    chownSync(setup.dir, 65534, 65534);
    writeFileSync(`${setup.dbPath}-wal`, '', { mode: 0o600 });
    const report = doctor(['-c', setup.config]);
    assert.equal(report.status, 1);
    expectLine(
      report,
      `fail  icegate runs as nobody and cannot write database file ${setup.dbPath}-wal (owner root, mode 0600): chown nobody ${setup.dbPath}-wal`
    );
    expectLine(report, `ok    database file ${setup.dbPath}: mode 0600, owner nobody`);
  });

  test('an expired certificate', async () => {
    const setup = await installation();
    makeCert(setup.cert, setup.key, DOMAIN, -1);
    const report = doctor(['-c', setup.config]);
    assert.equal(report.status, 1);
    expectMatch(report, new RegExp(`^fail  certificate ${setup.cert} expired on \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ: renew it$`));
  });

  test('a certificate that expires in 5 days is a warning', async () => {
    const setup = await installation();
    makeCert(setup.cert, setup.key, DOMAIN, 5);
    const report = doctor(['-c', setup.config]);
    assert.equal(report.status, 0, report.lines.join('\n'));
    expectMatch(
      report,
      new RegExp(`^warn  certificate ${setup.cert} expires in 5 days \\(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\): renew it \\(then send SIGHUP\\)$`)
    );
    // The other warning: the daemon is not running.
    assert.equal(report.lines.at(-1), 'doctor: 0 failures, 2 warnings');
    expectMatch(report, /^warn {2}icegate is not running/);
  });

  test('a certificate for another domain', async () => {
    const setup = await installation();
    makeCert(setup.cert, setup.key, 'other.test', 90);
    const report = doctor(['-c', setup.config]);
    assert.equal(report.status, 1);
    expectLine(
      report,
      `fail  certificate ${setup.cert} does not cover ${DOMAIN} (it covers: other.test): get a certificate for ${DOMAIN}, or correct the host name in the configuration`
    );
  });

  test('a key that does not belong to the certificate', async () => {
    const setup = await installation();
    makeKey(setup.key); // a new key; the certificate is still the old one's
    const report = doctor(['-c', setup.config]);
    assert.equal(report.status, 1);
    expectLine(
      report,
      `fail  certificate key ${setup.key} does not belong to ${setup.cert}: configure the key the certificate was issued for`
    );
  });

  test('an encrypted key, a missing certificate, a certificate without a key', async () => {
    const setup = await installation();
    openssl(['pkey', '-in', setup.key, '-aes256', '-passout', 'pass:secret', '-out', `${setup.key}.new`]);
    renameSync(`${setup.key}.new`, setup.key);
    const encrypted = doctor(['-c', setup.config]);
    assert.equal(encrypted.status, 1);
    expectLine(encrypted, `fail  certificate key: ${setup.key}: the private key is encrypted; give an unencrypted one`);

    const missing = await installation({ settings: { cert: join(scratch, 'no-cert.pem') } });
    const report = doctor(['-c', missing.config]);
    assert.equal(report.status, 1);
    expectLine(report, `fail  certificate: cannot read ${join(scratch, 'no-cert.pem')}: No such file or directory`);

    const keyless = await installation({ turnEdits: { pkey: undefined } });
    const turnReport = doctor(['-c', keyless.config]);
    assert.equal(turnReport.status, 1);
    expectLine(
      turnReport,
      `fail  TURN certificate ${join(keyless.dir, 'turn-cert.pem')} has no private key configured: set its pkey`
    );
  });

  test('TURN certificate problems are reported as TURN certificate', async () => {
    const setup = await installation({ settings: { turn_host: 'turn.example.test' } });
    const report = doctor(['-c', setup.config]);
    assert.equal(report.status, 1);
    expectLine(
      report,
      `fail  TURN certificate ${join(setup.dir, 'turn-cert.pem')} does not cover turn.example.test (it covers: ${DOMAIN}): get a certificate for turn.example.test, or correct the host name in the configuration`
    );
  });

  test('turn_tls without a certificate in turnserver.conf', async () => {
    const setup = await installation({ settings: { turn_tls: 'on' }, turnEdits: { cert: undefined, pkey: undefined } });
    const report = doctor(['-c', setup.config]);
    assert.equal(report.status, 1);
    expectLine(
      report,
      'fail  turn_tls is on but turnserver.conf names no cert: add cert= and pkey= to turnserver.conf, or set turn_tls = off'
    );
  });

  test('TLS off: fine for localhost, a warning for a public domain', async () => {
    const local = await installation({ settings: { cert: undefined, pkey: undefined, domain: 'localhost' }, turnEdits: { cert: undefined, pkey: undefined } });
    const localReport = doctor(['-c', local.config]);
    expectLine(localReport, 'ok    TLS is off (cert is not set), fine for localhost');
    assert.equal(localReport.status, 0, localReport.lines.join('\n'));
    const exposed = await installation({ settings: { cert: undefined, pkey: undefined }, turnEdits: { cert: undefined, pkey: undefined } });
    const report = doctor(['-c', exposed.config]);
    assert.equal(report.status, 0, report.lines.join('\n'));
    expectLine(
      report,
      `warn  TLS is off (cert is not set) for the public domain ${DOMAIN}: browsers need HTTPS and WSS there; set cert and pkey`
    );
  });

  test('no daemon and no database yet: warnings, exit 0', async () => {
    const dir = mkdtempSync(join(scratch, 'empty-'));
    const dbPath = join(dir, 'icegate.db');
    const report = doctor(['--db', dbPath]);
    assert.equal(report.status, 0, report.lines.join('\n'));
    expectLine(report, 'warn  no configuration file given: checking the built-in defaults (pass -c signaling.conf)');
    expectLine(
      report,
      `warn  no database at ${dbPath} yet: icegate creates it at its first start (or point -c/--db at the one it uses)`
    );
    expectLine(
      report,
      `warn  icegate is not running (no control socket at ${dbPath}.sock); start it, or point -c/--db at the configuration it runs with`
    );
  });

  const usageErrors = [
    [['doctor', 'now'], "doctor: unexpected argument 'now'"],
    [['doctor', '--turnserver-conf'], "doctor: option '--turnserver-conf' needs a value"],
    [['doctor', '--fix'], "doctor: unknown option '--fix'"],
  ];
  for (const [args, message] of usageErrors) {
    test(`usage error: icegatectl ${args.join(' ')}`, () => {
      const result = spawnSync(ctlBinary, ['--db', join(scratch, 'usage.db'), ...args], { encoding: 'utf8' });
      assert.equal(result.status, 2);
      assert.equal(result.stderr, `icegatectl: ${message}\n${HINT}\n`);
      assert.equal(result.stdout, '');
    });
  }
});
