// A client of a deployed signaling service, as a browser on another host
// would be one: it connects to the service's address but checks the
// certificate against the deployment's domain and its certificate (the
// self-signed one of a development setup is its own authority), over HTTPS
// and WSS, or plain HTTP and WS when the deployment runs without TLS.
import https from 'node:https';
import http from 'node:http';
import WebSocket from 'ws';
import { WsClient } from '../../lib/ws-client.mjs';

// endpoint: {tls, host, port, domain, ca}
function tlsOptions(endpoint) {
	return endpoint.tls ? { ca: endpoint.ca, servername: endpoint.domain } : {};
}

// Sends a JSON request; resolves with {status, json, text, certificate}
// (the server's certificate, over TLS).
export function request(endpoint, method, path, body, headers = {}) {
	const payload = body === undefined ? undefined : JSON.stringify(body);
	const options = {
		host: endpoint.host,
		port: endpoint.port,
		method,
		path,
		headers: { ...headers, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}) },
		timeout: 5000,
		...tlsOptions(endpoint),
	};
	return new Promise((resolve, reject) => {
		const req = (endpoint.tls ? https : http).request(options, (response) => {
			const certificate = endpoint.tls ? response.socket.getPeerCertificate() : null;
			let text = '';
			response.setEncoding('utf8');
			response.on('data', (chunk) => (text += chunk));
			response.on('end', () => {
				let json;
				try {
					json = JSON.parse(text);
				} catch {
					json = undefined;
				}
				resolve({ status: response.statusCode, json, text, certificate });
			});
		});
		req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
		req.on('error', reject);
		if (payload) req.write(payload);
		req.end();
	});
}

export async function login(endpoint, username, password) {
	return request(endpoint, 'POST', '/api/v1/auth/login', { username, password });
}

// Opens /ws with token in the Authorization header and waits for
// `authenticated`. Resolves with a WsClient (tests/lib/ws-client.mjs).
export async function connectAuthenticated(endpoint, token) {
	const url = `${endpoint.tls ? 'wss' : 'ws'}://${endpoint.host}:${endpoint.port}/ws`;
	const socket = new WebSocket(url, {
		headers: { Authorization: `Bearer ${token}` },
		perMessageDeflate: false,
		handshakeTimeout: 5000,
		...tlsOptions(endpoint),
	});
	const client = new WsClient(socket);
	await new Promise((resolve, reject) => {
		socket.once('open', resolve);
		socket.once('error', reject);
		socket.once('unexpected-response', (_, response) => reject(new Error(`upgrade refused with HTTP ${response.statusCode}`)));
	});
	client.auth = await client.nextMessage('authenticated', 5000);
	return client;
}
