// Runs the patched coturn next to a test daemon for the browser tests: the
// same SQLite database as the daemon (so it verifies the credentials the
// daemon mints and sees the revocations icegatectl writes), the TURN test
// configuration (loopback only, loopback peers allowed), a port chosen before
// the daemon starts (the daemon must name it in its ICE servers) and a relay
// port range of its own. Every process started here is stopped by stop().
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '../lib/daemon.mjs';
import { freePort, PATCHED, TEST_CONF } from '../turn/lib/harness.mjs';
import { stunPing } from '../turn/lib/stun.mjs';

export { freePort };

const START_TIMEOUT_MS = 10000;
const STOP_TIMEOUT_MS = 3000;

// Builds coturn when the binary is missing (the first run on a new checkout);
// a second build with nothing changed is a no-op.
export function ensureTurnServer() {
  if (existsSync(PATCHED.turnserver)) return PATCHED.turnserver;
  // What the CMake target "turn" runs, for the build directory in use.
  execFileSync(join(repoRoot, 'turn', 'build.sh'), [dirname(dirname(PATCHED.turnserver))], {
    stdio: 'inherit',
    timeout: 20 * 60 * 1000,
  });
  if (!existsSync(PATCHED.turnserver)) throw new Error(`building coturn did not produce ${PATCHED.turnserver}`);
  return PATCHED.turnserver;
}

// A relay port range away from the TURN tests' (20000-39999), per process.
function relayRange() {
  const min = 41000 + (process.pid % 150) * 100;
  return { min, max: min + 99 };
}

// Starts coturn on 127.0.0.1:port with dbPath as its user database.
// Resolves once it answers STUN; log() is everything it printed.
export async function startTurnServer({ port, dbPath, dir }) {
  const binary = ensureTurnServer();
  const relay = relayRange();
  const args = [
    '-c',
    TEST_CONF,
    `--listening-port=${port}`,
    `--min-port=${relay.min}`,
    `--max-port=${relay.max}`,
    `--userdb=${dbPath}`,
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    // Logs each request with its user, so a test can tell whose credential was used.
    '--verbose',
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (chunk) => (log += chunk));
  child.stderr.on('data', (chunk) => (log += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));

  const server = {
    port,
    relay,
    log: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await stunPing('127.0.0.1', port)) return server;
  }
  await server.stop();
  throw new Error(`turnserver did not start:\n${log}`);
}
