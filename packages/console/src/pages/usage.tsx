// What the caller uses against their tier: containers against the tier's count, the resources
// their containers reserve, per-container maxima, session length and rate limits.
import { useSession } from '../session/context.js';
import { usePoll } from '../parts/use-poll.js';
import { Bar, ErrorLine, formatMb } from '../parts/widgets.js';

export function UsagePage() {
  const { client } = useSession();
  const { data: me, error } = usePoll(() => client.me(), 5_000);
  return (
    <section>
      <h1>Usage</h1>
      <ErrorLine error={error} />
      {me !== undefined && (
        <>
          <p>
            Tier <strong>{me.tier.name}</strong>
          </p>
          <Bar
            label="Containers"
            used={me.usage.containers}
            total={me.tier.max_containers}
            unit=""
          />
          <h2>Reserved by your containers</h2>
          <dl class="figures">
            <dt>CPU</dt>
            <dd>{me.usage.cpu_millicores} millicores</dd>
            <dt>Memory</dt>
            <dd>{formatMb(me.usage.memory_mb)}</dd>
            <dt>Disk</dt>
            <dd>
              {formatMb(me.usage.disk_mb)}
              {me.usage.disk_used_mb !== undefined &&
                ` reserved, ${formatMb(me.usage.disk_used_mb)} in use`}
            </dd>
          </dl>
          <h2>Limits of the {me.tier.name} tier</h2>
          <dl class="figures">
            <dt>Per container</dt>
            <dd>
              {me.tier.cpu_millicores} millicores, {formatMb(me.tier.memory_mb)} memory,{' '}
              {formatMb(me.tier.disk_mb)} disk, {me.tier.network_mbps} Mbit/s
            </dd>
            <dt>Session</dt>
            <dd>
              {me.tier.session_hours === null
                ? 'unlimited'
                : `${me.tier.session_hours} hours, then stopped (files kept)`}
            </dd>
            <dt>Requests per minute</dt>
            <dd>
              {me.tier.rate_limits.create_per_minute} creates,{' '}
              {me.tier.rate_limits.operations_per_minute} operations,{' '}
              {me.tier.rate_limits.list_per_minute} lists
            </dd>
          </dl>
        </>
      )}
    </section>
  );
}
