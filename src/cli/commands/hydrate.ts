import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { clientSettings } from '../../runtime/clients';
import { formatTableHydration } from '../../runtime/dynamodb/hydrate-summary';
import { HydrateRefusedError, hydrateTable } from '../../runtime/dynamodb/hydrate-table';
import { storeFor } from '../../runtime/store';
import { parsePositiveInteger } from '../options';

export function hydrateCommand(): Command {
  const command = new Command('hydrate').description('Fills existing (cold standby) tables and buckets from restored copies, resumably, and verifies the result');
  command
    .command('dynamodb')
    .description(
      'Copies every item of a restored table into an existing table: a parallel scan in segments, batched writes with unprocessed-item retries, a checkpoint per segment. ' +
        'Ends by reading the target back and comparing item counts and an order-independent checksum; exit 1 on a mismatch. An interrupted run continues from its checkpoint.',
    )
    .requiredOption('--source <table>', 'the restored table to read')
    .requiredOption('--target <table>', 'the existing table to fill')
    .option('--segments <n>', 'scan segments (default: one per 128 MiB of the source, at least --concurrency)', parsePositiveInteger)
    .option('--concurrency <n>', 'segments copied at once', parsePositiveInteger, 8)
    .option('--max-write-units <wcu>', 'cap on write capacity units per second, across all segments', parsePositiveInteger)
    .option('--overwrite', 'write into a target that already holds items (overwritten by key; nothing is deleted)')
    .option('--no-verify', 'skip reading the target back')
    .option('--state <dir|s3://bucket/prefix>', 'where checkpoints and reports go', '.retention/hydrate')
    .option('--region <region>', 'the Region of both tables')
    .option('--target-region <region>', "the target table's Region, when it differs")
    .action(
      async (options: {
        source: string;
        target: string;
        segments?: number;
        concurrency: number;
        maxWriteUnits?: number;
        overwrite?: boolean;
        verify: boolean;
        state: string;
        region?: string;
        targetRegion?: string;
      }) => {
        const client = new DynamoDBClient(clientSettings(options.region));
        const targetClient = options.targetRegion ? new DynamoDBClient(clientSettings(options.targetRegion)) : undefined;
        const bar = process.stderr.isTTY ? new SingleBar({ format: '{phase} [{bar}] {value}/{total} items | segments {segments} | {eta_formatted}' }) : undefined;
        let phase = '';
        try {
          const result = await hydrateTable({
            client,
            targetClient,
            source: options.source,
            target: options.target,
            state: storeFor(options.state),
            segments: options.segments,
            concurrency: options.concurrency,
            maxWriteUnits: options.maxWriteUnits,
            overwrite: options.overwrite,
            verify: options.verify,
            onProgress: (progress) => {
              if (!bar) return;
              if (progress.phase !== phase) {
                if (phase) bar.stop();
                phase = progress.phase;
                bar.start(Math.max(progress.estimatedItems, progress.items, 1), progress.items, { phase, segments: '' });
              }
              bar.setTotal(Math.max(progress.estimatedItems, progress.items, 1));
              bar.update(progress.items, { phase, segments: `${progress.segmentsDone}/${progress.totalSegments}` });
            },
          });
          bar?.stop();
          process.stdout.write(formatTableHydration(result));
          if (result.verified === false) process.exitCode = 1;
        } catch (error) {
          bar?.stop();
          if (error instanceof HydrateRefusedError) {
            process.stderr.write(`${error.message}\n`);
            process.exitCode = 1;
            return;
          }
          throw new Error(`${error instanceof Error ? error.message : String(error)}\nthe checkpoint in ${options.state} is kept; run the same command again to continue`);
        }
      },
    );
  return command;
}
