// The receiver page: joins a room as a receiver, waits for a sender (the room
// listing on join, or a sender joining later), offers a receive-only video
// connection to it and plays what arrives. When the sender leaves or the
// connection fails it moves on to the next sender in the room, if any; when
// it stays disconnected it restarts ICE with fresh TURN credentials first.
// With ?relay=1 media goes only through the TURN relay (for testing a TURN
// deployment); the status panel says which route the media takes.
import { setUpAuth, validRoom } from './auth-ui.js';
import { IcegateClient } from './icegate.js';
import { describeRoute, PeerLink } from './peer.js';
import { describePeer, StatusPanel } from './status.js';

const RETRY_AFTER_FAILURE_MS = 2000;
// The selected route can change without a state change (ICE may switch pairs).
const ROUTE_POLL_MS = 2000;
const forceRelay = new URLSearchParams(globalThis.location.search).get('relay') === '1';

const client = new IcegateClient({ storageKey: 'icegate.receiver' });
const status = new StatusPanel({
  state: document.getElementById('conn-state'),
  error: document.getElementById('error'),
  log: document.getElementById('log'),
});
const video = document.getElementById('remote-video');
const peerState = document.getElementById('peer-state');
const roomInput = document.getElementById('room');
const roomStatus = document.getElementById('room-status');
const routeState = document.getElementById('route-state');

const senders = new Map(); // sender peer id -> peer object, in the order they joined
let link = null; // the PeerLink to the sender being watched, or null
let retryTimer = null;
let routeTimer = null;

function showPeer(text, state) {
  peerState.textContent = text;
  peerState.dataset.state = state;
}

function showRoute(text, type) {
  routeState.textContent = text;
  routeState.dataset.state = type;
}

async function renderRoute() {
  const current = link;
  if (!current) {
    showRoute(forceRelay ? 'TURN relay only (no call)' : 'No call', 'none');
    return;
  }
  try {
    const pair = await current.selectedPair();
    if (current === link) showRoute(describeRoute(pair), pair?.local.candidateType ?? 'none');
  } catch (error) {
    if (current === link) showRoute(`unknown (${error.message})`, 'none');
  }
}

function renderLink(current) {
  if (current !== link) return;
  showPeer(describePeer(current), current.connectionState);
  renderRoute();
  status.log(`peer: ${describePeer(current)}`);
  if (current.connectionState === 'connected') status.clearErrorOf('peer');
  if (current.connectionState === 'failed') {
    status.showError('The connection to the sender failed; trying again.', 'peer');
    dropLink();
    retryTimer = setTimeout(watchNextSender, RETRY_AFTER_FAILURE_MS);
  }
}

function dropLink() {
  clearTimeout(retryTimer);
  retryTimer = null;
  clearInterval(routeTimer);
  routeTimer = null;
  if (link) link.close();
  link = null;
  video.srcObject = null;
  renderRoute();
}

// Offers to the earliest sender still in the room, unless already watching one.
function watchNextSender() {
  if (link || client.state !== 'connected' || !client.joinedRoom) return;
  const [senderId] = senders.keys();
  if (senderId === undefined) {
    showPeer('Waiting for a sender to join the room', 'waiting');
    return;
  }
  // The ICE servers of "joined" (or a later push), minted for this page.
  const current = new PeerLink(client, senderId, renderLink, {
    iceServers: client.iceServers ?? [],
    forceRelay,
    onError(error) {
      if (current === link) status.showError(`Could not start the video connection: ${error.message}`, 'peer');
    },
    // This page placed the call, so it restarts ICE when the route breaks.
    restartWhenDisconnected: true,
    onIceRestart() {
      status.log('connection lost: restarting ICE with fresh relay credentials');
    },
  });
  link = current;
  current.pc.ontrack = (event) => {
    video.srcObject = event.streams[0] ?? new MediaStream([event.track]);
  };
  // Adding the transceiver makes the link send its offer (negotiationneeded).
  current.pc.addTransceiver('video', { direction: 'recvonly' });
  showPeer(`Calling ${senders.get(senderId).name}…`, 'new');
  routeTimer = setInterval(renderRoute, ROUTE_POLL_MS);
}

const isSender = (peer) => Array.isArray(peer?.roles) && peer.roles.includes('sender');

client.addEventListener('joined', (event) => {
  // A (re)join gives this page a new peer id: any earlier call is void.
  dropLink();
  senders.clear();
  for (const peer of event.detail.peers ?? []) if (isSender(peer)) senders.set(peer.id, peer);
  status.log(`joined room ${event.detail.room}`);
  watchNextSender();
});
client.addEventListener('peer-joined', (event) => {
  const peer = event.detail.peer;
  if (!isSender(peer)) return;
  senders.set(peer.id, peer);
  status.log(`sender ${peer.name} joined`);
  watchNextSender();
});
client.addEventListener('peer-left', (event) => {
  if (!senders.delete(event.detail.id)) return;
  if (link?.remoteId === event.detail.id) {
    status.log('the sender left');
    dropLink();
    watchNextSender();
  }
});
client.addEventListener('answer', (event) => {
  const current = link;
  if (!current || event.detail.from !== current.remoteId) return;
  current.receiveDescription('answer', event.detail.sdp).catch((error) => {
    if (current === link) status.showError(`The sender's answer was unusable: ${error.message}`, 'peer');
  });
});
// The sender renegotiating the call (an ICE restart on its side).
client.addEventListener('offer', (event) => {
  const current = link;
  if (!current || event.detail.from !== current.remoteId) return;
  current.receiveDescription('offer', event.detail.sdp).catch((error) => {
    if (current === link) status.showError(`The sender's new offer was unusable: ${error.message}`, 'peer');
  });
});
client.addEventListener('candidate', (event) => {
  const current = link;
  if (!current || event.detail.from !== current.remoteId) return;
  current.addRemoteCandidate(event.detail.candidate).catch((error) => {
    if (current === link) status.showError(`A network candidate from the sender was rejected: ${error.message}`, 'peer');
  });
});
client.addEventListener('iceservers', (event) => {
  try {
    link?.applyIceServers(event.detail);
  } catch (error) {
    status.showError(`Could not apply the relay servers: ${error.message}`, 'peer');
  }
});
// Renewed TURN credentials (applied just above): a relayed call restarts ICE
// so its allocation is made again with them before the old ones expire.
client.addEventListener('ice-servers', () => {
  const current = link;
  current?.restartIceIfRelayed().then(
    (restarted) => restarted && status.log('relay credentials renewed: restarting ICE'),
    (error) => current === link && status.showError(`Could not renew the relay: ${error.message}`, 'peer'),
  );
});
client.addEventListener('state', (event) => {
  if (event.detail.state === 'closed') {
    dropLink();
    senders.clear();
    showPeer('Not connected', 'none');
  }
});

// Before signing in, tell the person whether anyone is sharing in the room.
async function checkRoom() {
  const room = roomInput.value.trim();
  if (client.signedIn || !validRoom(room)) {
    roomStatus.textContent = '';
    return;
  }
  try {
    const present = await client.senderPresent(room);
    roomStatus.textContent = present ? 'Someone is sharing in this room.' : 'Nobody is sharing in this room yet.';
  } catch (error) {
    roomStatus.textContent = error.message;
  }
}
roomInput.addEventListener('change', checkRoom);

status.catchUncaught();
status.followClient(client);
setUpAuth({
  client,
  role: 'receiver',
  status,
  onSignedIn(room) {
    roomStatus.textContent = '';
    client.join(room, 'receiver');
    client.connect();
  },
  onSignedOut() {
    client.close();
    checkRoom();
  },
});
checkRoom();
renderRoute();
