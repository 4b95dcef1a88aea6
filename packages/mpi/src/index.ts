export { MpiCommunicator, DEFAULT_CHUNK_ELEMENTS, DEFAULT_MPI_TIMEOUT_MS, type MpiCommunicatorOptions } from './mpi-communicator';
export { isMpiAvailable } from './is-mpi-available';
