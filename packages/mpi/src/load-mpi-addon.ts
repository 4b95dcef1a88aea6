import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BigFaceError } from '@bigface/backend/errors';

/** The native addon's functions (native/mpi-addon.cc). Failures come back as a string. @internal */
export interface MpiAddon {
  /** MPI_Init (once); returns [rank, worldSize, MPI library version]. `timeoutMs` bounds the exit barrier. */
  init(timeoutMs: number): [number, number, string];
  allgatherv(send: ArrayBufferView | null, receive: ArrayBufferView, counts: Int32Array, displacements: Int32Array, timeoutMs: number): string | undefined;
  alltoallv(
    send: ArrayBufferView,
    sendCounts: Int32Array,
    sendDisplacements: Int32Array,
    receive: ArrayBufferView,
    receiveCounts: Int32Array,
    receiveDisplacements: Int32Array,
    timeoutMs: number,
  ): string | undefined;
  bcast(buffer: ArrayBufferView, root: number, timeoutMs: number): string | undefined;
  barrier(timeoutMs: number): string | undefined;
  /** out[i] = op over r of stacked[r * out.length + i], op 0 sum, 1 max, 2 min, 3 mean. */
  reduce(stacked: ArrayBufferView, worldSize: number, op: number, out: ArrayBufferView): void;
  finalize(): void;
  abort(code: number): never;
  /** Makes process exit call MPI_Abort instead of MPI_Finalize. */
  markBroken(): void;
  isBroken(): boolean;
}

/** What to do when the addon cannot be loaded. */
export const MPI_INSTALL_HINT =
  'install OpenMPI and a C++ compiler (Debian/Ubuntu: apt-get install g++ openmpi-bin libopenmpi-dev; RHEL: dnf install openmpi-devel gcc-c++), ' +
  'then rebuild the addon with `npm rebuild @bigface/mpi` (pnpm: `pnpm rebuild @bigface/mpi`)';

/** The addon's default location: build/Release/bigface_mpi.node of this package (from dist or src). */
export function defaultAddonPath(): string {
  return fileURLToPath(new URL('../build/Release/bigface_mpi.node', import.meta.url));
}

/**
 * Loads the native MPI addon (without initialising MPI). Throws BigFaceError `MPI_NOT_AVAILABLE`
 * naming what to install when it is not built or OpenMPI's library cannot be loaded.
 * @internal
 */
export function loadMpiAddon(path = process.env.BIGFACE_MPI_ADDON ?? defaultAddonPath()): MpiAddon {
  if (!existsSync(path)) {
    throw new BigFaceError(
      'MPI_NOT_AVAILABLE',
      `@bigface/mpi: the native MPI addon ${path} is not built (its install step found no OpenMPI or compiler); ${MPI_INSTALL_HINT}`,
    );
  }
  try {
    return createRequire(import.meta.url)(path) as MpiAddon;
  } catch (error) {
    throw new BigFaceError(
      'MPI_NOT_AVAILABLE',
      `@bigface/mpi: the native MPI addon ${path} cannot be loaded (${(error as Error).message.split('\n')[0]}); ${MPI_INSTALL_HINT}`,
      { cause: error },
    );
  }
}
