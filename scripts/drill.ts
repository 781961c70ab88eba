/**
 * The local disaster drill (`npm run drill`): the reference app's data on local servers (dynalite,
 * s3rver, cognito-local), backed up, lost, restored into fresh resources and verified record by
 * record, with the time of each step against the RTO. Three scenarios, from the reference plan:
 *
 * - data corruption: half a table overwritten with wrong values, recovered in place by the sync of
 *   `recover dynamodb` from a copy of a point in time before it;
 * - compromised account: the source account's vaults emptied and its data deleted, recovered from
 *   the backup account's copies only (a second set of local servers standing in for that account);
 * - regional failure: the primary's local servers stopped, the standby in the backup Region
 *   hydrated from the backup-account copies and its user pools restored from the export's copy.
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
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
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

const SCENARIOS = ['data-corruption', 'compromised-account', 'regional-failure'] as const;
type Scenario = (typeof SCENARIOS)[number];

const TABLES = ['ProviderTable', 'StaffUsersTable', 'CompactConfigurationTable', 'TransactionHistoryTable', 'DataEventTable'];
const POOLS = ['StaffUsers', 'ProviderUsers'];

interface Step {
  readonly scenario: Scenario;
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
    .option('--scenario <name...>', `the scenarios to run: ${SCENARIOS.join(', ')} (default: all)`)
    .parse()
    .opts<{ items: number; objects: number; users: number; scenario?: string[] }>();
  const unknown = (options.scenario ?? []).filter((name) => !(SCENARIOS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; the scenarios are ${SCENARIOS.join(', ')}`);
  const scenarios = SCENARIOS.filter((name) => !options.scenario || options.scenario.includes(name));
  const policy = parseRetentionPolicy(cdkJsonContext(join(__dirname, '../apps/reference')));
  const rtoHours = Math.min(...['critical_data', 'document_storage'].map((name) => policy.categories[name].rtoHours));
  const steps: Step[] = [];
  const problems: string[] = [];
  let scenario: Scenario = scenarios[0];
  const step = async (name: string, recovery: boolean, work: () => Promise<string>) => {
    process.stderr.write(`${scenario}: ${name}…\n`);
    const started = performance.now();
    const detail = await work();
    steps.push({ scenario, name, recovery, seconds: (performance.now() - started) / 1000, detail });
  };

  if (scenarios.includes('data-corruption')) {
    scenario = 'data-corruption';
    await dataCorruption(step, problems, options.items);
  }
  if (scenarios.includes('compromised-account')) {
    scenario = 'compromised-account';
    await compromisedAccount(step, problems, options);
  }
  if (!scenarios.includes('regional-failure')) return report(steps, problems, rtoHours);
  scenario = 'regional-failure';

  // The primary Region, and the backup Region where the backup account's copies and the standby are.
  const [dynalite, s3rver, cognitoLocal] = await Promise.all([startDynalite(), startS3rver(['provider-users-documents', 'user-pool-exports']), startCognitoLocal()]);
  const [backupDynalite, backupS3rver, standbyCognitoLocal] = await Promise.all([startDynalite(), startS3rver(['user-pool-exports-copy']), startCognitoLocal()]);
  let primaryRunning = true;
  try {
    const dynamodb = localDynamoClient(dynalite.endpoint);
    const s3: S3Client = localS3Client(s3rver.endpoint);
    const cognito = retryingCognitoClient(cognitoLocal.endpoint);
    const backupDynamodb = localDynamoClient(backupDynalite.endpoint);
    const backupS3: S3Client = localS3Client(backupS3rver.endpoint);
    const standbyCognito = retryingCognitoClient(standbyCognitoLocal.endpoint);
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

    await step('back up: Cognito export; copies in the backup account standing in for AWS Backup', false, async () => {
      const exported = await runExportJob({ client: cognito, store: new S3Store(s3, 'user-pool-exports', 'cognito'), userPoolIds: [...pools.values()], segmentUsers: false });
      if (exported.failed.length > 0) throw new Error(`export failed: ${JSON.stringify(exported.failed)}`);
      // The export bucket is protected under export_data: its copy lands in the backup Region.
      await copyBucket(s3, 'user-pool-exports', backupS3, 'user-pool-exports-copy');
      for (const table of TABLES) await copyTable(dynamodb, table, backupDynamodb, `restored-${table}`);
      await createBucket(backupS3, 'restored-provider-users-documents');
      await copyBucket(s3, 'provider-users-documents', backupS3, 'restored-provider-users-documents');
      return `${exported.exported.length} pools exported; ${TABLES.length} tables and the bucket copied to the backup Region`;
    });

    await step('disaster: the primary Region is lost (its servers stopped)', false, async () => {
      await Promise.all([dynalite.stop(), s3rver.stop(), cognitoLocal.stop()]);
      primaryRunning = false;
      return 'dynalite, s3rver and cognito-local of the primary stopped';
    });

    await step('cold standby: empty tables, bucket and pools', true, async () => {
      for (const table of TABLES) await createTable(backupDynamodb, table);
      await createBucket(backupS3, 'standby-provider-users-documents');
      return `${TABLES.length} tables, 1 bucket`;
    });

    const restoredPools = new Map<string, string>();
    await step('restore Cognito users into new pools', true, async () => {
      const lines: string[] = [];
      for (const [name, sourceId] of pools) {
        const target = await createPool(standbyCognito);
        restoredPools.set(name, target);
        const run = await openExport(new S3Store(backupS3, 'user-pool-exports-copy', 'cognito'), sourceId);
        const result = await restoreUserPool({ client: standbyCognito, run, targetUserPoolId: target, state: new FolderStore(tempDir('drill-restore-')) });
        const { users, memberships } = result.summary;
        if (users.failed.count + memberships.failed.count > 0) problems.push(`${name}: ${users.failed.count} users and ${memberships.failed.count} memberships failed`);
        lines.push(`${name}: ${users.created} users, ${memberships.added} memberships`);
      }
      return lines.join('; ');
    });

    await step('hydrate the standby tables', true, async () => {
      let items = 0;
      for (const table of TABLES) {
        const result = await hydrateTable({ client: backupDynamodb, source: `restored-${table}`, target: table, state: new FolderStore(tempDir('drill-hydrate-')) });
        if (!result.verified) problems.push(`${table}: hydration did not verify`);
        items += result.sourceDigest.items;
      }
      return `${items} items, each table verified by count and checksum`;
    });

    await step('hydrate the standby document bucket', true, async () => {
      const result = await hydrateBucket({ client: backupS3, source: 'restored-provider-users-documents', target: 'standby-provider-users-documents', state: new FolderStore(tempDir('drill-hydrate-')) });
      if (!result.verified) problems.push('documents: hydration did not verify');
      return `${result.copied} objects, verified by key, size and ETag`;
    });

    await step('verify every record against the data before the loss', true, async () => {
      for (const table of TABLES) {
        const after = await digestTable(backupDynamodb, table, { totalSegments: 4, concurrency: 4 });
        const expected = before.get(table)!;
        if (after.items !== expected.items || after.digest !== expected.digest) problems.push(`${table}: ${after.items} items after, ${expected.items} before, checksums ${after.digest === expected.digest ? 'equal' : 'differ'}`);
      }
      const restoredDocuments = await etags(backupS3, 'standby-provider-users-documents');
      if (JSON.stringify([...restoredDocuments].sort()) !== JSON.stringify([...documents].sort())) problems.push('documents: keys or ETags differ from before the loss');
      // A second restore of each export into its new pool compares every user and group and writes nothing.
      let users = 0;
      for (const [name, sourceId] of pools) {
        const run = await openExport(new S3Store(backupS3, 'user-pool-exports-copy', 'cognito'), sourceId);
        const again = await restoreUserPool({ client: standbyCognito, run, targetUserPoolId: restoredPools.get(name)!, state: new FolderStore(tempDir('drill-verify-')) });
        const summary = again.summary;
        users += summary.users.alreadyPresent;
        if (summary.users.created + summary.users.differing.count + summary.groups.differing.count + summary.memberships.added > 0) problems.push(`${name}: the restored pool differs from the export`);
      }
      return `${TABLES.length} tables by checksum, ${restoredDocuments.size} documents by ETag, ${users} users and their groups compared`;
    });
  } finally {
    await Promise.all([...(primaryRunning ? [dynalite.stop(), s3rver.stop(), cognitoLocal.stop()] : []), backupDynalite.stop(), backupS3rver.stop(), standbyCognitoLocal.stop()]);
  }
  report(steps, problems, rtoHours);
}

type StepRunner = (name: string, recovery: boolean, work: () => Promise<string>) => Promise<void>;

/** Half of a table overwritten with wrong values, recovered in place from a copy of the point in time before. */
async function dataCorruption(step: StepRunner, problems: string[], items: number): Promise<void> {
  const dynalite = await startDynalite();
  try {
    const dynamodb = localDynamoClient(dynalite.endpoint);
    const table = 'ProviderTable';
    let before = { items: 0, digest: '' };
    await step('seed the provider table', false, async () => {
      await createTable(dynamodb, table);
      await seedTable(dynamodb, table, items);
      before = await digestTable(dynamodb, table, { totalSegments: 4, concurrency: 4 });
      return `${items} items`;
    });
    let corrupted = 0;
    await step('corruption: half the items overwritten with wrong values', false, async () => {
      // The point-in-time restore of the table to before the corruption, which recover dynamodb starts.
      await copyTable(dynamodb, table, dynamodb, `${table}-pitr`);
      for await (const page of scanSegment({ client: dynamodb, table, segment: 0, totalSegments: 1 })) {
        const wrong = page.items.filter((_, i) => i % 2 === 0).map((item) => ({ ...item, corrupted: { S: 'wrong value written by a faulty deploy' } }));
        corrupted += wrong.length;
        await putItems(wrong, { client: dynamodb, table });
      }
      const now = await digestTable(dynamodb, table, { totalSegments: 4, concurrency: 4 });
      if (now.digest === before.digest) problems.push('data-corruption: the corruption changed nothing');
      return `${corrupted} of ${items} items overwritten`;
    });
    await step('recover in place: sync from the point in time before', true, async () => {
      const result = await hydrateTable({ client: dynamodb, source: `${table}-pitr`, target: table, mode: 'sync', state: new FolderStore(tempDir('drill-sync-')) });
      if (!result.verified) problems.push('data-corruption: the sync did not verify');
      if (result.changes?.written !== corrupted) problems.push(`data-corruption: the sync wrote ${result.changes?.written} items, ${corrupted} were corrupted`);
      return `${result.changes?.written} items rewritten, ${result.changes?.unchanged} left as they were, verified by count and checksum`;
    });
    await step('verify every record against the data before the corruption', true, async () => {
      const after = await digestTable(dynamodb, table, { totalSegments: 4, concurrency: 4 });
      if (after.items !== before.items || after.digest !== before.digest) problems.push(`data-corruption: ${after.items} items after, ${before.items} before, checksums ${after.digest === before.digest ? 'equal' : 'differ'}`);
      return `${after.items} items by checksum`;
    });
  } finally {
    await dynalite.stop();
  }
}

/** The source account's vaults emptied and its data deleted: recovered from the backup account's copies only. */
async function compromisedAccount(step: StepRunner, problems: string[], options: { items: number; objects: number }): Promise<void> {
  // The source account's tables, and the backup account's (another server: nothing the source's
  // credentials reach). S3 is one service for every account, and a cross-account copy is a CopyObject,
  // so both accounts' buckets are on one s3rver.
  const [source, backup, s3rver] = await Promise.all([startDynalite(), startDynalite(), startS3rver(['provider-users-documents'])]);
  try {
    const dynamodb = localDynamoClient(source.endpoint);
    const s3 = localS3Client(s3rver.endpoint);
    const backupDynamodb = localDynamoClient(backup.endpoint);
    const backupS3 = s3;
    const before = new Map<string, { items: number; digest: string }>();
    let documents = new Map<string, string>();
    await step('seed the tables and documents', false, async () => {
      for (const table of TABLES) {
        await createTable(dynamodb, table);
        await seedTable(dynamodb, table, options.items);
        before.set(table, await digestTable(dynamodb, table, { totalSegments: 4, concurrency: 4 }));
      }
      await putObjects(s3, 'provider-users-documents', sampleObjects(options.objects));
      documents = await etags(s3, 'provider-users-documents');
      return `${TABLES.length} tables x ${options.items} items, ${options.objects} documents`;
    });
    await step('back up: local recovery points and their copies in the backup account', false, async () => {
      for (const table of TABLES) {
        await copyTable(dynamodb, table, dynamodb, `vault-${table}`);
        await copyTable(dynamodb, table, backupDynamodb, `copy-${table}`);
      }
      await createBucket(s3, 'vault-provider-users-documents');
      await copyBucket(s3, 'provider-users-documents', s3, 'vault-provider-users-documents');
      await createBucket(backupS3, 'copy-provider-users-documents');
      await copyBucket(s3, 'provider-users-documents', backupS3, 'copy-provider-users-documents');
      return 'each table and the bucket in the local vault and in the backup account';
    });
    await step('compromise: the local vault emptied, the tables and documents deleted', false, async () => {
      for (const table of TABLES) {
        await dynamodb.send(new DeleteTableCommand({ TableName: `vault-${table}` }));
        await dynamodb.send(new DeleteTableCommand({ TableName: table }));
      }
      for (const key of documents.keys()) {
        await s3.send(new DeleteObjectCommand({ Bucket: 'vault-provider-users-documents', Key: key }));
        await s3.send(new DeleteObjectCommand({ Bucket: 'provider-users-documents', Key: key }));
      }
      return 'nothing left in the source account';
    });
    await step('rebuild from the backup account\'s copies only', true, async () => {
      let items = 0;
      for (const table of TABLES) {
        await createTable(dynamodb, table);
        const result = await hydrateTable({ client: backupDynamodb, targetClient: dynamodb, source: `copy-${table}`, target: table, state: new FolderStore(tempDir('drill-rebuild-')) });
        if (!result.verified) problems.push(`compromised-account: ${table} did not verify`);
        items += result.sourceDigest.items;
      }
      const bucket = await hydrateBucket({ client: backupS3, source: 'copy-provider-users-documents', target: 'provider-users-documents', state: new FolderStore(tempDir('drill-rebuild-')) });
      if (!bucket.verified) problems.push('compromised-account: documents did not verify');
      return `${items} items and ${bucket.copied} objects from the backup account, verified`;
    });
    await step('verify every record against the data before the compromise', true, async () => {
      for (const table of TABLES) {
        const after = await digestTable(dynamodb, table, { totalSegments: 4, concurrency: 4 });
        const expected = before.get(table)!;
        if (after.items !== expected.items || after.digest !== expected.digest) problems.push(`compromised-account: ${table} differs from before`);
      }
      const restored = await etags(s3, 'provider-users-documents');
      if (JSON.stringify([...restored].sort()) !== JSON.stringify([...documents].sort())) problems.push('compromised-account: documents differ from before');
      return `${TABLES.length} tables by checksum, ${restored.size} documents by ETag`;
    });
  } finally {
    await Promise.all([source.stop(), backup.stop(), s3rver.stop()]);
  }
}

/** Copies a table item by item: a snapshot or a cross-account copy standing in for AWS Backup's. */
async function copyTable(from: ReturnType<typeof localDynamoClient>, table: string, to: ReturnType<typeof localDynamoClient>, copy: string): Promise<void> {
  await createTable(to, copy);
  await forEachSegment(4, 4, async (segment) => {
    for await (const page of scanSegment({ client: from, table, segment, totalSegments: 4 })) await putItems(page.items, { client: to, table: copy });
  });
}

/** Copies every object of a bucket into another (perhaps on another server), keeping keys and bodies. */
async function copyBucket(from: S3Client, bucket: string, to: S3Client, copy: string): Promise<void> {
  for await (const object of listObjects({ client: from, bucket })) {
    if (from === to) {
      await to.send(new CopyObjectCommand({ Bucket: copy, Key: object.key, CopySource: copySource(bucket, object.key) }));
      continue;
    }
    const body = await from.send(new GetObjectCommand({ Bucket: bucket, Key: object.key }));
    await to.send(new PutObjectCommand({ Bucket: copy, Key: object.key, Body: await body.Body!.transformToByteArray(), ContentType: body.ContentType }));
  }
}

function report(steps: Step[], problems: string[], rtoHours: number): void {
  const table = new Table({ head: ['scenario', 'step', 'time', 'what'], style: { head: [] } });
  for (const s of steps) table.push([s.scenario, `${s.recovery ? '* ' : '  '}${s.name}`, s.seconds < 60 ? `${s.seconds.toFixed(1)} s` : formatDuration(Math.round(s.seconds)), s.detail]);
  process.stdout.write(`${table.toString()}\n`);
  for (const scenario of SCENARIOS) {
    const ran = steps.filter((s) => s.scenario === scenario);
    if (ran.length === 0) continue;
    const recovery = ran.filter((s) => s.recovery).reduce((sum, s) => sum + s.seconds, 0);
    process.stdout.write(`${scenario}: recovery (steps marked *): ${formatDuration(Math.round(recovery))} against an RTO of ${rtoHours} h (${((recovery / (rtoHours * 3600)) * 100).toFixed(2)}% of it) on local servers\n`);
  }
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
