// Admin: mint a join token for a new agent and show the exact command to paste on the host (with
// a copy button; the secret is shown only then), and every join token the control plane keeps
// (GET /hosts/join-tokens, without secrets) with its state and a revoke button (confirmed).
import type { JoinTokenCreated } from '@rexec/protocol';
import { useState } from 'preact/hooks';
import { useSession } from '../session/context.js';
import { usePoll } from '../parts/use-poll.js';
import { ActionButton, ErrorLine, relativeTime, Secret } from '../parts/widgets.js';

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
  const { data, error, refresh } = usePoll(() => client.hosts.listJoinTokens(), 10_000);
  const [lifetime, setLifetime] = useState(3600);
  const [latest, setLatest] = useState<JoinTokenCreated | null>(null);
  const [actionError, setActionError] = useState<unknown>(undefined);

  const create = async (event: Event) => {
    event.preventDefault();
    try {
      setLatest(await client.hosts.createJoinToken({ expiresInSeconds: lifetime }));
      setActionError(undefined);
      await refresh();
    } catch (caught) {
      setActionError(caught);
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
      <ErrorLine error={actionError ?? error} />
      {latest !== null && (
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
      {data !== undefined && data.length === 0 && <p class="empty">No join tokens.</p>}
      {data !== undefined && data.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">State</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Used</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.map((each) => (
                <tr key={each.id} data-join-token={each.id} data-status={each.status}>
                  <th scope="row" class="mono">
                    {each.id}
                  </th>
                  <td>
                    <span class={`status join-${each.status}`}>{each.status}</span>
                  </td>
                  <td>{relativeTime(each.created_at)}</td>
                  <td>{relativeTime(each.expires_at)}</td>
                  <td>{relativeTime(each.used_at)}</td>
                  <td>
                    <ActionButton
                      label="Revoke"
                      danger
                      confirm={`Revoke join token ${each.id}? It can no longer enroll a host; hosts it enrolled stay.`}
                      run={async () => {
                        await client.hosts.revokeJoinToken(each.id);
                        await refresh();
                      }}
                      onError={setActionError}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
