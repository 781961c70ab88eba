/**
 * The local disaster drill (`npm run drill`): the reference app's data on local servers (dynalite,
 * s3rver, cognito-local), backed up, lost, restored into fresh resources and verified record by
 * record, with the time of each step against the RTO.
 *
 * AWS Backup has no local equivalent, so its part is played by a snapshot: before the loss each
 * table and the document bucket are copied, item by item and object by object, into `restored-*`
 * resources, standing in for what an AWS Backup restore job creates. Everything after that is the
 * toolkit's own recovery path, the same code as in AWS: the Cognito export and restore, and the
 * hydration of the cold standby's (empty, pre-existing) tables and bucket from the restored copies.
 *
 *   npm run drill -- [--items 2000] [--objects 500] [--users 150]
 */
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { CopyObjectCommand, DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import Table from 'cli-table3';
import { Command } from 'commander';
import { parseRetentionPolicy } from 'retention-kit/policy';
import { formatDuration } from 'retention-kit/policy';
import { tempDir } from '../test/support/apps';
import { createPool, retryingCognitoClient, seedPool } from '../test/support/cognito-seed';
import { createTable, seedTable } from '../test/support/dynamodb-seed';
import { createBucket, putObjects, sampleObjects } from '../test/support/s3-seed';
import { localDynamoClient, localS3Client, startCognitoLocal, startDynalite, startS3rver } from '../test/support/servers';
import { cdkJsonContext, parsePositiveInteger, putItems, hydrateTable, digestTable, forEachSegment, scanSegment, hydrateBucket, listObjects, copySource, FolderStore, S3Store, openExport, runExportJob, restoreUserPool } from 'retention-kit-cli';

const TABLES = ['ProviderTable', 'StaffUsersTable', 'CompactConfigurationTable', 'TransactionHistoryTable', 'DataEventTable'];
const POOLS = ['StaffUsers', 'ProviderUsers'];

interface Step {
  readonly name: string;
  readonly seconds: number;
  readonly recovery: boolean;
  readonly detail: string;
}

async function main(): Promise<void> {
  const options = new Command('drill')
    .option('--items <n>', 'items per table', parsePositiveInteger, 2_000)
    .option('--objects <n>', 'documents in the bucket', parsePositiveInteger, 500)
    .option('--users <n>', 'users per user pool', parsePositiveInteger, 150)
    .parse()
    .opts<{ items: number; objects: number; users: number }>();
  const policy = parseRetentionPolicy(cdkJsonContext(join(__dirname, '../apps/reference')));
  const rtoHours = Math.min(...['critical_data', 'document_storage'].map((name) => policy.categories[name].rtoHours));
  const steps: Step[] = [];
  const problems: string[] = [];
  const step = async (name: string, recovery: boolean, work: () => Promise<string>) => {
    process.stderr.write(`${name}…\n`);
    const started = performance.now();
    const detail = await work();
    steps.push({ name, recovery, seconds: (performance.now() - started) / 1000, detail });
  };

  const [dynalite, s3rver, cognitoLocal] = await Promise.all([startDynalite(), startS3rver(['provider-users-documents', 'user-pool-exports']), startCognitoLocal()]);
  try {
    const dynamodb = localDynamoClient(dynalite.endpoint);
    const s3: S3Client = localS3Client(s3rver.endpoint);
    const cognito = retryingCognitoClient(cognitoLocal.endpoint);
    const before = new Map<string, { items: number; digest: string }>();
    const pools = new Map<string, string>();
    let documents = new Map<string, string>();

    await step('seed the reference data', false, async () => {
      for (const table of TABLES) {
        await createTable(dynamodb, table);
        await seedTable(dynamodb, table, options.items, { largeEvery: 500, largeBytes: 200_000 });
        before.set(table, await digestTable(dynamodb, table, { totalSegments: 4, concurrency: 4 }));
      }
      await putObjects(s3, 'provider-users-documents', sampleObjects(options.objects));
      documents = await etags(s3, 'provider-users-documents');
      for (const name of POOLS) {
        const seeded = await seedPool(cognito, { users: options.users, groups: [{ name: `${name}-admins`, members: 10 }, { name: `${name}-readers`, members: Math.min(options.users, 120) }] });
        pools.set(name, seeded.userPoolId);
      }
      return `${TABLES.length} tables x ${options.items} items, ${options.objects} documents, ${POOLS.length} pools x ${options.users + 1} users`;
    });

    await step('back up: Cognito export; snapshots standing in for AWS Backup', false, async () => {
      const exported = await runExportJob({ client: cognito, store: new S3Store(s3, 'user-pool-exports', 'cognito'), userPoolIds: [...pools.values()], segmentUsers: false });
      if (exported.failed.length > 0) throw new Error(`export failed: ${JSON.stringify(exported.failed)}`);
      for (const table of TABLES) {
        await createTable(dynamodb, `restored-${table}`);
        await forEachSegment(4, 4, async (segment) => {
          for await (const page of scanSegment({ client: dynamodb, table, segment, totalSegments: 4 })) await putItems(page.items, { client: dynamodb, table: `restored-${table}` });
        });
      }
      await createBucket(s3, 'restored-provider-users-documents');
      for (const key of documents.keys()) await s3.send(new CopyObjectCommand({ Bucket: 'restored-provider-users-documents', Key: key, CopySource: copySource('provider-users-documents', key) }));
      return `${exported.exported.length} pools exported; ${TABLES.length} tables and the bucket snapshotted`;
    });

    await step('disaster: tables, documents and user pools lost', false, async () => {
      for (const table of TABLES) await dynamodb.send(new DeleteTableCommand({ TableName: table }));
      for (const key of documents.keys()) await s3.send(new DeleteObjectCommand({ Bucket: 'provider-users-documents', Key: key }));
      for (const id of pools.values()) await cognito.send(new DeleteUserPoolCommand({ UserPoolId: id }));
      return 'deleted';
    });

    await step('cold standby: empty tables, bucket and pools', true, async () => {
      for (const table of TABLES) await createTable(dynamodb, table);
      await createBucket(s3, 'standby-provider-users-documents');
      return `${TABLES.length} tables, 1 bucket`;
    });

    const restoredPools = new Map<string, string>();
    await step('restore Cognito users into new pools', true, async () => {
      const lines: string[] = [];
      for (const [name, sourceId] of pools) {
        const target = await createPool(cognito);
        restoredPools.set(name, target);
        const run = await openExport(new S3Store(s3, 'user-pool-exports', 'cognito'), sourceId);
        const result = await restoreUserPool({ client: cognito, run, targetUserPoolId: target, state: new FolderStore(tempDir('drill-restore-')) });
        const { users, memberships } = result.summary;
        if (users.failed.count + memberships.failed.count > 0) problems.push(`${name}: ${users.failed.count} users and ${memberships.failed.count} memberships failed`);
        lines.push(`${name}: ${users.created} users, ${memberships.added} memberships`);
      }
      return lines.join('; ');
    });

    await step('hydrate the standby tables', true, async () => {
      let items = 0;
      for (const table of TABLES) {
        const result = await hydrateTable({ client: dynamodb, source: `restored-${table}`, target: table, state: new FolderStore(tempDir('drill-hydrate-')) });
        if (!result.verified) problems.push(`${table}: hydration did not verify`);
        items += result.sourceDigest.items;
      }
      return `${items} items, each table verified by count and checksum`;
    });

    await step('hydrate the standby document bucket', true, async () => {
      const result = await hydrateBucket({ client: s3, source: 'restored-provider-users-documents', target: 'standby-provider-users-documents', state: new FolderStore(tempDir('drill-hydrate-')) });
      if (!result.verified) problems.push('documents: hydration did not verify');
      return `${result.copied} objects, verified by key, size and ETag`;
    });

    await step('verify every record against the data before the loss', true, async () => {
      for (const table of TABLES) {
        const after = await digestTable(dynamodb, table, { totalSegments: 4, concurrency: 4 });
        const expected = before.get(table)!;
        if (after.items !== expected.items || after.digest !== expected.digest) problems.push(`${table}: ${after.items} items after, ${expected.items} before, checksums ${after.digest === expected.digest ? 'equal' : 'differ'}`);
      }
      const restoredDocuments = await etags(s3, 'standby-provider-users-documents');
      if (JSON.stringify([...restoredDocuments].sort()) !== JSON.stringify([...documents].sort())) problems.push('documents: keys or ETags differ from before the loss');
      // A second restore of each export into its new pool compares every user and group and writes nothing.
      let users = 0;
      for (const [name, sourceId] of pools) {
        const run = await openExport(new S3Store(s3, 'user-pool-exports', 'cognito'), sourceId);
        const again = await restoreUserPool({ client: cognito, run, targetUserPoolId: restoredPools.get(name)!, state: new FolderStore(tempDir('drill-verify-')) });
        const summary = again.summary;
        users += summary.users.alreadyPresent;
        if (summary.users.created + summary.users.differing.count + summary.groups.differing.count + summary.memberships.added > 0) problems.push(`${name}: the restored pool differs from the export`);
      }
      return `${TABLES.length} tables by checksum, ${restoredDocuments.size} documents by ETag, ${users} users and their groups compared`;
    });
  } finally {
    await Promise.all([dynalite.stop(), s3rver.stop(), cognitoLocal.stop()]);
  }

  const table = new Table({ head: ['step', 'time', 'what'], style: { head: [] } });
  for (const s of steps) table.push([`${s.recovery ? '* ' : '  '}${s.name}`, s.seconds < 60 ? `${s.seconds.toFixed(1)} s` : formatDuration(Math.round(s.seconds)), s.detail]);
  const recovery = steps.filter((s) => s.recovery).reduce((sum, s) => sum + s.seconds, 0);
  process.stdout.write(`${table.toString()}\n`);
  process.stdout.write(`recovery (steps marked *): ${formatDuration(Math.round(recovery))} against an RTO of ${rtoHours} h (${((recovery / (rtoHours * 3600)) * 100).toFixed(2)}% of it) on local servers\n`);
  process.stdout.write('AWS Backup restore jobs are not part of this time: they have no local equivalent (see docs/disaster-recovery.md for their measured times from restore tests)\n');
  if (problems.length > 0) {
    process.stdout.write(`DRILL FAILED:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exitCode = 1;
  } else process.stdout.write('every record verified\n');
}

async function etags(client: S3Client, bucket: string): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for await (const object of listObjects({ client, bucket })) result.set(object.key, `${object.size}:${object.etag}`);
  return result;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
