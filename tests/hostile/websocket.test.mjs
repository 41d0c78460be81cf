// Hostile WebSocket framing against a real daemon, sent as hand-built bytes:
// unmasked frames, reserved bits and opcodes, broken control frames, invalid
// UTF-8, bad close codes, length fields that lie, 2^63-byte claims, data after
// a close, and messages around max_message_bytes. Each case expects the close
// code RFC 6455 names (and icegate's reason where icegate writes it), the TCP
// connection ended by the server, and afterwards a well-behaved client served.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { startDaemon } from '../lib/daemon.mjs';
import { guestToken } from '../lib/rest.mjs';
import { OPCODE, RawWs, closePayload, encodeFrame } from '../lib/raw-ws.mjs';
import { connectAuthed } from '../lib/ws-client.mjs';

const MAX_MESSAGE = 1024; // the smallest max_message_bytes icegate accepts

let daemon;
before(async () => {
	daemon = await startDaemon({ settings: { guest_access: 'on', max_message_bytes: MAX_MESSAGE } });
});
after(() => stopAndCheck(daemon));

async function rawSession(target = daemon) {
	const token = await guestToken(target, 'sender');
	const raw = await RawWs.upgrade(target.port, `/ws?access_token=${token}`);
	await raw.nextMessage('authenticated');
	return raw;
}

async function assertStillServing(target = daemon) {
	const client = await connectAuthed(target, await guestToken(target, 'receiver'));
	try {
		assert.equal((await client.request({ type: 'ping', id: 'alive' }, 'pong')).ref, 'alive');
	} finally {
		client.close();
	}
}

// Sends each item (a frame description for encodeFrame, or raw bytes).
async function send(raw, items) {
	for (const item of items) {
		if (Buffer.isBuffer(item)) await raw.write(item);
		else await raw.sendFrame(item);
	}
}

// Every frame the server sends until it ends the TCP connection: the close
// frame's code and reason, and the opcodes of the frames before it.
async function readUntilEnd(raw, timeout = 3000) {
	const deadline = Date.now() + timeout;
	const before = [];
	let close = null;
	for (;;) {
		const frame = await raw.nextFrame(Math.max(1, deadline - Date.now()));
		if (!frame) break;
		if (frame.opcode === OPCODE.close) {
			close = {
				code: frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005,
				reason: frame.payload.subarray(2).toString('utf8'),
			};
			assert.ok(await raw.waitClosed(timeout), 'the server ends the TCP connection after its close frame');
			const after = raw.takeFrame();
			assert.equal(after, null, 'nothing follows the close frame');
			return { ...close, before };
		}
		before.push(frame.opcode === OPCODE.text ? JSON.parse(frame.payload.toString()).type : frame.opcode);
	}
	return { code: null, reason: '', before };
}

// Sends items on a fresh authenticated session and expects a close with
// code (and reason, when icegate writes it rather than wslay).
async function expectClose(items, code, { reason, session = rawSession } = {}) {
	const raw = await session();
	let result;
	try {
		await send(raw, items);
		result = await readUntilEnd(raw);
		assert.equal(result.code, code, `expected close ${code}, got ${result.code} ${result.reason}`);
		if (reason !== undefined) assert.equal(result.reason, reason);
	} finally {
		raw.destroy();
	}
	await assertStillServing();
	return result;
}

const text = (payload, extra = {}) => ({ opcode: OPCODE.text, payload, ...extra });
const ping = (id) => JSON.stringify({ type: 'ping', id });

// A masked frame whose length is written in the given form whatever the
// payload's size: 'short' (7 bits), 'u16' or 'u64', for non-minimal encodings.
function frameWithLengthForm(opcode, payload, form) {
	const data = Buffer.from(payload);
	const length = { short: Buffer.from([data.length]), u16: Buffer.alloc(2), u64: Buffer.alloc(8) }[form];
	if (form === 'u16') length.writeUInt16BE(data.length);
	if (form === 'u64') length.writeBigUInt64BE(BigInt(data.length));
	const marker = { short: 0, u16: 126, u64: 127 }[form];
	const key = randomBytes(4);
	const masked = Buffer.from(data.map((byte, i) => byte ^ key[i & 3]));
	return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | marker]), length, key, masked]);
}

// A ping message of exactly size bytes.
function pingOfSize(size, id = 'sized') {
	const empty = JSON.stringify({ type: 'ping', id, pad: '' });
	return JSON.stringify({ type: 'ping', id, pad: 'a'.repeat(size - empty.length) });
}

describe('unmasked client frames', () => {
	test('an unmasked text frame closes 1002', async () => {
		await expectClose([text(ping(1), { mask: false })], 1002);
	});

	test('an unmasked ping closes 1002', async () => {
		await expectClose([{ opcode: OPCODE.ping, payload: 'x', mask: false }], 1002);
	});

	test('an unmasked close frame closes 1002', async () => {
		await expectClose([{ opcode: OPCODE.close, payload: closePayload(1000), mask: false }], 1002);
	});
});

describe('reserved bits', () => {
	for (const rsv of [1, 2, 4]) {
		test(`RSV bit ${rsv} on a text frame closes 1002`, async () => {
			await expectClose([text(ping(1), { rsv })], 1002);
		});
	}

	test('an RSV bit on a ping closes 1002', async () => {
		await expectClose([{ opcode: OPCODE.ping, payload: 'x', rsv: 1 }], 1002);
	});
});

describe('reserved opcodes', () => {
	for (const opcode of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
		test(`opcode ${opcode} closes 1002`, async () => {
			await expectClose([{ opcode, payload: 'x' }], 1002);
		});
	}
});

describe('fragmented control frames', () => {
	for (const [name, opcode, payload] of [
		['ping', OPCODE.ping, 'ab'],
		['pong', OPCODE.pong, 'ab'],
		['close', OPCODE.close, closePayload(1000)],
	]) {
		test(`a ${name} without FIN closes 1002`, async () => {
			await expectClose([{ opcode, payload, fin: false }], 1002, { reason: 'fragmented control frame' });
		});
	}

	test('a fragmented ping inside a fragmented text message closes 1002', async () => {
		await expectClose(
			[text('{"type":', { fin: false }), { opcode: OPCODE.ping, payload: 'ab', fin: false }],
			1002,
			{ reason: 'fragmented control frame' }
		);
	});
});

describe('control frames over 125 bytes', () => {
	for (const [name, opcode, payload] of [
		['ping', OPCODE.ping, Buffer.alloc(126, 0x61)],
		['pong', OPCODE.pong, Buffer.alloc(126, 0x61)],
		['close', OPCODE.close, closePayload(1000, 'r'.repeat(124))],
	]) {
		test(`a ${name} of 126 bytes closes 1002`, async () => {
			await expectClose([{ opcode, payload }], 1002, { reason: 'control frame over 125 bytes' });
		});
	}

	test('a ping of exactly 125 bytes is answered with its payload', async () => {
		const raw = await rawSession();
		try {
			const payload = Buffer.alloc(125, 0x62);
			await raw.sendFrame({ opcode: OPCODE.ping, payload });
			let frame;
			do frame = await raw.nextFrame();
			while (frame && frame.opcode !== OPCODE.pong);
			assert.ok(frame, 'a pong arrived');
			assert.deepEqual(frame.payload, payload);
		} finally {
			raw.destroy();
		}
	});
});

describe('invalid UTF-8 in text', () => {
	const inside = (bytes) => Buffer.concat([Buffer.from('{"type":"ping","id":"'), Buffer.from(bytes), Buffer.from('"}')]);
	for (const [name, bytes] of [
		['an overlong encoding of "/"', [0xc0, 0xaf]],
		['a UTF-16 surrogate', [0xed, 0xa0, 0x80]],
		['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
		['a lone continuation byte', [0x80]],
		['a byte that never occurs in UTF-8', [0xff]],
	]) {
		test(`${name} closes 1007`, async () => {
			await expectClose([text(inside(bytes))], 1007);
		});
	}

	test('a sequence cut by the end of the message closes 1007', async () => {
		await expectClose([text(Buffer.concat([Buffer.from(ping('x')), Buffer.from([0xe2, 0x82])]))], 1007);
	});

	test('a four-byte character is valid and echoed in the pong', async () => {
		const raw = await rawSession();
		try {
			await raw.sendText(ping('🧊'));
			assert.equal((await raw.nextMessage('pong')).ref, '🧊');
		} finally {
			raw.destroy();
		}
	});
});

describe('close frames', () => {
	for (const code of [0, 999, 1004, 1005, 1006, 1012, 1014, 1015, 1016, 2999, 5000, 65535]) {
		test(`close code ${code} closes 1002`, async () => {
			await expectClose([{ opcode: OPCODE.close, payload: closePayload(code) }], 1002);
		});
	}

	for (const code of [1000, 1001, 1003, 1007, 1011, 3000, 4999]) {
		test(`close code ${code} is echoed`, async () => {
			await expectClose([{ opcode: OPCODE.close, payload: closePayload(code, 'bye') }], code);
		});
	}

	test('a close without a code is echoed without one', async () => {
		await expectClose([{ opcode: OPCODE.close }], 1005);
	});
});

describe('length fields that lie', () => {
	test('a length shorter than the payload: the rest is read as the next frame header', async () => {
		// The declared 15 bytes are a whole ping message; the surplus starts
		// with '{' (0x7b: FIN clear, RSV 7, opcode 11), a bad frame header.
		const first = ping(1);
		const result = await expectClose([Buffer.concat([encodeFrame(text(first)), Buffer.from(ping(2))])], 1002);
		assert.deepEqual(result.before, ['pong'], 'the declared frame was answered, the surplus was not');
	});

	test('a 16-bit length under 126 (not minimally encoded) closes 1002', async () => {
		await expectClose([frameWithLengthForm(OPCODE.text, ping(1), 'u16')], 1002, {
			reason: 'frame length not minimally encoded',
		});
	});

	test('a 64-bit length under 65536 (not minimally encoded) closes 1002', async () => {
		await expectClose([frameWithLengthForm(OPCODE.text, ping(1), 'u64')], 1002, {
			reason: 'frame length not minimally encoded',
		});
	});

	test('a length of 2^63 closes 1002 at the header', async () => {
		await expectClose([encodeFrame(text('{', { length: 2n ** 63n })).subarray(0, 14)], 1002, {
			reason: 'frame length has its most significant bit set',
		});
	});

	test('a length of 2^64 - 1 closes 1002 at the header', async () => {
		await expectClose([encodeFrame(text('{', { length: 2n ** 64n - 1n })).subarray(0, 14)], 1002, {
			reason: 'frame length has its most significant bit set',
		});
	});

	test('a length of 2^63 - 1 closes 1009 at the header', async () => {
		await expectClose([encodeFrame(text('{', { length: 2n ** 63n - 1n })).subarray(0, 14)], 1009, {
			reason: 'message too big',
		});
	});

	test('a length of 2^32 + 15 is not truncated to 15 bytes: 1009', async () => {
		// A 32-bit reader would see 15 and run the ping that follows.
		await expectClose([encodeFrame(text(ping(1), { length: 2n ** 32n + 15n }))], 1009, { reason: 'message too big' });
	});

	describe('a length longer than what follows', () => {
		let idle;
		before(async () => {
			idle = await startDaemon({ settings: { guest_access: 'on', ping_interval: 1, idle_timeout: 2 } });
		});
		after(() => stopAndCheck(idle));

		// The server waits for the announced bytes, delivers nothing, serves
		// others meanwhile, and drops the connection at idle_timeout.
		async function expectIdleClose(stall) {
			const raw = await rawSession(idle);
			const started = Date.now();
			try {
				const stalling = stall(raw);
				await assertStillServing(idle);
				const result = await readUntilEnd(raw, 6000);
				await stalling;
				const elapsed = Date.now() - started;
				assert.equal(result.code, 1001, `closed with ${result.code} ${result.reason}`);
				assert.equal(result.reason, 'idle timeout');
				assert.ok(!result.before.includes('pong'), 'the incomplete message was not delivered');
				assert.ok(elapsed >= 1500 && elapsed <= 4500, `closed after ${elapsed} ms`);
			} finally {
				raw.destroy();
			}
			await assertStillServing(idle);
		}

		test('a frame announcing 100 bytes and sending 15 closes 1001 at idle_timeout', async () => {
			await expectIdleClose((raw) => raw.sendFrame(text(ping(1), { length: 100 })));
		});

		test('a payload trickled one byte every 300 ms closes 1001 at idle_timeout', async () => {
			await expectIdleClose(async (raw) => {
				// The header (2 + 2 length + 4 mask bytes) at once, then the payload.
				const bytes = encodeFrame(text(pingOfSize(200)));
				await raw.write(bytes.subarray(0, 8));
				for (const byte of bytes.subarray(8)) {
					if (!(await raw.write(Buffer.from([byte])))) return;
					await new Promise((resolve) => setTimeout(resolve, 300));
					if (raw.ended) return;
				}
			});
		});
	});
});

describe('data after close', () => {
	test('a ping message behind the client\'s close frame is not answered', async () => {
		const bytes = Buffer.concat([
			encodeFrame({ opcode: OPCODE.close, payload: closePayload(1000) }),
			encodeFrame(text(ping('late'))),
		]);
		const result = await expectClose([bytes], 1000);
		assert.deepEqual(result.before, [], 'nothing but the close echo');
	});

	test('garbage behind the client\'s close frame is ignored', async () => {
		const bytes = Buffer.concat([
			encodeFrame({ opcode: OPCODE.close, payload: closePayload(1000) }),
			Buffer.alloc(64, 0xff),
		]);
		await expectClose([bytes], 1000);
	});

	test('a ping message behind a violation is not answered', async () => {
		const bytes = Buffer.concat([encodeFrame(text(ping(1), { rsv: 4 })), encodeFrame(text(ping('late')))]);
		const result = await expectClose([bytes], 1002);
		assert.deepEqual(result.before, [], 'nothing but the close');
	});

	test('a message sent after the server\'s close frame is not answered', async () => {
		const raw = await rawSession();
		try {
			await raw.sendFrame({ opcode: 3, payload: 'x' });
			const close = await raw.waitCloseFrame();
			assert.equal(close.code, 1002);
			await raw.sendText(ping('late'));
			const result = await readUntilEnd(raw);
			assert.deepEqual(result, { code: null, reason: '', before: [] });
			assert.ok(raw.ended, 'the server ended the connection');
		} finally {
			raw.destroy();
		}
		await assertStillServing();
	});
});

describe('max_message_bytes', () => {
	test('a header announcing max_message_bytes + 1 closes 1009 before any payload', async () => {
		const header = encodeFrame(text(pingOfSize(MAX_MESSAGE + 1))).subarray(0, 8);
		await expectClose([header], 1009, { reason: 'message too big' });
	});

	test('one frame of max_message_bytes + 1 closes 1009', async () => {
		await expectClose([text(pingOfSize(MAX_MESSAGE + 1))], 1009, { reason: 'message too big' });
	});

	test('fragments adding up to max_message_bytes + 1 close 1009', async () => {
		const message = Buffer.from(pingOfSize(MAX_MESSAGE + 1));
		await expectClose(
			[
				text(message.subarray(0, 400), { fin: false }),
				{ opcode: OPCODE.continuation, payload: message.subarray(400, 800), fin: false },
				{ opcode: OPCODE.continuation, payload: message.subarray(800) },
			],
			1009
		);
	});

	test('one frame of exactly max_message_bytes is answered', async () => {
		const raw = await rawSession();
		try {
			await raw.sendText(pingOfSize(MAX_MESSAGE, 'at-limit'));
			assert.equal((await raw.nextMessage('pong')).ref, 'at-limit');
		} finally {
			raw.destroy();
		}
	});

	test('fragments adding up to exactly max_message_bytes are answered', async () => {
		const raw = await rawSession();
		try {
			const message = Buffer.from(pingOfSize(MAX_MESSAGE, 'fragments'));
			await raw.sendFrame(text(message.subarray(0, 400), { fin: false }));
			await raw.sendFrame({ opcode: OPCODE.continuation, payload: message.subarray(400, 800), fin: false });
			await raw.sendFrame({ opcode: OPCODE.continuation, payload: message.subarray(800) });
			assert.equal((await raw.nextMessage('pong')).ref, 'fragments');
		} finally {
			raw.destroy();
		}
	});
});
