import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openExport, verifyExport } from '../../packages/retention-kit-cli/src/runtime/cognito/export-reader';
import { S3Store } from '../../packages/retention-kit-cli/src/runtime/store';
import { referenceApp, synthesize } from '../support/apps';
import type { Deployment } from '../support/cfn';
import { type CognitoPagingProxy, startCognitoPagingProxy } from '../support/cognito-proxy';
import { localCognitoClient, seedPool, serverState } from '../support/cognito-seed';
import { type CognitoLocal, LOCAL_CREDENTIALS, type S3Local, localS3Client, startCognitoLocal, startS3rver } from '../support/servers';
import { LocalStateMachines } from '../support/state-machines';

/**
 * The reference app's Cognito export state machine, executed from its schedule rule's input: the
 * definition from the template, the export function from its asset with its environment from the
 * template (the user pools and the export bucket mapped to cognito-local and s3rver), and a Lambda
 * clock that advances at each look, so every invocation hands over after about 11 pages.
 */
describe('Cognito export state machine, executed (definition and schedule input from the template; cognito-local + s3rver)', () => {
  let cognito: CognitoLocal;
  let proxy: CognitoPagingProxy;
  let s3: S3Local;
  let pools: string[];
  let env: Deployment & { directory: string };
  const running: LocalStateMachines[] = [];

  const machinesFor = (userPoolIds: [string, string]) => {
    const machines = new LocalStateMachines(env.directory, 'Persistent', env, {
      environment: {
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: proxy.endpoint,
        AWS_ENDPOINT_URL_S3: s3.endpoint,
        POWERTOOLS_METRICS_DISABLED: 'true',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
      physicalIds: { StaffUsers: userPoolIds[0], ProviderUsers: userPoolIds[1], UserPoolExportBucket: 'export-bucket' },
      // Each look at the clock costs 10 s of a 200 s budget, and the function hands over under its 90 s reserve: about 11 pages per invocation.
      remainingMs: () => 200_000,
      msPerCheck: 10_000,
    });
    running.push(machines);
    return machines;
  };

  /** What the schedule rule hands the state machine: its target's Input, from the template. */
  const scheduleInput = () => {
    const rule = Object.values(env.templates.Persistent.Resources).find((r) => r.Type === 'AWS::Events::Rule' && String(r.Properties?.Description).startsWith('Starts the Cognito export'));
    return JSON.parse((rule!.Properties!.Targets as { Input: string }[])[0].Input);
  };

  beforeAll(async () => {
    [cognito, s3] = await Promise.all([startCognitoLocal(), startS3rver(['export-bucket'])]);
    proxy = await startCognitoPagingProxy(cognito.endpoint);
    const seeding = localCognitoClient(cognito.endpoint);
    pools = [
      (await seedPool(seeding, { users: 150, groups: [{ name: 'staff', members: 140 }] })).userPoolId,
      (await seedPool(seeding, { users: 40, groups: [{ name: 'providers', members: 30 }], emailUsernames: true })).userPoolId,
    ];
    env = synthesize(referenceApp());
  }, 120_000);

  afterAll(async () => {
    await Promise.all(running.map((m) => m.stop()));
    await proxy?.stop();
    await Promise.all([cognito?.stop(), s3?.stop()]);
  });

  it('exports both pools across invocations that each hand over, and the export verifies against its manifest', async () => {
    const machines = machinesFor([pools[0], pools[1]]);
    const execution = await machines.run('UserPoolExportStateMachine', scheduleInput());
    expect(execution).toMatchObject({ status: 'SUCCEEDED', output: { status: 'complete', completed: pools, failed: [] } });
    expect(machines.invocationCount()).toBeGreaterThan(2);
    const store = new S3Store(localS3Client(s3.endpoint), 'export-bucket', 'cognito');
    for (const pool of pools) {
      const run = await openExport(store, pool);
      expect((await verifyExport(run)).problems).toEqual([]);
      const server = await serverState(localCognitoClient(cognito.endpoint), pool);
      expect(run.manifest.counts).toMatchObject({ users: server.users.length, memberships: server.memberships.length, groups: 1 });
    }
    // The larger pool was continued from a checkpoint by a later invocation.
    expect((await openExport(store, pools[0])).manifest.resumes).toBeGreaterThan(0);
  });

  it('fails with CognitoExportFailed when a pool cannot be exported', async () => {
    const machines = machinesFor([pools[0], 'us-east-1_NoSuchPool']);
    const execution = await machines.run('UserPoolExportStateMachine', scheduleInput());
    expect(execution).toMatchObject({ status: 'FAILED', error: 'CognitoExportFailed' });
  });
});
