// Raw HTTP/1.1 over a plain TCP socket, for requests no well-behaved client
// would send: oversized heads, smuggling-shaped framing, trickled bytes. The
// response parser reads exactly what the server wrote so tests see the status,
// headers and whether the server closed the connection afterwards.
import { connect } from 'node:net';

export class RawHttp {
  constructor(socket) {
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.ended = false;
    this.wakeups = [];
    this.closedAt = null;
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.ended = true;
        this.closedAt = Date.now();
        this.wake();
        resolve();
      });
    });
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    // A reset after the server's answer is expected for refused requests.
    socket.on('error', () => {});
  }

  static open(port, host = '127.0.0.1') {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host });
      socket.once('connect', () => resolve(new RawHttp(socket)));
      socket.once('error', reject);
    });
  }

  wake() {
    for (const wakeup of this.wakeups.splice(0)) wakeup();
  }

  waitForData(deadline) {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      this.wakeups.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  // Writes data; resolves false if the server already closed the connection.
  write(data) {
    return new Promise((resolve) => {
      if (this.socket.destroyed || this.ended) return resolve(false);
      this.socket.write(data, (error) => resolve(!error));
    });
  }

  // Parses one response: {status, headers (lower-case names), body}. Rejects if
  // none arrives within timeout.
  async readResponse(timeout = 3000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const response = this.takeResponse();
      if (response) return response;
      if (this.ended) {
        throw new Error(`connection closed without a full response: ${this.buffer.toString()}`);
      }
      if (Date.now() >= deadline) {
        throw new Error(`no response within ${timeout} ms: ${this.buffer.toString()}`);
      }
      await this.waitForData(deadline);
    }
  }

  takeResponse() {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const lines = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
    if (!match) throw new Error(`bad status line: ${lines[0]}`);
    const headers = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const status = Number(match[1]);
    // 101 has no body; everything after its head belongs to the new protocol.
    const length = status === 101 ? 0 : Number(headers['content-length'] ?? 0);
    if (this.buffer.length < end + 4 + length) return null;
    const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.buffer = this.buffer.subarray(end + 4 + length);
    return { status, headers, body };
  }

  // Resolves true once the server closed the connection, false after timeout.
  async waitClosed(timeout = 2000) {
    let timer;
    const expired = new Promise((resolve) => (timer = setTimeout(() => resolve(false), timeout)));
    const result = await Promise.race([this.closed.then(() => true), expired]);
    clearTimeout(timer);
    return result;
  }

  destroy() {
    this.socket.destroy();
  }
}

// One request in one write; returns the response and whether the server then
// closed the connection (within closeWait ms).
export async function rawRequest(port, data, { timeout = 3000, closeWait = 1000 } = {}) {
  const connection = await RawHttp.open(port);
  try {
    await connection.write(data);
    const response = await connection.readResponse(timeout);
    response.closed = await connection.waitClosed(closeWait);
    return response;
  } finally {
    connection.destroy();
  }
}
