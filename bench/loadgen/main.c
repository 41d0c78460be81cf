/*
 * main.c: icegate-loadgen, the benchmark load generator. Parses the command
 * line once into struct bench_options and runs one scenario against a daemon
 * on a loopback address:
 *
 *   relay  pairs of peers relaying candidates (or offers) through the daemon,
 *          at saturation or at a fixed offered rate, reporting rate and latency;
 *   idle   many authenticated connections held open, reporting the daemon's
 *          resident memory per connection.
 *
 * --protocol picks the server: icegate (default), peerjs (the PeerJS
 * server) or echo (the limit reference, bench/reference/forwarder.c); see
 * protocol.h. Results go to standard output as key=value lines for
 * bench/run.sh. icegate's access token is read from a file, never from the
 * command line, so it does not show up in process listings.
 */
#include "bench/loadgen/options.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define FDS_PER_WORKER_SPARE 32 /* pipes, epoll, stdio */

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: icegate-loadgen relay|idle --server 127.0.0.1:PORT [--token-file FILE] "
	        "[options]\n"
	        "\n"
	        "common options:\n"
	        "  --server HOST:PORT    server address; must be in 127.0.0.0/8\n"
	        "  --protocol NAME       icegate, peerjs or echo (default icegate)\n"
	        "  --token-file FILE     file holding one access token (\"-\" = stdin);\n"
	        "                        required by the icegate protocol only\n"
	        "  --sources N           loopback source addresses 127.0.0.2.. (default 8)\n"
	        "  --concurrency N       connections in setup at once per process (default 64)\n"
	        "  --processes N         worker processes (default 1)\n"
	        "  --daemon-pid PID      measure the daemon's CPU and memory from /proc\n"
	        "  --setup-timeout SEC   time allowed for connecting (default 60)\n"
	        "relay options:\n"
	        "  --pairs N             peer pairs, one room each (default 32)\n"
	        "  --window N            messages in flight per sender (default 16)\n"
	        "  --warmup SEC          load before the window opens (default 1)\n"
	        "  --duration SEC        measurement window (default 5)\n"
	        "  --rate MSGS           total offered messages/s; 0 = saturate (default 0)\n"
	        "  --kind candidate|offer  message relayed (default candidate)\n"
	        "idle options:\n"
	        "  --connections N       idle authenticated connections (default 10000)\n"
	        "  --settle SEC          idle time before reading memory (default 2)\n");
}

static int parse_count(const char *text, size_t min, size_t max, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long value = strtoull(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || value < min ||
	    value > max)
		return -1;
	*out = (size_t)value;
	return 0;
}

static int parse_seconds(const char *text, double min, double max, double *out)
{
	char *end;
	errno = 0;
	double value = strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0' || !(value >= min && value <= max))
		return -1;
	*out = value;
	return 0;
}

static int parse_server(const char *text, struct bench_options *o)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strrchr(text, ':');
	if (colon == NULL || (size_t)(colon - text) >= sizeof(host))
		return -1;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	size_t port;
	if (parse_count(colon + 1, 1, 65535, &port) != 0)
		return -1;
	struct in_addr address;
	if (inet_pton(AF_INET, host, &address) != 1)
		return -1;
	/* Only loopback targets: this tool must never load someone else's host. */
	if ((ntohl(address.s_addr) >> 24) != 127)
		return -1;
	o->server.sin_family = AF_INET;
	o->server.sin_addr = address;
	o->server.sin_port = htons((uint16_t)port);
	snprintf(o->host, sizeof(o->host), "%s:%zu", host, port);
	return 0;
}

/* Reads the token and builds the upgrade path. The token is checked to be
 * JWT-shaped so that it can go into a URL unescaped. */
static int load_token(const char *file_name, struct bench_options *o)
{
	FILE *file = strcmp(file_name, "-") == 0 ? stdin : fopen(file_name, "r");
	if (file == NULL) {
		fprintf(stderr, "icegate-loadgen: cannot open %s: %s\n", file_name,
		        strerror(errno));
		return -1;
	}
	char token[3072];
	char *line = fgets(token, sizeof(token), file);
	if (file != stdin)
		fclose(file);
	if (line == NULL) {
		fprintf(stderr, "icegate-loadgen: %s holds no token\n", file_name);
		return -1;
	}
	size_t length = strcspn(token, "\r\n");
	token[length] = '\0';
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)token[i];
		if (!isalnum(c) && c != '-' && c != '_' && c != '.') {
			fprintf(stderr, "icegate-loadgen: %s does not hold a JWT\n", file_name);
			return -1;
		}
	}
	if (length == 0) {
		fprintf(stderr, "icegate-loadgen: %s holds no token\n", file_name);
		return -1;
	}
	if (o->protocol->base_path(o->path, sizeof(o->path), token) != 0) {
		fprintf(stderr, "icegate-loadgen: the token in %s is too long\n", file_name);
		return -1;
	}
	return 0;
}

/* Raises the descriptor limit to the hard limit and checks that each worker
 * can hold its connections. */
static int raise_fd_limit(size_t per_worker)
{
	struct rlimit limit;
	if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
		return -1;
	limit.rlim_cur = limit.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
		return -1;
	if (limit.rlim_cur != RLIM_INFINITY && per_worker + FDS_PER_WORKER_SPARE > limit.rlim_cur) {
		fprintf(stderr,
		        "icegate-loadgen: %zu connections per process exceed the descriptor "
		        "limit %llu; use more --processes\n",
		        per_worker, (unsigned long long)limit.rlim_cur);
		return -1;
	}
	return 0;
}

enum option_id {
	OPT_SERVER = 256,
	OPT_PROTOCOL,
	OPT_TOKEN_FILE,
	OPT_SOURCES,
	OPT_CONCURRENCY,
	OPT_PROCESSES,
	OPT_DAEMON_PID,
	OPT_SETUP_TIMEOUT,
	OPT_PAIRS,
	OPT_WINDOW,
	OPT_WARMUP,
	OPT_DURATION,
	OPT_RATE,
	OPT_KIND,
	OPT_CONNECTIONS,
	OPT_SETTLE,
};

static const struct option long_options[] = {
    {"server", required_argument, NULL, OPT_SERVER},
    {"protocol", required_argument, NULL, OPT_PROTOCOL},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"sources", required_argument, NULL, OPT_SOURCES},
    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
    {"processes", required_argument, NULL, OPT_PROCESSES},
    {"daemon-pid", required_argument, NULL, OPT_DAEMON_PID},
    {"setup-timeout", required_argument, NULL, OPT_SETUP_TIMEOUT},
    {"pairs", required_argument, NULL, OPT_PAIRS},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"warmup", required_argument, NULL, OPT_WARMUP},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"rate", required_argument, NULL, OPT_RATE},
    {"kind", required_argument, NULL, OPT_KIND},
    {"connections", required_argument, NULL, OPT_CONNECTIONS},
    {"settle", required_argument, NULL, OPT_SETTLE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Applies one option. Returns 0, or -1 after printing what was wrong. */
static int apply_option(struct bench_options *o, int id, const char *value, const char **token_file)
{
	size_t count = 0;
	int bad = 0;
	switch (id) {
	case OPT_SERVER:
		bad = parse_server(value, o);
		break;
	case OPT_PROTOCOL:
		o->protocol = bench_protocol_find(value);
		bad = o->protocol == NULL ? -1 : 0;
		break;
	case OPT_TOKEN_FILE:
		*token_file = value;
		break;
	case OPT_SOURCES:
		bad = parse_count(value, 1, 250, &count);
		o->sources = (unsigned)count;
		break;
	case OPT_CONCURRENCY:
		bad = parse_count(value, 1, 100000, &o->concurrency);
		break;
	case OPT_PROCESSES:
		bad = parse_count(value, 1, 64, &o->processes);
		break;
	case OPT_DAEMON_PID:
		bad = parse_count(value, 1, 1u << 30, &count);
		o->daemon_pid = (pid_t)count;
		break;
	case OPT_SETUP_TIMEOUT:
		bad = parse_seconds(value, 0.1, 3600, &o->setup_timeout);
		break;
	case OPT_PAIRS:
		bad = parse_count(value, 1, 100000, &o->pairs);
		break;
	case OPT_WINDOW:
		bad = parse_count(value, 1, 100000, &count);
		o->window = (unsigned)count;
		break;
	case OPT_WARMUP:
		bad = parse_seconds(value, 0, 600, &o->warmup);
		break;
	case OPT_DURATION:
		bad = parse_seconds(value, 0.1, 600, &o->duration);
		break;
	case OPT_RATE:
		bad = parse_seconds(value, 0, 1e8, &o->rate);
		break;
	case OPT_KIND:
		if (strcmp(value, "candidate") == 0)
			o->kind = BENCH_RELAY_CANDIDATE;
		else if (strcmp(value, "offer") == 0)
			o->kind = BENCH_RELAY_OFFER;
		else
			bad = -1;
		break;
	case OPT_CONNECTIONS:
		bad = parse_count(value, 1, 1000000, &o->connections);
		break;
	case OPT_SETTLE:
		bad = parse_seconds(value, 0, 600, &o->settle);
		break;
	default:
		bad = -1;
	}
	return bad;
}

int main(int argc, char **argv)
{
	struct bench_options o = {
	    .sources = 8,
	    .concurrency = 64,
	    .processes = 1,
	    .setup_timeout = 60,
	    .pairs = 32,
	    .window = 16,
	    .warmup = 1,
	    .duration = 5,
	    .kind = BENCH_RELAY_CANDIDATE,
	    .connections = 10000,
	    .settle = 2,
	    .protocol = &bench_protocol_icegate,
	};
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "relay") == 0) {
		o.scenario = BENCH_SCENARIO_RELAY;
	} else if (strcmp(argv[1], "idle") == 0) {
		o.scenario = BENCH_SCENARIO_IDLE;
	} else {
		fprintf(stderr, "icegate-loadgen: unknown scenario '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	const char *token_file = NULL;
	int id;
	optind = 2;
	while ((id = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		if (id == 'h') {
			usage(stdout);
			return 0;
		}
		if (id == '?' || apply_option(&o, id, optarg, &token_file) != 0) {
			if (id != '?')
				fprintf(stderr, "icegate-loadgen: bad value '%s' for --%s\n",
				        optarg, long_options[id - OPT_SERVER].name);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "icegate-loadgen: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (o.server.sin_family == 0 || (token_file == NULL && o.protocol->needs_credential)) {
		fprintf(stderr,
		        "icegate-loadgen: --server and, for %s, --token-file are required\n",
		        o.protocol->name);
		return 2;
	}
	size_t items = o.scenario == BENCH_SCENARIO_RELAY ? o.pairs : o.connections;
	if (o.processes > items) {
		fprintf(stderr, "icegate-loadgen: more processes than %s\n",
		        o.scenario == BENCH_SCENARIO_RELAY ? "pairs" : "connections");
		return 2;
	}
	if (!o.protocol->needs_credential) {
		if (o.protocol->base_path(o.path, sizeof(o.path), NULL) != 0)
			return 2;
	} else if (load_token(token_file, &o) != 0) {
		return 2;
	}
	size_t per_worker =
	    (items + o.processes - 1) / o.processes * (o.scenario == BENCH_SCENARIO_RELAY ? 2 : 1);
	if (raise_fd_limit(per_worker) != 0)
		return 2;
	int status = o.scenario == BENCH_SCENARIO_RELAY ? bench_relay_run(&o) : bench_idle_run(&o);
	fflush(stdout);
	return status;
}
