#!/usr/bin/env node
// Runs every package's vitest project in one vitest process and ends with the plain line
// "N passed, N failed" that CI reads (vitest's own summary is not a line CI understands).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const resultsFile = 'test-results.json';
rmSync(resultsFile, { force: true });
const run = spawnSync(
  'pnpm',
  ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${resultsFile}`, ...process.argv.slice(2)],
  { stdio: 'inherit', env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' } },
);
let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(resultsFile)) {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  passed = results.numPassedTests ?? 0;
  failed = results.numFailedTests ?? 0;
  // A test file that fails to load has no failed test but is a failure all the same.
  const brokenFiles = (results.testResults ?? []).filter(
    (file) => file.status === 'failed' && (file.assertionResults ?? []).every((t) => t.status !== 'failed'),
  );
  failed += brokenFiles.length;
  skipped = (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0);
} else {
  failed = 1;
  console.error(`vitest wrote no ${resultsFile}: counting the run as failed`);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(run.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
