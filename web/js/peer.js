// One RTCPeerConnection to one remote peer, wired to the signaling client:
// local ICE candidates go out addressed to that peer, remote candidates that
// arrive before the remote description are held until it is set (the browser
// rejects them otherwise), and later renegotiations (ICE restarts when TURN
// credentials are renewed) follow the "perfect negotiation" pattern, so both
// sides may start one and a collision resolves itself: the polite side yields.
// The side that placed the call can also restart ICE by itself when the
// connection stays disconnected (a TURN server restarted and lost its
// allocations, a network changed), with fresh ICE servers from the server.

const DTLS_FINGERPRINT = /^a=fingerprint:.*$/gm;
// How long ICE may stay "disconnected" before an ICE restart: short losses
// recover by themselves, and the browser declares "failed" only some 10 s later.
const DISCONNECTED_GRACE_MS = 2000;

// The DTLS identity in an SDP: a new RTCPeerConnection always has a new one,
// a renegotiation of the same connection keeps it.
function fingerprints(sdp) {
  return (sdp ?? '').match(DTLS_FINGERPRINT)?.sort().join('\n') ?? '';
}

export class PeerLink {
  // client: the IcegateClient (borrowed); remoteId: the other peer's id;
  // onStateChange(link): called whenever the connection or ICE state moves.
  // options: iceServers (from the signaling message that started this call;
  // default: the client's latest), forceRelay (TURN only: iceTransportPolicy
  // 'relay'), polite (yields when both sides offer at once), onError(error)
  // (a renegotiation failed), restartWhenDisconnected (restart ICE after
  // DISCONNECTED_GRACE_MS of "disconnected"; only one side should) and
  // onIceRestart(link) (called when it does).
  constructor(client, remoteId, onStateChange = () => {}, options = {}) {
    this.client = client;
    this.remoteId = remoteId;
    this.closed = false;
    this.pendingCandidates = []; // remote candidates received before setRemote()
    this.remoteDescriptionSet = false;
    this.polite = options.polite ?? false;
    this.onError = options.onError ?? (() => {});
    this.restartWhenDisconnected = options.restartWhenDisconnected ?? false;
    this.onIceRestart = options.onIceRestart ?? (() => {});
    this.disconnectedTimer = null; // pending restart while ICE is disconnected
    this.makingOffer = false; // between starting an offer and sending it
    this.ignoringOffer = false; // an offer lost a collision: drop its candidates
    this.pc = new RTCPeerConnection({
      iceServers: options.iceServers ?? client.iceServers ?? [],
      iceTransportPolicy: options.forceRelay ? 'relay' : 'all',
    });
    this.pc.onicecandidate = (event) => {
      // null marks the end of gathering; the protocol relays it as null.
      const candidate = event.candidate ? event.candidate.toJSON() : null;
      this.client.send('candidate', { to: this.remoteId, candidate });
    };
    this.pc.onnegotiationneeded = () => this.negotiate();
    this.pc.onconnectionstatechange = () => onStateChange(this);
    this.pc.oniceconnectionstatechange = () => {
      this.watchDisconnection();
      onStateChange(this);
    };
  }

  get connectionState() {
    return this.closed ? 'closed' : this.pc.connectionState;
  }

  get iceConnectionState() {
    return this.closed ? 'closed' : this.pc.iceConnectionState;
  }

  // True when sdp comes from the same remote RTCPeerConnection as the current
  // remote description (a renegotiation), false for a new call.
  sameRemoteEndpoint(sdp) {
    const current = fingerprints(this.pc.remoteDescription?.sdp);
    return current !== '' && current === fingerprints(sdp);
  }

  // Sends an offer for whatever the connection needs (its first offer, new
  // tracks, an ICE restart).
  async negotiate() {
    if (this.closed) return;
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      if (this.closed) return;
      this.client.send('offer', { to: this.remoteId, sdp: this.pc.localDescription.sdp });
    } catch (error) {
      if (!this.closed) this.onError(error);
    } finally {
      this.makingOffer = false;
    }
  }

  async setRemote(type, sdp) {
    await this.pc.setRemoteDescription({ type, sdp });
    this.remoteDescriptionSet = true;
    const pending = this.pendingCandidates;
    this.pendingCandidates = [];
    for (const candidate of pending) await this.pc.addIceCandidate(candidate);
  }

  // An offer or answer on a call already set up: answers offers, and on a
  // collision the impolite side ignores the other's offer while the polite
  // side rolls its own back (setRemoteDescription does that implicitly).
  async receiveDescription(type, sdp) {
    if (this.closed) return;
    const collision = type === 'offer' && (this.makingOffer || this.pc.signalingState !== 'stable');
    this.ignoringOffer = !this.polite && collision;
    if (this.ignoringOffer) return;
    await this.setRemote(type, sdp);
    if (type !== 'offer' || this.closed) return;
    await this.pc.setLocalDescription();
    if (!this.closed) this.client.send('answer', { to: this.remoteId, sdp: this.pc.localDescription.sdp });
  }

  async addRemoteCandidate(candidate) {
    if (this.closed || candidate === null || candidate === undefined) return;
    if (!this.remoteDescriptionSet) {
      this.pendingCandidates.push(candidate);
      return;
    }
    try {
      await this.pc.addIceCandidate(candidate);
    } catch (error) {
      if (!this.ignoringOffer) throw error; // candidates of an ignored offer may not fit
    }
  }

  // TURN credentials arrive from the server and change over time; new ICE
  // servers take effect for the next gathering (and ICE restarts).
  applyIceServers(iceServers) {
    if (this.closed) return;
    this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers });
  }

  // The candidate pair ICE currently sends on, as {local, remote} RTCStats of
  // the two candidates, or null while there is none.
  async selectedPair() {
    if (this.closed) return null;
    const stats = await this.pc.getStats();
    let pair = null;
    for (const report of stats.values()) {
      if (report.type === 'transport' && report.selectedCandidatePairId) {
        pair = stats.get(report.selectedCandidatePairId);
        break;
      }
    }
    if (!pair) return null;
    const local = stats.get(pair.localCandidateId);
    const remote = stats.get(pair.remoteCandidateId);
    return local && remote ? { local, remote } : null;
  }

  // After fresh ICE servers: a connection that goes through a TURN relay
  // restarts ICE, because the browser keeps refreshing its allocation with the
  // credential it was made with, and the TURN server refuses that credential
  // once it expires. Direct connections need no TURN and are left alone.
  // Returns true when a restart (and so a new offer) was started.
  async restartIceIfRelayed() {
    const pair = await this.selectedPair();
    if (this.closed || pair?.local.candidateType !== 'relay') return false;
    this.pc.restartIce();
    return true;
  }

  // Arms the restart when ICE enters "disconnected", disarms it on any other state.
  watchDisconnection() {
    clearTimeout(this.disconnectedTimer);
    this.disconnectedTimer = null;
    if (!this.restartWhenDisconnected || this.iceConnectionState !== 'disconnected') return;
    this.disconnectedTimer = setTimeout(() => this.restartIceWithFreshServers(), DISCONNECTED_GRACE_MS);
  }

  // New TURN credentials first (the old allocations may be gone with the TURN
  // server that held them), then a restart: new candidates, new allocations.
  // A server that cannot be asked leaves the ICE servers as they are.
  async restartIceWithFreshServers() {
    this.disconnectedTimer = null;
    try {
      this.applyIceServers(await this.client.fetchIceServers());
    } catch {
      // The restart may still succeed with the servers in hand.
    }
    if (this.closed || this.iceConnectionState !== 'disconnected') return;
    this.onIceRestart(this);
    this.pc.restartIce();
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.disconnectedTimer);
    this.pc.close();
  }
}

// Text for the route of a selected pair, e.g. "relay (TURN over udp)".
export function describeRoute(pair) {
  if (!pair) return 'none yet';
  const { local, remote } = pair;
  const via = local.candidateType === 'relay' ? ` via ${local.url ?? 'TURN'} over ${local.relayProtocol ?? local.protocol}` : '';
  return `local ${local.candidateType}${via}, remote ${remote.candidateType}`;
}
