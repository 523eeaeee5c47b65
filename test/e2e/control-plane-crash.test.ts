// After a control plane crash (SIGKILL) the agent is back as soon as the control plane is: its
// reconnect delay had grown while nothing answered, and the port coming back ends the wait
// (reconnect-wait.ts) rather than the rest of the delay. The signals are the agent's own log lines,
// never elapsed time.
import t from 'tap';
import { Host } from '@rexec/protocol';
import { startFleet } from './fleet.js';

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
      // Down until the agent is waiting out its fourth delay (2–4 s, the next one 4–8 s).
      whileDown: async () => {
        await fleet.waitFor('the agent to back off four times', () =>
          Promise.resolve(/"attempt":4[,}]/.test(agent.output()) ? true : undefined),
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
