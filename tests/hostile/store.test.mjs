// Hostile input to the user store, through icegatectl and the running
// daemon: user names with quotes, SQL fragments and unicode, NUL bytes where
// they can travel (a password on standard input, a JSON login body),
// passwords without a trailing newline, and a database that turns read-only,
// is locked by another writer or sits on a full disk. A fault must give a
// clear error (icegatectl: exit 1 and a message; the daemon: 503
// server_error), never a crash, never a corrupted file, and a refresh token
// issued before the fault must still refresh after it. The faults are real
// (chattr +i, a tmpfs mount, a second SQLite writer) and need root.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { ctlBinary, startDaemon } from '../lib/daemon.mjs';
import { decodeJwt, get, login, post, refresh, uniqueName } from '../lib/rest.mjs';
import { fillDisk, holdWriteLock } from '../lib/store-faults.mjs';

const PASSWORD = 'correct horse battery';

// Runs a command that must succeed; returns its stdout.
function run(command, args, input) {
	const result = spawnSync(command, args, { encoding: 'utf8', input: input ?? '', timeout: 30000 });
	if (result.status !== 0) {
		throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
	}
	return result.stdout;
}

const sqlite = (dbPath, statement) => run('sqlite3', [dbPath, statement]).trim();

// icegatectl on daemon's database, run without blocking the event loop (a
// locked database makes it wait). Resolves with {status, signal, stdout, stderr}.
function ctlAsync(daemon, args, input = '') {
	return new Promise((resolve, reject) => {
		const child = spawn(ctlBinary, ['--db', daemon.dbPath, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		child.stdin.on('error', () => {});
		child.stdin.end(input);
		const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
		child.once('error', reject);
		child.once('exit', (status, signal) => {
			clearTimeout(timer);
			resolve({ status, signal, stdout, stderr });
		});
	});
}

function addUser(daemon, name, password = PASSWORD) {
	const result = daemon.ctl(['user', 'add', '--password-stdin', '--', name], password);
	assert.equal(result.status, 0, `user add ${JSON.stringify(name)}: ${result.stderr}`);
}

function tokens(response) {
	assert.equal(response.status, 200, response.text);
	assert.match(response.json.refresh_token, /^[A-Za-z0-9_-]{43}$/);
	return response.json;
}

// icegatectl failed the way a script can rely on: exit 1, one line on stderr
// saying what went wrong (matching pattern), nothing on stdout, no signal.
function assertCtlFailure(result, pattern) {
	assert.equal(result.signal ?? null, null, `icegatectl crashed: ${result.stderr}`);
	assert.equal(result.status, 1, `stdout: ${result.stdout} stderr: ${result.stderr}`);
	assert.match(result.stderr, /^icegatectl: .+\n$/);
	assert.match(result.stderr, pattern);
	assert.equal(result.stdout, '');
}

function assertServerError(response) {
	assert.equal(response.status, 503, response.text);
	assert.equal(response.json?.error, 'server_error', response.text);
	assert.equal(typeof response.json.error_description, 'string');
}

function userNames(daemon) {
	const listed = daemon.ctl(['user', 'list', '--json']);
	assert.equal(listed.status, 0, listed.stderr);
	return JSON.parse(listed.stdout).map((user) => user.name);
}

describe('hostile user names and passwords', () => {
	let daemon;
	before(async () => {
		// Failed logins are the point here: no limiter in the way.
		daemon = await startDaemon({ settings: { login_attempts_per_minute: 1000 } });
		addUser(daemon, 'bystander');
	});
	after(() => stopAndCheck(daemon));

	const awkward = [
		`o'brien"the\`third\``,
		"x');DROP/**/TABLE/**/ig_users;--",
		"admin'--",
		'Zoë-用户-🎥',
		'%_%',
		'back\\slash',
		'<script>alert(1)</script>',
	];
	for (const name of awkward) {
		test(`${JSON.stringify(name)} is stored as is and logs in as itself`, async () => {
			addUser(daemon, name);
			const issued = tokens(await login(daemon, name, PASSWORD));
			assert.equal(decodeJwt(issued.access_token).payload.sub, name);
			const me = await get(daemon, '/api/v1/me', { Authorization: `Bearer ${issued.access_token}` });
			assert.equal(me.json.sub, name);
			assert.equal(decodeJwt(tokens(await refresh(daemon, issued.refresh_token)).access_token).payload.sub, name);
			assert.ok(userNames(daemon).includes(name));
			assert.ok(userNames(daemon).includes('bystander'), 'ig_users is intact');
			assert.equal(sqlite(daemon.dbPath, `SELECT count(*) FROM ig_users WHERE name = '${name.replaceAll("'", "''")}'`), '1');
		});
	}

	test("'; DROP TABLE ig_users; -- is refused as a name (whitespace) and drops nothing", () => {
		const result = daemon.ctl(['user', 'add', '--password-stdin', '--', "'; DROP TABLE ig_users; --"], PASSWORD);
		assertCtlFailure(result, /^icegatectl: invalid user name: contains whitespace\n$/);
		assert.ok(userNames(daemon).includes('bystander'));
	});

	for (const [name, why] of [
		['evil\u202egnp.exe', 'contains an invisible or direction-changing character'],
		['zero\u200bwidth', 'contains an invisible or direction-changing character'],
		['bell\u0007', 'contains a control character'],
		['guest:0123456789abcdef', "contains ':', which is reserved for token subjects"],
	]) {
		test(`${JSON.stringify(name)} is refused: ${why}`, () => {
			assertCtlFailure(daemon.ctl(['user', 'add', '--password-stdin', '--', name], PASSWORD), new RegExp(`invalid user name: ${why.replace(/[()]/g, '\\$&')}`));
			assert.ok(!userNames(daemon).includes(name));
		});
	}

	test('SQL fragments as a login name match nobody: 401 like any unknown user', async () => {
		for (const name of ["' OR '1'='1", "bystander'--", "bystander' OR 1=1--", '%', '_ystander', 'BYSTANDER', 'bystander ']) {
			const response = await login(daemon, name, PASSWORD);
			assert.equal(response.status, 401, `${name}: ${response.text}`);
			assert.equal(response.json.error, 'invalid_credentials');
		}
		tokens(await login(daemon, 'bystander', PASSWORD));
	});

	test('a name in another unicode normalisation is another name', async () => {
		addUser(daemon, 'Zo\u00eb'); // precomposed
		const response = await login(daemon, 'Zoe\u0308', PASSWORD); // e + combining diaeresis
		assert.equal(response.status, 401, response.text);
		tokens(await login(daemon, 'Zo\u00eb', PASSWORD));
	});

	test('a NUL in a JSON login body is 400 invalid_request, never a login as the prefix', async () => {
		for (const body of [
			{ username: 'bystander\u0000admin', password: PASSWORD },
			{ username: 'bystander', password: `${PASSWORD}\u0000anything` },
			{ username: 'bystander\u0000', password: PASSWORD },
		]) {
			const response = await post(daemon, '/api/v1/auth/login', body);
			assert.equal(response.status, 400, response.text);
			assert.equal(response.json.error, 'invalid_request');
		}
		tokens(await login(daemon, 'bystander', PASSWORD));
	});

	test('a NUL in a password on standard input is refused; nothing is added', () => {
		const name = uniqueName('nul');
		assertCtlFailure(daemon.ctl(['user', 'add', name, '--password-stdin'], 'abc\0def'), /the password contains a NUL byte/);
		assert.ok(!userNames(daemon).includes(name));
		assertCtlFailure(daemon.ctl(['user', 'passwd', 'bystander', '--password-stdin'], `${PASSWORD}\0`), /the password contains a NUL byte/);
	});

	test('a password on standard input without a trailing newline is taken byte for byte', async () => {
		for (const password of ['no-newline-pässwörd', 'trailing space ', ' leading', 'ends-in-cr\r\r']) {
			const name = uniqueName('stdin');
			addUser(daemon, name, password);
			tokens(await login(daemon, name, password));
			for (const other of [`${password}\n`, password.trim(), password.slice(0, -1)]) {
				if (other === password) continue;
				assert.equal((await login(daemon, name, other)).status, 401, `${JSON.stringify(other)} must not log in`);
			}
		}
		// passwd reads the same way.
		const name = uniqueName('passwd');
		addUser(daemon, name);
		assert.equal(daemon.ctl(['user', 'passwd', name, '--password-stdin'], 'changed-without-newline').status, 0);
		tokens(await login(daemon, name, 'changed-without-newline'));
	});
});

// The immutable attribute refuses writes even through descriptors the daemon
// already holds, and binds root too; it needs a disk file system (tmpfs
// ignores it for open files), so the directory lives under /var/tmp. The
// database file, its write-ahead log and the directory are frozen; the -shm
// index is not: SQLite maps it shared, and a write to a mapped page of an
// immutable file is answered by the kernel with SIGBUS, which no process
// can turn into an error message.
function freezable(t) {
	const dir = mkdtempSync(join('/var/tmp', 'icegate-hostile-'));
	const paths = () => [dir, ...['icegate.db', 'icegate.db-wal'].map((f) => join(dir, f))].filter(existsSync);
	const set = (flag) => paths().forEach((path) => run('chattr', [flag, path]));
	t.after(() => {
		set('-i');
		rmSync(dir, { recursive: true, force: true });
	});
	return { dir, freeze: () => set('+i'), thaw: () => set('-i') };
}

// A tmpfs of size on a fresh directory, unmounted and removed when t ends.
function mountTmpfs(t, size) {
	const dir = mkdtempSync(join(tmpdir(), 'icegate-hostile-'));
	run('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
	t.after(() => {
		spawnSync('umount', ['-l', dir]);
		rmSync(dir, { recursive: true, force: true });
	});
	return dir;
}

// What must hold once a fault is gone: the file is sound, the refresh token
// issued before the fault (and not spent during it) still refreshes, and
// both icegatectl and the daemon write again.
async function assertRecovered(daemon, name, refreshToken) {
	assert.equal(sqlite(daemon.dbPath, 'PRAGMA integrity_check'), 'ok');
	const rotated = tokens(await refresh(daemon, refreshToken));
	tokens(await refresh(daemon, rotated.refresh_token));
	tokens(await login(daemon, name, PASSWORD));
	const after = uniqueName('after');
	addUser(daemon, after);
	tokens(await login(daemon, after, PASSWORD));
	assert.equal((await get(daemon, '/readyz')).status, 200);
}

describe('database faults, for icegatectl and the daemon at once', () => {
	test('read-only: icegatectl fails naming it, the daemon answers 503, and both recover', async (t) => {
		const frozen = freezable(t);
		const daemon = await startDaemon({ dir: frozen.dir });
		t.after(() => stopAndCheck(daemon));
		const name = uniqueName('ro');
		addUser(daemon, name);
		const before = tokens(await login(daemon, name, PASSWORD));

		frozen.freeze();
		let added, passwd, loginAttempt, refreshAttempt, health;
		try {
			added = await ctlAsync(daemon, ['user', 'add', uniqueName('ro-new'), '--password-stdin'], PASSWORD);
			passwd = await ctlAsync(daemon, ['user', 'passwd', name, '--password-stdin'], 'another password');
			loginAttempt = await login(daemon, name, PASSWORD);
			refreshAttempt = await refresh(daemon, before.refresh_token);
			health = await get(daemon, '/healthz');
		} finally {
			frozen.thaw();
		}
		assertCtlFailure(added, /read-only/);
		assertCtlFailure(passwd, /read-only/);
		assertServerError(loginAttempt);
		assertServerError(refreshAttempt);
		assert.equal(health.status, 200);
		await assertRecovered(daemon, name, before.refresh_token);
	});

	test('locked by another writer: both give up after the busy timeout, and recover', async (t) => {
		const daemon = await startDaemon();
		t.after(() => stopAndCheck(daemon));
		const name = uniqueName('locked');
		addUser(daemon, name);
		const before = tokens(await login(daemon, name, PASSWORD));
		const newcomer = uniqueName('locked-new');

		const release = await holdWriteLock(t, daemon.dbPath);
		let added, listed, refreshAttempt, started, elapsed;
		try {
			started = Date.now();
			// Both wait on the lock at the same time (the store's busy timeout is 5 s).
			const adding = ctlAsync(daemon, ['user', 'add', newcomer, '--password-stdin'], PASSWORD);
			refreshAttempt = await refresh(daemon, before.refresh_token);
			added = await adding;
			elapsed = Date.now() - started;
			listed = await ctlAsync(daemon, ['user', 'list', '--json']); // readers are not blocked
		} finally {
			await release();
		}
		t.diagnostic(`locked: icegatectl and the daemon answered within ${elapsed} ms`);
		assertCtlFailure(added, /locked/);
		assertServerError(refreshAttempt);
		assert.ok(elapsed < 9000, `answered after ${elapsed} ms`);
		assert.equal(listed.status, 0, listed.stderr);
		assert.ok(JSON.parse(listed.stdout).some((user) => user.name === name));
		assert.ok(!userNames(daemon).includes(newcomer), 'the refused user was not added');
		await assertRecovered(daemon, name, before.refresh_token);
	});

	test('full disk: icegatectl and the daemon refuse writes cleanly; nothing is lost or corrupted', async (t) => {
		const dir = mountTmpfs(t, '2m');
		const daemon = await startDaemon({ dir });
		t.after(() => stopAndCheck(daemon));
		const name = uniqueName('full');
		addUser(daemon, name);
		let current = tokens(await login(daemon, name, PASSWORD)).refresh_token;

		const filler = fillDisk(dir);
		// The write-ahead log may still reuse pages it has: write until the
		// disk refuses, through the daemon (a refresh chain) and icegatectl.
		let refusedRefresh;
		for (let i = 0; i < 500 && !refusedRefresh; i++) {
			const response = await refresh(daemon, current);
			if (response.status === 200) current = response.json.refresh_token;
			else refusedRefresh = response;
		}
		assert.ok(refusedRefresh, 'a refresh was refused on the full disk');
		assertServerError(refusedRefresh);
		const added = [];
		let refusedAdd;
		for (let i = 0; i < 20 && !refusedAdd; i++) {
			const newcomer = uniqueName('full-new');
			const result = await ctlAsync(daemon, ['user', 'add', newcomer, '--password-stdin'], PASSWORD);
			if (result.status === 0) added.push(newcomer);
			else refusedAdd = { result, newcomer };
		}
		assert.ok(refusedAdd, 'icegatectl was refused on the full disk');
		assertCtlFailure(refusedAdd.result, /full/);
		assertServerError(await login(daemon, name, PASSWORD));
		assert.equal((await get(daemon, '/healthz')).status, 200);

		rmSync(filler);
		const names = userNames(daemon);
		assert.ok(!names.includes(refusedAdd.newcomer), 'the refused user was not added');
		for (const newcomer of [name, ...added]) assert.ok(names.includes(newcomer), `${newcomer} is kept`);
		await assertRecovered(daemon, name, current);
	});

	test('a database on a read-only mount: icegatectl says so, reads and writes alike', async (t) => {
		const dir = mountTmpfs(t, '4m');
		const dbPath = join(dir, 'icegate.db');
		const ctl = (args, input) => spawnSync(ctlBinary, ['--db', dbPath, ...args], { encoding: 'utf8', input: input ?? '', timeout: 30000 });
		assert.equal(ctl(['user', 'add', 'alice', '--password-stdin'], PASSWORD).status, 0);
		run('mount', ['-o', 'remount,ro', dir]);
		for (const args of [['user', 'add', 'bob', '--password-stdin'], ['user', 'list'], ['user', 'disable', 'alice']]) {
			const result = ctl(args, PASSWORD);
			assertCtlFailure(result, /read-only/);
			assert.ok(result.stderr.includes(dbPath), result.stderr);
		}
		run('mount', ['-o', 'remount,rw', dir]);
		assert.equal(sqlite(dbPath, 'PRAGMA integrity_check'), 'ok');
		const listed = JSON.parse(ctl(['user', 'list', '--json']).stdout);
		assert.deepEqual(listed.map((user) => [user.name, user.disabled]), [['alice', false]]);
	});
});
