// The caller's containers, refreshed every two seconds: status with its reason, host, resources
// and session expiry, with start, stop and delete (each confirmed), and links to the terminal and
// the setup log.
import type { Container, RexecClient } from '@rexec/sdk';
import { useState } from 'preact/hooks';
import { href } from '../routes.js';
import { useSession } from '../session/context.js';
import { usePoll } from '../parts/use-poll.js';
import { ActionButton, ErrorLine, formatCpu, formatMb, relativeTime } from '../parts/widgets.js';

const POLL_MS = 2_000;

export async function allContainers(client: RexecClient): Promise<Container[]> {
  const containers: Container[] = [];
  for await (const container of client.containers.all({ limit: 100 })) containers.push(container);
  return containers;
}

function Status({ container }: { container: Container }) {
  return (
    <span class={`status status-${container.status}`} data-status={container.status}>
      {container.status}
      {container.status_reason !== undefined && (
        <span class="reason"> ({container.status_reason.replaceAll('_', ' ')})</span>
      )}
    </span>
  );
}

function Actions(props: { container: Container; after: () => Promise<void> }) {
  const { client } = useSession();
  const [error, setError] = useState<unknown>(undefined);
  const { id, name, status } = props.container;
  const act = (run: () => Promise<unknown>) => async () => {
    await run();
    await props.after();
  };
  return (
    <div class="actions">
      {status === 'running' && (
        <a class="button" href={href({ page: 'terminal', container: id, session: undefined })}>
          Terminal
        </a>
      )}
      <a class="button" href={href({ page: 'logs', container: id })}>
        Logs
      </a>
      {status === 'stopped' && (
        <ActionButton
          label="Start"
          run={act(() => client.containers.start(id))}
          onError={setError}
        />
      )}
      {(status === 'running' || status === 'creating') && (
        <ActionButton
          label="Stop"
          confirm={`Stop ${name}? Its files are kept; start it again later.`}
          run={act(() => client.containers.stop(id))}
          onError={setError}
        />
      )}
      {status !== 'deleting' && (
        <ActionButton
          label="Delete"
          danger
          confirm={`Delete ${name} and everything in it? This cannot be undone.`}
          run={act(() => client.containers.delete(id))}
          onError={setError}
        />
      )}
      <ErrorLine error={error} />
    </div>
  );
}

export function ContainersPage() {
  const { client, me, takeFirstContainers } = useSession();
  const { data, error, refresh } = usePoll(
    () => takeFirstContainers() ?? allContainers(client),
    POLL_MS,
  );
  return (
    <section>
      <div class="page-head">
        <h1>Containers</h1>
        <span class="muted">
          {data === undefined
            ? ''
            : `${data.length} of ${me.tier.max_containers} on ${me.tier.name}`}
        </span>
        <a class="button primary" href={href({ page: 'create' })}>
          New container
        </a>
      </div>
      <ErrorLine error={error} />
      {data === undefined && error === undefined && <p class="muted">Loading…</p>}
      {data !== undefined && data.length === 0 && (
        <p class="empty">No containers yet. Create one to get a shell in a few seconds.</p>
      )}
      {data !== undefined && data.length > 0 && (
        <div class="table-wrap">
          <table class="containers">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Image</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Host</th>
                <th scope="col">Resources</th>
                <th scope="col">Session ends</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.map((container) => (
                <tr key={container.id} data-name={container.name}>
                  <th scope="row">{container.name}</th>
                  <td>{container.custom_image ?? container.image}</td>
                  <td>{container.role}</td>
                  <td>
                    <Status container={container} />
                  </td>
                  <td class="mono">{container.host_id?.slice(0, 12) ?? '—'}</td>
                  <td>
                    {formatCpu(container.resources.cpu_millicores)} ·{' '}
                    {formatMb(container.resources.memory_mb)} ·{' '}
                    {formatMb(container.resources.disk_mb)} disk
                  </td>
                  <td title={container.session_expires_at}>
                    {container.status === 'running'
                      ? container.session_expires_at === undefined
                        ? 'never'
                        : relativeTime(container.session_expires_at)
                      : '—'}
                  </td>
                  <td>
                    <Actions container={container} after={refresh} />
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
