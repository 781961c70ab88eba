import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CognitoExportState } from 'retention-kit/policy';
import { builtHandler } from '../support/handlers';
import { openExport, verifyExport } from '../../packages/retention-kit-cli/src/runtime/cognito/export-reader';
import { S3Store } from '../../packages/retention-kit-cli/src/runtime/store';
import { type CognitoPagingProxy, startCognitoPagingProxy } from '../support/cognito-proxy';
import { localCognitoClient, seedPool, serverState } from '../support/cognito-seed';
import { type CognitoLocal, LOCAL_CREDENTIALS, type S3Local, localS3Client, startCognitoLocal, startS3rver } from '../support/servers';

describe('the export Lambda handler, looped as the state machine loops it (cognito-local + s3rver)', () => {
  let cognito: CognitoLocal;
  let proxy: CognitoPagingProxy;
  let s3: S3Local;
  let pools: string[];
  const saved = { ...process.env };

  beforeAll(async () => {
    [cognito, s3] = await Promise.all([startCognitoLocal(), startS3rver(['export-bucket'])]);
    proxy = await startCognitoPagingProxy(cognito.endpoint);
    const seeding = localCognitoClient(cognito.endpoint);
    pools = [
      (await seedPool(seeding, { users: 150, groups: [{ name: 'staff', members: 140 }] })).userPoolId,
      (await seedPool(seeding, { users: 40, groups: [{ name: 'providers', members: 30 }], emailUsernames: true })).userPoolId,
    ];
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: proxy.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      S3_PATH_STYLE: 'true',
      USER_POOL_IDS: JSON.stringify(pools),
      EXPORT_BUCKET: 'export-bucket',
      EXPORT_PREFIX: 'cognito',
      HANDOVER_MS: '90000',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
  });
  afterAll(async () => {
    process.env = saved;
    await proxy?.stop();
    await Promise.all([cognito?.stop(), s3?.stop()]);
  });

  it('hands over before its time runs out and finishes both pools across invocations, complete and verified', async () => {
    const handler = builtHandler('cognito-export');
    let state: CognitoExportState = { status: 'continue', completed: [], failed: [] };
    let invocations = 0;
    while (state.status === 'continue' && invocations < 20) {
      invocations += 1;
      // Each check of the clock costs 10 s of a 200 s budget: the handler must stop after about 11 pages.
      let remaining = 200_000;
      state = await handler(state, { getRemainingTimeInMillis: () => (remaining -= 10_000) });
    }
    expect(state).toEqual({ status: 'complete', completed: pools, failed: [] });
    expect(invocations).toBeGreaterThan(1);

    const store = new S3Store(localS3Client(s3.endpoint), 'export-bucket', 'cognito');
    for (const pool of pools) {
      const run = await openExport(store, pool);
      expect((await verifyExport(run)).problems).toEqual([]);
      const server = await serverState(localCognitoClient(cognito.endpoint), pool);
      expect(run.manifest.counts).toMatchObject({ users: server.users.length, memberships: server.memberships.length, groups: 1 });
    }
    expect((await openExport(store, pools[0])).manifest.resumes).toBeGreaterThan(0);
  });
});
