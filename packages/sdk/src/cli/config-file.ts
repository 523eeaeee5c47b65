// Where `rexec login` keeps the URL and token: $XDG_CONFIG_HOME/rexec/config.json, else
// ~/.config/rexec/config.json, written 0600 in a 0700 directory (the token is a secret).
// REXEC_URL and REXEC_TOKEN override the file; resolving them is credentials().
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { CliError, ExitCode } from './exit-codes.js';

export const StoredConfig = z.object({
  url: z.string().min(1),
  token: z.string().min(1),
});
export type StoredConfig = z.infer<typeof StoredConfig>;

export function configPath(env: Record<string, string | undefined>): string {
  const xdg = env['XDG_CONFIG_HOME'];
  const base = xdg !== undefined && xdg !== '' ? xdg : join(env['HOME'] ?? homedir(), '.config');
  return join(base, 'rexec', 'config.json');
}

export async function readConfig(path: string): Promise<StoredConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`Cannot read ${path}: ${(error as Error).message}`, ExitCode.USAGE, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${path} is not valid JSON; run rexec login again.`, ExitCode.USAGE, {
      cause: error,
    });
  }
  const parsed = StoredConfig.safeParse(json);
  if (!parsed.success) {
    throw new CliError(`${path} lacks a url or token; run rexec login again.`, ExitCode.USAGE);
  }
  return parsed.data;
}

export async function writeConfig(path: string, config: StoredConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  // Written under a temporary name with 0600 from the start, so the token is never readable by
  // others, and renamed so a crash never leaves half a file.
  await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}

/** The URL and token to use: environment first, then the config file. */
export async function credentials(env: Record<string, string | undefined>): Promise<StoredConfig> {
  const stored = await readConfig(configPath(env));
  const url = env['REXEC_URL'] || stored?.url;
  const token = env['REXEC_TOKEN'] || stored?.token;
  if (url === undefined || token === undefined) {
    throw new CliError(
      'Not logged in: run "rexec login --url <url> --token <token>" or set REXEC_URL and REXEC_TOKEN.',
      ExitCode.AUTH,
    );
  }
  return { url, token };
}
