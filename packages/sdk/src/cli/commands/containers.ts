// Container commands: ls, create (with --wait and its progress line), get, start, stop, rm.
// Every one takes a container by name or id; the API resolves which.
import { listFiles, remotePath } from './files.js';
import {
  CONTAINER_STATUSES,
  type Container,
  type ContainerCreateRequest,
  type ContainerStatus,
} from '@rexec/protocol';
import type { Command, CommandContext } from '../command.js';
import { stringFlag } from '../command.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { progress } from '../progress.js';
import { parseCpu, parseMegabytes } from '../units.js';
import { containerBlock, containerTable } from './container-view.js';

function show(context: CommandContext, container: Container, sentence: string): void {
  if (context.json) context.printJson(container);
  else context.print(`${sentence}\n${containerBlock(container)}`);
}

function ref(context: CommandContext): string {
  const [value] = context.positionals;
  if (value === undefined) throw new UsageError('give a container name or id');
  return value;
}

export const ls: Command = {
  name: 'ls',
  usage: 'rexec ls [--status <status>] [--json]   |   rexec ls <name|id>:/path',
  summary: 'list your containers, or the files of a directory in one',
  options: { status: { type: 'string' } },
  positionals: { min: 0, max: 1, names: 'nothing, or <name|id>:/path' },
  async run(context) {
    const [where] = context.positionals;
    if (where !== undefined) {
      const remote = remotePath(where);
      if (remote === undefined) throw new UsageError('ls takes <name|id>:/path (an absolute path)');
      return listFiles(context, remote);
    }
    const status = stringFlag(context, 'status');
    if (status !== undefined && !(CONTAINER_STATUSES as readonly string[]).includes(status)) {
      throw new UsageError(`--status must be one of ${CONTAINER_STATUSES.join(', ')}`);
    }
    const client = await context.client();
    const containers: Container[] = [];
    for await (const c of client.containers.all({
      status: status as ContainerStatus | undefined,
    })) {
      containers.push(c);
    }
    if (context.json) context.printJson(containers);
    else if (containers.length === 0) context.print('No containers.');
    else context.print(containerTable(containers));
    return ExitCode.OK;
  },
};

function createBody(context: CommandContext): ContainerCreateRequest {
  const customImage = stringFlag(context, 'custom-image');
  const image = stringFlag(context, 'image') ?? (customImage === undefined ? undefined : 'custom');
  if (image === undefined) {
    throw new UsageError('create needs --image <image> (see rexec images) or --custom-image <ref>');
  }
  const cpu = stringFlag(context, 'cpu');
  const memory = stringFlag(context, 'memory');
  const disk = stringFlag(context, 'disk');
  const resources = {
    ...(cpu === undefined ? {} : { cpu_millicores: parseCpu('--cpu', cpu) }),
    ...(memory === undefined ? {} : { memory_mb: parseMegabytes('--memory', memory) }),
    ...(disk === undefined ? {} : { disk_mb: parseMegabytes('--disk', disk) }),
  };
  const name = stringFlag(context, 'name');
  const role = stringFlag(context, 'role');
  // Values are checked by the server, whose 400 names the field; the CLI only shapes the body.
  return {
    image,
    ...(name === undefined ? {} : { name }),
    ...(customImage === undefined ? {} : { custom_image: customImage }),
    ...(role === undefined ? {} : { role }),
    ...(Object.keys(resources).length === 0 ? {} : { resources }),
  } as ContainerCreateRequest;
}

export const create: Command = {
  name: 'create',
  usage:
    'rexec create [--name <name>] (--image <image> | --custom-image <ref>) [--role <role>]\n' +
    '             [--cpu <cores|Nm>] [--memory <MB|NG>] [--disk <MB|NG>] [--wait [--timeout <s>]]',
  summary: 'create a container (and with --wait, wait until it runs)',
  options: {
    name: { type: 'string' },
    image: { type: 'string' },
    'custom-image': { type: 'string' },
    role: { type: 'string' },
    cpu: { type: 'string' },
    memory: { type: 'string' },
    disk: { type: 'string' },
    wait: { type: 'boolean' },
    timeout: { type: 'string' },
  },
  positionals: { min: 0, max: 0, names: '' },
  async run(context) {
    const body = createBody(context);
    const timeout = stringFlag(context, 'timeout');
    if (timeout !== undefined && !/^\d+$/.test(timeout)) {
      throw new UsageError(`--timeout must be whole seconds, got "${timeout}"`);
    }
    const client = await context.client();
    const wait = context.values['wait'] === true;
    const line = progress(context.io.stderr);
    try {
      const container = await client.containers.create(body, {
        wait,
        ...(timeout === undefined ? {} : { timeoutMs: Number(timeout) * 1000 }),
        onProgress: (c, elapsedMs) =>
          line.update(`Waiting for ${c.name}: ${c.status} (${Math.floor(elapsedMs / 1000)} s)`),
      });
      line.stop();
      show(
        context,
        container,
        wait ? `Created ${container.name}; it is running.` : `Creating ${container.name}.`,
      );
    } finally {
      line.stop();
    }
    return ExitCode.OK;
  },
};

export const get: Command = {
  name: 'get',
  usage: 'rexec get <name|id> [--json]',
  summary: 'show one container',
  options: {},
  positionals: { min: 1, max: 1, names: '<name|id>' },
  async run(context) {
    const container = await (await context.client()).containers.get(ref(context));
    show(context, container, `Container ${container.name}:`);
    return ExitCode.OK;
  },
};

export const start: Command = {
  name: 'start',
  usage: 'rexec start <name|id>',
  summary: 'start a stopped container',
  options: {},
  positionals: { min: 1, max: 1, names: '<name|id>' },
  async run(context) {
    const container = await (await context.client()).containers.start(ref(context));
    show(context, container, `Started ${container.name}.`);
    return ExitCode.OK;
  },
};

export const stop: Command = {
  name: 'stop',
  usage: 'rexec stop <name|id>',
  summary: 'stop a container (its data is kept)',
  options: {},
  positionals: { min: 1, max: 1, names: '<name|id>' },
  async run(context) {
    const container = await (await context.client()).containers.stop(ref(context));
    show(context, container, `Stopped ${container.name}.`);
    return ExitCode.OK;
  },
};

export const rm: Command = {
  name: 'rm',
  usage: 'rexec rm <name|id>',
  summary: 'delete a container and its data',
  options: {},
  positionals: { min: 1, max: 1, names: '<name|id>' },
  async run(context) {
    const target = ref(context);
    const outcome = await (await context.client()).containers.delete(target);
    if (context.json) context.printJson({ container: target, status: outcome.status });
    else if (outcome.status === 'removed') context.print(`Removed ${target}.`);
    else
      context.print(
        `Deleting ${target}: its host is unreachable; removal finishes when it returns.`,
      );
    return ExitCode.OK;
  },
};

export const logs: Command = {
  name: 'logs',
  usage: 'rexec logs <name|id>',
  summary: "show a container's setup log and the detail of its last status change",
  options: {},
  positionals: { min: 1, max: 1, names: '<name|id>' },
  async run(context) {
    const answer = await (await context.client()).containers.logs(ref(context));
    if (context.json) {
      context.printJson(answer);
      return ExitCode.OK;
    }
    if (answer.truncated) context.print('[earlier setup output dropped]');
    if (answer.setup_log !== '') context.print(answer.setup_log.replace(/\n$/, ''));
    if (answer.status_detail !== undefined) context.print(`status detail: ${answer.status_detail}`);
    if (answer.setup_log === '' && answer.status_detail === undefined) {
      context.print('No setup log and no status detail.');
    }
    return ExitCode.OK;
  },
};
