// The metrics suites' parser takes what prom-client really prints, NaN included: a scrape right
// after start had `nodejs_eventloop_lag_mean_seconds Nan` (no event-loop sample yet), and the
// parser refused the whole scrape, failing agent-metrics.test in a CI run.
import t from 'tap';
import { parseExposition } from '../helpers/metrics-scrape.js';

void t.test('NaN and -Inf samples do not cost the rest of the scrape', async (t) => {
  const scrape = await parseExposition(
    [
      '# HELP nodejs_eventloop_lag_mean_seconds The mean of the recorded event loop delays.',
      '# TYPE nodejs_eventloop_lag_mean_seconds gauge',
      'nodejs_eventloop_lag_mean_seconds Nan',
      '# HELP rexec_agent_containers Containers by state.',
      '# TYPE rexec_agent_containers gauge',
      'rexec_agent_containers{state="running"} 2',
      'rexec_agent_containers{state="exited"} NaN 1700000000000',
      '# HELP rexec_low Lowest.',
      '# TYPE rexec_low gauge',
      'rexec_low -Inf',
      '',
    ].join('\n'),
  );
  t.equal(scrape.value('rexec_agent_containers', { state: 'running' }), 2);
  t.equal(scrape.value('rexec_agent_containers', { state: 'exited' }), undefined);
  t.equal(scrape.value('nodejs_eventloop_lag_mean_seconds'), undefined);
});
