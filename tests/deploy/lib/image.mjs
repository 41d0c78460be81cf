// The runtime images of docker/Dockerfile, laid out on the host from the
// files they would contain, so that the deployment tests run the very
// programs and scripts an image holds without a Docker engine.
//
// The Dockerfile's build stage copies the repository to a directory (COPY .
// /src) and builds there with scripts/build.sh, so a path under it in the
// build stage is that path in this checkout. Its build trees are taken from
// the release build the tests run against: /src/build is ICEGATE_BUILD_DIR
// (default build/) and /src/build/turn is ICEGATE_TURN_BUILD (default
// build/turn). Each COPY of a runtime stage becomes a symbolic link at the
// same path under a temporary image root; everything else the image holds
// (Debian's packages) is the host's, which runs the same Debian release.
import { mkdirSync, readFileSync, symlinkSync, existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './compose.mjs';

export const DOCKERFILE = path.join(repoRoot, 'docker/Dockerfile');

// The stages of a Dockerfile: [{name, base, instructions: [{op, args}]}],
// with line continuations joined and comments dropped.
export function parseDockerfile(text = readFileSync(DOCKERFILE, 'utf8')) {
	const logical = [];
	let current = '';
	for (const line of text.split('\n')) {
		if (/^\s*#/.test(line) && current === '') continue;
		if (line.endsWith('\\')) {
			current += line.slice(0, -1) + ' ';
			continue;
		}
		current += line;
		if (current.trim()) logical.push(current.trim());
		current = '';
	}
	const stages = [];
	for (const line of logical) {
		const [op, ...rest] = line.split(/\s+/);
		const args = rest.join(' ');
		if (op.toUpperCase() === 'FROM') {
			const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
			stages.push({ name: match[2] ?? String(stages.length), base: match[1], instructions: [] });
		} else {
			stages.at(-1).instructions.push({ op: op.toUpperCase(), args });
		}
	}
	return stages;
}

// A COPY instruction as {from, sources, destination}.
export function parseCopy(args) {
	const words = args.split(/\s+/);
	let from = null;
	while (words[0].startsWith('--')) {
		const flag = words.shift();
		if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
	}
	const destination = words.pop();
	return { from, sources: words, destination };
}

export function stage(stages, name) {
	const found = stages.find((s) => s.name === name);
	if (!found) throw new Error(`docker/Dockerfile has no stage ${name}`);
	return found;
}

// The last WORKDIR of a stage.
export function workdir(stageInfo) {
	return stageInfo.instructions.filter((i) => i.op === 'WORKDIR').at(-1)?.args ?? '/';
}

// Where a path of the build stage is on this host.
function buildStagePath(stages, buildName, file) {
	const build = stage(stages, buildName);
	const copyAll = build.instructions.find((i) => i.op === 'COPY' && parseCopy(i.args).sources[0] === '.');
	if (!copyAll) throw new Error(`stage ${buildName} does not COPY the repository`);
	const root = parseCopy(copyAll.args).destination.replace(/\/$/, '');
	const buildDir = path.resolve(repoRoot, process.env.ICEGATE_BUILD_DIR || 'build');
	const turnBuild = path.resolve(repoRoot, process.env.ICEGATE_TURN_BUILD || 'build/turn');
	const mappings = [
		[`${root}/build/turn`, turnBuild],
		[`${root}/build`, buildDir],
		[root, repoRoot],
	];
	for (const [prefix, hostDir] of mappings) {
		if (file === prefix || file.startsWith(`${prefix}/`)) return hostDir + file.slice(prefix.length);
	}
	throw new Error(`${file} is outside ${root} in stage ${buildName}`);
}

// The files stage `target` copies in, as [{imagePath, hostPath}].
export function imageFiles(target, stages = parseDockerfile()) {
	const files = [];
	for (const instruction of stage(stages, target).instructions) {
		if (instruction.op !== 'COPY') continue;
		const copy = parseCopy(instruction.args);
		const intoDirectory = copy.destination.endsWith('/') || copy.sources.length > 1;
		for (const source of copy.sources) {
			const hostPath = copy.from ? buildStagePath(stages, copy.from, source) : path.join(repoRoot, source);
			const imagePath = intoDirectory ? path.posix.join(copy.destination, path.posix.basename(source)) : copy.destination;
			files.push({ imagePath, hostPath });
		}
	}
	return files;
}

// Lays out stage `target` under root: one symbolic link per copied file or
// directory. Returns the files; throws when one is missing on the host (an
// unbuilt binary, a script the Dockerfile names but the tree lacks).
export function layOutImage(target, root) {
	const files = imageFiles(target);
	for (const { imagePath, hostPath } of files) {
		if (!existsSync(hostPath)) throw new Error(`${target} image: ${imagePath} comes from ${hostPath}, which is missing`);
		const link = path.join(root, imagePath);
		mkdirSync(path.dirname(link), { recursive: true });
		symlinkSync(hostPath, link);
	}
	return files;
}
