// A DELETE and a stop of one running container sent at the same moment, through the REST API to a
// real agent and engine, a few rounds (each order of sending): whatever each answers, it is one of
// the answers the API documents (never a 500: a stop whose result found the row `deleting` once
// asked for deleting → stopped), and the end state converges — the row deleted, nothing of the
// container left on the engine, the owner's quota and the host's reservation given back.
import t from 'tap';
import { Container, ContainerList, Host, Me } from '@rexec/protocol';
import { engine, homeVolumeOfContainer, volumeExists } from '../helpers/engine.js';
import type { ApiAnswer } from '../helpers/rest.js';
import { startFleet } from './fleet.js';

const ROUNDS = 4;
const BOX = { cpu_millicores: 250, memory_mb: 64, disk_mb: 512 };

/** Status and error code of an answer, for the message of a failed check. */
function said(answer: ApiAnswer): string {
  const code = (answer.body as { code?: unknown } | null)?.code;
  return `${answer.status}${typeof code === 'string' ? ` ${code}` : ''}`;
}

/** A stop racing a delete: stopped first, or refused because the delete got there first. */
function stopAnswerAllowed(answer: ApiAnswer): boolean {
  const code = (answer.body as { code?: unknown } | null)?.code;
  if (answer.status === 200) return Container.parse(answer.body).status === 'stopped';
  if (answer.status === 404) return code === 'not_found';
  return answer.status === 409 && code === 'invalid_state';
}

void t.test(
  'a DELETE and a stop sent together answer as documented and the container is gone for good',
  async (t) => {
    // Reconciliation finishes a delete answered 202 within seconds, not minutes.
    const fleet = await startFleet(t, { env: { REXEC_RECONCILE_SECONDS: '2' } });
    const { hostId } = await fleet.joinAgent('race-host', {
      REXEC_CAPACITY_CPU_MILLICORES: '4000',
      REXEC_CAPACITY_MEMORY_MB: '4096',
      REXEC_CAPACITY_DISK_MB: '40960',
    });
    const boxes = await Promise.all(
      Array.from({ length: ROUNDS }, (_, i) => fleet.createBox(BOX, `race-${i}`)),
    );
    for (const box of boxes) await fleet.containerStatus(box.id, 'running', 120_000);
    const held = await fleet.apiAs(Host, 'GET', `/hosts/${hostId}`);
    t.equal(held.reserved.cpu_millicores, ROUNDS * BOX.cpu_millicores, 'all reserved before');

    // The rounds run side by side (each on its own container), each order of sending twice over.
    const rounds = await Promise.all(
      boxes.map(async (box, round) => {
        const homeVolume = await homeVolumeOfContainer(fleet.kind, `rexec-${box.id}`);
        const del = () => fleet.api('DELETE', `/containers/${box.id}`);
        const stop = () => fleet.api('POST', `/containers/${box.id}/stop`);
        const [deleted, stopped] =
          round % 2 === 0
            ? await Promise.all([del(), stop()])
            : await Promise.all([stop(), del()]).then(([s, d]) => [d, s] as const);
        // A delete answered 202 is finished by reconciliation: wait for it, with a ceiling.
        await fleet.waitFor(`round ${round}: the row deleted`, async () =>
          (await fleet.api('GET', `/containers/${box.id}`)).status === 404 ? true : undefined,
        );
        return { box, homeVolume, deleted, stopped };
      }),
    );

    for (const [round, { box, homeVolume, deleted, stopped }] of rounds.entries()) {
      t.ok(
        deleted.status === 204 || deleted.status === 202,
        `round ${round}: the DELETE is accepted (${said(deleted)})`,
        { body: deleted.body },
      );
      t.ok(
        stopAnswerAllowed(stopped),
        `round ${round}: the stop answers as documented (${said(stopped)})`,
        { body: stopped.body },
      );
      const left = await engine(fleet.kind, [
        'ps',
        '-aq',
        '--filter',
        `label=io.rexec.container-id=${box.id}`,
      ]);
      t.equal(left.stdout.trim(), '', `round ${round}: nothing left on the engine`);
      t.notOk(await volumeExists(fleet.kind, homeVolume), `round ${round}: home volume gone`);
    }

    const host = await fleet.apiAs(Host, 'GET', `/hosts/${hostId}`);
    t.same(
      host.reserved,
      { cpu_millicores: 0, memory_mb: 0, disk_mb: 0 },
      "the host's reservation is all given back",
    );
    const me = await fleet.apiAs(Me, 'GET', '/me');
    t.match(
      me.usage,
      { containers: 0, cpu_millicores: 0, memory_mb: 0, disk_mb: 0 },
      "the owner's quota is all given back",
    );
    const list = await fleet.apiAs(ContainerList, 'GET', '/containers');
    t.same(list.containers, [], 'no container is left listed (none stuck deleting)');
  },
);
