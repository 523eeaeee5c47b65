// Identifiers and secrets: id shapes per prefix, token shape and hashing, generated names that
// satisfy the container name rules. Lives beside the services that rely on these guarantees.
import { createHash } from 'node:crypto';
import t from 'tap';
import {
  generateName,
  hashToken,
  isApiTokenShape,
  isId,
  newApiToken,
  newId,
  tokenPrefix,
} from '../../../packages/control-plane/src/ids.js';
import { CONTAINER_NAME_PATTERN } from '../../../packages/control-plane/src/services/containers.js';

void t.test('ids are the prefix, an underscore and 32 hex digits, and unique', (t) => {
  const seen = new Set<string>();
  for (const prefix of ['usr', 'tok', 'ctr', 'hst', 'jtk', 'hcr'] as const) {
    const id = newId(prefix);
    t.match(id, new RegExp(`^${prefix}_[0-9a-f]{32}$`));
    t.ok(isId(prefix, id));
    seen.add(id);
  }
  t.equal(seen.size, 6);
  t.end();
});

void t.test('isId rejects other prefixes, lengths, case and characters', (t) => {
  const id = newId('ctr');
  t.notOk(isId('usr', id));
  t.notOk(isId('ctr', id.slice(0, -1)));
  t.notOk(isId('ctr', `${id}0`));
  t.notOk(isId('ctr', id.toUpperCase()));
  t.notOk(isId('ctr', `ctr_${'g'.repeat(32)}`));
  t.notOk(isId('ctr', ''));
  t.notOk(isId('ctr', `ctr_${'0'.repeat(32)}\n`));
  t.end();
});

void t.test('API tokens are rexec_ and 64 hex digits; hashes are SHA-256 hex', (t) => {
  const token = newApiToken();
  t.match(token, /^rexec_[0-9a-f]{64}$/);
  t.ok(isApiTokenShape(token));
  t.notOk(isApiTokenShape(`${token}0`));
  t.notOk(isApiTokenShape(token.replace('rexec_', 'rexex_')));
  t.notOk(isApiTokenShape(`Bearer ${token}`));
  t.equal(hashToken(token), createHash('sha256').update(token).digest('hex'));
  t.equal(tokenPrefix(token), token.slice(0, 12));
  t.not(newApiToken(), token);
  t.end();
});

void t.test('generated names look like swift-tiger-42 and are valid container names', (t) => {
  for (let i = 0; i < 200; i++) {
    const name = generateName();
    t.match(name, /^[a-z]+-[a-z]+-[1-9][0-9]$/);
    t.ok(CONTAINER_NAME_PATTERN.test(name), name);
  }
  t.end();
});
