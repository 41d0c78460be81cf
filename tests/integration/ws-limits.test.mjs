// The signaling limits against a real daemon, each under its own settings:
// room size, message rate, error budget, message size, connections per
// address, idle timeout, shutdown, and a long run of joins and leaves on one
// connection that must not wear anything out.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { startDaemon } from '../lib/daemon.mjs';
import { guestToken, sleep } from '../lib/rest.mjs';
import { RawWs, OPCODE } from '../lib/raw-ws.mjs';
import { WsClient, connectAuthed, connectJoined } from '../lib/ws-client.mjs';

// Runs body with a daemon started with settings (guest access on), then stops it.
async function withDaemon(settings, body) {
  const daemon = await startDaemon({ settings: { guest_access: 'on', ...settings } });
  try {
    await body(daemon);
  } catch (error) {
    await daemon.stop();
    throw error;
  }
  await stopAndCheck(daemon);
}

// Bytes of the chat message JSON that carries text (ASCII text only).
const chatMessage = (text) => JSON.stringify({ type: 'chat', text });

describe('signaling limits', () => {
  test('a join past max_peers_per_room is room_full', async () => {
    await withDaemon({ max_peers_per_room: 2 }, async (daemon) => {
      const first = await connectJoined(daemon, await guestToken(daemon, 'sender'), 'small');
      const second = await connectJoined(daemon, await guestToken(daemon, 'receiver'), 'small');
      const third = await connectAuthed(daemon, await guestToken(daemon, 'receiver'));
      try {
        const error = await third.request({ type: 'join', room: 'small', id: 'full' }, 'error');
        assert.equal(error.code, 'room_full');
        assert.equal(error.ref, 'full');
        assert.ok(third.isOpen);
        await first.nextMessage('peer-joined');
        await first.expectNoMessage('peer-joined');

        await second.request({ type: 'leave' }, 'left');
        const joined = await third.request({ type: 'join', room: 'small' }, 'joined');
        assert.equal(joined.peers.length, 1);
      } finally {
        for (const client of [first, second, third]) client.close();
      }
    });
  });

  test('messages past the rate are dropped with rate_limited', async () => {
    await withDaemon({ messages_per_second: 5, message_burst: 5 }, async (daemon) => {
      const client = await connectAuthed(daemon, await guestToken(daemon, 'sender'));
      try {
        for (let i = 0; i < 10; i++) client.send({ type: 'ping', id: i });
        const replies = [];
        for (let i = 0; i < 10; i++) replies.push(await client.nextMessage(undefined, 3000));
        const pongs = replies.filter((m) => m.type === 'pong');
        const limited = replies.filter((m) => m.type === 'error' && m.code === 'rate_limited');
        assert.equal(pongs.length + limited.length, 10, JSON.stringify(replies));
        // Refill while the ten are processed may let one or two more through.
        assert.ok(pongs.length >= 5 && pongs.length <= 7, `${pongs.length} pongs`);
        assert.deepEqual(
          pongs.slice(0, 5).map((m) => m.ref),
          [0, 1, 2, 3, 4],
          'the burst goes through first'
        );
        assert.ok(client.isOpen);

        // The bucket refills at messages_per_second.
        await sleep(1200);
        assert.equal((await client.request({ type: 'ping' }, 'pong')).type, 'pong');
      } finally {
        client.close();
      }
    });
  });

  test('max_violations errors close the connection with 1008', async () => {
    await withDaemon({ max_violations: 3 }, async (daemon) => {
      const client = await connectAuthed(daemon, await guestToken(daemon, 'sender'));
      for (let i = 0; i < 2; i++) {
        assert.equal((await client.request({ type: 'nonsense' }, 'error')).code, 'bad_request');
      }
      assert.equal((await client.request({ type: 'ping' }, 'pong')).type, 'pong', 'two errors are tolerated');
      client.send({ type: 'nonsense' });
      const { code } = await client.waitClose(2000);
      assert.equal(code, 1008);
    });
  });

  test('a message of exactly max_message_bytes is accepted; one byte more closes 1009', async () => {
    await withDaemon({ max_message_bytes: 1024 }, async (daemon) => {
      const client = await connectJoined(daemon, await guestToken(daemon, 'sender'), 'sizes');
      const overhead = chatMessage('').length;
      const atLimit = chatMessage('a'.repeat(1024 - overhead));
      assert.equal(Buffer.byteLength(atLimit), 1024);
      client.send(atLimit);
      assert.equal((await client.nextMessage('chat')).text.length, 1024 - overhead);

      client.send(chatMessage('a'.repeat(1025 - overhead)));
      const { code } = await client.waitClose(2000);
      assert.equal(code, 1009);
    });
  });

  test('connections past max_connections_per_address get HTTP 429', async () => {
    await withDaemon({ max_connections_per_address: 3 }, async (daemon) => {
      // A source address of its own, so the harness's health checks do not count.
      const from = { localAddress: '127.0.0.2' };
      const token = await guestToken(daemon, 'receiver');
      const open = [];
      try {
        for (let i = 0; i < 3; i++) open.push(await connectAuthed(daemon, token, 'header', from));
        await assert.rejects(
          WsClient.connect(daemon.wsUrl, { ...from, headers: { Authorization: `Bearer ${token}` } }),
          (error) => error.status === 429
        );
        // Another address is not affected.
        open.push(await connectAuthed(daemon, token, 'header', { localAddress: '127.0.0.3' }));

        // A slot freed is a slot available again.
        open[0].close();
        await open[0].closed;
        let again;
        for (let attempt = 0; attempt < 20 && !again; attempt++) {
          again = await connectAuthed(daemon, token, 'header', from).catch(() => sleep(50));
        }
        assert.ok(again, 'a connection is accepted once one closed');
        open.push(again);
      } finally {
        for (const client of open) client.close();
      }
    });
  });

  test('a client that never answers pings is closed after idle_timeout', async () => {
    await withDaemon({ ping_interval: 1, idle_timeout: 2 }, async (daemon) => {
      const token = await guestToken(daemon, 'sender');
      const raw = await RawWs.upgrade(daemon.port, `/ws?access_token=${token}`);
      try {
        await raw.nextMessage('authenticated');
        const started = Date.now();
        const pings = [];
        let close;
        while (!close) {
          const frame = await raw.nextFrame(5000);
          if (!frame) {
            close = { code: null };
          } else if (frame.opcode === OPCODE.ping) {
            pings.push(Date.now() - started);
          } else if (frame.opcode === OPCODE.close) {
            close = { code: frame.payload.readUInt16BE(0) };
          }
        }
        const elapsed = Date.now() - started;
        assert.ok(pings.length >= 1, 'the server pings every ping_interval');
        assert.equal(close.code, 1001);
        assert.ok(elapsed >= 1500 && elapsed <= 4500, `closed after ${elapsed} ms`);
      } finally {
        raw.destroy();
      }
    });
  });

  test('a client that answers pings outlives idle_timeout', async () => {
    await withDaemon({ ping_interval: 1, idle_timeout: 2 }, async (daemon) => {
      const client = await connectAuthed(daemon, await guestToken(daemon, 'sender'));
      try {
        await sleep(3500);
        assert.ok(client.isOpen, `closed: ${JSON.stringify(client.closeInfo)}`);
        assert.equal((await client.request({ type: 'ping' }, 'pong')).type, 'pong');
      } finally {
        client.close();
      }
    });
  });

  test('shutting the daemon down closes sessions with 1001', async () => {
    const daemon = await startDaemon({ settings: { guest_access: 'on' } });
    const client = await connectJoined(daemon, await guestToken(daemon, 'sender'), 'bye');
    const stopped = daemon.stop();
    const { code } = await client.waitClose(5000);
    assert.equal(code, 1001);
    const { code: exitCode } = await stopped;
    assert.equal(exitCode, 0, 'a clean exit');
  });

  test('1000 joins and leaves on one connection keep working', async () => {
    await withDaemon({ messages_per_second: 10000, message_burst: 10000 }, async (daemon) => {
      const watcher = await connectJoined(daemon, await guestToken(daemon, 'receiver'), 'busy');
      const client = await connectAuthed(daemon, await guestToken(daemon, 'sender'));
      try {
        for (let i = 0; i < 1000; i++) {
          const room = i % 2 === 0 ? 'busy' : `other-${i % 7}`;
          const joined = await client.request({ type: 'join', room }, 'joined');
          assert.equal(joined.room, room);
          if (room === 'busy') assert.deepEqual(joined.peers.map((p) => p.id), [watcher.auth.id]);
          await client.request({ type: 'leave' }, 'left');
        }
        for (let i = 0; i < 500; i++) {
          assert.equal((await watcher.nextMessage('peer-joined')).peer.id, client.auth.id);
          assert.equal((await watcher.nextMessage('peer-left')).id, client.auth.id);
        }
        const late = await connectJoined(daemon, await guestToken(daemon, 'receiver'), 'busy');
        assert.deepEqual(late.joined.peers.map((p) => p.id), [watcher.auth.id]);
        late.close();
        assert.equal((await client.request({ type: 'ping' }, 'pong')).type, 'pong');
      } finally {
        watcher.close();
        client.close();
      }
    });
  });
});
