// Hands the first admin's token to the operator: written to `<data dir>/admin-token` with mode
// 0600 and shown once on stderr in a banner. Creating the admin itself is the users service's job;
// bootstrap() runs both at startup, after the tiers are seeded.
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Database } from './db/open.js';
import { seedTiers } from './services/tiers.js';
import { bootstrapAdmin } from './services/users.js';

export const ADMIN_TOKEN_FILE = 'admin-token';

/** Writes the token atomically (temp file + rename) so a crash never leaves half a token. */
export async function writeAdminToken(dataDir: string, token: string): Promise<string> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${token}\n`, { mode: 0o600, flag: 'w' });
  // The mode given to writeFile is filtered by the umask; the token must be 0600 regardless.
  await chmod(temporary, 0o600);
  await rename(temporary, path);
  return path;
}

export function adminTokenBanner(token: string | undefined, path: string): string {
  const rule = '='.repeat(78);
  const secret =
    token === undefined
      ? 'The admin token is the one given in REXEC_BOOTSTRAP_ADMIN_TOKEN.'
      : `Admin API token (shown once): ${token}`;
  return [
    rule,
    'Rexec: created the first admin user on an empty database.',
    secret,
    `It is also stored in ${path} (mode 0600).`,
    'Use it as "Authorization: Bearer <token>" to create users and tokens.',
    rule,
    '',
  ].join('\n');
}

/** Seeds the tiers and, on an empty database, creates the first admin and hands over its token. */
export async function bootstrap(database: Database, config: Config, log: Logger): Promise<void> {
  await seedTiers(database.db);
  const result = await bootstrapAdmin(database.db, { token: config.bootstrapAdminToken });
  if (!result.created || result.token === undefined) {
    log.info('admin user already exists; no token printed');
    return;
  }
  const path = await writeAdminToken(config.dataDir, result.token);
  const shown = config.bootstrapAdminToken === undefined ? result.token : undefined;
  process.stderr.write(adminTokenBanner(shown, path));
  log.info({ user_id: result.userId, token_file: path }, 'created the first admin user');
}
