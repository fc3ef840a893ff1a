/**
 * AS_THE_BIN_STARTS_NODE is the environment `node -e 0` is timed in, as the reference a command's
 * start is set against: bin/undocker.cjs starts node without NODE_EXTRA_CA_CERTS (node parses the
 * whole file as it starts, 60 ms for the system bundle), so the reference does too.
 */
export const AS_THE_BIN_STARTS_NODE: NodeJS.ProcessEnv = { NODE_EXTRA_CA_CERTS: undefined };
