// Two client hosts that cannot reach each other, and an appliance both can
// reach: each client is a network namespace joined to this host by its own
// veth pair, with a route to the appliance's address and to nothing else. The
// appliance (daemon and coturn) runs on this host, on an interface of its own
// (one end of a veth pair that stays here) with two addresses: APPLIANCE,
// where the clients reach the daemon and coturn, and RELAY, where coturn binds
// its relays, to which the clients have no route. So no two candidates of
// the clients connect, except relay to relay, inside coturn. Every address is
// public address space outside the ranges the shipped turnserver.conf denies
// (198.20.10.0/24, beside the denied 198.18.0.0/15). Names carry the process
// id, so a run removes what a killed earlier run left behind.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumArgs, chromiumPath } from '../browser.mjs';

const { chromium } = createRequire(import.meta.url)('playwright-core');

export const APPLIANCE = '198.20.10.9';
export const RELAY = '198.20.10.10';
// Per client: the host end of its link, its own address.
const LINKS = {
	a: { host: '198.20.10.1', client: '198.20.10.2' },
	b: { host: '198.20.10.5', client: '198.20.10.6' },
};
const NAMESPACE_PREFIX = 'ige2e';
const LINK_PREFIX = 'ie'; // interface names: at most 15 characters

function ip(...args) {
	return execFileSync('ip', args, { encoding: 'utf8', timeout: 10000, stdio: ['ignore', 'pipe', 'pipe'] });
}

const alive = (pid) => existsSync(`/proc/${pid}`);

// Deletes the namespaces and appliance interfaces of runs whose process is
// gone (a namespace takes its veth pair with it).
function removeStale() {
	for (const line of ip('netns', 'list').split('\n')) {
		const match = new RegExp(`^(${NAMESPACE_PREFIX}-(\\d+)-[ab])\\b`).exec(line);
		if (match && !alive(Number(match[2]))) ip('netns', 'delete', match[1]);
	}
	for (const line of ip('-o', 'link', 'show', 'type', 'veth').split('\n')) {
		const match = new RegExp(`^\\d+: (${LINK_PREFIX}(\\d+)d)@`).exec(line);
		if (match && !alive(Number(match[2]))) ip('link', 'delete', match[1]);
	}
}

// Synchronous, so it also runs from a process 'exit' handler.
function removeTopology(names) {
	for (const namespace of [names.a, names.b]) {
		try {
			ip('netns', 'delete', namespace);
		} catch {
			// never created
		}
	}
	try {
		ip('link', 'delete', names.appliance);
	} catch {
		// never created
	}
}

// Builds the topology. Returns {clients: {a, b} (namespace, address),
// remove()}; remove() is safe to call more than once.
export function createTopology() {
	removeStale();
	const names = {
		a: `${NAMESPACE_PREFIX}-${process.pid}-a`,
		b: `${NAMESPACE_PREFIX}-${process.pid}-b`,
		appliance: `${LINK_PREFIX}${process.pid}d`,
	};
	const removeOnExit = () => removeTopology(names);
	process.once('exit', removeOnExit);
	const remove = () => {
		process.removeListener('exit', removeOnExit);
		removeTopology(names);
	};
	try {
		// A veth pair with both ends here stands in for a dummy interface
		// (which not every kernel offers).
		ip('link', 'add', names.appliance, 'type', 'veth', 'peer', 'name', `${names.appliance}p`);
		ip('address', 'add', `${APPLIANCE}/32`, 'dev', names.appliance);
		ip('address', 'add', `${RELAY}/32`, 'dev', names.appliance);
		ip('link', 'set', names.appliance, 'up');
		ip('link', 'set', `${names.appliance}p`, 'up');
		for (const side of ['a', 'b']) {
			const namespace = names[side];
			const hostEnd = `${LINK_PREFIX}${process.pid}${side}h`;
			const clientEnd = `${LINK_PREFIX}${process.pid}${side}c`;
			ip('netns', 'add', namespace);
			ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', clientEnd);
			ip('link', 'set', clientEnd, 'netns', namespace);
			ip('address', 'add', `${LINKS[side].host}/30`, 'dev', hostEnd);
			ip('link', 'set', hostEnd, 'up');
			ip('-n', namespace, 'address', 'add', `${LINKS[side].client}/30`, 'dev', clientEnd);
			ip('-n', namespace, 'link', 'set', clientEnd, 'up');
			ip('-n', namespace, 'link', 'set', 'lo', 'up');
			// The appliance only: no default route, no route to RELAY or the other client.
			ip('-n', namespace, 'route', 'add', `${APPLIANCE}/32`, 'via', LINKS[side].host);
		}
	} catch (error) {
		remove();
		throw error;
	}
	return {
		clients: {
			a: { namespace: names.a, address: LINKS.a.client },
			b: { namespace: names.b, address: LINKS.b.client },
		},
		remove,
	};
}

// Tries a TCP connection from inside namespace to host:port. Resolves with
// 'connected' or the error code (ENETUNREACH: no route; ECONNREFUSED: the
// host answered; TIMEOUT: nothing came back within 2 s).
export function tryConnect(namespace, host, port) {
	const script = `
		const socket = require('node:net').connect({ host: ${JSON.stringify(host)}, port: ${port} });
		const timer = setTimeout(() => { console.log('TIMEOUT'); process.exit(0); }, 2000);
		socket.on('connect', () => { console.log('connected'); process.exit(0); });
		socket.on('error', (error) => { console.log(error.code); process.exit(0); });`;
	const result = spawnSync('ip', ['netns', 'exec', namespace, process.execPath, '-e', script], { encoding: 'utf8', timeout: 10000 });
	if (result.status !== 0) throw new Error(`cannot run node in ${namespace}: ${result.stderr}`);
	return result.stdout.trim();
}

// Launches the test Chromium (browser.mjs's binary and switches) inside
// namespace, through a small script playwright starts as its executable.
// extraArgs: more switches. Closing the browser deletes the script.
export async function launchChromiumIn(namespace, extraArgs = []) {
	const dir = mkdtempSync(join(tmpdir(), 'icegate-netns-chromium-'));
	const executablePath = join(dir, 'chromium');
	writeFileSync(executablePath, `#!/bin/sh\nexec ip netns exec ${namespace} ${chromiumPath} "$@"\n`);
	chmodSync(executablePath, 0o755);
	try {
		const browser = await chromium.launch({ executablePath, headless: true, args: [...chromiumArgs, ...extraArgs], timeout: 30000 });
		browser.on('disconnected', () => rmSync(dir, { recursive: true, force: true }));
		return browser;
	} catch (error) {
		rmSync(dir, { recursive: true, force: true });
		throw error;
	}
}
