#!/usr/bin/env node
// The benchmarks of @bigface/mpi, each under mpirun: all-reduce bandwidth across 2 processes
// (1 MB … 256 MB), and ZeRO-1 optimizer memory per rank for W = 1, 2, 3. One JSON line per case,
// plus the machine's load (benchmarks on a shared machine are noisy). Needs OpenMPI and a build.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const mpirun = ['--allow-run-as-root', '--oversubscribe'];
function run(ranks, script) {
  const result = spawnSync('mpirun', [...mpirun, '-np', String(ranks), process.execPath, join(here, script)], { stdio: 'inherit' });
  if (result.error) {
    console.error(`bench: cannot start mpirun (${result.error.message}); install OpenMPI: apt-get install openmpi-bin libopenmpi-dev`);
    process.exit(1);
  }
  if (result.status !== 0) process.exitCode = 1;
}
console.log(JSON.stringify({ bench: 'load', loadAverage: loadavg().map((x) => +x.toFixed(2)) }));
run(2, 'all-reduce.mjs');
for (const worldSize of [1, 2, 3]) run(worldSize, 'zero-memory.mjs');
console.log(JSON.stringify({ bench: 'load', loadAverage: loadavg().map((x) => +x.toFixed(2)) }));
