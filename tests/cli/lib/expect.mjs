// The shapes of icegatectl's failures that every CLI test checks: a failure
// (exit 1) and a usage error (exit 2), each with exactly one message on
// stderr and nothing on stdout.
import assert from 'node:assert/strict';

export const HINT = "Try 'icegatectl --help' for more information.";

// A failure (exit 1) with exactly this message.
export function expectFailure(result, message) {
  assert.equal(result.status, 1, `stdout: ${result.stdout} stderr: ${result.stderr}`);
  assert.equal(result.stderr, `icegatectl: ${message}\n`);
  assert.equal(result.stdout, '');
}

// A usage error (exit 2): the message, then the one-line hint.
export function expectUsage(result, message) {
  assert.equal(result.status, 2, `stdout: ${result.stdout} stderr: ${result.stderr}`);
  assert.equal(result.stderr, `icegatectl: ${message}\n${HINT}\n`);
  assert.equal(result.stdout, '');
}
