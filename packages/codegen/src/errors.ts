/** Bad input the CLI reports as a message (exit code 2), never as a stack trace. */
export class CodegenError extends Error {
  override readonly name: string = 'CodegenError';
}

/** The command line itself is wrong (exit code 64, EX_USAGE): an unknown option, colliding paths. */
export class UsageError extends CodegenError {
  override readonly name = 'UsageError';
}
