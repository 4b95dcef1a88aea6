// An addon built from an older version of this package is refused with a reason (and BigFace falls
// back to the JS kernels) instead of failing later inside a kernel that calls a missing function.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';

const saved = process.env.BIGFACE_NATIVE_ADDON;
afterEach(() => {
  if (saved === undefined) delete process.env.BIGFACE_NATIVE_ADDON;
  else process.env.BIGFACE_NATIVE_ADDON = saved;
  vi.resetModules();
});

it('refuses an addon that lacks functions this version calls, naming them and the rebuild command', async () => {
  const stale = join(mkdtempSync(join(tmpdir(), 'bigface-addon-')), 'stale.cjs');
  writeFileSync(stale, 'module.exports = { info() { return {}; }, setThreads() {}, conv2dForward() {} };');
  process.env.BIGFACE_NATIVE_ADDON = stale;
  vi.resetModules();
  const { nativeCpuStatus, registerNativeCpuKernels } = await import('../src/index');
  const status = nativeCpuStatus();
  expect(status.available).toBe(false);
  if (!status.available) {
    expect(status.reason).toContain(stale);
    expect(status.reason).toMatch(
      /older @bigface\/native-cpu \(it has no conv2dBackwardData, .*weightsCache.*\): rebuild it with `npm rebuild @bigface\/native-cpu`/,
    );
    expect(status.reason).not.toMatch(/no .*\bconv2dForward\b/);
  }
  expect(registerNativeCpuKernels()).toEqual([]);
});
