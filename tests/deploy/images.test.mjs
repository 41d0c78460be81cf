// docker/Dockerfile without a Docker engine: the images build with the
// README's scripts and nothing from outside Debian's repositories, run as an
// unprivileged user, and each runtime image installs every shared library its
// programs load. That last check reads the release build's binaries (the ones
// the images copy, lib/image.mjs) with ldd and finds each library's Debian
// package: apt must install it for the image, as a package of its list
// (docker/*-packages.txt), of the base image (debian:bookworm: the essential
// and required packages) or a dependency of either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './lib/compose.mjs';
import { imageFiles, parseCopy, parseDockerfile, stage } from './lib/image.mjs';

const RUNTIME_TARGETS = ['icegate', 'turn'];

function isElf(file) {
	if (!statSync(file).isFile()) return false;
	const header = Buffer.alloc(4);
	const fd = openSync(file, 'r');
	try {
		readSync(fd, header, 0, 4, 0);
	} finally {
		closeSync(fd);
	}
	return header.toString('latin1') === '\x7fELF';
}

// The shared libraries file loads, as resolved paths.
function sharedLibraries(file) {
	const output = execFileSync('ldd', [file], { encoding: 'utf8', timeout: 10000 });
	assert.doesNotMatch(output, /not found/, `${file} misses a library on this host:\n${output}`);
	return [...output.matchAll(/=> (\/\S+)/g)].map((match) => match[1]);
}

// The Debian package owning a file (Debian 12 has merged /usr: dpkg knows a
// library under either /lib or /usr/lib).
function owningPackage(file) {
	const real = execFileSync('readlink', ['-f', file], { encoding: 'utf8' }).trim();
	const candidates = [file, real, real.replace(/^\/usr\//, '/'), file.replace(/^\/usr\//, '/')];
	for (const candidate of new Set(candidates)) {
		const result = spawnSync('dpkg-query', ['-S', candidate], { encoding: 'utf8' });
		if (result.status === 0) return result.stdout.split(':')[0].trim();
	}
	throw new Error(`no Debian package owns ${file}`);
}

// The installed packages: name -> {base, depends}. base: part of
// debian:bookworm, which holds the essential and required packages.
function installedPackages() {
	const output = execFileSync('dpkg-query', ['-W', '-f=${Package}\t${Essential}\t${Priority}\t${Pre-Depends}, ${Depends}\n'], {
		encoding: 'utf8',
		maxBuffer: 64 << 20,
	});
	const packages = new Map();
	for (const line of output.split('\n').filter(Boolean)) {
		const [name, essential, priority, depends] = line.split('\t');
		packages.set(name, { base: essential === 'yes' || priority === 'required', depends });
	}
	return packages;
}

// The packages apt installs for roots: them and, recursively, what they
// depend on (the first installed alternative of each dependency).
function dependencyClosure(roots, packages) {
	const closure = new Set();
	const pending = [...roots];
	while (pending.length) {
		const name = pending.pop();
		if (closure.has(name)) continue;
		closure.add(name);
		for (const clause of (packages.get(name)?.depends ?? '').split(',')) {
			const alternatives = clause.split('|').map((alternative) => alternative.trim().split(/[\s:(]/)[0]).filter(Boolean);
			const chosen = alternatives.find((alternative) => packages.has(alternative));
			if (chosen) pending.push(chosen);
		}
	}
	return closure;
}

// The package list a runtime stage installs: the docker/*-packages.txt it copies.
function packageList(target, stages) {
	const copied = stage(stages, target)
		.instructions.filter((i) => i.op === 'COPY')
		.flatMap((i) => parseCopy(i.args).sources)
		.find((source) => /^docker\/.*-packages\.txt$/.test(source));
	assert.ok(copied, `stage ${target} copies its package list`);
	const text = readFileSync(path.join(repoRoot, copied), 'utf8');
	return {
		file: copied,
		packages: text
			.split('\n')
			.map((line) => line.replace(/#.*/, '').trim())
			.filter(Boolean),
	};
}

test('the images build with the README scripts, from Debian repositories only, and run unprivileged', () => {
	const stages = parseDockerfile();
	for (const s of stages) assert.equal(s.base, 'debian:bookworm', `stage ${s.name} is on Debian 12`);
	const build = stage(stages, 'build');
	const runs = build.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
	assert.match(runs, /scripts\/install-deps\.sh/);
	assert.match(runs, /scripts\/build\.sh build\b/);
	const everything = stages.flatMap((s) => s.instructions.filter((i) => i.op === 'RUN' || i.op === 'ADD')).map((i) => i.args).join('\n');
	assert.doesNotMatch(everything, /\b(curl|wget|npm|pip)\b|https?:\/\//, 'nothing fetched besides Debian packages');
	for (const target of RUNTIME_TARGETS) {
		const user = stage(stages, target).instructions.filter((i) => i.op === 'USER').at(-1);
		assert.equal(user?.args, 'icegate', `${target} runs as icegate`);
	}
});

for (const target of RUNTIME_TARGETS) {
	test(`the ${target} image installs every library its programs load, and no development package`, () => {
		const stages = parseDockerfile();
		const { file, packages } = packageList(target, stages);
		const installed = installedPackages();
		const base = [...installed].filter(([, info]) => info.base).map(([name]) => name);
		const available = dependencyClosure([...base, ...packages], installed);
		for (const pkg of packages) assert.doesNotMatch(pkg, /-dev$/, `${file}: ${pkg} is a build dependency`);
		const programs = imageFiles(target, stages).filter(({ hostPath }) => isElf(hostPath));
		assert.ok(programs.length >= 2, `${target} copies its programs`);
		const missing = new Set();
		for (const { imagePath, hostPath } of programs) {
			for (const library of sharedLibraries(hostPath)) {
				const pkg = owningPackage(library);
				if (!available.has(pkg)) missing.add(`${pkg} (${path.basename(library)}, for ${imagePath})`);
			}
		}
		assert.deepEqual([...missing], [], `${file} lacks packages`);
	});
}
