// A call on the demo pages, as the fault and network tests set it up: a
// person shares a screen on /sender, another watches on /receiver, and the
// test reads what the pages say about it (the route, when they rejoined)
// and what coturn logged for their TURN credentials.
import { setTimeout as sleep } from 'node:timers/promises';
import { assertVideoPlays, describePage, openPage, videoProgress, waitForState } from '../browser.mjs';

export async function signIn(page, username, password) {
	await page.locator('#username').fill(username);
	await page.locator('#password').fill(password);
	await page.locator('#login').click();
}

// Opens both pages at base (query: e.g. '?relay=1'), signs the sender in as
// sender.name (or as a guest without one) and the receiver as receiver.name,
// starts sharing and resolves once the receiver's video plays. The two pages
// may live in different browsers. trackPeers: see trackPeerConnections.
export async function startCall(options) {
	const { base, query = '', senderBrowser, receiverBrowser, sender: senderUser, receiver: receiverUser, trackPeers = false } = options;
	const sender = await openPage(senderBrowser, `${base}/sender${query}`);
	if (trackPeers) await trackPeerConnections(sender);
	if (senderUser) await signIn(sender.page, senderUser.name, senderUser.password);
	else await sender.page.locator('#guest').click();
	await waitForState(sender.page, '#conn-state', 'connected');
	await sender.page.locator('#start-share').click();
	await waitForState(sender.page, '#share-state', 'sharing');

	const receiver = await openPage(receiverBrowser, `${base}/receiver${query}`);
	if (trackPeers) await trackPeerConnections(receiver);
	await signIn(receiver.page, receiverUser.name, receiverUser.password);
	await waitForState(receiver.page, '#conn-state', 'connected');
	await waitForState(receiver.page, '#peer-state', 'connected', 30000);
	await assertVideoPlays(receiver.page);
	return { sender, receiver };
}

// The route the receiver page reports ("local relay via turn:..., remote
// relay"), once it is a relayed one.
export async function waitForRelayRoute(page, timeout = 20000) {
	await waitForState(page, '#route-state', 'relay', timeout);
	return (await page.locator('#route-state').textContent()).trim();
}

// The expiry times (unix seconds) of the TURN usernames "EXPIRY:SUBJECT"
// that coturn (log: its --verbose output) allocated for subject.
export function allocationsFor(log, subject) {
	const pattern = /user <(\d+):([^>]*)>: incoming packet ALLOCATE processed, success/g;
	return [...log.matchAll(pattern)].filter((match) => match[2] === subject).map((match) => Number(match[1]));
}

// Records in the page, on this machine's clock, when each of its log lines
// containing `text` appears from now on (the pages log "joined room ..." on
// every join, "connection closed (...)" on every lost or refused socket).
// Returns waitFor(count, timeout), which resolves with the first count times.
export async function recordLogTimes(page, text) {
	const key = `icegateTestLogTimes:${text}`;
	await page.evaluate(
		([wanted, name]) => {
			const times = [];
			globalThis[name] = times;
			new MutationObserver((mutations) => {
				for (const mutation of mutations) {
					for (const node of mutation.addedNodes) if (node.textContent.includes(wanted)) times.push(Date.now());
				}
			}).observe(document.getElementById('log'), { childList: true });
		},
		[text, key],
	);
	return async (count, timeout = 20000) => {
		const deadline = Date.now() + timeout;
		for (;;) {
			const times = await page.evaluate((name) => [...globalThis[name]], key);
			if (times.length >= count) return times.slice(0, count);
			if (Date.now() > deadline) throw new Error(`${times.length} of ${count} "${text}" log lines appeared\n${await describePage(page)}`);
			await sleep(50);
		}
	};
}

// Lines of the page's log that contain text.
export async function logLines(page, text) {
	const lines = await page.locator('#log li').allTextContents();
	return lines.filter((line) => line.includes(text));
}

// Frames the receiver decoded in the last `window` ms.
export async function framesDuring(page, window = 1000) {
	const first = await videoProgress(page, '#remote-video');
	await sleep(window);
	const second = await videoProgress(page, '#remote-video');
	return second.frames - first.frames;
}

// Resolves with the time (Date.now()) at which the receiver decoded new
// frames again, polling every 250 ms; fails after timeout.
export async function waitForFrames(page, timeout) {
	const deadline = Date.now() + timeout;
	let last = (await videoProgress(page, '#remote-video')).frames;
	while (Date.now() < deadline) {
		await sleep(250);
		const { frames } = await videoProgress(page, '#remote-video');
		if (frames > last) return Date.now();
		last = frames;
	}
	throw new Error(`no new frames within ${timeout} ms\n${await describePage(page)}`);
}

// Makes the page keep every RTCPeerConnection it creates, for
// selectedCandidateTypes; reloads it so the hook is in place before its scripts run.
export async function trackPeerConnections({ context, page }) {
	await context.addInitScript(() => {
		const Native = globalThis.RTCPeerConnection;
		globalThis.icegateTestPeerConnections = [];
		globalThis.RTCPeerConnection = class extends Native {
			constructor(...args) {
				super(...args);
				globalThis.icegateTestPeerConnections.push(this);
			}
		};
	});
	await page.reload();
}

// The candidate types ({local, remote}) of the pair each open peer connection
// of the page sends on, as its own getStats() says.
export function selectedCandidateTypes(page) {
	return page.evaluate(async () => {
		const pairs = [];
		for (const pc of globalThis.icegateTestPeerConnections.filter((each) => each.connectionState !== 'closed')) {
			const stats = await pc.getStats();
			for (const report of stats.values()) {
				if (report.type !== 'transport' || !report.selectedCandidatePairId) continue;
				const pair = stats.get(report.selectedCandidatePairId);
				pairs.push({
					local: stats.get(pair.localCandidateId).candidateType,
					remote: stats.get(pair.remoteCandidateId).candidateType,
					localAddress: stats.get(pair.localCandidateId).address,
				});
			}
		}
		return pairs;
	});
}
