// Builds the workspace for `npm start` when a package's compiled output is missing or older than
// its sources. Compiling is tsc -b's job (incremental, project references); this only decides when
// to run it and runs it as a child that a Ctrl-C can interrupt.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

// The packages `npm start` runs from dist/, in dependency order.
const PACKAGES = ['protocol', 'control-plane', 'agent'];

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** True when any package lacks dist/index.js or has a source newer than it. */
export function needsBuild(root) {
  return PACKAGES.some((pkg) => {
    const built = join(root, 'packages', pkg, 'dist', 'index.js');
    if (!existsSync(built)) return true;
    return newestMtime(join(root, 'packages', pkg, 'src')) > statSync(built).mtimeMs;
  });
}

/**
 * Runs `tsc -b` on the two programs `npm start` runs (protocol comes along as their reference),
 * not the whole workspace, so the SDK or tests being mid-edit never stop Rexec from starting.
 * Resolves to tsc's exit code.
 */
export function build(root) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) {
    return Promise.reject(new Error(`${tsc} is missing: run "npm ci" first`));
  }
  const child = spawn(
    process.execPath,
    [tsc, '-b', ...PACKAGES.map((pkg) => join('packages', pkg))],
    { cwd: root, stdio: 'inherit' },
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 130)));
  });
}
