// wsclient.mjs: the smallest WebSocket client the join storm needs, on a raw
// TCP socket. A general client (the `ws` package) costs several times the
// daemon's own CPU per connection on its HTTP machinery, which would make
// the generator the limit of the storm; this one writes a fixed upgrade
// request, checks the 101 and its Sec-WebSocket-Accept, sends masked text
// frames and parses the server's unmasked frames (text, close, ping). No
// fragmentation or extensions: icegate sends neither to a client that did
// not ask for them.
import { createHash, randomBytes } from "node:crypto";
import { connect } from "node:net";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const OPCODE_TEXT = 0x1;
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;
const OPCODE_PONG = 0xa;
const MAX_HEAD_BYTES = 8192;

// One key for every connection: the handshake proves the server speaks
// WebSocket, not that the key is unpredictable (no proxy sits in between).
const key = randomBytes(16).toString("base64");
const expectedAccept = createHash("sha1").update(key + GUID).digest("base64");

// Masks come from one random pool, four bytes at a time: a fresh randomBytes
// call per frame cost the generator more than the framing itself.
const maskPool = randomBytes(4096);
let maskOffset = 0;

function frame(opcode, payload) {
	const length = payload.length;
	const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
	const out = Buffer.allocUnsafe(headerLength + 4 + length);
	out[0] = 0x80 | opcode;
	if (length < 126) {
		out[1] = 0x80 | length;
	} else if (length < 65536) {
		out[1] = 0x80 | 126;
		out.writeUInt16BE(length, 2);
	} else {
		out[1] = 0x80 | 127;
		out.writeBigUInt64BE(BigInt(length), 2);
	}
	const mask = maskPool.subarray(maskOffset, maskOffset + 4);
	maskOffset = (maskOffset + 4) % maskPool.length;
	mask.copy(out, headerLength);
	for (let i = 0; i < length; i++) out[headerLength + 4 + i] = payload[i] ^ mask[i & 3];
	return out;
}

// handlers: message(text), fail(cause), close(code, reason). fail is called
// at most once, for anything but a close frame from the server; close at
// most once, when the server's close frame arrives.
export class StormSocket {
	constructor({ host, port, localAddress, path, headers }, handlers) {
		this.handlers = handlers;
		this.upgraded = false;
		this.done = false;
		this.buffer = Buffer.alloc(0);
		const head = [`GET ${path} HTTP/1.1`, `Host: ${host}:${port}`, "Upgrade: websocket", "Connection: Upgrade",
			`Sec-WebSocket-Key: ${key}`, "Sec-WebSocket-Version: 13"];
		for (const [name, value] of Object.entries(headers)) head.push(`${name}: ${value}`);
		this.socket = connect({ host, port, localAddress, noDelay: true }, () =>
			this.socket.write(head.join("\r\n") + "\r\n\r\n"),
		);
		this.socket.on("data", (chunk) => this.receive(chunk));
		this.socket.on("error", (error) => this.fail(`socket error ${error.code || error.message}`));
		this.socket.on("end", () => this.fail("connection closed by the server without a close frame"));
	}

	send(text) {
		this.socket.write(frame(OPCODE_TEXT, Buffer.from(text)));
	}

	close(code, reason) {
		const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
		payload.writeUInt16BE(code, 0);
		payload.write(reason, 2);
		this.socket.write(frame(OPCODE_CLOSE, payload));
	}

	destroy() {
		this.done = true;
		this.socket.destroy();
	}

	fail(cause) {
		if (this.done) return;
		this.done = true;
		this.socket.destroy();
		this.handlers.fail(cause);
	}

	receive(chunk) {
		this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
		if (!this.upgraded && !this.readHead()) return;
		while (!this.done && this.readFrame());
	}

	readHead() {
		const end = this.buffer.indexOf("\r\n\r\n");
		if (end < 0) {
			if (this.buffer.length > MAX_HEAD_BYTES) this.fail("an upgrade response head over 8 KiB");
			return false;
		}
		const lines = this.buffer.toString("latin1", 0, end).split("\r\n");
		const status = lines[0].split(" ")[1];
		if (status !== "101") {
			this.fail(`HTTP ${status} on the upgrade`);
			return false;
		}
		const accept = lines.find((line) => line.toLowerCase().startsWith("sec-websocket-accept:"));
		if (!accept || accept.slice(accept.indexOf(":") + 1).trim() !== expectedAccept) {
			this.fail("a 101 without the right Sec-WebSocket-Accept");
			return false;
		}
		this.upgraded = true;
		this.buffer = this.buffer.subarray(end + 4);
		return true;
	}

	// Consumes one complete frame from the buffer; false when none is complete.
	readFrame() {
		const buffer = this.buffer;
		if (buffer.length < 2) return false;
		const opcode = buffer[0] & 0x0f;
		if ((buffer[0] & 0x80) === 0 || (buffer[1] & 0x80) !== 0) {
			this.fail("a fragmented or masked frame from the server");
			return false;
		}
		let length = buffer[1] & 0x7f;
		let offset = 2;
		if (length === 126) {
			if (buffer.length < 4) return false;
			length = buffer.readUInt16BE(2);
			offset = 4;
		} else if (length === 127) {
			if (buffer.length < 10) return false;
			length = Number(buffer.readBigUInt64BE(2));
			offset = 10;
		}
		if (buffer.length < offset + length) return false;
		const payload = buffer.subarray(offset, offset + length);
		this.buffer = buffer.subarray(offset + length);
		if (opcode === OPCODE_TEXT) {
			this.handlers.message(payload.toString("utf8"));
		} else if (opcode === OPCODE_PING) {
			this.socket.write(frame(OPCODE_PONG, payload));
		} else if (opcode === OPCODE_CLOSE) {
			this.done = true;
			const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
			this.socket.end();
			this.handlers.close(code, payload.subarray(2).toString("utf8"));
			return false;
		} else if (opcode !== OPCODE_PONG) {
			this.fail(`a frame with opcode ${opcode}`);
			return false;
		}
		return true;
	}
}
