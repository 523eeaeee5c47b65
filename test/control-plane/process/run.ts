// Runs the control plane's main.ts to completion (for start-up failures), capturing its output and
// exit code. Long-running starts use test/helpers/processes.ts instead.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { REPO_ROOT } from '../../helpers/child-process.js';

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function runToExit(
  env: Record<string, string>,
  args: string[] = [],
): Promise<Finished> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith('REXEC_') && !key.startsWith('TAP') && key !== 'NODE_OPTIONS',
    ),
  );
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=rexec-source', 'packages/control-plane/src/main.ts', ...args],
    { cwd: REPO_ROOT, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}
