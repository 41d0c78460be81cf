// Starts a real icegate daemon for a test: a fresh temporary database, a free
// loopback port, options given as `--set key=value`, and icegatectl bound to the
// same database. Every test file that needs a server goes through here, so the
// way tests launch the daemon is the way operators do.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..');
export const daemonBinary = process.env.ICEGATE_BIN || join(repoRoot, 'build', 'icegate');
export const ctlBinary = process.env.ICEGATE_CTL || join(repoRoot, 'build', 'icegatectl');

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs icegatectl against the daemon's database. Returns {status, stdout, stderr}.
export function ctl(dbPath, args, input) {
  const result = spawnSync(ctlBinary, ['--db', dbPath, ...args], {
    input: input ?? '',
    encoding: 'utf8',
    timeout: 30000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// Starts the daemon. options: {settings: {key: value}, args: [...], dir}.
// Resolves once /healthz answers; the returned object stops it again.
export async function startDaemon(options = {}) {
  const dir = options.dir || mkdtempSync(join(tmpdir(), 'icegate-test-'));
  const ownsDir = !options.dir;
  const dbPath = join(dir, 'icegate.db');
  const port = options.port || (await freePort());
  const args = ['-p', `127.0.0.1:${port}`, '--db', dbPath, '--web-root', join(repoRoot, 'web')];
  for (const [key, value] of Object.entries(options.settings || {})) {
    args.push('--set', `${key}=${value}`);
  }
  args.push(...(options.args || []));

  const child = spawn(daemonBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`icegate exited early (${child.exitCode}):\n${log}`);
    }
    try {
      const response = await fetch(`${base}/healthz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`icegate did not become healthy:\n${log}`);
    }
    await sleep(50);
  }

  return {
    port,
    base,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    dir,
    dbPath,
    child,
    log: () => log,
    ctl: (ctlArgs, input) => ctl(dbPath, ctlArgs, input),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
        await exited;
        clearTimeout(timer);
      }
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
      const result = await exited;
      // A sanitizer build reports memory errors, undefined behaviour and
      // leaks on stderr: any report fails the test that started the daemon.
      if (/AddressSanitizer|LeakSanitizer|runtime error:/.test(log)) {
        throw new Error(`icegate reported a sanitizer error:\n${log}`);
      }
      return result;
    },
  };
}

// Creates a user through icegatectl and logs in through the API.
export async function createUserAndLogin(daemon, name, password = 'correct horse battery', role) {
  const args = ['user', 'add', name, '--password-stdin'];
  if (role) args.push('--role', role);
  const added = daemon.ctl(args, password);
  if (added.status !== 0) throw new Error(`user add failed: ${added.stderr}`);
  const response = await fetch(`${daemon.base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: name, password }),
  });
  if (response.status !== 200) throw new Error(`login failed: ${response.status}`);
  return response.json();
}
