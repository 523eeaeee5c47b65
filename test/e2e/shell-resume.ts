// A shell that outlives its terminal socket: a directory and a marker are typed into a terminal
// opened with a session name, and a terminal resumed by that name (through any replica, after the
// first socket was dropped or its replica killed) must say `resumed`, still hold the marker in its
// scrollback and run in that directory. The failover and replica suites share it.
import type { Test } from 'tap';
import type { TerminalClient } from '../control-plane/terminal/terminal-client.js';

export interface MarkedShell {
  session: string;
  /** What the marker line prints, and what the scrollback must hold. */
  marker: string;
  dir: string;
}

/** Waits for `client`'s ready frame, then moves its shell into a directory and prints a marker. */
export async function markShell(
  client: TerminalClient,
  session: string,
  label: string,
): Promise<MarkedShell> {
  await client.next('ready');
  const dir = `/tmp/${label}`;
  // Computed by the shell, so the echoed command line alone never matches the marker.
  client.type(`mkdir -p ${dir} && cd ${dir} && echo ${label}-$((400+56))\n`);
  const marker = `${label}-456`;
  await client.outputMatching(new RegExp(marker));
  return { session, marker, dir };
}

/** Checks that `client` resumed `shell`: its ready frame, its scrollback and its directory. */
export async function checkResumed(
  t: Test,
  client: TerminalClient,
  shell: MarkedShell,
): Promise<void> {
  t.same(await client.next('ready'), { type: 'ready', session: shell.session, resumed: true });
  await client.outputMatching(new RegExp(shell.marker));
  t.pass('the scrollback holds what was typed before');
  client.type("pwd | sed 's/^/cwd=/'\n");
  await client.outputMatching(new RegExp(`cwd=${shell.dir}`));
  t.pass('the same shell, in the same directory');
  await client.close();
}
