// A TURN client over UDP for the hostile TURN cases that tests/turn/lib's
// TurnClient cannot express: it can answer the server's challenge with a
// realm of its own choosing, ask for an IPv6 relay (REQUESTED-ADDRESS-FAMILY,
// RFC 8656 section 18.11), and name IPv6 peers (IPv4-mapped ones included)
// in CreatePermission. It builds and parses messages with tests/turn/lib's
// encoder, and reports the exact response code of each request.
import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { isIPv4 } from 'node:net';
import { METHOD, decodeMessage, encodeMessage } from '../../turn/lib/stun.mjs';

const MAGIC_COOKIE = 0x2112a442;
const REQUEST = 0x000;
const SUCCESS = 0x100;
const ATTR = {
	USERNAME: 0x0006,
	LIFETIME: 0x000d,
	XOR_PEER_ADDRESS: 0x0012,
	REALM: 0x0014,
	NONCE: 0x0015,
	REQUESTED_ADDRESS_FAMILY: 0x0017,
	REQUESTED_TRANSPORT: 0x0019,
};
const FAMILY = { ipv4: 0x01, ipv6: 0x02 };

// The 16 bytes of an IPv6 address in any textual form node accepts
// (compressed, or with a dotted IPv4 tail as in ::ffff:127.0.0.1).
function ipv6Bytes(address) {
	let text = address;
	const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
	if (tail) {
		const o = tail[1].split('.').map(Number);
		text = `${text.slice(0, -tail[1].length)}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
	}
	const [head, rest] = text.split('::');
	const left = head ? head.split(':') : [];
	const right = rest === undefined ? [] : rest ? rest.split(':') : [];
	const groups = rest === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill('0'), ...right];
	if (groups.length !== 8) throw new Error(`not an IPv6 address: ${address}`);
	const bytes = Buffer.alloc(16);
	groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
	return bytes;
}

// XOR-PEER-ADDRESS value for address (IPv4 or IPv6) and port; IPv6 is XORed
// with the magic cookie and the transaction id (RFC 8489 section 14.2).
function xorPeerAddress(address, port, tid) {
	const v4 = isIPv4(address);
	const raw = v4 ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
	const mask = Buffer.alloc(16);
	mask.writeUInt32BE(MAGIC_COOKIE, 0);
	tid.copy(mask, 4);
	const value = Buffer.alloc(4 + raw.length);
	value.writeUInt8(v4 ? FAMILY.ipv4 : FAMILY.ipv6, 1);
	value.writeUInt16BE(port ^ (MAGIC_COOKIE >>> 16), 2);
	for (let i = 0; i < raw.length; i++) value[4 + i] = raw[i] ^ mask[i];
	return value;
}

function uint32(value) {
	const buffer = Buffer.alloc(4);
	buffer.writeUInt32BE(value >>> 0, 0);
	return buffer;
}

export class RawTurnClient {
	#socket;
	#host;
	#port;
	#pending = new Map();
	#auth = null; // { username, realm, nonce, key }

	static async connect(host, port) {
		const client = new RawTurnClient(host, port);
		client.#socket = dgram.createSocket('udp4');
		client.#socket.on('message', (buffer) => {
			const message = decodeMessage(buffer);
			const resolve = message && client.#pending.get(message.tid.toString('hex'));
			if (resolve) resolve(message);
		});
		await new Promise((resolve) => client.#socket.bind(0, '127.0.0.1', resolve));
		return client;
	}

	constructor(host, port) {
		this.#host = host;
		this.#port = port;
	}

	// Sends one request (retransmitted every 250 ms) and resolves with
	// {code, reason, message}. build(tid) returns the attributes.
	async #transaction(method, build, key, timeoutMs = 3000) {
		const tid = randomBytes(12);
		const packet = encodeMessage(method, REQUEST, tid, build(tid), key);
		const id = tid.toString('hex');
		let timer;
		let retransmit;
		try {
			const message = await new Promise((resolve, reject) => {
				this.#pending.set(id, resolve);
				timer = setTimeout(() => reject(new Error(`no answer to method ${method} within ${timeoutMs} ms`)), timeoutMs);
				const send = () => this.#socket.send(packet, this.#port, this.#host);
				send();
				retransmit = setInterval(send, 250);
			});
			if (message.klass === SUCCESS) return { code: 200, reason: '', message };
			return { code: message.error?.code ?? 0, reason: message.error?.reason ?? '', message };
		} finally {
			clearTimeout(timer);
			clearInterval(retransmit);
			this.#pending.delete(id);
		}
	}

	#authAttributes() {
		const { username, realm, nonce } = this.#auth;
		return [
			[ATTR.USERNAME, Buffer.from(username)],
			[ATTR.REALM, Buffer.from(realm)],
			[ATTR.NONCE, Buffer.from(nonce)],
		];
	}

	// An authenticated request: a stale nonce (438) is retried once.
	async #authenticated(method, build) {
		let result = await this.#transaction(method, (tid) => [...build(tid), ...this.#authAttributes()], this.#auth.key);
		if (result.code === 438 && result.message.attributes.has(ATTR.NONCE)) {
			this.#auth.nonce = result.message.attributes.get(ATTR.NONCE).toString();
			result = await this.#transaction(method, (tid) => [...build(tid), ...this.#authAttributes()], this.#auth.key);
		}
		return result;
	}

	// Allocates a UDP relay. credential: {username, password}; options:
	// realm (answer the challenge with this realm instead of the server's),
	// family ('ipv4' or 'ipv6' relay). Resolves with {code, reason}.
	async allocate(credential, { realm, family = 'ipv4' } = {}) {
		const request = () => {
			const attributes = [
				[ATTR.REQUESTED_TRANSPORT, Buffer.from([17, 0, 0, 0])],
				[ATTR.LIFETIME, uint32(600)],
			];
			if (family === 'ipv6') attributes.push([ATTR.REQUESTED_ADDRESS_FAMILY, Buffer.from([FAMILY.ipv6, 0, 0, 0])]);
			return attributes;
		};
		const challenge = await this.#transaction(METHOD.ALLOCATE, request);
		if (challenge.code !== 401) return challenge;
		const answerRealm = realm ?? challenge.message.attributes.get(ATTR.REALM).toString();
		const nonce = challenge.message.attributes.get(ATTR.NONCE).toString();
		const key = createHash('md5').update(`${credential.username}:${answerRealm}:${credential.password}`).digest();
		this.#auth = { username: credential.username, realm: answerRealm, nonce, key };
		return this.#authenticated(METHOD.ALLOCATE, request);
	}

	async refresh(lifetime = 600) {
		return this.#authenticated(METHOD.REFRESH, () => [[ATTR.LIFETIME, uint32(lifetime)]]);
	}

	// CreatePermission for address (IPv4 or IPv6 text) on port 9.
	async createPermission(address) {
		return this.#authenticated(METHOD.CREATE_PERMISSION, (tid) => [[ATTR.XOR_PEER_ADDRESS, xorPeerAddress(address, 9, tid)]]);
	}

	close() {
		try {
			this.#socket.close();
		} catch {
			// already closed
		}
	}
}
