// The hand-written loop of this package's README runs as written (a fresh Node process) and trains.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it("the README's hand-written loop runs as written and its loss falls", () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const block = /<!-- hand-written-loop -->\s*```js\n([\s\S]*?)```/.exec(readme);
  expect(block, 'README.md: the ```js block after <!-- hand-written-loop -->').not.toBeNull();
  // Inside the package, so that its dependencies resolve as they would in a user's project.
  const script = fileURLToPath(new URL(`../.readme-loop-${process.pid}.mjs`, import.meta.url));
  writeFileSync(script, block![1]!);
  try {
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    const losses = [...run.stdout.matchAll(/^step (\d+) loss ([\d.]+) accuracy ([\d.]+)$/gm)].map((m) => Number(m[2]));
    expect(losses.length).toBeGreaterThanOrEqual(2);
    expect(losses.at(-1)!).toBeLessThan(0.5 * losses[0]!);
  } finally {
    rmSync(script, { force: true });
  }
}, 180_000);
