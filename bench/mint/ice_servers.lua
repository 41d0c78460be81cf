-- ice_servers.lua: wrk's script for bench/mint.sh. Every request is
-- GET /api/v1/ice-servers with the bearer token read from the file named by
-- MINT_TOKEN_FILE (a mode-600 file: the token never appears on a command
-- line), so each one costs the daemon a JWT verification, a user check and a
-- freshly minted TURN credential. At the end it prints key=value lines that
-- mint.sh reads: the request count, the duration, every error class wrk
-- counts, and latency percentiles.

local token_file = os.getenv("MINT_TOKEN_FILE")
if not token_file then
	error("MINT_TOKEN_FILE is not set")
end
local file = assert(io.open(token_file, "r"))
local token = file:read("*l")
file:close()
if not token or token == "" then
	error(token_file .. " holds no token")
end

wrk.method = "GET"
wrk.path = "/api/v1/ice-servers"
wrk.headers["Authorization"] = "Bearer " .. token

function done(summary, latency, requests)
	local errors = summary.errors
	io.write(string.format("requests=%d\n", summary.requests))
	io.write(string.format("duration_us=%d\n", summary.duration))
	io.write(string.format("bytes=%d\n", summary.bytes))
	io.write(string.format("errors_connect=%d\n", errors.connect))
	io.write(string.format("errors_read=%d\n", errors.read))
	io.write(string.format("errors_write=%d\n", errors.write))
	-- wrk counts every response whose status is 400 or more here.
	io.write(string.format("errors_status=%d\n", errors.status))
	io.write(string.format("errors_timeout=%d\n", errors.timeout))
	io.write(string.format("latency_p50_us=%d\n", latency:percentile(50)))
	io.write(string.format("latency_p99_us=%d\n", latency:percentile(99)))
end
