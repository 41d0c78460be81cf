// Browser end-to-end test of a call that can only go through TURN: the daemon
// hands out credentials for the patched coturn (same database), both demo
// pages are opened with ?relay=1, and the test checks that the receiver
// decodes moving video over a relayed candidate pair made with the
// credentials the signaling messages carried; that revoking the receiver's
// TURN credentials with icegatectl stops its media and ends its session; and
// that renewed credentials (the "ice-servers" push) make a relayed call
// restart ICE with them and keep playing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createUserAndLogin, startDaemon } from '../lib/daemon.mjs';
import { assertVideoPlays, describePage, launchChromium, videoProgress, waitForState } from './browser.mjs';
import { allocationsFor, startCall, waitForRelayRoute } from './lib/call.mjs';
import { freePort, startTurnServer } from './turn.mjs';

const TEST_TIMEOUT_MS = 90000;
const PASSWORD = 'correct horse battery';
// The shortest credential lifetime the daemon accepts: renewed after 48 s.
const SHORT_TTL_S = 60;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A daemon and the patched coturn sharing one database, and a browser.
async function startStack(settings = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'icegate-relay-'));
  const stack = { dir };
  try {
    const turnPort = await freePort();
    stack.daemon = await startDaemon({
      dir,
      settings: { turn_host: '127.0.0.1', turn_port: turnPort, guest_access: 'on', ...settings },
    });
    await createUserAndLogin(stack.daemon, 'bob', PASSWORD);
    // After the daemon: it creates the database and writes the TURN secret.
    stack.turn = await startTurnServer({ port: turnPort, dbPath: stack.daemon.dbPath, dir });
    stack.browser = await launchChromium();
  } catch (error) {
    await stopStack(stack);
    throw error;
  }
  return stack;
}

async function stopStack({ dir, daemon, turn, browser }) {
  await browser?.close().catch(() => {});
  await turn?.stop();
  await daemon?.stop();
  rmSync(dir, { recursive: true, force: true });
}

// A guest shares with ?relay=1, bob watches with ?relay=1; resolves once bob's
// video plays over a relayed pair.
function startRelayedCall({ browser, daemon }) {
  return startCall({ base: daemon.base, query: '?relay=1', senderBrowser: browser, receiverBrowser: browser, receiver: { name: 'bob', password: PASSWORD } });
}

describe('a call relayed through the patched coturn', () => {
  let stack;

  before(async () => {
    stack = await startStack();
  });

  after(async () => {
    if (stack) await stopStack(stack);
  });

  test('relay-only pages play video over TURN; revoking the receiver ends it', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { daemon, turn } = stack;
    const { sender, receiver } = await startRelayedCall(stack);

    const route = await waitForRelayRoute(receiver.page);
    assert.match(route, /^local relay via turn:127\.0\.0\.1:\d+/, route);
    assert.match(route, /remote relay$/, 'the sender relays too (its page forces relay as well)');
    // The only credentials for bob are those the daemon put in its messages.
    const expiries = allocationsFor(turn.log(), 'bob');
    assert.ok(expiries.length > 0, `coturn allocated for bob\n${turn.log()}`);
    const now = Date.now() / 1000;
    for (const expiry of expiries) assert.ok(expiry > now && expiry <= now + 3600 + 5, `credential expiry ${expiry}`);

    const revoked = daemon.ctl(['turn', 'revoke', '--user', 'bob']);
    assert.equal(revoked.status, 0, revoked.stderr);
    const revokedAt = Date.now();

    await waitForState(receiver.page, '#conn-state', 'closed', 5000);
    assert.match(await receiver.page.locator('#error').textContent(), /TURN credentials revoked/);
    assert.ok(await receiver.page.locator('#login-form').isVisible(), 'the sign-in form is back');
    const first = await videoProgress(receiver.page, '#remote-video');
    await sleep(1000);
    const second = await videoProgress(receiver.page, '#remote-video');
    assert.ok(Date.now() - revokedAt < 4000, 'checked within a few seconds of the revocation');
    assert.ok(second.frames <= first.frames, `no frames after the revocation (${first.frames} then ${second.frames})`);
    // coturn tears bob's allocation down on its own (within a second).
    const deadline = Date.now() + 3000;
    while (!/credential of user <\d+:bob> revoked, cancelling/.test(turn.log()) && Date.now() < deadline) await sleep(100);
    assert.match(turn.log(), /credential of user <\d+:bob> revoked, cancelling/);

    assert.deepEqual([...sender.errors, ...receiver.errors], []);
    await sender.context.close();
    await receiver.context.close();
  });
});

describe('renewed TURN credentials on a relayed call', () => {
  let stack;

  before(async () => {
    stack = await startStack({ turn_credential_ttl: SHORT_TTL_S });
  });

  after(async () => {
    if (stack) await stopStack(stack);
  });

  test('an ice-servers push restarts ICE, both sides allocate with new credentials, video goes on', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { turn } = stack;
    const { sender, receiver } = await startRelayedCall(stack);
    await waitForRelayRoute(receiver.page);
    const before = Math.max(...allocationsFor(turn.log(), 'bob'));
    const senderSubject = (await sender.page.locator('#who').textContent()).trim();
    const senderBefore = Math.max(...allocationsFor(turn.log(), senderSubject));

    // Each side gets its push at 80 % of the lifetime of its latest credential.
    // Whichever comes first restarts ICE; the other side's credential is renewed
    // by the restart offer or answer relayed to it (minted for it, so its push
    // moves later), and its answer or offer gathers again with it.
    const restarted = (page) => page.locator('#log li', { hasText: 'relay credentials renewed' }).first();
    try {
      await Promise.any([
        restarted(sender.page).waitFor({ state: 'attached', timeout: SHORT_TTL_S * 1000 }),
        restarted(receiver.page).waitFor({ state: 'attached', timeout: SHORT_TTL_S * 1000 }),
      ]);
    } catch {
      throw new Error(`neither page restarted ICE\n${await describePage(receiver.page)}\n${await describePage(sender.page)}`);
    }
    const deadline = Date.now() + 10000;
    while (Math.max(...allocationsFor(turn.log(), 'bob')) <= before && Date.now() < deadline) await sleep(200);
    const after = Math.max(...allocationsFor(turn.log(), 'bob'));
    assert.ok(after > before, `bob allocated again with a newer credential (${before} then ${after})`);
    const senderAfter = Math.max(...allocationsFor(turn.log(), senderSubject));
    assert.ok(senderAfter > senderBefore, `the sender allocated again too (${senderBefore} then ${senderAfter})`);

    await waitForState(receiver.page, '#peer-state', 'connected');
    await waitForRelayRoute(receiver.page);
    await assertVideoPlays(receiver.page);
    // Still playing once the first credentials have expired.
    await sleep(Math.max(0, before * 1000 + 2000 - Date.now()));
    await assertVideoPlays(receiver.page);
    assert.equal(await receiver.page.locator('#conn-state').getAttribute('data-state'), 'connected');
    assert.deepEqual([...sender.errors, ...receiver.errors], []);
    await sender.context.close();
    await receiver.context.close();
  });
});
