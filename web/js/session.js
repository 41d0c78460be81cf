// The signed-in session of one page: the access and refresh tokens, kept in
// sessionStorage so a reload does not sign the person out but closing the tab does.
// Refresh tokens are single use and reusing one revokes the whole login, so
// refresh() never runs twice at once: concurrent callers share one request.
import { apiPost, IcegateApiError } from './api.js';

// Reads the JWT payload for display only (who is signed in); the server verifies.
function decodeClaims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '=')));
  } catch {
    return null;
  }
}

export class TokenSession {
  // options: baseUrl (the daemon's origin), storage (a Storage, or null for memory
  // only), storageKey (one per page, so a sender and a receiver tab never share
  // tokens with different roles), fetch, onChange (called after the tokens change).
  constructor({ baseUrl, storage = null, storageKey = 'icegate.session', fetch = globalThis.fetch, onChange = () => {} }) {
    this.baseUrl = baseUrl;
    this.onChange = onChange;
    this.storage = storage;
    this.storageKey = storageKey;
    this.fetch = fetch;
    this.tokens = this.load(); // {accessToken, refreshToken, expiresAt} or null
    this.pendingRefresh = null; // the refresh in flight, shared by concurrent callers
  }

  get hasTokens() {
    return this.tokens !== null;
  }

  get accessToken() {
    return this.tokens?.accessToken ?? null;
  }

  // Milliseconds since the epoch, measured on this machine's clock.
  get expiresAt() {
    return this.tokens?.expiresAt ?? 0;
  }

  get claims() {
    return this.tokens ? decodeClaims(this.tokens.accessToken) : null;
  }

  async login(username, password) {
    const reply = await apiPost(this.baseUrl, '/api/v1/auth/login', { username, password }, this.fetch);
    return this.store(reply);
  }

  async guest(role, room) {
    const body = { role };
    if (room) body.room = room;
    const reply = await apiPost(this.baseUrl, '/api/v1/auth/guest', body, this.fetch);
    return this.store(reply);
  }

  refresh() {
    if (!this.pendingRefresh) {
      this.pendingRefresh = this.refreshOnce().finally(() => {
        this.pendingRefresh = null;
      });
    }
    return this.pendingRefresh;
  }

  async refreshOnce() {
    if (!this.tokens) throw new IcegateApiError('not_signed_in', 'You are not signed in.');
    try {
      const reply = await apiPost(this.baseUrl, '/api/v1/auth/refresh', { refresh_token: this.tokens.refreshToken }, this.fetch);
      return this.store(reply);
    } catch (error) {
      // A refused refresh token will never work again; a network error might.
      if (error.status === 400 || error.status === 401 || error.status === 403) this.clear();
      throw error;
    }
  }

  // Revokes the refresh token family on the server, then forgets the tokens even
  // if the server could not be told (the person asked to be signed out).
  async logout() {
    const tokens = this.tokens;
    this.clear();
    if (!tokens) return;
    try {
      await apiPost(this.baseUrl, '/api/v1/auth/logout', { refresh_token: tokens.refreshToken }, this.fetch);
    } catch (error) {
      if (error.status !== 401) throw error;
    }
  }

  clear() {
    this.tokens = null;
    try {
      this.storage?.removeItem(this.storageKey);
    } catch {
      // Storage blocked by the browser: the in-memory copy is already gone.
    }
    this.onChange();
  }

  store(reply) {
    const valid =
      reply && typeof reply.access_token === 'string' && typeof reply.refresh_token === 'string' && Number.isFinite(reply.expires_in);
    if (!valid) throw new IcegateApiError('bad_response', 'The server sent an unexpected token response.');
    this.tokens = {
      accessToken: reply.access_token,
      refreshToken: reply.refresh_token,
      expiresAt: Date.now() + reply.expires_in * 1000,
    };
    try {
      this.storage?.setItem(this.storageKey, JSON.stringify(this.tokens));
    } catch {
      // Storage full or blocked: the session still works until the page closes.
    }
    this.onChange();
    return this.tokens;
  }

  load() {
    try {
      const saved = JSON.parse(this.storage?.getItem(this.storageKey) ?? 'null');
      if (saved && typeof saved.accessToken === 'string' && typeof saved.refreshToken === 'string' && Number.isFinite(saved.expiresAt)) {
        return saved;
      }
    } catch {
      // Corrupt or blocked storage: start signed out.
    }
    return null;
  }
}
