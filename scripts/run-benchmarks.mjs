#!/usr/bin/env node
// Runs every bench/*.bench.mjs of the package in the current directory in turn (each in its own Node process, so that
// one benchmark's heap and backend state cannot skew the next), forwarding their output.
// Usage (a package script): node ../../scripts/run-benchmarks.mjs [substring ...]   (only files whose name contains one of the substrings)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const directory = join(process.cwd(), 'bench');
const filters = process.argv.slice(2);
const files = readdirSync(directory)
  .filter((name) => name.endsWith('.bench.mjs'))
  .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error(`run-benchmarks: no bench/*.bench.mjs file${filters.length ? ` matches ${filters.join(', ')}` : ''}`);
  process.exit(1);
}
const failed = [];
for (const file of files) {
  console.error(`# ${file}`);
  const result = spawnSync(process.execPath, [join(directory, file)], { stdio: 'inherit' });
  if (result.status !== 0) failed.push(`${file} (${result.signal ?? `exit ${result.status}`})`);
}
if (failed.length > 0) {
  console.error(`run-benchmarks: failed: ${failed.join(', ')}`);
  process.exit(1);
}
