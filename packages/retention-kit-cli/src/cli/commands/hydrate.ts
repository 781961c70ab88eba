import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { type AwsOptions, awsSettings, output, withAws, withJson } from '../aws';
import { EXIT_CODES, exitWith } from '../exit-codes';
import { formatTableHydration } from '../../runtime/dynamodb/hydrate-summary';
import { HydrateRefusedError, hydrateTable } from '../../runtime/dynamodb/hydrate-table';
import { hydrateBucket } from '../../runtime/s3/hydrate-bucket';
import { formatBucketHydration } from '../../runtime/s3/hydrate-summary';
import { storeFor } from '../../runtime/store';
import { formatDuration, parseCount, parseDuration, parsePositiveInteger, parsePositiveNumber } from '../options';
import { type HydratePlan, planHydration } from '../../runtime/dynamodb/hydrate-plan';

export function hydrateCommand(): Command {
  const command = new Command('hydrate').description('Fills existing (cold standby) tables and buckets from restored copies, resumably, and verifies the result');
  const plan = command
    .command('plan')
    .description(
      "The least time a table hydration takes, from DescribeTable: the source's item count and size (or --items and --item-size-kb) against the target's write throughput " +
        '(provisioned capacity, or on-demand warm throughput and maximum; each global secondary index too). With --rto, the write units per second it needs; exit 1 when the RTO is missed.',
    )
    .requiredOption('--target <table>', 'the table to fill')
    .option('--source <table>', 'the restored table: its item count and size')
    .option('--items <n>', 'items to copy (instead of the source\'s count)', parseCount)
    .option('--item-size-kb <kb>', 'average item size in KB (instead of the source\'s)', parsePositiveNumber)
    .option('--rto <duration>', 'the recovery time objective, e.g. 4h, 90m', parseDuration);
  withJson(withAws(plan, 'the Region of both tables'))
    .action(async (options: AwsOptions & { json?: boolean; target: string; source?: string; items?: number; itemSizeKb?: number; rto?: number }) => {
      const result = await planHydration({
        client: new DynamoDBClient(await awsSettings(options)),
        target: options.target,
        source: options.source,
        items: options.items,
        averageItemBytes: options.itemSizeKb === undefined ? undefined : options.itemSizeKb * 1024,
        rtoSeconds: options.rto,
      });
      output(options, result, () => `${formatHydratePlan(options.target, result)}\n`);
      if (result.meetsRto === false) exitWith(EXIT_CODES.problem);
    });
  const dynamodb = command
    .command('dynamodb')
    .description(
      'Copies every item of a restored table into an existing table: a parallel scan in segments, batched writes with unprocessed-item retries, a checkpoint per segment. ' +
        'With --mode sync, makes the target equal to the source instead: writes only what is missing or differs and deletes what the source lacks. ' +
        'Ends by reading the target back and comparing item counts and an order-independent checksum; exit 1 on a mismatch. An interrupted run continues from its checkpoint.',
    )
    .requiredOption('--source <table>', 'the restored table to read')
    .requiredOption('--target <table>', 'the existing table to fill')
    .addOption(
      new Option('--mode <mode>', 'copy: put every source item; sync: make the target equal to the source (write what differs, delete what the source lacks, count both)')
        .choices(['copy', 'sync'])
        .default('copy'),
    )
    .addOption(
      new Option('--sync-method <method>', 'how a sync compares: merge scans each segment of both tables; by-key scans one and reads the other by key (a checkpoint after every page)')
        .choices(['merge', 'by-key'])
        .default('merge'),
    )
    .option('--segments <n>', 'scan segments (default: one per 128 MiB of the source, at least --concurrency; a merge sync, one per 20,000 items)', parsePositiveInteger)
    .option('--concurrency <n>', 'segments copied at once', parsePositiveInteger, 8)
    .option('--max-write-units <wcu>', 'cap on write capacity units per second, across all segments', parsePositiveInteger)
    .option('--overwrite', 'write into a target that already holds items (overwritten by key; nothing is deleted)')
    .option('--no-verify', 'skip reading the target back')
    .option('--state <dir|s3://bucket/prefix>', 'where checkpoints and reports go', '.retention/hydrate')
    .option('--target-region <region>', "the target table's Region, when it differs");
  withJson(withAws(dynamodb, 'the Region of both tables'))
    .action(
      async (options: AwsOptions & {
        json?: boolean;
        source: string;
        target: string;
        mode: 'copy' | 'sync';
        syncMethod: 'merge' | 'by-key';
        segments?: number;
        concurrency: number;
        maxWriteUnits?: number;
        overwrite?: boolean;
        verify: boolean;
        state: string;
        targetRegion?: string;
      }) => {
        const client = new DynamoDBClient(await awsSettings(options));
        const targetClient = options.targetRegion ? new DynamoDBClient(await awsSettings(options, options.targetRegion)) : undefined;
        const bar = phaseBar('{phase} [{bar}] {value}/{total} items | segments {segments} | {changes}{eta_formatted}');
        try {
          const result = await hydrateTable({
            client,
            targetClient,
            source: options.source,
            target: options.target,
            mode: options.mode,
            syncMethod: options.syncMethod,
            state: storeFor(options.state),
            segments: options.segments,
            concurrency: options.concurrency,
            maxWriteUnits: options.maxWriteUnits,
            overwrite: options.overwrite,
            verify: options.verify,
            onProgress: (progress) =>
              bar.show(progress.phase, progress.items, Math.max(progress.estimatedItems, progress.items, 1), {
                segments: `${progress.segmentsDone}/${progress.totalSegments}`,
                changes: progress.changes ? `${progress.changes.written} written, ${progress.changes.deleted} deleted | ` : '',
              }),
          });
          bar.stop();
          output(options, result, () => formatTableHydration(result));
          if (result.verified === false) exitWith(EXIT_CODES.problem);
        } catch (error) {
          bar.stop();
          if (error instanceof HydrateRefusedError) {
            process.stderr.write(`${error.message}\n`);
            exitWith(EXIT_CODES.problem);
            return;
          }
          throw new Error(`${error instanceof Error ? error.message : String(error)}\nthe checkpoint in ${options.state} is kept; run the same command again to continue`);
        }
      },
    );
  const s3Command = command
    .command('s3')
    .description(
      'Copies every object of a restored bucket (or of one prefix) into an existing bucket, server-side, keeping metadata, content type and tags; multipart above 5 GB. ' +
        'Objects already there with the same size and ETag are skipped. Ends by comparing keys, sizes and ETags (checksums or bytes where ETags cannot tell); exit 1 on a mismatch. An interrupted run continues from its checkpoint.',
    )
    .requiredOption('--source <bucket>', 'the restored bucket to read')
    .requiredOption('--target <bucket>', 'the existing bucket to fill')
    .option('--prefix <prefix>', 'only keys under this prefix', '')
    .option('--concurrency <n>', 'objects copied at once', parsePositiveInteger, 32)
    .option('--no-verify', 'skip comparing the buckets afterwards')
    .option('--state <dir|s3://bucket/prefix>', 'where checkpoints and reports go', '.retention/hydrate')
    .option('--target-region <region>', "the target bucket's Region, when it differs")
    .option('--s3-path-style', 'path-style S3 addressing (for S3-compatible local servers)');
  withJson(withAws(s3Command, 'the Region of both buckets'))
    .action(
      async (options: AwsOptions & { json?: boolean; source: string; target: string; prefix: string; concurrency: number; verify: boolean; state: string; targetRegion?: string; s3PathStyle?: boolean }) => {
        const s3 = async (region?: string) => new S3Client({ ...(await awsSettings(options, region)), forcePathStyle: options.s3PathStyle === true });
        const client = await s3();
        const bar = phaseBar('{phase} [{bar}] {value} objects | {copied} copied');
        try {
          const result = await hydrateBucket({
            client,
            targetClient: options.targetRegion ? await s3(options.targetRegion) : undefined,
            source: options.source,
            target: options.target,
            prefix: options.prefix,
            state: storeFor(options.state, client),
            concurrency: options.concurrency,
            verify: options.verify,
            // The listing is read as the copy goes, so the total grows with it.
            onProgress: (progress) => bar.show(progress.phase, progress.objects, progress.objects + 1, { copied: progress.copied }),
          });
          bar.stop();
          output(options, result, () => formatBucketHydration(result));
          if (result.verified === false) exitWith(EXIT_CODES.problem);
        } catch (error) {
          bar.stop();
          throw new Error(`${error instanceof Error ? error.message : String(error)}\nthe checkpoint in ${options.state} is kept; run the same command again to continue`);
        }
      },
    );
  return command;
}

/** A progress bar on a terminal (nothing otherwise) that starts again when the phase changes. */
function phaseBar(format: string): { show(phase: string, value: number, total: number, payload: Record<string, unknown>): void; stop(): void } {
  const bar = process.stderr.isTTY ? new SingleBar({ format }) : undefined;
  let current = '';
  return {
    show(phase, value, total, payload) {
      if (!bar) return;
      if (phase !== current) {
        if (current) bar.stop();
        current = phase;
        bar.start(total, value, { phase, ...payload });
      }
      bar.setTotal(total);
      bar.update(value, { phase, ...payload });
    },
    stop: () => bar?.stop(),
  };
}

export function formatHydratePlan(target: string, plan: HydratePlan): string {
  const limits = plan.limits.map((l) => `${l.of}: ${l.writeUnitsPerSecond} write units/s (${l.basis})`);
  const lines = [
    `${plan.items} items of ${(plan.averageItemBytes / 1024).toFixed(2)} KB on average: ${plan.writeUnitsPerItem} write unit(s) each`,
    `${target}: ${limits.length > 0 ? limits.join('; ') : 'no write throughput known'}`,
    plan.writeSeconds === undefined ? 'writes: no bound' : `writes: at least ${formatDuration(plan.writeSeconds)}, bound by ${plan.boundBy!.of} (${plan.boundBy!.basis})`,
    ...(plan.readSeconds === undefined ? [] : [`source scan: at least ${formatDuration(plan.readSeconds)} at its read throughput`]),
    ...(plan.rtoSeconds === undefined ? [] : [`RTO ${formatDuration(plan.rtoSeconds)}: ${plan.meetsRto === undefined ? 'unknown' : plan.meetsRto ? 'met' : 'missed'}; it needs ${plan.neededWriteUnitsPerSecond} write units/s on the table and each index`]),
    ...plan.notes.map((n) => `note: ${n}`),
  ];
  return lines.join('\n');
}
