// Runs every bench/*.bench.mjs in turn (one JSON line per case). Optional filter: node bench/run.mjs <substring>
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const directory = fileURLToPath(new URL('.', import.meta.url));
const filter = process.argv[2] ?? '';
for (const file of readdirSync(directory).filter((f) => f.endsWith('.bench.mjs') && f.includes(filter)).sort()) {
  const run = spawnSync(process.execPath, [`${directory}/${file}`, ...process.argv.slice(3)], { stdio: 'inherit' });
  if (run.status !== 0) process.exitCode = 1;
}
