/** A problem with how a command was called; main prints its message (no stack) and exits 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
}
