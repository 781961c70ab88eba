/**
 * Restores a Cognito export into a new user pool: groups, users with every writable attribute,
 * disabled users disabled again, and memberships. Before writing anything it verifies the export
 * and compares the target pool with the exported one, and refuses with every difference.
 *
 * Users are created one by one (AdminCreateUser, invitation suppressed: they end in
 * FORCE_CHANGE_PASSWORD) or, for large plain-username pools, in bulk by Cognito's user import job
 * (they end in RESET_REQUIRED); the per-user pass then runs over every user either way, creating
 * what the job left out and disabling who must be.
 *
 * Idempotent: the target's users and each group's members are listed first, and a user or
 * membership already there is not written again (a user with different attributes is reported,
 * never changed). A checkpoint after each part file lets a stopped run continue.
 */
import { createHash } from 'node:crypto';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  AdminGetUserCommand,
  type CognitoIdentityProviderClient,
  CreateGroupCommand,
  DescribeUserPoolCommand,
  GetCSVHeaderCommand,
  paginateListGroups,
  paginateListUsers,
  paginateListUsersInGroup,
  type UserPoolType,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import type { ObjectStore } from '../store';
import { type QuotaOverrides, difference, limitToQuotas, mergeCounts, snapshot } from './client';
import { type GroupRecord, type MembershipRecord, type UserRecord, groupRecord, joinKey, runIdFor } from './export-format';
import { type ExportRun, partFiles, readGroups, readPart, readPool, readUsers, verifyExport } from './export-reader';
import { ImportFiles, csvRow } from './import-csv';
import {
  type PoolDifference,
  type TargetIdentity,
  attributesToWrite,
  compareGroup,
  comparePools,
  compareUser,
  existingUser,
  isFederated,
  READ_ONLY_ATTRIBUTES,
  signInName,
  targetIdentity,
  userKey,
} from './restore-model';
import { type ImportJobOutcome, type ImportUploader, runUserImportJob, waitForUserImportJob } from './user-import-job';

export type RestoreMethod = 'auto' | 'per-user' | 'import-job';

export interface ImportJobSettings {
  /** The IAM role Cognito writes the import job's CloudWatch Logs with; the import path needs one. */
  readonly cloudWatchLogsRoleArn?: string;
  /** `auto` uses an import job from this many users up. @default 10000 */
  readonly minimumUsers?: number;
  /** @default uploadToPresignedUrl */
  readonly upload?: ImportUploader;
  /** @default 10 */
  readonly pollSeconds?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Limits of one import file (tests make them small). @default CSV_LIMITS */
  readonly fileLimits?: { rowsPerFile: number; bytesPerFile: number };
}

export interface RestoreOptions {
  readonly client: CognitoIdentityProviderClient;
  readonly run: ExportRun;
  readonly targetUserPoolId: string;
  /** Where checkpoints and the final report are kept. */
  readonly state: ObjectStore;
  /** @default 'auto' */
  readonly method?: RestoreMethod;
  readonly importJob?: ImportJobSettings;
  /** The custom attribute that receives each user's old `sub`. @default 'custom:source_sub' */
  readonly sourceSubAttribute?: string;
  /**
   * Groups whose members are restored first, users and these memberships both, before every other
   * user: the administrators who run the recovery, say.
   */
  readonly groupsFirst?: readonly string[];
  /** Users (or memberships) written at once. @default DEFAULT_RESTORE_CONCURRENCY (32) */
  readonly concurrency?: number;
  /** Requests per second per Cognito quota category. @default the documented default quotas */
  readonly rates?: QuotaOverrides;
  /** Asked between records: true stops the run, resumable, with status `paused`. */
  readonly shouldStop?: () => boolean;
  readonly onProgress?: (progress: RestoreProgress) => void;
  readonly now?: () => Date;
}

export interface RestoreProgress {
  readonly phase: 'groups' | 'import-job' | 'groups-first' | 'users' | 'memberships';
  readonly users: number;
  readonly totalUsers: number;
  readonly memberships: number;
  readonly totalMemberships: number;
}

/** The target pool cannot take the export; nothing was written. */
export class RestoreRefusedError extends Error {
  constructor(
    readonly differences: readonly PoolDifference[],
    readonly problems: readonly string[] = [],
  ) {
    super(
      [
        `restore refused before writing anything:`,
        ...problems.map((problem) => `  ${problem}`),
        ...differences.map((d) => `  ${d.setting}: exported pool ${d.source}, target pool ${d.target}; ${d.fix}`),
      ].join('\n'),
    );
    this.name = 'RestoreRefusedError';
  }
}

/** At most this many users or memberships are listed per outcome; the counts are always exact. */
export const MAX_LISTED = 1000;

/**
 * Users, memberships or groups written at once, unless `concurrency` says otherwise. The quota
 * limiter sets the pace on AWS; this many in flight keep the server busy between answers.
 */
export const DEFAULT_RESTORE_CONCURRENCY = 32;

/** Membership records read, listed against and checkpointed together (whole part files). */
const MEMBERSHIP_BATCH = 2000;

export interface Listed<T> {
  count: number;
  items: T[];
}

export interface RestoreSummary {
  readonly sourceUserPoolId: string;
  readonly targetUserPoolId: string;
  readonly export: string;
  readonly method: 'per-user' | 'import-job';
  readonly methodReason: string;
  readonly startedAt: string;
  finishedAt?: string;
  resumes: number;
  /** The custom attribute the old `sub` went into, or why it was not kept. */
  readonly sourceSub: { readonly attribute?: string; readonly note: string };
  readonly groups: { total: number; created: number; alreadyPresent: number; differing: Listed<{ group: string; differences: string[] }> };
  readonly users: {
    total: number;
    created: number;
    imported: number;
    alreadyPresent: number;
    disabled: number;
    differing: Listed<{ username: string; differences: string[] }>;
    failed: Listed<{ username: string; reason: string }>;
    skipped: Listed<{ username: string; reason: string }>;
    /** Statuses Cognito gave the users this restore created. */
    statusOfCreated: Record<string, number>;
    /** Why users did not go through the import job, with how many. */
    notImported: Record<string, number>;
  };
  readonly importJobs: ImportJobOutcome[];
  readonly memberships: {
    total: number;
    added: number;
    alreadyPresent: number;
    failed: Listed<{ group: string; username: string; reason: string }>;
    skipped: Listed<{ group: string; username: string; reason: string }>;
  };
  calls: Record<string, number>;
  /** The groups restored first (--groups-first). */
  readonly groupsFirst?: readonly string[];
  /**
   * When each stage ended: the named groups' members and memberships; every user (sign-in is
   * possible from then, memberships still to come); the last membership.
   */
  readonly milestones: { groupsFirstDoneAt?: string; signInPossibleAt?: string; membershipsDoneAt?: string };
}

export type RestoreResult =
  | { readonly status: 'complete'; readonly summary: RestoreSummary; readonly report: string }
  | { readonly status: 'paused'; readonly summary: RestoreSummary; readonly checkpoint: string };

interface Checkpoint {
  readonly kind: 'retention-kit/cognito-restore-checkpoint';
  readonly usersDigest: string;
  groupsDone: boolean;
  importDone: boolean;
  groupsFirstDone?: boolean;
  /** A job started and not yet seen to end. */
  importJobInFlight?: string;
  userFilesDone: string[];
  membershipFilesDone: string[];
  summary: RestoreSummary;
}

class Stopped extends Error {}

export async function restoreUserPool(options: RestoreOptions): Promise<RestoreResult> {
  const { client, run, targetUserPoolId: target } = options;
  const now = options.now ?? (() => new Date());
  const counts = limitToQuotas(client, options.rates);
  const callsAtStart = snapshot(counts);
  const sourcePoolId = run.manifest.userPool.id;
  const folder = joinKey(target, `${sourcePoolId}-${run.manifest.runId}`);
  const checkpointKey = joinKey(folder, 'checkpoint.json');

  // Checks first: nothing is written unless the export is intact and the target can take it.
  if (target === sourcePoolId) {
    throw new RestoreRefusedError([], [`the target is the exported pool itself (${target}); restore into a new pool`]);
  }
  const verification = await verifyExport(run);
  if (!verification.ok) throw new RestoreRefusedError([], verification.problems.map((problem) => `export: ${problem}`));
  const source = (await readPool(run)).userPool as UserPoolType;
  const { UserPool: targetPool } = await client.send(new DescribeUserPoolCommand({ UserPoolId: target }));
  if (!targetPool) throw new Error(`DescribeUserPool returned nothing for ${target}`);
  const differences = comparePools(source, targetPool);
  if (differences.length > 0) throw new RestoreRefusedError(differences);
  const identity = targetIdentity(targetPool, options.sourceSubAttribute);
  const plan = choosePath(options, identity, run.manifest.counts.users);
  const firstGroups = new Set(options.groupsFirst ?? []);
  if (firstGroups.size > 0) {
    const exported = (await readGroups(run)).map((g) => g.name);
    const unknown = [...firstGroups].filter((g) => !exported.includes(g));
    if (unknown.length > 0) throw new RestoreRefusedError([], [`--groups-first: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a group of the export; its groups: ${exported.join(', ') || '(none)'}`]);
  }

  const checkpoint = await startOrResume(options.state, checkpointKey, run, target, plan, identity, now());
  const { summary } = checkpoint;
  // Checkpoints written before milestones were kept have none.
  (summary as { milestones?: RestoreSummary['milestones'] }).milestones ??= {};
  if (firstGroups.size > 0) (summary as { groupsFirst?: readonly string[] }).groupsFirst = [...firstGroups];
  const callsBefore = summary.calls;
  // The checkpoint as of the last finished step: a stopped part is done again on resume, so its
  // records must not already be in the saved counts.
  let lastFinished = JSON.stringify(checkpoint);
  const save = async (): Promise<void> => {
    summary.calls = mergeCounts(callsBefore, difference(snapshot(counts), callsAtStart));
    lastFinished = JSON.stringify(checkpoint);
    await options.state.put(checkpointKey, Buffer.from(lastFinished), 'application/json');
  };
  /** Saves the last finished step's checkpoint with every call made so far (calls did happen). */
  const saveLastFinished = async (): Promise<void> => {
    const saved = JSON.parse(lastFinished) as Checkpoint;
    saved.summary.calls = mergeCounts(callsBefore, difference(snapshot(counts), callsAtStart));
    await options.state.put(checkpointKey, Buffer.from(JSON.stringify(saved)), 'application/json');
  };
  let stopRequested = false;
  const stopping = (): boolean => stopRequested || (stopRequested = options.shouldStop?.() ?? false);
  let usersDone = 0;
  let membershipsDone = 0;
  const progress = (phase: RestoreProgress['phase']) =>
    options.onProgress?.({ phase, users: usersDone, totalUsers: summary.users.total, memberships: membershipsDone, totalMemberships: summary.memberships.total });

  const concurrency = options.concurrency ?? DEFAULT_RESTORE_CONCURRENCY;
  try {
    if (!checkpoint.groupsDone) {
      await restoreGroups(client, target, await readGroups(run), concurrency, summary);
      checkpoint.groupsDone = true;
      await save();
      progress('groups');
    }

    if (summary.method === 'import-job' && !checkpoint.importDone) {
      await runImport(options, checkpoint, identity, targetPool, save, stopping);
      checkpoint.importDone = true;
      await save();
    }

    // Each group's members in the target are listed once, when a worker first needs them, and shared;
    // a batch of part files drops the lists of groups it no longer holds.
    const listed = new Map<string, Promise<Set<string>>>();
    const keepListed = (groups: ReadonlySet<string>): void => {
      for (const group of listed.keys()) if (!groups.has(group)) listed.delete(group);
    };
    const membersOf = (group: string): Promise<Set<string>> => {
      if (!listed.has(group)) listed.set(group, groupMembers(client, target, group, identity));
      return listed.get(group)!;
    };
    let names: RestoredNames | undefined;
    const restored = async (): Promise<RestoredNames> => (names ??= await restoredNames(run, identity));

    // What the target already holds, listed once: both user passes compare with it (the second skips the first's users).
    const existing = await listExisting(client, target, identity);

    // The named groups' members first, users and memberships, before anyone else.
    const firstUsers = new Set<string>();
    const firstMemberships: MembershipRecord[] = [];
    if (firstGroups.size > 0) {
      for (const path of partFiles(run, 'memberships/')) {
        for await (const record of readPart<MembershipRecord>(run, path)) {
          if (!firstGroups.has(record.group)) continue;
          firstMemberships.push(record);
          firstUsers.add(record.username);
        }
      }
      if (!checkpoint.groupsFirstDone) {
        const records: UserRecord[] = [];
        for (const path of partFiles(run, 'users/')) for await (const record of readPart<UserRecord>(run, path)) if (firstUsers.has(record.username)) records.push(record);
        await forEach(records, concurrency, stopping, async (record) => {
          await restoreUser(client, target, record, identity, existing, summary);
          usersDone += 1;
          progress('groups-first');
        });
        const byName = await restored();
        await forEach(firstMemberships, concurrency, stopping, async (record) => {
          await restoreMembership(client, target, record, byName, await membersOf(record.group), identity, summary);
          membershipsDone += 1;
          progress('groups-first');
        });
        checkpoint.groupsFirstDone = true;
        summary.milestones.groupsFirstDoneAt = now().toISOString();
        await save();
      } else {
        usersDone += firstUsers.size;
        membershipsDone += firstMemberships.length;
      }
    }

    // Users: compared with what the target already holds, created where missing. Every user
    // exists before any other membership is added: memberships take longest (AdminAddUserToGroup's
    // quota cannot be raised), and a user can sign in without them.
    for (const path of partFiles(run, 'users/')) {
      if (checkpoint.userFilesDone.includes(path)) {
        usersDone += recordsIn(run, path);
        continue;
      }
      const records: UserRecord[] = [];
      for await (const record of readPart<UserRecord>(run, path)) if (!firstUsers.has(record.username)) records.push(record);
      await forEach(records, concurrency, stopping, async (record) => {
        await restoreUser(client, target, record, identity, existing, summary);
        usersDone += 1;
        progress('users');
      });
      checkpoint.userFilesDone.push(path);
      await save();
    }
    summary.milestones.signInPossibleAt ??= now().toISOString();

    // Memberships: only missing ones are added. Part files hold one group each, often small ones, so
    // several are written as one batch (and checkpointed together): the workers never wait for a
    // group's listing or a checkpoint between small parts. A batch cut short is redone; what it
    // added is then listed as present.
    const pending = partFiles(run, 'memberships/').filter((path) => {
      if (!checkpoint.membershipFilesDone.includes(path)) return true;
      membershipsDone += recordsIn(run, path);
      return false;
    });
    for (const batch of membershipBatches(run, pending)) {
      const records: MembershipRecord[] = [];
      for (const path of batch) for await (const record of readPart<MembershipRecord>(run, path)) if (!firstGroups.has(record.group)) records.push(record);
      const byName = records.length > 0 ? await restored() : undefined;
      keepListed(new Set(records.map((record) => record.group)));
      await forEach(records, concurrency, stopping, async (record) => {
        await restoreMembership(client, target, record, byName!, await membersOf(record.group), identity, summary);
        membershipsDone += 1;
        progress('memberships');
      });
      checkpoint.membershipFilesDone.push(...batch);
      await save();
    }
    summary.milestones.membershipsDoneAt ??= now().toISOString();
  } catch (error) {
    await saveLastFinished();
    if (error instanceof Stopped) return { status: 'paused', summary, checkpoint: `${options.state.location}/${checkpointKey}` };
    throw error;
  }

  summary.finishedAt = now().toISOString();
  await save();
  const reportKey = joinKey(folder, `report-${runIdFor(now())}.json`);
  await options.state.put(reportKey, Buffer.from(JSON.stringify(summary, null, 2)), 'application/json');
  await options.state.delete(checkpointKey);
  return { status: 'complete', summary, report: `${options.state.location}/${reportKey}` };

  async function runImport(
    settings: RestoreOptions,
    state: Checkpoint,
    who: TargetIdentity,
    pool: UserPoolType,
    persist: () => Promise<void>,
    stop: () => boolean,
  ): Promise<void> {
    const job = settings.importJob!;
    if (state.importJobInFlight) {
      // A job a stopped run left going: wait for it, so that it and the per-user pass never race.
      const outcome = await waitForUserImportJob(client, target, state.importJobInFlight, job);
      recordJob(outcome);
      delete state.importJobInFlight;
      await persist();
    }
    const present = await listExisting(client, target, who);
    const { CSVHeader: header = [] } = await client.send(new GetCSVHeaderCommand({ UserPoolId: target }));
    const context = { header, mfaConfiguration: pool.MfaConfiguration ?? 'OFF', autoVerifiedAttributes: pool.AutoVerifiedAttributes ?? [] };
    const files = new ImportFiles(header, job.fileLimits);
    for await (const record of readUsers(run)) {
      if (isFederated(record)) continue;
      const attributes = attributesToWrite(record, who);
      const name = signInName(attributes, record.username, who);
      if (name === undefined || present.has(userKey(name, who))) continue;
      const row = csvRow(name, attributes, record, context);
      if (row.ok) files.add(row.line);
      else summary.users.notImported[row.reason] = (summary.users.notImported[row.reason] ?? 0) + 1;
    }
    progress('import-job');
    for (const [index, file] of files.finish().entries()) {
      if (stop()) throw new Stopped();
      let outcome: ImportJobOutcome;
      try {
        outcome = await runUserImportJob({
          client,
          userPoolId: target,
          jobName: `retention-restore-${runIdFor(now())}-${index + 1}`,
          cloudWatchLogsRoleArn: job.cloudWatchLogsRoleArn!,
          file,
          upload: job.upload,
          pollSeconds: job.pollSeconds,
          sleep: job.sleep,
          onCreated: async (jobId) => {
            state.importJobInFlight = jobId;
            await persist();
          },
        });
      } catch (error) {
        // The per-user pass that follows creates this file's users instead, once no job of ours
        // can still be importing (a job that cannot be seen to end stops the restore, resumable).
        const jobId = state.importJobInFlight;
        const ended = jobId ? await waitForUserImportJob(client, target, jobId, job) : undefined;
        outcome = { ...(ended ?? { jobId: 'not created', status: 'Failed', imported: 0, skipped: 0, failed: 0 }), message: describe(error) };
      }
      recordJob(outcome);
      delete state.importJobInFlight;
      await persist();
    }
  }

  function recordJob(outcome: ImportJobOutcome): void {
    summary.importJobs.push(outcome);
    summary.users.imported += outcome.imported;
  }
}

function choosePath(options: RestoreOptions, identity: TargetIdentity, users: number): { method: 'per-user' | 'import-job'; reason: string } {
  const method = options.method ?? 'auto';
  const roleArn = options.importJob?.cloudWatchLogsRoleArn;
  const minimum = options.importJob?.minimumUsers ?? 10_000;
  const plainUsernames = identity.usernameAttributes.length === 0;
  if (method === 'per-user') return { method: 'per-user', reason: 'per-user calls were asked for' };
  if (method === 'import-job') {
    const problems = [
      ...(roleArn ? [] : ['an import job needs the CloudWatch Logs role it writes its results with (--import-role-arn)']),
      ...(plainUsernames ? [] : ['import jobs are used for plain-username pools only; this pool signs in with ' + identity.usernameAttributes.join(' or ')]),
    ];
    if (problems.length > 0) throw new RestoreRefusedError([], problems);
    return { method: 'import-job', reason: 'an import job was asked for' };
  }
  if (!roleArn) return { method: 'per-user', reason: 'no CloudWatch Logs role for an import job was given (--import-role-arn)' };
  if (!plainUsernames) return { method: 'per-user', reason: `the pool signs in with ${identity.usernameAttributes.join(' or ')}; import jobs are used for plain-username pools only` };
  if (users < minimum) return { method: 'per-user', reason: `${users} users, fewer than the ${minimum} from which an import job is used` };
  return { method: 'import-job', reason: `${users} users, at least the ${minimum} from which an import job is used` };
}

async function startOrResume(
  state: ObjectStore,
  key: string,
  run: ExportRun,
  target: string,
  plan: { method: 'per-user' | 'import-job'; reason: string },
  identity: TargetIdentity,
  start: Date,
): Promise<Checkpoint> {
  const saved = await state.get(key);
  if (saved) {
    const checkpoint = JSON.parse(saved.toString('utf8')) as Checkpoint;
    if (checkpoint.kind === 'retention-kit/cognito-restore-checkpoint' && checkpoint.usersDigest === run.manifest.digests.users) {
      checkpoint.summary.resumes += 1;
      return checkpoint;
    }
  }
  const listed = <T>(): Listed<T> => ({ count: 0, items: [] });
  return {
    kind: 'retention-kit/cognito-restore-checkpoint',
    usersDigest: run.manifest.digests.users,
    groupsDone: false,
    importDone: false,
    userFilesDone: [],
    membershipFilesDone: [],
    summary: {
      sourceUserPoolId: run.manifest.userPool.id,
      targetUserPoolId: target,
      export: `${run.store.location}/${run.path}`.replace(/\/+$/, ''),
      method: plan.method,
      methodReason: plan.reason,
      startedAt: start.toISOString(),
      resumes: 0,
      sourceSub: identity.sourceSubAttribute
        ? { attribute: identity.sourceSubAttribute, note: `each user's old sub is kept in ${identity.sourceSubAttribute}` }
        : { note: 'the target pool has no custom attribute for the old sub (custom:source_sub); restored users have new subs only' },
      groups: { total: 0, created: 0, alreadyPresent: 0, differing: listed() },
      users: {
        total: run.manifest.counts.users,
        created: 0,
        imported: 0,
        alreadyPresent: 0,
        disabled: 0,
        differing: listed(),
        failed: listed(),
        skipped: listed(),
        statusOfCreated: {},
        notImported: {},
      },
      importJobs: [],
      memberships: { total: run.manifest.counts.memberships, added: 0, alreadyPresent: 0, failed: listed(), skipped: listed() },
      calls: {},
      milestones: {},
    },
  };
}

function note<T>(list: Listed<T>, item: T): void {
  list.count += 1;
  if (list.items.length < MAX_LISTED) list.items.push(item);
}

async function restoreGroups(client: CognitoIdentityProviderClient, target: string, groups: GroupRecord[], concurrency: number, summary: RestoreSummary): Promise<void> {
  const existing = new Map<string, GroupRecord>();
  for await (const page of paginateListGroups({ client, pageSize: 60 }, { UserPoolId: target })) {
    for (const group of page.Groups ?? []) existing.set(group.GroupName ?? '', groupRecord(group));
  }
  summary.groups.total = groups.length;
  await forEach(groups, concurrency, () => false, async (group) => {
    const present = existing.get(group.name);
    if (present) {
      const comparison = compareGroup(group, present);
      if (comparison.differences.length > 0) note(summary.groups.differing, comparison);
      else summary.groups.alreadyPresent += 1;
      return;
    }
    await client.send(
      new CreateGroupCommand({
        UserPoolId: target,
        GroupName: group.name,
        ...(group.description !== undefined ? { Description: group.description } : {}),
        ...(group.precedence !== undefined ? { Precedence: group.precedence } : {}),
        ...(group.roleArn !== undefined ? { RoleArn: group.roleArn } : {}),
      }),
    );
    summary.groups.created += 1;
  });
}

/** A user already in the target, reduced to what a comparison needs (memory stays small per user). */
interface PresentUser {
  readonly digest: string;
  readonly enabled: boolean;
}

function attributesDigest(attributes: Readonly<Record<string, string>>): string {
  const entries = Object.entries(attributes)
    .filter(([name]) => !READ_ONLY_ATTRIBUTES.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(entries)).digest('base64').slice(0, 22);
}

async function listExisting(client: CognitoIdentityProviderClient, target: string, identity: TargetIdentity): Promise<Map<string, PresentUser>> {
  const present = new Map<string, PresentUser>();
  for await (const page of paginateListUsers({ client, pageSize: 60 }, { UserPoolId: target })) {
    for (const user of page.Users ?? []) {
      const key = targetKey(user, identity);
      if (key !== undefined) present.set(key, { digest: attributesDigest(existingUser(user).attributes), enabled: user.Enabled !== false });
    }
  }
  return present;
}

function targetKey(user: UserType, identity: TargetIdentity): string | undefined {
  if (user.UserStatus === 'EXTERNAL_PROVIDER') return undefined;
  const found = existingUser(user);
  const name = signInName(found.attributes, found.username, identity);
  return name === undefined ? undefined : userKey(name, identity);
}

async function restoreUser(
  client: CognitoIdentityProviderClient,
  target: string,
  record: UserRecord,
  identity: TargetIdentity,
  present: Map<string, PresentUser>,
  summary: RestoreSummary,
): Promise<void> {
  const { users } = summary;
  if (isFederated(record)) {
    note(users.skipped, { username: record.username, reason: 'a federated user; its identity provider creates it again at its next sign-in' });
    return;
  }
  const attributes = attributesToWrite(record, identity);
  const name = signInName(attributes, record.username, identity);
  if (name === undefined) {
    note(users.failed, { username: record.username, reason: `the user has no ${identity.usernameAttributes.join(' or ')} to sign in with in the target pool` });
    return;
  }
  const enabled = record.enabled !== false;
  const found = present.get(userKey(name, identity));
  if (found) {
    // Only a user whose attributes differ needs reading back to name the differences.
    if (found.digest !== attributesDigest(attributes)) await reconcile(client, target, record, name, attributes, enabled, summary);
    else if (enabled && !found.enabled) note(users.differing, { username: record.username, differences: ['enabled'] });
    else {
      users.alreadyPresent += 1;
      if (!enabled && found.enabled) await disable(client, target, record, name, summary);
    }
    return;
  }
  try {
    const { User } = await client.send(
      new AdminCreateUserCommand({
        UserPoolId: target,
        Username: name,
        MessageAction: 'SUPPRESS',
        UserAttributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })),
      }),
    );
    users.created += 1;
    const status = User?.UserStatus ?? 'unknown';
    users.statusOfCreated[status] = (users.statusOfCreated[status] ?? 0) + 1;
  } catch (error) {
    if (errorName(error) === 'UsernameExistsException' || errorName(error) === 'AliasExistsException') {
      // Created by an earlier attempt whose answer was lost, or by someone else: compare.
      await reconcile(client, target, record, name, attributes, enabled, summary);
      return;
    }
    note(users.failed, { username: record.username, reason: describe(error) });
    return;
  }
  if (!enabled) await disable(client, target, record, name, summary);
}

async function reconcile(
  client: CognitoIdentityProviderClient,
  target: string,
  record: UserRecord,
  name: string,
  attributes: Record<string, string>,
  enabled: boolean,
  summary: RestoreSummary,
): Promise<void> {
  const user = await client.send(new AdminGetUserCommand({ UserPoolId: target, Username: name }));
  const comparison = compareUser(attributes, enabled, existingUser({ ...user, Attributes: user.UserAttributes }));
  if (comparison.differences.length > 0) {
    note(summary.users.differing, { username: record.username, differences: comparison.differences });
    return;
  }
  summary.users.alreadyPresent += 1;
  if (comparison.needsDisable) await disable(client, target, record, name, summary);
}

async function disable(client: CognitoIdentityProviderClient, target: string, record: UserRecord, name: string, summary: RestoreSummary): Promise<void> {
  try {
    await client.send(new AdminDisableUserCommand({ UserPoolId: target, Username: name }));
    summary.users.disabled += 1;
  } catch (error) {
    note(summary.users.failed, { username: record.username, reason: `created, but could not be disabled again: ${describe(error)}` });
  }
}

/** Old username to the name the restored user signs in with, and the federated users (not restored). */
interface RestoredNames {
  readonly nameOf: (oldUsername: string) => string | undefined;
  readonly federated: ReadonlySet<string>;
}

async function restoredNames(run: ExportRun, identity: TargetIdentity): Promise<RestoredNames> {
  const federated = new Set<string>();
  const names = new Map<string, string>();
  const plain = identity.usernameAttributes.length === 0;
  for await (const record of readUsers(run)) {
    if (isFederated(record)) federated.add(record.username);
    else if (!plain) {
      const name = signInName(record.attributes, record.username, identity);
      if (name !== undefined) names.set(record.username, name);
    }
  }
  return { nameOf: (username) => (plain ? username : names.get(username)), federated };
}

async function groupMembers(client: CognitoIdentityProviderClient, target: string, group: string, identity: TargetIdentity): Promise<Set<string>> {
  const members = new Set<string>();
  for await (const page of paginateListUsersInGroup({ client, pageSize: 60 }, { UserPoolId: target, GroupName: group })) {
    for (const user of page.Users ?? []) {
      const key = targetKey(user, identity);
      if (key !== undefined) members.add(key);
    }
  }
  return members;
}

async function restoreMembership(
  client: CognitoIdentityProviderClient,
  target: string,
  record: MembershipRecord,
  names: RestoredNames,
  members: Set<string>,
  identity: TargetIdentity,
  summary: RestoreSummary,
): Promise<void> {
  const { memberships } = summary;
  if (names.federated.has(record.username)) {
    note(memberships.skipped, { ...record, reason: 'a federated user; add it to the group again after its next sign-in' });
    return;
  }
  const name = names.nameOf(record.username);
  if (name === undefined) {
    note(memberships.failed, { ...record, reason: 'the member has no sign-in name in the target pool' });
    return;
  }
  const key = userKey(name, identity);
  if (members.has(key)) {
    memberships.alreadyPresent += 1;
    return;
  }
  try {
    await client.send(new AdminAddUserToGroupCommand({ UserPoolId: target, GroupName: record.group, Username: name }));
    members.add(key);
    memberships.added += 1;
  } catch (error) {
    const reason = errorName(error) === 'UserNotFoundException' ? 'the member is not in the target pool (its restore failed or was skipped)' : describe(error);
    note(memberships.failed, { ...record, reason });
  }
}

/** Records in one part file of the export, as its manifest counts them. */
function recordsIn(run: ExportRun, path: string): number {
  return run.manifest.files.find((file) => file.path === path)?.records ?? 0;
}

/**
 * Membership part files in batches of whole files holding at least MEMBERSHIP_BATCH records
 * together (the last may hold fewer), by the record counts the manifest gives.
 */
function membershipBatches(run: ExportRun, paths: readonly string[]): string[][] {
  const batches: string[][] = [];
  let batch: string[] = [];
  let records = 0;
  for (const path of paths) {
    batch.push(path);
    records += recordsIn(run, path);
    if (records >= MEMBERSHIP_BATCH) {
      batches.push(batch);
      batch = [];
      records = 0;
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** Runs `work` over `items`, `concurrency` at a time; stops taking new items once `stopping()`. */
async function forEach<T>(items: readonly T[], concurrency: number, stopping: () => boolean, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      if (stopping()) {
        stopped = true;
        return;
      }
      const item = items[next];
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  if (stopped) throw new Stopped();
}

function errorName(error: unknown): string {
  return (error as { name?: string }).name ?? '';
}

function describe(error: unknown): string {
  const { name, message } = error as { name?: string; message?: string };
  return name && message ? `${name}: ${message}` : String(error);
}
