// One container's setup log and the detail of its last status change, refreshed while it is
// being created (role setup writes as it goes).
import { useSession } from '../session/context.js';
import { usePoll } from '../parts/use-poll.js';
import { ErrorLine } from '../parts/widgets.js';
import { href } from '../routes.js';

export function LogsPage({ container }: { container: string }) {
  const { client } = useSession();
  const { data, error } = usePoll(async () => {
    const [info, logs] = await Promise.all([
      client.containers.get(container),
      client.containers.logs(container),
    ]);
    return { info, logs };
  }, 3_000);
  return (
    <section>
      <div class="page-head">
        <h1>Logs{data === undefined ? '' : `: ${data.info.name}`}</h1>
        <a class="button" href={href({ page: 'containers' })}>
          Back to containers
        </a>
      </div>
      <ErrorLine error={error} />
      {data !== undefined && (
        <>
          <p>
            Status <strong>{data.info.status}</strong>
            {data.info.status_reason !== undefined && ` (${data.info.status_reason})`}
          </p>
          {data.logs.status_detail !== undefined && <p class="detail">{data.logs.status_detail}</p>}
          <h2>Setup output</h2>
          {data.logs.truncated && <p class="muted">Earlier output was dropped.</p>}
          <pre class="log" tabIndex={0}>
            {data.logs.setup_log === '' ? '(no setup output)' : data.logs.setup_log}
          </pre>
        </>
      )}
    </section>
  );
}
