import t from 'tap';
import { PROTOCOL_VERSION } from '@rexec/protocol';
t.equal(PROTOCOL_VERSION, 1);
