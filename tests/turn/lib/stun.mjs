// A minimal STUN/TURN client (RFC 8489 / RFC 8656) for the TURN tests: it
// speaks just enough to Allocate, Refresh, CreatePermission and Send with the
// long-term credential mechanism, and reports the server's exact error code,
// which turnutils_uclient does not (it retries a 401 and only says it failed).
import { createHmac, createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';

const MAGIC_COOKIE = 0x2112a442;
export const METHOD = { BINDING: 0x001, ALLOCATE: 0x003, REFRESH: 0x004, SEND: 0x006, DATA: 0x007, CREATE_PERMISSION: 0x008 };
const CLASS = { REQUEST: 0x000, INDICATION: 0x010, SUCCESS: 0x100, ERROR: 0x110 };
const ATTR = {
	USERNAME: 0x0006,
	MESSAGE_INTEGRITY: 0x0008,
	ERROR_CODE: 0x0009,
	LIFETIME: 0x000d,
	XOR_PEER_ADDRESS: 0x0012,
	DATA: 0x0013,
	REALM: 0x0014,
	NONCE: 0x0015,
	XOR_RELAYED_ADDRESS: 0x0016,
	REQUESTED_TRANSPORT: 0x0019,
};
const UDP_TRANSPORT = 17;

// The REST API credential of the TURN REST draft: username "EXPIRY:SUBJECT",
// password base64(HMAC-SHA1(secret, username)).
export function restCredential(secret, expiry, subject) {
	const username = `${expiry}:${subject}`;
	const password = createHmac('sha1', secret).update(username).digest('base64');
	return { username, password };
}

function encodeType(method, klass) {
	return (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | klass;
}

function decodeType(type) {
	const method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
	return { method, klass: type & 0x0110 };
}

function attribute(type, value) {
	const padded = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
	padded.writeUInt16BE(type, 0);
	padded.writeUInt16BE(value.length, 2);
	value.copy(padded, 4);
	return padded;
}

function xorAddress(address, port) {
	const value = Buffer.alloc(8);
	value.writeUInt8(0x01, 1);
	value.writeUInt16BE(port ^ (MAGIC_COOKIE >>> 16), 2);
	const octets = address.split('.').map(Number);
	value.writeUInt32BE((((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) ^ MAGIC_COOKIE) >>> 0, 4);
	return value;
}

function parseXorAddress(value) {
	const port = value.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16);
	const raw = (value.readUInt32BE(4) ^ MAGIC_COOKIE) >>> 0;
	return { address: [raw >>> 24, (raw >>> 16) & 255, (raw >>> 8) & 255, raw & 255].join('.'), port };
}

// Builds a message; with key set, appends MESSAGE-INTEGRITY over everything before it.
export function encodeMessage(method, klass, tid, attributes, key) {
	const body = Buffer.concat(attributes.map(([type, value]) => attribute(type, value)));
	const header = Buffer.alloc(20);
	header.writeUInt16BE(encodeType(method, klass), 0);
	header.writeUInt32BE(MAGIC_COOKIE, 4);
	tid.copy(header, 8);
	if (!key) {
		header.writeUInt16BE(body.length, 2);
		return Buffer.concat([header, body]);
	}
	header.writeUInt16BE(body.length + 24, 2);
	const hmac = createHmac('sha1', key).update(Buffer.concat([header, body])).digest();
	return Buffer.concat([header, body, attribute(ATTR.MESSAGE_INTEGRITY, hmac)]);
}

export function decodeMessage(buffer) {
	if (buffer.length < 20 || buffer.readUInt32BE(4) !== MAGIC_COOKIE) return null;
	const length = buffer.readUInt16BE(2);
	if (buffer.length < 20 + length) return null;
	const { method, klass } = decodeType(buffer.readUInt16BE(0));
	const attributes = new Map();
	for (let offset = 20; offset + 4 <= 20 + length; ) {
		const type = buffer.readUInt16BE(offset);
		const size = buffer.readUInt16BE(offset + 2);
		if (!attributes.has(type)) attributes.set(type, buffer.subarray(offset + 4, offset + 4 + size));
		offset += 4 + Math.ceil(size / 4) * 4;
	}
	const tid = buffer.subarray(8, 20);
	let error = null;
	const errorValue = attributes.get(ATTR.ERROR_CODE);
	if (errorValue) error = { code: (errorValue[2] & 7) * 100 + errorValue[3], reason: errorValue.subarray(4).toString() };
	return { method, klass, tid, attributes, error, size: 20 + length };
}

// One TURN client transport connection (UDP or TCP) to the server.
export class TurnClient {
	#socket;
	#transport;
	#host;
	#port;
	#pending = new Map(); // transaction id (hex) -> resolve
	#tcpBuffer = Buffer.alloc(0);
	#credential = null; // { username, key, realm, nonce } after a 401 challenge
	closed;
	onData = null; // (peer, Buffer) for Data indications

	static async connect({ host, port, transport = 'udp' }) {
		const client = new TurnClient(host, port, transport);
		await client.#open();
		return client;
	}

	constructor(host, port, transport) {
		this.#host = host;
		this.#port = port;
		this.#transport = transport;
	}

	async #open() {
		let markClosed;
		this.closed = new Promise((resolve) => (markClosed = resolve));
		if (this.#transport === 'udp') {
			this.#socket = dgram.createSocket('udp4');
			this.#socket.on('message', (message) => this.#receive(message));
			this.#socket.on('close', () => markClosed(Date.now()));
			await new Promise((resolve) => this.#socket.bind(0, '127.0.0.1', resolve));
			return;
		}
		this.#socket = net.connect({ host: this.#host, port: this.#port });
		this.#socket.on('data', (chunk) => {
			this.#tcpBuffer = Buffer.concat([this.#tcpBuffer, chunk]);
			for (;;) {
				if (this.#tcpBuffer.length < 4) return;
				const size = 20 + this.#tcpBuffer.readUInt16BE(2);
				if (this.#tcpBuffer.length < size) return;
				this.#receive(this.#tcpBuffer.subarray(0, size));
				this.#tcpBuffer = this.#tcpBuffer.subarray(size);
			}
		});
		this.#socket.on('error', () => {});
		this.#socket.on('close', () => markClosed(Date.now()));
		await new Promise((resolve, reject) => {
			this.#socket.once('connect', resolve);
			this.#socket.once('error', reject);
		});
	}

	#receive(buffer) {
		const message = decodeMessage(buffer);
		if (!message) return;
		if (message.klass === CLASS.INDICATION && message.method === METHOD.DATA) {
			const peer = message.attributes.get(ATTR.XOR_PEER_ADDRESS);
			const data = message.attributes.get(ATTR.DATA);
			if (peer && data && this.onData) this.onData(parseXorAddress(peer), data);
			return;
		}
		const resolve = this.#pending.get(message.tid.toString('hex'));
		if (resolve) resolve(message);
	}

	#write(buffer) {
		if (this.#transport === 'udp') this.#socket.send(buffer, this.#port, this.#host);
		else this.#socket.write(buffer);
	}

	// Sends a request (retransmitting over UDP) and resolves with the response.
	async #transaction(method, attributes, key, timeoutMs = 3000) {
		const tid = randomBytes(12);
		const message = encodeMessage(method, CLASS.REQUEST, tid, attributes, key);
		const id = tid.toString('hex');
		let timer;
		let retransmit;
		try {
			return await new Promise((resolve, reject) => {
				this.#pending.set(id, resolve);
				timer = setTimeout(() => reject(new Error(`no response to method ${method} in ${timeoutMs} ms`)), timeoutMs);
				this.#write(message);
				if (this.#transport === 'udp') retransmit = setInterval(() => this.#write(message), 250);
			});
		} finally {
			clearTimeout(timer);
			clearInterval(retransmit);
			this.#pending.delete(id);
		}
	}

	#authAttributes() {
		const c = this.#credential;
		return [
			[ATTR.USERNAME, Buffer.from(c.username)],
			[ATTR.REALM, Buffer.from(c.realm)],
			[ATTR.NONCE, Buffer.from(c.nonce)],
		];
	}

	// Sends an authenticated request, answering one 401/438 challenge.
	async #authenticated(method, attributes) {
		for (let attempt = 0; attempt < 2; attempt++) {
			const response = await this.#transaction(method, [...attributes, ...this.#authAttributes()], this.#credential.key);
			const code = response.error?.code;
			if ((code === 438 || code === 401) && attempt === 0 && response.attributes.has(ATTR.NONCE)) {
				const nonce = response.attributes.get(ATTR.NONCE).toString();
				if (code === 401 && nonce === this.#credential.nonce) return result(response);
				this.#credential.nonce = nonce;
				continue;
			}
			return result(response);
		}
		throw new Error('unreachable');
	}

	// Allocates a UDP relay with the long-term credential. Resolves with
	// { ok, code, reason, relayed }.
	async allocate({ username, password, lifetime = 600 }) {
		const request = [
			[ATTR.REQUESTED_TRANSPORT, Buffer.from([UDP_TRANSPORT, 0, 0, 0])],
			[ATTR.LIFETIME, uint32(lifetime)],
		];
		const challenge = await this.#transaction(METHOD.ALLOCATE, request);
		if (challenge.error?.code !== 401) return result(challenge);
		const realm = challenge.attributes.get(ATTR.REALM).toString();
		const nonce = challenge.attributes.get(ATTR.NONCE).toString();
		const key = createHash('md5').update(`${username}:${realm}:${password}`).digest();
		this.#credential = { username, realm, nonce, key };
		const response = await this.#authenticated(METHOD.ALLOCATE, request);
		const relayed = response.message?.attributes.get(ATTR.XOR_RELAYED_ADDRESS);
		return { ...response, relayed: relayed ? parseXorAddress(relayed) : null };
	}

	async refresh(lifetime = 600) {
		return this.#authenticated(METHOD.REFRESH, [[ATTR.LIFETIME, uint32(lifetime)]]);
	}

	async createPermission(peer) {
		return this.#authenticated(METHOD.CREATE_PERMISSION, [[ATTR.XOR_PEER_ADDRESS, xorAddress(peer.address, peer.port)]]);
	}

	// A Send indication: relays data to peer through the allocation.
	send(peer, data) {
		const attributes = [
			[ATTR.XOR_PEER_ADDRESS, xorAddress(peer.address, peer.port)],
			[ATTR.DATA, data],
		];
		this.#write(encodeMessage(METHOD.SEND, CLASS.INDICATION, randomBytes(12), attributes));
	}

	close() {
		if (this.#transport === 'udp') {
			try {
				this.#socket.close();
			} catch {
				// already closed
			}
		} else {
			this.#socket.destroy();
		}
	}
}

function uint32(value) {
	const buffer = Buffer.alloc(4);
	buffer.writeUInt32BE(value, 0);
	return buffer;
}

function result(message) {
	if (message.klass === CLASS.SUCCESS) return { ok: true, code: 200, reason: '', message };
	return { ok: false, code: message.error?.code ?? 0, reason: message.error?.reason ?? '', message };
}

// Sends a STUN Binding request over UDP; resolves true on any response.
export async function stunPing(host, port, timeoutMs = 300) {
	const socket = dgram.createSocket('udp4');
	try {
		return await new Promise((resolve) => {
			const timer = setTimeout(() => resolve(false), timeoutMs);
			socket.on('message', () => {
				clearTimeout(timer);
				resolve(true);
			});
			socket.on('error', () => {
				clearTimeout(timer);
				resolve(false);
			});
			socket.send(encodeMessage(METHOD.BINDING, CLASS.REQUEST, randomBytes(12), []), port, host);
		});
	} finally {
		socket.close();
	}
}
