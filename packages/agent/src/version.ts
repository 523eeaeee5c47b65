// The agent's own version, announced in enrollment and HELLO. Kept in step with package.json by
// hand (a JSON import would tie the build layout to the source layout); the protocol version comes
// from @rexec/protocol.
export const AGENT_VERSION = '0.1.0';
