// Admin: every user with their tier (changed in place), disable/enable and delete (confirmed; a
// user cannot disable or delete themselves here), and a form that creates a user and shows their
// first API token once.
import type { Tier, User, UserCreated } from '@rexec/sdk';
import { useState } from 'preact/hooks';
import { useSession } from '../session/context.js';
import { fieldErrors } from '../parts/describe-error.js';
import { usePoll } from '../parts/use-poll.js';
import { ActionButton, ErrorLine, relativeTime, Secret } from '../parts/widgets.js';

function TierSelect(props: { user: User; tiers: Tier[]; changed: () => Promise<void> }) {
  const { client } = useSession();
  const [error, setError] = useState<unknown>(undefined);
  const change = async (tier: string) => {
    try {
      await client.users.update(props.user.id, { tier });
      setError(undefined);
      await props.changed();
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <>
      <select
        aria-label={`Tier of ${props.user.name}`}
        value={props.user.tier}
        onChange={(event) => void change(event.currentTarget.value)}
      >
        {props.tiers.map((tier) => (
          <option key={tier.name} value={tier.name}>
            {tier.name}
          </option>
        ))}
      </select>
      <ErrorLine error={error} />
    </>
  );
}

function UserActions(props: { user: User; changed: () => Promise<void> }) {
  const { client, me } = useSession();
  const [error, setError] = useState<unknown>(undefined);
  const { user } = props;
  if (user.id === me.user.id) return <span class="muted">you</span>;
  return (
    <>
      <div class="actions">
        {user.disabled ? (
          <ActionButton
            label="Enable"
            run={async () => {
              await client.users.update(user.id, { disabled: false });
              await props.changed();
            }}
            onError={setError}
          />
        ) : (
          <ActionButton
            label="Disable"
            confirm={`Disable ${user.name}? Their tokens are refused and their open terminals closed; their containers stay.`}
            run={async () => {
              await client.users.update(user.id, { disabled: true });
              await props.changed();
            }}
            onError={setError}
          />
        )}
        <ActionButton
          label="Delete"
          danger
          confirm={`Delete ${user.name}, their tokens and all their containers? This cannot be undone.`}
          run={async () => {
            await client.users.delete(user.id);
            await props.changed();
          }}
          onError={setError}
        />
      </div>
      <ErrorLine error={error} />
    </>
  );
}

export function UsersPage() {
  const { client } = useSession();
  const { data, error, refresh } = usePoll(
    async () => ({ users: await client.users.list(), tiers: await client.tiers.list() }),
    null,
  );
  const [form, setForm] = useState({ name: '', email: '', tier: 'community', admin: false });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<UserCreated | null>(null);

  const create = async (event: Event) => {
    event.preventDefault();
    try {
      const answer = await client.users.create({
        name: form.name.trim(),
        ...(form.email.trim() === '' ? {} : { email: form.email.trim() }),
        tier: form.tier,
        is_admin: form.admin,
      });
      setCreated(answer);
      setErrors({});
      setForm({ ...form, name: '', email: '' });
      await refresh();
    } catch (caught) {
      setErrors(fieldErrors(caught));
    }
  };

  return (
    <section>
      <h1>Users</h1>
      <form class="create" onSubmit={(event) => void create(event)}>
        <label for="user-name">Name</label>
        <div>
          <input
            id="user-name"
            required
            value={form.name}
            onInput={(event) => setForm({ ...form, name: event.currentTarget.value })}
          />
          {errors['name'] !== undefined && <span class="field-error">{errors['name']}</span>}
        </div>
        <label for="user-email">Email</label>
        <div>
          <input
            id="user-email"
            type="email"
            value={form.email}
            onInput={(event) => setForm({ ...form, email: event.currentTarget.value })}
          />
          {errors['email'] !== undefined && <span class="field-error">{errors['email']}</span>}
        </div>
        <label for="user-tier">Tier</label>
        <select
          id="user-tier"
          value={form.tier}
          onChange={(event) => setForm({ ...form, tier: event.currentTarget.value })}
        >
          {(data?.tiers ?? []).map((tier) => (
            <option key={tier.name} value={tier.name}>
              {tier.name}
            </option>
          ))}
        </select>
        <label for="user-admin">Administrator</label>
        <input
          id="user-admin"
          type="checkbox"
          checked={form.admin}
          onChange={(event) => setForm({ ...form, admin: event.currentTarget.checked })}
        />
        <div />
        <button type="submit" class="primary">
          Create user
        </button>
      </form>
      <ErrorLine error={errors[''] ?? error} />
      {created !== null && (
        <Secret label={`First API token of ${created.user.name}:`} value={created.token} />
      )}
      {data !== undefined && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Tier</th>
                <th scope="col">Admin</th>
                <th scope="col">State</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.users.map((user) => (
                <tr key={user.id} data-user={user.name} data-disabled={String(user.disabled)}>
                  <th scope="row">{user.name}</th>
                  <td>{user.email ?? '—'}</td>
                  <td>
                    <TierSelect user={user} tiers={data.tiers} changed={refresh} />
                  </td>
                  <td>{user.is_admin ? 'yes' : 'no'}</td>
                  <td>
                    <span class={user.disabled ? 'status user-disabled' : 'status'}>
                      {user.disabled ? 'disabled' : 'active'}
                    </span>
                  </td>
                  <td>{relativeTime(user.created_at)}</td>
                  <td>
                    <UserActions user={user} changed={refresh} />
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
