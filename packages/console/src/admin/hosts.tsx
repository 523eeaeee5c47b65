// Admin: the fleet's hosts with connectivity, scheduling, capacity against reservations as bars,
// runtime, enforcement, network isolation and trust, quarantined containers and last contact;
// approve (hosts joined under REXEC_HOST_APPROVAL=manual), trust, cordon, uncordon, drain and
// revoke (trust, drain and revoke confirmed). Refreshed every three seconds.
import type { Host } from '@rexec/sdk';
import { useState } from 'preact/hooks';
import { useSession } from '../session/context.js';
import { usePoll } from '../parts/use-poll.js';
import { ActionButton, Bar, ErrorLine, formatMb, relativeTime } from '../parts/widgets.js';

function Enforcement({ host }: { host: Host }) {
  const e = host.enforcement;
  if (e === undefined) return <span class="muted">not reported</span>;
  const flags = [
    `disk: ${e.disk.replace('_', ' ')}`,
    e.network_shaping ? 'egress shaped' : 'egress not shaped',
    e.network_isolation ? 'network isolated' : 'network not isolated',
  ];
  return <span title={e.detail}>{flags.join(' · ')}</span>;
}

/** Whether the scheduler may place here as far as isolation goes, in words. */
function Isolation({ host }: { host: Host }) {
  if (host.network_isolation === undefined) return <span class="muted">not reported</span>;
  if (host.network_isolation) return <span>isolated (host guard on)</span>;
  return host.trusted === true ? (
    <span class="flag-warn">not isolated; trusted by an admin</span>
  ) : (
    <span class="flag-warn">not isolated; no containers are placed here until trusted</span>
  );
}

function Quarantined({ host }: { host: Host }) {
  const list = host.quarantined ?? [];
  if (list.length === 0) return null;
  return (
    <details class="quarantined">
      <summary>
        {list.length} quarantined container{list.length === 1 ? '' : 's'} (unknown to the database,
        stopped and kept)
      </summary>
      <ul>
        {list.map((each) => (
          <li key={each.container_id} class="mono">
            {each.container_id.slice(0, 12)} — {each.state}, found {relativeTime(each.found_at)}
          </li>
        ))}
      </ul>
    </details>
  );
}

function HostCard(props: { host: Host; after: () => Promise<void> }) {
  const { client } = useSession();
  const [error, setError] = useState<unknown>(undefined);
  const { host } = props;
  const act = (run: () => Promise<unknown>) => async () => {
    await run();
    await props.after();
  };
  return (
    <article class="card host" data-host={host.name} aria-label={`Host ${host.name}`}>
      <header>
        <h2>{host.name}</h2>
        <span class={`status status-${host.status}`}>{host.status}</span>
        <span class={`status scheduling-${host.scheduling}`} data-scheduling={host.scheduling}>
          {host.scheduling}
        </span>
      </header>
      <Bar
        label="CPU"
        used={host.reserved.cpu_millicores}
        total={host.capacity.cpu_millicores}
        unit="millicores"
      />
      <Bar
        label="Memory"
        used={host.reserved.memory_mb}
        total={host.capacity.memory_mb}
        unit="MB"
      />
      <Bar label="Disk" used={host.reserved.disk_mb} total={host.capacity.disk_mb} unit="MB" />
      <dl class="figures">
        <dt>Runtime</dt>
        <dd>{host.runtime === undefined ? '—' : `${host.runtime.kind} ${host.runtime.version}`}</dd>
        <dt>Enforcement</dt>
        <dd>
          <Enforcement host={host} />
        </dd>
        <dt>Network isolation</dt>
        <dd data-isolation={String(host.network_isolation)} data-trusted={String(host.trusted)}>
          <Isolation host={host} />
        </dd>
        <dt>User namespaces</dt>
        <dd>{host.user_namespaces === true ? 'yes' : 'no'}</dd>
        {host.storage !== undefined && (
          <>
            <dt>Engine storage</dt>
            <dd>
              {formatMb(host.storage.free_mb)} free
              {host.storage.low ? ' (low: no new containers)' : ''}
            </dd>
          </>
        )}
        <dt>Agent</dt>
        <dd>{host.agent_version ?? '—'}</dd>
        <dt>Last seen</dt>
        <dd>{relativeTime(host.last_seen_at)}</dd>
      </dl>
      <Quarantined host={host} />
      <div class="actions">
        {host.scheduling === 'pending' && (
          <ActionButton
            label="Approve"
            run={act(() => client.hosts.approve(host.id))}
            onError={setError}
          />
        )}
        {host.network_isolation === false &&
          (host.trusted === true ? (
            <ActionButton
              label="Untrust"
              run={act(() => client.hosts.trust(host.id, false))}
              onError={setError}
            />
          ) : (
            <ActionButton
              label="Trust"
              confirm={`Trust ${host.name}? Its agent reports no network isolation: containers there can reach the host, its LAN and each other.`}
              run={act(() => client.hosts.trust(host.id))}
              onError={setError}
            />
          ))}
        {host.scheduling === 'pending' ? null : host.scheduling === 'active' ? (
          <ActionButton
            label="Cordon"
            run={act(() => client.hosts.cordon(host.id))}
            onError={setError}
          />
        ) : (
          <ActionButton
            label="Uncordon"
            run={act(() => client.hosts.uncordon(host.id))}
            onError={setError}
          />
        )}
        {host.scheduling !== 'draining' && host.scheduling !== 'pending' && (
          <ActionButton
            label="Drain"
            confirm={`Drain ${host.name}? No new containers go there and its containers are moved or stopped.`}
            run={act(() => client.hosts.drain(host.id))}
            onError={setError}
          />
        )}
        <ActionButton
          label="Revoke"
          danger
          confirm={`Revoke ${host.name}'s credential? Its agent is disconnected and must join again.`}
          run={act(() => client.hosts.revoke(host.id))}
          onError={setError}
        />
      </div>
      <ErrorLine error={error} />
    </article>
  );
}

export function HostsPage() {
  const { client } = useSession();
  const { data, error, refresh } = usePoll(() => client.hosts.list(), 3_000);
  return (
    <section>
      <h1>Hosts</h1>
      <ErrorLine error={error} />
      {data !== undefined && data.length === 0 && (
        <p class="empty">No hosts yet. Create a join token and run the agent on a machine.</p>
      )}
      <div class="cards">
        {(data ?? []).map((host) => (
          <HostCard key={host.id} host={host} after={refresh} />
        ))}
      </div>
    </section>
  );
}
