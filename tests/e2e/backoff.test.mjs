// The JS client's reconnect timing (web/js/backoff.js), as a page sees it
// after a drop: the first retries come quickly enough that a daemon restarted
// by its supervisor is rejoined within seconds, every delay carries jitter so
// clients spread out, and a long outage backs off to 10 s.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BACKOFF_MAX_MS, reconnectDelay } from '../../web/js/backoff.js';

const NO_JITTER = () => 0;
const MOST_JITTER = () => 0.999999;

test('the first retries grow from 0.5 s and stay at most 2.4 s apart for about 15 s', () => {
  assert.deepEqual([0, 1, 2, 3].map((attempt) => reconnectDelay(attempt, NO_JITTER)), [500, 1000, 1600, 1600]);
  let elapsed = 0;
  let attempt = 0;
  while (elapsed < 15000) {
    const delay = reconnectDelay(attempt++, MOST_JITTER);
    assert.ok(delay <= 2400, `attempt ${attempt} waits ${delay} ms`);
    elapsed += delay;
  }
});

test('a long outage backs off to 10 s, never more', () => {
  const delays = Array.from({ length: 40 }, (_, attempt) => reconnectDelay(attempt, MOST_JITTER));
  assert.equal(Math.max(...delays), BACKOFF_MAX_MS);
  assert.equal(reconnectDelay(39, NO_JITTER), BACKOFF_MAX_MS);
});

test('jitter spreads each delay over [base, 1.5 x base]', () => {
  assert.equal(reconnectDelay(1, NO_JITTER), 1000);
  assert.equal(reconnectDelay(1, () => 0.5), 1250);
  assert.equal(reconnectDelay(1, MOST_JITTER), 1500);
});
