import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { RecoveryBackup, TableRecoveryStateMachine } from '../../../packages/retention-kit/src/constructs/table-recovery-state-machine';
import { referenceApp, synthesize } from '../../support/apps';
import { type Deployment, resolve, stateMachineDefinition } from '../../support/cfn';
import { evaluate } from '../../support/iam';

const ACCOUNT = '111111111111';

describe('TableRecoveryStateMachine in the reference app (ProviderTable)', () => {
  let deployment: Deployment & { directory: string };
  let resources: Record<string, any>;
  let definition: any;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const tableId = (name: string) => ofType('AWS::DynamoDB::Table').find(([id]) => id.startsWith(name))![0];

  beforeAll(() => {
    deployment = synthesize(referenceApp());
    resources = deployment.templates.Persistent.Resources;
    definition = stateMachineDefinition(resources, 'ProviderTableRecovery');
  });

  it('checks, backs up, restores, pauses the application, syncs and verifies in a Parallel whose failure restores the functions, then removes the copy only when verified and asked', () => {
    const states = definition.States;
    expect(definition.StartAt).toBe('Check');
    expect(states.Check).toMatchObject({ Type: 'Task', Next: 'Resume?', ResultPath: '$.plan', Parameters: { step: 'check', 'input.$': '$' } });
    // An execution that continues an earlier one skips the backup (already taken) and finds the copy restored.
    expect(states['Resume?'].Choices[0]).toMatchObject({ Variable: '$.plan.resume', BooleanEquals: true, Next: 'RestoreStart' });
    expect(states['Resume?'].Default).toBe('BackupStart');
    // A refusal is an answer: the check is retried on the Lambda service's errors only.
    expect(states.Check.Retry.flatMap((retry: { ErrorEquals: string[] }) => retry.ErrorEquals)).not.toContain('States.TaskFailed');
    expect(states.BackupStart).toMatchObject({ Next: 'BackupDone?', ResultPath: '$.backup' });
    expect(states['BackupDone?'].Choices[0]).toMatchObject({ Variable: '$.backup.done', BooleanEquals: true, Next: 'RestoreStart' });
    expect(states[states['BackupDone?'].Default]).toMatchObject({ Type: 'Wait', Next: 'BackupStatus' });
    expect(states.BackupStatus.Next).toBe('BackupDone?');
    expect(states.RestoreStart).toMatchObject({ Next: 'WaitForRestore', Parameters: { step: 'restore-start' } });
    expect(states.WaitForRestore).toMatchObject({ Type: 'Wait', Seconds: 60, Next: 'RestoreStatus' });
    expect(states['Restored?'].Choices[0]).toMatchObject({ Variable: '$.restore.finished', BooleanEquals: true, Next: 'PauseFunctions' });
    expect(states['Restored?'].Default).toBe('WaitForRestore');
    expect(states.PauseFunctions).toMatchObject({ Parameters: { step: 'pause' }, Next: 'SyncAndVerify' });

    const parallel = states.SyncAndVerify;
    expect(parallel).toMatchObject({ Type: 'Parallel', Next: 'ResumeFunctions', ResultPath: '$.sync' });
    expect(parallel.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'ResumeFunctionsAfterFailure' }]);
    expect(states.ResumeFunctionsAfterFailure).toMatchObject({ Parameters: { step: 'resume-functions' }, Next: 'SyncFailed' });
    expect(states.SyncFailed).toMatchObject({ Type: 'Fail', Error: 'RecoverySyncFailed' });
    expect(states.ResumeFunctions).toMatchObject({ Parameters: { step: 'resume-functions' }, Next: 'Verified?' });

    const branch = parallel.Branches[0];
    expect(branch.StartAt).toBe('SyncSegments');
    const sync = branch.States.SyncSegments;
    expect(sync).toMatchObject({ Type: 'Map', ItemsPath: '$.plan.tasks', MaxConcurrency: 16, Next: 'ChecksumLiveTable', ResultPath: '$.synced' });
    expect(sync.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(sync.ItemSelector).toMatchObject({ 'source.$': '$.plan.recoveryTable', 'target.$': '$.plan.table', 'keyNames.$': '$.plan.keyNames', 'pass.$': '$$.Map.Item.Value.pass' });
    const slice = sync.ItemProcessor.States[sync.ItemProcessor.StartAt];
    expect(slice.Parameters).toEqual({ step: 'sync', 'task.$': '$' });
    // A slice that is not done is called again with its own output (the position it reached).
    expect(sync.ItemProcessor.States[slice.Next].Default).toBe(sync.ItemProcessor.StartAt);
    const checksum = branch.States.ChecksumLiveTable;
    expect(checksum).toMatchObject({ ItemsPath: '$.plan.segments', Next: 'Verify', ResultPath: '$.readBack' });
    expect(checksum.ItemSelector).toMatchObject({ 'source.$': '$.plan.table', 'target.$': '$.plan.table' });
    expect(branch.States.Verify.Parameters).toEqual({ step: 'verify', 'source.$': '$.plan.recoveryTable', 'target.$': '$.plan.table', 'synced.$': '$.synced', 'readBack.$': '$.readBack' });

    const verified = states['Verified?'];
    expect(verified.Choices[0]).toMatchObject({ And: [{ Variable: '$.sync.verdict.verified', BooleanEquals: true }, { Variable: '$.plan.removeRecoveryTable', BooleanEquals: true }], Next: 'RemoveRecoveryTable' });
    expect(verified.Choices[1]).toMatchObject({ Variable: '$.sync.verdict.verified', BooleanEquals: true, Next: 'Recovered' });
    expect(states[verified.Default]).toMatchObject({ Type: 'Fail', Error: 'RecoveryMismatch' });
    expect(states.RemoveRecoveryTable.Next).toBe('Recovered');
  });

  it("configures the control function with its one table, the category vault's backup and the functions to pause", () => {
    const [, control] = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('ProviderTableRecoveryControl'))!;
    const env = resolve(deployment, control.Properties.Environment.Variables);
    expect(env.TABLE_NAME).toBe(resolve(deployment, { Ref: tableId('ProviderTable') }));
    expect(JSON.parse(env.PAUSE_FUNCTIONS)).toEqual(['provider-api']);
    const backup = JSON.parse(env.PRE_RECOVERY_BACKUP);
    expect(backup).toMatchObject({ kind: 'aws-backup', deleteAfterDays: expect.any(Number) });
    expect(backup.vaultName).toBeTruthy();
    expect(backup.roleArn).toMatch(/^arn:aws:iam::/);
  });

  describe("the roles' permissions, evaluated", () => {
    const policiesOf = (rolePrefix: string) => {
      const [roleId, role] = ofType('AWS::IAM::Role').find(([id]) => id.startsWith(rolePrefix))!;
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      return ofType('AWS::IAM::Policy')
        .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
        .map(([, p]) => resolve(deployment, p.Properties.PolicyDocument));
    };
    const tableArn = (name: string) => `arn:aws:dynamodb:${deployment.region}:${ACCOUNT}:table/${name}`;
    let provider: string;
    let providerArn: string;
    let staffArn: string;
    const decide = (policies: unknown[], action: string, resource: string, context?: Record<string, string>) =>
      evaluate({ principal: `arn:aws:iam::${ACCOUNT}:role/recovery`, action, resource, resourceAccount: ACCOUNT, identityPolicies: policies, context });

    beforeAll(() => {
      provider = resolve(deployment, { Ref: tableId('ProviderTable') });
      providerArn = tableArn(provider);
      staffArn = tableArn(resolve(deployment, { Ref: tableId('StaffUsersTable') }));
    });

    it('control: may back up and restore the provider table into its recovery copies and set the API function\'s concurrency, but read or write no item of it', async () => {
      const policies = policiesOf('ProviderTableRecoveryControlRole');
      for (const action of ['dynamodb:DescribeTable', 'dynamodb:DescribeContinuousBackups', 'dynamodb:CreateBackup', 'dynamodb:RestoreTableToPointInTime']) expect(await decide(policies, action, providerArn), action).toBe('Allowed');
      expect(await decide(policies, 'dynamodb:DescribeBackup', `${providerArn}/backup/01700000000000-abcdef`)).toBe('Allowed');
      for (const action of ['dynamodb:DescribeTable', 'dynamodb:DeleteTable', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem']) expect(await decide(policies, action, tableArn(`${provider}-recovery-INC-42`)), action).toBe('Allowed');
      for (const action of ['lambda:GetFunctionConcurrency', 'lambda:PutFunctionConcurrency', 'lambda:DeleteFunctionConcurrency']) {
        expect(await decide(policies, action, `arn:aws:lambda:${deployment.region}:${ACCOUNT}:function:provider-api`), action).toBe('Allowed');
        expect(await decide(policies, action, `arn:aws:lambda:${deployment.region}:${ACCOUNT}:function:some-other-function`), action).toBe('ImplicitlyDenied');
      }
      for (const action of ['dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:DeleteTable', 'dynamodb:UpdateTable']) {
        expect(await decide(policies, action, providerArn), action).toBe('ImplicitlyDenied');
      }
      for (const action of ['dynamodb:RestoreTableToPointInTime', 'dynamodb:CreateBackup']) expect(await decide(policies, action, staffArn), action).toBe('ImplicitlyDenied');
      expect(await decide(policies, 'dynamodb:DeleteTable', tableArn(`${resolve(deployment, { Ref: tableId('StaffUsersTable') })}-recovery-INC-42`))).toBe('ImplicitlyDenied');
    });

    it('control: may start a backup job only in the category vault, and pass the backup role only to AWS Backup', async () => {
      const policies = policiesOf('ProviderTableRecoveryControlRole');
      const [, control] = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('ProviderTableRecoveryControl'))!;
      const backup = JSON.parse(resolve(deployment, control.Properties.Environment.Variables).PRE_RECOVERY_BACKUP);
      const vaultArn = `arn:aws:backup:${deployment.region}:${ACCOUNT}:backup-vault:${backup.vaultName}`;
      expect(await decide(policies, 'backup:StartBackupJob', vaultArn)).toBe('Allowed');
      expect(await decide(policies, 'backup:StartBackupJob', `arn:aws:backup:${deployment.region}:${ACCOUNT}:backup-vault:other-vault`)).toBe('ImplicitlyDenied');
      expect(await decide(policies, 'iam:PassRole', backup.roleArn, { 'iam:PassedToService': 'backup.amazonaws.com' })).toBe('Allowed');
      expect(await decide(policies, 'iam:PassRole', backup.roleArn, { 'iam:PassedToService': 'lambda.amazonaws.com' })).toBe('ImplicitlyDenied');
    });

    it('sync: may read the recovery copies and repair the provider table, and nothing else', async () => {
      const policies = policiesOf('ProviderTableRecoverySyncRole');
      for (const action of ['dynamodb:DescribeTable', 'dynamodb:Scan', 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem']) expect(await decide(policies, action, providerArn), action).toBe('Allowed');
      for (const action of ['dynamodb:Scan', 'dynamodb:BatchGetItem']) expect(await decide(policies, action, tableArn(`${provider}-recovery-INC-42`)), action).toBe('Allowed');
      expect(await decide(policies, 'dynamodb:BatchWriteItem', tableArn(`${provider}-recovery-INC-42`))).toBe('ImplicitlyDenied');
      for (const action of ['dynamodb:RestoreTableToPointInTime', 'dynamodb:CreateBackup', 'dynamodb:DeleteTable', 'dynamodb:UpdateTable']) expect(await decide(policies, action, providerArn), action).toBe('ImplicitlyDenied');
      for (const action of ['dynamodb:Scan', 'dynamodb:BatchWriteItem']) expect(await decide(policies, action, staffArn), action).toBe('ImplicitlyDenied');
      expect(await decide(policies, 'lambda:PutFunctionConcurrency', `arn:aws:lambda:${deployment.region}:${ACCOUNT}:function:provider-api`)).toBe('ImplicitlyDenied');
    });
  });
});

describe('TableRecoveryStateMachine settings', () => {
  const table = (stack: Stack) => new dynamodb.Table(stack, 'Orders', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });

  it('refuses a backup skipped without a reason and a maxConcurrency out of range, naming the value', () => {
    expect(() => RecoveryBackup.none('  ')).toThrow('RecoveryBackup.none needs the reason');
    const stack = new Stack(new App(), 'S');
    expect(() => new TableRecoveryStateMachine(stack, 'Recovery', { table: table(stack), maxConcurrency: 0 })).toThrow('S/Recovery: maxConcurrency must be a whole number from 1 to 1,000, got 0');
  });

  it('without functions to pause, goes from the restore straight to the sync, and by default takes a DynamoDB backup', () => {
    const stack = new Stack(new App(), 'S');
    const recovery = new TableRecoveryStateMachine(stack, 'Recovery', { table: table(stack) });
    const template = Template.fromStack(stack);
    const machine = JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(machine).toContain('\\"Next\\":\\"SyncAndVerify\\"');
    expect(machine).not.toContain('PauseFunctions');
    const controlId = stack.getLogicalId(recovery.controlFunction.node.defaultChild as CfnResource);
    expect(template.toJSON().Resources[controlId].Properties.Environment.Variables.PRE_RECOVERY_BACKUP).toBe('{"kind":"dynamodb"}');
    // Without functions, the control role gets no Lambda permission at all.
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('lambda:PutFunctionConcurrency');
  });
});
