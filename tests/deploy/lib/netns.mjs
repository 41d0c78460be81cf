// A peer host for relayed traffic: a network namespace joined to this host by
// a veth pair, with addresses from 198.20.0.0/30 (public address space just
// outside 198.18.0.0/15, which the shipped turnserver.conf denies, so coturn
// relays to it as to any peer on the internet). The host end carries the
// relay address; the namespace end runs an echo server (turnutils_peer).
// Nothing is routed beyond the pair, and remove() deletes the namespace,
// which takes the veth pair with it. Names carry the test's process id, so a
// run can clear what a killed earlier run left behind.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const HOST_ADDRESS = '198.20.0.1';
export const PEER_ADDRESS = '198.20.0.2';
const PREFIX = 'igdeploy';

function ip(...args) {
	return execFileSync('ip', args, { encoding: 'utf8', timeout: 10000, stdio: ['ignore', 'pipe', 'pipe'] });
}

function processAlive(pid) {
	return existsSync(`/proc/${pid}`);
}

// Deletes namespaces left by runs whose process is gone.
function removeStale() {
	for (const line of ip('netns', 'list').split('\n')) {
		const match = new RegExp(`^${PREFIX}-(\\d+)\\b`).exec(line);
		if (match && !processAlive(Number(match[1]))) ip('netns', 'delete', `${PREFIX}-${match[1]}`);
	}
}

// Creates the namespace and starts the echo server on PEER_ADDRESS:port using
// peerBinary. Resolves with {namespace, port, remove()}.
export async function createPeerHost(peerBinary, port) {
	removeStale();
	const namespace = `${PREFIX}-${process.pid}`;
	const hostEnd = `igd${process.pid}h`.slice(0, 15);
	const peerEnd = `igd${process.pid}p`.slice(0, 15);
	let echo = null;
	const remove = async () => {
		if (echo && echo.exitCode === null && echo.signalCode === null) {
			const exited = new Promise((resolve) => echo.once('exit', resolve));
			echo.kill('SIGKILL');
			await exited;
		}
		try {
			ip('netns', 'delete', namespace);
		} catch {
			// never created
		}
	};
	try {
		ip('netns', 'add', namespace);
		ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', peerEnd);
		ip('link', 'set', peerEnd, 'netns', namespace);
		ip('address', 'add', `${HOST_ADDRESS}/30`, 'dev', hostEnd);
		ip('link', 'set', hostEnd, 'up');
		ip('-n', namespace, 'address', 'add', `${PEER_ADDRESS}/30`, 'dev', peerEnd);
		ip('-n', namespace, 'link', 'set', peerEnd, 'up');
		ip('-n', namespace, 'link', 'set', 'lo', 'up');
		ip('-n', namespace, 'route', 'add', 'default', 'via', HOST_ADDRESS);
		echo = spawn('ip', ['netns', 'exec', namespace, peerBinary, '-L', PEER_ADDRESS, '-p', String(port)], {
			stdio: ['ignore', 'ignore', 'ignore'],
		});
		// However the test process ends, the echo server ends with it (the
		// namespace goes at the next run's removeStale if not before).
		process.once('exit', () => echo.kill('SIGKILL'));
		// The echo server is up once its socket is bound in the namespace.
		const deadline = Date.now() + 5000;
		while (!ip('-n', namespace, 'address').includes(PEER_ADDRESS) || !udpBound(namespace, port)) {
			if (echo.exitCode !== null) throw new Error(`${peerBinary} exited (${echo.exitCode})`);
			if (Date.now() > deadline) throw new Error('the echo server did not bind in time');
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
	} catch (error) {
		await remove();
		throw error;
	}
	return { namespace, port, address: PEER_ADDRESS, remove };
}

function udpBound(namespace, port) {
	const sockets = execFileSync('ip', ['netns', 'exec', namespace, 'ss', '-Hnlu'], { encoding: 'utf8', timeout: 5000 });
	return sockets.includes(`${PEER_ADDRESS}:${port}`);
}
