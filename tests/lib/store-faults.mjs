// The faults a store can meet, made for tests: another process holding
// SQLite's write lock (the sqlite3 shell inside BEGIN IMMEDIATE, as a
// concurrent writer such as icegatectl or coturn would hold it) and a full
// file system. Used to check that the daemon and icegatectl wait or give up
// with a clear error, and lose nothing.
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { withTimeout } from './ws-client.mjs';

// Takes the lock on dbPath; resolves with release(), which ends the
// transaction. The shell is killed when the test t ends, whatever happened.
export async function holdWriteLock(t, dbPath) {
  const shell = spawn('sqlite3', [dbPath], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => {
    if (shell.exitCode === null && shell.signalCode === null) shell.kill('SIGKILL');
  });
  const exited = new Promise((resolve) => shell.once('exit', resolve));
  let output = '';
  const locked = new Promise((resolve, reject) => {
    shell.stdout.on('data', (d) => {
      output += d;
      if (output.includes('locked')) resolve();
    });
    shell.stderr.on('data', (d) => reject(new Error(`sqlite3: ${d}`)));
  });
  shell.stdin.write("BEGIN IMMEDIATE;\nSELECT 'locked';\n");
  await withTimeout(locked, 5000, 'sqlite3 did not take the write lock');
  return async () => {
    shell.stdin.end('ROLLBACK;\n.quit\n');
    await withTimeout(exited, 5000, 'sqlite3 did not exit');
  };
}

// Fills the file system holding dir with a dummy file; returns its path.
export function fillDisk(dir) {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(4096, 0x5a);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if (error.code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return path;
}
