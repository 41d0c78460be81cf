// docker-compose.yml validated by Debian's docker-compose (`docker-compose
// config`, the parser `up` uses) with .env.example as the .env, and the
// properties a deployment depends on: two services on the host network
// sharing one database volume, read-only configuration, restarts, health
// checks, a stop grace above the daemon's 5 s bound, the same certificate for
// both, and .env.example documenting exactly the variables the file uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
	COMPOSE_FILE,
	ENV_EXAMPLE,
	composeConfig,
	durationMs,
	parseVolume,
	readEnvFile,
	repoRoot,
	runComposeConfig,
	writeDerivedEnv,
} from './lib/compose.mjs';
import { parseDockerfile } from './lib/image.mjs';

const DAEMON_SHUTDOWN_BOUND_MS = 5000;

function withTempDir(t) {
	const dir = mkdtempSync(path.join(tmpdir(), 'icegate-compose-'));
	t.after(() => rmSync(dir, { recursive: true, force: true }));
	return dir;
}

test('docker-compose config accepts the file with .env.example: two services on the host network sharing one database volume', async () => {
	const config = await composeConfig(ENV_EXAMPLE);
	assert.deepEqual(Object.keys(config.services).sort(), ['icegate', 'turn']);
	assert.deepEqual(Object.keys(config.volumes), ['icegate-data']);
	const stages = parseDockerfile().map((stage) => stage.name);
	for (const [name, service] of Object.entries(config.services)) {
		assert.equal(service.network_mode, 'host', `${name} uses the host's network`);
		assert.equal(service.restart, 'unless-stopped', name);
		assert.equal(service.stop_signal, 'SIGTERM', name);
		assert.ok(durationMs(service.stop_grace_period) > DAEMON_SHUTDOWN_BOUND_MS, `${name}: grace ${service.stop_grace_period}`);
		assert.equal(service.init, true, `${name}: an init process forwards SIGTERM`);
		assert.equal(service.build.dockerfile, 'docker/Dockerfile', name);
		assert.ok(stages.includes(service.build.target), `${name}: target ${service.build.target} is a Dockerfile stage`);
		assert.equal(service.healthcheck.test[0], 'CMD', name);
		assert.ok(service.entrypoint.length > 0, `${name} names its entrypoint`);
		assert.deepEqual(service.cap_drop, ['ALL'], name);
		assert.ok(service.security_opt.includes('no-new-privileges:true'), name);

		const volumes = service.volumes.map(parseVolume);
		const data = volumes.find((volume) => volume.named);
		assert.deepEqual({ source: data.source, target: data.target, readOnly: data.readOnly }, { source: 'icegate-data', target: '/var/lib/icegate', readOnly: false }, name);
		assert.equal(service.environment.ICEGATE_STATE_DIR, data.target, `${name} keeps its state in the volume`);
		const configs = volumes.filter((volume) => volume.source.startsWith(path.join(repoRoot, 'etc/')));
		assert.ok(configs.length > 0, `${name} mounts its configuration`);
		for (const volume of configs) assert.ok(volume.readOnly, `${volume.source} is mounted read-only`);
	}
	assert.ok(config.services.turn.depends_on.icegate, 'coturn starts after the daemon that creates the database');
});

test('the database coturn reads is the one the daemon writes, with the same certificate', async () => {
	const config = await composeConfig(ENV_EXAMPLE);
	const { icegate, turn } = config.services;
	const userdb = /^userdb=(.*)$/m.exec(readFileSync(path.join(repoRoot, 'etc/turnserver.conf'), 'utf8'))[1];
	assert.equal(userdb, `${icegate.environment.ICEGATE_STATE_DIR}/icegate.db`, 'etc/turnserver.conf userdb is the daemon database in the volume');
	assert.equal(turn.environment.ICEGATE_STATE_DIR, icegate.environment.ICEGATE_STATE_DIR);
	for (const key of ['ICEGATE_CERT', 'ICEGATE_PKEY', 'ICEGATE_TURN_PORT', 'ICEGATE_TURNS_PORT', 'ICEGATE_LISTEN_IP']) {
		assert.equal(turn.environment[key], icegate.environment[key], key);
	}
	assert.equal(icegate.environment.ICEGATE_TURNSERVER_CONFIG, turn.environment.ICEGATE_TURNSERVER_CONFIG);
});

test('the .env values reach both services: domain, addresses, ports, relay range, Let\'s Encrypt files, secret', async (t) => {
	const dir = withTempDir(t);
	const envFile = writeDerivedEnv(path.join(dir, '.env'), {
		DOMAIN: 'meet.example.org',
		LISTEN_IP: '198.51.100.7',
		EXTERNAL_IP: '203.0.113.5/10.0.0.5',
		RELAY_IP: '10.0.0.5',
		SIGNALING_PORT: '443',
		TURN_PORT: '3479',
		TURNS_PORT: '5350',
		RELAY_MIN_PORT: '50000',
		RELAY_MAX_PORT: '50999',
		SIGNALING_TLS: 'off',
		TLS_CERT: '/etc/letsencrypt/live/meet.example.org/fullchain.pem',
		TLS_KEY: '/etc/letsencrypt/live/meet.example.org/privkey.pem',
		LETSENCRYPT_DIR: '/srv/letsencrypt',
		JWT_SECRET: 'a-deployment-secret-of-at-least-32-characters',
	});
	const { icegate, turn } = (await composeConfig(envFile)).services;
	assert.deepEqual(
		{
			domain: icegate.environment.ICEGATE_DOMAIN,
			listen: icegate.environment.ICEGATE_LISTEN_IP,
			port: String(icegate.environment.ICEGATE_PORT),
			tls: icegate.environment.ICEGATE_TLS,
			secret: icegate.environment.ICEGATE_JWT_SECRET,
			cert: icegate.environment.ICEGATE_CERT,
			pkey: icegate.environment.ICEGATE_PKEY,
		},
		{
			domain: 'meet.example.org',
			listen: '198.51.100.7',
			port: '443',
			tls: 'off',
			secret: 'a-deployment-secret-of-at-least-32-characters',
			cert: '/etc/letsencrypt/live/meet.example.org/fullchain.pem',
			pkey: '/etc/letsencrypt/live/meet.example.org/privkey.pem',
		},
	);
	assert.deepEqual(
		['ICEGATE_TURN_PORT', 'ICEGATE_TURNS_PORT', 'ICEGATE_TURN_MIN_PORT', 'ICEGATE_TURN_MAX_PORT', 'ICEGATE_TURN_RELAY_IP', 'ICEGATE_TURN_EXTERNAL_IP', 'ICEGATE_CERT'].map((key) => String(turn.environment[key])),
		['3479', '5350', '50000', '50999', '10.0.0.5', '203.0.113.5/10.0.0.5', '/etc/letsencrypt/live/meet.example.org/fullchain.pem'],
	);
	assert.equal(turn.environment.ICEGATE_JWT_SECRET, undefined, 'coturn is not given the JWT secret');
	for (const service of [icegate, turn]) {
		const letsencrypt = service.volumes.map(parseVolume).find((volume) => volume.target === '/etc/letsencrypt');
		assert.deepEqual({ source: letsencrypt.source, readOnly: letsencrypt.readOnly }, { source: '/srv/letsencrypt', readOnly: true });
	}
});

test('without any .env the file still works, with the documented defaults', async (t) => {
	const empty = path.join(withTempDir(t), 'empty.env');
	writeFileSync(empty, '');
	const { icegate, turn } = (await composeConfig(empty)).services;
	const example = readEnvFile(ENV_EXAMPLE);
	assert.equal(icegate.environment.ICEGATE_DOMAIN, example.get('DOMAIN'));
	assert.equal(String(icegate.environment.ICEGATE_PORT), example.get('SIGNALING_PORT'));
	assert.equal(icegate.environment.ICEGATE_TLS, example.get('SIGNALING_TLS'));
	assert.equal(String(turn.environment.ICEGATE_TURN_MIN_PORT), example.get('RELAY_MIN_PORT'));
	assert.equal(String(turn.environment.ICEGATE_TURN_MAX_PORT), example.get('RELAY_MAX_PORT'));
	assert.equal(icegate.environment.ICEGATE_CERT, '', 'no certificate: the self-signed one');
	assert.equal(icegate.environment.ICEGATE_METRICS_LISTEN, example.get('METRICS_LISTEN'), 'metrics stay off the public port');
});

test('.env.example documents exactly the variables docker-compose.yml uses', () => {
	const used = new Set([...readFileSync(COMPOSE_FILE, 'utf8').matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((match) => match[1]));
	const documented = new Set(readEnvFile(ENV_EXAMPLE).keys());
	assert.deepEqual([...used].sort(), [...documented].sort());
});

test('docker-compose config refuses a broken file, so the checks above would see one', async (t) => {
	const dir = withTempDir(t);
	const broken = path.join(dir, 'docker-compose.yml');
	writeFileSync(broken, readFileSync(COMPOSE_FILE, 'utf8').replace('network_mode: host', 'network_mode: [host]'));
	const result = await runComposeConfig(ENV_EXAMPLE, broken);
	assert.notEqual(result.code, 0);
	assert.match(result.stderr, /network_mode/);
});
