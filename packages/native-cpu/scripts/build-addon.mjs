#!/usr/bin/env node
// Install script of @bigface/native-cpu: builds the oneDNN addon (build/Release/bigface_native_cpu.node)
// with node-gyp, or with g++ directly when node-gyp is not at hand. It NEVER fails the install: without a
// compiler, Node headers or oneDNN/OpenBLAS it prints one warning line and BigFace runs on tfjs's JS kernels.
// BIGFACE_NATIVE_BUILD=0 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const output = join(root, 'build', 'Release', 'bigface_native_cpu.node');
const hint =
  'install a C++ compiler and the libraries (Debian/Ubuntu: apt-get install g++ libdnnl-dev libopenblas-dev), then rebuild with `npm rebuild @bigface/native-cpu`';

function warn(reason) {
  console.warn(`@bigface/native-cpu: native kernels not built (${reason}); BigFace will use tfjs's JS cpu kernels — ${hint}`);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const log = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  return { ok: result.status === 0, log, missing: result.error?.code === 'ENOENT' };
}

function lastError(log) {
  const lines = log.split('\n').filter((l) => /error|not found|cannot find/i.test(l));
  return (lines[0] ?? log.trim().split('\n').pop() ?? '').trim().slice(0, 200);
}

function findNodeGyp() {
  // npm and pnpm tell lifecycle scripts where their bundled node-gyp is; else a node-gyp on PATH.
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, [fromNpm]];
  try {
    const require = createRequire(import.meta.url);
    return [process.execPath, [require.resolve('node-gyp/bin/node-gyp.js')]];
  } catch {
    return ['node-gyp', []];
  }
}

function findNodeHeaders() {
  const candidates = [
    join(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
    join(process.env.HOME ?? '', '.cache', 'node-gyp', process.versions.node, 'include', 'node'),
  ];
  return candidates.find((d) => existsSync(join(d, 'node_api.h')));
}

function buildWithCompiler() {
  const headers = findNodeHeaders();
  if (!headers) return { ok: false, log: 'Node headers (node_api.h) not found' };
  mkdirSync(dirname(output), { recursive: true });
  const compiler = process.env.CXX || 'g++';
  return run(compiler, [
    '-O3',
    '-std=c++17',
    // No FP traps assumed: lets GCC turn the selects of native/loops.h into vector blends (values unchanged).
    '-fno-trapping-math',
    // No fused multiply-adds in the AVX2 / AVX-512 clones: the same bits as the baseline x86-64 build on every CPU.
    '-ffp-contract=off',
    '-fPIC',
    '-shared',
    '-fopenmp',
    '-DNODE_GYP_MODULE_NAME=bigface_native_cpu',
    `-I${headers}`,
    '-I/usr/include/x86_64-linux-gnu/openblas-pthread',
    '-I/usr/include/openblas',
    // -z nodelete: Node unloads an addon once the last worker thread that loaded it exits; with
    // OpenMP pool threads still alive that crashed the process at exit (pthread_exit unwinding into
    // unmapped code). Never unloading the addon keeps libgomp/oneDNN mapped.
    join('native', 'addon.cc'),
    '-o',
    output,
    '-Wl,-z,nodelete',
    '-ldnnl',
    '-lopenblas',
  ]);
}

function main() {
  if (process.env.BIGFACE_NATIVE_BUILD === '0') {
    console.warn('@bigface/native-cpu: BIGFACE_NATIVE_BUILD=0, native kernels not built');
    return;
  }
  if (process.platform !== 'linux') return warn(`platform ${process.platform} is not supported yet`);
  // Fast path first (no Python needed); node-gyp when a compiler call alone fails (e.g. other header locations).
  const direct = buildWithCompiler();
  if (direct.ok && existsSync(output)) return console.log(`@bigface/native-cpu: built ${output}`);
  const [command, prefix] = findNodeGyp();
  const gyp = run(command, [...prefix, 'rebuild']);
  if (gyp.ok && existsSync(output)) return console.log(`@bigface/native-cpu: built ${output} with node-gyp`);
  const compilerMissing = direct.missing ? `no C++ compiler (${process.env.CXX || 'g++'} not found)` : '';
  warn(compilerMissing || lastError(direct.log) || lastError(gyp.log) || 'build failed');
}

try {
  main();
} catch (error) {
  warn(String(error?.message ?? error));
}
process.exitCode = 0;
