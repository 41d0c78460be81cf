// One wave of the soak's churn: pairs of WebSocket clients that each do what a
// call does, from the first byte to the last. A sender and a receiver
// connect (the token in a header, in the URL or in a first `auth` message,
// by turns), join a room of their own, renew their session once with `auth`,
// relay an offer, an answer and a few ICE candidates, chat, ping, and end the
// way real clients end: `leave` then close, close without leaving, or a
// dropped TCP connection (no close frame). The tokens come from a TokenPool,
// which logs in, refreshes and logs out between waves, and from guest logins.
// Every wait is bounded, and every connection a wave opened is closed when
// the wave resolves, whatever happened.
import { connectAuthed, withTimeout } from '../../tests/lib/ws-client.mjs';

const VIAS = ['header', 'query', 'message'];
const STEP_TIMEOUT_MS = 10000;
const SDP = `v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n${'a=soak:padding\r\n'.repeat(40)}`;

// JSON POST to the daemon on a connection of its own (so no idle keep-alive
// connection outlives a wave); resolves with the parsed body, throws unless
// 200 or 204.
async function post(daemon, path, body) {
	const response = await fetch(`${daemon.base}${path}`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', Connection: 'close' },
		body: JSON.stringify(body),
	});
	const text = await response.text();
	if (response.status !== 200 && response.status !== 204) {
		throw new Error(`POST ${path}: HTTP ${response.status} ${text}`);
	}
	return text ? JSON.parse(text) : null;
}

// The access and refresh tokens of a few users, kept fresh between waves:
// each wave refreshes every user's tokens (the refresh token rotates), and
// one user per wave logs in again and logs out of the old login's family.
export class TokenPool {
	constructor(daemon, users) {
		this.daemon = daemon;
		this.users = users; // [{name, password}]
		this.tokens = new Map(); // name -> {access_token, refresh_token}
		this.logins = 0;
		this.refreshes = 0;
		this.logouts = 0;
		this.guests = 0;
	}

	async login(user) {
		const tokens = await post(this.daemon, '/api/v1/auth/login', { username: user.name, password: user.password });
		this.note(tokens);
		this.logins++;
		const previous = this.tokens.get(user.name);
		this.tokens.set(user.name, tokens);
		if (previous) {
			await post(this.daemon, '/api/v1/auth/logout', { refresh_token: previous.refresh_token });
			this.logouts++;
		}
	}

	async loginAll() {
		for (const user of this.users) await this.login(user);
	}

	// Before wave number wave: every user refreshes, one logs in anew.
	async renew(wave) {
		for (const user of this.users) {
			const tokens = await post(this.daemon, '/api/v1/auth/refresh', {
				refresh_token: this.tokens.get(user.name).refresh_token,
			});
			this.note(tokens);
			this.tokens.set(user.name, tokens);
			this.refreshes++;
		}
		await this.login(this.users[wave % this.users.length]);
	}

	async guest(role, room) {
		const tokens = await post(this.daemon, '/api/v1/auth/guest', room ? { role, room } : { role });
		this.note(tokens);
		this.guests++;
		return tokens.access_token;
	}

	access(index) {
		return this.tokens.get(this.users[index % this.users.length].name).access_token;
	}

	// The daemon's log must never show a token: stop() checks what is noted.
	note(tokens) {
		this.daemon.noteSecret?.(tokens.access_token, 'access token');
		this.daemon.noteSecret?.(tokens.refresh_token, 'refresh token');
	}
}

async function join(client, room, role) {
	const joined = await client.request({ type: 'join', room, role }, 'joined', STEP_TIMEOUT_MS);
	if (joined.room !== room) throw new Error(`joined ${joined.room}, not ${room}`);
	return joined;
}

// Sends count candidates to peer, then takes count from it.
async function exchangeCandidates(client, peer, count) {
	for (let i = 0; i < count; i++) {
		client.send({
			type: 'candidate',
			to: peer,
			candidate: { candidate: `candidate:${i} 1 udp 2122260223 127.0.0.1 ${50000 + i} typ host`, sdpMid: '0', sdpMLineIndex: 0 },
		});
	}
	for (let i = 0; i < count; i++) {
		const message = await client.nextMessage('candidate', STEP_TIMEOUT_MS);
		if (message.from !== peer) throw new Error(`candidate from ${message.from}, expected ${peer}`);
	}
}

// The end of a call, one of four ways by index; resolves once both
// connections are closed as the daemon sees them.
async function hangUp(sender, receiver, index) {
	switch (index % 4) {
		case 0:
			await receiver.request({ type: 'leave' }, 'left', STEP_TIMEOUT_MS);
			await sender.nextMessage('peer-left', STEP_TIMEOUT_MS);
			break;
		case 1:
			break; // close while in the room: the daemon leaves for them
		case 2:
			receiver.socket.terminate(); // no close frame: the TCP connection just ends
			await sender.nextMessage('peer-left', STEP_TIMEOUT_MS);
			break;
		case 3:
			await sender.request({ type: 'leave' }, 'left', STEP_TIMEOUT_MS);
			await receiver.nextMessage('peer-left', STEP_TIMEOUT_MS);
			break;
	}
	sender.close();
	receiver.close();
	await Promise.all([sender.waitClose(STEP_TIMEOUT_MS), receiver.waitClose(STEP_TIMEOUT_MS)]);
}

// One call between a sender and a receiver, in room.
async function call(daemon, tokens, room, index, opened) {
	const via = (offset) => VIAS[(index + offset) % VIAS.length];
	const sender = await connectAuthed(daemon, tokens.sender, via(0));
	opened.push(sender);
	await join(sender, room, 'sender');
	const receiver = await connectAuthed(daemon, tokens.receiver, via(1));
	opened.push(receiver);
	const joined = await join(receiver, room, 'receiver');
	const senderId = joined.peers.find((peer) => peer.roles.includes('sender'))?.id;
	if (senderId !== sender.auth.id) throw new Error(`the receiver does not see its sender in ${room}`);
	await sender.nextMessage('peer-joined', STEP_TIMEOUT_MS);

	// A session renewal on the open connection, as a client does before expiry.
	await receiver.request({ type: 'auth', token: tokens.receiver }, 'authenticated', STEP_TIMEOUT_MS);

	receiver.send({ type: 'offer', to: senderId, sdp: { type: 'offer', sdp: SDP } });
	const offer = await sender.nextMessage('offer', STEP_TIMEOUT_MS);
	sender.send({ type: 'answer', to: offer.from, sdp: SDP });
	await receiver.nextMessage('answer', STEP_TIMEOUT_MS);
	await Promise.all([exchangeCandidates(sender, offer.from, 3), exchangeCandidates(receiver, senderId, 3)]);

	sender.send({ type: 'chat', text: `wave call ${index}` });
	await Promise.all([sender.nextMessage('chat', STEP_TIMEOUT_MS), receiver.nextMessage('chat', STEP_TIMEOUT_MS)]);
	await receiver.request({ type: 'ping' }, 'pong', STEP_TIMEOUT_MS);
	await hangUp(sender, receiver, index);
}

// The tokens of call index: mostly users' (a user may be on both ends),
// every eighth call between two guests.
async function tokensFor(pool, index) {
	if (index % 8 === 7) return { sender: await pool.guest('sender'), receiver: await pool.guest('receiver') };
	return { sender: pool.access(index), receiver: pool.access(index + 1) };
}

// Runs pairs calls at once (2 * pairs connections at most). Resolves with
// {calls, failures: [message...]}; never leaves a connection open.
export async function runWave(daemon, pool, wave, pairs) {
	const opened = [];
	const results = await Promise.allSettled(
		Array.from({ length: pairs }, async (_, index) => {
			const tokens = await tokensFor(pool, index);
			await call(daemon, tokens, `soak-${wave}-${index}`, index, opened);
		}),
	);
	for (const client of opened) if (client.isOpen || client.socket.readyState === 0) client.socket.terminate();
	await withTimeout(Promise.all(opened.map((client) => client.closed)), STEP_TIMEOUT_MS, 'every connection closed').catch(() => {});
	const failures = results.filter((result) => result.status === 'rejected').map((result) => result.reason.message);
	return { calls: pairs - failures.length, failures };
}
