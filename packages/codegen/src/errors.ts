/** A failure the CLI reports as a message (exit code 2), never as a stack trace. */
export class CodegenError extends Error {
  override readonly name = 'CodegenError';
}
