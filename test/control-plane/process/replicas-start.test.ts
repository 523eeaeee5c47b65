// Replicas started together on an empty Postgres database (issue 17): each migrates it and offers
// to create the first admin, and still the database ends with every migration applied once and
// one admin, whose token is the one replica's that created it; the others serve that admin too.
import pg from 'pg';
import t from 'tap';
import { freshDatabase } from '../../helpers/postgres.js';
import { startControlPlane } from '../../helpers/processes.js';

const REPLICAS = 3;

void t.test(
  'replicas starting together on an empty database: one admin, one migration run',
  async (t) => {
    const target = await freshDatabase(t, 'pg');
    if (target.driver !== 'pg') throw new Error('unreachable: asked for pg');
    const replicas = await Promise.all(
      Array.from({ length: REPLICAS }, () =>
        startControlPlane(t, { env: { REXEC_DATABASE_URL: target.url } }),
      ),
    );
    const creators = replicas.filter((replica) =>
      replica.output().includes('created the first admin user'),
    );
    t.equal(creators.length, 1, 'exactly one replica created the first admin');
    const creator = creators[0];
    if (creator === undefined) return;
    for (const [index, replica] of replicas.entries()) {
      const me = (token: string) =>
        fetch(`${replica.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      t.equal((await me(creator.adminToken)).status, 200, `replica ${index} serves that admin`);
      if (replica !== creator) {
        t.equal(
          (await me(replica.adminToken)).status,
          401,
          `replica ${index} made no admin of its own`,
        );
      }
    }
    const db = new pg.Client({ connectionString: target.url });
    await db.connect();
    t.teardown(() => db.end());
    const users = await db.query<{ n: number }>('select count(*)::int as n from users');
    t.equal(users.rows[0]?.n, 1, 'one user in all');
    const migrations = await db.query<{ n: number; distinct: number }>(
      'select count(*)::int as n, count(distinct hash)::int as distinct from drizzle.__drizzle_migrations',
    );
    t.ok((migrations.rows[0]?.n ?? 0) > 0, 'migrations were applied');
    t.equal(migrations.rows[0]?.n, migrations.rows[0]?.distinct, 'each migration once');
  },
);
