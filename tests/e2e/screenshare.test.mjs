// Browser end-to-end test of the demo pages against a real daemon: a person
// signs in on the sender page and shares a (fake) screen, others open the
// receiver page as a guest or a user, and the test checks that their <video>
// really decodes moving frames, that the pages say "connected", that they
// recover when the daemon restarts, and that failures are shown in the page.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createUserAndLogin, startDaemon } from '../lib/daemon.mjs';
import { assertVideoPlays, describePage, launchChromium, openPage, waitForState } from './browser.mjs';

const TEST_TIMEOUT_MS = 90000;
const PASSWORD = 'correct horse battery';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function signIn(page, username, password) {
  await page.locator('#username').click();
  await page.locator('#username').pressSequentially(username);
  await page.locator('#password').click();
  await page.locator('#password').pressSequentially(password);
  await page.locator('#login').click();
}

async function senderPresent(daemon, room = 'default') {
  const response = await fetch(`${daemon.base}/first?room=${room}`);
  return (await response.text()).trim();
}

describe('screen sharing through the demo pages', () => {
  // Owned here rather than by startDaemon, so the daemon can restart on it.
  const dir = mkdtempSync(join(tmpdir(), 'icegate-e2e-'));
  let browser;
  let daemon;

  before(async () => {
    browser = await launchChromium();
    daemon = await startDaemon({ dir, settings: { guest_access: 'on' } });
    await createUserAndLogin(daemon, 'alice', PASSWORD);
    await createUserAndLogin(daemon, 'bob', PASSWORD);
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('headless chromium can capture a screen', { timeout: TEST_TIMEOUT_MS }, async () => {
    // Checked on its own so a browser problem is not mistaken for an icegate one.
    const server = createServer((request, response) => {
      response.setHeader('Content-Type', 'text/html');
      response.end('<!doctype html><title>capture</title>');
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { context, page } = await openPage(browser, `http://127.0.0.1:${server.address().port}/`);
      const settings = await page.evaluate(async () => {
        const stream = await navigator.mediaDevices.getDisplayMedia({ video: true });
        const result = stream.getVideoTracks()[0].getSettings();
        for (const track of stream.getTracks()) track.stop();
        return result;
      });
      assert.ok(settings.width > 0 && settings.height > 0, `captured ${JSON.stringify(settings)}`);
      await context.close();
    } finally {
      server.close();
    }
  });

  test('a user shares, a guest and a user watch, and both see moving video', { timeout: TEST_TIMEOUT_MS }, async () => {
    const sender = await openPage(browser, `${daemon.base}/sender`);
    await signIn(sender.page, 'alice', PASSWORD);
    await waitForState(sender.page, '#conn-state', 'connected');
    assert.equal((await sender.page.locator('#who').textContent()).trim(), 'alice');
    assert.equal(await senderPresent(daemon), 'false', 'no sender before sharing starts');

    await sender.page.locator('#start-share').click();
    await waitForState(sender.page, '#share-state', 'sharing');
    await sender.page.locator('#share-state', { hasText: 'in room default' }).waitFor({ timeout: 10000 });
    assert.equal(await senderPresent(daemon), 'true', 'the sharing sender is in the room');

    const guest = await openPage(browser, `${daemon.base}/receiver`);
    await guest.page.locator('#room-status', { hasText: 'Someone is sharing' }).waitFor({ timeout: 10000 });
    await guest.page.locator('#guest').click();
    await waitForState(guest.page, '#conn-state', 'connected');
    assert.match(await guest.page.locator('#who').textContent(), /^guest:/);
    assert.equal(await guest.page.locator('#conn-state').textContent(), 'Connected');
    await waitForState(guest.page, '#peer-state', 'connected');
    await assertVideoPlays(guest.page, '#remote-video');

    const viewer = await openPage(browser, `${daemon.base}/receiver`);
    await signIn(viewer.page, 'bob', PASSWORD);
    await waitForState(viewer.page, '#conn-state', 'connected');
    await waitForState(viewer.page, '#peer-state', 'connected');
    await assertVideoPlays(viewer.page, '#remote-video');

    await waitForState(sender.page, '#peer-state', 'connected');
    assert.equal(await sender.page.locator('#peer-state').textContent(), '2 of 2 viewers connected');
    assert.equal(await sender.page.locator('#conn-state').textContent(), 'Connected');

    // A viewer leaving closes only its own connection on the sender.
    await guest.context.close();
    await sender.page.locator('#peer-state', { hasText: '1 of 1 viewer connected' }).waitFor({ timeout: 10000 });
    await assertVideoPlays(viewer.page, '#remote-video');

    // Stopping the share takes the sender out of the room; the viewer waits.
    await sender.page.locator('#stop-share').click();
    await waitForState(viewer.page, '#peer-state', 'waiting');
    assert.equal(await senderPresent(daemon), 'false');

    // Sharing again reaches the waiting viewer without any action on its side.
    await sender.page.locator('#start-share').click();
    await waitForState(viewer.page, '#peer-state', 'connected');
    await assertVideoPlays(viewer.page, '#remote-video');

    assert.deepEqual(sender.errors, [], 'no uncaught errors on the sender page');
    assert.deepEqual(guest.errors, [], 'no uncaught errors on the guest page');
    assert.deepEqual(viewer.errors, [], 'no uncaught errors on the viewer page');
    await sender.context.close();
    await viewer.context.close();
  });

  test('both pages reconnect and resume the video after the daemon restarts', { timeout: TEST_TIMEOUT_MS }, async () => {
    const sender = await openPage(browser, `${daemon.base}/sender`);
    await signIn(sender.page, 'alice', PASSWORD);
    await waitForState(sender.page, '#conn-state', 'connected');
    await sender.page.locator('#start-share').click();
    const viewer = await openPage(browser, `${daemon.base}/receiver`);
    await viewer.page.locator('#guest').click();
    await waitForState(viewer.page, '#peer-state', 'connected');

    // Same port, same database (and so the same signing key and users).
    const { port } = daemon;
    await daemon.stop();
    await waitForState(viewer.page, '#conn-state', 'reconnecting', 10000);
    await waitForState(sender.page, '#conn-state', 'reconnecting', 10000);
    daemon = await startDaemon({ port, dir, settings: { guest_access: 'on' } });

    await waitForState(sender.page, '#conn-state', 'connected', 20000);
    await waitForState(viewer.page, '#conn-state', 'connected', 20000);
    await waitForState(viewer.page, '#peer-state', 'connected', 20000);
    await assertVideoPlays(viewer.page, '#remote-video');
    assert.deepEqual([...sender.errors, ...viewer.errors], []);
    await sender.context.close();
    await viewer.context.close();
  });
});

describe('sessions outlive their access tokens', () => {
  let browser;
  let daemon;

  before(async () => {
    browser = await launchChromium();
    // Tokens live 4 s, so the pages must renew them several times during the test.
    daemon = await startDaemon({ settings: { guest_access: 'on', access_token_ttl: 4 } });
    await createUserAndLogin(daemon, 'dave', PASSWORD);
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
  });

  test('pages renew their tokens on the open socket without reconnecting', { timeout: TEST_TIMEOUT_MS }, async () => {
    const sender = await openPage(browser, `${daemon.base}/sender`);
    await signIn(sender.page, 'dave', PASSWORD);
    await waitForState(sender.page, '#conn-state', 'connected');
    await sender.page.locator('#start-share').click();
    const viewer = await openPage(browser, `${daemon.base}/receiver`);
    await viewer.page.locator('#guest').click();
    await waitForState(viewer.page, '#peer-state', 'connected');

    await sleep(10000);
    for (const { page } of [sender, viewer]) {
      assert.equal(await page.locator('#conn-state').getAttribute('data-state'), 'connected', await describePage(page));
      const closes = await page.locator('#log li', { hasText: 'connection closed' }).count();
      assert.equal(closes, 0, `the socket was never closed\n${await describePage(page)}`);
    }
    await assertVideoPlays(viewer.page, '#remote-video');
    assert.deepEqual([...sender.errors, ...viewer.errors], []);
    await sender.context.close();
    await viewer.context.close();
  });
});

describe('sign-in failures are shown in the page', () => {
  let browser;
  let daemon;

  before(async () => {
    browser = await launchChromium();
    daemon = await startDaemon(); // guest access stays off (the default)
    await createUserAndLogin(daemon, 'carol', PASSWORD);
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
  });

  test('a wrong password says so and does not connect', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { context, page, errors } = await openPage(browser, `${daemon.base}/receiver`);
    await signIn(page, 'carol', 'not the password');
    const banner = page.locator('#error');
    await banner.waitFor({ state: 'visible', timeout: 10000 });
    assert.equal((await banner.textContent()).trim(), 'Wrong username or password.');
    assert.equal(await page.locator('#conn-state').getAttribute('data-state'), 'closed');
    assert.ok(await page.locator('#login-form').isVisible(), 'the form stays for another try');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('disabling the account stops the page and says so', { timeout: TEST_TIMEOUT_MS }, async () => {
    await createUserAndLogin(daemon, 'erin', PASSWORD);
    const { context, page, errors } = await openPage(browser, `${daemon.base}/receiver`);
    await signIn(page, 'erin', PASSWORD);
    await waitForState(page, '#conn-state', 'connected');
    const disabled = daemon.ctl(['user', 'disable', 'erin']);
    assert.equal(disabled.status, 0, disabled.stderr);
    await waitForState(page, '#conn-state', 'closed', 10000);
    assert.match(await page.locator('#error').textContent(), /account disabled/i);
    assert.ok(await page.locator('#login-form').isVisible(), 'the sign-in form is back');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the guest button explains that guest access is off', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { context, page, errors } = await openPage(browser, `${daemon.base}/sender`);
    await page.locator('#guest').click();
    const banner = page.locator('#error');
    await banner.waitFor({ state: 'visible', timeout: 10000 });
    assert.match(await banner.textContent(), /Guest access is turned off/);
    assert.equal(await page.locator('#conn-state').getAttribute('data-state'), 'closed');
    assert.deepEqual(errors, []);
    await context.close();
  });
});
