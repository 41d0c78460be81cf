// Runs a service of `docker-compose config` output on this host the way its
// container would run, without a Docker engine: its entrypoint and command,
// with its environment exactly, in its image's working directory, its health
// check as the readiness probe. Only paths change, through one mapping:
//
//   a volume's target (and everything under it)  -> its source: the host file
//                                                  of a bind mount, or one
//                                                  temporary directory per
//                                                  named volume, shared by
//                                                  the services mounting it
//   any other absolute path                       -> the same path under the
//                                                  image root (image.mjs)
//
// Environment values that are absolute paths go through the mapping, and so
// do the image's PATH entries (followed by the host's, for Debian's
// programs). The processes run as the test's user, not uid 10001.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseVolume } from './compose.mjs';
import { layOutImage, parseDockerfile, stage, workdir } from './image.mjs';

const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// Services still running when the test process exits, however it exits,
// are killed with it rather than left behind.
const running = new Set();
process.once('exit', () => {
	for (const child of running) child.kill('SIGKILL');
});

// One deployment: the temporary directories of its images and named
// volumes, kept across restarts of its services.
export class HostDeployment {
	constructor(config) {
		this.config = config;
		this.root = mkdtempSync(path.join(tmpdir(), 'icegate-deploy-'));
		this.volumes = new Map(); // named volume -> host directory
		this.images = new Map(); // build target -> image root
		this.stages = parseDockerfile();
	}

	volumeDir(name) {
		if (!(name in (this.config.volumes ?? {}))) throw new Error(`volume ${name} is not declared in the compose file`);
		if (!this.volumes.has(name)) {
			const dir = path.join(this.root, 'volumes', name);
			mkdirSync(dir, { recursive: true, mode: 0o700 });
			this.volumes.set(name, dir);
		}
		return this.volumes.get(name);
	}

	imageRoot(target) {
		if (!this.images.has(target)) {
			const dir = path.join(this.root, 'images', target);
			layOutImage(target, dir);
			this.images.set(target, dir);
		}
		return this.images.get(target);
	}

	service(name) {
		const service = this.config.services[name];
		if (!service) throw new Error(`no service ${name}`);
		return service;
	}

	// The host path of a path inside service name's container.
	mapPath(name, containerPath) {
		const service = this.service(name);
		let best = null;
		for (const volume of (service.volumes ?? []).map(parseVolume)) {
			const { target } = volume;
			if (containerPath === target || containerPath.startsWith(`${target}/`)) {
				if (!best || target.length > best.target.length) best = volume;
			}
		}
		if (best) {
			const source = best.named ? this.volumeDir(best.source) : best.source;
			return source + containerPath.slice(best.target.length);
		}
		return path.join(this.imageRoot(service.build.target), containerPath);
	}

	// The service's environment with its paths mapped, plus PATH.
	environment(name) {
		const service = this.service(name);
		const env = {};
		for (const [key, value] of Object.entries(service.environment ?? {})) {
			const text = value === null || value === undefined ? '' : String(value);
			env[key] = text.startsWith('/') ? this.mapPath(name, text) : text;
		}
		const imagePath = IMAGE_PATH.split(':').map((dir) => this.mapPath(name, dir));
		env.PATH = [...imagePath, process.env.PATH].join(':');
		return env;
	}

	// The working directory of the service's image, mapped.
	workingDirectory(name) {
		const dir = this.mapPath(name, workdir(stage(this.stages, this.service(name).build.target)));
		mkdirSync(dir, { recursive: true });
		return dir;
	}

	// The command line the container runs: entrypoint then command, mapped.
	commandLine(name) {
		const service = this.service(name);
		const entrypoint = [].concat(service.entrypoint ?? []);
		const command = [].concat(service.command ?? []);
		const [program, ...args] = [...entrypoint, ...command];
		return [this.mapPath(name, program), ...args];
	}

	// Runs the service's health check once; resolves with {ok, output}.
	healthCheck(name) {
		const test = this.service(name).healthcheck?.test;
		if (!Array.isArray(test) || test[0] !== 'CMD') throw new Error(`${name}: healthcheck.test must be ["CMD", ...]`);
		const [program, ...args] = test.slice(1);
		const result = spawnSync(this.mapPath(name, program), args, {
			env: this.environment(name),
			cwd: this.workingDirectory(name),
			encoding: 'utf8',
			timeout: 10000,
		});
		return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
	}

	// Runs the service to completion with some environment variables
	// changed (a bad value, say): {status, output}. For entrypoints that are
	// expected to stop by themselves.
	run(name, changes = {}, { timeoutMs = 20000, uid = null } = {}) {
		const [program, ...args] = this.commandLine(name);
		const result = spawnSync(program, args, {
			env: { ...this.environment(name), ...changes },
			cwd: this.workingDirectory(name),
			encoding: 'utf8',
			timeout: timeoutMs,
			...(uid === null ? {} : { uid, gid: uid }),
		});
		return { status: result.status, signal: result.signal, output: `${result.stdout}${result.stderr}` };
	}

	// Starts the service. Resolves with a RunningService once its health
	// check passes (within timeoutMs); throws with its output otherwise.
	async start(name, { timeoutMs = 20000 } = {}) {
		const [program, ...args] = this.commandLine(name);
		const child = spawn(program, args, {
			env: this.environment(name),
			cwd: this.workingDirectory(name),
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		const running = new RunningService(name, child);
		const deadline = Date.now() + timeoutMs;
		let last = null;
		for (;;) {
			if (running.exited) throw new Error(`${name} exited (${running.exitCode ?? running.exitSignal}):\n${running.output()}`);
			last = this.healthCheck(name);
			if (last.ok) return running;
			if (Date.now() > deadline) {
				await running.stop('SIGKILL');
				throw new Error(`${name} was not healthy after ${timeoutMs} ms (${last.output}):\n${running.output()}`);
			}
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
	}

	remove() {
		rmSync(this.root, { recursive: true, force: true });
	}
}

// One running service process (the entrypoint, then what it exec'd).
export class RunningService {
	constructor(name, child) {
		this.name = name;
		this.child = child;
		this.log = '';
		this.exited = false;
		this.exitCode = null;
		this.exitSignal = null;
		child.stdout.on('data', (chunk) => (this.log += chunk));
		child.stderr.on('data', (chunk) => (this.log += chunk));
		running.add(child);
		this.done = new Promise((resolve) =>
			child.once('exit', (code, signal) => {
				running.delete(child);
				this.exited = true;
				this.exitCode = code;
				this.exitSignal = signal;
				resolve({ code, signal });
			}),
		);
	}

	output() {
		return this.log;
	}

	// Sends signal and waits for the exit (SIGKILL after killAfterMs).
	// Resolves with {code, signal, ms}: how long the exit took.
	async stop(signal = 'SIGTERM', killAfterMs = 15000) {
		const started = Date.now();
		if (!this.exited) {
			this.child.kill(signal);
			const timer = setTimeout(() => this.child.kill('SIGKILL'), killAfterMs);
			await this.done;
			clearTimeout(timer);
		}
		return { code: this.exitCode, signal: this.exitSignal, ms: Date.now() - started };
	}
}
