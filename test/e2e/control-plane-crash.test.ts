// After a control plane crash (SIGKILL) the agent is back as soon as the control plane is: its
// reconnect delay had grown while nothing answered, and the port coming back ends the wait
// (reconnect-wait.ts) rather than the rest of the delay. The signals are the agent's own log lines,
// never elapsed time.
import t from 'tap';
import { Host } from '@rexec/protocol';
import { startFleet } from './fleet.js';

/** The longest reconnect delay the agent has announced so far. */
function longestDelayMs(output: string): number {
  let longest = 0;
  for (const line of output.split('\n')) {
    if (!line.includes('"msg":"reconnecting"')) continue;
    const delay = /"delayMs":(\d+)/.exec(line)?.[1];
    if (delay !== undefined) longest = Math.max(longest, Number(delay));
  }
  return longest;
}

function count(output: string, msg: string): number {
  return output.split('\n').filter((line) => line.includes(`"msg":"${msg}"`)).length;
}

void t.test(
  'an agent whose backoff grew reconnects when a crashed control plane returns',
  async (t) => {
    const fleet = await startFleet(t);
    const { agent, hostId } = await fleet.joinAgent('e2e-crash-return');
    t.equal(count(agent.output(), 'connected'), 1);

    await fleet.restartControlPlane({
      signal: 'SIGKILL',
      // Down until the agent is waiting out a delay of 15 s or more (its seventh or so), longer
      // than a control plane takes to start even on a loaded machine, so the port comes back
      // while the agent still waits: the log line, not a clock, says when.
      whileDown: async () => {
        await fleet.waitFor(
          'the agent to back off for 15 s or more',
          () => Promise.resolve(longestDelayMs(agent.output()) >= 15_000 ? true : undefined),
          120_000,
        );
      },
    });
    await fleet.waitFor('the agent to connect again', () =>
      Promise.resolve(count(agent.output(), 'connected') >= 2 ? true : undefined),
    );
    t.match(
      agent.output(),
      /"msg":"the control plane accepts connections again; reconnecting now"/,
      'the wait ended because the port came back',
    );
    const host = await fleet.apiAs(Host, 'GET', `/hosts/${hostId}`);
    t.equal(host.status, 'online');
  },
);
