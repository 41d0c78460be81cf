// A promise-based WebSocket client for the integration tests, over the `ws`
// package. Messages are queued as they arrive so a test can wait for the next
// message of one type without losing the others in between, and every wait is
// bounded so a silent server fails the test instead of hanging it.
import WebSocket from 'ws';

export class WsClient {
  constructor(socket) {
    this.socket = socket;
    this.queue = []; // parsed messages not yet taken by nextMessage
    this.waiters = []; // {type, resolve, reject, timer}
    this.closeInfo = null; // {code, reason} once closed
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        for (const waiter of this.waiters.splice(0)) {
          clearTimeout(waiter.timer);
          waiter.reject(this.closedError(waiter.type));
        }
        resolve(this.closeInfo);
      });
    });
    socket.on('message', (data, isBinary) => this.deliver(data, isBinary));
    // Errors after the handshake show up as a close; keep them from crashing the runner.
    socket.on('error', () => {});
  }

  // Opens url. options: {headers, origin, localAddress, query}. Resolves once
  // the upgrade succeeded; rejects with err.status and err.headers when the
  // server answered the upgrade with something other than 101.
  static connect(url, options = {}) {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, {
        headers: options.headers,
        origin: options.origin,
        localAddress: options.localAddress,
        perMessageDeflate: false,
        handshakeTimeout: options.timeout ?? 5000,
      });
      const client = new WsClient(socket);
      socket.once('unexpected-response', (request, response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => {
          const error = new Error(`upgrade refused with HTTP ${response.statusCode}: ${body}`);
          error.status = response.statusCode;
          error.headers = response.headers;
          error.body = body;
          reject(error);
          socket.terminate();
        });
        response.on('error', () => {});
        request.on('error', () => {});
      });
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
    });
  }

  deliver(data, isBinary) {
    let message;
    try {
      message = JSON.parse(data.toString());
    } catch {
      message = { type: undefined, raw: data.toString(), binary: isBinary };
    }
    for (let i = 0; i < this.waiters.length; i++) {
      const waiter = this.waiters[i];
      if (matches(message, waiter.type)) {
        this.waiters.splice(i, 1);
        clearTimeout(waiter.timer);
        waiter.resolve(message);
        return;
      }
    }
    this.queue.push(message);
  }

  closedError(type) {
    const { code, reason } = this.closeInfo;
    const error = new Error(
      `connection closed (${code} ${reason}) while waiting for ${type ?? 'a message'}; ` +
        `unread: ${JSON.stringify(this.queue)}`
    );
    error.closeCode = code;
    return error;
  }

  // Resolves with the first message whose type is `type` (any message when
  // type is undefined), taking it off the queue.
  nextMessage(type, timeout = 3000) {
    const index = this.queue.findIndex((message) => matches(message, type));
    if (index >= 0) return Promise.resolve(this.queue.splice(index, 1)[0]);
    if (this.closeInfo) return Promise.reject(this.closedError(type));
    return new Promise((resolve, reject) => {
      const waiter = { type, resolve, reject };
      waiter.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(
          new Error(
            `no ${type ?? 'message'} within ${timeout} ms; unread: ${JSON.stringify(this.queue)}`
          )
        );
      }, timeout);
      this.waiters.push(waiter);
    });
  }

  // Fails if a message of `type` arrives (or is already queued) within ms.
  async expectNoMessage(type, ms = 300) {
    try {
      const message = await this.nextMessage(type, ms);
      throw new Error(`unexpected ${type ?? 'message'}: ${JSON.stringify(message)}`);
    } catch (error) {
      if (error.message.startsWith('unexpected')) throw error;
    }
  }

  send(message) {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  // Sends message and waits for a reply of replyType.
  async request(message, replyType, timeout = 3000) {
    this.send(message);
    return this.nextMessage(replyType, timeout);
  }

  // Resolves with {code, reason} once closed; rejects after timeout.
  waitClose(timeout = 3000) {
    return withTimeout(this.closed, timeout, 'connection was not closed');
  }

  get isOpen() {
    return this.socket.readyState === WebSocket.OPEN;
  }

  close(code = 1000) {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(code);
    else if (this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
  }
}

function matches(message, type) {
  return type === undefined || message.type === type;
}

export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Connects with token and waits for `authenticated`. via: 'header' (default),
// 'query' or 'message'. Returns the client; client.auth holds the
// authenticated message.
export async function connectAuthed(daemon, token, via = 'header', options = {}) {
  let url = daemon.wsUrl;
  const headers = { ...(options.headers || {}) };
  if (via === 'header') headers.Authorization = `Bearer ${token}`;
  if (via === 'query') url += `?access_token=${encodeURIComponent(token)}`;
  const client = await WsClient.connect(url, { ...options, headers });
  if (via === 'message') client.send({ type: 'auth', token });
  client.auth = await client.nextMessage('authenticated');
  return client;
}

// Connects, authenticates and joins room. Returns the client; client.joined
// holds the joined message.
export async function connectJoined(daemon, token, room, role) {
  const client = await connectAuthed(daemon, token);
  const join = { type: 'join', room };
  if (role) join.role = role;
  client.joined = await client.request(join, 'joined');
  return client;
}
