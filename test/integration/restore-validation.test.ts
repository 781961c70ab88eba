import { BackupClient, DescribeRestoreJobCommand, PutRestoreValidationResultCommand } from '@aws-sdk/client-backup';
import { DescribeDBClustersCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateRestoreJob } from '../../packages/retention-kit-cli/src/runtime/restore-validation';
import { createTable, seedTable } from '../support/dynamodb-seed';
import { createBucket, putObjects, sampleObjects } from '../support/s3-seed';
import { type LocalServer, localDynamoClient, localS3Client, type S3Local, startDynalite, startS3rver } from '../support/servers';

/**
 * The restore test validation: AWS Backup has no local server, so its API (DescribeRestoreJob,
 * PutRestoreValidationResult) and RDS are mocked; the restored tables and buckets it checks are
 * real, on dynalite and s3rver.
 */
describe('validateRestoreJob (mocked AWS Backup and RDS; tables on dynalite, buckets on s3rver)', () => {
  let dynamo: LocalServer;
  let s3: S3Local;
  const backup = mockClient(BackupClient);
  const rds = mockClient(RDSClient);
  const plans = { App_critical_data: { category: 'critical_data', rtoHours: 4 }, App_document_storage: { category: 'document_storage', rtoHours: 2 } };
  const ACCOUNT = '111111111111';
  const job = (overrides: Record<string, unknown>) => ({
    RestoreJobId: 'job-1',
    Status: 'COMPLETED' as const,
    CreationDate: new Date('2026-11-02T05:00:00Z'),
    CompletionDate: new Date('2026-11-02T05:20:00Z'),
    CreatedBy: { RestoreTestingPlanArn: `arn:aws:backup:us-east-1:${ACCOUNT}:restore-testing-plan:App_critical_data-1a2b3c` },
    ...overrides,
  });
  const validate = () =>
    validateRestoreJob({ backup: new BackupClient({ region: 'us-east-1' }), rds: new RDSClient({ region: 'us-east-1' }), dynamodb: localDynamoClient(dynamo.endpoint), s3: localS3Client(s3.endpoint), restoreJobId: 'job-1', plans });
  const reported = () => backup.commandCalls(PutRestoreValidationResultCommand).map((call) => call.args[0].input);

  beforeAll(async () => {
    dynamo = await startDynalite();
    s3 = await startS3rver(['orders-docs', 'awsbackup-restore-test-docs', 'awsbackup-restore-test-empty']);
    const client = localDynamoClient(dynamo.endpoint);
    for (const table of ['orders', 'awsbackup-restore-test-orders', 'awsbackup-restore-test-partial']) await createTable(client, table);
    await seedTable(client, 'orders', 400);
    await seedTable(client, 'awsbackup-restore-test-orders', 380);
    await seedTable(client, 'awsbackup-restore-test-partial', 100);
    const objects = sampleObjects(60);
    await putObjects(localS3Client(s3.endpoint), 'orders-docs', objects);
    await putObjects(localS3Client(s3.endpoint), 'awsbackup-restore-test-docs', objects.slice(0, 58));
    await createBucket(localS3Client(s3.endpoint), 'unrelated-bucket');
  });

  afterEach(() => {
    backup.reset();
    rds.reset();
  });

  afterAll(async () => {
    backup.restore();
    rds.restore();
    await dynamo?.stop();
    await s3?.stop();
  });

  const table = (name: string) => `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${name}`;

  it('passes a restored table that holds the items of its point in time, within the RTO, and reports SUCCESSFUL', async () => {
    backup.on(DescribeRestoreJobCommand).resolves(job({ ResourceType: 'DynamoDB', SourceResourceArn: table('orders'), CreatedResourceArn: table('awsbackup-restore-test-orders') }));
    const result = await validate();
    expect(result.status).toBe('SUCCESSFUL');
    expect(reported()).toEqual([
      {
        RestoreJobId: 'job-1',
        ValidationStatus: 'SUCCESSFUL',
        ValidationStatusMessage: 'restored table awsbackup-restore-test-orders has 380 items (source table orders (counted): 400); restore took 20 min 0 s, within the RTO of 4 h 0 min',
      },
    ]);
    if (result.status !== 'skipped') expect(result.duration.seconds).toBe(1200);
  });

  it('fails a restored table with far fewer items than the source, saying how many', async () => {
    backup.on(DescribeRestoreJobCommand).resolves(job({ ResourceType: 'DynamoDB', SourceResourceArn: table('orders'), CreatedResourceArn: table('awsbackup-restore-test-partial') }));
    expect((await validate()).status).toBe('FAILED');
    expect(reported()[0].ValidationStatusMessage).toBe('restored table awsbackup-restore-test-partial has 100 items, fewer than 90% of the 400 in source table orders (counted)');
  });

  it('fails a restore that took longer than the category RTO, even when the data is right', async () => {
    backup.on(DescribeRestoreJobCommand).resolves(
      job({ ResourceType: 'DynamoDB', SourceResourceArn: table('orders'), CreatedResourceArn: table('awsbackup-restore-test-orders'), CompletionDate: new Date('2026-11-02T09:05:00Z') }),
    );
    const result = await validate();
    expect(result.status).toBe('FAILED');
    expect(reported()[0]).toMatchObject({ ValidationStatus: 'FAILED', ValidationStatusMessage: 'restore took 4 h 5 min, over the RTO of 4 h 0 min' });
  });

  it("checks a restored bucket's objects against the source bucket, with the category's own RTO", async () => {
    const plan = `arn:aws:backup:us-east-1:${ACCOUNT}:restore-testing-plan:App_document_storage-9z`;
    backup.on(DescribeRestoreJobCommand).resolves(job({ CreatedBy: { RestoreTestingPlanArn: plan }, ResourceType: 'S3', SourceResourceArn: 'arn:aws:s3:::orders-docs', CreatedResourceArn: 'arn:aws:s3:::awsbackup-restore-test-docs' }));
    expect((await validate()).status).toBe('SUCCESSFUL');
    expect(reported()[0].ValidationStatusMessage).toBe('restored bucket awsbackup-restore-test-docs has 58 objects (source bucket orders-docs: 60); restore took 20 min 0 s, within the RTO of 2 h 0 min');

    backup.reset();
    backup.on(DescribeRestoreJobCommand).resolves(job({ CreatedBy: { RestoreTestingPlanArn: plan }, ResourceType: 'S3', SourceResourceArn: 'arn:aws:s3:::orders-docs', CreatedResourceArn: 'arn:aws:s3:::awsbackup-restore-test-empty' }));
    expect((await validate()).status).toBe('FAILED');
    expect(reported()[0].ValidationStatusMessage).toBe('restored bucket awsbackup-restore-test-empty is empty, but source bucket orders-docs has 60 objects');
  });

  it('checks that a restored Aurora cluster is available with an endpoint (mocked RDS)', async () => {
    backup.on(DescribeRestoreJobCommand).resolves(job({ ResourceType: 'Aurora', SourceResourceArn: `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:licensing`, CreatedResourceArn: `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:awsbackup-restore-test-x` }));
    rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: 'awsbackup-restore-test-x' }).resolves({ DBClusters: [{ Status: 'available', Endpoint: 'x.cluster-abc.us-east-1.rds.amazonaws.com' }] });
    expect((await validate()).status).toBe('SUCCESSFUL');
    rds.reset();
    backup.reset();
    backup.on(DescribeRestoreJobCommand).resolves(job({ ResourceType: 'Aurora', CreatedResourceArn: `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:awsbackup-restore-test-x` }));
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ Status: 'inaccessible-encryption-credentials' }] });
    expect((await validate()).status).toBe('FAILED');
    expect(reported()[0].ValidationStatusMessage).toBe('cluster awsbackup-restore-test-x is inaccessible-encryption-credentials with no endpoint');
  });

  it('fails, rather than crashes, when the restored resource cannot be read', async () => {
    backup.on(DescribeRestoreJobCommand).resolves(job({ ResourceType: 'DynamoDB', SourceResourceArn: table('orders'), CreatedResourceArn: table('awsbackup-restore-test-gone') }));
    expect((await validate()).status).toBe('FAILED');
    expect(reported()[0].ValidationStatusMessage).toMatch(/^could not check the restored resource: .*awsbackup-restore-test-gone/i);
  });

  it("leaves alone restore jobs that are not its plans' (nothing reported)", async () => {
    backup.on(DescribeRestoreJobCommand).resolves(job({ CreatedBy: undefined, ResourceType: 'DynamoDB' }));
    expect(await validate()).toEqual({ status: 'skipped', reason: 'restore job job-1 was not started by a restore testing plan' });
    backup.on(DescribeRestoreJobCommand).resolves(job({ CreatedBy: { RestoreTestingPlanArn: `arn:aws:backup:us-east-1:${ACCOUNT}:restore-testing-plan:Other_plan-1` } }));
    expect((await validate()).status).toBe('skipped');
    expect(reported()).toEqual([]);
  });
});
