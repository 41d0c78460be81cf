// The sender page: shares this screen (getDisplayMedia) and answers every
// receiver's offer with its own peer connection, so several people can watch.
// It joins the room only while sharing, so receivers (and /first) see a sender
// exactly when there is something to watch. With ?relay=1 its connections
// use only the TURN relay (for testing a TURN deployment).
import { setUpAuth } from './auth-ui.js';
import { IcegateClient } from './icegate.js';
import { PeerLink } from './peer.js';
import { describePeer, StatusPanel } from './status.js';

const client = new IcegateClient({ storageKey: 'icegate.sender' });
const status = new StatusPanel({
  state: document.getElementById('conn-state'),
  error: document.getElementById('error'),
  log: document.getElementById('log'),
});
const startButton = document.getElementById('start-share');
const stopButton = document.getElementById('stop-share');
const preview = document.getElementById('preview');
const shareState = document.getElementById('share-state');
const peerState = document.getElementById('peer-state');
const viewerList = document.getElementById('viewers');
const roomInput = document.getElementById('room');
const forceRelay = new URLSearchParams(globalThis.location.search).get('relay') === '1';

let stream = null; // the captured screen while sharing, else null
const links = new Map(); // receiver peer id -> PeerLink
const names = new Map(); // peer id -> display name, from the room's peer lists

function renderSharing() {
  const sharing = stream !== null;
  startButton.disabled = sharing || !client.signedIn;
  stopButton.disabled = !sharing;
  const inRoom = client.joinedRoom ? ` in room ${client.joinedRoom}` : '';
  shareState.textContent = sharing ? `Sharing${inRoom}` : 'Not sharing';
  shareState.dataset.state = sharing ? 'sharing' : 'idle';
}

function renderViewers() {
  viewerList.replaceChildren();
  let connected = 0;
  for (const [id, link] of links) {
    if (link.connectionState === 'connected') connected += 1;
    const item = document.createElement('li');
    item.textContent = `${names.get(id) ?? id}: ${describePeer(link)}`;
    item.dataset.state = link.connectionState;
    viewerList.append(item);
  }
  if (links.size === 0) {
    peerState.textContent = stream ? 'No viewers yet' : 'Not sharing';
    peerState.dataset.state = 'none';
  } else {
    peerState.textContent = `${connected} of ${links.size} viewer${links.size === 1 ? '' : 's'} connected`;
    peerState.dataset.state = connected === links.size ? 'connected' : 'connecting';
  }
}

function dropLink(id) {
  const link = links.get(id);
  if (!link) return;
  link.close();
  links.delete(id);
  renderViewers();
}

function dropAllLinks() {
  for (const link of links.values()) link.close();
  links.clear();
  renderViewers();
}

async function startSharing() {
  startButton.disabled = true;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  } catch (error) {
    const refused = error.name === 'NotAllowedError';
    status.showError(refused ? 'Screen sharing was cancelled or not allowed.' : `Cannot capture the screen: ${error.message}`, 'share');
    renderSharing();
    return;
  }
  status.clearErrorOf('share');
  preview.srcObject = stream;
  // The browser's own "Stop sharing" control ends the track.
  stream.getVideoTracks()[0]?.addEventListener('ended', stopSharing);
  client.join(roomInput.value.trim(), 'sender');
  status.log('sharing started');
  renderSharing();
  renderViewers();
}

function stopSharing() {
  if (!stream) return;
  client.leave();
  dropAllLinks();
  for (const track of stream.getTracks()) track.stop();
  stream = null;
  preview.srcObject = null;
  status.log('sharing stopped');
  renderSharing();
  renderViewers();
}

function showLinkError(from, link, what, error) {
  if (links.get(from) === link) status.showError(`${what} ${names.get(from) ?? from}: ${error.message}`, 'peer');
}

// iceServers: those of the offer, minted for this page.
async function answerOffer(from, sdp, iceServers) {
  dropLink(from); // a new call from the same receiver replaces its old one
  const link = new PeerLink(
    client,
    from,
    () => {
      if (links.get(from) === link) {
        status.log(`viewer ${names.get(from) ?? from}: ${describePeer(link)}`);
        renderViewers();
      }
    },
    {
      iceServers,
      forceRelay,
      polite: true, // the receiver started the call: its offers win a collision
      onError: (error) => showLinkError(from, link, 'Could not renegotiate with', error),
    },
  );
  links.set(from, link);
  renderViewers();
  try {
    await link.setRemote('offer', sdp);
    // Added after the offer so each track fills the receiver's recvonly slot.
    for (const track of stream.getVideoTracks()) link.pc.addTrack(track, stream);
    await link.pc.setLocalDescription(await link.pc.createAnswer());
    if (links.get(from) !== link) return;
    client.send('answer', { to: from, sdp: link.pc.localDescription.sdp });
  } catch (error) {
    if (links.get(from) === link) {
      status.showError(`Could not answer ${names.get(from) ?? from}: ${error.message}`, 'peer');
      dropLink(from);
    }
  }
}

client.addEventListener('joined', (event) => {
  // A (re)join means a new peer id: receivers will call again.
  dropAllLinks();
  names.clear();
  for (const peer of event.detail.peers ?? []) names.set(peer.id, peer.name);
  status.log(`joined room ${event.detail.room}`);
  renderSharing();
});
client.addEventListener('left', renderSharing);
client.addEventListener('join-error', () => stopSharing());
client.addEventListener('peer-joined', (event) => names.set(event.detail.peer.id, event.detail.peer.name));
client.addEventListener('peer-left', (event) => {
  dropLink(event.detail.id);
  names.delete(event.detail.id);
});
client.addEventListener('offer', (event) => {
  if (!stream) return; // not sharing: nothing to offer (the room was left)
  const { from, sdp } = event.detail;
  const link = links.get(from);
  if (link?.sameRemoteEndpoint(sdp)) {
    // The same call renegotiated (an ICE restart), not a new one.
    link.receiveDescription('offer', sdp).catch((error) => showLinkError(from, link, 'Could not renegotiate with', error));
    return;
  }
  answerOffer(from, sdp, event.detail.iceServers ?? client.iceServers ?? []);
});
client.addEventListener('answer', (event) => {
  const { from } = event.detail;
  const link = links.get(from);
  link?.receiveDescription('answer', event.detail.sdp).catch((error) => showLinkError(from, link, 'Unusable answer from', error));
});
client.addEventListener('candidate', (event) => {
  const link = links.get(event.detail.from);
  link?.addRemoteCandidate(event.detail.candidate).catch((error) => {
    status.showError(`A network candidate from a viewer was rejected: ${error.message}`, 'peer');
  });
});
client.addEventListener('iceservers', (event) => {
  try {
    for (const link of links.values()) link.applyIceServers(event.detail);
  } catch (error) {
    status.showError(`Could not apply the relay servers: ${error.message}`, 'peer');
  }
});
// Renewed TURN credentials (applied just above): relayed calls restart ICE so
// their allocations are made again with them before the old ones expire.
client.addEventListener('ice-servers', () => {
  for (const [from, link] of links) {
    link.restartIceIfRelayed().then(
      (restarted) => restarted && status.log(`relay credentials renewed: restarting ICE with ${names.get(from) ?? from}`),
      (error) => showLinkError(from, link, 'Could not renew the relay with', error),
    );
  }
});
client.addEventListener('state', (event) => {
  if (event.detail.state === 'closed') stopSharing();
  renderSharing();
});

startButton.addEventListener('click', startSharing);
stopButton.addEventListener('click', stopSharing);

status.catchUncaught();
status.followClient(client);
setUpAuth({
  client,
  role: 'sender',
  status,
  onSignedIn() {
    client.connect();
    renderSharing();
  },
  onSignedOut() {
    stopSharing();
    client.close();
    renderSharing();
  },
});
renderSharing();
renderViewers();
