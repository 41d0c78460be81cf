// Builds access tokens by hand, the way an attacker would: any header, any
// payload text (duplicate keys included), signed with any key or not at all,
// encoded with any Base64 variant. A test that knows the daemon's jwt_secret
// can also mint a token icegate must accept, so every hostile token differs
// from an accepted one in exactly the property under test.
import { createHash, createHmac } from 'node:crypto';

// The "kid" icegate derives from a secret: the first 8 bytes of its SHA-256, in hex.
export function keyId(secret) {
	return createHash('sha256').update(secret).digest('hex').slice(0, 16);
}

export function base64url(data) {
	return Buffer.from(data).toString('base64url');
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

// HMAC-SHA256 of text with key, Base64url-encoded.
export function hs256(text, key) {
	return createHmac('sha256', key).update(text).digest('base64url');
}

// The header icegate puts on its own tokens, for secret.
export function standardHeader(secret) {
	return { alg: 'HS256', typ: 'JWT', kid: keyId(secret) };
}

// Claims an icegate daemon with the default issuer and audience accepts:
// a guest subject (no account lookup), one role, valid from now.
export function standardClaims(overrides = {}) {
	const now = nowSeconds();
	return {
		iss: 'icegate',
		aud: 'icegate',
		sub: 'guest:00112233aabbccdd',
		role: 'sender',
		iat: now,
		nbf: now,
		exp: now + 600,
		jti: '0123456789abcdef0123456789abcdef',
		...overrides,
	};
}

// Drops the named claims from an object (a missing claim, not a null one).
export function without(object, ...names) {
	const copy = { ...object };
	for (const name of names) delete copy[name];
	return copy;
}

// A segment's encoded text: an object is serialized, a string is taken as
// the JSON text itself (so duplicate keys survive), then Base64url-encoded.
export function segment(value) {
	return base64url(typeof value === 'string' ? value : JSON.stringify(value));
}

// header.payload signed with key (HS256 over the exact text).
export function signParts(headerText, payloadText, key) {
	const signed = `${headerText}.${payloadText}`;
	return `${signed}.${hs256(signed, key)}`;
}

// A token from header and payload (objects or JSON text) signed with key.
export function forge({ header, payload, key }) {
	return signParts(segment(header), segment(payload), key);
}

// The same token with its payload segment replaced, the signature kept.
export function withPayload(token, payload) {
	const [header, , signature] = token.split('.');
	return `${header}.${segment(payload)}.${signature}`;
}

// A token of exactly length characters, validly signed with secret, the
// length reached with a padding claim and, when the Base64 arithmetic needs
// it, a padding header field.
export function tokenOfLength(secret, length) {
	for (let headerPad = 0; headerPad < 4; headerPad++) {
		const header = { ...standardHeader(secret), ...(headerPad ? { x: 'h'.repeat(headerPad) } : {}) };
		const headerText = segment(header);
		for (let pad = 0; pad < length; pad++) {
			const token = signParts(headerText, segment(standardClaims({ pad: 'p'.repeat(pad) })), secret);
			if (token.length === length) return token;
			if (token.length > length) break;
		}
	}
	throw new Error(`no token of ${length} characters`);
}
