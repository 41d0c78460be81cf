// Runs a TURN server for one test: a temp SQLite database with the shared
// schema, free loopback ports, a private relay port range, and clean-up of
// every process started. The database is written the way icegate writes it
// (the sqlite3 command-line tool, WAL mode), so no icegate daemon is needed.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { stunPing } from './stun.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
export const TEST_CONF = path.join(repo, 'tests/turn/turnserver-test.conf');
export const SHIPPED_CONF = path.join(repo, 'etc/turnserver.conf');
export const REALM = 'icegate';

const turnBuild = path.resolve(repo, process.env.ICEGATE_TURN_BUILD || 'build/turn');
export const PATCHED = {
	turnserver: path.join(turnBuild, 'bin/turnserver'),
	uclient: path.join(turnBuild, 'bin/turnutils_uclient'),
};
// Debian's coturn package, for comparison with the patched build.
export const STOCK_TURNSERVER = '/usr/bin/turnserver';

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS turn_secret (realm varchar(127) default '', value varchar(256), primary key (realm,value));
CREATE TABLE IF NOT EXISTS ig_turn_revoked_usernames (username TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ig_turn_revoked_subjects (subject TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL, expiry_through INTEGER NOT NULL);
`;

export function sql(dbPath, statements) {
	return execFileSync('sqlite3', ['-bail', dbPath, statements], { encoding: 'utf8', timeout: 10000 });
}

export function quote(text) {
	return `'${String(text).replaceAll("'", "''")}'`;
}

export function now() {
	return Math.floor(Date.now() / 1000);
}

// A port free on 127.0.0.1 for both UDP and TCP at the time of the call.
export async function freePort() {
	for (let attempt = 0; attempt < 50; attempt++) {
		const server = net.createServer();
		const port = await new Promise((resolve, reject) => {
			server.once('error', reject);
			server.listen(0, '127.0.0.1', () => resolve(server.address().port));
		});
		const udp = dgram.createSocket('udp4');
		const udpFree = await new Promise((resolve) => {
			udp.once('error', () => resolve(false));
			udp.bind(port, '127.0.0.1', () => resolve(true));
		});
		udp.close();
		await new Promise((resolve) => server.close(resolve));
		if (udpFree) return port;
	}
	throw new Error('no free port');
}

// A relay port range of its own for each server, so the tests can watch
// exactly their allocations' relay sockets.
let nextRelayBase = 20000 + (process.pid % 200) * 100;
function relayRange() {
	const base = nextRelayBase;
	nextRelayBase += 100;
	if (nextRelayBase > 40000) nextRelayBase = 20000;
	return { min: base, max: base + 99 };
}

// Local ports of the UDP sockets bound on 127.0.0.1 in [min, max] (relay sockets).
export function boundUdpPorts(min, max) {
	const ports = [];
	for (const file of ['/proc/net/udp']) {
		for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
			const local = line.trim().split(/\s+/)[1];
			if (!local) continue;
			const port = parseInt(local.split(':')[1], 16);
			if (port >= min && port <= max) ports.push(port);
		}
	}
	return ports;
}

export function sleep(ms) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

// Starts turnserver (patched unless binary says otherwise) on a fresh database.
// Resolves once it answers STUN. Call stop() in a finally or t.after().
// journalMode is the database's: WAL as icegate sets it, or DELETE (rollback).
// conf is the configuration file (the test one unless said); extraArgs are added.
// userdb: an existing database to serve (an icegate daemon's), used as it is
// and left in place by stop(); secret, createDb and journalMode then do nothing.
// port: the listening port, when the caller had to announce it beforehand.
export async function startTurnServer({
	binary = PATCHED.turnserver,
	secret = 'test-secret',
	createDb = true,
	journalMode = 'WAL',
	conf = TEST_CONF,
	extraArgs = [],
	userdb = null,
	port: listeningPort = null,
} = {}) {
	if (!existsSync(binary)) throw new Error(`${binary} is missing: build it with turn/build.sh or set ICEGATE_TURN_BUILD`);
	const dir = mkdtempSync(path.join(tmpdir(), 'icegate-turn-'));
	const dbPath = userdb ?? path.join(dir, 'icegate.db');
	if (createDb && !userdb) {
		sql(dbPath, `PRAGMA journal_mode=${journalMode};` + SCHEMA);
		if (secret) sql(dbPath, `INSERT INTO turn_secret (realm, value) VALUES (${quote(REALM)}, ${quote(secret)});`);
	}
	const port = listeningPort ?? (await freePort());
	const relay = relayRange();
	const args = [
		'-c', conf,
		`--listening-port=${port}`,
		`--min-port=${relay.min}`,
		`--max-port=${relay.max}`,
		`--userdb=${dbPath}`,
		`--pidfile=${path.join(dir, 'turnserver.pid')}`,
		...extraArgs,
	];
	const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
	let log = '';
	child.stdout.on('data', (chunk) => (log += chunk));
	child.stderr.on('data', (chunk) => (log += chunk));
	const exited = new Promise((resolve) => child.once('exit', resolve));

	const server = {
		port,
		relay,
		dbPath,
		dir,
		child,
		log: () => log,
		async stop() {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill('SIGTERM');
				const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
				await exited;
				clearTimeout(timer);
			}
			rmSync(dir, { recursive: true, force: true });
		},
	};

	const deadline = Date.now() + 10000;
	while (Date.now() < deadline) {
		if (child.exitCode !== null) break;
		if (await stunPing('127.0.0.1', port)) return server;
	}
	await server.stop();
	throw new Error(`turnserver did not start:\n${log}`);
}

// Runs turnutils_uclient to completion (bounded by timeoutMs).
export function runUclient(args, { timeoutMs = 20000 } = {}) {
	return new Promise((resolve) => {
		const child = spawn(PATCHED.uclient, args, { stdio: ['ignore', 'pipe', 'pipe'] });
		let output = '';
		child.stdout.on('data', (chunk) => (output += chunk));
		child.stderr.on('data', (chunk) => (output += chunk));
		const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
		child.once('exit', (code, signal) => {
			clearTimeout(timer);
			resolve({ code, signal, output });
		});
	});
}

// Starts turnutils_uclient in the background; kill() ends it.
export function startUclient(args) {
	const child = spawn(PATCHED.uclient, args, { stdio: ['ignore', 'pipe', 'pipe'] });
	let output = '';
	child.stdout.on('data', (chunk) => (output += chunk));
	child.stderr.on('data', (chunk) => (output += chunk));
	const exited = new Promise((resolve) => child.once('exit', resolve));
	return {
		child,
		output: () => output,
		async kill() {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill('SIGKILL');
				await exited;
			}
		},
	};
}

// uclient arguments for a client-to-client relay (-y) through server over UDP,
// sending count messages of 100 bytes every intervalMs.
export function uclientArgs(server, credential, { count = 5, intervalMs = 20 } = {}) {
	return ['-y', '-c', '-n', String(count), '-z', String(intervalMs), '-u', credential.username, '-w', credential.password,
		'-p', String(server.port), '127.0.0.1'];
}
