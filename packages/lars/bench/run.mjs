#!/usr/bin/env node
// Runs every bench/*.bench.mjs of this package in turn (each in its own Node process, so that
// one benchmark's heap and backend state cannot skew the next), forwarding their output.
// Usage: node bench/run.mjs [substring ...]   (only files whose name contains one of the substrings)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const directory = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(directory)
  .filter((name) => name.endsWith('.bench.mjs'))
  .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error(`bench/run.mjs: no bench/*.bench.mjs file${filters.length ? ` matches ${filters.join(', ')}` : ''}`);
  process.exit(1);
}
const failed = [];
for (const file of files) {
  console.error(`# ${file}`);
  const result = spawnSync(process.execPath, [join(directory, file)], { stdio: 'inherit' });
  if (result.status !== 0) failed.push(`${file} (${result.signal ?? `exit ${result.status}`})`);
}
if (failed.length > 0) {
  console.error(`bench/run.mjs: failed: ${failed.join(', ')}`);
  process.exit(1);
}
