// The signaling messages against a real daemon with real WebSocket clients:
// rooms (join, leave, disconnect), relaying offers, answers and candidates,
// chat, ping, `id`/`ref` correlation, and every error the protocol reference
// lists for them, each on its own connection that must stay open afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { startDaemon, createUserAndLogin } from '../lib/daemon.mjs';
import { guestToken, uniqueName } from '../lib/rest.mjs';
import { connectAuthed, connectJoined } from '../lib/ws-client.mjs';

const SDP = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

let daemon;
before(async () => {
  daemon = await startDaemon({ settings: { guest_access: 'on' } });
});
after(() => stopAndCheck(daemon));

let roomCounter = 0;
const freshRoom = () => `room-${++roomCounter}`;

// Opens a joined guest connection that the test closes when it ends.
async function joined(t, role, room, joinRole) {
  const client = await connectJoined(daemon, await guestToken(daemon, role), room, joinRole);
  t.after(() => client.close());
  return client;
}

async function authed(t, role = 'sender', room) {
  const client = await connectAuthed(daemon, await guestToken(daemon, role, room));
  t.after(() => client.close());
  return client;
}

// Sends message, expects error `code`, then checks the connection still works.
async function expectError(client, message, code) {
  const error = await client.request(message, 'error');
  assert.equal(error.code, code, JSON.stringify(error));
  assert.equal(typeof error.message, 'string');
  assert.equal((await client.request({ type: 'ping' }, 'pong')).type, 'pong', 'connection stays open');
  assert.ok(client.isOpen);
  return error;
}

describe('rooms', () => {
  test('join answers joined with an empty peer list in a new room', async (t) => {
    const client = await authed(t);
    const room = freshRoom();
    const reply = await client.request({ type: 'join', room }, 'joined');
    assert.equal(reply.room, room);
    assert.equal(reply.id, client.auth.id);
    assert.deepEqual(reply.peers, []);
  });

  test('a second peer sees the first in joined.peers; the first gets peer-joined', async (t) => {
    const room = freshRoom();
    const sender = await joined(t, 'sender', room);
    const receiver = await joined(t, 'receiver', room);
    assert.deepEqual(receiver.joined.peers, [
      { id: sender.auth.id, name: sender.auth.sub, roles: ['sender'] },
    ]);
    const announced = await sender.nextMessage('peer-joined');
    assert.deepEqual(announced.peer, {
      id: receiver.auth.id,
      name: receiver.auth.sub,
      roles: ['receiver'],
    });
  });

  test('join with a role narrows the roles others see', async (t) => {
    const name = uniqueName('both');
    const tokens = await createUserAndLogin(daemon, name);
    const room = freshRoom();
    const watcher = await joined(t, 'receiver', room);
    const client = await connectJoined(daemon, tokens.access_token, room, 'receiver');
    t.after(() => client.close());
    assert.deepEqual(client.auth.roles.slice().sort(), ['receiver', 'sender']);
    const announced = await watcher.nextMessage('peer-joined');
    assert.deepEqual(announced.peer, { id: client.auth.id, name, roles: ['receiver'] });
  });

  test('leave answers left and the others get peer-left', async (t) => {
    const room = freshRoom();
    const stays = await joined(t, 'sender', room);
    const goes = await joined(t, 'receiver', room);
    await stays.nextMessage('peer-joined');
    const left = await goes.request({ type: 'leave' }, 'left');
    assert.equal(left.room, room);
    assert.equal((await stays.nextMessage('peer-left')).id, goes.auth.id);
  });

  test('a disconnect is announced as peer-left', async (t) => {
    const room = freshRoom();
    const stays = await joined(t, 'sender', room);
    const goes = await joined(t, 'receiver', room);
    await stays.nextMessage('peer-joined');
    goes.close();
    assert.equal((await stays.nextMessage('peer-left')).id, goes.auth.id);
  });

  test('joining another room leaves the current one', async (t) => {
    const first = freshRoom();
    const stays = await joined(t, 'sender', first);
    const moves = await joined(t, 'receiver', first);
    await stays.nextMessage('peer-joined');
    const second = freshRoom();
    const reply = await moves.request({ type: 'join', room: second }, 'joined');
    assert.equal(reply.room, second);
    assert.deepEqual(reply.peers, []);
    assert.equal((await stays.nextMessage('peer-left')).id, moves.auth.id);
  });
});

describe('relaying', () => {
  test('an offer with to reaches that peer with the server-set from', async (t) => {
    const room = freshRoom();
    const sender = await joined(t, 'sender', room);
    const receiver = await joined(t, 'receiver', room);
    receiver.send({ type: 'offer', to: sender.auth.id, sdp: SDP });
    const offer = await sender.nextMessage('offer');
    assert.equal(offer.from, receiver.auth.id);
    assert.equal(offer.sdp, SDP);
  });

  test('an RTCSessionDescriptionInit sdp is relayed as the string', async (t) => {
    const room = freshRoom();
    const sender = await joined(t, 'sender', room);
    const receiver = await joined(t, 'receiver', room);
    receiver.send({ type: 'offer', to: sender.auth.id, sdp: { type: 'offer', sdp: SDP } });
    assert.equal((await sender.nextMessage('offer')).sdp, SDP);
  });

  test('a from forged by the client is replaced', async (t) => {
    const room = freshRoom();
    const sender = await joined(t, 'sender', room);
    const receiver = await joined(t, 'receiver', room);
    receiver.send({ type: 'offer', to: sender.auth.id, from: sender.auth.id, sdp: SDP });
    assert.equal((await sender.nextMessage('offer')).from, receiver.auth.id);
  });

  test('an offer without to goes to the room\'s first sender', async (t) => {
    const room = freshRoom();
    const first = await joined(t, 'sender', room);
    const second = await joined(t, 'sender', room);
    const receiver = await joined(t, 'receiver', room);
    receiver.send({ type: 'offer', sdp: SDP });
    assert.equal((await first.nextMessage('offer')).from, receiver.auth.id);
    await second.expectNoMessage('offer');

    await first.request({ type: 'leave' }, 'left');
    receiver.send({ type: 'offer', sdp: SDP });
    assert.equal((await second.nextMessage('offer')).from, receiver.auth.id);
  });

  test('an offer without to in a room without a sender is not_found', async (t) => {
    const room = freshRoom();
    const receiver = await joined(t, 'receiver', room);
    await joined(t, 'receiver', room);
    await expectError(receiver, { type: 'offer', sdp: SDP }, 'not_found');
  });

  test('a peer that joined with role receiver is not the first sender', async (t) => {
    const tokens = await createUserAndLogin(daemon, uniqueName('narrow'));
    const room = freshRoom();
    const narrowed = await connectJoined(daemon, tokens.access_token, room, 'receiver');
    t.after(() => narrowed.close());
    const receiver = await joined(t, 'receiver', room);
    await expectError(receiver, { type: 'offer', sdp: SDP }, 'not_found');
  });

  test('an answer reaches to with from', async (t) => {
    const room = freshRoom();
    const sender = await joined(t, 'sender', room);
    const receiver = await joined(t, 'receiver', room);
    sender.send({ type: 'answer', to: receiver.auth.id, sdp: { type: 'answer', sdp: SDP } });
    const answer = await receiver.nextMessage('answer');
    assert.equal(answer.from, sender.auth.id);
    assert.equal(answer.sdp, SDP);
  });

  test('a candidate object is relayed with only the RTCIceCandidateInit fields', async (t) => {
    const room = freshRoom();
    const sender = await joined(t, 'sender', room);
    const receiver = await joined(t, 'receiver', room);
    const candidate = {
      candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host',
      sdpMid: '0',
      sdpMLineIndex: 0,
      usernameFragment: 'abcd',
    };
    sender.send({ type: 'candidate', to: receiver.auth.id, candidate: { ...candidate, injected: 'x' } });
    const relayed = await receiver.nextMessage('candidate');
    assert.equal(relayed.from, sender.auth.id);
    assert.deepEqual(relayed.candidate, candidate);
  });

  test('a candidate with null sdpMid and sdpMLineIndex is relayed', async (t) => {
    const room = freshRoom();
    const sender = await joined(t, 'sender', room);
    const receiver = await joined(t, 'receiver', room);
    const candidate = { candidate: 'candidate:2 1 udp 1 192.0.2.2 1 typ host', sdpMid: null, sdpMLineIndex: null };
    sender.send({ type: 'candidate', to: receiver.auth.id, candidate });
    const relayed = (await receiver.nextMessage('candidate')).candidate;
    assert.equal(relayed.candidate, candidate.candidate);
    assert.equal(relayed.sdpMid ?? null, null);
    assert.equal(relayed.sdpMLineIndex ?? null, null);
  });

  test('a null candidate (end of candidates) is relayed as null', async (t) => {
    const room = freshRoom();
    const sender = await joined(t, 'sender', room);
    const receiver = await joined(t, 'receiver', room);
    receiver.send({ type: 'candidate', to: sender.auth.id, candidate: null });
    const relayed = await sender.nextMessage('candidate');
    assert.equal(relayed.from, receiver.auth.id);
    assert.equal(relayed.candidate, null);
  });

  test('to a peer in another room is not_found', async (t) => {
    const here = await joined(t, 'receiver', freshRoom());
    const there = await joined(t, 'sender', freshRoom());
    await expectError(here, { type: 'offer', to: there.auth.id, sdp: SDP }, 'not_found');
    await there.expectNoMessage('offer');
  });

  test('to an unknown peer id is not_found', async (t) => {
    const client = await joined(t, 'sender', freshRoom());
    await expectError(client, { type: 'answer', to: '0123456789abcdef', sdp: SDP }, 'not_found');
  });

  test('to a peer that left is not_found', async (t) => {
    const room = freshRoom();
    const sender = await joined(t, 'sender', room);
    const receiver = await joined(t, 'receiver', room);
    await receiver.request({ type: 'leave' }, 'left');
    await expectError(sender, { type: 'answer', to: receiver.auth.id, sdp: SDP }, 'not_found');
  });

  for (const message of [
    { type: 'offer', sdp: SDP },
    { type: 'answer', to: '0123456789abcdef', sdp: SDP },
    { type: 'candidate', to: '0123456789abcdef', candidate: null },
    { type: 'chat', text: 'hello' },
  ]) {
    test(`${message.type} before join is forbidden`, async (t) => {
      const client = await authed(t);
      await expectError(client, message, 'forbidden');
    });
  }
});

describe('chat and ping', () => {
  test('chat reaches everyone in the room, the sender included', async (t) => {
    const room = freshRoom();
    const alice = await joined(t, 'sender', room);
    const bob = await joined(t, 'receiver', room);
    const outsider = await joined(t, 'receiver', freshRoom());
    const before = Date.now();
    alice.send({ type: 'chat', text: 'hello, room' });
    for (const client of [alice, bob]) {
      const chat = await client.nextMessage('chat');
      assert.equal(chat.from, alice.auth.id);
      assert.equal(chat.name, alice.auth.sub);
      assert.equal(chat.text, 'hello, room');
      assert.ok(Number.isInteger(chat.ts), `ts ${chat.ts}`);
      assert.ok(chat.ts >= before - 2000 && chat.ts <= Date.now() + 2000, `ts ${chat.ts}`);
    }
    await outsider.expectNoMessage('chat');
  });

  test('chat of 4096 characters is relayed', async (t) => {
    const client = await joined(t, 'sender', freshRoom());
    const text = 'é'.repeat(4096);
    assert.equal((await client.request({ type: 'chat', text }, 'chat')).text, text);
  });

  test('chat of 4097 characters is bad_request', async (t) => {
    const client = await joined(t, 'sender', freshRoom());
    await expectError(client, { type: 'chat', text: 'x'.repeat(4097) }, 'bad_request');
  });

  test('empty chat is bad_request', async (t) => {
    const client = await joined(t, 'sender', freshRoom());
    await expectError(client, { type: 'chat', text: '' }, 'bad_request');
  });

  test('ping answers pong with a timestamp', async (t) => {
    const client = await authed(t);
    const pong = await client.request({ type: 'ping' }, 'pong');
    assert.ok(Math.abs(pong.ts - Date.now()) < 5000, `ts ${pong.ts}`);
  });

  test('a string id is echoed as ref in the reply', async (t) => {
    const client = await authed(t);
    assert.equal((await client.request({ type: 'ping', id: 'req-1' }, 'pong')).ref, 'req-1');
    const reply = await client.request({ type: 'join', room: freshRoom(), id: 'j'.repeat(64) }, 'joined');
    assert.equal(reply.ref, 'j'.repeat(64));
  });

  test('an integer id is echoed as ref in the reply', async (t) => {
    const client = await authed(t);
    assert.equal((await client.request({ type: 'ping', id: 42 }, 'pong')).ref, 42);
  });

  test('a reply to a message without id has no ref', async (t) => {
    const client = await authed(t);
    assert.equal((await client.request({ type: 'ping' }, 'pong')).ref, undefined);
  });

  test('an id is echoed as ref in an error', async (t) => {
    const client = await authed(t);
    const error = await expectError(client, { type: 'join', room: 'no spaces', id: 'bad-1' }, 'bad_request');
    assert.equal(error.ref, 'bad-1');
  });

  test('an id of 65 characters is bad_request', async (t) => {
    const client = await authed(t);
    await expectError(client, { type: 'ping', id: 'x'.repeat(65) }, 'bad_request');
  });

  test('an object id is bad_request', async (t) => {
    const client = await authed(t);
    await expectError(client, { type: 'ping', id: { nested: true } }, 'bad_request');
  });
});

describe('room rules', () => {
  test('a token room claim forbids another room', async (t) => {
    const client = await authed(t, 'receiver', 'claimed');
    await expectError(client, { type: 'join', room: 'elsewhere' }, 'forbidden');
    assert.equal((await client.request({ type: 'join', room: 'claimed' }, 'joined')).room, 'claimed');
  });

  test('a role the token does not hold is forbidden', async (t) => {
    const client = await authed(t, 'receiver');
    await expectError(client, { type: 'join', room: freshRoom(), role: 'sender' }, 'forbidden');
  });

  test('a role the token holds is accepted', async (t) => {
    const client = await authed(t, 'receiver');
    const reply = await client.request({ type: 'join', room: freshRoom(), role: 'receiver' }, 'joined');
    assert.equal(reply.type, 'joined');
  });

  test('room names use the whole allowed alphabet up to 64 characters', async (t) => {
    const client = await authed(t);
    const room = 'Az09_-.'.repeat(9).slice(0, 64);
    assert.equal((await client.request({ type: 'join', room }, 'joined')).room, room);
  });

  const badRooms = {
    'an empty room': '',
    'a room of 65 characters': 'r'.repeat(65),
    'a room with a space': 'a b',
    'a room with a slash': 'a/b',
    'a room with a non-ASCII letter': 'café',
    'a numeric room': 12,
    'a null room': null,
  };
  for (const [what, room] of Object.entries(badRooms)) {
    test(`join with ${what} is bad_request`, async (t) => {
      const client = await authed(t);
      await expectError(client, { type: 'join', room }, 'bad_request');
    });
  }

  test('join without a room is bad_request', async (t) => {
    const client = await authed(t);
    await expectError(client, { type: 'join' }, 'bad_request');
  });
});

describe('malformed messages', () => {
  const badFrames = {
    'text that is not JSON': '{"type": "ping"',
    'a JSON array': '[{"type":"ping"}]',
    'a JSON string': '"ping"',
    'a JSON number': '42',
    'JSON null': 'null',
    'an object without type': '{"room":"x"}',
    'a numeric type': '{"type":7}',
    'an unknown type': '{"type":"subscribe"}',
    'a join with a numeric role': '{"type":"join","room":"r","role":1}',
    'a join with an unknown role': '{"type":"join","room":"r","role":"admin"}',
  };
  for (const [what, frame] of Object.entries(badFrames)) {
    test(`${what} is bad_request and the connection stays open`, async (t) => {
      const client = await authed(t);
      await expectError(client, frame, 'bad_request');
    });
  }

  const badRelays = {
    'an offer with a numeric to': (peer) => ({ type: 'offer', to: 5, sdp: SDP }),
    'an offer with a numeric sdp': (peer) => ({ type: 'offer', to: peer, sdp: 5 }),
    'an offer without sdp': (peer) => ({ type: 'offer', to: peer }),
    'an offer whose sdp object lacks sdp': (peer) => ({ type: 'offer', to: peer, sdp: { type: 'offer' } }),
    'an answer without to': () => ({ type: 'answer', sdp: SDP }),
    'an answer with a numeric sdp': (peer) => ({ type: 'answer', to: peer, sdp: 1 }),
    'a candidate without to': () => ({ type: 'candidate', candidate: null }),
    'a candidate without candidate': (peer) => ({ type: 'candidate', to: peer }),
    'a candidate with a numeric candidate string': (peer) => ({
      type: 'candidate',
      to: peer,
      candidate: { candidate: 5 },
    }),
    'a candidate with a string sdpMLineIndex': (peer) => ({
      type: 'candidate',
      to: peer,
      candidate: { candidate: 'candidate:1 1 udp 1 192.0.2.1 1 typ host', sdpMLineIndex: '0' },
    }),
    'a chat with numeric text': () => ({ type: 'chat', text: 5 }),
    'a chat without text': () => ({ type: 'chat' }),
  };
  for (const [what, build] of Object.entries(badRelays)) {
    test(`${what} is bad_request`, async (t) => {
      const room = freshRoom();
      const other = await joined(t, 'sender', room);
      const client = await joined(t, 'receiver', room);
      await expectError(client, build(other.auth.id), 'bad_request');
      await other.expectNoMessage('offer', 50);
    });
  }
});
