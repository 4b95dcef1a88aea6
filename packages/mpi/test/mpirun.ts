// Helpers of the tests that run scripts under mpirun. Without mpirun (or the built addon) the tests
// skip, saying why; under CI (process.env.CI set) they fail instead, since CI installs OpenMPI.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageRoot = fileURLToPath(new URL('..', import.meta.url));

function findMpirun(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v mpirun'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

const mpirun = findMpirun();
const addon = existsSync(new URL('../build/Release/bigface_mpi.node', import.meta.url));
const built = existsSync(new URL('../dist/index.js', import.meta.url));

/** Why the MPI tests cannot run here, or undefined when they can. */
export const unavailable: string | undefined = !mpirun
  ? 'mpirun is not on PATH (install OpenMPI: apt-get install openmpi-bin libopenmpi-dev)'
  : !addon
    ? 'the addon build/Release/bigface_mpi.node is not built (pnpm install / node scripts/build-addon.mjs)'
    : !built
      ? 'dist/ is not built (pnpm build)'
      : undefined;

/** Skip with the reason where MPI is missing, but fail under CI. */
export function mpiTestMode(): 'run' | 'skip' {
  if (unavailable === undefined) return 'run';
  if (process.env.CI) throw new Error(`MPI tests cannot run under CI: ${unavailable}`);
  console.warn(`skipping MPI tests: ${unavailable}`);
  return 'skip';
}

export interface MpirunResult {
  /** mpirun's exit code; null when it was killed after `endsAfter` matched. */
  code: number | null;
  output: string;
  seconds: number;
  /** What each rank reported (test/fixtures/report.mjs), in rank order of the files. */
  results: Array<Record<string, unknown>>;
}

/** Runs `mpirun --oversubscribe -np <ranks> <extra> node <script> <args>` as root-safe, with a wall-clock limit. */
export function runMpi(
  ranks: number,
  script: string,
  args: string[] = [],
  options: { timeoutMs?: number; mpirunArgs?: string[]; endsAfter?: RegExp } = {},
): Promise<MpirunResult> {
  const started = performance.now();
  const resultDirectory = mkdtempSync(join(tmpdir(), 'bigface-mpi-'));
  return new Promise((resolve, reject) => {
    const child = spawn(
      mpirun!,
      [
        '--allow-run-as-root',
        '--oversubscribe',
        '-np',
        String(ranks),
        '-x',
        'BIGFACE_RESULT_DIR',
        ...(options.mpirunArgs ?? []),
        process.execPath,
        script,
        ...args,
      ],
      { cwd: packageRoot, env: { ...process.env, BIGFACE_RESULT_DIR: resultDirectory }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    // Once the job has visibly ended (e.g. MPI_ABORT), give mpirun 10 s to exit: OpenMPI 4.1.4's
    // mpirun sometimes hangs or crashes in its own teardown after an abort, with no rank left.
    let ending: NodeJS.Timeout | undefined;
    const watch = () => {
      if (ending === undefined && options.endsAfter?.test(output)) ending = setTimeout(() => child.kill('SIGKILL'), 10_000);
    };
    child.stdout.on('data', watch);
    child.stderr.on('data', watch);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mpirun -np ${ranks} ${script} did not finish in ${options.timeoutMs ?? 60_000} ms; output:\n${output}`));
    }, options.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (ending) clearTimeout(ending);
      const results = readdirSync(resultDirectory)
        .sort()
        .map((file) => JSON.parse(readFileSync(join(resultDirectory, file), 'utf8')) as Record<string, unknown>);
      rmSync(resultDirectory, { recursive: true, force: true });
      resolve({ code, output, seconds: (performance.now() - started) / 1000, results });
    });
  });
}
