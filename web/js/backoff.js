// Reconnect timing: exponential backoff from 0.5 s up to 10 s, with jitter so
// that a restarted server is not hit by every client in the same instant.

export const BACKOFF_INITIAL_MS = 500;
export const BACKOFF_MAX_MS = 10000;

// attempt: 0 for the first retry after a drop. random: a function returning
// [0, 1), replaceable for tests. The result lies in [base, 1.5 * base], where base
// doubles per attempt, and never exceeds BACKOFF_MAX_MS.
export function reconnectDelay(attempt, random = Math.random) {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** Math.min(attempt, 16));
  return Math.min(BACKOFF_MAX_MS, Math.round(base * (1 + random() / 2)));
}
