// TURN over TLS (turns:) with the patched coturn and the signaling daemon
// sharing one certificate, as a deployment does: the daemon serves HTTPS and
// advertises turns: when turn_tls is on; the credential it hands out
// allocates and relays over TLS (turnutils_uclient -S) with the daemon's
// certificate; with the TLS lines of the shipped turnserver.conf coturn speaks
// TLS 1.2 with ECDHE AEAD suites only; and SIGUSR2 makes coturn serve a
// renewed certificate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createUserAndLogin, startDaemon } from '../lib/daemon.mjs';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { uniqueName } from '../lib/rest.mjs';
import { handshake, installCertificate, makeCertificate } from '../lib/tls.mjs';
import { SHIPPED_CONF, TEST_CONF, REALM, freePort, runUclient, sleep, startTurnServer } from './lib/harness.mjs';

// The TLS lines of the shipped turnserver.conf besides cert= and pkey=:
// cipher-list (ECDHE with AEAD ciphers only, as on the signaling port). Not
// no-tlsv1 or no-tlsv1_1: with them coturn 4.6.1 leaves a TLS 1.0 or 1.1
// client waiting for an answer that never comes.
const TLS_LINES = readFileSync(SHIPPED_CONF, 'utf8')
	.split('\n')
	.filter((line) => /^(cipher-list|no-tlsv1|no-tlsv1_1|no-tlsv1_2)\b/.test(line));

// The test configuration with TLS turned on: no-tls dropped, the
// certificate and the recommended TLS lines added.
function tlsConf(dir, certificate) {
	const lines = readFileSync(TEST_CONF, 'utf8')
		.split('\n')
		.filter((line) => line.trim() !== 'no-tls');
	lines.push(`cert=${certificate.cert}`, `pkey=${certificate.key}`, ...TLS_LINES);
	const conf = path.join(dir, 'turnserver-tls.conf');
	writeFileSync(conf, `${lines.join('\n')}\n`);
	return conf;
}

// A daemon on HTTPS and a patched coturn serving turns: on tlsPort, both
// with certificate and on one database. Everything stops when t ends.
async function startTlsStack(t) {
	const dir = mkdtempSync(path.join(tmpdir(), 'icegate-turns-'));
	t.after(() => rmSync(dir, { recursive: true, force: true }));
	const certificate = makeCertificate(dir, 'turn.localhost');
	const served = { cert: path.join(dir, 'served.crt'), key: path.join(dir, 'served.key') };
	installCertificate(served, certificate);
	const [turnPort, tlsPort] = [await freePort(), await freePort()];
	const daemon = await startDaemon({
		tls: served,
		settings: { turn_host: '127.0.0.1', turn_port: turnPort, turns_port: tlsPort, turn_tls: 'on', realm: REALM },
	});
	t.after(() => stopAndCheck(daemon));
	const turn = await startTurnServer({
		userdb: daemon.dbPath,
		port: turnPort,
		conf: tlsConf(dir, served),
		extraArgs: [`--tls-listening-port=${tlsPort}`, `--alt-tls-listening-port=${await freePort()}`],
	});
	t.after(() => turn.stop());
	return { dir, daemon, turn, tlsPort, certificate, served };
}

// The daemon's TURN credential and its turns: endpoint, for a new user.
async function turnsCredential(daemon) {
	const tokens = await createUserAndLogin(daemon, uniqueName('turns'));
	const response = await daemon.fetch(`${daemon.base}/api/v1/ice-servers`, {
		headers: { Authorization: `Bearer ${tokens.access_token}` },
	});
	assert.equal(response.status, 200);
	const { iceServers } = await response.json();
	const entry = iceServers.find((server) => server.username);
	const urls = entry.urls.filter((url) => url.startsWith('turns:'));
	assert.equal(urls.length, 1, `one turns: URL in ${JSON.stringify(entry.urls)}`);
	const match = /^turns:127\.0\.0\.1:(\d+)\?transport=tcp$/.exec(urls[0]);
	assert.ok(match, urls[0]);
	return { username: entry.username, password: entry.credential, port: Number(match[1]) };
}

test('a credential from the daemon allocates and relays over turns:, with the daemon\'s certificate', async (t) => {
	const { daemon, tlsPort, certificate } = await startTlsStack(t);
	const credential = await turnsCredential(daemon);
	assert.equal(credential.port, tlsPort);
	// Two clients relay to each other, each over TLS to coturn (-t -S).
	// uclient loses count when two TURN frames arrive in one TLS read, so
	// its messages are spaced out.
	const count = 5;
	const run = await runUclient([
		'-t', '-S', '-y', '-c', '-n', String(count), '-z', '200',
		'-u', credential.username, '-w', credential.password, '-p', String(credential.port), '127.0.0.1',
	]);
	assert.equal(run.code, 0, run.output);
	assert.match(run.output, new RegExp(`tot_send_msgs=${2 * count}, tot_recv_msgs=${2 * count}\\b`));
	assert.match(run.output, /Total lost packets 0 \(0\.000000%\)/);
	// coturn and the signaling port serve the same certificate, which
	// verifies for 127.0.0.1 (uclient's -E does not enforce verification).
	const coturnServes = await handshake(tlsPort, { ca: certificate.pem, rejectUnauthorized: true });
	assert.equal(coturnServes.fingerprint, certificate.fingerprint);
	assert.equal((await handshake(daemon.port)).fingerprint, certificate.fingerprint);
	// A credential coturn does not know is refused over TLS too.
	const refused = await runUclient([
		'-t', '-S', '-y', '-c', '-n', '1', '-u', credential.username, '-w', 'not-the-password',
		'-p', String(credential.port), '127.0.0.1',
	]);
	assert.notEqual(refused.code, 0);
	assert.match(refused.output, /Cannot complete Allocation/);
});

test('coturn with the shipped TLS lines speaks TLS 1.2 with ECDHE and AEAD ciphers only', async (t) => {
	assert.ok(TLS_LINES.some((line) => line.startsWith('cipher-list=')), 'turnserver.conf sets cipher-list');
	const { tlsPort } = await startTlsStack(t);
	// coturn 4.6.1 negotiates TLS 1.2 at most; a client that offers 1.3 too
	// gets 1.2.
	const negotiated = await handshake(tlsPort);
	assert.equal(negotiated.protocol, 'TLSv1.2');
	assert.match(negotiated.cipher, /^ECDHE-ECDSA-(AES\d+-GCM|CHACHA20-POLY1305)/);
	// cipher-list: a client offering only CBC suites finds nothing in common.
	await assert.rejects(handshake(tlsPort, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA' }));
	// TLS 1.0 and 1.1 get an alert at once, not silence until a timeout
	// (they have no AEAD suite, and OpenSSL's security level refuses them).
	for (const version of ['TLSv1', 'TLSv1.1']) {
		await assert.rejects(
			handshake(tlsPort, { minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' }),
			(error) => /^ERR_SSL_(TLSV1|SSLV3)_ALERT_/.test(error.code),
			`${version} is refused with an alert`,
		);
	}
});

test('SIGUSR2 makes coturn serve a renewed certificate', async (t) => {
	const { dir, turn, tlsPort, certificate, served } = await startTlsStack(t);
	assert.equal((await handshake(tlsPort)).fingerprint, certificate.fingerprint);
	const renewed = makeCertificate(dir, 'renewed.localhost');
	installCertificate(served, renewed);
	turn.child.kill('SIGUSR2');
	const deadline = Date.now() + 5000;
	let fingerprint;
	while (Date.now() < deadline) {
		fingerprint = (await handshake(tlsPort)).fingerprint;
		if (fingerprint === renewed.fingerprint) break;
		await sleep(100);
	}
	assert.equal(fingerprint, renewed.fingerprint, turn.log());
	assert.equal(turn.child.exitCode, null);
});
