// Admin commands: users (list, create, set-tier, disable, enable, delete) and hosts (list, get,
// cordon, uncordon, drain, revoke, trust, untrust, join-token). A non-admin token gets the
// server's 403, shown like any API error.
import type { Host } from '@rexec/protocol';
import type { Command } from '../command.js';
import { stringFlag } from '../command.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { keyValues, shortTime, table } from '../table.js';

export const users: Command = {
  name: 'users',
  usage:
    'rexec users [list] | rexec users create --name <name> [--email <e>] [--tier <t>] [--admin]\n' +
    '            | rexec users set-tier <user-id> <tier>\n' +
    '            | rexec users disable|enable|delete <user-id>',
  summary: 'manage users (admin)',
  options: {
    name: { type: 'string' },
    email: { type: 'string' },
    tier: { type: 'string' },
    admin: { type: 'boolean' },
  },
  positionals: {
    min: 0,
    max: 3,
    names: '[list|create|set-tier <id> <tier>|disable <id>|enable <id>|delete <id>]',
  },
  async run(context) {
    const [action = 'list', id, tier] = context.positionals;
    const client = await context.client();
    switch (action) {
      case 'list': {
        const list = await client.users.list();
        if (context.json) context.printJson(list);
        else {
          context.print(
            table(
              ['ID', 'NAME', 'EMAIL', 'TIER', 'ADMIN', 'DISABLED', 'CREATED'],
              list.map((u) => [
                u.id,
                u.name,
                u.email,
                u.tier,
                u.is_admin ? 'yes' : 'no',
                u.disabled ? 'yes' : 'no',
                shortTime(u.created_at),
              ]),
            ),
          );
        }
        return ExitCode.OK;
      }
      case 'create': {
        const name = stringFlag(context, 'name');
        if (name === undefined) throw new UsageError('users create needs --name <name>');
        const email = stringFlag(context, 'email');
        const userTier = stringFlag(context, 'tier');
        const created = await client.users.create({
          name,
          ...(email === undefined ? {} : { email }),
          ...(userTier === undefined ? {} : { tier: userTier }),
          ...(context.values['admin'] === true ? { is_admin: true } : {}),
        });
        if (context.json) context.printJson(created);
        else {
          context.print(
            `Created ${created.user.name} (${created.user.id}) on tier ${created.user.tier}.\n` +
              `Their first API token, shown only now:\n${created.token}`,
          );
        }
        return ExitCode.OK;
      }
      case 'set-tier': {
        if (id === undefined || tier === undefined) {
          throw new UsageError('users set-tier needs <user-id> <tier>');
        }
        const user = await client.users.update(id, { tier });
        if (context.json) context.printJson(user);
        else context.print(`${user.name} is now on tier ${user.tier}.`);
        return ExitCode.OK;
      }
      case 'disable':
      case 'enable': {
        if (id === undefined) throw new UsageError(`users ${action} needs <user-id>`);
        const user = await client.users.update(id, { disabled: action === 'disable' });
        if (context.json) context.printJson(user);
        else context.print(`${user.name} is now ${user.disabled ? 'disabled' : 'enabled'}.`);
        return ExitCode.OK;
      }
      case 'delete': {
        if (id === undefined) throw new UsageError('users delete needs <user-id>');
        await client.users.delete(id);
        if (context.json) context.printJson({ id, deleted: true });
        else context.print(`Deleted ${id}, its tokens and its containers.`);
        return ExitCode.OK;
      }
      default:
        throw new UsageError(
          `unknown users action "${action}": use list, create, set-tier, disable, enable or delete`,
        );
    }
  },
};

function gigabytes(mb: number): string {
  return `${Math.round((mb / 1024) * 10) / 10}G`;
}

function hostTable(list: readonly Host[]): string {
  return table(
    [
      'ID',
      'NAME',
      'STATUS',
      'SCHEDULING',
      'CPU (reserved/schedulable/capacity)',
      'MEMORY',
      'RUNTIME',
      'LAST SEEN',
    ],
    list.map((h) => [
      h.id,
      h.name,
      h.status,
      h.scheduling,
      `${h.reserved.cpu_millicores / 1000}/` +
        `${(h.schedulable ?? h.capacity).cpu_millicores / 1000}/${h.capacity.cpu_millicores / 1000}`,
      `${gigabytes(h.reserved.memory_mb)}/${gigabytes(h.capacity.memory_mb)}`,
      h.runtime === undefined ? undefined : `${h.runtime.kind} ${h.runtime.version}`,
      shortTime(h.last_seen_at),
    ]),
  );
}

/** Reserved against what placement allows, with the measured capacity when CPU is overcommitted. */
function cpuLine(host: Host): string {
  const schedulable = (host.schedulable ?? host.capacity).cpu_millicores;
  const capacity = host.capacity.cpu_millicores;
  const over = schedulable === capacity ? '' : ` (capacity ${capacity / 1000}, overcommitted)`;
  return `${host.reserved.cpu_millicores / 1000} of ${schedulable / 1000} cores reserved${over}`;
}

const HOST_ACTIONS = ['cordon', 'uncordon', 'drain', 'revoke', 'trust'] as const;

/** The host guard's state as the scheduler sees it (issue 16: fail closed). */
function isolationLine(host: Host): string | undefined {
  if (host.network_isolation === undefined) return undefined;
  if (host.network_isolation) return 'on';
  return host.trusted === true
    ? 'off (trusted by an admin: containers are placed anyway)'
    : 'off: no containers are placed until an admin trusts the host';
}

export const hosts: Command = {
  name: 'hosts',
  usage:
    'rexec hosts [list] | rexec hosts get|cordon|uncordon|drain|revoke|trust|untrust <host-id>\n' +
    '            | rexec hosts join-token [--expires-in <seconds>]',
  summary: 'the fleet (admin)',
  options: { 'expires-in': { type: 'string' } },
  positionals: {
    min: 0,
    max: 2,
    names: '[list|get|cordon|uncordon|drain|revoke|trust|untrust <id>|join-token]',
  },
  async run(context) {
    const [action = 'list', id] = context.positionals;
    const client = await context.client();
    if (action === 'list') {
      const list = await client.hosts.list();
      if (context.json) context.printJson(list);
      else context.print(list.length === 0 ? 'No hosts.' : hostTable(list));
      return ExitCode.OK;
    }
    if (action === 'join-token') {
      const expires = stringFlag(context, 'expires-in');
      if (expires !== undefined && !/^\d+$/.test(expires)) {
        throw new UsageError(`--expires-in must be whole seconds, got "${expires}"`);
      }
      const created = await client.hosts.createJoinToken(
        expires === undefined ? {} : { expiresInSeconds: Number(expires) },
      );
      if (context.json) context.printJson(created);
      else context.print(`REXEC_JOIN_TOKEN=${created.token}\n(expires ${created.expires_at})`);
      return ExitCode.OK;
    }
    const special = ['get', 'untrust'];
    if (!special.includes(action) && !(HOST_ACTIONS as readonly string[]).includes(action)) {
      throw new UsageError(
        `unknown hosts action "${action}": use list, get, ${HOST_ACTIONS.join(', ')}, untrust ` +
          'or join-token',
      );
    }
    if (id === undefined) throw new UsageError(`hosts ${action} needs a <host-id>`);
    const host =
      action === 'get'
        ? await client.hosts.get(id)
        : action === 'untrust'
          ? await client.hosts.trust(id, false)
          : await client.hosts[action as (typeof HOST_ACTIONS)[number]](id);
    if (context.json) context.printJson(host);
    else {
      context.print(
        keyValues([
          ['id', host.id],
          ['name', host.name],
          ['status', host.status],
          ['scheduling', host.scheduling],
          ['cpu', cpuLine(host)],
          ['memory', `${host.reserved.memory_mb} of ${host.capacity.memory_mb} MB reserved`],
          ['disk', `${host.reserved.disk_mb} of ${host.capacity.disk_mb} MB reserved`],
          [
            'runtime',
            host.runtime === undefined ? undefined : `${host.runtime.kind} ${host.runtime.version}`,
          ],
          ['network isolation', isolationLine(host)],
          ['agent', host.agent_version],
          ['last seen', host.last_seen_at],
        ]),
      );
    }
    return ExitCode.OK;
  },
};
