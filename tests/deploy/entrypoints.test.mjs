// The containers' entrypoints (docker/*-entrypoint.sh) on the inputs a
// deployment can get wrong, each refused with a message naming what to fix
// before anything starts; the two other ways .env can set up TLS, a mounted
// Let's Encrypt certificate (served by the daemon and by coturn, nothing
// generated) and plain HTTP behind a TLS-terminating proxy; and a JWT secret
// given in .env. The services run as docker-compose.yml says, through
// lib/launch.mjs.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { X509Certificate, createHmac } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { composeConfig, writeDerivedEnv } from './lib/compose.mjs';
import { HostDeployment } from './lib/launch.mjs';
import { request } from './lib/client.mjs';
import { freePort } from '../turn/lib/harness.mjs';

const temporary = [];
after(() => {
	for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

function tempDir() {
	const dir = mkdtempSync(path.join(tmpdir(), 'icegate-entrypoint-'));
	temporary.push(dir);
	return dir;
}

// A deployment of .env.example with changes, on free loopback ports.
async function deployment(changes = {}) {
	const dir = tempDir();
	const envFile = writeDerivedEnv(path.join(dir, '.env'), {
		DOMAIN: 'localhost',
		LISTEN_IP: '127.0.0.1',
		RELAY_IP: '127.0.0.1',
		SIGNALING_PORT: await freePort(),
		TURN_PORT: await freePort(),
		TURNS_PORT: await freePort(),
		RELAY_MIN_PORT: 41000,
		RELAY_MAX_PORT: 41099,
		LETSENCRYPT_DIR: path.join(dir, 'letsencrypt'),
		...changes,
	});
	const config = await composeConfig(envFile);
	const deployed = new HostDeployment(config);
	temporary.push(deployed.root);
	return deployed;
}

// A certificate as certbot lays it out: live/DOMAIN/{fullchain,privkey}.pem.
function letsEncryptLayout(dir, domain) {
	const live = path.join(dir, 'live', domain);
	mkdirSync(live, { recursive: true });
	execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '30', '-subj', `/CN=${domain}`, '-addext', `subjectAltName=DNS:${domain}`, '-keyout', path.join(live, 'privkey.pem'), '-out', path.join(live, 'fullchain.pem')], { stdio: 'ignore' });
	return { cert: path.join(live, 'fullchain.pem'), pkey: path.join(live, 'privkey.pem') };
}

// The SHA-256 fingerprint of the certificate coturn serves on port, as Node prints them.
function turnsFingerprint(port) {
	const result = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`], { input: '', encoding: 'utf8', timeout: 10000 });
	const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(result.stdout)?.[0];
	return pem ? new X509Certificate(pem).fingerprint256 : null;
}

describe('the icegate entrypoint refuses what it cannot run with', () => {
	const cases = [
		['ICEGATE_TLS is neither on nor off', { ICEGATE_TLS: 'maybe' }, /ICEGATE_TLS must be on or off, not 'maybe'/],
		['a missing signaling.conf', { ICEGATE_CONFIG: '/nonexistent/signaling.conf' }, /cannot read \/nonexistent\/signaling\.conf/],
		['a certificate without its key', { ICEGATE_CERT: '/etc/letsencrypt/live/x/fullchain.pem' }, /set both ICEGATE_CERT and ICEGATE_PKEY/],
		['a JWT secret with a double quote', { ICEGATE_JWT_SECRET: 'a"b-and-enough-characters-to-be-long-enough' }, /jwt_secret must not contain a double quote or a line break/],
		['a JWT secret with a line break', { ICEGATE_JWT_SECRET: 'line one is long enough\nport = 1' }, /jwt_secret must not contain a double quote or a line break/],
		['a TURN port that is not a number', { ICEGATE_TURN_PORT: '3478x' }, /ICEGATE_TURN_PORT must be a port number in 1\.\.65535, not '3478x'/],
	];
	for (const [what, changes, message] of cases) {
		test(what, async () => {
			const deployed = await deployment();
			const result = deployed.run('icegate', changes);
			assert.equal(result.status, 1, result.output);
			assert.match(result.output, message);
			const stateDir = deployed.environment('icegate').ICEGATE_STATE_DIR;
			assert.ok(!existsSync(path.join(stateDir, 'icegate.db')), 'no database was created');
			assert.ok(!existsSync(path.join(stateDir, 'tls')), 'no certificate was made');
		});
	}

	test('mounted certificate files that are not there: nothing generated in their place', async () => {
		const deployed = await deployment({
			TLS_CERT: '/etc/letsencrypt/live/localhost/fullchain.pem',
			TLS_KEY: '/etc/letsencrypt/live/localhost/privkey.pem',
		});
		const result = deployed.run('icegate');
		assert.equal(result.status, 1, result.output);
		assert.match(result.output, /live\/localhost\/fullchain\.pem does not exist: mount it/);
		assert.ok(!existsSync(deployed.environment('icegate').ICEGATE_CERT), 'no certificate made at the mounted path');
	});

	test('half of a generated certificate: says which file to delete', async () => {
		const deployed = await deployment();
		const tls = path.join(deployed.environment('icegate').ICEGATE_STATE_DIR, 'tls');
		mkdirSync(tls, { recursive: true });
		writeFileSync(path.join(tls, 'privkey.pem'), 'a key without its certificate');
		const result = deployed.run('icegate');
		assert.equal(result.status, 1, result.output);
		assert.match(result.output, /privkey\.pem exists but its certificate .*fullchain\.pem does not: delete it/);
	});

	test('a port the daemon refuses: its message names the option', async () => {
		const deployed = await deployment({ SIGNALING_PORT: '70000' });
		const result = deployed.run('icegate');
		assert.notEqual(result.status, 0, result.output);
		assert.match(result.output, /port/);
	});
});

describe('the turn entrypoint refuses what it cannot run with', () => {
	const cases = [
		['an empty relay range', { ICEGATE_TURN_MIN_PORT: '50001', ICEGATE_TURN_MAX_PORT: '50000' }, /the relay range 50001-50000 is empty/],
		['a port that is not a number', { ICEGATE_TURN_PORT: 'turn' }, /ICEGATE_TURN_PORT must be a port number in 1\.\.65535, not 'turn'/],
		['a port out of range', { ICEGATE_TURNS_PORT: '65536' }, /ICEGATE_TURNS_PORT must be a port number/],
		['a certificate without its key', { ICEGATE_PKEY: '/etc/letsencrypt/live/x/privkey.pem' }, /set both ICEGATE_CERT and ICEGATE_PKEY/],
		['a wait that is not a number of seconds', { ICEGATE_TURN_WAIT_SECONDS: 'soon' }, /ICEGATE_TURN_WAIT_SECONDS must be a number of seconds/],
		['an address with a line break, which would add an option', { ICEGATE_TURN_EXTERNAL_IP: '203.0.113.5\nno-auth' }, /the value of external-ip must not contain a line break/],
	];
	for (const [what, changes, message] of cases) {
		test(what, async () => {
			const result = (await deployment()).run('turn', changes);
			assert.equal(result.status, 1, result.output);
			assert.match(result.output, message);
		});
	}

	test('no database from the icegate service: waits, then exits for the restart policy', async () => {
		const started = Date.now();
		const result = (await deployment()).run('turn', { ICEGATE_TURN_WAIT_SECONDS: '1' });
		assert.equal(result.status, 1, result.output);
		assert.match(result.output, /waiting for the icegate service/);
		assert.match(result.output, /still missing after 1 s: is the icegate service running on the same volume\?/);
		assert.ok(Date.now() - started < 5000);
	});
});

describe('certificates, TLS and the JWT secret as .env sets them', () => {
	test("a mounted Let's Encrypt certificate is served by the daemon and by coturn, nothing is generated, and a renewal reloads in both", async (t) => {
		const dir = tempDir();
		const letsencrypt = path.join(dir, 'letsencrypt');
		const files = letsEncryptLayout(letsencrypt, 'localhost');
		const deployed = await deployment({
			LETSENCRYPT_DIR: letsencrypt,
			TLS_CERT: '/etc/letsencrypt/live/localhost/fullchain.pem',
			TLS_KEY: '/etc/letsencrypt/live/localhost/privkey.pem',
		});
		const icegate = await deployed.start('icegate');
		t.after(() => icegate.stop('SIGKILL'));
		const turn = await deployed.start('turn');
		t.after(() => turn.stop('SIGKILL'));
		const env = deployed.environment('icegate');
		assert.equal(env.ICEGATE_CERT, files.cert, 'the container path maps to the mounted file');
		assert.doesNotMatch(icegate.output(), /generated a self-signed/);
		assert.ok(!existsSync(path.join(env.ICEGATE_STATE_DIR, 'tls')), 'no certificate in the volume');

		const expected = new X509Certificate(readFileSync(files.cert)).fingerprint256;
		const endpoint = { tls: true, host: '127.0.0.1', port: Number(env.ICEGATE_PORT), domain: 'localhost', ca: readFileSync(files.cert) };
		const health = await request(endpoint, 'GET', '/healthz');
		assert.equal(health.status, 200);
		assert.equal(health.certificate.fingerprint256, expected, 'HTTPS serves the mounted certificate');
		const turns = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${env.ICEGATE_TURNS_PORT}`, '-CAfile', files.cert, '-verify_hostname', 'localhost', '-verify_return_error'], {
			input: '',
			encoding: 'utf8',
			timeout: 10000,
		});
		assert.equal(turns.status, 0, `turns: serves the mounted certificate:\n${turns.stdout}${turns.stderr}`);

		// A renewal, then the README's deploy hook: SIGHUP to the daemon, SIGUSR2 to coturn.
		const renewed = letsEncryptLayout(path.join(dir, 'renewed'), 'localhost');
		for (const [from, to] of [[renewed.pkey, files.pkey], [renewed.cert, files.cert]]) {
			copyFileSync(from, `${to}.new`);
			renameSync(`${to}.new`, to);
		}
		const renewedFingerprint = new X509Certificate(readFileSync(files.cert)).fingerprint256;
		icegate.child.kill('SIGHUP');
		turn.child.kill('SIGUSR2');
		// Until the reload lands the old certificate is served: trust both while polling.
		const bothCertificates = [endpoint.ca, readFileSync(files.cert)];
		const served = async () => ({
			https: (await request({ ...endpoint, ca: bothCertificates }, 'GET', '/healthz')).certificate.fingerprint256,
			turns: turnsFingerprint(env.ICEGATE_TURNS_PORT),
		});
		const deadline = Date.now() + 5000;
		let now = await served();
		while ((now.https !== renewedFingerprint || now.turns !== renewedFingerprint) && Date.now() < deadline) {
			await new Promise((resolve) => setTimeout(resolve, 100));
			now = await served();
		}
		assert.deepEqual(now, { https: renewedFingerprint, turns: renewedFingerprint }, 'both serve the renewed certificate');
		assert.ok(!icegate.exited && !turn.exited, 'neither restarted');
	});

	test('SIGNALING_TLS=off serves plain HTTP for a TLS-terminating proxy, and the health check follows', async (t) => {
		const deployed = await deployment({ SIGNALING_TLS: 'off' });
		const icegate = await deployed.start('icegate');
		t.after(() => icegate.stop('SIGKILL'));
		const env = deployed.environment('icegate');
		const health = await request({ tls: false, host: '127.0.0.1', port: Number(env.ICEGATE_PORT) }, 'GET', '/healthz');
		assert.equal(health.status, 200);
		const runtime = readFileSync(path.join(env.ICEGATE_RUN_DIR, 'signaling.conf'), 'utf8');
		assert.match(runtime, /^cert = ""$/m);
		// coturn still gets the generated certificate for turns:.
		assert.ok(existsSync(path.join(env.ICEGATE_STATE_DIR, 'tls/fullchain.pem')));
		assert.match(runtime, /^turn_tls = "on"$/m);
	});

	test('JWT_SECRET signs the tokens instead of a generated secret, and appears in no log', async (t) => {
		const secret = 'the-deployment-jwt-secret-0123456789abcdef';
		const deployed = await deployment({ JWT_SECRET: secret, SIGNALING_TLS: 'off' });
		const icegate = await deployed.start('icegate');
		t.after(() => icegate.stop('SIGKILL'));
		const env = deployed.environment('icegate');
		const runtimeConfig = path.join(env.ICEGATE_RUN_DIR, 'signaling.conf');
		const added = spawnSync('icegatectl', ['-c', runtimeConfig, 'user', 'add', 'carol', '--password-stdin'], { input: 'carol password', env, encoding: 'utf8' });
		assert.equal(added.status, 0, added.stderr);
		const endpoint = { tls: false, host: '127.0.0.1', port: Number(env.ICEGATE_PORT) };
		const response = await request(endpoint, 'POST', '/api/v1/auth/login', { username: 'carol', password: 'carol password' });
		assert.equal(response.status, 200, response.text);
		const [header, payload, signature] = response.json.access_token.split('.');
		assert.equal(createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url'), signature);
		assert.doesNotMatch(icegate.output(), /generated a new JWT signing secret/);
		assert.ok(!icegate.output().includes(secret), 'the secret is not logged');
		assert.equal(statSync(runtimeConfig).mode & 0o777, 0o600, 'the file holding it is private');
	});
});
