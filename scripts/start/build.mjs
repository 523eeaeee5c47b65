// Builds the workspace for `npm start` when a package's compiled output is missing or older than
// its sources, and the web console when its bundle is missing or older than its sources (or the
// SDK's and protocol's, which it bundles). Compiling is tsc -b's and Vite's job; this only decides
// when to run them and runs them as children that a Ctrl-C can interrupt.
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

/** True when packages/console/dist lacks index.html or a source it bundles is newer. */
export function needsConsoleBuild(root) {
  const built = join(root, 'packages', 'console', 'dist', 'index.html');
  if (!existsSync(built)) return true;
  const sources = [
    join(root, 'packages', 'console', 'src'),
    join(root, 'packages', 'sdk', 'src'),
    join(root, 'packages', 'protocol', 'src'),
  ];
  return Math.max(...sources.map(newestMtime)) > statSync(built).mtimeMs;
}

function run(root, args, cwd) {
  const child = spawn(process.execPath, args, { cwd, stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 130)));
  });
}

/** Runs `vite build` in packages/console; resolves to its exit code. */
export function buildConsole(root) {
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) {
    return Promise.reject(new Error(`${vite} is missing: run "npm ci" first`));
  }
  return run(root, [vite, 'build', '--logLevel', 'warn'], join(root, 'packages', 'console'));
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
  return run(root, [tsc, '-b', ...PACKAGES.map((pkg) => join('packages', pkg))], root);
}
