/**
 * Runs a CDK app's entry point so that a configuration or validation error reaches the user as a
 * plain list of problems, not a stack trace. Set RETENTION_DEBUG=1 to see the trace too.
 */
export function runApp(main: () => unknown): void {
  try {
    main();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`\n${message}\n`);
    if (process.env.RETENTION_DEBUG && error instanceof Error) process.stderr.write(`\n${error.stack}\n`);
    // Exit now: under the CDK CLI an App synthesizes itself on exit, and a half-built app must not be written.
    process.exit(1);
  }
}
