// RFC 6455 framing violations sent as hand-built frames to a real daemon:
// each must be answered with the close code the protocol reference names,
// and afterwards a second, well-behaved client must still be served (the
// process neither crashed nor wedged). A few valid-but-unusual frames
// (fragmented text, pings with payload, a clean close) are checked too.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { startDaemon } from '../lib/daemon.mjs';
import { guestToken } from '../lib/rest.mjs';
import { OPCODE, RawWs, closePayload } from '../lib/raw-ws.mjs';
import { connectAuthed } from '../lib/ws-client.mjs';

let daemon;
before(async () => {
  daemon = await startDaemon({ settings: { guest_access: 'on' } });
});
after(() => stopAndCheck(daemon));

// An authenticated raw connection.
async function rawSession() {
  const token = await guestToken(daemon, 'sender');
  const raw = await RawWs.upgrade(daemon.port, `/ws?access_token=${token}`);
  await raw.nextMessage('authenticated');
  return raw;
}

async function assertStillServing() {
  const client = await connectAuthed(daemon, await guestToken(daemon, 'receiver'));
  try {
    assert.equal((await client.request({ type: 'ping' }, 'pong')).type, 'pong');
  } finally {
    client.close();
  }
}

// Sends frames on a fresh session and expects the server's close frame with code.
async function expectClose(frames, code, session = rawSession) {
  const raw = await session();
  try {
    for (const frame of frames) await raw.sendFrame(frame);
    const close = await raw.waitCloseFrame(3000);
    assert.equal(close.code, code, `expected close ${code}, got ${close.code} ${close.reason}`);
    assert.ok(await raw.waitClosed(3000), 'the server closes the TCP connection after its close frame');
  } finally {
    raw.destroy();
  }
  await assertStillServing();
}

const text = (payload, extra = {}) => ({ opcode: OPCODE.text, payload, ...extra });
const PING_JSON = JSON.stringify({ type: 'ping' });

describe('protocol violations', () => {
  test('an unmasked frame closes 1002', async () => {
    await expectClose([text(PING_JSON, { mask: false })], 1002);
  });

  test('an unmasked frame before authenticating closes 1002', async () => {
    await expectClose([text(PING_JSON, { mask: false })], 1002, () => RawWs.upgrade(daemon.port));
  });

  test('a reserved bit closes 1002', async () => {
    await expectClose([text(PING_JSON, { rsv: 4 })], 1002);
  });

  test('opcode 3 closes 1002', async () => {
    await expectClose([{ opcode: 3, payload: 'x' }], 1002);
  });

  test('opcode 11 (reserved control) closes 1002', async () => {
    await expectClose([{ opcode: 11 }], 1002);
  });

  test('a fragmented ping closes 1002', async () => {
    await expectClose([{ opcode: OPCODE.ping, payload: 'ab', fin: false }], 1002);
  });

  test('a ping with a 126-byte payload closes 1002', async () => {
    await expectClose([{ opcode: OPCODE.ping, payload: Buffer.alloc(126, 1) }], 1002);
  });

  test('a continuation frame with nothing to continue closes 1002', async () => {
    await expectClose([{ opcode: OPCODE.continuation, payload: PING_JSON }], 1002);
  });

  test('a new text frame inside a fragmented message closes 1002', async () => {
    await expectClose([text('{"type":', { fin: false }), text(PING_JSON)], 1002);
  });

  test('invalid UTF-8 in a text message closes 1007', async () => {
    const payload = Buffer.concat([
      Buffer.from('{"type":"chat","text":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    await expectClose([text(payload)], 1007);
  });

  test('a UTF-8 sequence broken across fragments closes 1007', async () => {
    const start = text(Buffer.from([0x22, 0xe2, 0x82]), { fin: false });
    const rest = { opcode: OPCODE.continuation, payload: Buffer.from([0x41, 0x22]) };
    await expectClose([start, rest], 1007);
  });

  test('a binary message closes 1003', async () => {
    await expectClose([{ opcode: OPCODE.binary, payload: Buffer.from(PING_JSON) }], 1003);
  });

  test('a close frame with code 999 closes 1002', async () => {
    await expectClose([{ opcode: OPCODE.close, payload: closePayload(999) }], 1002);
  });

  test('a close frame with code 1005 on the wire closes 1002', async () => {
    await expectClose([{ opcode: OPCODE.close, payload: closePayload(1005) }], 1002);
  });

  test('a close frame with a one-byte payload closes 1002', async () => {
    await expectClose([{ opcode: OPCODE.close, payload: Buffer.from([3]) }], 1002);
  });

  test('a close reason that is not UTF-8 closes 1007', async () => {
    const payload = Buffer.concat([closePayload(1000), Buffer.from([0xff, 0xfe])]);
    await expectClose([{ opcode: OPCODE.close, payload }], 1007);
  });

  test('a frame claiming 2^63 - 1 bytes is refused without waiting for them', async () => {
    const raw = await rawSession();
    try {
      await raw.sendFrame({ opcode: OPCODE.text, payload: Buffer.from('{'), length: 2n ** 63n - 1n });
      const close = await raw.waitCloseFrame(3000);
      assert.ok([1002, 1009].includes(close.code), `closed with ${close.code}`);
    } finally {
      raw.destroy();
    }
    await assertStillServing();
  });
});

describe('valid framing', () => {
  test('a text message in three fragments is reassembled', async () => {
    const raw = await rawSession();
    try {
      await raw.sendFrame(text('{"type"', { fin: false }));
      await raw.sendFrame({ opcode: OPCODE.ping, payload: 'between' });
      await raw.sendFrame({ opcode: OPCODE.continuation, payload: ':"ping",', fin: false });
      await raw.sendFrame({ opcode: OPCODE.continuation, payload: '"id":"frag"}' });
      const pong = await raw.nextMessage('pong');
      assert.equal(pong.ref, 'frag');
    } finally {
      raw.destroy();
    }
  });

  test('a ping frame is answered by a pong with the same payload', async () => {
    const raw = await rawSession();
    try {
      await raw.sendFrame({ opcode: OPCODE.ping, payload: 'hello-125' });
      let frame;
      do frame = await raw.nextFrame();
      while (frame && frame.opcode !== OPCODE.pong);
      assert.ok(frame, 'a pong arrived');
      assert.equal(frame.payload.toString(), 'hello-125');
      assert.equal(frame.masked, false, 'server frames are not masked');
    } finally {
      raw.destroy();
    }
  });

  test('a clean close is echoed with the same code and the connection ends', async () => {
    const raw = await rawSession();
    try {
      await raw.sendFrame({ opcode: OPCODE.close, payload: closePayload(1000, 'bye') });
      const close = await raw.waitCloseFrame();
      assert.equal(close.code, 1000);
      assert.ok(await raw.waitClosed(3000));
    } finally {
      raw.destroy();
    }
    await assertStillServing();
  });

  test('an abrupt disconnect mid-frame leaves the daemon serving', async () => {
    const raw = await rawSession();
    await raw.write(Buffer.from([0x81, 0xfe, 0x01]));
    raw.destroy();
    await assertStillServing();
  });
});
