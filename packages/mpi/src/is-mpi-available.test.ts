import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { isMpiAvailable } from './is-mpi-available';
import { defaultAddonPath } from './load-mpi-addon';

describe('isMpiAvailable', () => {
  const saved = process.env.BIGFACE_MPI_ADDON;
  afterEach(() => {
    if (saved === undefined) delete process.env.BIGFACE_MPI_ADDON;
    else process.env.BIGFACE_MPI_ADDON = saved;
  });

  it('is whether the addon file exists, at BIGFACE_MPI_ADDON or the package build', () => {
    delete process.env.BIGFACE_MPI_ADDON;
    expect(isMpiAvailable()).toBe(existsSync(defaultAddonPath()));
    process.env.BIGFACE_MPI_ADDON = '/nonexistent/bigface_mpi.node';
    expect(isMpiAvailable()).toBe(false);
  });
});
