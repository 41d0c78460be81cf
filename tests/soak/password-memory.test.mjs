// Password checks and resident memory. Each login runs argon2id, which
// allocates 19 MiB and frees it on a worker thread. The daemon must give that
// memory back: a few logins must not leave tens of MiB resident for good
// (glibc would otherwise keep such blocks in each worker's heap). Not checked
// on an AddressSanitizer build, whose quarantine keeps freed memory resident.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { vmRssKib } from '../../bench/soak/memory.mjs';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { createUserAndLogin, daemonBinary, startDaemon } from '../lib/daemon.mjs';
import { login, sleep, uniqueName } from '../lib/rest.mjs';

const sanitized = readFileSync(daemonBinary).includes('__asan_init');
const ARGON2_MIB = 19;

test('logins give the memory of their password checks back', { skip: sanitized && 'AddressSanitizer build: freed memory stays in quarantine' }, async () => {
	const daemon = await startDaemon({ settings: { worker_threads: 2 } });
	try {
		const name = uniqueName('rss');
		await createUserAndLogin(daemon, name, 'memory test password');
		await sleep(300);
		const before = vmRssKib(daemon.child.pid);
		// Concurrent logins, so that both workers hash at once.
		for (let round = 0; round < 3; round++) {
			const answers = await Promise.all([1, 2, 3, 4].map(() => login(daemon, name, 'memory test password')));
			for (const answer of answers) assert.equal(answer.status, 200, answer.text);
		}
		await sleep(300);
		const after = vmRssKib(daemon.child.pid);
		assert.ok(
			after - before < ARGON2_MIB * 1024,
			`resident memory grew by ${after - before} KiB over 12 logins (from ${before} KiB): a password check's ${ARGON2_MIB} MiB was kept`,
		);
	} finally {
		await stopAndCheck(daemon);
	}
});
