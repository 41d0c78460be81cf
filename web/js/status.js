// What both demo pages show about themselves: the signaling connection state,
// an error banner that every failure ends up in (including uncaught ones, so
// nothing is reported only in the console), and a short log of recent events.

const LOG_LIMIT = 50;

const STATE_TEXT = {
  connecting: 'Connecting…',
  authenticating: 'Authenticating…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Not connected',
};

export class StatusPanel {
  // elements: {state, error, log} (borrowed from the page); log may be null.
  constructor({ state, error, log = null }) {
    this.stateElement = state;
    this.errorElement = error;
    this.logElement = log;
  }

  // Mirrors the client's state: text for people, data-state for styles and tests.
  followClient(client) {
    const render = (detail = {}) => {
      const text = STATE_TEXT[client.state] ?? client.state;
      const wait = detail.delay ? ` (retrying in ${(detail.delay / 1000).toFixed(1)} s)` : '';
      this.stateElement.textContent = text + wait;
      this.stateElement.dataset.state = client.state;
    };
    client.addEventListener('state', (event) => {
      render(event.detail);
      if (event.detail.previous !== event.detail.state) this.log(`connection: ${event.detail.state}`);
      if (event.detail.state === 'connected') this.clearErrorOf('connection');
    });
    client.addEventListener('failure', (event) => this.showError(event.detail.message, 'connection'));
    client.addEventListener('error', (event) => {
      this.showError(`Server: ${event.detail.message ?? event.detail.code} (${event.detail.code})`, 'server');
    });
    client.addEventListener('disconnected', (event) => {
      const reason = event.detail.reason ? `: ${event.detail.reason}` : '';
      this.log(`connection closed (${event.detail.code}${reason})`);
    });
    render();
  }

  // source: a short tag so a later success can clear only its own kind of error.
  showError(message, source = 'page') {
    this.errorElement.textContent = message;
    this.errorElement.dataset.source = source;
    this.errorElement.hidden = false;
    this.log(`error: ${message}`);
  }

  clearError() {
    this.errorElement.textContent = '';
    this.errorElement.hidden = true;
  }

  clearErrorOf(source) {
    if (this.errorElement.dataset.source === source) this.clearError();
  }

  log(text) {
    if (!this.logElement) return;
    const entry = document.createElement('li');
    entry.textContent = `${new Date().toLocaleTimeString()} ${text}`;
    this.logElement.prepend(entry);
    while (this.logElement.children.length > LOG_LIMIT) this.logElement.lastElementChild.remove();
  }

  // Routes uncaught exceptions and rejected promises to the banner.
  catchUncaught(target = window) {
    target.addEventListener('error', (event) => this.showError(`Unexpected error: ${event.message}`));
    target.addEventListener('unhandledrejection', (event) => {
      const reason = event.reason instanceof Error ? event.reason.message : String(event.reason);
      this.showError(`Unexpected error: ${reason}`);
    });
  }
}

// Text for a peer connection's state pair, e.g. "connected (ICE: completed)".
export function describePeer(link) {
  return `${link.connectionState} (ICE: ${link.iceConnectionState})`;
}
