// Commands about the caller: me, images, roles, and tokens (list, create, revoke).
import { TOKEN_SCOPES, TokenScope } from '@rexec/protocol';
import type { Command, CommandContext } from '../command.js';
import { stringFlag } from '../command.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { keyValues, shortTime, table } from '../table.js';

export const me: Command = {
  name: 'me',
  usage: 'rexec me [--json]',
  summary: 'who you are, your tier and what you use',
  options: {},
  positionals: { min: 0, max: 0, names: '' },
  async run(context) {
    const { user, tier, usage } = await (await context.client()).me();
    if (context.json) {
      context.printJson({ user, tier, usage });
      return ExitCode.OK;
    }
    context.print(
      keyValues([
        ['user', `${user.name} (${user.id})`],
        ['email', user.email],
        ['admin', user.is_admin ? 'yes' : 'no'],
        ['tier', tier.name],
        ['containers', `${usage.containers} of ${tier.max_containers}`],
        [
          'cpu in use',
          `${usage.cpu_millicores / 1000} cores (max ${tier.cpu_millicores / 1000} per container)`,
        ],
        ['memory in use', `${usage.memory_mb} MB (max ${tier.memory_mb} MB per container)`],
        ['disk in use', `${usage.disk_mb} MB (max ${tier.disk_mb} MB per container)`],
        [
          'defaults',
          tier.default_resources === undefined
            ? undefined
            : `${tier.default_resources.cpu_millicores / 1000} cores, ` +
              `${tier.default_resources.memory_mb} MB memory, ${tier.default_resources.disk_mb} MB disk, ` +
              `${tier.default_resources.network_mbps} Mbit/s per container when not given`,
        ],
        ['session', tier.session_hours === null ? 'unlimited' : `${tier.session_hours} h`],
        [
          'idle stop',
          tier.idle_stop_minutes == null
            ? 'never'
            : `after ${tier.idle_stop_minutes} min without activity`,
        ],
      ]),
    );
    return ExitCode.OK;
  },
};

export const images: Command = {
  name: 'images',
  usage: 'rexec images [--json]',
  summary: 'the images a container can use',
  options: {},
  positionals: { min: 0, max: 0, names: '' },
  async run(context) {
    const list = await (await context.client()).images();
    if (context.json) context.printJson(list);
    else
      context.print(
        table(
          ['IMAGE', 'DESCRIPTION', 'SHELL'],
          list.map((i) => [i.name, i.display_name, i.shell]),
        ),
      );
    return ExitCode.OK;
  },
};

export const roles: Command = {
  name: 'roles',
  usage: 'rexec roles [--json]',
  summary: 'the setup roles a container can have',
  options: {},
  positionals: { min: 0, max: 0, names: '' },
  async run(context) {
    const list = await (await context.client()).roles();
    if (context.json) context.printJson(list);
    else
      context.print(
        table(
          ['ROLE', 'DESCRIPTION'],
          list.map((r) => [r.name, r.description]),
        ),
      );
    return ExitCode.OK;
  },
};

export const tokens: Command = {
  name: 'tokens',
  usage:
    'rexec tokens [list] | rexec tokens create <name> [--scopes read,write] [--expires-in-days N]\n' +
    '             | rexec tokens revoke <id>',
  summary: 'your API tokens',
  options: { scopes: { type: 'string' }, 'expires-in-days': { type: 'string' } },
  positionals: { min: 0, max: 2, names: '[list|create <name>|revoke <id>]' },
  async run(context) {
    const [action = 'list', argument] = context.positionals;
    const client = await context.client();
    switch (action) {
      case 'list': {
        const list = await client.tokens.list();
        if (context.json) context.printJson(list);
        else {
          context.print(
            table(
              ['ID', 'NAME', 'PREFIX', 'SCOPES', 'CREATED', 'EXPIRES', 'LAST USED'],
              list.map((t) => [
                t.id,
                t.name,
                t.token_prefix,
                t.scopes.join(','),
                shortTime(t.created_at),
                t.expires_at === undefined ? 'never' : shortTime(t.expires_at),
                shortTime(t.last_used_at),
              ]),
            ),
          );
        }
        return ExitCode.OK;
      }
      case 'create': {
        if (argument === undefined) throw new UsageError('tokens create needs a <name>');
        const created = await client.tokens.create(argument, tokenOptions(context));
        if (context.json) context.printJson(created);
        else
          context.print(`Token ${created.name} (${created.id}); shown only now:\n${created.token}`);
        return ExitCode.OK;
      }
      case 'revoke': {
        if (argument === undefined) throw new UsageError('tokens revoke needs a token <id>');
        await client.tokens.revoke(argument);
        if (context.json) context.printJson({ id: argument, revoked: true });
        else context.print(`Revoked ${argument}.`);
        return ExitCode.OK;
      }
      default:
        throw new UsageError(`unknown tokens action "${action}": use list, create or revoke`);
    }
  },
};

/** `--scopes read,write` and `--expires-in-days N`, checked before anything is sent. */
function tokenOptions(context: CommandContext): { scopes?: TokenScope[]; expiresInDays?: number } {
  const options: { scopes?: TokenScope[]; expiresInDays?: number } = {};
  const scopes = stringFlag(context, 'scopes');
  if (scopes !== undefined) {
    options.scopes = scopes.split(',').map((scope) => {
      const parsed = TokenScope.safeParse(scope.trim());
      if (!parsed.success) {
        throw new UsageError(`--scopes: "${scope}" is not one of ${TOKEN_SCOPES.join(', ')}`);
      }
      return parsed.data;
    });
  }
  const days = stringFlag(context, 'expires-in-days');
  if (days !== undefined) {
    if (!/^\d{1,4}$/.test(days) || Number(days) < 1) {
      throw new UsageError('--expires-in-days needs a whole number of days, at least 1');
    }
    options.expiresInDays = Number(days);
  }
  return options;
}
