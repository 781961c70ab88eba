import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openExport, verifyExport } from '../../packages/retention-kit-cli/src/runtime/cognito/export-reader';
import { FolderStore, S3Store } from '../../packages/retention-kit-cli/src/runtime/store';
import { tempDir } from '../support/apps';
import { runCli } from '../support/cli';
import { type CognitoPagingProxy, startCognitoPagingProxy } from '../support/cognito-proxy';
import { localCognitoClient, seedPool } from '../support/cognito-seed';
import { type CognitoLocal, type S3Local, localS3Client, startCognitoLocal, startS3rver } from '../support/servers';

describe('retention cognito export / verify (the CLI, as a separate process)', () => {
  let cognito: CognitoLocal;
  let proxy: CognitoPagingProxy;
  let s3: S3Local;
  let pool: string;

  beforeAll(async () => {
    [cognito, s3] = await Promise.all([startCognitoLocal(), startS3rver(['exports'])]);
    proxy = await startCognitoPagingProxy(cognito.endpoint);
    pool = (await seedPool(localCognitoClient(cognito.endpoint), { users: 200, groups: [{ name: 'staff', members: 190 }, { name: 'leads', members: 70 }] })).userPoolId;
  });
  afterAll(async () => {
    await proxy?.stop();
    await Promise.all([cognito?.stop(), s3?.stop()]);
  });

  const cli = (args: string[], killAt?: number) => runCli(args, { proxy, s3Endpoint: s3.endpoint, killAt });

  it('a run killed mid-way (SIGKILL) continues from its checkpoint to exactly the records of a clean run', async () => {
    const cleanDir = tempDir('clean-');
    const clean = await cli(['cognito', 'export', '--user-pool-id', pool, '--out', cleanDir]);
    expect(clean.stderr).not.toMatch(/FAILED/);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(new RegExp(`${pool}: 201 users .*2 groups, 260 memberships`));
    // cognito-local has no GetProvisionedLimit: each category falls back to its documented default, and says so.
    expect(clean.stderr).toMatch(/Rates:\n {2}UserList 30\/s \(documented default; GetProvisionedLimit refused: .*Cognito Local unsupported feature/);

    const dir = tempDir('killed-');
    // 14 calls of the export, after the 3 rate readings.
    const killed = await cli(['cognito', 'export', '--user-pool-id', pool, '--out', dir], 3 + 14);
    expect(killed.signal).toBe('SIGKILL');
    const store = new FolderStore(dir);
    expect((await store.list(pool)).some((key) => key.endsWith('checkpoint.json'))).toBe(true);
    expect((await store.list(pool)).some((key) => key.endsWith('manifest.json'))).toBe(false);

    const resumed = await cli(['cognito', 'export', '--user-pool-id', pool, '--out', dir]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('continued 1 time from its checkpoint');

    const [a, b] = await Promise.all([openExport(new FolderStore(cleanDir), pool), openExport(store, pool)]);
    expect(b.manifest.digests).toEqual(a.manifest.digests);
    expect(b.manifest.counts).toEqual(a.manifest.counts);
    expect((await verifyExport(b)).problems).toEqual([]);
    const verify = await cli(['cognito', 'verify', '--from', dir, '--user-pool-id', pool]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain('OK, 201 users and 260 memberships match the manifest');
  });

  it('writes to s3://bucket/prefix and verify reads it back; a damaged file fails verify with a non-zero exit', async () => {
    const run = await cli(['cognito', 'export', '--user-pool-id', pool, '--out', 's3://exports/cognito', '--s3-path-style', '--rate', 'UserList=50']);
    expect(run.code).toBe(0);
    const store = new S3Store(localS3Client(s3.endpoint), 'exports', 'cognito');
    const exported = await openExport(store, pool);
    expect(exported.manifest.counts.users).toBe(201);
    const ok = await cli(['cognito', 'verify', '--from', 's3://exports/cognito', '--s3-path-style']);
    expect(ok.code).toBe(0);
    const okJson = await cli(['cognito', 'verify', '--from', 's3://exports/cognito', '--s3-path-style', '--json']);
    expect(JSON.parse(okJson.stdout)).toMatchObject({ ok: true, users: 201, problems: [] });
    await store.put(`${exported.path}/groups.json`, Buffer.from('[]'));
    const bad = await cli(['cognito', 'verify', '--from', 's3://exports/cognito', '--s3-path-style']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('groups.json: SHA-256 differs from the manifest');
    const badJson = await cli(['cognito', 'verify', '--from', 's3://exports/cognito', '--s3-path-style', '--json']);
    expect(badJson.code).toBe(1);
    expect(JSON.parse(badJson.stdout).problems).toEqual(expect.arrayContaining([expect.stringContaining('groups.json: SHA-256 differs from the manifest')]));
  });

  it('a bad --rate is refused with the allowed categories', async () => {
    const run = await cli(['cognito', 'export', '--user-pool-id', pool, '--out', tempDir('x-'), '--rate', 'UserLists=5']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('expected CATEGORY=RPS with CATEGORY one of UserCreation, UserList');
  });
});
