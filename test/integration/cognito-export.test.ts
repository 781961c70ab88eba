import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userRecord } from '../../packages/retention-kit-cli/src/runtime/cognito/export-format';
import { openExport, readGroups, readMemberships, readPool, readUsers, verifyExport } from '../../packages/retention-kit-cli/src/runtime/cognito/export-reader';
import { CognitoExportError, exportUserPool } from '../../packages/retention-kit-cli/src/runtime/cognito/exporter';
import { FolderStore, type ObjectStore, S3Store } from '../../packages/retention-kit-cli/src/runtime/store';
import { tempDir } from '../support/apps';
import { type CognitoPagingProxy, startCognitoPagingProxy } from '../support/cognito-proxy';
import { localCognitoClient, retryingCognitoClient, seedPool, serverState } from '../support/cognito-seed';
import { type CognitoLocal, type S3Local, localS3Client, startCognitoLocal, startS3rver } from '../support/servers';

const GROUPS = [
  { name: 'staff', members: 130 },
  { name: 'admins', members: 3 },
  { name: 'empty', members: 0 },
];

describe('Cognito export against cognito-local (through the paging proxy) and s3rver', () => {
  let cognito: CognitoLocal;
  let proxy: CognitoPagingProxy;
  let s3: S3Local;
  let plainPool: string;
  let emailPool: string;

  beforeAll(async () => {
    [cognito, s3] = await Promise.all([startCognitoLocal(), startS3rver(['exports'])]);
    proxy = await startCognitoPagingProxy(cognito.endpoint);
    const seeding = localCognitoClient(cognito.endpoint);
    plainPool = (await seedPool(seeding, { users: 150, groups: GROUPS })).userPoolId;
    emailPool = (await seedPool(seeding, { users: 70, groups: [{ name: 'providers', members: 65 }], emailUsernames: true })).userPoolId;
  });
  afterAll(async () => {
    await proxy?.stop();
    await Promise.all([cognito?.stop(), s3?.stop()]);
  });

  /** Asserts that the export at `store` holds exactly what cognito-local holds for the pool. */
  async function expectExportMatchesServer(store: ObjectStore, userPoolId: string) {
    const run = await openExport(store, userPoolId);
    const verification = await verifyExport(run);
    expect(verification.problems).toEqual([]);
    const server = await serverState(localCognitoClient(cognito.endpoint), userPoolId);

    const exported = [];
    for await (const user of readUsers(run)) exported.push(user);
    const byName = (a: { username: string }, b: { username: string }) => a.username.localeCompare(b.username);
    expect(exported.sort(byName)).toEqual(server.users.map(userRecord).sort(byName));

    const memberships = [];
    for await (const membership of readMemberships(run)) memberships.push(`${membership.group}/${membership.username}`);
    expect(memberships.sort()).toEqual(server.memberships.map((m) => `${m.group}/${m.username}`).sort());

    const groups = await readGroups(run);
    expect(groups.map((g) => [g.name, g.description, g.precedence, g.roleArn]).sort()).toEqual(
      server.groups.map((g) => [g.GroupName, g.Description, g.Precedence, g.RoleArn]).sort(),
    );
    const pool = await readPool(run);
    expect(pool.userPool.Id).toBe(userPoolId);
    expect(JSON.stringify(pool.userPool.SchemaAttributes)).toContain('custom:licence_number');
    expect(pool.mfaConfiguration.MfaConfiguration).toBe('OFF');

    expect(run.manifest.counts.users).toBe(server.users.length);
    expect(run.manifest.counts.memberships).toBe(server.memberships.length);
    expect(run.manifest.counts.groups).toBe(server.groups.length);
    return run;
  }

  it('exports every user, attribute, status, group and membership of a plain-username pool to S3', async () => {
    const store = new S3Store(localS3Client(s3.endpoint), 'exports', 'cognito');
    proxy.resetCounts();
    const result = await exportUserPool({ client: retryingCognitoClient(proxy.endpoint), store, userPoolId: plainPool, pageSize: 10, pagesPerPart: 2 });
    expect(result.status).toBe('complete');
    const run = await expectExportMatchesServer(store, plainPool);
    expect(run.manifest.counts.usersByStatus).toMatchObject({ CONFIRMED: 50, FORCE_CHANGE_PASSWORD: 100, UNCONFIRMED: 1 });
    expect(run.manifest.counts.disabledUsers).toBe(9);
    // More than one page per membership list and per segment: the paging was exercised.
    expect(proxy.callCount('ListUsersInGroup')).toBeGreaterThan(13);
    expect(proxy.callCount('ListUsers')).toBeGreaterThan(16);
    expect(run.manifest.calls.ListUsers).toBe(proxy.callCount('ListUsers'));
    // Non-ASCII values survive byte for byte.
    const names = [];
    for await (const user of readUsers(run)) names.push(user.attributes.given_name, user.attributes['custom:licence_number']);
    expect(names).toEqual(expect.arrayContaining(['美咲', 'Łukasz', 'LIC-7-ß']));
    // Nothing left behind but complete runs.
    expect((await store.list('')).some((key) => key.endsWith('checkpoint.json'))).toBe(false);
  });

  it('exports an email-username pool to a folder in one unsegmented listing', async () => {
    const store = new FolderStore(tempDir('export-'));
    const result = await exportUserPool({ client: retryingCognitoClient(proxy.endpoint), store, userPoolId: emailPool, segmentUsers: false });
    expect(result.status).toBe('complete');
    const run = await expectExportMatchesServer(store, emailPool);
    expect(run.manifest.files.filter((f) => f.path.startsWith('users/')).map((f) => f.path)).toEqual(['users/all-00000.jsonl.gz']);
    expect(proxy.callCount()).toBeGreaterThan(0);
  });

  it('each run is kept whole and separate: a second run writes a new folder and leaves the first', async () => {
    const store = new FolderStore(tempDir('export-'));
    const client = retryingCognitoClient(proxy.endpoint);
    const first = await exportUserPool({ client, store, userPoolId: emailPool, now: () => new Date('2026-11-20T02:00:00Z') });
    const second = await exportUserPool({ client, store, userPoolId: emailPool, now: () => new Date('2026-11-21T02:00:00Z') });
    expect([first.runId, second.runId]).toEqual(['20261120T020000Z', '20261121T020000Z']);
    const manifests = (await store.list(emailPool)).filter((key) => key.endsWith('manifest.json'));
    expect(manifests).toHaveLength(2);
    expect((await openExport(store, emailPool)).manifest.runId).toBe('20261121T020000Z');
  });

  describe('faults: nothing lost, nothing duplicated', () => {
    let clean: { users: string; memberships: string; counts: unknown };

    beforeAll(async () => {
      const store = new FolderStore(tempDir('export-'));
      const result = await exportUserPool({ client: retryingCognitoClient(proxy.endpoint), store, userPoolId: plainPool, pageSize: 10, pagesPerPart: 2 });
      if (result.status !== 'complete') throw new Error('clean run did not complete');
      clean = { users: result.manifest.digests.users, memberships: result.manifest.digests.memberships, counts: result.manifest.counts };
    });

    it('TooManyRequestsException and 5xx on every third call are retried to the same result', async () => {
      const store = new FolderStore(tempDir('export-'));
      proxy.resetCounts();
      proxy.setFaults((call) => (call.total % 3 === 0 ? (call.total % 2 === 0 ? 'throttle' : 'server-error') : undefined));
      try {
        const result = await exportUserPool({ client: retryingCognitoClient(proxy.endpoint), store, userPoolId: plainPool, pageSize: 10, pagesPerPart: 2 });
        expect(result.status).toBe('complete');
        if (result.status !== 'complete') return;
        expect([...proxy.faults.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(10);
        expect(result.manifest.digests).toMatchObject({ users: clean.users, memberships: clean.memberships });
        expect(result.manifest.counts).toEqual(clean.counts);
        expect((await verifyExport(await openExport(store, plainPool))).problems).toEqual([]);
      } finally {
        proxy.setFaults(undefined);
      }
    });

    it('a run asked to stop mid-way pauses at a part boundary and resumes to the same result', async () => {
      const store = new FolderStore(tempDir('export-'));
      const client = retryingCognitoClient(proxy.endpoint);
      let pages = 0;
      proxy.onCall((operation) => {
        if (operation.startsWith('ListUsers')) pages += 1;
      });
      try {
        const paused = await exportUserPool({ client, store, userPoolId: plainPool, pageSize: 10, pagesPerPart: 2, shouldStop: () => pages >= 12 });
        expect(paused.status).toBe('paused');
        expect((await store.list(plainPool)).some((key) => key.endsWith('manifest.json'))).toBe(false);
        const resumed = await exportUserPool({ client, store, userPoolId: plainPool, pageSize: 10, pagesPerPart: 2 });
        expect(resumed.status).toBe('complete');
        if (resumed.status !== 'complete') return;
        expect(resumed.runId).toBe(paused.runId);
        expect(resumed.manifest.resumes).toBe(1);
        expect(resumed.manifest.digests).toMatchObject({ users: clean.users, memberships: clean.memberships });
        expect(resumed.manifest.counts).toEqual(clean.counts);
      } finally {
        proxy.onCall(undefined);
      }
    });

    it('a run whose calls keep failing stops with a resumable error; the next run continues it', async () => {
      const store = new FolderStore(tempDir('export-'));
      proxy.setFaults(({ operation, index }) => (operation === 'ListUsersInGroup' && index > 5 ? 'server-error' : undefined));
      proxy.resetCounts();
      try {
        await expect(
          exportUserPool({ client: localCognitoClient(proxy.endpoint), store, userPoolId: plainPool, pageSize: 10, pagesPerPart: 2 }),
        ).rejects.toBeInstanceOf(CognitoExportError);
      } finally {
        proxy.setFaults(undefined);
      }
      expect((await store.list(plainPool)).filter((key) => key.endsWith('checkpoint.json'))).toHaveLength(1);
      const resumed = await exportUserPool({ client: localCognitoClient(proxy.endpoint), store, userPoolId: plainPool, pageSize: 10, pagesPerPart: 2 });
      expect(resumed.status).toBe('complete');
      if (resumed.status !== 'complete') return;
      expect(resumed.manifest.digests).toMatchObject({ users: clean.users, memberships: clean.memberships });
    });

    it('a saved pagination token the server no longer accepts restarts that segment, without duplicates', async () => {
      const store = new FolderStore(tempDir('export-'));
      const client = retryingCognitoClient(proxy.endpoint);
      let calls = 0;
      proxy.onCall(() => (calls += 1));
      const paused = await exportUserPool({ client, store, userPoolId: plainPool, pageSize: 10, pagesPerPart: 1, segmentUsers: false, shouldStop: () => calls > 8 });
      proxy.onCall(undefined);
      expect(paused.status).toBe('paused');
      const key = `${plainPool}/checkpoint.json`;
      const checkpoint = JSON.parse((await store.get(key))!.toString()) as { streams: { token?: string; done: boolean }[] };
      const tampered = checkpoint.streams.filter((s) => s.token);
      expect(tampered.length).toBeGreaterThan(0);
      for (const stream of tampered) stream.token = Buffer.from('{"key":"expired","offset":0}').toString('base64');
      await store.put(key, Buffer.from(JSON.stringify(checkpoint)));
      const resumed = await exportUserPool({ client, store, userPoolId: plainPool, pageSize: 10, pagesPerPart: 1, segmentUsers: false });
      expect(resumed.status).toBe('complete');
      if (resumed.status !== 'complete') return;
      expect(resumed.manifest.digests).toMatchObject({ users: clean.users, memberships: clean.memberships });
      expect((await verifyExport(await openExport(store, plainPool))).problems).toEqual([]);
    });
  });

  it('verification catches a changed file', async () => {
    const store = new FolderStore(tempDir('export-'));
    await exportUserPool({ client: retryingCognitoClient(proxy.endpoint), store, userPoolId: emailPool });
    const run = await openExport(store, emailPool);
    const part = run.manifest.files.find((f) => f.path.startsWith('users/'))!;
    await store.put(`${run.path}/${part.path}`, Buffer.from('not gzip'));
    const verification = await verifyExport(run);
    expect(verification.ok).toBe(false);
    expect(verification.problems.join('\n')).toContain(`${part.path}: SHA-256 differs from the manifest`);
  });

  it('S3 bucket creation works on s3rver (sanity for the S3 store)', async () => {
    await localS3Client(s3.endpoint).send(new CreateBucketCommand({ Bucket: 'another' }));
    const store = new S3Store(localS3Client(s3.endpoint), 'another');
    await store.put('a/b.json', Buffer.from('{}'));
    expect(await store.list('a')).toEqual(['a/b.json']);
    expect((await store.get('a/b.json'))?.toString()).toBe('{}');
    expect(await store.get('a/missing.json')).toBeUndefined();
  });
});
