import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'mpi',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    // Every test file starts several mpirun processes: one file at a time on a small machine.
    fileParallelism: false,
  },
});
