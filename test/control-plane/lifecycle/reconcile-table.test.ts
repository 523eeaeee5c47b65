// Every cell of reconciliation's table (lifecycle/reconcile-table.ts): each (row status, desired
// status) against each engine state. The expected table is written out here on its own, cell by
// cell, so a changed decision fails by name; the cases that converge the states found stuck
// (a start or stop whose result a restart lost, a start from outside Rexec) are among them.
import t from 'tap';
import { OBSERVED_STATES } from '@rexec/protocol';
import type {
  ContainerStatus,
  DesiredStatus,
} from '../../../packages/control-plane/src/db/schema/containers.js';
import {
  ENGINE_STATES,
  engineState,
  reconcileAction,
  type EngineState,
  type ReconcileAction,
} from '../../../packages/control-plane/src/lifecycle/reconcile-table.js';

type Cells = [ReconcileAction, ReconcileAction, ReconcileAction, ReconcileAction];
// Columns: running, exited, missing, unknown (ENGINE_STATES' order); a role's container.
const EXPECTED: Record<ContainerStatus, Record<DesiredStatus, Cells>> = {
  creating: {
    running: ['relaunch', 'relaunch', 'relaunch', 'none'],
    stopped: ['relaunch', 'relaunch', 'relaunch', 'none'],
    deleted: ['none', 'none', 'none', 'none'],
  },
  running: {
    running: ['none', 'mark_stopped', 'mark_missing', 'none'],
    stopped: ['stop_on_host', 'mark_stopped', 'mark_missing', 'none'],
    deleted: ['none', 'none', 'none', 'none'],
  },
  stopped: {
    running: ['mark_running', 'forget_start', 'mark_missing', 'none'],
    stopped: ['stop_on_host', 'none', 'mark_missing', 'none'],
    deleted: ['none', 'none', 'none', 'none'],
  },
  error: {
    running: ['none', 'none', 'none', 'none'],
    stopped: ['none', 'none', 'none', 'none'],
    deleted: ['none', 'none', 'none', 'none'],
  },
  deleting: {
    running: ['none', 'none', 'none', 'none'],
    stopped: ['none', 'none', 'none', 'none'],
    deleted: ['remove_on_host', 'remove_on_host', 'finish_delete', 'none'],
  },
};

void t.test('every (status, desired) x engine state has the expected action', (t) => {
  let cells = 0;
  for (const [status, byDesired] of Object.entries(EXPECTED)) {
    for (const [desired, expected] of Object.entries(byDesired)) {
      ENGINE_STATES.forEach((engine: EngineState, column) => {
        cells += 1;
        t.equal(
          reconcileAction(status as ContainerStatus, desired as DesiredStatus, engine, false),
          expected[column],
          `${status}/${desired} with the engine ${engine}`,
        );
      });
    }
  }
  t.equal(cells, 5 * 3 * 4, 'the whole table');
  t.end();
});

void t.test('a creating container without a role that runs is simply running', (t) => {
  t.equal(reconcileAction('creating', 'running', 'running', true), 'mark_running');
  t.equal(reconcileAction('creating', 'running', 'exited', true), 'relaunch');
  t.equal(reconcileAction('running', 'running', 'running', true), 'none');
  t.end();
});

void t.test("the engine's states fold into running, exited and missing", (t) => {
  const folded = Object.fromEntries(OBSERVED_STATES.map((s) => [s, engineState(s)]));
  t.same(folded, {
    created: 'exited',
    running: 'running',
    paused: 'running',
    exited: 'exited',
    dead: 'exited',
    missing: 'missing',
  });
  t.equal(engineState(undefined), 'missing', 'absent from the inventory');
  t.end();
});
