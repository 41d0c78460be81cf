// Hostile HTTP against a real daemon: broken or smuggling-shaped framing,
// oversized heads and bodies, bad WebSocket handshakes, cross-site upgrades,
// path traversal and a slowloris client. Each must get the answer the
// protocol reference names and leave the daemon serving everyone else.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { startDaemon } from '../lib/daemon.mjs';
import { get, guestToken } from '../lib/rest.mjs';
import { RawHttp, rawRequest } from '../lib/raw-http.mjs';
import { WsClient, connectAuthed } from '../lib/ws-client.mjs';

let daemon;
before(async () => {
  daemon = await startDaemon({ settings: { guest_access: 'on' } });
});
after(() => stopAndCheck(daemon));

const wsKey = () => randomBytes(16).toString('base64');

function upgradeHead(headers) {
  let head = 'GET /ws HTTP/1.1\r\n';
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) head += `${name}: ${value}\r\n`;
  }
  return `${head}\r\n`;
}

function upgradeHeaders(overrides = {}) {
  return {
    Host: `127.0.0.1:${daemon.port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': wsKey(),
    'Sec-WebSocket-Version': '13',
    ...overrides,
  };
}

async function assertStillServing() {
  const response = await get(daemon, '/healthz');
  assert.equal(response.status, 200);
}

async function expectStatus(request, status, { closes = true } = {}) {
  const response = await rawRequest(daemon.port, request);
  assert.equal(response.status, status, `${response.status} ${response.body}`);
  if (closes) assert.ok(response.closed, 'the connection closes after the error');
  await assertStillServing();
  return response;
}

describe('WebSocket handshake', () => {
  test('a well-formed raw upgrade gets 101 with the RFC accept key', async () => {
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    const response = await rawRequest(daemon.port, upgradeHead(upgradeHeaders({ 'Sec-WebSocket-Key': key })), {
      closeWait: 100,
    });
    assert.equal(response.status, 101);
    assert.equal(response.headers['sec-websocket-accept'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    assert.match(response.headers.upgrade, /^websocket$/i);
  });

  // A refused upgrade is well-formed HTTP, so keeping the connection is allowed.
  test('a missing Sec-WebSocket-Key is 400', async () => {
    await expectStatus(upgradeHead(upgradeHeaders({ 'Sec-WebSocket-Key': undefined })), 400, { closes: false });
  });

  test('a Sec-WebSocket-Key that is not 16 bytes is 400', async () => {
    await expectStatus(
      upgradeHead(upgradeHeaders({ 'Sec-WebSocket-Key': randomBytes(8).toString('base64') })),
      400,
      { closes: false }
    );
  });

  test('Sec-WebSocket-Version 12 is 426 naming version 13', async () => {
    const response = await expectStatus(upgradeHead(upgradeHeaders({ 'Sec-WebSocket-Version': '12' })), 426, {
      closes: false,
    });
    assert.equal(response.headers['sec-websocket-version'], '13');
  });

  test('a cross-site Origin is refused with 403', async () => {
    await assert.rejects(
      WsClient.connect(daemon.wsUrl, { origin: 'https://evil.example' }),
      (error) => error.status === 403
    );
    await assertStillServing();
  });

  test('the daemon\'s own origin is accepted', async () => {
    const client = await connectAuthed(daemon, await guestToken(daemon, 'sender'), 'header', {
      origin: `http://127.0.0.1:${daemon.port}`,
    });
    client.close();
  });
});

describe('allowed_origins', () => {
  let configured;
  before(async () => {
    configured = await startDaemon({
      settings: { guest_access: 'on', allowed_origins: 'https://good.example' },
    });
  });
  after(() => stopAndCheck(configured));

  test('an allowed origin upgrades with 101', async () => {
    const client = await connectAuthed(configured, await guestToken(configured, 'sender'), 'header', {
      origin: 'https://good.example',
    });
    assert.match(client.auth.id, /^[0-9a-f]{16}$/);
    client.close();
  });

  test('an origin not in the list is refused with 403', async () => {
    for (const origin of ['https://evil.example', 'https://good.example.evil.example', 'http://good.example']) {
      await assert.rejects(
        WsClient.connect(configured.wsUrl, { origin }),
        (error) => error.status === 403,
        origin
      );
    }
  });
});

describe('request framing', () => {
  const host = () => `Host: 127.0.0.1:${daemon.port}\r\n`;

  test('a head over 8 KiB is 431', async () => {
    await expectStatus(`GET /healthz HTTP/1.1\r\n${host()}X-Pad: ${'a'.repeat(9000)}\r\n\r\n`, 431);
  });

  test('more than 64 headers is 431', async () => {
    let headers = '';
    for (let i = 0; i < 70; i++) headers += `X-H${i}: v\r\n`;
    await expectStatus(`GET /healthz HTTP/1.1\r\n${host()}${headers}\r\n`, 431);
  });

  test('Content-Length with Transfer-Encoding is 400', async () => {
    const body = JSON.stringify({ role: 'sender' });
    await expectStatus(
      `POST /api/v1/auth/guest HTTP/1.1\r\n${host()}Content-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`,
      400
    );
  });

  test('Transfer-Encoding alone is 501', async () => {
    await expectStatus(
      `POST /api/v1/auth/guest HTTP/1.1\r\n${host()}Content-Type: application/json\r\n` +
        'Transfer-Encoding: chunked\r\n\r\n11\r\n{"role":"sender"}\r\n0\r\n\r\n',
      501
    );
  });

  test('two Content-Length headers are 400', async () => {
    await expectStatus(
      `POST /api/v1/auth/guest HTTP/1.1\r\n${host()}` +
        'Content-Length: 17\r\nContent-Length: 17\r\n\r\n{"role":"sender"}',
      400
    );
  });

  test('a non-numeric Content-Length is 400', async () => {
    await expectStatus(`POST /api/v1/auth/guest HTTP/1.1\r\n${host()}Content-Length: 1x\r\n\r\n`, 400);
  });

  test('a body over 64 KiB is 413', async () => {
    const connection = await RawHttp.open(daemon.port);
    try {
      await connection.write(
        `POST /api/v1/auth/login HTTP/1.1\r\n${host()}` +
          'Content-Type: application/json\r\nContent-Length: 70000\r\n\r\n'
      );
      // The limit is known from the head; send the body only if the server waits for it.
      let response = await connection.readResponse(1000).catch(() => null);
      if (!response) {
        await connection.write(Buffer.alloc(70000, 0x20));
        response = await connection.readResponse(3000);
      }
      assert.equal(response.status, 413);
      assert.ok(await connection.waitClosed(1000), 'the connection closes');
    } finally {
      connection.destroy();
    }
    await assertStillServing();
  });

  test('a garbage request line is 400', async () => {
    await expectStatus('HELLO THERE\r\n\r\n', 400);
  });

  test('a header continuation line (obs-fold) is 400', async () => {
    await expectStatus(`GET /healthz HTTP/1.1\r\n${host()}X-A: b\r\n  folded\r\n\r\n`, 400);
  });

  test('a NUL byte in the head is 400', async () => {
    await expectStatus(`GET /healthz HTTP/1.1\r\n${host()}X-A: b\0c\r\n\r\n`, 400);
  });

  test('a space before the header colon is 400', async () => {
    await expectStatus(`GET /healthz HTTP/1.1\r\n${host()}X-A : b\r\n\r\n`, 400);
  });

  test('two pipelined requests get two responses in order', async () => {
    const connection = await RawHttp.open(daemon.port);
    try {
      await connection.write(`GET /healthz HTTP/1.1\r\n${host()}\r\nGET /nowhere HTTP/1.1\r\n${host()}\r\n`);
      assert.equal((await connection.readResponse()).status, 200);
      assert.equal((await connection.readResponse()).status, 404);
    } finally {
      connection.destroy();
    }
  });

  const traversals = [
    '/js/../../../etc/passwd',
    '/js/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/js/..%2f..%2f..%2fetc%2fpasswd',
    '/../etc/passwd',
  ];
  for (const path of traversals) {
    test(`path traversal ${path} is refused`, async () => {
      const request = `GET ${path} HTTP/1.1\r\n${host()}Connection: close\r\n\r\n`;
      const response = await rawRequest(daemon.port, request);
      assert.ok([400, 404].includes(response.status), `${response.status}`);
      assert.doesNotMatch(response.body, /root:/);
    });
  }
});

describe('slow clients', () => {
  // Opened before the trickle test so both deadlines run at once.
  let silent;
  let silentSince;
  before(async () => {
    silent = await RawHttp.open(daemon.port);
    silentSince = Date.now();
  });
  after(() => silent?.destroy());

  test('a head trickled past 10 seconds is disconnected', { timeout: 20000 }, async () => {
    const trickling = await RawHttp.open(daemon.port);
    const started = Date.now();
    try {
      await trickling.write('GET /healthz HTTP/1.1\r\n');
      const timer = setInterval(() => trickling.write('X-Slow: 1\r\n'), 1000);
      try {
        assert.ok(await trickling.waitClosed(13000), 'the trickling client is disconnected');
      } finally {
        clearInterval(timer);
      }
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 9000, `not before the deadline: ${elapsed} ms`);
      assert.doesNotMatch(trickling.buffer.toString(), /^HTTP\/1\.1 200/);
    } finally {
      trickling.destroy();
    }
    await assertStillServing();
  });

  test('a connection that sends nothing is disconnected within 10 seconds', { timeout: 20000 }, async () => {
    const remaining = silentSince + 12000 - Date.now();
    assert.ok(await silent.waitClosed(Math.max(remaining, 0)), 'the silent client is disconnected');
    assert.ok(Date.now() - silentSince >= 9000, 'not before the deadline');
  });
});
