#!/usr/bin/env node
import { processIo } from './cli-io';
import { EXIT_CODES } from './exit-codes';
import { run } from './run';

// Ctrl-C: the first asks the running command to stop at a safe point (train writes a checkpoint);
// the second exits at once with 130.
const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts++;
  if (interrupts > 1) process.exit(EXIT_CODES.interrupted);
  process.stderr.write('\ninterrupted: stopping at the next safe point (Ctrl-C again to quit now)\n');
  controller.abort();
});

void run(process.argv.slice(2), processIo(controller.signal)).then((code) => {
  process.exitCode = controller.signal.aborted && code === EXIT_CODES.ok ? EXIT_CODES.interrupted : code;
  // Worker threads or sharp's pool may keep the loop alive; a finished command exits.
  setTimeout(() => process.exit(process.exitCode as number), 50).unref();
});
