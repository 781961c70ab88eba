import { BackupClient } from '@aws-sdk/client-backup';
import Table from 'cli-table3';
import { Command } from 'commander';
import { awsSettings, output, withAws, withJson } from '../aws';
import { type BackupSearchApi, type S3SearchHit, loadBackupSearchClient, planItemRestores, searchS3, startItemRestores } from '../../runtime/backup-search';

export interface SearchCommandDeps {
  /** The search API; by default the SDK's BackupSearch client. */
  searchApi?: (settings: { region: string; profile?: string }) => Promise<BackupSearchApi>;
  backup?: (settings: { region: string; profile?: string }) => BackupClient;
  pollMs?: number;
}

const date = (d?: Date) => (d ? new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

export function formatHits(hits: readonly S3SearchHit[]): string {
  const table = new Table({ head: ['Key', 'Size', 'Version', 'Created', 'Recovery point', 'Vault'], style: { head: [], border: [] }, wordWrap: true, wrapOnWordBoundary: false, colWidths: [40, 10, 18, 22, 50, 26] });
  for (const h of hits) table.push([h.key, h.size === undefined ? '-' : String(h.size), h.versionId ?? '-', date(h.created), h.recoveryPointArn, h.vaultName ?? '-']);
  return table.toString();
}

export function searchCommand(deps: SearchCommandDeps = {}): Command {
  const command = new Command('search').description('Item-level search of indexed recovery points (categories with index: true), and restore of the items found');
  const s3 = command
    .command('s3')
    .description("Finds a bucket's objects across its indexed recovery points with the AWS Backup search API; with --restore, restores the chosen keys")
    .requiredOption('--bucket <name>', 'the protected bucket')
    .option('--key-prefix <prefix>', 'only keys that begin with this')
    .option('--created-after <iso8601>', 'only recovery points created after this time')
    .option('--created-before <iso8601>', 'only recovery points created before this time')
    .option('--restore <key...>', 'restore these keys, each from the newest recovery point that holds it')
    .option('--recovery-point <arn>', 'with --restore: restore from this recovery point only')
    .option('--restore-to <bucket>', 'with --restore: the bucket to restore into (default: the source bucket)')
    .option('--iam-role-arn <arn>', 'with --restore: the role AWS Backup restores with')
    .option('--dry-run', 'with --restore: print the restore jobs it would start');
  withJson(withAws(s3)).action(
    async (options: {
      bucket: string;
      keyPrefix?: string;
      createdAfter?: string;
      createdBefore?: string;
      restore?: string[];
      recoveryPoint?: string;
      restoreTo?: string;
      iamRoleArn?: string;
      dryRun?: boolean;
      region?: string;
      profile?: string;
      json?: boolean;
    }) => {
      const when = (value: string | undefined, flag: string) => {
        if (value === undefined) return undefined;
        const d = new Date(value);
        if (Number.isNaN(d.getTime())) throw new Error(`${flag} ${JSON.stringify(value)} is not a date: give an ISO 8601 time such as 2026-11-30T00:00:00Z`);
        return d;
      };
      const createdAfter = when(options.createdAfter, '--created-after');
      const createdBefore = when(options.createdBefore, '--created-before');
      if (options.restore && !options.iamRoleArn && !options.dryRun) throw new Error('--restore needs --iam-role-arn: the role AWS Backup restores with (the general backup role has AWSBackupServiceRolePolicyForS3Restore)');
      const settings = await awsSettings(options);
      const api = await (deps.searchApi ?? loadBackupSearchClient)(settings);
      const interactive = process.stderr.isTTY === true && !options.json;
      const { searchJobId, hits } = await searchS3(api, { bucket: options.bucket, keyPrefix: options.keyPrefix, createdAfter, createdBefore }, {
        pollMs: deps.pollMs,
        onProgress: (p) => {
          const line = `search ${p.status}: ${p.recoveryPointsScanned ?? 0} recovery points scanned, ${p.itemsMatched ?? 0} items matched`;
          process.stderr.write(interactive ? `\r${line.padEnd(80)}` : `${line}\n`);
        },
      });
      if (interactive) process.stderr.write('\n');
      if (!options.restore) {
        output(options, { searchJobId, hits }, () => `${formatHits(hits)}\n${hits.length} object versions in indexed recovery points of ${options.bucket} (search job ${searchJobId})\n`);
        return;
      }
      const plans = planItemRestores({ bucket: options.bucket, keys: options.restore, hits, recoveryPointArn: options.recoveryPoint, destinationBucket: options.restoreTo ?? options.bucket, iamRoleArn: options.iamRoleArn ?? '' });
      if (options.dryRun) {
        output(options, { searchJobId, dryRun: true, restores: plans }, () => plans.map((p) => `Would call StartRestoreJob for ${p.keys.join(', ')} from ${p.recoveryPointArn} with ${JSON.stringify(p.metadata)}\n`).join(''));
        return;
      }
      const backup = (deps.backup ?? ((s) => new BackupClient(s)))(settings);
      const jobs = await startItemRestores(backup, plans, options.iamRoleArn!);
      output(options, { searchJobId, restores: plans.map((p, i) => ({ ...p, restoreJobId: jobs[i] })) }, () =>
        plans.map((p, i) => `Restore job ${jobs[i]}: ${p.keys.join(', ')} from ${p.recoveryPointArn} into ${options.restoreTo ?? options.bucket}\n`).join(''),
      );
    },
  );
  return command;
}
