// Admin: mint a join token for a new agent and show the exact commands to paste on the host. The
// tokens minted in this tab are listed with their expiry; the control plane has no route to list
// or revoke join tokens yet (DESIGN §8.4 adds one), so older ones are not shown here.
import type { JoinTokenCreated } from '@rexec/protocol';
import { useState } from 'preact/hooks';
import { useSession } from '../session/context.js';
import { ErrorLine, relativeTime, Secret } from '../parts/widgets.js';

const LIFETIMES: [number, string][] = [
  [3600, '1 hour'],
  [86400, '1 day'],
  [7 * 86400, '7 days'],
];

function installCommand(origin: string, token: string): string {
  return `sudo deploy/install-agent.sh --url ${origin} --join-token ${token}`;
}

export function JoinTokensPage() {
  const { client } = useSession();
  const [lifetime, setLifetime] = useState(3600);
  const [minted, setMinted] = useState<JoinTokenCreated[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  const latest = minted[0];

  const create = async (event: Event) => {
    event.preventDefault();
    try {
      const created = await client.hosts.createJoinToken({ expiresInSeconds: lifetime });
      setMinted([created, ...minted]);
      setError(undefined);
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <section>
      <h1>Join tokens</h1>
      <p class="muted">
        A join token lets one new host's agent enroll; the agent exchanges it for its own credential
        on first contact.
      </p>
      <form class="inline" onSubmit={(event) => void create(event)}>
        <label for="lifetime">Valid for</label>
        <select
          id="lifetime"
          value={lifetime}
          onChange={(event) => setLifetime(Number(event.currentTarget.value))}
        >
          {LIFETIMES.map(([seconds, label]) => (
            <option key={seconds} value={seconds}>
              {label}
            </option>
          ))}
        </select>
        <button type="submit" class="primary">
          Create join token
        </button>
      </form>
      <ErrorLine error={error} />
      {latest !== undefined && (
        <Secret label="Install command:" value={installCommand(location.origin, latest.token)}>
          <p class="hint">
            Run it from a checkout of Rexec on the new host (built with <code>npm run build</code>
            ). To run an agent by hand instead:
          </p>
          <pre class="secret-value">
            REXEC_URL={location.origin} REXEC_JOIN_TOKEN={latest.token} rexec-agent
          </pre>
        </Secret>
      )}
      {minted.length > 0 && (
        <div class="table-wrap">
          <table>
            <caption>Created in this tab</caption>
            <thead>
              <tr>
                <th scope="col">Token</th>
                <th scope="col">Expires</th>
              </tr>
            </thead>
            <tbody>
              {minted.map((each) => (
                <tr key={each.token}>
                  <td class="mono">{each.token.slice(0, 14)}…</td>
                  <td>{relativeTime(each.expires_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
