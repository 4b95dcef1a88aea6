import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot, unavailable } from './mpirun';

/** Network namespaces need root, iproute2 and the right to create them (not every container grants it). */
function canMakeNamespaces(): string | undefined {
  if (unavailable) return unavailable;
  if (process.getuid?.() !== 0) return 'not root';
  for (const tool of ['ip', 'unshare']) if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is missing`;
  const probe = spawnSync('sh', ['-c', 'ip netns add bfprobe && ip netns del bfprobe'], { encoding: 'utf8' });
  if (probe.status !== 0) return `cannot create network namespaces (${probe.stderr.trim()})`;
  return undefined;
}

const reason = canMakeNamespaces();
if (reason) console.warn(`skipping the two-host MPI test: ${reason}`);

describe.runIf(reason === undefined)('two hosts as network namespaces (scripts/two-hosts.sh)', () => {
  it('every collective passes with one rank per namespace, over TCP on the veth link', async () => {
    const results = mkdtempSync(join(tmpdir(), 'bigface-two-hosts-'));
    try {
      const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn('bash', ['scripts/two-hosts.sh', 'test/fixtures/collectives.mjs'], {
          cwd: packageRoot,
          env: { ...process.env, BIGFACE_RESULT_DIR: results },
        });
        let text = '';
        child.stdout.on('data', (chunk) => (text += chunk));
        child.stderr.on('data', (chunk) => (text += chunk));
        child.on('close', (exit) => resolve({ code: exit, output: text }));
      });
      expect(code, output).toBe(0);
      const reports = [0, 1].map((rank) => JSON.parse(readFileSync(join(results, `rank-${rank}.json`), 'utf8')));
      expect(reports.map((r) => r.host)).toEqual(['bfhost1', 'bfhost2']);
      for (const report of reports) expect(report.failures).toEqual([]);
      expect(reports[1].hashes).toEqual(reports[0].hashes);
      const crossed = Number(/(\d+) bytes crossed bf-veth2/.exec(output)?.[1]);
      // The fixture moves megabytes between the ranks: they went over the veth interface.
      expect(crossed).toBeGreaterThan(1e6);
    } finally {
      rmSync(results, { recursive: true, force: true });
    }
  });
});
