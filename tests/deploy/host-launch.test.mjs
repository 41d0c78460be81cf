// The compose deployment started on this host without a Docker engine: each
// service of `docker-compose config` runs with its entrypoint, environment,
// working directory and health check exactly, paths mapped to temporary
// directories (lib/launch.mjs says how). Then what an operator and the users
// see: the first start generates the certificate, the database and its JWT
// secret and prints how to add the first user; that user logs in over HTTPS;
// two WSS clients relay offer, answer and candidate, the offer carrying turn:
// and turns: URLs with a credential; the credential relays to a peer host
// over UDP and over TLS; a restart regenerates nothing and keeps users,
// tokens, secrets and the certificate.
//
// The deployment's .env is .env.example with what a test host must change:
// free loopback ports, a small relay range, LISTEN_IP 127.0.0.1 (nothing
// listens beyond loopback) and RELAY_IP on a veth pair to a network namespace
// the test creates as the peer host (lib/netns.mjs): the shipped
// turnserver.conf denies loopback and private peers, as production must.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { X509Certificate, createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { composeConfig, writeDerivedEnv, repoRoot } from './lib/compose.mjs';
import { HostDeployment } from './lib/launch.mjs';
import { createPeerHost, HOST_ADDRESS, PEER_ADDRESS } from './lib/netns.mjs';
import { connectAuthenticated, login, request } from './lib/client.mjs';
import { freePort } from '../turn/lib/harness.mjs';
import { TurnClient } from '../turn/lib/stun.mjs';

const turnBuild = path.resolve(repoRoot, process.env.ICEGATE_TURN_BUILD || 'build/turn');
const UCLIENT = path.join(turnBuild, 'bin/turnutils_uclient');
const PEER = path.join(turnBuild, 'bin/turnutils_peer');
const RELAY = { min: 40000, max: 40099 };
const ROOM = 'deploy';
const SHUTDOWN_BOUND_MS = 5000;

// Runs turnutils_uclient to completion; resolves with {code, output}.
function uclient(args) {
	return new Promise((resolve) => {
		const child = spawn(UCLIENT, args, { stdio: ['ignore', 'pipe', 'pipe'] });
		let output = '';
		child.stdout.on('data', (chunk) => (output += chunk));
		child.stderr.on('data', (chunk) => (output += chunk));
		const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
		child.once('exit', (code) => {
			clearTimeout(timer);
			resolve({ code, output });
		});
	});
}

function fingerprint(file) {
	return new X509Certificate(readFileSync(file)).fingerprint256;
}

function sha256(file) {
	return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function mode(file) {
	return statSync(file).mode & 0o777;
}

// The database's JWT secret(s) and TURN secrets, to compare across a restart.
function storedSecrets(dbPath) {
	return execFileSync('sqlite3', ['-readonly', dbPath, "SELECT key, value FROM ig_settings WHERE key LIKE 'jwt_secret%'; SELECT value FROM turn_secret ORDER BY value;"], {
		encoding: 'utf8',
		timeout: 10000,
	});
}

// "turn:HOST:PORT?transport=T" and "turns:HOST:PORT?transport=tcp" of an iceServers list.
function turnUrls(iceServers) {
	const entry = iceServers.find((server) => server.username);
	assert.ok(entry, `a TURN entry with a credential in ${JSON.stringify(iceServers)}`);
	const parsed = entry.urls.map((url) => /^(turns?):([^:?]+):(\d+)\?transport=(udp|tcp)$/.exec(url)).filter(Boolean);
	return { entry, urls: parsed.map(([, scheme, host, port, transport]) => ({ scheme, host, port: Number(port), transport })) };
}

// The address a name in a URL stands for: the test's DNS is /etc/hosts.
function resolveHost(host) {
	return host === 'localhost' ? '127.0.0.1' : host;
}

describe('the compose services launched on this host', () => {
	const state = {};

	before(async () => {
		state.dir = mkdtempSync(path.join(tmpdir(), 'icegate-deploy-env-'));
		state.ports = { signaling: await freePort(), metrics: await freePort(), turn: await freePort(), turns: await freePort(), peer: await freePort() };
		state.peer = await createPeerHost(PEER, state.ports.peer);
		const envFile = writeDerivedEnv(path.join(state.dir, '.env'), {
			DOMAIN: 'localhost',
			LISTEN_IP: '127.0.0.1',
			RELAY_IP: HOST_ADDRESS,
			SIGNALING_PORT: state.ports.signaling,
			METRICS_LISTEN: `127.0.0.1:${state.ports.metrics}`,
			TURN_PORT: state.ports.turn,
			TURNS_PORT: state.ports.turns,
			RELAY_MIN_PORT: RELAY.min,
			RELAY_MAX_PORT: RELAY.max,
			LETSENCRYPT_DIR: path.join(state.dir, 'letsencrypt'),
		});
		state.config = await composeConfig(envFile);
		state.deployment = new HostDeployment(state.config);
		state.icegate = await state.deployment.start('icegate');
		state.turn = await state.deployment.start('turn');
		const env = state.deployment.environment('icegate');
		// .env.example mounts no certificate: the self-signed one lives in the volume.
		assert.equal(env.ICEGATE_CERT, '');
		state.files = {
			cert: path.join(env.ICEGATE_STATE_DIR, 'tls/fullchain.pem'),
			pkey: path.join(env.ICEGATE_STATE_DIR, 'tls/privkey.pem'),
			db: path.join(env.ICEGATE_STATE_DIR, 'icegate.db'),
			runtimeConfig: path.join(env.ICEGATE_RUN_DIR, 'signaling.conf'),
		};
		state.endpoint = {
			tls: true,
			host: '127.0.0.1',
			port: state.ports.signaling,
			domain: 'localhost',
			ca: readFileSync(state.files.cert),
		};
	});

	after(async () => {
		for (const client of state.clients ?? []) client.close();
		await state.icegate?.stop('SIGKILL');
		await state.turn?.stop('SIGKILL');
		await state.peer?.remove();
		state.deployment?.remove();
		if (state.dir) rmSync(state.dir, { recursive: true, force: true });
	});

	test('the first start generates the certificate, the database and its secret, and says how to add the first user', () => {
		const log = state.icegate.output();
		assert.match(log, /generated a self-signed certificate for localhost/);
		assert.match(log, /first start: icegate creates the database/);
		assert.match(log, /generated a new JWT signing secret/);
		assert.match(log, /no user yet/);
		assert.equal(new X509Certificate(readFileSync(state.files.cert)).checkHost('localhost'), 'localhost');
		assert.equal(mode(state.files.pkey), 0o600, 'the private key is mode 0600');
		assert.equal(mode(state.files.runtimeConfig), 0o600, 'the effective configuration is private');
		assert.equal(mode(state.files.db), 0o600, 'the database is private');
		assert.match(storedSecrets(state.files.db), /^jwt_secret/m, 'the JWT secret is kept in the database');
		// coturn waited for the database and serves turns: with that certificate.
		assert.match(state.turn.output(), /waiting for the icegate service|Relay address to use/);
	});

	test('the printed command adds a user who logs in over HTTPS; WSS clients relay offer, answer and candidate with turn: and turns: URLs', async () => {
		const hint = /docker compose exec -T icegate (icegatectl .* user add NAME --password-stdin)/.exec(state.icegate.output());
		assert.ok(hint, state.icegate.output());
		state.users = {};
		for (const name of ['alice', 'bob']) {
			const password = `${name} deploys icegate`;
			const args = hint[1].split(' ').map((word) => (word === 'NAME' ? name : word));
			// What `docker compose exec` runs: the command, in the container's environment.
			const added = execFileSync(args[0], args.slice(1), {
				input: password,
				env: state.deployment.environment('icegate'),
				cwd: state.deployment.workingDirectory('icegate'),
				encoding: 'utf8',
				timeout: 20000,
			});
			assert.match(added, new RegExp(`added user '${name}'`));
			const response = await login(state.endpoint, name, password);
			assert.equal(response.status, 200, response.text);
			assert.equal(response.certificate.fingerprint256, fingerprint(state.files.cert), 'HTTPS serves the generated certificate');
			state.users[name] = { password, tokens: response.json };
		}

		const alice = await connectAuthenticated(state.endpoint, state.users.alice.tokens.access_token);
		const bob = await connectAuthenticated(state.endpoint, state.users.bob.tokens.access_token);
		state.clients = [alice, bob];
		await alice.request({ type: 'join', room: ROOM, role: 'sender' }, 'joined');
		const bobJoined = await bob.request({ type: 'join', room: ROOM, role: 'receiver' }, 'joined');
		assert.equal(bobJoined.peers.length, 1);
		const alicePeerId = bobJoined.peers[0].id;

		bob.send({ type: 'offer', sdp: 'v=0 offer from bob' });
		const offer = await alice.nextMessage('offer', 5000);
		assert.equal(offer.sdp, 'v=0 offer from bob');
		assert.equal(offer.from, bobJoined.id);
		const { entry, urls } = turnUrls(offer.iceServers);
		assert.deepEqual(
			urls.map((url) => `${url.scheme}:${url.host}:${url.port}?${url.transport}`).sort(),
			[`turn:localhost:${state.ports.turn}?tcp`, `turn:localhost:${state.ports.turn}?udp`, `turns:localhost:${state.ports.turns}?tcp`],
		);
		state.credential = { username: entry.username, password: entry.credential };

		alice.send({ type: 'answer', to: offer.from, sdp: 'v=0 answer from alice' });
		const answer = await bob.nextMessage('answer', 5000);
		assert.equal(answer.from, alicePeerId);
		assert.equal(answer.sdp, 'v=0 answer from alice');
		assert.ok(turnUrls(answer.iceServers).urls.some((url) => url.scheme === 'turns'));

		const candidate = { candidate: `candidate:1 1 udp 2 ${HOST_ADDRESS} ${RELAY.min} typ relay`, sdpMid: '0', sdpMLineIndex: 0 };
		alice.send({ type: 'candidate', to: offer.from, candidate });
		const relayed = await bob.nextMessage('candidate', 5000);
		assert.equal(relayed.from, alicePeerId);
		for (const field of ['candidate', 'sdpMid', 'sdpMLineIndex']) assert.equal(relayed.candidate[field], candidate[field]);

		for (const service of [state.icegate, state.turn]) {
			for (const user of Object.values(state.users)) {
				assert.ok(!service.output().includes(user.password), `${service.name}'s log shows no password`);
				assert.ok(!service.output().includes(user.tokens.access_token), `${service.name}'s log shows no token`);
			}
		}
	});

	test('/metrics is served on METRICS_LISTEN only, and counts the logins above', async () => {
		const publicMetrics = await request(state.endpoint, 'GET', '/metrics');
		assert.equal(publicMetrics.status, 404, 'the public port does not serve /metrics');
		const scraped = await request({ host: '127.0.0.1', port: state.ports.metrics }, 'GET', '/metrics');
		assert.equal(scraped.status, 200, scraped.text);
		assert.match(scraped.text, /^icegate_auth_attempts_total\{method="login",result="ok"\} [2-9]\d*$/m);
	});

	test('icegatectl doctor, run in the icegate container, finds the deployment consistent', () => {
		const env = state.deployment.environment('icegate');
		// docker compose exec icegate icegatectl -c /run/icegate/signaling.conf doctor
		const doctor = spawnSync('icegatectl', ['-c', state.files.runtimeConfig, 'doctor'], { env, encoding: 'utf8', timeout: 20000 });
		const report = `${doctor.stdout}${doctor.stderr}`;
		assert.equal(doctor.status, 0, report);
		assert.doesNotMatch(report, /FAIL/, report);
		assert.doesNotMatch(state.icegate.output(), /turnserver\.conf:/, 'the daemon found nothing to change in coturn\'s configuration');
	});

	test('the credential from the offer relays to a peer host through coturn over UDP and over TLS', async () => {
		assert.ok(state.credential, 'the previous test got a credential');
		const client = await TurnClient.connect({ host: resolveHost('localhost'), port: state.ports.turn });
		try {
			const allocation = await client.allocate(state.credential);
			assert.equal(allocation.code, 200, allocation.reason);
			assert.equal(allocation.relayed.address, HOST_ADDRESS, 'relayed on RELAY_IP');
			assert.ok(allocation.relayed.port >= RELAY.min && allocation.relayed.port <= RELAY.max, 'within the relay range');
			const peer = { address: PEER_ADDRESS, port: state.ports.peer };
			assert.equal((await client.createPermission(peer)).code, 200);
			const echoed = new Promise((resolve) => (client.onData = (from, data) => resolve({ from, data: data.toString() })));
			client.send(peer, Buffer.from('hello through the relay'));
			const reply = await Promise.race([echoed, new Promise((_, reject) => setTimeout(() => reject(new Error('no echo from the peer host')), 5000))]);
			assert.deepEqual(reply, { from: peer, data: 'hello through the relay' });
		} finally {
			client.close();
		}

		const common = ['-c', '-n', '5', '-z', '20', '-e', PEER_ADDRESS, '-r', String(state.ports.peer), '-u', state.credential.username, '-w', state.credential.password];
		const udp = await uclient([...common, '-p', String(state.ports.turn), '127.0.0.1']);
		assert.equal(udp.code, 0, udp.output);
		assert.match(udp.output, /tot_send_msgs=5, tot_recv_msgs=5\b/);
		// turns: with the generated certificate as the authority the client checks against.
		const tls = await uclient(['-t', '-S', '-E', state.files.cert, ...common, '-p', String(state.ports.turns), '127.0.0.1']);
		assert.equal(tls.code, 0, tls.output);
		assert.match(tls.output, /tot_send_msgs=5, tot_recv_msgs=5\b/);
	});

	test('turns: serves the deployment certificate over TLS 1.2 and refuses older protocols and ciphers without forward secrecy', () => {
		const connect = (...args) => {
			const result = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${state.ports.turns}`, ...args], {
				input: '',
				encoding: 'utf8',
				timeout: 10000,
			});
			return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
		};
		const modern = connect('-tls1_2', '-CAfile', state.files.cert, '-verify_hostname', 'localhost', '-verify_return_error');
		assert.ok(modern.ok, modern.output);
		assert.match(modern.output, /Cipher is ECDHE-/);
		// The client offers what it is told to, whatever its own policy says.
		for (const refused of [['-tls1', '-cipher', 'DEFAULT:@SECLEVEL=0'], ['-tls1_1', '-cipher', 'DEFAULT:@SECLEVEL=0'], ['-tls1_2', '-cipher', 'AES128-GCM-SHA256:@SECLEVEL=0']]) {
			const attempt = connect(...refused);
			assert.ok(!attempt.ok, `${refused.join(' ')} was accepted:\n${attempt.output}`);
			assert.match(attempt.output, /alert handshake failure/, refused.join(' '));
		}
	});

	test('SIGTERM stops both services in time, and a restart regenerates nothing and keeps users, tokens and secrets', async (t) => {
		assert.ok(state.users, 'the earlier tests created users');
		const before = { fingerprint: fingerprint(state.files.cert), key: sha256(state.files.pkey), secrets: storedSecrets(state.files.db) };

		const [alice, bob] = state.clients;
		const stopped = await state.icegate.stop('SIGTERM');
		assert.equal(stopped.code, 0, state.icegate.output());
		assert.ok(stopped.ms < SHUTDOWN_BOUND_MS + 1000, `icegate exited after ${stopped.ms} ms`);
		for (const client of [alice, bob]) assert.equal((await client.waitClose(1000)).code, 1001);
		const turnStopped = await state.turn.stop('SIGTERM');
		assert.ok(turnStopped.ms < 3000, `coturn exited after ${turnStopped.ms} ms`);

		state.icegate = await state.deployment.start('icegate');
		state.turn = await state.deployment.start('turn');
		const log = state.icegate.output();
		assert.doesNotMatch(log, /generated a self-signed|first start|no user yet|generated a new JWT signing secret/);
		assert.equal(fingerprint(state.files.cert), before.fingerprint, 'the same certificate');
		assert.equal(sha256(state.files.pkey), before.key, 'the same key');
		assert.equal(storedSecrets(state.files.db), before.secrets, 'the same JWT and TURN secrets');

		const again = await login(state.endpoint, 'alice', state.users.alice.password);
		assert.equal(again.status, 200, again.text);
		// A token from before the restart still authenticates: same signing secret.
		const client = await connectAuthenticated(state.endpoint, state.users.bob.tokens.access_token);
		client.close();
		const turnClient = await TurnClient.connect({ host: '127.0.0.1', port: state.ports.turn });
		try {
			assert.equal((await turnClient.allocate(state.credential)).code, 200, 'a TURN credential from before the restart');
		} finally {
			turnClient.close();
		}
		t.diagnostic(`SIGTERM to exit: icegate ${stopped.ms} ms, coturn ${turnStopped.ms} ms`);
	});

	test('an online backup made as the README says holds the users, while the services run', () => {
		assert.ok(state.users, 'the earlier tests created users');
		const env = state.deployment.environment('icegate');
		const backup = path.join(env.ICEGATE_STATE_DIR, 'backup.db');
		// docker compose exec icegate sqlite3 /var/lib/icegate/icegate.db ".backup /var/lib/icegate/backup.db"
		execFileSync('sqlite3', [state.files.db, `.backup ${backup}`], { env, timeout: 20000 });
		const users = JSON.parse(execFileSync('icegatectl', ['--db', backup, 'user', 'list', '--json'], { env, encoding: 'utf8', timeout: 20000 }));
		assert.deepEqual(users.map((user) => user.name).sort(), ['alice', 'bob']);
	});
});
