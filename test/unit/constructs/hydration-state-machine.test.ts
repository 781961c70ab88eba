import { beforeAll, describe, expect, it } from 'vitest';
import { referenceApp, synthesize } from '../../support/apps';
import { type Deployment, resolve, stateMachineDefinition } from '../../support/cfn';
import { evaluate } from '../../support/iam';

const ACCOUNT = '111111111111';

describe('HydrationStateMachine in the reference app', () => {
  let deployment: Deployment & { directory: string };
  let resources: Record<string, any>;
  let definition: any;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  beforeAll(() => {
    deployment = synthesize(referenceApp());
    resources = deployment.templates.Persistent.Resources;
    definition = stateMachineDefinition(resources, 'HydrationStateMachine');
  });

  it('plans, copies segments in a Distributed Map, checksums the target in another, then verifies', () => {
    expect(definition.StartAt).toBe('Plan');
    expect(definition.States.Plan).toMatchObject({ Type: 'Task', Next: 'CopySegments', ResultPath: '$.plan', Parameters: { step: 'plan', 'job.$': '$' } });
    for (const [name, step, next, resultPath] of [
      ['CopySegments', 'copy', 'ChecksumTarget', '$.copied'],
      ['ChecksumTarget', 'checksum', 'Verify', '$.readBack'],
    ]) {
      const map = definition.States[name];
      expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$.plan.segments', MaxConcurrency: 16, Next: next, ResultPath: resultPath });
      expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
      expect(map.ItemSelector['segment.$']).toBe('$$.Map.Item.Value.segment');
      const slice = map.ItemProcessor.States[map.ItemProcessor.StartAt];
      expect(slice.Parameters).toEqual({ step, 'task.$': '$' });
      // A slice that is not done is called again with its own output (the position it reached).
      const choice = map.ItemProcessor.States[slice.Next];
      expect(choice.Default).toBe(map.ItemProcessor.StartAt);
      expect(choice.Choices[0]).toMatchObject({ Variable: '$.done', BooleanEquals: true });
      // A refusal is not retried; anything else is, four times.
      expect(slice.Retry.map((r: { ErrorEquals: string[]; MaxAttempts: number }) => [r.ErrorEquals[0], r.MaxAttempts])).toEqual([['HydrateRefusedError', 0], ['States.TaskFailed', 4]]);
    }
    expect(definition.States.Verify.Parameters).toEqual({ step: 'verify', 'source.$': '$.plan.source', 'target.$': '$.plan.target', 'copied.$': '$.copied', 'readBack.$': '$.readBack' });
    const verified = definition.States['Verified?'];
    expect(verified.Choices[0]).toMatchObject({ Variable: '$.verdict.verified', BooleanEquals: true, Next: 'Hydrated' });
    expect(definition.States[verified.Default]).toMatchObject({ Type: 'Fail', Error: 'HydrationMismatch' });
  });

  describe("the worker's permissions, evaluated", () => {
    let policies: unknown[];
    const principal = `arn:aws:iam::${ACCOUNT}:role/HydrationWorkerRole`;
    const tableArn = (name: string) => `arn:aws:dynamodb:${deployment.region}:${ACCOUNT}:table/${name}`;
    let providerTable: string;
    let ssnTable: string;
    const decide = (action: string, resource: string) => evaluate({ principal, action, resource, resourceAccount: ACCOUNT, identityPolicies: policies });

    beforeAll(() => {
      const [roleId, role] = ofType('AWS::IAM::Role').find(([id]) => id.startsWith('HydrationWorkerRole'))!;
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      policies = ofType('AWS::IAM::Policy')
        .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
        .map(([, p]) => resolve(deployment, p.Properties.PolicyDocument));
      const tableId = (name: string) => ofType('AWS::DynamoDB::Table').find(([id]) => id.startsWith(name))![0];
      providerTable = resolve(deployment, { 'Fn::GetAtt': [tableId('ProviderTable'), 'Arn'] });
      ssnTable = resolve(deployment, { 'Fn::GetAtt': [tableId('SSNTable'), 'Arn'] });
    });

    it('may read restored-* tables and fill the named standby tables', async () => {
      for (const action of ['dynamodb:DescribeTable', 'dynamodb:Scan']) expect(await decide(action, tableArn('restored-provider')), action).toBe('Allowed');
      for (const action of ['dynamodb:DescribeTable', 'dynamodb:Scan', 'dynamodb:BatchWriteItem']) expect(await decide(action, providerTable), action).toBe('Allowed');
    });

    it('may not write restored tables, touch the SSN table or any other table, nor delete anything', async () => {
      expect(await decide('dynamodb:BatchWriteItem', tableArn('restored-provider'))).toBe('ImplicitlyDenied');
      for (const action of ['dynamodb:Scan', 'dynamodb:BatchWriteItem']) expect(await decide(action, ssnTable), action).toBe('ImplicitlyDenied');
      expect(await decide('dynamodb:Scan', tableArn('some-other-table'))).toBe('ImplicitlyDenied');
      for (const action of ['dynamodb:DeleteTable', 'dynamodb:DeleteItem', 'dynamodb:UpdateTable', 'dynamodb:PutItem']) expect(await decide(action, providerTable), action).toBe('ImplicitlyDenied');
    });
  });
});
