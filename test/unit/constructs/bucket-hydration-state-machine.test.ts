import { beforeAll, describe, expect, it } from 'vitest';
import { referenceApp, synthesize } from '../../support/apps';
import { type Deployment, resolve, stateMachineDefinition } from '../../support/cfn';
import { evaluate } from '../../support/iam';

const ACCOUNT = '111111111111';

describe('BucketHydrationStateMachine in the reference app', () => {
  let deployment: Deployment & { directory: string };
  let resources: Record<string, any>;
  let definition: any;
  let machineRoleId: string;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const policiesOf = (roleId: string) =>
    ofType('AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
      .map(([, p]) => resolve(deployment, p.Properties.PolicyDocument));

  beforeAll(() => {
    deployment = synthesize(referenceApp());
    resources = deployment.templates.Persistent.Resources;
    const [, machine] = ofType('AWS::StepFunctions::StateMachine').find(([id]) => id.startsWith('BucketHydrationStateMachine'))!;
    machineRoleId = machine.Properties.RoleArn['Fn::GetAtt'][0];
    definition = stateMachineDefinition(resources, 'BucketHydrationStateMachine');
  });

  it('lists the restored bucket named in the input, copies its objects in batches, then verifies every object', () => {
    expect(definition.StartAt).toBe('CopyObjects');
    for (const [name, step, next] of [
      ['CopyObjects', 'copy', 'VerifyObjects'],
      ['VerifyObjects', 'verify', 'Hydrated'],
    ]) {
      const map = definition.States[name];
      expect(map).toMatchObject({ Type: 'Map', Next: next, MaxConcurrency: 32, ResultPath: null });
      expect(map.ItemReader).toEqual({ Resource: expect.stringMatching(/:states:::s3:listObjectsV2$/), Parameters: { 'Bucket.$': '$.source' } });
      expect(map.ItemBatcher).toEqual({ MaxItemsPerBatch: 200, BatchInput: { 'source.$': '$.source', 'target.$': '$.target' } });
      expect(map.ItemProcessor.ProcessorConfig.Mode).toBe('DISTRIBUTED');
      const task = map.ItemProcessor.States[map.ItemProcessor.StartAt];
      expect(task.Parameters).toEqual({ step, 'batch.$': '$.BatchInput', 'items.$': '$.Items' });
    }
  });

  it('lets the state machine list restored-* buckets only', async () => {
    const policies = policiesOf(machineRoleId);
    const principal = `arn:aws:iam::${ACCOUNT}:role/BucketHydrationStateMachineRole`;
    expect(await evaluate({ principal, action: 's3:ListBucket', resource: 'arn:aws:s3:::restored-documents', resourceAccount: ACCOUNT, identityPolicies: policies })).toBe('Allowed');
    expect(await evaluate({ principal, action: 's3:ListBucket', resource: 'arn:aws:s3:::payroll', resourceAccount: ACCOUNT, identityPolicies: policies })).toBe('ImplicitlyDenied');
  });

  describe("the worker's permissions, evaluated", () => {
    let policies: unknown[];
    let standby: string;
    const principal = `arn:aws:iam::${ACCOUNT}:role/BucketHydrationWorkerRole`;
    const decide = (action: string, resource: string) => evaluate({ principal, action, resource, resourceAccount: ACCOUNT, identityPolicies: policies });

    beforeAll(() => {
      const [roleId] = ofType('AWS::IAM::Role').find(([id]) => id.startsWith('BucketHydrationWorkerRole'))!;
      policies = policiesOf(roleId);
      standby = resolve(deployment, { 'Fn::GetAtt': [ofType('AWS::S3::Bucket').find(([id]) => id.startsWith('ProviderUsersBucket'))![0], 'Arn'] });
    });

    it('may read restored objects with their tags, and write objects and tags into the standby bucket', async () => {
      for (const action of ['s3:GetObject', 's3:GetObjectTagging']) expect(await decide(action, 'arn:aws:s3:::restored-documents/a/b.pdf'), action).toBe('Allowed');
      for (const action of ['s3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload']) expect(await decide(action, `${standby}/a/b.pdf`), action).toBe('Allowed');
    });

    it('may not write restored buckets, read or write any other bucket, nor delete anything', async () => {
      expect(await decide('s3:PutObject', 'arn:aws:s3:::restored-documents/a')).toBe('ImplicitlyDenied');
      for (const action of ['s3:GetObject', 's3:PutObject']) expect(await decide(action, 'arn:aws:s3:::payroll/a'), action).toBe('ImplicitlyDenied');
      for (const action of ['s3:DeleteObject', 's3:DeleteObjectVersion']) expect(await decide(action, `${standby}/a`), action).toBe('ImplicitlyDenied');
      for (const action of ['s3:DeleteBucket', 's3:PutBucketPolicy']) expect(await decide(action, standby), action).toBe('ImplicitlyDenied');
    });
  });
});
