// REST calls to the icegate API (login, guest, refresh, logout, ICE servers,
// sender presence).
// Every failure becomes an IcegateApiError whose message is fit to show a person:
// the server's error codes are mapped to plain sentences here, once, so pages never
// have to know the codes. Nothing here ever logs or echoes a token or a password.

const FRIENDLY_MESSAGES = {
  invalid_credentials: 'Wrong username or password.',
  account_disabled: 'This account is disabled.',
  guest_access_disabled: 'Guest access is turned off on this server. Sign in with a username and password.',
  invalid_token: 'Your session has expired. Please sign in again.',
  rate_limited: 'Too many attempts. Please wait and try again.',
};

export class IcegateApiError extends Error {
  // code: the server's error code ("invalid_credentials", ...) or "network_error";
  // status: the HTTP status (0 when the server could not be reached);
  // retryAfter: seconds from Retry-After, or null.
  constructor(code, message, status = 0, retryAfter = null) {
    super(message);
    this.name = 'IcegateApiError';
    this.code = code;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

function describeFailure(code, description, retryAfter) {
  if (code === 'rate_limited' && retryAfter !== null) {
    return `Too many attempts. Please wait ${retryAfter} s and try again.`;
  }
  if (FRIENDLY_MESSAGES[code]) return FRIENDLY_MESSAGES[code];
  return description || `The server refused the request (${code}).`;
}

// POSTs a JSON body and returns the parsed JSON reply (or null for 204).
// fetchImpl lets tests and non-browser callers supply their own fetch.
export async function apiPost(baseUrl, path, body, fetchImpl = globalThis.fetch) {
  let response;
  try {
    response = await fetchImpl(new URL(path, baseUrl), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new IcegateApiError('network_error', 'Cannot reach the server. Check your connection.');
  }
  if (response.status === 204) return null;
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    // A proxy error page or an empty body: fall through with no payload.
  }
  if (response.ok && payload !== null) return payload;
  const retryHeader = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
  const retryAfter = Number.isFinite(retryHeader) ? retryHeader : null;
  const code = payload?.error ?? (response.ok ? 'bad_response' : `http_${response.status}`);
  const description = payload?.error_description ?? null;
  throw new IcegateApiError(code, describeFailure(code, description, retryAfter), response.status, retryAfter);
}

// Fresh ICE servers with TURN credentials minted for the bearer of accessToken
// (GET /api/v1/ice-servers). Resolves with the RTCIceServer list.
export async function apiIceServers(baseUrl, accessToken, fetchImpl = globalThis.fetch) {
  let response;
  try {
    response = await fetchImpl(new URL('/api/v1/ice-servers', baseUrl), { headers: { Authorization: `Bearer ${accessToken}` } });
  } catch {
    throw new IcegateApiError('network_error', 'Cannot reach the server. Check your connection.');
  }
  const payload = await response.json().catch(() => null);
  if (!response.ok || !Array.isArray(payload?.iceServers)) {
    const code = payload?.error ?? `http_${response.status}`;
    throw new IcegateApiError(code, describeFailure(code, payload?.error_description ?? null, null), response.status);
  }
  return payload.iceServers;
}

// Asks whether a sender is present in a room (GET /first). Resolves true or false.
export async function apiSenderPresent(baseUrl, room, fetchImpl = globalThis.fetch) {
  let response;
  try {
    response = await fetchImpl(new URL(`/first?room=${encodeURIComponent(room)}`, baseUrl));
  } catch {
    throw new IcegateApiError('network_error', 'Cannot reach the server. Check your connection.');
  }
  if (!response.ok) {
    throw new IcegateApiError(`http_${response.status}`, `The server refused the room check (HTTP ${response.status}).`, response.status);
  }
  return (await response.text()).trim() === 'true';
}
