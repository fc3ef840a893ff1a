/**
 * Errors thrown by the undocker library. Every error has a stable `code` for scripts and tests,
 * and an `exitCode` the CLI uses; the message is one lowercase "doing what: detail" line.
 */

/** ErrorCode lists the stable codes an UndockerError can carry. */
export type ErrorCode =
  | 'UNDOCKER_USAGE'
  | 'UNDOCKER_BAD_ARCHIVE'
  | 'UNDOCKER_NOT_FOUND'
  | 'UNDOCKER_AMBIGUOUS'
  | 'UNDOCKER_DIGEST_MISMATCH'
  | 'UNDOCKER_UNSAFE_PATH'
  | 'UNDOCKER_UNSUPPORTED'
  | 'UNDOCKER_FS_REFUSED'
  | 'UNDOCKER_OUTPUT_EXISTS'
  | 'UNDOCKER_MISSING_TOOL'
  | 'UNDOCKER_ABORTED'
  | 'UNDOCKER_AUTH'
  | 'UNDOCKER_NETWORK'
  | 'UNDOCKER_IO';

/** UndockerError is the base of every error the library throws on purpose. */
export class UndockerError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UndockerError';
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** UsageError reports wrong arguments; the CLI exits with status 2. */
export class UsageError extends UndockerError {
  constructor(message: string) {
    super('UNDOCKER_USAGE', message, { exitCode: 2 });
    this.name = 'UsageError';
  }
}

/** BadArchiveError reports input that is not a well-formed image archive. */
export class BadArchiveError extends UndockerError {
  constructor(message: string, cause?: unknown) {
    super('UNDOCKER_BAD_ARCHIVE', message, { cause });
    this.name = 'BadArchiveError';
  }
}

/** DigestMismatchError reports content whose SHA-256 differs from the digest that names it. */
export class DigestMismatchError extends UndockerError {
  constructor(what: string, expected: string, actual: string) {
    super('UNDOCKER_DIGEST_MISMATCH', `${what}: digest mismatch: expected ${expected}, got ${actual}`);
    this.name = 'DigestMismatchError';
  }
}

/** UnsafePathError reports an archive entry that would reach outside the target. */
export class UnsafePathError extends UndockerError {
  constructor(message: string) {
    super('UNDOCKER_UNSAFE_PATH', message);
    this.name = 'UnsafePathError';
  }
}

/** isErrno tells whether an unknown error is a Node system error with the given errno code. */
export function isErrno(error: unknown, ...codes: string[]): error is NodeJS.ErrnoException {
  return (
    error instanceof Error &&
    typeof (error as NodeJS.ErrnoException).code === 'string' &&
    codes.includes((error as NodeJS.ErrnoException).code as string)
  );
}

/**
 * describeSystemError words a Node system error as its description alone: "no space left on
 * device" from "ENOSPC: no space left on device, write", for a message that says the rest.
 */
export function describeSystemError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^[A-Z][A-Z0-9_]+: /, '').replace(/, [a-z0-9_]+(?: '.*')?$/s, '');
}

/** outputError wraps a system error met while writing `what` into one line naming it; other errors pass as they are. */
export function outputError(what: string, error: unknown): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  // EPIPE is a reader that stopped early (`| head`): the CLI ends quietly on it.
  if (
    error instanceof UndockerError ||
    !(error instanceof Error) ||
    typeof code !== 'string' ||
    !/^E[A-Z0-9]+$/.test(code) ||
    code === 'EPIPE'
  )
    return error;
  return new UndockerError('UNDOCKER_IO', `writing ${what}: ${describeSystemError(error)}`, { cause: error });
}
