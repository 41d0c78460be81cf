// Hand-built WebSocket frames over a plain TCP socket, for the protocol
// violations a real client library refuses to send (unmasked frames, reserved
// bits, unknown opcodes, broken control frames, bad UTF-8, bad close codes)
// and for a client that never answers pings. The server's frames are parsed
// byte by byte so tests can check the exact close code it sent.
import { randomBytes } from 'node:crypto';
import { RawHttp } from './raw-http.mjs';

export const OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 };

// Encodes one frame. payload: Buffer or string. mask: true for a client frame
// as RFC 6455 requires; false to violate it. length: a header length that
// differs from the payload's (for oversize claims).
export function encodeFrame({ opcode, payload = Buffer.alloc(0), fin = true, rsv = 0, mask = true, length }) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const declared = length ?? data.length;
  let header;
  if (declared < 126) {
    header = Buffer.alloc(2);
    header[1] = declared;
  } else if (declared < 65536) {
    header = Buffer.alloc(4);
    header[1] = 126;
    header.writeUInt16BE(declared, 2);
  } else {
    header = Buffer.alloc(10);
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(declared), 2);
  }
  header[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f);
  if (!mask) return Buffer.concat([header, data]);
  header[1] |= 0x80;
  const key = randomBytes(4);
  const masked = Buffer.from(data);
  for (let i = 0; i < masked.length; i++) masked[i] ^= key[i & 3];
  return Buffer.concat([header, key, masked]);
}

// A close frame payload: two-byte code and a reason.
export function closePayload(code, reason = '') {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return payload;
}

// The head of a WebSocket upgrade request for path on port: the headers a
// browser sends, with overrides added or replacing them (an array value sends
// the header once per item; null or undefined leaves it out).
export function upgradeHead(port, path = '/ws', overrides = {}) {
  const headers = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    ...overrides,
  };
  let head = `GET ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    for (const item of [].concat(value ?? [])) head += `${name}: ${item}\r\n`;
  }
  return `${head}\r\n`;
}

export class RawWs extends RawHttp {
  // Performs the upgrade on path (with its query) and returns the open
  // connection; rejects with the status if the server did not answer 101.
  static async upgrade(port, path = '/ws', extraHeaders = {}) {
    const connection = await RawHttp.open(port);
    const raw = Object.setPrototypeOf(connection, RawWs.prototype);
    await raw.write(upgradeHead(port, path, extraHeaders));
    const response = await raw.readResponse();
    if (response.status !== 101) {
      raw.destroy();
      throw new Error(`upgrade refused: ${response.status} ${response.body}`);
    }
    return raw;
  }

  sendFrame(frame) {
    return this.write(encodeFrame(frame));
  }

  sendText(text) {
    return this.sendFrame({ opcode: OPCODE.text, payload: text });
  }

  sendJson(message) {
    return this.sendText(JSON.stringify(message));
  }

  // Parses one server frame from the buffer: {fin, rsv, opcode, masked, payload}.
  takeFrame() {
    const buffer = this.buffer;
    if (buffer.length < 2) return null;
    let length = buffer[1] & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (buffer.length < 4) return null;
      length = buffer.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (buffer.length < 10) return null;
      length = Number(buffer.readBigUInt64BE(2));
      offset = 10;
    }
    const masked = (buffer[1] & 0x80) !== 0;
    if (masked) offset += 4;
    if (buffer.length < offset + length) return null;
    let payload = Buffer.from(buffer.subarray(offset, offset + length));
    if (masked) {
      const key = buffer.subarray(offset - 4, offset);
      for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
    }
    this.buffer = buffer.subarray(offset + length);
    return {
      fin: (buffer[0] & 0x80) !== 0,
      rsv: (buffer[0] >> 4) & 7,
      opcode: buffer[0] & 0x0f,
      masked,
      payload,
    };
  }

  // The next server frame; null if the connection closed first. Rejects after timeout.
  async nextFrame(timeout = 3000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const frame = this.takeFrame();
      if (frame) return frame;
      if (this.ended) return null;
      if (Date.now() >= deadline) throw new Error(`no frame within ${timeout} ms`);
      await this.waitForData(deadline);
    }
  }

  // The next text message of `type`, skipping pings and other messages.
  async nextMessage(type, timeout = 3000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const frame = await this.nextFrame(Math.max(1, deadline - Date.now()));
      if (!frame) throw new Error(`connection closed while waiting for ${type}`);
      if (frame.opcode === OPCODE.close) {
        throw new Error(`closed with ${frame.payload.readUInt16BE(0)} while waiting for ${type}`);
      }
      if (frame.opcode !== OPCODE.text) continue;
      const message = JSON.parse(frame.payload.toString('utf8'));
      if (type === undefined || message.type === type) return message;
    }
  }

  // Reads until the server's close frame. Resolves {code, reason, frames}
  // where frames counts the frames skipped; code is null when the TCP
  // connection ended without a close frame. Rejects after timeout.
  async waitCloseFrame(timeout = 3000) {
    const deadline = Date.now() + timeout;
    let frames = 0;
    for (;;) {
      const frame = await this.nextFrame(Math.max(1, deadline - Date.now()));
      if (!frame) return { code: null, reason: '', frames };
      if (frame.opcode === OPCODE.close) {
        const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
        return { code, reason: frame.payload.subarray(2).toString('utf8'), frames };
      }
      frames += 1;
    }
  }
}
