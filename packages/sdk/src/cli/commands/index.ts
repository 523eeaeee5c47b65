// Every CLI command, in the order `rexec help` lists them.
import type { Command } from '../command.js';
import { images, me, roles, tokens } from './account.js';
import { hosts, users } from './admin.js';
import { create, get, logs, ls, rm, start, stop } from './containers.js';
import { exec } from './exec.js';
import { cp } from './files.js';
import { login } from './login.js';
import { shell } from './shell.js';
import { stats } from './stats.js';

export const COMMANDS: readonly Command[] = [
  login,
  ls,
  create,
  get,
  start,
  stop,
  rm,
  logs,
  stats,
  shell,
  exec,
  cp,
  me,
  images,
  roles,
  tokens,
  users,
  hosts,
];
