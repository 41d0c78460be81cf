// server.mjs: starts the PeerJS server (npm package `peer`) on a loopback
// port for bench/run.sh, which drives it with icegate-loadgen --protocol peerjs
// beside icegate.
//
//   node server.mjs PORT
//
// Key "peerjs", path "/", no TLS. The one limit raised is the one icegate's
// benchmark raises too: concurrent_limit (default 5000 connections, which
// the idle scenario's 10,000 would hit), the counterpart of icegate's
// max_connections_per_address. PeerJS has no per-connection message rate
// limit to lift. alive_timeout keeps its default (90 s): the generator sends
// a HEARTBEAT every 5 s, as the PeerJS client does. Prints "listening PORT"
// once the port accepts connections.
import { PeerServer } from "peer";

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
	console.error("usage: node server.mjs PORT");
	process.exit(2);
}

const server = PeerServer(
	{
		host: "127.0.0.1",
		port,
		key: "peerjs",
		path: "/",
		concurrent_limit: 1000000,
	},
	() => console.log(`listening ${port}`),
);
server.on("error", (error) => console.error(`peerjs: ${error.message}`));
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
