// What a HELLO's health checks do to a host's scheduling, for every state an admin or the control
// plane can have left it in (the table hub/host-presence.ts applies on each HELLO).
import t from 'tap';
import type { HostScheduling } from '../../../packages/control-plane/src/db/schema/hosts.js';
import {
  failedRequiredChecks,
  schedulingAfterHello,
} from '../../../packages/control-plane/src/services/host-health.js';

const TABLE: [HostScheduling, boolean, HostScheduling][] = [
  ['active', true, 'unhealthy'],
  ['active', false, 'active'],
  ['unhealthy', true, 'unhealthy'],
  ['unhealthy', false, 'active'],
  ['cordoned', true, 'cordoned'],
  ['cordoned', false, 'cordoned'],
  ['draining', true, 'draining'],
  ['draining', false, 'draining'],
];

void t.test('only active and unhealthy follow health; an admin cordon or drain stays', (t) => {
  for (const [current, failing, expected] of TABLE) {
    t.equal(schedulingAfterHello(current, failing), expected, `${current}, failing=${failing}`);
  }
  t.end();
});

void t.test('only failed required checks count; an agent without checks is healthy', (t) => {
  const check = (ok: boolean, required: boolean) => ({ check: 'c', ok, required, message: 'm' });
  t.same(failedRequiredChecks(undefined), []);
  t.same(failedRequiredChecks(null), []);
  t.same(failedRequiredChecks([check(true, true), check(false, false)]), []);
  t.same(failedRequiredChecks([check(false, true), check(true, true)]), [check(false, true)]);
  t.end();
});
