/** A command line the tool cannot run (exit 64), or input it cannot use (exit 2): printed as a message. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
  constructor(
    message: string,
    readonly exitCode: 2 | 64 = 2,
  ) {
    super(message);
  }
}
