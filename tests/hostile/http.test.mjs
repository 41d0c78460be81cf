// Hostile HTTP against a real daemon, over raw sockets: WebSocket handshakes
// missing their key or naming another version, heads at and over the size
// limits, slow clients trickling a head or a body one byte at a time,
// request smuggling shapes, and cross-site upgrades. Each case expects the
// status and error code a client sees, whether the server then closes the
// connection, and that nothing smuggled behind a refused request is answered;
// after each, the daemon still serves a normal client.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { startDaemon } from '../lib/daemon.mjs';
import { get, guestToken } from '../lib/rest.mjs';
import { RawHttp, rawRequest } from '../lib/raw-http.mjs';
import { upgradeHead } from '../lib/raw-ws.mjs';
import { connectAuthed } from '../lib/ws-client.mjs';

const HEAD_MAX = 8192; // request line and headers, terminator excluded
const HEADERS_MAX = 64;
const HEAD_DEADLINE_MS = 10000; // a request must arrive this soon after its first byte

let daemon;
before(async () => {
	daemon = await startDaemon({ settings: { guest_access: 'on' } });
});
after(() => stopAndCheck(daemon));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const host = () => `Host: 127.0.0.1:${daemon.port}\r\n`;

async function assertStillServing(target = daemon) {
	assert.equal((await get(target, '/healthz')).status, 200);
	const client = await connectAuthed(target, await guestToken(target, 'sender'));
	try {
		assert.equal((await client.request({ type: 'ping', id: 'alive' }, 'pong')).ref, 'alive');
	} finally {
		client.close();
	}
}

function upgradeRequest(overrides = {}, { port = daemon.port, path = '/ws' } = {}) {
	return upgradeHead(port, path, overrides);
}

// Sends data on a fresh connection; expects exactly one response with status
// and error code, then (when closes) the connection ended by the server with
// nothing more written. Returns the response.
async function expectRefusal(data, status, error, { closes = true, target = daemon } = {}) {
	const connection = await RawHttp.open(target.port);
	let response;
	try {
		await connection.write(data);
		response = await connection.readResponse(3000);
		assert.equal(response.status, status, `${response.status} ${response.body}`);
		if (error) assert.equal(JSON.parse(response.body).error, error, response.body);
		if (closes) {
			assert.ok(await connection.waitClosed(3000), 'the server closes the connection');
			assert.equal(connection.buffer.length, 0, `nothing after the refusal: ${connection.buffer}`);
		}
	} finally {
		connection.destroy();
	}
	await assertStillServing(target);
	return response;
}

describe('WebSocket handshake', () => {
	// A refused upgrade is a complete HTTP exchange: the connection stays in
	// HTTP and its next request is answered as one.
	async function expectRefusedUpgrade(overrides, status, reason) {
		const connection = await RawHttp.open(daemon.port);
		try {
			await connection.write(upgradeRequest(overrides));
			const response = await connection.readResponse();
			assert.equal(response.status, status, response.body);
			assert.equal(response.headers['sec-websocket-accept'], undefined);
			await connection.write(`GET /healthz HTTP/1.1\r\n${host()}\r\n`);
			assert.equal((await connection.readResponse()).status, 200, 'the connection still speaks HTTP');
			return { response, reason };
		} finally {
			connection.destroy();
		}
	}

	test('a handshake without Sec-WebSocket-Key is 400 invalid_request', async () => {
		const { response } = await expectRefusedUpgrade({ 'Sec-WebSocket-Key': undefined }, 400);
		assert.deepEqual(JSON.parse(response.body), {
			error: 'invalid_request',
			error_description: 'missing Sec-WebSocket-Key',
		});
		await assertStillServing();
	});

	for (const [name, key] of [
		['an empty', ''],
		['an 8-byte', randomBytes(8).toString('base64')],
		['a Base64url', 'dGhlIHNhbXBsZSBub25jZQ'],
		['a doubled', [randomBytes(16).toString('base64'), randomBytes(16).toString('base64')]],
	]) {
		test(`${name} Sec-WebSocket-Key is 400 invalid_request`, async () => {
			const { response } = await expectRefusedUpgrade({ 'Sec-WebSocket-Key': key }, 400);
			assert.equal(JSON.parse(response.body).error, 'invalid_request');
			await assertStillServing();
		});
	}

	for (const version of ['12', '8', '14', '13, 8', ['13', '8']]) {
		test(`Sec-WebSocket-Version ${JSON.stringify(version)} is 426 naming version 13`, async () => {
			const { response } = await expectRefusedUpgrade({ 'Sec-WebSocket-Version': version }, 426);
			assert.equal(response.headers['sec-websocket-version'], '13');
			await assertStillServing();
		});
	}

	test('a handshake without Sec-WebSocket-Version is 400 invalid_request', async () => {
		const { response } = await expectRefusedUpgrade({ 'Sec-WebSocket-Version': undefined }, 400);
		assert.equal(JSON.parse(response.body).error_description, 'missing Sec-WebSocket-Version');
		await assertStillServing();
	});

	test('the same handshake with a valid key upgrades (control)', async () => {
		const response = await rawRequest(daemon.port, upgradeRequest({ 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' }), {
			closeWait: 100,
		});
		assert.equal(response.status, 101);
		assert.equal(response.headers['sec-websocket-accept'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
	});
});

describe('oversized heads', () => {
	// A GET /healthz head of exactly length bytes (terminator excluded).
	function headOfLength(length) {
		const start = `GET /healthz HTTP/1.1\r\n${host()}X-Pad: `;
		return `${start}${'a'.repeat(length - start.length)}\r\n\r\n`;
	}

	test(`a head of exactly ${HEAD_MAX} bytes is served`, async () => {
		const response = await rawRequest(daemon.port, headOfLength(HEAD_MAX));
		assert.equal(response.status, 200, response.body);
	});

	test(`a head of ${HEAD_MAX + 1} bytes is 431 and closed`, async () => {
		await expectRefusal(headOfLength(HEAD_MAX + 1), 431, 'invalid_request');
	});

	test(`${HEADERS_MAX} header fields are served; ${HEADERS_MAX + 1} are 431`, async () => {
		const fields = (count) => Array.from({ length: count - 1 }, (_, i) => `X-H${i}: v\r\n`).join('');
		const ok = await rawRequest(daemon.port, `GET /healthz HTTP/1.1\r\n${host()}${fields(HEADERS_MAX)}\r\n`);
		assert.equal(ok.status, 200);
		await expectRefusal(`GET /healthz HTTP/1.1\r\n${host()}${fields(HEADERS_MAX + 1)}\r\n`, 431, 'invalid_request');
	});

	test('a megabyte of header without an end is 431 once 8 KiB are in', async () => {
		const connection = await RawHttp.open(daemon.port);
		try {
			await connection.write(`GET /healthz HTTP/1.1\r\n${host()}X-Endless: `);
			for (let i = 0; i < 64 && !connection.ended && connection.buffer.length === 0; i++) {
				await connection.write('b'.repeat(16384));
			}
			const response = await connection.readResponse(3000);
			assert.equal(response.status, 431);
			assert.ok(await connection.waitClosed(3000), 'the server closes the connection');
		} finally {
			connection.destroy();
		}
		await assertStillServing();
	});

	test('an upgrade with a head over 8 KiB is 431, not 101', async () => {
		await expectRefusal(upgradeRequest({ 'X-Pad': 'c'.repeat(HEAD_MAX) }), 431, 'invalid_request');
	});
});

describe('slow clients', () => {
	// Writes text one byte every interval ms until the server closes.
	async function trickle(connection, text, interval) {
		for (const byte of Buffer.from(text)) {
			if (connection.ended || !(await connection.write(Buffer.from([byte])))) return;
			await sleep(interval);
		}
	}

	// Expects a 408 request_timeout and a close between the deadline and a
	// little after it, measured from the first byte.
	async function expectTimedOut(connection, startedAt) {
		assert.ok(await connection.waitClosed(HEAD_DEADLINE_MS + 4000), 'the slow client is disconnected');
		const elapsed = connection.closedAt - startedAt;
		assert.ok(elapsed >= HEAD_DEADLINE_MS - 500, `not before the deadline: ${elapsed} ms`);
		assert.ok(elapsed <= HEAD_DEADLINE_MS + 2500, `soon after the deadline: ${elapsed} ms`);
		const response = connection.takeResponse();
		assert.equal(response?.status, 408, connection.buffer.toString());
		assert.equal(JSON.parse(response.body).error, 'request_timeout');
	}

	test('heads and bodies trickled one byte at a time are cut off at 10 s while others are served', { timeout: 30000 }, async () => {
		const endlessHead = `GET /healthz HTTP/1.1\r\n${host()}X-Slow: ${'s'.repeat(1000)}`;
		const slowBody = `POST /api/v1/auth/guest HTTP/1.1\r\n${host()}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n${' '.repeat(1000)}`;
		const slowHeads = [];
		for (let i = 0; i < 10; i++) slowHeads.push(await RawHttp.open(daemon.port));
		const slowBodies = [];
		for (let i = 0; i < 5; i++) slowBodies.push(await RawHttp.open(daemon.port));
		const startedAt = Date.now();
		const trickles = [
			...slowHeads.map((connection) => trickle(connection, endlessHead, 50)),
			// The head of a slow body arrives whole; then its body trickles.
			...slowBodies.map(async (connection) => {
				const headEnd = slowBody.indexOf('\r\n\r\n') + 4;
				await connection.write(slowBody.slice(0, headEnd));
				await trickle(connection, slowBody.slice(headEnd), 50);
			}),
		];
		try {
			// Served all along: REST and a WebSocket session, every second.
			while (Date.now() - startedAt < HEAD_DEADLINE_MS - 1500) {
				await assertStillServing();
				assert.ok(slowHeads.every((connection) => !connection.ended), 'not cut off early');
				await sleep(1000);
			}
			for (const connection of [...slowHeads, ...slowBodies]) await expectTimedOut(connection, startedAt);
			await Promise.all(trickles);
		} finally {
			for (const connection of [...slowHeads, ...slowBodies]) connection.destroy();
		}
		await assertStillServing();
	});
});

describe('request smuggling shapes', () => {
	// A guest-token POST whose body hides a second request: answering that
	// second request would mean the framing was read two ways.
	const smuggled = `GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`;
	const post = (headers, body = smuggled) =>
		`POST /api/v1/auth/guest HTTP/1.1\r\n${host()}Content-Type: application/json\r\n${headers}\r\n${body}`;
	const length = `Content-Length: ${smuggled.length}\r\n`;

	const shapes = [
		['Content-Length and Transfer-Encoding', `${length}Transfer-Encoding: chunked\r\n`, 400],
		['Transfer-Encoding before Content-Length', `Transfer-Encoding: chunked\r\n${length}`, 400],
		['Transfer-Encoding in capitals with Content-Length', `${length}TRANSFER-ENCODING: CHUNKED\r\n`, 400],
		['Transfer-Encoding: identity with Content-Length', `${length}Transfer-Encoding: identity\r\n`, 400],
		['a tab before the Transfer-Encoding value with Content-Length', `${length}Transfer-Encoding:\tchunked\r\n`, 400],
		['a space before the colon of Transfer-Encoding', `${length}Transfer-Encoding : chunked\r\n`, 400],
		['Transfer-Encoding alone', 'Transfer-Encoding: chunked\r\n', 501],
		['two equal Content-Length fields', `${length}${length}`, 400],
		['two different Content-Length fields', `Content-Length: 0\r\n${length}`, 400],
		['a Content-Length list', `Content-Length: ${smuggled.length}, ${smuggled.length}\r\n`, 400],
		['a signed Content-Length', `Content-Length: +${smuggled.length}\r\n`, 400],
		['a negative Content-Length', 'Content-Length: -1\r\n', 400],
		['a Content-Length past 2^64', 'Content-Length: 184467440737095516160\r\n', 400],
		['a Content-Length in hex', `Content-Length: 0x${smuggled.length.toString(16)}\r\n`, 400],
		['two Host fields', `Host: evil.example\r\n${length}`, 400],
	];
	for (const [name, headers, status] of shapes) {
		test(`${name}: ${status}, closed, the hidden request unanswered`, async () => {
			await expectRefusal(post(headers), status, 'invalid_request');
		});
	}

	test('bare LF line endings: 400, closed, the hidden request unanswered', async () => {
		await expectRefusal(`POST /api/v1/auth/guest HTTP/1.1\n${host().trim()}\n${length.trim()}\n\r\n${smuggled}`, 400, 'invalid_request');
	});

	test('a bare CR inside a header: 400, closed', async () => {
		await expectRefusal(`GET /healthz HTTP/1.1\r\n${host()}X-A: b\rTransfer-Encoding: chunked\r\n\r\n`, 400, 'invalid_request');
	});

	test('an absolute-form target: 400, closed', async () => {
		await expectRefusal(`GET http://evil.example/healthz HTTP/1.1\r\n${host()}\r\n`, 400, 'invalid_request');
	});

	test('the same POST with one Content-Length gets one answer and serves the next request (control)', async () => {
		const body = JSON.stringify({ role: 'sender' });
		const connection = await RawHttp.open(daemon.port);
		try {
			await connection.write(post(`Content-Length: ${body.length}\r\n`, body) + `GET /nowhere HTTP/1.1\r\n${host()}\r\n`);
			const first = await connection.readResponse();
			assert.equal(first.status, 200, first.body);
			daemon.noteSecret(JSON.parse(first.body).access_token, 'access token');
			daemon.noteSecret(JSON.parse(first.body).refresh_token, 'refresh token');
			assert.equal((await connection.readResponse()).status, 404);
		} finally {
			connection.destroy();
		}
	});
});

describe('cross-site WebSocket', () => {
	let listed;
	before(async () => {
		listed = await startDaemon({ settings: { guest_access: 'on', allowed_origins: 'https://good.example' } });
	});
	after(() => stopAndCheck(listed));

	const refusedOrigins = [
		'https://evil.example',
		'null',
		'https://good.example:8443',
		'http://good.example',
		'https://good.example.evil.example',
		'https://evil.example/https://good.example',
		'https://good.example/',
	];
	for (const origin of refusedOrigins) {
		test(`Origin ${origin} (not on allowed_origins) is 403 forbidden_origin`, async () => {
			const token = await guestToken(listed, 'sender');
			listed.noteSecret(token, 'access token');
			const request = upgradeRequest({ Origin: origin }, { port: listed.port, path: `/ws?access_token=${token}` });
			const response = await expectRefusal(request, 403, 'forbidden_origin', { closes: false, target: listed });
			assert.equal(response.headers.upgrade, undefined);
		});
	}

	for (const origin of ['https://good.example', 'HTTPS://GOOD.EXAMPLE']) {
		test(`Origin ${origin} (listed) upgrades (control)`, async () => {
			const client = await connectAuthed(listed, await guestToken(listed, 'sender'), 'header', { origin });
			client.close();
		});
	}

	test('without allowed_origins, an Origin other than the Host is 403 forbidden_origin', async () => {
		for (const origin of ['http://evil.example', `http://127.0.0.1:${daemon.port}.evil.example`, `http://127.0.0.1:${daemon.port + 1}`]) {
			await expectRefusal(upgradeRequest({ Origin: origin }), 403, 'forbidden_origin', { closes: false });
		}
		const client = await connectAuthed(daemon, await guestToken(daemon, 'sender'), 'header', {
			origin: `http://127.0.0.1:${daemon.port}`,
		});
		client.close();
	});
});
