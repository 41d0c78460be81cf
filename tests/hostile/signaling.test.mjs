// Hostile signaling messages against a real daemon: JSON nested past any
// sane depth, huge arrays, numbers where strings belong, a `from` (and other
// fields) forged by the client, messages aimed at peers in other rooms, a
// flood past the rate limit, and ten thousand joins and leaves on one
// connection. Each case checks what the hostile client and its would-be
// victims see, and that the daemon still serves a normal client afterwards.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { daemonBinary, startDaemon } from '../lib/daemon.mjs';
import { guestToken, sleep } from '../lib/rest.mjs';
import { connectAuthed, connectJoined } from '../lib/ws-client.mjs';

const SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
const CANDIDATE = { candidate: 'candidate:1 1 udp 1 192.0.2.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 };

let roomCounter = 0;
const freshRoom = () => `hostile-${++roomCounter}`;

// A daemon with the default limits, shared by the cases that need no others.
let daemon;
before(async () => {
	daemon = await startDaemon({ settings: { guest_access: 'on' } });
});
after(() => stopAndCheck(daemon));

async function joined(t, server, role, room) {
	const client = await connectJoined(server, await guestToken(server, role), room);
	t.after(() => client.close());
	return client;
}

async function authed(t, server, role = 'sender') {
	const client = await connectAuthed(server, await guestToken(server, role));
	t.after(() => client.close());
	return client;
}

// Sends frame (a string or an object), expects error `code` with ref, and
// checks that the connection still answers a ping.
async function expectError(client, frame, code, ref) {
	const error = await client.request(frame, 'error');
	assert.equal(error.code, code, JSON.stringify(error));
	if (ref !== undefined) assert.equal(error.ref, ref);
	assert.equal((await client.request({ type: 'ping' }, 'pong')).type, 'pong', 'the connection stays open');
	return error;
}

// A normal client can still log in as a guest, join a room and relay an offer.
async function assertServes(server) {
	const room = freshRoom();
	const sender = await connectJoined(server, await guestToken(server, 'sender'), room);
	const receiver = await connectJoined(server, await guestToken(server, 'receiver'), room);
	try {
		receiver.send({ type: 'offer', sdp: SDP });
		const offer = await sender.nextMessage('offer');
		assert.equal(offer.from, receiver.auth.id);
		assert.equal(offer.sdp, SDP);
	} finally {
		sender.close();
		receiver.close();
	}
}

describe('deeply nested JSON', () => {
	test('nesting 30000 levels deep is bad_request, not a crash', async (t) => {
		const client = await authed(t, daemon);
		const depth = 30000;
		const frame = `{"type":"ping","id":"deep","x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
		assert.ok(frame.length < 65536, 'under max_message_bytes');
		await expectError(client, frame, 'bad_request');
		const objects = `{"type":"ping","x":${'{"a":'.repeat(10000)}1${'}'.repeat(10000)}}`;
		await expectError(client, objects, 'bad_request');
		await assertServes(daemon);
	});

	test('nesting a few hundred levels inside an sdp object is relayed as the sdp string only', async (t) => {
		const room = freshRoom();
		const sender = await joined(t, daemon, 'sender', room);
		const receiver = await joined(t, daemon, 'receiver', room);
		const deep = `${'['.repeat(500)}${']'.repeat(500)}`;
		receiver.send(`{"type":"offer","to":"${sender.auth.id}","sdp":{"type":"offer","sdp":${JSON.stringify(SDP)},"extra":${deep}}}`);
		const offer = await sender.nextMessage('offer');
		assert.equal(offer.sdp, SDP);
		assert.deepEqual(Object.keys(offer).sort(), ['from', 'iceServers', 'sdp', 'type']);
	});
});

describe('huge arrays', () => {
	test('an array of 30000 elements in an ignored field is harmless', async (t) => {
		const client = await authed(t, daemon);
		const frame = `{"type":"ping","id":7,"x":[${new Array(30000).fill('0').join(',')}]}`;
		assert.ok(frame.length < 65536);
		assert.equal((await client.request(frame, 'pong')).ref, 7);
	});

	test('arrays where a room, a peer id, a token or text belong are bad_request', async (t) => {
		const room = freshRoom();
		const other = await joined(t, daemon, 'sender', room);
		const client = await joined(t, daemon, 'receiver', room);
		// As many copies of value as fit in 60000 bytes (under max_message_bytes).
		const many = (value) => new Array(Math.floor(60000 / (JSON.stringify(value).length + 1))).fill(value);
		await expectError(client, { type: 'join', room: many(room), id: 'r' }, 'bad_request', 'r');
		await expectError(client, { type: 'offer', to: many(other.auth.id), sdp: SDP, id: 't' }, 'bad_request', 't');
		await expectError(client, { type: 'chat', text: many('hi'), id: 'c' }, 'bad_request', 'c');
		await expectError(client, { type: 'auth', token: many('x'), id: 'a' }, 'bad_request', 'a');
		await expectError(client, { type: 'candidate', to: other.auth.id, candidate: many(CANDIDATE), id: 'k' }, 'bad_request', 'k');
		await other.expectNoMessage('offer', 100);
		await other.expectNoMessage('chat', 0);
		await other.expectNoMessage('candidate', 0);
	});

	test('a top-level array of 3000 messages is bad_request, none of them acted on', async (t) => {
		const client = await authed(t, daemon);
		const frame = JSON.stringify(new Array(3000).fill({ type: 'ping' }));
		await expectError(client, frame, 'bad_request');
		await client.expectNoMessage('pong', 100);
	});
});

describe('numbers where strings belong', () => {
	const cases = {
		'a numeric room': (peer) => ({ type: 'join', room: 42 }),
		'a room of true': () => ({ type: 'join', room: true }),
		'a room of null': () => ({ type: 'join', room: null }),
		'a numeric role': () => ({ type: 'join', room: 'r', role: 1 }),
		'a numeric token': () => ({ type: 'auth', token: 12345 }),
		'a numeric to': () => ({ type: 'answer', to: 1234567890123456, sdp: SDP }),
		'a numeric sdp': (peer) => ({ type: 'offer', to: peer, sdp: 0 }),
		'a numeric sdp inside the sdp object': (peer) => ({ type: 'offer', to: peer, sdp: { type: 'offer', sdp: 1 } }),
		'a numeric candidate string': (peer) => ({ type: 'candidate', to: peer, candidate: { candidate: 1 } }),
		'a numeric sdpMid': (peer) => ({ type: 'candidate', to: peer, candidate: { ...CANDIDATE, sdpMid: 0 } }),
		'a numeric usernameFragment': (peer) => ({ type: 'candidate', to: peer, candidate: { ...CANDIDATE, usernameFragment: 9 } }),
		'a negative sdpMLineIndex': (peer) => ({ type: 'candidate', to: peer, candidate: { ...CANDIDATE, sdpMLineIndex: -1 } }),
		'a fractional sdpMLineIndex': (peer) => ({ type: 'candidate', to: peer, candidate: { ...CANDIDATE, sdpMLineIndex: 0.5 } }),
		'numeric chat text': () => ({ type: 'chat', text: 3.14 }),
	};
	for (const [what, build] of Object.entries(cases)) {
		test(`${what} is bad_request`, async (t) => {
			const room = freshRoom();
			const other = await joined(t, daemon, 'sender', room);
			const client = await joined(t, daemon, 'receiver', room);
			await other.nextMessage('peer-joined');
			await expectError(client, { ...build(other.auth.id), id: 'n' }, 'bad_request', 'n');
			await other.expectNoMessage(undefined, 100);
		});
	}

	const badNumbers = {
		'a numeric type': '{"type":7}',
		'a fractional id': '{"type":"ping","id":1.5}',
		'an id past 64 bits': '{"type":"ping","id":184467440737095516160}',
		'an id past double range': '{"type":"ping","id":1e400}',
		'a room past 64 bits': '{"type":"join","room":99999999999999999999999}',
	};
	for (const [what, frame] of Object.entries(badNumbers)) {
		test(`${what} is bad_request`, async (t) => {
			const client = await authed(t, daemon);
			await expectError(client, frame, 'bad_request');
		});
	}
});

describe('fields forged by the client', () => {
	// Every relayed message is rebuilt by the server: the recipient sees the
	// real sender and none of the client's extra fields.
	const forged = { from: '0000000000000000', name: 'admin', sub: 'admin', roles: ['sender'], iceServers: [{ urls: ['turn:evil.example:3478'], username: 'x', credential: 'y' }], ts: 1 };

	test('offer, answer and candidate carry the real sender and nothing the client added', async (t) => {
		const room = freshRoom();
		const sender = await joined(t, daemon, 'sender', room);
		const receiver = await joined(t, daemon, 'receiver', room);
		receiver.send({ ...forged, type: 'offer', to: sender.auth.id, sdp: SDP });
		const offer = await sender.nextMessage('offer');
		assert.equal(offer.from, receiver.auth.id);
		assert.deepEqual(Object.keys(offer).sort(), ['from', 'iceServers', 'sdp', 'type']);
		assert.ok(!JSON.stringify(offer.iceServers).includes('evil.example'), 'the iceServers are the server\'s');

		sender.send({ ...forged, from: receiver.auth.id, type: 'answer', to: receiver.auth.id, sdp: SDP });
		const answer = await receiver.nextMessage('answer');
		assert.equal(answer.from, sender.auth.id);
		assert.deepEqual(Object.keys(answer).sort(), ['from', 'iceServers', 'sdp', 'type']);

		receiver.send({ ...forged, type: 'candidate', to: sender.auth.id, candidate: { ...CANDIDATE, from: 'x', evil: true } });
		const candidate = await sender.nextMessage('candidate');
		assert.equal(candidate.from, receiver.auth.id);
		assert.deepEqual(Object.keys(candidate).sort(), ['candidate', 'from', 'type']);
		assert.deepEqual(candidate.candidate, CANDIDATE);
	});

	test('chat carries the real sender id and name, and the server\'s time', async (t) => {
		const room = freshRoom();
		const sender = await joined(t, daemon, 'sender', room);
		const receiver = await joined(t, daemon, 'receiver', room);
		const before = Date.now();
		receiver.send({ ...forged, type: 'chat', from: sender.auth.id, text: 'hello' });
		const chat = await sender.nextMessage('chat');
		assert.equal(chat.from, receiver.auth.id);
		assert.equal(chat.name, receiver.auth.sub);
		assert.ok(chat.ts >= before - 1000, `ts ${chat.ts} is the server's clock`);
		assert.deepEqual(Object.keys(chat).sort(), ['from', 'name', 'text', 'ts', 'type']);
	});
});

describe('messages to peers in other rooms', () => {
	test('offer, answer and candidate to another room are not_found and never delivered', async (t) => {
		const here = freshRoom();
		const there = freshRoom();
		const attacker = await joined(t, daemon, 'receiver', here);
		const victim = await joined(t, daemon, 'sender', there);
		const lobby = await authed(t, daemon, 'sender'); // authenticated, in no room
		for (const [type, target] of [['offer', victim], ['answer', victim], ['candidate', victim], ['offer', lobby]]) {
			const message = { type, to: target.auth.id, id: `${type}-x` };
			if (type === 'candidate') message.candidate = CANDIDATE;
			else message.sdp = SDP;
			await expectError(attacker, message, 'not_found', `${type}-x`);
		}
		// A peer that left a room cannot reach the peers it met there.
		await attacker.request({ type: 'join', room: there }, 'joined');
		await victim.nextMessage('peer-joined');
		await attacker.request({ type: 'leave' }, 'left');
		await expectError(attacker, { type: 'offer', to: victim.auth.id, sdp: SDP }, 'forbidden');
		// Nor by joining another room: the old room's peers are out of reach.
		await attacker.request({ type: 'join', room: here }, 'joined');
		await expectError(attacker, { type: 'candidate', to: victim.auth.id, candidate: null }, 'not_found');
		attacker.send({ type: 'chat', text: 'psst' });
		await attacker.nextMessage('chat');
		for (const client of [victim, lobby]) {
			await client.expectNoMessage('offer', 100);
			await client.expectNoMessage('answer', 0);
			await client.expectNoMessage('candidate', 0);
			await client.expectNoMessage('chat', 0);
		}
	});

	test('a room-bound token cannot reach peers of another room either', async (t) => {
		const room = freshRoom();
		const victim = await joined(t, daemon, 'sender', room);
		const bound = await connectAuthed(daemon, await guestToken(daemon, 'receiver', 'bound-room'));
		t.after(() => bound.close());
		await expectError(bound, { type: 'join', room }, 'forbidden');
		await bound.request({ type: 'join', room: 'bound-room' }, 'joined');
		await expectError(bound, { type: 'offer', to: victim.auth.id, sdp: SDP }, 'not_found');
		await victim.expectNoMessage('offer', 100);
	});
});

// Runs body with a daemon of its own (settings added to guest access), then
// stops it and checks that it exited cleanly.
async function withDaemon(settings, body) {
	const own = await startDaemon({ settings: { guest_access: 'on', ...settings } });
	try {
		await body(own);
	} catch (error) {
		await own.stop().catch(() => {});
		throw error;
	}
	await stopAndCheck(own);
}

describe('a flood past the rate limit', () => {
	test('a flood all at once: the peer gets the burst only, the flooder is closed with 1008', async () => {
		// The defaults: 50 messages a second, a burst of 100, 20 violations.
		await withDaemon({}, async (server) => {
			const room = freshRoom();
			const victim = await connectJoined(server, await guestToken(server, 'sender'), room);
			const flooder = await connectJoined(server, await guestToken(server, 'receiver'), room);
			try {
				for (let i = 0; i < 400; i++) flooder.send({ type: 'chat', text: `flood ${i}`, id: i });
				const { code, reason } = await flooder.waitClose(5000);
				assert.equal(code, 1008);
				assert.equal(reason, 'too many errors');
				await sleep(200);
				// The burst (less the token the join took) and what refilled while
				// the flood was read; in order, and nothing after the close.
				const received = victim.queue.filter((m) => m.type === 'chat').map((m) => m.text);
				assert.ok(received.length >= 99 && received.length < 110, `${received.length} chats relayed`);
				assert.deepEqual(received, received.map((_, i) => `flood ${i}`));
				assert.ok(victim.isOpen);
				assert.equal((await victim.request({ type: 'ping' }, 'pong')).type, 'pong');
				await assertServes(server);
			} finally {
				victim.close();
				flooder.close();
			}
		});
	});

	// Sends messages (type) one at a time, each after the reply to the one
	// before, until the connection closes; returns the replies and the close.
	async function sendUntilClosed(client, type, limit) {
		const replies = [];
		for (let i = 0; i < limit && client.isOpen; i++) {
			client.send({ type, id: i });
			try {
				replies.push(await client.nextMessage(undefined, 3000));
			} catch (error) {
				if (error.closeCode === undefined) throw error;
			}
		}
		return { replies, close: await client.waitClose(3000) };
	}

	test('a sustained flood: rate_limited for each message past the burst, then close 1008 at max_violations', async () => {
		await withDaemon({}, async (server) => {
			const client = await connectAuthed(server, await guestToken(server, 'sender'));
			try {
				const started = Date.now();
				for (let i = 0; i < 100; i++) client.send({ type: 'ping', id: `burst-${i}` });
				for (let i = 0; i < 100; i++) assert.equal((await client.nextMessage(undefined, 3000)).type, 'pong');
				const { replies, close } = await sendUntilClosed(client, 'ping', 80);
				const elapsed = Date.now() - started;
				assert.equal(close.code, 1008);
				assert.equal(close.reason, 'too many errors');
				const limited = replies.filter((m) => m.type === 'error' && m.code === 'rate_limited');
				// Only what refilled (50 a second) since the burst passes.
				const passed = replies.length - limited.length;
				assert.ok(passed <= 2 + (elapsed * 50) / 1000, `${passed} pings passed in ${elapsed} ms`);
				// Every error is delivered, the one that reaches max_violations too,
				// before the close.
				assert.equal(limited.length, 20, `${limited.length} rate_limited errors`);
				// A dropped message is not even parsed: its error has no ref.
				assert.ok(limited.every((m) => typeof m.message === 'string' && m.ref === undefined));
				// The server's own count: exactly max_violations errors were sent.
				const metrics = await (await fetch(`${server.base}/metrics`)).text();
				assert.match(metrics, /^icegate_signaling_errors_total\{code="rate_limited"\} 20$/m);
				await assertServes(server);
			} finally {
				client.close();
			}
		});
	});

	test('every reply queued before a close reaches the client before the close frame', async () => {
		await withDaemon({ max_violations: 3 }, async (server) => {
			const client = await connectAuthed(server, await guestToken(server, 'sender'));
			try {
				const { replies, close } = await sendUntilClosed(client, 'nonsense', 10);
				assert.equal(close.code, 1008);
				assert.deepEqual(replies.map((m) => m.code), ['bad_request', 'bad_request', 'bad_request']);
			} finally {
				client.close();
			}
		});
	});

	test('a short flood costs only the dropped messages; the bucket refills', async () => {
		await withDaemon({ messages_per_second: 20, message_burst: 20, max_violations: 20 }, async (server) => {
			const client = await connectAuthed(server, await guestToken(server, 'sender'));
			try {
				for (let i = 0; i < 30; i++) client.send({ type: 'ping', id: i });
				const replies = [];
				for (let i = 0; i < 30; i++) replies.push(await client.nextMessage(undefined, 3000));
				const limited = replies.filter((m) => m.code === 'rate_limited').length;
				assert.ok(limited >= 5 && limited <= 10, `${limited} rate_limited`);
				await sleep(1100);
				assert.equal((await client.request({ type: 'ping' }, 'pong')).type, 'pong');
				assert.ok(client.isOpen);
			} finally {
				client.close();
			}
		});
	});
});

// The daemon's resident set size, in KiB.
function residentKib(pid) {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)[1]);
}

// A sanitizer build keeps freed memory in quarantine, so its RSS says nothing
// about leaks; LeakSanitizer checks those at exit instead.
const sanitized = readFileSync(daemonBinary).includes('__asan_init');

// Joins and leaves count rooms, each in a room of its own, pipelined in
// batches; resolves once every reply arrived.
async function churn(client, count, prefix) {
	const batch = 250;
	for (let start = 0; start < count; start += batch) {
		const end = Math.min(start + batch, count);
		for (let i = start; i < end; i++) {
			client.send({ type: 'join', room: `${prefix}-${i}` });
			client.send({ type: 'leave' });
		}
		for (let i = start; i < end; i++) {
			assert.equal((await client.nextMessage('joined', 5000)).room, `${prefix}-${i}`);
			assert.equal((await client.nextMessage('left', 5000)).room, `${prefix}-${i}`);
		}
	}
}

describe('joins and leaves on one connection', () => {
	// Every join mints TURN credentials whose audit rows fill SQLite's page
	// cache (2 MiB) at first; the first 10000 joins warm it up, and the next
	// 10000 are measured.
	test('10000 joins and leaves leave no room behind and the memory bounded', async (t) => {
		await withDaemon({ messages_per_second: 100000, message_burst: 100000 }, async (server) => {
			const client = await connectAuthed(server, await guestToken(server, 'sender'));
			const watcher = await connectJoined(server, await guestToken(server, 'receiver'), 'watch');
			try {
				await churn(client, 10000, 'warm');
				await sleep(1100); // the credential audit queue is flushed
				const before = residentKib(server.child.pid);
				const started = Date.now();
				await churn(client, 10000, 'churn');
				const elapsed = Date.now() - started;
				await sleep(1100);
				const grown = residentKib(server.child.pid) - before;
				t.diagnostic(`10000 joins and leaves in ${elapsed} ms; RSS grew ${grown} KiB from ${before} KiB`);
				assert.ok(elapsed < 15000, `took ${elapsed} ms`);
				if (!sanitized) assert.ok(grown < 2048, `RSS grew by ${grown} KiB`);

				const rooms = JSON.parse(server.ctl(['rooms', 'list', '--json']).stdout);
				assert.deepEqual(rooms, [{ room: 'watch', peers: 1, senders: 0 }]);
				const status = JSON.parse(server.ctl(['status', '--json']).stdout);
				assert.equal(status.rooms, 1);
				assert.equal(status.peers, 1);
				assert.equal((await client.request({ type: 'ping' }, 'pong')).type, 'pong');
				// The room the churn used last is gone: joining it finds nobody.
				const late = await connectJoined(server, await guestToken(server, 'receiver'), 'churn-9999');
				assert.deepEqual(late.joined.peers, []);
				late.close();
				await watcher.expectNoMessage('peer-joined', 0);
				await assertServes(server);
			} finally {
				client.close();
				watcher.close();
			}
		});
	});
});
