// Launches the system's Chromium for the browser tests (never a downloaded one)
// with the switches that let a headless browser capture a fake screen and run
// WebRTC without prompts, and gives each simulated person a separate browser
// context, so their sessionStorage and permissions never mix.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

export const chromiumPath = process.env.ICEGATE_CHROMIUM || '/usr/bin/chromium';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // Grants camera, microphone and screen capture without a prompt; with the fake
  // device switch, getDisplayMedia returns a generated 1280x720 moving picture.
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  // Background tabs must keep decoding and sending frames while another is driven.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

export function launchChromium() {
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs, timeout: 30000 });
}

// Opens url in a fresh context. Uncaught page errors are collected in `errors`.
export async function openPage(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);
  return { context, page, errors };
}

// What a person would read on an icegate page, for assertion messages.
export async function describePage(page) {
  return page.evaluate(() => {
    const text = (id) => document.getElementById(id)?.textContent.trim() ?? '(none)';
    const log = [...document.querySelectorAll('#log li')].map((li) => li.textContent).reverse();
    return `connection: ${text('conn-state')}; peer: ${text('peer-state')}; error: ${text('error')}\nlog:\n  ${log.join('\n  ')}`;
  });
}

// Waits until the element's data-state is `state`; fails with the page's status.
export async function waitForState(page, selector, state, timeout = 20000) {
  try {
    await page.locator(`${selector}[data-state="${state}"]`).waitFor({ timeout });
  } catch {
    throw new Error(`${selector} never reached "${state}" on ${page.url()}\n${await describePage(page)}`);
  }
}

// Frames the <video> has decoded so far, and its intrinsic width.
export function videoProgress(page, selector) {
  return page.evaluate((videoSelector) => {
    const video = document.querySelector(videoSelector);
    return { width: video.videoWidth, frames: video.getVideoPlaybackQuality().totalVideoFrames };
  }, selector);
}

// Asserts the video shows a picture and keeps decoding new frames.
export async function assertVideoPlays(page, selector = '#remote-video') {
  try {
    await page.waitForFunction(
      (videoSelector) => {
        const video = document.querySelector(videoSelector);
        return video.videoWidth > 0 && video.getVideoPlaybackQuality().totalVideoFrames > 0;
      },
      selector,
      { timeout: 20000 },
    );
  } catch {
    throw new Error(`${selector} never showed a frame\n${await describePage(page)}`);
  }
  const first = await videoProgress(page, selector);
  await sleep(1500);
  const second = await videoProgress(page, selector);
  assert.ok(second.width > 0, 'the video has a width');
  assert.ok(second.frames > first.frames, `frames keep coming (${first.frames} then ${second.frames})`);
}
