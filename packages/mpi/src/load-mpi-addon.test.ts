import { describe, expect, it } from 'vitest';
import { loadMpiAddon } from './load-mpi-addon';
import { MpiCommunicator } from './mpi-communicator';

describe('loadMpiAddon', () => {
  it('without the addon: MPI_NOT_AVAILABLE saying what to install', () => {
    expect(() => loadMpiAddon('/nonexistent/bigface_mpi.node')).toThrow(
      expect.objectContaining({ code: 'MPI_NOT_AVAILABLE', message: expect.stringContaining('apt-get install g++ openmpi-bin libopenmpi-dev') }),
    );
    expect(() => MpiCommunicator.create({ addonPath: '/nonexistent/bigface_mpi.node' })).toThrow(expect.objectContaining({ code: 'MPI_NOT_AVAILABLE' }));
  });

  it('a file that is no addon: MPI_NOT_AVAILABLE with the loader error', () => {
    const path = new URL(import.meta.url).pathname;
    expect(() => loadMpiAddon(path)).toThrow(expect.objectContaining({ code: 'MPI_NOT_AVAILABLE', message: expect.stringContaining('cannot be loaded') }));
  });

  it('rejects bad options before touching MPI', () => {
    expect(() => MpiCommunicator.create({ timeoutMs: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => MpiCommunicator.create({ chunkElements: 2 ** 31 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
