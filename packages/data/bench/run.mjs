// Runs every bench/*.bench.mjs of @bigface/data (built package), one after the other in its own
// process; each prints one JSON line per case. Not a test.
//   pnpm bench                       all cases
//   pnpm bench synth                 only files whose name contains "synth"
//   BENCH_IMAGES=2000 pnpm bench
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? '';
const files = readdirSync(here)
  .filter((name) => name.endsWith('.bench.mjs') && name.includes(filter))
  .sort();
let failed = 0;
for (const file of files) {
  const result = spawnSync(process.execPath, [path.join(here, file)], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.error(`bench/${file} exited with ${result.status ?? result.signal}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
