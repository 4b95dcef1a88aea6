import { existsSync } from 'node:fs';
import { defaultAddonPath } from './load-mpi-addon';

/**
 * True when the native MPI addon is built, so that {@link MpiCommunicator.create} can be tried
 * (without initialising MPI). Use it to pick a communicator:
 *
 * @example
 * import { isMpiAvailable, MpiCommunicator } from '@bigface/mpi';
 * import { SingleCommunicator } from '@bigface/backend';
 * const underMpi = process.env.OMPI_COMM_WORLD_SIZE !== undefined || process.env.PMI_SIZE !== undefined;
 * const communicator = underMpi && isMpiAvailable() ? MpiCommunicator.create() : new SingleCommunicator();
 */
export function isMpiAvailable(): boolean {
  return existsSync(process.env.BIGFACE_MPI_ADDON ?? defaultAddonPath());
}
