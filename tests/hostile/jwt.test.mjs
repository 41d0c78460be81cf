// Hostile access tokens against a real daemon whose jwt_secret the test
// knows, so it can mint tokens icegate must accept and change exactly one
// thing in each: the algorithm, the key, a claim, the encoding, the size, a
// duplicate JSON key. Every token is presented the four ways a client can:
// as a Bearer header on GET /api/v1/me (401 invalid_token with the reason),
// and on /ws as a Bearer header, an access_token query parameter and a first
// auth message (close 4401 with the same reason). After each case a valid
// token still works, and the daemon exits cleanly at the end.
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { startDaemon } from '../lib/daemon.mjs';
import { decodeJwt, get, guestToken } from '../lib/rest.mjs';
import { WsClient } from '../lib/ws-client.mjs';
import {
	base64url,
	forge,
	keyId,
	nowSeconds,
	segment,
	signParts,
	standardClaims,
	standardHeader,
	tokenOfLength,
	withPayload,
	without,
} from './lib/jwt-forge.mjs';

const SECRET = 'hostile-tests-jwt-secret-0123456789abcdef';
const OTHER_SECRET = 'a-secret-this-daemon-has-never-seen-0123456';
const LEEWAY = 10;
const HEADER = standardHeader(SECRET);

// The reasons icegate gives, as REST error_description and WebSocket close reason.
const MALFORMED = 'malformed token';
const TOO_LARGE = 'token too large';
const BAD_ALGORITHM = 'unsupported algorithm';
const UNKNOWN_KEY = 'unknown signing key';
const BAD_SIGNATURE = 'bad signature';
const EXPIRED = 'token expired';
const NOT_YET_VALID = 'token not yet valid';
const BAD_ISSUER = 'wrong issuer';
const BAD_AUDIENCE = 'wrong audience';
const BAD_CLAIMS = 'missing or invalid claims';

let daemon;
before(async () => {
	daemon = await startDaemon({
		settings: { guest_access: 'on', jwt_secret: SECRET, token_leeway: LEEWAY },
	});
});
after(() => stopAndCheck(daemon));

// A token signed with the daemon's secret, its claims changed by overrides.
const minted = (overrides = {}) => forge({ header: HEADER, payload: standardClaims(overrides), key: SECRET });
// The same with the named claims left out.
const mintedWithout = (overrides, ...names) =>
	forge({ header: HEADER, payload: without(standardClaims(overrides), ...names), key: SECRET });

const bearer = (token) => ({ Authorization: `Bearer ${token}` });

// Opens /ws presenting token via 'header', 'query' or 'message'. Resolves
// {accepted: true, auth} or {accepted: false, code, reason}.
async function wsVerdict(token, via) {
	const url = via === 'query' ? `${daemon.wsUrl}?access_token=${encodeURIComponent(token)}` : daemon.wsUrl;
	const client = await WsClient.connect(url, { headers: via === 'header' ? bearer(token) : {} });
	if (via === 'message') client.send({ type: 'auth', token });
	try {
		const auth = await client.nextMessage('authenticated', 3000);
		client.close();
		return { accepted: true, auth };
	} catch (error) {
		if (!client.closeInfo) throw error;
		return { accepted: false, ...client.closeInfo };
	}
}

const WAYS = ['header', 'query', 'message'];

async function expectRefused(token, reason) {
	daemon.noteSecret(token, 'hostile token');
	const response = await get(daemon, '/api/v1/me', bearer(token));
	assert.equal(response.status, 401, response.text);
	assert.equal(response.json?.error, 'invalid_token', response.text);
	assert.equal(response.json.error_description, reason);
	assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
	for (const via of WAYS) {
		const verdict = await wsVerdict(token, via);
		assert.equal(verdict.accepted, false, `WebSocket (${via}) accepted the token`);
		assert.equal(verdict.code, 4401, `WebSocket (${via})`);
		assert.equal(verdict.reason, reason, `WebSocket (${via})`);
	}
	await expectAccepted(minted());
}

async function expectAccepted(token) {
	const claims = decodeJwt(token).payload;
	const response = await get(daemon, '/api/v1/me', bearer(token));
	assert.equal(response.status, 200, response.text);
	assert.equal(response.json.sub, claims.sub);
	for (const via of WAYS) {
		const verdict = await wsVerdict(token, via);
		assert.ok(verdict.accepted, `WebSocket (${via}) refused: ${verdict.code} ${verdict.reason}`);
		assert.equal(verdict.auth.sub, claims.sub);
	}
}

// One test per case: name, the token (built when the test runs, so its
// times are fresh) and the reason icegate must give, or null to accept.
function cases(list) {
	for (const [name, token, reason] of list) {
		test(name, async () => {
			if (reason === null) await expectAccepted(token());
			else await expectRefused(token(), reason);
		});
	}
}

// Replaces one character of a token's payload segment with another and signs
// the result anew, so only the encoding is wrong.
function resignedWithPayloadText(payloadText) {
	return signParts(segment(HEADER), payloadText, SECRET);
}

// Claims whose Base64url encoding has a '-' or '_': "???" encodes as "Pz8_"
// when it starts on a 3-byte boundary, which a padding claim arranges.
function payloadWithUrlOnlyCharacters() {
	for (let pad = 0; pad < 3; pad++) {
		const text = segment(standardClaims({ pad: 'p'.repeat(pad), note: '???' }));
		if (/[-_]/.test(text)) return text;
	}
	throw new Error('no payload encodes with - or _');
}

// Claims whose JSON length leaves a remainder of want bytes modulo 3.
function payloadTextWithRemainder(want) {
	for (let pad = 0; ; pad++) {
		const json = JSON.stringify(standardClaims({ pad: 'p'.repeat(pad) }));
		if (Buffer.byteLength(json) % 3 === want) return json;
	}
}

const ecKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const PUBLIC_KEY_PEM = ecKeys.publicKey.export({ type: 'spki', format: 'pem' });
const rsaStyleHeader = { alg: 'RS256', typ: 'JWT', kid: keyId(SECRET) };

describe('control', () => {
	cases([['a token minted with the daemon\'s secret is accepted', () => minted(), null]]);

	test('a guest token from the daemon itself is accepted', async () => {
		await expectAccepted(await guestToken(daemon, 'sender'));
	});
});

describe('alg: none', () => {
	cases([
		[
			'alg none with an empty signature is malformed',
			() => `${segment({ ...HEADER, alg: 'none' })}.${segment(standardClaims())}.`,
			MALFORMED,
		],
		[
			'alg none carrying a valid HS256 signature is refused',
			() => forge({ header: { ...HEADER, alg: 'none' }, payload: standardClaims(), key: SECRET }),
			BAD_ALGORITHM,
		],
		[
			'alg None (capitalised) is refused',
			() => forge({ header: { ...HEADER, alg: 'None' }, payload: standardClaims(), key: SECRET }),
			BAD_ALGORITHM,
		],
		[
			'alg NONE is refused',
			() => forge({ header: { ...HEADER, alg: 'NONE' }, payload: standardClaims(), key: SECRET }),
			BAD_ALGORITHM,
		],
		[
			'a header without alg is refused',
			() => forge({ header: without(HEADER, 'alg'), payload: standardClaims(), key: SECRET }),
			BAD_ALGORITHM,
		],
		[
			'alg null is refused',
			() => forge({ header: { ...HEADER, alg: null }, payload: standardClaims(), key: SECRET }),
			BAD_ALGORITHM,
		],
	]);
});

describe('algorithm confusion', () => {
	cases([
		[
			'RS256 header signed as HMAC with a PEM public key is refused',
			() => forge({ header: rsaStyleHeader, payload: standardClaims(), key: PUBLIC_KEY_PEM }),
			BAD_ALGORITHM,
		],
		[
			'HS256 signed with a PEM public key as the secret is refused',
			() => forge({ header: HEADER, payload: standardClaims(), key: PUBLIC_KEY_PEM }),
			BAD_SIGNATURE,
		],
		[
			'HS256 signed with the issuer name as the secret is refused',
			() => forge({ header: HEADER, payload: standardClaims(), key: 'icegate' }),
			BAD_SIGNATURE,
		],
		[
			'HS256 signed with an empty secret is refused',
			() => forge({ header: HEADER, payload: standardClaims(), key: '' }),
			BAD_SIGNATURE,
		],
		[
			'HS256 signed with the kid as the secret is refused',
			() => forge({ header: HEADER, payload: standardClaims(), key: keyId(SECRET) }),
			BAD_SIGNATURE,
		],
		[
			'a real ES256 signature is refused',
			() => {
				const signed = `${segment({ ...HEADER, alg: 'ES256' })}.${segment(standardClaims())}`;
				const signature = sign('sha256', Buffer.from(signed), {
					key: ecKeys.privateKey,
					dsaEncoding: 'ieee-p1363',
				});
				return `${signed}.${base64url(signature)}`;
			},
			BAD_ALGORITHM,
		],
		[
			'HS512 with the right secret is refused',
			() => {
				const signed = `${segment({ ...HEADER, alg: 'HS512' })}.${segment(standardClaims())}`;
				return `${signed}.${createHmac('sha512', SECRET).update(signed).digest('base64url')}`;
			},
			BAD_ALGORITHM,
		],
	]);
});

describe('wrong key', () => {
	cases([
		[
			'the right kid signed with another secret is refused',
			() => forge({ header: HEADER, payload: standardClaims(), key: OTHER_SECRET }),
			BAD_SIGNATURE,
		],
		[
			'another secret with its own kid is refused',
			() => forge({ header: standardHeader(OTHER_SECRET), payload: standardClaims(), key: OTHER_SECRET }),
			UNKNOWN_KEY,
		],
		[
			'a header without kid is refused',
			() => forge({ header: without(HEADER, 'kid'), payload: standardClaims(), key: SECRET }),
			UNKNOWN_KEY,
		],
		[
			'a kid naming a file is refused',
			() => forge({ header: { ...HEADER, kid: '../../../etc/passwd' }, payload: standardClaims(), key: SECRET }),
			UNKNOWN_KEY,
		],
		[
			'a signature cut to 31 bytes is refused',
			() => {
				const [header, payload, signature] = minted().split('.');
				const cut = Buffer.from(signature, 'base64url').subarray(0, 31);
				return `${header}.${payload}.${base64url(cut)}`;
			},
			BAD_SIGNATURE,
		],
		[
			'a crit header extension is refused',
			() => forge({ header: { ...HEADER, crit: ['exp'] }, payload: standardClaims(), key: SECRET }),
			MALFORMED,
		],
	]);
});

describe('expired', () => {
	cases([
		['exp a minute ago is refused', () => minted({ exp: nowSeconds() - 60 }), EXPIRED],
		['exp just past the leeway is refused', () => minted({ exp: nowSeconds() - LEEWAY - 2 }), EXPIRED],
		['exp inside the leeway is accepted', () => minted({ exp: nowSeconds() - 3 }), null],
		['a token without exp is refused', () => mintedWithout({}, 'exp'), BAD_CLAIMS],
		['exp as a string is refused', () => minted({ exp: String(nowSeconds() + 600) }), BAD_CLAIMS],
		['exp as a fraction is refused', () => minted({ exp: nowSeconds() + 600.5 }), BAD_CLAIMS],
	]);
});

describe('not yet valid', () => {
	cases([
		['nbf a minute ahead is refused', () => minted({ nbf: nowSeconds() + 60 }), NOT_YET_VALID],
		['nbf just past the leeway is refused', () => minted({ nbf: nowSeconds() + LEEWAY + 2 }), NOT_YET_VALID],
		['nbf inside the leeway is accepted', () => minted({ nbf: nowSeconds() + 3 }), null],
		[
			'iat a minute ahead without nbf is refused',
			() => mintedWithout({ iat: nowSeconds() + 60 }, 'nbf'),
			NOT_YET_VALID,
		],
		[
			'iat in milliseconds without nbf is refused',
			() => mintedWithout({ iat: Date.now() }, 'nbf'),
			NOT_YET_VALID,
		],
	]);
});

describe('wrong issuer or audience', () => {
	cases([
		['iss of another issuer is refused', () => minted({ iss: 'someone-else' }), BAD_ISSUER],
		['iss in another case is refused', () => minted({ iss: 'ICEGATE' }), BAD_ISSUER],
		['a token without iss is refused', () => mintedWithout({}, 'iss'), BAD_ISSUER],
		['iss as a number is refused', () => minted({ iss: 42 }), BAD_CLAIMS],
		['aud of another audience is refused', () => minted({ aud: 'someone-else' }), BAD_AUDIENCE],
		['aud listing only others is refused', () => minted({ aud: ['a', 'b'] }), BAD_AUDIENCE],
		['an empty aud list is refused', () => minted({ aud: [] }), BAD_AUDIENCE],
		['a token without aud is refused', () => mintedWithout({}, 'aud'), BAD_AUDIENCE],
		['aud as a number is refused', () => minted({ aud: 42 }), BAD_CLAIMS],
		['aud listing icegate among others is accepted (RFC 7519 4.1.3)', () => minted({ aud: ['other', 'icegate'] }), null],
	]);
});

describe('missing or invalid subject and claims', () => {
	cases([
		['a token without sub is refused', () => mintedWithout({}, 'sub'), BAD_CLAIMS],
		['an empty sub is refused', () => minted({ sub: '' }), BAD_CLAIMS],
		['sub as a number is refused', () => minted({ sub: 42 }), BAD_CLAIMS],
		['sub null is refused', () => minted({ sub: null }), BAD_CLAIMS],
		['sub with a control character is refused', () => minted({ sub: 'guest:\u001b[31mred' }), BAD_CLAIMS],
		['sub over 127 bytes is refused', () => minted({ sub: `guest:${'a'.repeat(122)}` }), BAD_CLAIMS],
		['sub of exactly 127 bytes is accepted', () => minted({ sub: `guest:${'a'.repeat(121)}` }), null],
		['a token without role is refused', () => mintedWithout({}, 'role'), BAD_CLAIMS],
		['role admin is refused', () => minted({ role: 'admin' }), BAD_CLAIMS],
		['a token without jti is refused', () => mintedWithout({}, 'jti'), BAD_CLAIMS],
		['a token without iat is refused', () => mintedWithout({}, 'iat'), BAD_CLAIMS],
	]);
});

describe('tampered payload with the old signature', () => {
	// A token the daemon issued, one claim changed, its signature kept.
	async function tampered(change) {
		const token = await guestToken(daemon, 'receiver', 'hall');
		daemon.noteSecret(token, 'access token');
		return withPayload(token, change(decodeJwt(token).payload));
	}

	test('a widened role is refused', async () => {
		await expectRefused(await tampered((claims) => ({ ...claims, role: ['sender', 'receiver'] })), BAD_SIGNATURE);
	});

	test('another subject is refused', async () => {
		await expectRefused(await tampered((claims) => ({ ...claims, sub: 'admin' })), BAD_SIGNATURE);
	});

	test('a later exp is refused', async () => {
		await expectRefused(await tampered((claims) => ({ ...claims, exp: claims.exp + 86400 })), BAD_SIGNATURE);
	});

	test('the room restriction removed is refused', async () => {
		await expectRefused(await tampered((claims) => without(claims, 'room')), BAD_SIGNATURE);
	});

	test('the same claims re-serialized with other spacing are refused', async () => {
		const token = await guestToken(daemon, 'receiver');
		daemon.noteSecret(token, 'access token');
		await expectRefused(withPayload(token, JSON.stringify(decodeJwt(token).payload, null, 1)), BAD_SIGNATURE);
	});
});

describe('oversized token', () => {
	cases([
		['a token of exactly 4096 characters is accepted', () => tokenOfLength(SECRET, 4096), null],
		['a token of 4097 characters is refused before decoding', () => tokenOfLength(SECRET, 4097), TOO_LARGE],
	]);

	test('a 9000-character token in an auth message is refused with 4401', async () => {
		const token = tokenOfLength(SECRET, 9000);
		daemon.noteSecret(token, 'hostile token');
		const verdict = await wsVerdict(token, 'message');
		assert.deepEqual([verdict.accepted, verdict.code, verdict.reason], [false, 4401, TOO_LARGE]);
		await expectAccepted(minted());
	});

	test('a 9000-character Bearer header is 431 on REST and on the upgrade', async () => {
		const token = tokenOfLength(SECRET, 9000);
		daemon.noteSecret(token, 'hostile token');
		const response = await get(daemon, '/api/v1/me', bearer(token));
		assert.equal(response.status, 431, response.text);
		assert.equal(response.json?.error, 'invalid_request');
		await assert.rejects(WsClient.connect(daemon.wsUrl, { headers: bearer(token) }), (error) => error.status === 431);
		await expectAccepted(minted());
	});
});

describe('bad Base64', () => {
	cases([
		[
			'the standard alphabet (+ and /) instead of Base64url is refused',
			() => resignedWithPayloadText(payloadWithUrlOnlyCharacters().replaceAll('-', '+').replaceAll('_', '/')),
			MALFORMED,
		],
		[
			'= padding is refused',
			() => resignedWithPayloadText(`${segment(payloadTextWithRemainder(1))}==`),
			MALFORMED,
		],
		[
			'a space inside a segment is refused',
			() => {
				const text = segment(standardClaims());
				return resignedWithPayloadText(`${text.slice(0, 20)} ${text.slice(20)}`);
			},
			MALFORMED,
		],
		[
			'non-zero leftover bits in the last character are refused',
			() => {
				const text = segment(payloadTextWithRemainder(1));
				const last = text.at(-1);
				const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
				return resignedWithPayloadText(text.slice(0, -1) + alphabet[alphabet.indexOf(last) | 1]);
			},
			MALFORMED,
		],
		[
			'a segment of 4n+1 characters is refused',
			() => resignedWithPayloadText(`${segment(payloadTextWithRemainder(0))}A`),
			MALFORMED,
		],
		[
			'a Base64-padded signature is refused',
			() => `${minted()}=`,
			MALFORMED,
		],
		['two segments are refused', () => minted().split('.').slice(0, 2).join('.'), MALFORMED],
		['four segments are refused', () => `${minted()}.${segment('{}')}`, MALFORMED],
		['an empty header segment is refused', () => signParts('', segment(standardClaims()), SECRET), MALFORMED],
		['a payload that is not JSON is refused', () => resignedWithPayloadText(base64url('sub=guest:x')), MALFORMED],
		['a payload that is a JSON array is refused', () => resignedWithPayloadText(segment('[1,2,3]')), MALFORMED],
		[
			'a payload with bytes after its JSON object is refused',
			() => resignedWithPayloadText(segment(`${JSON.stringify(standardClaims())}{}`)),
			MALFORMED,
		],
	]);
});

describe('duplicate JSON keys', () => {
	// The claims' JSON text with extra members spliced in before the final brace.
	const claimsWith = (extra, claims = standardClaims()) => `${JSON.stringify(claims).slice(0, -1)},${extra}}`;
	const withText = (payloadText) => forge({ header: HEADER, payload: payloadText, key: SECRET });

	cases([
		['two sub claims are refused', () => withText(claimsWith('"sub":"alice"')), MALFORMED],
		[
			'two exp claims, expired then valid, are refused',
			() => withText(claimsWith(`"exp":${nowSeconds() + 600}`, standardClaims({ exp: nowSeconds() - 3600 }))),
			MALFORMED,
		],
		['two role claims are refused', () => withText(claimsWith('"role":["sender","receiver"]')), MALFORMED],
		['sub and its \\u-escaped twin are refused', () => withText(claimsWith('"\\u0073ub":"alice"')), MALFORMED],
		[
			'two alg header fields are refused',
			() => signParts(segment(`${JSON.stringify(HEADER).slice(0, -1)},"alg":"none"}`), segment(standardClaims()), SECRET),
			MALFORMED,
		],
		[
			'two kid header fields are refused',
			() => signParts(segment(`${JSON.stringify(HEADER).slice(0, -1)},"kid":"${keyId(OTHER_SECRET)}"}`), segment(standardClaims()), SECRET),
			MALFORMED,
		],
	]);
});
