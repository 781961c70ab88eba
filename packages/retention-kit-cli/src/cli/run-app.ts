/**
 * Runs an entry point (a CDK app or a CLI command) so that an error reaches the user as a plain
 * message (a list of problems for a bad configuration), not a stack trace. Set RETENTION_DEBUG=1 to
 * see the trace too.
 */
export function runApp(main: () => unknown): void {
  const fail = (error: unknown): never => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`\n${message}\n`);
    if (process.env.RETENTION_DEBUG && error instanceof Error) process.stderr.write(`\n${error.stack}\n`);
    // Exit now: under the CDK CLI an App synthesizes itself on exit, and a half-built app must not be written.
    process.exit(1);
  };
  try {
    const result = main();
    if (result instanceof Promise) result.catch(fail);
  } catch (error) {
    fail(error);
  }
}
