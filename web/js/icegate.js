// The icegate browser client: signs in over the REST API and keeps one signaling
// WebSocket alive for a page. It reconnects after drops (backoff with jitter),
// rejoins the last room, renews the access token before it expires and hands the
// fresh one to the open socket, and turns close codes into states a page can show.
// Server messages arrive as events named by their type; the page only reacts.
import { apiIceServers, apiSenderPresent, IcegateApiError } from './api.js';
import { reconnectDelay } from './backoff.js';
import { TokenSession } from './session.js';

export { IcegateApiError } from './api.js';

export const ClientState = Object.freeze({
  CONNECTING: 'connecting', // first socket opening
  AUTHENTICATING: 'authenticating', // socket open, waiting for "authenticated"
  CONNECTED: 'connected', // authenticated: messages may be sent
  RECONNECTING: 'reconnecting', // dropped, waiting to retry or retrying
  CLOSED: 'closed', // not connected and not trying to be
});

const CLOSE_NORMAL = 1000;
const CLOSE_UNAUTHORIZED = 4401;
const CLOSE_ACCOUNT_DISABLED = 4403;
const SOCKET_OPEN = 1;
// A token closer than this to expiry is renewed before it is used to connect.
const MIN_TOKEN_LIFETIME_MS = 2000;
// The server counts token lifetimes in whole seconds, so a token may expire up to
// a second before expires_in says.
const EXPIRY_ROUNDING_MS = 1000;
// setTimeout fires at once for delays past 2^31-1 ms.
const MAX_TIMER_MS = 2147483647;
// Messages that may carry ICE servers (STUN/TURN) for the peer connections.
const ICE_SERVER_CARRIERS = new Set(['joined', 'offer', 'answer', 'ice-servers']);

function defaultStorage() {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // Storage access blocked (e.g. sandboxed frame).
  }
}

export class IcegateClient extends EventTarget {
  // options: baseUrl (default: this page's origin), storageKey, storage, fetch and
  // WebSocket (defaults: the browser's; other environments pass their own).
  constructor(options = {}) {
    super();
    this.baseUrl = options.baseUrl ?? globalThis.location.origin;
    this.WebSocketImpl = options.WebSocket ?? globalThis.WebSocket;
    this.session = new TokenSession({
      baseUrl: this.baseUrl,
      storage: options.storage === undefined ? defaultStorage() : options.storage,
      storageKey: options.storageKey,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      onChange: () => this.sessionChanged(),
    });
    this.state = ClientState.CLOSED;
    this.socket = null; // the current socket; events from older ones are ignored
    this.opening = false; // true while open() waits for a token refresh
    this.wanted = false; // connect() was called and close() was not
    this.attempt = 0; // reconnect attempts since the last successful authentication
    this.reconnectTimer = null;
    this.refreshTimer = null;
    this.nextMessageId = 1;
    this.peerId = null; // assigned by the server for the current socket
    this.subject = null;
    this.roles = [];
    this.room = null; // the room asked for with join(); rejoined after reconnects
    this.role = null;
    this.joinMessageId = null;
    this.joinedRoom = null; // the room the server confirmed for the current socket
    this.iceServers = null; // from the server, or null: pages use their default
  }

  get signedIn() {
    return this.session.hasTokens;
  }

  // The name in the current access token (for display; the server decides).
  get signedInAs() {
    return this.session.claims?.sub ?? null;
  }

  login(username, password) {
    return this.session.login(username, password);
  }

  guest(role, room) {
    return this.session.guest(role, room);
  }

  refresh() {
    return this.session.refresh();
  }

  async logout() {
    this.close();
    await this.session.logout();
  }

  senderPresent(room) {
    return apiSenderPresent(this.baseUrl, room, this.session.fetch);
  }

  // Asks the server for fresh ICE servers (new TURN credentials), e.g. when a
  // relay stopped answering; they become the client's and are announced with
  // an "iceservers" event, as if the server had pushed them.
  async fetchIceServers() {
    if (this.session.expiresAt - Date.now() < MIN_TOKEN_LIFETIME_MS) await this.session.refresh();
    const iceServers = await apiIceServers(this.baseUrl, this.session.accessToken, this.session.fetch);
    this.iceServers = iceServers;
    this.dispatchEvent(new CustomEvent('iceservers', { detail: iceServers }));
    return iceServers;
  }

  connect() {
    if (!this.session.hasTokens) throw new IcegateApiError('not_signed_in', 'Sign in first.');
    this.wanted = true;
    this.scheduleRefresh();
    if (this.socket || this.opening || this.reconnectTimer) return;
    this.open(ClientState.CONNECTING);
  }

  close() {
    this.wanted = false;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.refreshTimer);
    this.reconnectTimer = null;
    this.refreshTimer = null;
    const socket = this.socket;
    this.socket = null;
    this.forgetConnection();
    if (socket) socket.close(CLOSE_NORMAL, 'client closed');
    this.setState(ClientState.CLOSED);
  }

  // Sends a message now; returns its id, or null when not connected (signaling
  // is only meaningful on a live connection, and rejoining restarts it).
  send(type, fields = {}) {
    const ready = this.state === ClientState.CONNECTED || (type === 'auth' && this.state === ClientState.AUTHENTICATING);
    if (!ready || !this.socket || this.socket.readyState !== SOCKET_OPEN) return null;
    const id = `m${this.nextMessageId++}`;
    this.socket.send(JSON.stringify({ ...fields, type, id }));
    return id;
  }

  // Joins now if connected, otherwise as soon as the connection is authenticated;
  // the room is rejoined after every reconnect until leave() or a refused join.
  join(room, role) {
    this.room = room;
    this.role = role ?? null;
    return this.sendJoin();
  }

  leave() {
    this.room = null;
    this.role = null;
    this.joinMessageId = null;
    return this.joinedRoom ? this.send('leave') : null;
  }

  sendJoin() {
    if (!this.room) return null;
    const fields = { room: this.room };
    if (this.role) fields.role = this.role;
    this.joinMessageId = this.send('join', fields);
    return this.joinMessageId;
  }

  async open(state) {
    this.opening = true;
    this.setState(state);
    try {
      if (this.session.expiresAt - Date.now() < MIN_TOKEN_LIFETIME_MS) await this.session.refresh();
    } catch (error) {
      this.opening = false;
      this.refreshFailed(error);
      return;
    }
    this.opening = false;
    if (!this.wanted || !this.session.hasTokens) return;
    const url = new URL('/ws', this.baseUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('access_token', this.session.accessToken);
    let socket;
    try {
      socket = new this.WebSocketImpl(url.href);
    } catch (error) {
      this.report('connect_failed', `Cannot open the signaling connection: ${error.message}`, false);
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (socket === this.socket) this.setState(ClientState.AUTHENTICATING);
    };
    socket.onmessage = (event) => {
      if (socket === this.socket) this.receive(event.data);
    };
    socket.onclose = (event) => {
      if (socket === this.socket) this.socketClosed(event.code, event.reason);
    };
    socket.onerror = () => {
      // Always followed by a close event, which carries the code.
    };
  }

  receive(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      this.report('bad_message', 'The server sent a message that is not JSON.', false);
      return;
    }
    if (message === null || typeof message !== 'object' || typeof message.type !== 'string') {
      this.report('bad_message', 'The server sent a message without a type.', false);
      return;
    }
    if (message.type === 'authenticated') {
      this.peerId = message.id;
      this.subject = message.sub;
      this.roles = Array.isArray(message.roles) ? message.roles : [];
      this.attempt = 0;
      if (this.state !== ClientState.CONNECTED) {
        this.setState(ClientState.CONNECTED);
        this.sendJoin();
      }
    } else if (message.type === 'joined') {
      this.joinedRoom = message.room;
    } else if (message.type === 'left') {
      this.joinedRoom = null;
    } else if (message.type === 'error' && message.ref !== undefined && message.ref === this.joinMessageId) {
      // A refused join would be refused again after every reconnect.
      this.room = null;
      this.joinMessageId = null;
      this.dispatchEvent(new CustomEvent('join-error', { detail: message }));
    }
    if (ICE_SERVER_CARRIERS.has(message.type) && Array.isArray(message.iceServers)) {
      this.iceServers = message.iceServers;
      this.dispatchEvent(new CustomEvent('iceservers', { detail: message.iceServers }));
    }
    this.dispatchEvent(new CustomEvent('message', { detail: message }));
    this.dispatchEvent(new CustomEvent(message.type, { detail: message }));
  }

  socketClosed(code, reason) {
    this.socket = null;
    this.forgetConnection();
    this.dispatchEvent(new CustomEvent('disconnected', { detail: { code, reason } }));
    if (!this.wanted) {
      this.setState(ClientState.CLOSED);
    } else if (code === CLOSE_ACCOUNT_DISABLED) {
      // The account was disabled, or an operator took its access back (e.g.
      // revoked its TURN credentials): its tokens are worthless either way.
      this.close();
      this.session.clear();
      if (!reason || reason === 'account disabled') {
        this.report('account_disabled', 'Account disabled: this account can no longer sign in.', true);
      } else {
        this.report('access_revoked', `Signed out by the server: ${reason}.`, true);
      }
    } else if (code === CLOSE_UNAUTHORIZED) {
      this.setState(ClientState.RECONNECTING);
      this.session.refresh().then(
        () => this.scheduleReconnect(),
        (error) => this.refreshFailed(error),
      );
    } else {
      // 1001 (server restart or idle timeout), network drops, and everything else.
      this.scheduleReconnect();
    }
  }

  forgetConnection() {
    this.peerId = null;
    this.joinedRoom = null;
  }

  scheduleReconnect() {
    if (!this.wanted || this.reconnectTimer) return;
    const delay = reconnectDelay(this.attempt++);
    this.setState(ClientState.RECONNECTING, { delay });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.wanted && !this.socket && !this.opening) this.open(ClientState.RECONNECTING);
    }, delay);
  }

  // A refused refresh token means signing in again; anything else (the server
  // unreachable) is retried by the normal reconnect path.
  refreshFailed(error) {
    if (this.session.hasTokens) {
      this.report(error.code ?? 'refresh_failed', error.message, false);
      this.scheduleReconnect();
      return;
    }
    this.close();
    this.report('session_expired', error.message || 'Your session has expired. Please sign in again.', true);
  }

  sessionChanged() {
    if (!this.session.hasTokens) {
      this.subject = null;
      this.roles = [];
    }
    this.scheduleRefresh();
    this.dispatchEvent(new CustomEvent('session', { detail: { signedIn: this.session.hasTokens } }));
  }

  // Renews the access token ahead of its expiry: a quarter of its remaining
  // lifetime early (at most a minute), so a slow or failed refresh can be retried.
  scheduleRefresh() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    if (!this.wanted || !this.session.hasTokens) return;
    const remaining = this.session.expiresAt - Date.now() - EXPIRY_ROUNDING_MS;
    const delay = Math.min(MAX_TIMER_MS, Math.max(500, remaining - Math.min(60000, remaining / 4)));
    this.refreshTimer = setTimeout(() => this.renewToken(), delay);
  }

  async renewToken() {
    this.refreshTimer = null;
    try {
      await this.session.refresh(); // schedules the next renewal through sessionChanged
    } catch (error) {
      if (!this.session.hasTokens) {
        this.refreshFailed(error);
      } else if (this.wanted) {
        // Server unreachable: the socket is probably reconnecting; try again soon.
        this.report(error.code ?? 'refresh_failed', error.message, false);
        this.refreshTimer = setTimeout(() => this.renewToken(), 5000);
      }
      return;
    }
    this.send('auth', { token: this.session.accessToken });
  }

  setState(state, extra = {}) {
    if (state === this.state && state !== ClientState.RECONNECTING) return;
    const previous = this.state;
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state, previous, ...extra } }));
  }

  // Problems of the client itself (not server "error" messages). fatal: the
  // client stopped and needs the person to act (sign in again, ...).
  report(code, message, fatal) {
    this.dispatchEvent(new CustomEvent('failure', { detail: { code, message, fatal } }));
  }
}
