// Reconnect timing: exponential backoff from 0.5 s up to 10 s, with jitter so
// that a restarted server is not hit by every client in the same instant. The
// first retries stay short (at most 2.4 s apart for about the first 15 s of an
// outage), so a daemon its supervisor restarts is rejoined within 3 s of
// listening again; only a longer outage backs off to 10 s.

export const BACKOFF_INITIAL_MS = 500;
export const BACKOFF_MAX_MS = 10000;
// Attempts whose base delay is capped at EARLY_MAX_BASE_MS: 0.5, 1, then 1.6 s
// (with jitter up to 2.4 s), about 15 s of retries in all.
export const EARLY_ATTEMPTS = 10;
export const EARLY_MAX_BASE_MS = 1600;

// attempt: 0 for the first retry after a drop. random: a function returning
// [0, 1), replaceable for tests. The result lies in [base, 1.5 * base], where base
// doubles per attempt (capped during the early attempts), and never exceeds
// BACKOFF_MAX_MS.
export function reconnectDelay(attempt, random = Math.random) {
  const cap = attempt < EARLY_ATTEMPTS ? EARLY_MAX_BASE_MS : BACKOFF_MAX_MS;
  const base = Math.min(cap, BACKOFF_INITIAL_MS * 2 ** Math.min(attempt, 16));
  return Math.min(BACKOFF_MAX_MS, Math.round(base * (1 + random() / 2)));
}
