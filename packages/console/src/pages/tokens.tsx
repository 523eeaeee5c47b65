// The caller's API tokens: create one (its secret shown once, with a copy button), list them by
// name and prefix, revoke one (confirmed; revoking the token this tab uses signs it out).
import type { TokenCreated } from '@rexec/sdk';
import { useState } from 'preact/hooks';
import { useSession } from '../session/context.js';
import { usePoll } from '../parts/use-poll.js';
import { ActionButton, ErrorLine, relativeTime, Secret } from '../parts/widgets.js';

export function TokensPage() {
  const { client } = useSession();
  const { data, error, refresh } = usePoll(() => client.tokens.list(), null);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<TokenCreated | null>(null);
  const [actionError, setActionError] = useState<unknown>(undefined);

  const create = async (event: Event) => {
    event.preventDefault();
    try {
      setCreated(await client.tokens.create(name.trim()));
      setName('');
      setActionError(undefined);
      await refresh();
    } catch (caught) {
      setActionError(caught);
    }
  };

  return (
    <section>
      <h1>API tokens</h1>
      <form class="inline" onSubmit={(event) => void create(event)}>
        <label for="token-name">Name</label>
        <input
          id="token-name"
          value={name}
          required
          maxLength={100}
          placeholder="laptop, ci, …"
          onInput={(event) => setName(event.currentTarget.value)}
        />
        <button type="submit" class="primary">
          Create token
        </button>
      </form>
      <ErrorLine error={actionError ?? error} />
      {created !== null && <Secret label={`Token "${created.name}":`} value={created.token} />}
      {data !== undefined && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.map((token) => (
                <tr key={token.id}>
                  <th scope="row">{token.name}</th>
                  <td class="mono">{token.token_prefix}…</td>
                  <td>{relativeTime(token.created_at)}</td>
                  <td>{relativeTime(token.last_used_at)}</td>
                  <td>
                    <ActionButton
                      label="Revoke"
                      danger
                      confirm={`Revoke "${token.name}"? Programs using it stop working at once.`}
                      run={async () => {
                        await client.tokens.revoke(token.id);
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
