/**
 * A configuration problem a person can fix: it always names the variable (or file) and says
 * what is wrong. The CLI prints `message` as one line and exits 1 — never a stack trace.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`${variable}: ${problem}`);
  }
}
