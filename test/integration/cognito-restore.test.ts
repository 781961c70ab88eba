import { AdminUpdateUserAttributesCommand } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../packages/retention-kit-cli/src/runtime/cognito/export-format';
import { type ExportRun, openExport, readGroups, readMemberships, readUsers } from '../../packages/retention-kit-cli/src/runtime/cognito/export-reader';
import { exportUserPool } from '../../packages/retention-kit-cli/src/runtime/cognito/exporter';
import { FIELDS_THAT_DO_NOT_SURVIVE } from '../../packages/retention-kit-cli/src/runtime/cognito/restore-model';
import { RestoreRefusedError, type RestoreSummary, restoreUserPool } from '../../packages/retention-kit-cli/src/runtime/cognito/restorer';
import { formatRestoreSummary } from '../../packages/retention-kit-cli/src/runtime/cognito/restore-summary';
import { FolderStore } from '../../packages/retention-kit-cli/src/runtime/store';
import { tempDir } from '../support/apps';
import { emulateImportJobs } from '../support/cognito-import-emulation';
import { type CognitoPagingProxy, everyNth, startCognitoPagingProxy } from '../support/cognito-proxy';
import { CUSTOM_ATTRIBUTES, createPool, localCognitoClient, retryingCognitoClient, seedPool, serverState } from '../support/cognito-seed';
import { type CognitoLocal, startCognitoLocal } from '../support/servers';

const GROUPS = [
  { name: 'staff', members: 130 },
  { name: 'admins', members: 3 },
  { name: 'empty', members: 0 },
];
const WRITES = ['AdminCreateUser', 'AdminDisableUser', 'AdminAddUserToGroup', 'CreateGroup'];
const WITH_SOURCE_SUB = [...CUSTOM_ATTRIBUTES, 'source_sub'];

/** What an export holds, keyed by the name users sign in with (usernames change in email pools). */
interface ExportState {
  users: Map<string, UserRecord>;
  memberships: string[];
  groups: unknown[];
  run: ExportRun;
}

describe('Cognito restore into a new pool, on cognito-local behind the paging and fault-injecting proxy', () => {
  let cognito: CognitoLocal;
  let proxy: CognitoPagingProxy;
  let plainPool: string;
  let emailPool: string;
  let plainExport: ExportState;
  let emailExport: ExportState;
  const exports = new FolderStore(tempDir('cognito-exports-'));

  const admin = () => localCognitoClient(cognito.endpoint);
  const client = () => retryingCognitoClient(proxy.endpoint);

  async function exportPool(userPoolId: string, keyOf: (user: UserRecord) => string): Promise<ExportState> {
    const result = await exportUserPool({ client: client(), store: exports, userPoolId, pageSize: 25, pagesPerPart: 2 });
    expect(result.status).toBe('complete');
    const run = await openExport(exports, userPoolId);
    const users = new Map<string, UserRecord>();
    const names = new Map<string, string>();
    for await (const user of readUsers(run)) {
      users.set(keyOf(user), user);
      names.set(user.username, keyOf(user));
    }
    const memberships: string[] = [];
    for await (const m of readMemberships(run)) memberships.push(`${m.group}/${names.get(m.username)}`);
    const groups = (await readGroups(run)).map(({ name, description, precedence, roleArn }) => ({ name, description, precedence, roleArn }));
    return { users, memberships: memberships.sort(), groups: groups.sort((a, b) => a.name.localeCompare(b.name)), run };
  }
  const byUsername = (user: UserRecord) => user.username;
  const byEmail = (user: UserRecord) => user.attributes.email;

  function restore(target: string, run: ExportRun, extra: Partial<Parameters<typeof restoreUserPool>[0]> = {}) {
    return restoreUserPool({ client: client(), run, targetUserPoolId: target, state: new FolderStore(tempDir('restore-state-')), ...extra });
  }

  /**
   * The round-trip check: the target's export equals the source's in everything except the fields
   * that cannot survive a restore, and those changed exactly as documented.
   */
  function expectSameExceptUnsurvivable(source: ExportState, restored: ExportState) {
    expect([...restored.users.keys()].sort()).toEqual([...source.users.keys()].sort());
    const survivable = (user: UserRecord) => {
      const { sub: _sub, 'custom:source_sub': _kept, ...attributes } = user.attributes;
      return { attributes, enabled: user.enabled, mfaOptions: user.mfaOptions };
    };
    for (const [key, before] of source.users) {
      const after = restored.users.get(key)!;
      expect(survivable(after), key).toEqual(survivable(before));
      // sub: new, the old one kept in custom:source_sub.
      expect(after.attributes.sub).not.toBe(before.attributes.sub);
      expect(after.attributes['custom:source_sub']).toBe(before.attributes.sub);
      // status: every restored user must set a new password.
      expect(after.status).toBe('FORCE_CHANGE_PASSWORD');
      // createdAt: the restore's time.
      expect(Date.parse(after.createdAt!)).toBeGreaterThanOrEqual(Date.parse(before.createdAt!));
    }
    expect(restored.groups).toEqual(source.groups);
    expect(restored.memberships).toEqual(source.memberships);
  }

  function expectNothingFailed(summary: RestoreSummary) {
    expect(summary.users.failed.items).toEqual([]);
    expect(summary.users.differing.items).toEqual([]);
    expect(summary.memberships.failed.items).toEqual([]);
    expect(summary.groups.differing.items).toEqual([]);
  }

  beforeAll(async () => {
    cognito = await startCognitoLocal();
    proxy = await startCognitoPagingProxy(cognito.endpoint);
    plainPool = (await seedPool(admin(), { users: 150, groups: GROUPS })).userPoolId;
    emailPool = (await seedPool(admin(), { users: 70, groups: [{ name: 'providers', members: 65 }], emailUsernames: true })).userPoolId;
    plainExport = await exportPool(plainPool, byUsername);
    emailExport = await exportPool(emailPool, byEmail);
  });
  afterAll(async () => {
    await proxy?.stop();
    await cognito?.stop();
  });

  it('round trip: export, restore into a new pool (every user before any membership), export again: the exports agree on all but the fields that cannot survive; a re-run writes nothing', async () => {
    const target = await createPool(admin(), { customAttributes: WITH_SOURCE_SUB });
    proxy.resetCounts();
    const calls: { operation: string; input: Record<string, unknown> }[] = [];
    const first = await restore(target, plainExport.run, { client: recordingClient(calls) });
    expect(first.status).toBe('complete');
    expectNothingFailed(first.summary);
    // Every user exists before any membership is added, and the summary says when each was done.
    const ops = calls.map((c) => c.operation);
    expect(ops.lastIndexOf('AdminCreateUser')).toBeLessThan(ops.indexOf('AdminAddUserToGroup'));
    const { signInPossibleAt, membershipsDoneAt, groupsFirstDoneAt } = first.summary.milestones;
    expect(groupsFirstDoneAt).toBeUndefined();
    expect(Date.parse(signInPossibleAt!)).toBeGreaterThanOrEqual(Date.parse(first.summary.startedAt));
    expect(Date.parse(membershipsDoneAt!)).toBeGreaterThanOrEqual(Date.parse(signInPossibleAt!));
    expect(formatRestoreSummary(first.summary)).toMatch(/sign-in possible: every user existed at .* s after the start\)\nlast membership added at /);
    const { users, memberships, groups } = first.summary;
    expect(first.summary.method).toBe('per-user');
    expect(users.created).toBe(151);
    expect(users.statusOfCreated).toEqual({ FORCE_CHANGE_PASSWORD: 151 });
    expect(users.disabled).toBe(9);
    expect(memberships.added).toBe(133);
    expect(groups.created).toBe(3);
    expect(first.summary.sourceSub.attribute).toBe('custom:source_sub');
    // One create per user, one add per membership: nothing written twice.
    expect(proxy.callCount('AdminCreateUser')).toBe(151);
    expect(proxy.callCount('AdminAddUserToGroup')).toBe(133);
    expect(first.summary.calls.AdminCreateUser).toBe(151);
    // The documented list of what does not survive names each field the check above exempts.
    expect(Object.keys(FIELDS_THAT_DO_NOT_SURVIVE)).toEqual(expect.arrayContaining(['sub', 'status', 'createdAt', 'lastModifiedAt', 'password']));

    const restored = await exportPool(target, byUsername);
    expectSameExceptUnsurvivable(plainExport, restored);

    // A second run: every user and membership is already there; nothing is written.
    proxy.resetCounts();
    const again = await restore(target, plainExport.run);
    expectNothingFailed(again.summary);
    expect(again.summary.users).toMatchObject({ created: 0, alreadyPresent: 151, disabled: 0 });
    expect(again.summary.memberships).toMatchObject({ added: 0, alreadyPresent: 133 });
    expect(again.summary.groups).toMatchObject({ created: 0, alreadyPresent: 3 });
    expect(proxy.callCount(...WRITES)).toBe(0);
    const afterRerun = await exportPool(target, byUsername);
    expect(afterRerun.run.manifest.digests).toEqual(restored.run.manifest.digests);
  });

  /** A client that records every call it makes, in order: the operation and its input. */
  function recordingClient(calls: { operation: string; input: Record<string, unknown> }[]) {
    const c = client();
    c.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push({ operation: String(context.commandName).replace(/Command$/, ''), input: args.input as Record<string, unknown> });
        return next(args);
      },
      { step: 'initialize', name: 'recordCalls' },
    );
    return c;
  }

  it('--groups-first: the named group\'s members and their memberships go first, then everyone else; nothing is written twice', async () => {
    const target = await createPool(admin(), { customAttributes: WITH_SOURCE_SUB });
    const calls: { operation: string; input: Record<string, unknown> }[] = [];
    const admins = new Set<string>();
    for await (const m of readMemberships(plainExport.run)) if (m.group === 'admins') admins.add(m.username);
    expect(admins.size).toBe(3);
    const result = await restore(target, plainExport.run, { client: recordingClient(calls), groupsFirst: ['admins'] });
    expectNothingFailed(result.summary);
    const writes = calls.filter((c) => c.operation === 'AdminCreateUser' || c.operation === 'AdminAddUserToGroup');
    // The three administrators, then their three memberships of admins, before any other write.
    expect(writes.slice(0, 3).map((c) => [c.operation, c.input.Username])).toEqual(expect.arrayContaining([...admins].map((u) => ['AdminCreateUser', u])));
    expect(writes.slice(3, 6).map((c) => [c.operation, c.input.GroupName])).toEqual(Array(3).fill(['AdminAddUserToGroup', 'admins']));
    expect(writes.slice(6).some((c) => c.operation === 'AdminAddUserToGroup' && c.input.GroupName === 'admins')).toBe(false);
    // Then every other user before any other membership.
    const rest = writes.slice(6).map((c) => c.operation);
    expect(rest.lastIndexOf('AdminCreateUser')).toBeLessThan(rest.indexOf('AdminAddUserToGroup'));
    expect(result.summary.users.created).toBe(151);
    expect(result.summary.memberships.added).toBe(133);
    expect(writes.filter((c) => c.operation === 'AdminCreateUser')).toHaveLength(151);
    expect(writes.filter((c) => c.operation === 'AdminAddUserToGroup')).toHaveLength(133);
    // The (empty) target is listed once, for both user passes.
    expect(calls.filter((c) => c.operation === 'ListUsers')).toHaveLength(1);
    expect(Date.parse(result.summary.milestones.groupsFirstDoneAt!)).toBeLessThanOrEqual(Date.parse(result.summary.milestones.signInPossibleAt!));
    expectSameExceptUnsurvivable(plainExport, await exportPool(target, byUsername));
  });

  it('--groups-first with a group the export does not hold is refused before anything is written, naming its groups', async () => {
    const target = await createPool(admin(), { customAttributes: WITH_SOURCE_SUB });
    const error = await restore(target, plainExport.run, { groupsFirst: ['admins', 'adminz'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RestoreRefusedError);
    expect((error as Error).message).toContain('--groups-first: adminz is not a group of the export; its groups: ');
    expect((await serverState(admin(), target)).users).toHaveLength(0);
  });

  it('an email-username pool: users get new usernames, sign in with the same email, and keep their groups', async () => {
    const target = await createPool(admin(), { emailUsernames: true, customAttributes: WITH_SOURCE_SUB });
    const result = await restore(target, emailExport.run);
    expectNothingFailed(result.summary);
    expect(result.summary.users.created).toBe(71);
    expect(result.summary.memberships.added).toBe(65);
    const restored = await exportPool(target, byEmail);
    expectSameExceptUnsurvivable(emailExport, restored);
    // The username is the new sub, as Cognito names users in such pools.
    for (const user of restored.users.values()) expect(user.username).toBe(user.attributes.sub);
  });

  it('a target pool missing a custom attribute: refused before anything is written, naming the attribute', async () => {
    const target = await createPool(admin(), { customAttributes: ['licence_number'] });
    proxy.resetCounts();
    const refusal = await restore(target, plainExport.run).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(RestoreRefusedError);
    const { message, differences } = refusal as RestoreRefusedError;
    expect(differences.map((d) => d.setting)).toEqual(['custom:jurisdiction']);
    expect(message).toContain("custom:jurisdiction: exported pool String custom attribute, target pool missing; add custom:jurisdiction (String) to the target pool's schema");
    expect(proxy.callCount(...WRITES)).toBe(0);
    const state = await serverState(admin(), target);
    expect(state.users).toEqual([]);
    expect(state.groups).toEqual([]);
  });

  it('different sign-in settings are all named at once', async () => {
    const target = await createPool(admin(), { emailUsernames: true, customAttributes: [] });
    const refusal = (await restore(target, plainExport.run).catch((error: unknown) => error)) as RestoreRefusedError;
    expect(refusal.differences.map((d) => d.setting).sort()).toEqual(['UsernameAttributes', 'custom:jurisdiction', 'custom:licence_number']);
  });

  it('throttling and lost responses (the write happened, the answer did not arrive): nothing lost, nothing duplicated', async () => {
    const target = await createPool(admin(), { emailUsernames: true, customAttributes: WITH_SOURCE_SUB });
    proxy.resetCounts();
    const throttle = everyNth(15, 'throttle');
    const lost = everyNth(11, 'lost-response', ['AdminCreateUser', 'AdminAddUserToGroup', 'AdminDisableUser', 'CreateGroup']);
    proxy.setFaults((call) => throttle(call) ?? lost(call));
    try {
      const result = await restore(target, emailExport.run);
      expectNothingFailed(result.summary);
      const { users, memberships } = result.summary;
      // A lost create is retried, finds the user there, and counts it as already present.
      expect(users.created + users.alreadyPresent).toBe(71);
      expect(users.alreadyPresent).toBeGreaterThan(0);
      expect(memberships.added + memberships.alreadyPresent).toBe(65);
    } finally {
      proxy.setFaults(undefined);
    }
    expect([...proxy.faults.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(12);
    expectSameExceptUnsurvivable(emailExport, await exportPool(target, byEmail));
    expect((await serverState(admin(), target)).users).toHaveLength(71);
  });

  it('stopped part-way, then run again: continues from its checkpoint and ends with every user once', async () => {
    const target = await createPool(admin(), { customAttributes: WITH_SOURCE_SUB });
    const state = new FolderStore(tempDir('restore-state-'));
    proxy.resetCounts();
    const paused = await restoreUserPool({
      client: client(),
      run: plainExport.run,
      targetUserPoolId: target,
      state,
      // One user at a time, so the stop lands inside a part file, not at its end.
      concurrency: 1,
      shouldStop: () => proxy.callCount('AdminCreateUser') >= 70,
    });
    expect(paused.status).toBe('paused');
    const checkpointKey = (await state.list('')).find((key) => key.endsWith('checkpoint.json'));
    expect(checkpointKey).toBeDefined();
    // The saved counts cover the finished part files only: the stopped part is done again on resume.
    const saved = JSON.parse((await state.get(checkpointKey!))!.toString('utf8')) as { userFilesDone: string[]; summary: { users: { created: number; alreadyPresent: number } } };
    const finishedUsers = saved.userFilesDone.reduce((sum, path) => sum + (plainExport.run.manifest.files.find((file) => file.path === path)?.records ?? 0), 0);
    expect(saved.summary.users.created + saved.summary.users.alreadyPresent).toBe(finishedUsers);
    const createdBefore = proxy.callCount('AdminCreateUser');
    expect(createdBefore).toBeLessThan(151);

    const resumed = await restoreUserPool({ client: client(), run: plainExport.run, targetUserPoolId: target, state });
    expect(resumed.status).toBe('complete');
    expectNothingFailed(resumed.summary);
    expect(resumed.summary.resumes).toBe(1);
    expect(resumed.summary.users.created + resumed.summary.users.alreadyPresent).toBe(151);
    // Every user was created exactly once over both runs.
    expect(proxy.callCount('AdminCreateUser')).toBe(151);
    expect((await state.list('')).some((key) => key.endsWith('checkpoint.json'))).toBe(false);
    expectSameExceptUnsurvivable(plainExport, await exportPool(target, byUsername));
  });

  it('stopped among the memberships (several small groups written as one batch), then run again: every membership added exactly once', async () => {
    const target = await createPool(admin(), { customAttributes: WITH_SOURCE_SUB });
    const state = new FolderStore(tempDir('restore-state-'));
    proxy.resetCounts();
    const paused = await restoreUserPool({
      client: client(),
      run: plainExport.run,
      targetUserPoolId: target,
      state,
      concurrency: 1,
      shouldStop: () => proxy.callCount('AdminAddUserToGroup') >= 40,
    });
    expect(paused.status).toBe('paused');
    // The memberships' part files are one batch here: none of them is marked done by a cut-short batch.
    const checkpointKey = (await state.list('')).find((key) => key.endsWith('checkpoint.json'))!;
    const saved = JSON.parse((await state.get(checkpointKey))!.toString('utf8')) as { membershipFilesDone: string[] };
    expect(saved.membershipFilesDone).toEqual([]);
    expect(proxy.callCount('AdminAddUserToGroup')).toBe(40);

    const resumed = await restoreUserPool({ client: client(), run: plainExport.run, targetUserPoolId: target, state });
    expect(resumed.status).toBe('complete');
    expectNothingFailed(resumed.summary);
    // The 40 added before the stop are listed as present on resume, not added again.
    expect(resumed.summary.memberships.added + resumed.summary.memberships.alreadyPresent).toBe(133);
    expect(proxy.callCount('AdminAddUserToGroup')).toBe(133);
    expectSameExceptUnsurvivable(plainExport, await exportPool(target, byUsername));
  });

  it('a user changed in the target after a restore is reported as differing, never overwritten', async () => {
    const target = await createPool(admin(), { emailUsernames: true, customAttributes: WITH_SOURCE_SUB });
    await restore(target, emailExport.run);
    await admin().send(new AdminUpdateUserAttributesCommand({ UserPoolId: target, Username: 'user3@example.org', UserAttributes: [{ Name: 'given_name', Value: 'Changed' }] }));
    const again = await restore(target, emailExport.run);
    expect(again.summary.users.differing.items).toEqual([{ username: expect.any(String), differences: ['given_name'] }]);
    expect(again.summary.users.alreadyPresent).toBe(70);
    const { users } = await serverState(admin(), target);
    const changed = users.find((u) => u.Attributes?.some((a) => a.Name === 'email' && a.Value === 'user3@example.org'));
    expect(changed?.Attributes?.find((a) => a.Name === 'given_name')?.Value).toBe('Changed');
  });

  it('the import-job path (the job API emulated in the test proxy: cognito-local has none): verified users go in bulk, the rest per user, all reconciled', async () => {
    const emulation = await emulateImportJobs(proxy, admin());
    try {
      const target = await createPool(admin(), { customAttributes: WITH_SOURCE_SUB, autoVerifiedAttributes: ['email'] });
      proxy.resetCounts();
      const result = await restore(target, plainExport.run, {
        method: 'import-job',
        importJob: { cloudWatchLogsRoleArn: 'arn:aws:iam::111111111111:role/CognitoImportLogs', pollSeconds: 0, fileLimits: { rowsPerFile: 30, bytesPerFile: 1024 * 1024 } },
      });
      expectNothingFailed(result.summary);
      const { users, importJobs } = result.summary;
      expect(result.summary.method).toBe('import-job');
      // The 75 users with a verified email fit an import file; 30 rows per file makes three jobs.
      expect(importJobs.map((job) => [job.status, job.imported])).toEqual([['Succeeded', 30], ['Succeeded', 30], ['Succeeded', 15]]);
      expect(users.imported).toBe(75);
      expect(users.notImported).toEqual({ 'an import job needs a verified email; the user has none': 76 });
      // The per-user pass creates the others and disables whoever was disabled, imported or not.
      expect(users.created).toBe(76);
      expect(users.alreadyPresent).toBe(75);
      expect(users.disabled).toBe(9);
      expect(proxy.callCount('AdminCreateUser')).toBe(76);
      expect(proxy.callCount('DescribeUserImportJob')).toBe(6);
      for (const job of emulation.jobs.values()) expect(job.encryptionHeader).toBe('aws:kms');
      expectSameExceptUnsurvivable(plainExport, await exportPool(target, byUsername));
    } finally {
      await emulation.stop();
    }
  });

  it('asking for an import job without its logs role is refused before writing', async () => {
    const target = await createPool(admin(), { customAttributes: WITH_SOURCE_SUB });
    const refusal = (await restore(target, plainExport.run, { method: 'import-job' }).catch((error: unknown) => error)) as RestoreRefusedError;
    expect(refusal.message).toContain('an import job needs the CloudWatch Logs role');
    expect((await serverState(admin(), target)).groups).toEqual([]);
  });
});
