#!/usr/bin/env node
// Install (and build) script of @bigface/mpi: compiles the OpenMPI addon build/Release/bigface_mpi.node
// with mpicxx (OpenMPI's compiler wrapper), or with node-gyp when that fails. It NEVER fails the install:
// without OpenMPI's headers or a compiler it prints one warning line and BigFace runs without MPI
// (MpiCommunicator.create() then says what to install). BIGFACE_MPI_BUILD=0 skips the build;
// `--if-stale` skips it when the addon is newer than its source.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'native', 'mpi-addon.cc');
const output = join(root, 'build', 'Release', 'bigface_mpi.node');
const hint = 'install OpenMPI and a C++ compiler (Debian/Ubuntu: apt-get install g++ openmpi-bin libopenmpi-dev), then rebuild with `npm rebuild @bigface/mpi`';

function warn(reason) {
  console.warn(`@bigface/mpi: MPI addon not built (${reason}); everything else works without it — ${hint}`);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { ok: result.status === 0, log: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error.message) : ''}` };
}

function lastError(log) {
  const lines = log.split('\n').filter((line) => /error|not found|cannot find|ENOENT/i.test(line));
  return (lines[0] ?? log.trim().split('\n').pop() ?? '').trim().slice(0, 200);
}

function findNodeHeaders() {
  const candidates = [
    join(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
    join(process.env.HOME ?? '', '.cache', 'node-gyp', process.versions.node, 'include', 'node'),
  ];
  return candidates.find((directory) => existsSync(join(directory, 'node_api.h')));
}

function buildWithMpicxx() {
  const headers = findNodeHeaders();
  if (!headers) return { ok: false, log: 'Node headers (node_api.h) not found' };
  mkdirSync(dirname(output), { recursive: true });
  const compiler = process.env.MPICXX || 'mpicxx';
  return run(compiler, ['-O3', '-std=c++17', '-fPIC', '-shared', '-Wall', '-DNODE_GYP_MODULE_NAME=bigface_mpi', `-I${headers}`, source, '-o', output, '-ldl']);
}

function findNodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, [fromNpm]];
  try {
    return [process.execPath, [createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js')]];
  } catch {
    return ['node-gyp', []];
  }
}

function main() {
  if (process.env.BIGFACE_MPI_BUILD === '0') return console.warn('@bigface/mpi: BIGFACE_MPI_BUILD=0, MPI addon not built');
  if (process.platform !== 'linux' && process.platform !== 'darwin') return warn(`platform ${process.platform} is not supported`);
  if (process.argv.includes('--if-stale') && existsSync(output) && statSync(output).mtimeMs > statSync(source).mtimeMs) return;
  const direct = buildWithMpicxx();
  if (direct.ok && existsSync(output)) return console.log(`@bigface/mpi: built ${output}`);
  const [command, prefix] = findNodeGyp();
  const gyp = run(command, [...prefix, 'rebuild']);
  if (gyp.ok && existsSync(output)) return console.log(`@bigface/mpi: built ${output} with node-gyp`);
  warn(lastError(direct.log) || lastError(gyp.log) || 'build failed');
}

try {
  main();
} catch (error) {
  warn(String(error?.message ?? error));
}
process.exitCode = 0;
