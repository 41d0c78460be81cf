// Runs icegate's daemon and the patched coturn together, as a deployment
// does: the daemon writes the TURN secrets and revocations into its database
// and coturn reads that same file (userdb). Also the small steps the
// end-to-end TURN tests share: fetching credentials from the daemon, reading
// the URLs it advertises, allocating with them, and reading turn_secret.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDaemon, ctl } from '../../lib/daemon.mjs';
import { get } from '../../lib/rest.mjs';
import { TurnClient } from './stun.mjs';
import { startTurnServer, freePort, sql, quote, now, sleep, REALM } from './harness.mjs';

// A short credential lifetime, so a credential fetched a second after a
// revocation expires after the revocation's expiry_through (revoke time + ttl).
export const TTL = 60;

// Starts a daemon whose TURN URLs point at a fresh patched turnserver serving
// the daemon's own database. The settings go into a configuration file that
// icegatectl reads too (daemon.ctl), as on a real host: icegatectl derives
// turn_secret rows with the configured turn_secret_window. Everything stops
// when test t ends.
export async function startStack(t, settings = {}) {
	const turnPort = await freePort();
	const confDir = mkdtempSync(path.join(tmpdir(), 'icegate-stack-'));
	t.after(() => rmSync(confDir, { recursive: true, force: true }));
	const confPath = path.join(confDir, 'signaling.conf');
	const options = {
		turn_host: '127.0.0.1',
		turn_port: turnPort,
		realm: REALM,
		turn_credential_ttl: TTL,
		turn_secret_window: 600,
		user_poll_interval_ms: 50,
		...settings,
	};
	writeFileSync(confPath, Object.entries(options).map(([key, value]) => `${key} = ${value}\n`).join(''));
	const daemon = await startDaemon({ args: ['-c', confPath] });
	t.after(() => daemon.stop());
	daemon.ctl = (args, input) => ctl(daemon.dbPath, ['-c', confPath, ...args], input);
	const turn = await startTurnServer({ userdb: daemon.dbPath, port: turnPort });
	t.after(() => turn.stop());
	return { daemon, turn };
}

// Polls until predicate() holds; resolves with the time it first held.
export async function waitFor(predicate, timeoutMs, what) {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (predicate()) return Date.now();
		await sleep(5);
	}
	throw new Error(`timed out waiting for ${what}`);
}

// Resolves once the Unix second is past second, so a credential minted from
// now on has a later EXPIRY than one minted during second.
export async function passSecond(second) {
	while (now() <= second) await sleep(20);
}

// "turn:HOST:PORT?transport=T" as {host, port, transport}.
function parseTurnUrl(url) {
	const match = /^turn:([^:?]+):(\d+)\?transport=(udp|tcp)$/.exec(url);
	assert.ok(match, `${url} is a turn: URL with a transport`);
	return { host: match[1], port: Number(match[2]), transport: match[3] };
}

// The TURN entry of an iceServers list as {username, password, udp, tcp},
// where udp and tcp are the advertised endpoints.
export function turnEntry(iceServers) {
	const entry = iceServers.find((server) => server.username);
	assert.ok(entry, 'the list has a TURN entry with a credential');
	const endpoints = Object.fromEntries(entry.urls.map(parseTurnUrl).map((url) => [url.transport, url]));
	assert.ok(endpoints.udp && endpoints.tcp, 'TURN is offered over UDP and TCP');
	return { username: entry.username, password: entry.credential, udp: endpoints.udp, tcp: endpoints.tcp };
}

// GET /api/v1/ice-servers with token; returns the TURN entry (asserts 200).
export async function fetchIceCredential(daemon, token) {
	const response = await get(daemon, '/api/v1/ice-servers', { Authorization: `Bearer ${token}` });
	assert.equal(response.status, 200, response.text);
	return turnEntry(response.json.iceServers);
}

// GET /api/v1/turn/credentials (the TURN REST draft's format) with an API key.
export async function fetchRestCredential(daemon, key, subject) {
	const query = new URLSearchParams({ service: 'turn', username: subject, key });
	const response = await get(daemon, `/api/v1/turn/credentials?${query}`);
	assert.equal(response.status, 200, response.text);
	return response.json;
}

// One Allocate on a fresh connection to endpoint ({host, port, transport});
// resolves with the response code (200, or the STUN error code).
export async function allocateCode(endpoint, credential) {
	const client = await TurnClient.connect(endpoint);
	try {
		const result = await client.allocate(credential);
		return result.code;
	} finally {
		client.close();
	}
}

// The shared secrets coturn accepts for the realm, as the daemon wrote them.
export function turnSecrets(daemon) {
	return sql(daemon.dbPath, `SELECT value FROM turn_secret WHERE realm = ${quote(REALM)} ORDER BY value;`)
		.split('\n')
		.filter(Boolean);
}

// The turn_secret row that signed credential (coturn's own check), or undefined.
export function signingSecret(daemon, credential) {
	return turnSecrets(daemon).find(
		(secret) => createHmac('sha1', secret).update(credential.username).digest('base64') === credential.password,
	);
}
