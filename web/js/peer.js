// One RTCPeerConnection to one remote peer, wired to the signaling client:
// local ICE candidates go out addressed to that peer, remote candidates that
// arrive before the remote description are held until it is set (the browser
// rejects them otherwise), and ICE servers from the server can be applied later.

export class PeerLink {
  // client: the IcegateClient (borrowed); remoteId: the other peer's id;
  // onStateChange(link): called whenever the connection or ICE state moves.
  constructor(client, remoteId, onStateChange = () => {}) {
    this.client = client;
    this.remoteId = remoteId;
    this.closed = false;
    this.pendingCandidates = []; // remote candidates received before setRemote()
    this.remoteDescriptionSet = false;
    this.pc = new RTCPeerConnection({ iceServers: client.iceServers ?? [] });
    this.pc.onicecandidate = (event) => {
      // null marks the end of gathering; the protocol relays it as null.
      const candidate = event.candidate ? event.candidate.toJSON() : null;
      this.client.send('candidate', { to: this.remoteId, candidate });
    };
    this.pc.onconnectionstatechange = () => onStateChange(this);
    this.pc.oniceconnectionstatechange = () => onStateChange(this);
  }

  get connectionState() {
    return this.closed ? 'closed' : this.pc.connectionState;
  }

  get iceConnectionState() {
    return this.closed ? 'closed' : this.pc.iceConnectionState;
  }

  async setRemote(type, sdp) {
    await this.pc.setRemoteDescription({ type, sdp });
    this.remoteDescriptionSet = true;
    const pending = this.pendingCandidates;
    this.pendingCandidates = [];
    for (const candidate of pending) await this.pc.addIceCandidate(candidate);
  }

  async addRemoteCandidate(candidate) {
    if (this.closed || candidate === null || candidate === undefined) return;
    if (!this.remoteDescriptionSet) {
      this.pendingCandidates.push(candidate);
      return;
    }
    await this.pc.addIceCandidate(candidate);
  }

  // TURN credentials arrive from the server and change over time; new ICE
  // servers take effect for the next gathering (and ICE restarts).
  applyIceServers(iceServers) {
    if (this.closed) return;
    this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers });
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.pc.close();
  }
}
