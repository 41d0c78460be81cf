// Stops a test daemon and fails if it did not exit cleanly. A production
// daemon must shut down with status 0 on SIGTERM; under a sanitizer build
// (ICEGATE_BIN pointing at it) a leak or memory error also shows up here, in
// the file that caused it, with the daemon's log attached.
export const SANITIZER_REPORT = /AddressSanitizer|LeakSanitizer|runtime error:/;

export async function stopAndCheck(daemon) {
  if (!daemon) return;
  const { code, signal } = await daemon.stop();
  const log = daemon.log();
  if (code !== 0 || SANITIZER_REPORT.test(log)) {
    throw new Error(`icegate exited with ${signal ?? code} after SIGTERM:\n${log.slice(-8000)}`);
  }
}
