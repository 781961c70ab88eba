import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceApp, synthesize } from '../support/apps';
import { createTable, seedTable } from '../support/dynamodb-seed';
import { startBackupStub } from '../support/backup-stub';
import { type LocalServer, LOCAL_CREDENTIALS, localDynamoClient, startDynalite } from '../support/servers';
import { LocalStateMachines } from '../support/state-machines';

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '../fixtures/events', `${name}.json`), 'utf8'));

/**
 * The event-driven functions, reached through their deployed rules: the rule's pattern (or
 * schedule) from the template, the target's input as EventBridge hands it over, the function from
 * its asset with its environment from the template.
 */
describe('event targets, delivered through their deployed rules (AWS Backup stubbed; tables on dynalite)', () => {
  let dynamo: LocalServer;
  let backup: Awaited<ReturnType<typeof startBackupStub>>;
  let persistent: LocalStateMachines;
  let infrastructure: LocalStateMachines;
  const completed = fixture('restore-job-completed');
  const now = Date.now() / 1000;
  const table = (name: string) => `arn:aws:dynamodb:us-east-1:111111111111:table/${name}`;

  beforeAll(async () => {
    dynamo = await startDynalite();
    for (const name of ['ProviderTable', 'awsbackup-restore-test-provider']) await createTable(localDynamoClient(dynamo.endpoint), name);
    await seedTable(localDynamoClient(dynamo.endpoint), 'ProviderTable', 300);
    await seedTable(localDynamoClient(dynamo.endpoint), 'awsbackup-restore-test-provider', 290);
    backup = await startBackupStub([
      // The restore test job of the documented sample event, as DescribeRestoreJob returns it.
      [
        /^\/restore-jobs\/([^/]+)$/,
        (m) => ({
          RestoreJobId: m[1],
          Status: 'COMPLETED',
          ResourceType: 'DynamoDB',
          CreationDate: now - 1800,
          CompletionDate: now - 600,
          SourceResourceArn: table('ProviderTable'),
          CreatedResourceArn: table('awsbackup-restore-test-provider'),
          CreatedBy: { RestoreTestingPlanArn: 'arn:aws:backup:us-east-1:111111111111:restore-testing-plan:Persistent_critical_data-1a2b3c' },
        }),
      ],
      [/^\/restore-jobs\/([^/]+)\/validations$/, () => ({})],
      [/^\/backup\/plans\/?$/, () => ({ BackupPlansList: [{ BackupPlanId: 'p1', BackupPlanName: 'Persistent-critical_data' }] })],
      [/^\/backup\/plans\/p1\/selections\/?$/, () => ({ BackupSelectionsList: [{ SelectionId: 's1', BackupPlanId: 'p1' }] })],
      [/^\/backup\/plans\/p1\/selections\/s1$/, () => ({ BackupSelection: { SelectionName: 's', IamRoleArn: 'r', Resources: [table('Fresh'), table('Stale')] } })],
      [/^\/resources\/(.+)\/recovery-points\/?$/, (m) => ({ RecoveryPoints: [{ Status: 'COMPLETED', CreationDate: now - (m[1].endsWith('Fresh') ? 2 : 40) * 3600 }] })],
      [/^\/copy-jobs\/?$/, (_m, _b, query) => ({ CopyJobs: query.get('state') === 'RUNNING' ? [] : [{ State: 'COMPLETED', CompletionDate: now - 3600 }] })],
      [/^\/backup-vaults\/([^/]+)\/recovery-points\/?$/, () => ({ RecoveryPoints: [{ Status: 'COMPLETED', CreatedBy: { BackupPlanId: 'p1' }, CreationDate: now - 3600, BackupSizeInBytes: 1e9, CalculatedLifecycle: { DeleteAt: now + 86400 } }] })],
      [/^\/backup-jobs\/?$/, (_m, _b, query) => ({ BackupJobs: query.get('state') === 'RUNNING' ? [] : [{ BackupJobId: 'scheduled', State: 'COMPLETED', CreationDate: now - 3600 }] })],
    ]);
    const env = synthesize(referenceApp());
    const options = {
      environment: {
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_BACKUP: backup.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        POWERTOOLS_METRICS_DISABLED: 'true',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
    };
    persistent = new LocalStateMachines(env.directory, 'Persistent', env, options);
    infrastructure = new LocalStateMachines(env.directory, 'BackupInfrastructure', env, options);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([persistent?.stop(), infrastructure?.stop()]);
    await new Promise<void>((resolve) => backup?.server.close(() => resolve()));
    await dynamo?.stop();
  });

  it("validates a completed restore test from AWS's sample event: matched by the deployed pattern, handed over whole, the verdict reported to AWS Backup", async () => {
    const [result] = await persistent.deliver('RestoreTestingRestoreCompleted', completed);
    expect(result).toMatchObject({ status: 'SUCCESSFUL', category: 'critical_data', restoreJobId: completed.detail.restoreJobId });
    const reported = backup.requests.filter((r) => r.path === `/restore-jobs/${completed.detail.restoreJobId}/validations`);
    expect(reported).toHaveLength(1);
    expect(JSON.parse(reported[0].body)).toMatchObject({ ValidationStatus: 'SUCCESSFUL' });
  });

  it('leaves running and failed restore jobs alone: the deployed pattern does not match them', async () => {
    expect(await persistent.deliver('RestoreTestingRestoreCompleted', fixture('restore-job-running'))).toEqual([]);
    expect(await persistent.deliver('RestoreTestingRestoreCompleted', fixture('restore-job-failed'))).toEqual([]);
  });

  it('runs the freshness check on its schedule rule, with the input the rule hands its target', async () => {
    const scheduled = { version: '0', id: 'd6b8b1c0-0000-4000-8000-000000000001', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '111111111111', time: new Date().toISOString(), region: 'us-east-1', resources: [], detail: {} };
    const [result] = await infrastructure.deliver('MonitoringFreshnessSchedule', scheduled);
    expect(result).toEqual({ stale: 1, resources: 2, slowJobs: 0, missedStarts: 0 });
    expect(backup.requests.some((r) => r.path.startsWith(`/resources/${table('Stale')}/recovery-points`))).toBe(true);
    // What the local vaults hold, by the names the template gives the function.
    expect(backup.requests.filter((r) => r.path.endsWith('/recovery-points/') || r.path.endsWith('/recovery-points')).map((r) => r.path)).toEqual(
      expect.arrayContaining(['/backup-vaults/CompactConnectBackupVault/recovery-points', '/backup-vaults/CompactConnectBackupVault-SSN/recovery-points']),
    );
  });
});
