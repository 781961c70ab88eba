import { AdminUpdateUserAttributesCommand } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderStore } from '../../packages/retention-kit-cli/src/runtime/store';
import { tempDir } from '../support/apps';
import { runCli } from '../support/cli';
import { type CognitoPagingProxy, startCognitoPagingProxy } from '../support/cognito-proxy';
import { CUSTOM_ATTRIBUTES, createPool, localCognitoClient, seedPool, serverState } from '../support/cognito-seed';
import { type CognitoLocal, startCognitoLocal } from '../support/servers';

describe('retention cognito restore (the CLI, as a separate process)', () => {
  let cognito: CognitoLocal;
  let proxy: CognitoPagingProxy;
  let source: string;
  const exportDir = tempDir('restore-cli-export-');

  const cli = (args: string[], killAt?: number) => runCli(args, { proxy, killAt });
  const admin = () => localCognitoClient(cognito.endpoint);

  beforeAll(async () => {
    cognito = await startCognitoLocal();
    proxy = await startCognitoPagingProxy(cognito.endpoint);
    source = (await seedPool(admin(), { users: 90, groups: [{ name: 'staff', members: 80 }, { name: 'leads', members: 12 }] })).userPoolId;
    const exported = await cli(['cognito', 'export', '--user-pool-id', source, '--out', exportDir]);
    expect(exported.code).toBe(0);
  });
  afterAll(async () => {
    await proxy?.stop();
    await cognito?.stop();
  });

  it('killed mid-restore (SIGKILL), run again: continues from its checkpoint; every user once, every membership, exit 0', async () => {
    const target = await createPool(admin(), { customAttributes: [...CUSTOM_ATTRIBUTES, 'source_sub'] });
    const state = tempDir('restore-cli-state-');
    const args = ['cognito', 'restore', '--from', exportDir, '--user-pool-id', target, '--state', state];
    // 40 calls of the restore, after the 8 rate readings.
    const killed = await cli(args, 8 + 40);
    expect(killed.signal).toBe('SIGKILL');
    expect((await new FolderStore(state).list('')).some((key) => key.endsWith('checkpoint.json'))).toBe(true);
    const partial = (await serverState(admin(), target)).users.length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(91);

    const resumed = await cli(args);
    expect(resumed.stderr).not.toContain('failed:');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`Restore of ${source} into ${target}`);
    expect(resumed.stdout).toContain('path: per-user calls (no CloudWatch Logs role for an import job was given (--import-role-arn))');
    expect(resumed.stdout).toMatch(/users: 91 exported; \d+ created \(FORCE_CHANGE_PASSWORD \d+\), 0 imported by job, \d+ already there, \d+ disabled again, 0 differ, 0 failed, 0 skipped/);
    expect(resumed.stdout).toContain('memberships: 92 exported;');
    expect(resumed.stdout).toContain('continued 1 time(s) from its checkpoint');
    expect(resumed.stdout).toContain("old sub: each user's old sub is kept in custom:source_sub");

    const state2 = await serverState(admin(), target);
    expect(state2.users).toHaveLength(91);
    expect(new Set(state2.users.map((u) => u.Username)).size).toBe(91);
    expect(state2.memberships).toHaveLength(92);
    expect(state2.users.filter((u) => u.Enabled === false)).toHaveLength(5);

    // A changed user makes the next run exit 2 and name it; nothing is overwritten.
    await admin().send(new AdminUpdateUserAttributesCommand({ UserPoolId: target, Username: 'user-00004', UserAttributes: [{ Name: 'custom:jurisdiction', Value: 'zz' }] }));
    const differing = await cli(args);
    expect(differing.code).toBe(2);
    expect(differing.stdout).toContain('user differs: user-00004: custom:jurisdiction');
  });

  it('a target pool without the custom attributes: exit 1, every missing attribute named, nothing written', async () => {
    const target = await createPool(admin(), { customAttributes: [] });
    const run = await cli(['cognito', 'restore', '--from', exportDir, '--user-pool-id', target, '--state', tempDir('restore-cli-state-')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('restore refused before writing anything');
    expect(run.stderr).toContain('custom:licence_number: exported pool String custom attribute, target pool missing');
    expect(run.stderr).toContain('custom:jurisdiction: exported pool String custom attribute, target pool missing');
    const state = await serverState(admin(), target);
    expect(state.users).toEqual([]);
    expect(state.groups).toEqual([]);
  });
});
