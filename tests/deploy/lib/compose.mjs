// docker-compose.yml as the deployment tests see it: the output of Debian's
// `docker-compose config` (the same parser and validation `docker compose up`
// applies) for an env file, parsed into an object, and env files derived from
// .env.example with a few values changed.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');
export const COMPOSE_FILE = path.join(repoRoot, 'docker-compose.yml');
export const ENV_EXAMPLE = path.join(repoRoot, '.env.example');

// Runs `docker-compose [--env-file FILE] -f docker-compose.yml config`.
// Resolves with {code, stdout, stderr}.
export function runComposeConfig(envFile, composeFile = COMPOSE_FILE) {
	const args = [];
	if (envFile) args.push('--env-file', envFile);
	args.push('-f', composeFile, 'config');
	return new Promise((resolve) => {
		execFile('docker-compose', args, { cwd: path.dirname(composeFile), timeout: 30000 }, (error, stdout, stderr) => {
			resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr });
		});
	});
}

// The validated configuration for envFile, as an object; throws with
// docker-compose's message when it refuses the file.
export async function composeConfig(envFile, composeFile = COMPOSE_FILE) {
	const result = await runComposeConfig(envFile, composeFile);
	if (result.code !== 0) throw new Error(`docker-compose config failed (${result.code}):\n${result.stderr}`);
	return parse(result.stdout);
}

// The KEY=VALUE assignments of an env file, in order, as a Map.
export function readEnvFile(file) {
	const values = new Map();
	for (const line of readFileSync(file, 'utf8').split('\n')) {
		const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
		if (match) values.set(match[1], match[2]);
	}
	return values;
}

// Writes .env.example with the given keys changed to file. Every key must
// already be in .env.example: a renamed variable fails here, not silently.
export function writeDerivedEnv(file, changes) {
	const example = readEnvFile(ENV_EXAMPLE);
	for (const key of Object.keys(changes)) {
		if (!example.has(key)) throw new Error(`${key} is not in .env.example`);
	}
	const lines = readFileSync(ENV_EXAMPLE, 'utf8')
		.split('\n')
		.map((line) => {
			const match = /^([A-Z_][A-Z0-9_]*)=/.exec(line);
			return match && match[1] in changes ? `${match[1]}=${changes[match[1]]}` : line;
		});
	writeFileSync(file, lines.join('\n'));
	return file;
}

// "src:dst[:mode]" or {source, target, read_only} as {source, target, readOnly, named}.
export function parseVolume(volume) {
	if (typeof volume !== 'string') {
		return { source: volume.source, target: volume.target, readOnly: Boolean(volume.read_only), named: volume.type === 'volume' };
	}
	const parts = volume.split(':');
	const [source, target, mode = 'rw'] = parts;
	return { source, target, readOnly: mode.split(',').includes('ro'), named: !source.startsWith('/') && !source.startsWith('.') };
}

// Compose durations such as "15s", "1m30s" or "500ms", in milliseconds.
export function durationMs(text) {
	if (typeof text === 'number') return text / 1e6; // nanoseconds, as some versions print
	let total = 0;
	const pattern = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
	let match;
	let consumed = '';
	while ((match = pattern.exec(text))) {
		total += Number(match[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000 }[match[2]];
		consumed += match[0];
	}
	if (consumed !== text) throw new Error(`not a duration: ${text}`);
	return total;
}
