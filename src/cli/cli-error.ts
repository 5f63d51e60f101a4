/** A problem the CLI reports as one paragraph (no stack trace unless --debug). */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly hint: string | undefined;

  constructor(message: string, hint?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.hint = hint;
  }
}
