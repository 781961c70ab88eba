/**
 * Recovery mode: the application's named Lambda functions held at a reserved concurrency of 0
 * while a live table is being repaired, so nothing writes to it behind the sync's back, then put
 * back exactly as they were. The previous settings are read (and saved by the caller) before
 * anything changes, and restored function by function even when one of them fails.
 */
import { DeleteFunctionConcurrencyCommand, GetFunctionConcurrencyCommand, type LambdaClient, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';

/** A function's reserved concurrency before recovery mode: a number, or null when it had none. */
export interface SavedConcurrency {
  readonly functionName: string;
  readonly previous: number | null;
}

/** Reads each function's reserved concurrency; names every function it could not read. */
export async function readConcurrency(lambda: LambdaClient, functionNames: readonly string[]): Promise<{ saved: SavedConcurrency[]; problems: string[] }> {
  const saved: SavedConcurrency[] = [];
  const problems: string[] = [];
  for (const functionName of functionNames) {
    try {
      const response = await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName }));
      saved.push({ functionName, previous: response.ReservedConcurrentExecutions ?? null });
    } catch (error) {
      problems.push(`cannot read the reserved concurrency of function ${functionName}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { saved, problems };
}

/** Sets every function's reserved concurrency to 0: invocations are throttled until it is restored. */
export async function pauseFunctions(lambda: LambdaClient, saved: readonly SavedConcurrency[]): Promise<void> {
  for (const { functionName } of saved) await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: functionName, ReservedConcurrentExecutions: 0 }));
}

export class RestoreConcurrencyError extends Error {
  constructor(readonly failures: readonly { functionName: string; previous: number | null; error: string }[]) {
    super(
      [
        'could not restore the reserved concurrency of:',
        ...failures.map(
          (failure) =>
            `  ${failure.functionName}: ${failure.error} — restore it with ${
              failure.previous === null ? `aws lambda delete-function-concurrency --function-name ${failure.functionName}` : `aws lambda put-function-concurrency --function-name ${failure.functionName} --reserved-concurrent-executions ${failure.previous}`
            }`,
        ),
      ].join('\n'),
    );
    this.name = 'RestoreConcurrencyError';
  }
}

/** Puts every function back as saved (removing the reservation where there was none); tries all before failing. */
export async function restoreConcurrency(lambda: LambdaClient, saved: readonly SavedConcurrency[]): Promise<void> {
  const failures: { functionName: string; previous: number | null; error: string }[] = [];
  for (const { functionName, previous } of saved) {
    try {
      if (previous === null) await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: functionName }));
      else await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: functionName, ReservedConcurrentExecutions: previous }));
    } catch (error) {
      failures.push({ functionName, previous, error: error instanceof Error ? error.message : String(error) });
    }
  }
  if (failures.length > 0) throw new RestoreConcurrencyError(failures);
}
