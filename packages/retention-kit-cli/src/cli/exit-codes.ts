/**
 * The exit codes of every `retention` command, in one place (the README's table is this list).
 * A command exits 0 when it did what was asked and found nothing wrong.
 */
export const EXIT_CODES = {
  /** Done; nothing found wrong. */
  ok: 0,
  /**
   * The command ran and found or met a problem: a protection gap, a stale resource, drift, a
   * missing prerequisite, a failed pool or user, a verification mismatch; or it refused to start
   * (guard rails, bad input, an AWS error), changing nothing. The message on stderr says which.
   * Commander's own usage errors (an unknown option, a missing required one) exit 1 too.
   */
  problem: 1,
  /** `cognito restore` only: done, but users or groups in the pool differ from the export (reported). */
  differences: 2,
} as const;

/** Sets the process's exit code (the command then ends normally, after its output is written). */
export function exitWith(code: (typeof EXIT_CODES)[keyof typeof EXIT_CODES]): void {
  process.exitCode = code;
}
