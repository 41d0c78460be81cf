// The systemd units (etc/systemd/) as scripts/install.sh installs them, into
// a temporary DESTDIR: `systemd-analyze verify` accepts both, which includes
// finding their ExecStart programs. The units name the real paths
// (/usr/local/...), so the test verifies a copy whose absolute paths that
// exist under DESTDIR are prefixed with it: a unit naming a program the
// install does not put there fails. The sandbox settings the units promise
// are checked by name, and `systemd-analyze security` scores are reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './lib/compose.mjs';

const buildDir = path.resolve(repoRoot, process.env.ICEGATE_BUILD_DIR || 'build');
const turnBuild = path.resolve(repoRoot, process.env.ICEGATE_TURN_BUILD || 'build/turn');
const UNITS = ['icegate.service', 'icegate-turn.service'];
const ctlBinary = path.join(buildDir, 'icegatectl');

// scripts/install.sh takes one build directory holding icegate, icegatectl
// and turn/bin: lay one out from the (possibly separate) build trees.
function stagedBuild(dir) {
	const staged = path.join(dir, 'build');
	spawnSync('mkdir', ['-p', path.join(staged, 'turn')]);
	for (const program of ['icegate', 'icegatectl']) spawnSync('ln', ['-s', path.join(buildDir, program), staged]);
	spawnSync('ln', ['-s', path.join(turnBuild, 'bin'), path.join(staged, 'turn/bin')]);
	return staged;
}

function install(t) {
	const dir = mkdtempSync(path.join(tmpdir(), 'icegate-systemd-'));
	t.after(() => rmSync(dir, { recursive: true, force: true }));
	const root = path.join(dir, 'root');
	const build = stagedBuild(dir);
	const run = () => spawnSync(path.join(repoRoot, 'scripts/install.sh'), [build], { env: { ...process.env, DESTDIR: root }, encoding: 'utf8', timeout: 30000 });
	const result = run();
	assert.equal(result.status, 0, result.stderr);
	return { dir, root, run };
}

// The unit text with every absolute path that exists under root moved there.
function rooted(text, root) {
	return text.replace(/(?<=[=\s])\/[^\s]+/g, (file) => (existsSync(path.join(root, file)) ? path.join(root, file) : file));
}

function verify(files) {
	const result = spawnSync('systemd-analyze', ['verify', ...files], { encoding: 'utf8', timeout: 30000 });
	return { ok: result.status === 0 && result.stderr.trim() === '', output: `${result.stdout}${result.stderr}` };
}

function unitSettings(text) {
	const settings = new Map();
	for (const line of text.split('\n')) {
		const match = /^([A-Za-z]+)=(.*)$/.exec(line);
		if (match) settings.set(match[1], [...(settings.get(match[1]) ?? []), match[2]]);
	}
	return settings;
}

test('scripts/install.sh installs the programs, pages, configuration and units; systemd-analyze verify accepts both units', (t) => {
	const { dir, root } = install(t);
	for (const file of ['usr/local/bin/icegate', 'usr/local/bin/icegatectl', 'usr/local/libexec/icegate/turnserver', 'usr/local/share/icegate/web/sender.html', 'etc/icegate/signaling.conf', 'etc/icegate/turnserver.conf']) {
		assert.ok(existsSync(path.join(root, file)), `${file} is installed`);
	}
	const verified = [];
	for (const unit of UNITS) {
		const installed = readFileSync(path.join(root, 'etc/systemd/system', unit), 'utf8');
		assert.equal(installed, readFileSync(path.join(repoRoot, 'etc/systemd', unit), 'utf8'));
		const copy = path.join(dir, unit);
		writeFileSync(copy, rooted(installed, root));
		verified.push(copy);
	}
	const result = verify(verified);
	assert.ok(result.ok, result.output);
	for (const copy of verified) {
		const security = spawnSync('systemd-analyze', ['security', '--offline=yes', copy], { encoding: 'utf8', timeout: 30000 });
		const score = /Overall exposure level for \S+: (.*)$/m.exec(security.stdout)?.[1];
		t.diagnostic(`systemd-analyze security ${path.basename(copy)}: ${score ?? security.stderr.trim()}`);
	}
});

test('systemd-analyze verify refuses a unit whose program is not installed', (t) => {
	const { dir, root } = install(t);
	const unit = path.join(dir, 'icegate.service');
	const text = rooted(readFileSync(path.join(repoRoot, 'etc/systemd/icegate.service'), 'utf8'), root);
	writeFileSync(unit, text.replace(path.join(root, 'usr/local/bin/icegate'), path.join(root, 'usr/local/bin/icegate-missing')));
	const result = verify([unit]);
	assert.ok(!result.ok);
	assert.match(result.output, /icegate-missing/);
});

test('both units run sandboxed as the icegate user, share the state directory, and start in order', () => {
	const units = Object.fromEntries(UNITS.map((unit) => [unit, unitSettings(readFileSync(path.join(repoRoot, 'etc/systemd', unit), 'utf8'))]));
	const expected = {
		User: ['icegate'],
		Group: ['icegate'],
		StateDirectory: ['icegate'],
		ConfigurationDirectory: ['icegate'],
		NoNewPrivileges: ['yes'],
		ProtectSystem: ['strict'],
		ProtectHome: ['yes'],
		PrivateTmp: ['yes'],
		PrivateDevices: ['yes'],
		ProtectKernelTunables: ['yes'],
		ProtectKernelModules: ['yes'],
		ProtectKernelLogs: ['yes'],
		CapabilityBoundingSet: [''],
		Restart: ['on-failure'],
		LimitNOFILE: ['65536'],
	};
	for (const [unit, settings] of Object.entries(units)) {
		for (const [key, value] of Object.entries(expected)) assert.deepEqual(settings.get(key), value, `${unit}: ${key}`);
		const families = settings.get('RestrictAddressFamilies')[0].split(' ');
		for (const family of ['AF_INET', 'AF_INET6', 'AF_UNIX']) assert.ok(families.includes(family), `${unit}: ${family}`);
	}
	assert.deepEqual(units['icegate.service'].get('RestrictAddressFamilies'), ['AF_INET AF_INET6 AF_UNIX']);
	assert.deepEqual(units['icegate.service'].get('ExecReload'), ['/bin/kill -HUP $MAINPID']);
	// coturn reloads its certificate on SIGUSR2 (mainrelay.c, reload_ssl_certs); SIGHUP would end it.
	assert.deepEqual(units['icegate-turn.service'].get('ExecReload'), ['/bin/kill -USR2 $MAINPID']);
	const turn = units['icegate-turn.service'];
	assert.ok(turn.get('After')[0].split(' ').includes('icegate.service'), 'coturn starts after the daemon creates the database');
	assert.ok(turn.get('Wants')[0].split(' ').includes('icegate.service'));
});

test('the installed configuration: the daemon, icegatectl and coturn agree on the database, and a reinstall keeps an edited file', (t) => {
	const { root, run } = install(t);
	const signaling = path.join(root, 'etc/icegate/signaling.conf');
	const turnserver = path.join(root, 'etc/icegate/turnserver.conf');
	const check = spawnSync(ctlBinary, ['-c', signaling, 'turn', 'check', turnserver], { encoding: 'utf8', timeout: 10000 });
	assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
	assert.match(readFileSync(signaling, 'utf8'), /^db_path = \/var\/lib\/icegate\/icegate\.db$/m, 'the database is in StateDirectory');

	writeFileSync(signaling, `${readFileSync(signaling, 'utf8')}domain = meet.example.org\n`);
	const edited = readFileSync(signaling, 'utf8');
	const again = run();
	assert.equal(again.status, 0, again.stderr);
	assert.equal(readFileSync(signaling, 'utf8'), edited, 'signaling.conf is kept');
});

test('scripts/install.sh refuses to install a build that is not there', (t) => {
	const dir = mkdtempSync(path.join(tmpdir(), 'icegate-systemd-'));
	t.after(() => rmSync(dir, { recursive: true, force: true }));
	const result = spawnSync(path.join(repoRoot, 'scripts/install.sh'), [path.join(dir, 'no-build')], {
		env: { ...process.env, DESTDIR: path.join(dir, 'root') },
		encoding: 'utf8',
		timeout: 30000,
	});
	assert.equal(result.status, 1);
	assert.match(result.stderr, /no-build\/icegate is missing: build first/);
	assert.ok(!existsSync(path.join(dir, 'root')), 'nothing installed');
});
