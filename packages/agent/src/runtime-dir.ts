// The agent's runtime directory (REXEC_AGENT_RUNTIME_DIR, /run/rexec-agent; systemd makes it
// with RuntimeDirectory=): files that live only while the agent runs, such as podman's pid files.
// Never a fixed /tmp path another local user could create first or point elsewhere with a link.
// What goes inside is its users' business.
import { chmod, lstat, mkdir } from 'node:fs/promises';
import { AgentFatalError } from './errors.js';

const unusable = (message: string, cause?: unknown) =>
  new AgentFatalError('runtime_dir_unusable', message, cause === undefined ? {} : { cause });

/**
 * Makes `path` (mode 0700) unless it exists; refuses a symlink, a non-directory, one another user
 * owns, or one others may write to (tightened to 0700 when it is ours). Returns the path.
 * @throws AgentFatalError runtime_dir_unusable.
 */
export async function prepareRuntimeDir(path: string): Promise<string> {
  try {
    await mkdir(path, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw unusable(`cannot create the runtime directory ${path} (REXEC_AGENT_RUNTIME_DIR)`, error);
  }
  const stats = await lstat(path);
  if (stats.isSymbolicLink() || !stats.isDirectory()) {
    throw unusable(`the runtime directory ${path} is not a directory (or is a link)`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    throw unusable(
      `the runtime directory ${path} belongs to uid ${stats.uid}, not to this agent (uid ${uid})`,
    );
  }
  // Ours, so tightening it is safe; a directory systemd made is 0755 by default.
  if ((stats.mode & 0o077) !== 0) await chmod(path, 0o700);
  return path;
}
