// The engine id and labels the runtime's parser tests use in their engine output samples.
export const ENGINE_ID = 'bffc360ebc469407bd0c8cee815f9d3e5b1ec85c63681fa12580b02dff117366';
export const LABELS = {
  'io.rexec.managed': 'true',
  'io.rexec.container-id': 'c1',
  'io.rexec.host-id': 'h1',
  'io.rexec.user-id': 'u1',
};
