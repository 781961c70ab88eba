/**
 * Exports one Cognito user pool: its description, groups, users and memberships, in the layout of
 * `export-format.ts`. Users are listed in parallel segments (`sub` prefixes), memberships per
 * group; each segment writes gzip parts and records, after each part, where it stands in a
 * checkpoint. A run that stops (asked to, killed, or failed) continues from the checkpoint and
 * ends with the same records as a run that never stopped.
 */
import { gzipSync } from 'node:zlib';
import {
  type CognitoIdentityProviderClient,
  DescribeUserPoolCommand,
  GetUserPoolMfaConfigCommand,
  paginateListGroups,
  paginateListUsers,
  paginateListUsersInGroup,
} from '@aws-sdk/client-cognito-identity-provider';
import { SumDigest, sha256Hex } from '../digest';
import type { ObjectStore } from '../store';
import { type QuotaOverrides, difference, limitToQuotas, mergeCounts, snapshot } from './client';
import {
  EXPORT_FORMAT,
  EXPORT_FORMAT_VERSION,
  type ExportFile,
  type ExportManifest,
  type GroupRecord,
  checkpointPath,
  groupRecord,
  joinKey,
  runIdFor,
  runPath,
  userRecord,
} from './export-format';

/** Largest page the list operations return (ListUsers, ListUsersInGroup, ListGroups). */
export const COGNITO_PAGE_SIZE = 60;
/** `sub` is a lowercase UUID, so these 16 prefixes split every pool's users into disjoint segments. */
export const SUB_PREFIXES = '0123456789abcdef'.split('');

export interface ExportOptions {
  readonly client: CognitoIdentityProviderClient;
  readonly store: ObjectStore;
  readonly userPoolId: string;
  /** Key prefix in the store; the run goes under `<prefix>/<userPoolId>/<runId>/`. @default '' */
  readonly prefix?: string;
  /** Records per list call, 1-60. @default 60, the most Cognito returns */
  readonly pageSize?: number;
  /** Pages per users/memberships part file. @default 50 (3,000 records) */
  readonly pagesPerPart?: number;
  /** Lists running at once. @default 4 */
  readonly concurrency?: number;
  /** Split the user listing into 16 `sub`-prefix segments listed in parallel. @default true */
  readonly segmentUsers?: boolean;
  /** Requests per second per Cognito quota category. @default the documented default quotas */
  readonly rates?: QuotaOverrides;
  /** Asked before each page: true ends the run at the next part boundary, resumable. */
  readonly shouldStop?: () => boolean;
  /** A checkpoint older than this starts a new run instead of continuing. @default 20 */
  readonly maxResumeAgeHours?: number;
  readonly onProgress?: (progress: ExportProgress) => void;
  readonly now?: () => Date;
}

export interface ExportProgress {
  readonly users: number;
  readonly memberships: number;
  readonly groups: number;
  /** Cognito's estimate of the pool's size, for a progress bar's total. */
  readonly estimatedUsers?: number;
}

export type ExportResult =
  | { readonly status: 'complete'; readonly runId: string; readonly location: string; readonly manifest: ExportManifest }
  | { readonly status: 'paused'; readonly runId: string; readonly location: string; readonly progress: ExportProgress };

/** A failed run: its checkpoint was saved, so running the export again continues it. */
export class CognitoExportError extends Error {
  constructor(
    message: string,
    readonly checkpoint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CognitoExportError';
  }
}

interface StreamState {
  readonly id: string;
  readonly kind: 'users' | 'memberships';
  readonly filter?: string;
  readonly group?: string;
  /** Token of the next page; undefined before the first page. */
  token?: string;
  done: boolean;
  nextPart: number;
  files: ExportFile[];
  digest: string;
  count: number;
  byStatus: Record<string, number>;
  disabled: number;
}

interface Checkpoint {
  readonly format: typeof EXPORT_FORMAT;
  readonly formatVersion: typeof EXPORT_FORMAT_VERSION;
  readonly userPoolId: string;
  readonly runId: string;
  readonly startedAt: string;
  resumes: number;
  calls: Record<string, number>;
  pool?: { name?: string; estimatedUsers?: number; file: ExportFile };
  groups?: { count: number; file: ExportFile };
  streams: StreamState[];
}

export async function exportUserPool(options: ExportOptions): Promise<ExportResult> {
  const { client, store, userPoolId } = options;
  const prefix = options.prefix ?? '';
  const now = options.now ?? (() => new Date());
  const pagesPerPart = options.pagesPerPart ?? 50;
  const pageSize = options.pageSize ?? COGNITO_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > COGNITO_PAGE_SIZE) {
    throw new Error(`pageSize ${pageSize} is outside 1-${COGNITO_PAGE_SIZE}, the page sizes Cognito's list calls accept`);
  }
  const counts = limitToQuotas(client, options.rates);
  const callsAtStart = snapshot(counts);
  const checkpointKey = checkpointPath(prefix, userPoolId);

  const checkpoint = await startOrResume(store, checkpointKey, userPoolId, now(), options);
  const base = runPath(prefix, userPoolId, checkpoint.runId);
  const callsBefore = checkpoint.calls;
  let saving: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => {
    saving = saving.then(() => {
      checkpoint.calls = mergeCounts(callsBefore, difference(snapshot(counts), callsAtStart));
      return store.put(checkpointKey, Buffer.from(JSON.stringify(checkpoint)), 'application/json');
    });
    return saving;
  };
  const writeFile = async (path: string, body: Buffer, records?: number): Promise<ExportFile> => {
    await store.put(joinKey(base, path), body, path.endsWith('.gz') ? 'application/gzip' : 'application/json');
    return { path, sha256: sha256Hex(body), bytes: body.length, ...(records !== undefined ? { records } : {}) };
  };

  if (!checkpoint.pool) {
    const { UserPool } = await client.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }));
    const mfa = await client.send(new GetUserPoolMfaConfigCommand({ UserPoolId: userPoolId }));
    const { $metadata: _metadata, ...mfaConfiguration } = mfa;
    const body = Buffer.from(JSON.stringify({ userPool: UserPool, mfaConfiguration }, null, 2));
    checkpoint.pool = { name: UserPool?.Name, estimatedUsers: UserPool?.EstimatedNumberOfUsers, file: await writeFile('pool.json', body) };
    await save();
  }
  if (!checkpoint.groups) {
    const groups: GroupRecord[] = [];
    for await (const page of paginateListGroups({ client, pageSize }, { UserPoolId: userPoolId })) {
      groups.push(...(page.Groups ?? []).map(groupRecord));
    }
    const file = await writeFile('groups.json', Buffer.from(JSON.stringify(groups, null, 2)), groups.length);
    checkpoint.groups = { count: groups.length, file };
    checkpoint.streams.push(...groups.map((group, index) => newStream(`memberships/${String(index).padStart(5, '0')}`, 'memberships', { group: group.name })));
    await save();
  }

  const progress = (): ExportProgress => ({
    users: sum(checkpoint.streams.filter((s) => s.kind === 'users').map((s) => s.count)),
    memberships: sum(checkpoint.streams.filter((s) => s.kind === 'memberships').map((s) => s.count)),
    groups: checkpoint.groups?.count ?? 0,
    estimatedUsers: checkpoint.pool?.estimatedUsers,
  });

  let failure: unknown;
  let stopRequested = false;
  const stopping = (): boolean => failure !== undefined || stopRequested || (stopRequested = options.shouldStop?.() ?? false);

  const commit = async (stream: StreamState, lines: string[], digest: SumDigest, byStatus: Record<string, number>, disabled: number, nextToken: string | undefined): Promise<void> => {
    if (lines.length > 0) {
      const path = `${stream.id}-${String(stream.nextPart).padStart(5, '0')}.jsonl.gz`;
      const file = await writeFile(path, gzipSync(Buffer.from(`${lines.join('\n')}\n`)), lines.length);
      stream.files.push(file);
      stream.nextPart += 1;
      stream.digest = new SumDigest(stream.digest).merge(digest).hex;
      stream.count += lines.length;
      for (const [status, n] of Object.entries(byStatus)) stream.byStatus[status] = (stream.byStatus[status] ?? 0) + n;
      stream.disabled += disabled;
    }
    stream.token = nextToken;
    stream.done = nextToken === undefined;
    await save();
    options.onProgress?.(progress());
  };

  const runStream = async (stream: StreamState): Promise<void> => {
    if (stopping()) return;
    const paginationConfig = { client, pageSize, startingToken: stream.token };
    const pages =
      stream.kind === 'users'
        ? paginateListUsers(paginationConfig, { UserPoolId: userPoolId, ...(stream.filter ? { Filter: stream.filter } : {}) })
        : paginateListUsersInGroup(paginationConfig, { UserPoolId: userPoolId, GroupName: stream.group });
    let lines: string[] = [];
    let digest = new SumDigest();
    let byStatus: Record<string, number> = {};
    let disabled = 0;
    let pagesInPart = 0;
    for await (const page of pages) {
      for (const user of page.Users ?? []) {
        const line = JSON.stringify(stream.kind === 'users' ? userRecord(user) : { group: stream.group, username: user.Username });
        lines.push(line);
        digest.add(line);
        if (stream.kind === 'users') {
          byStatus[user.UserStatus ?? 'UNKNOWN'] = (byStatus[user.UserStatus ?? 'UNKNOWN'] ?? 0) + 1;
          if (user.Enabled === false) disabled += 1;
        }
      }
      const nextToken = 'PaginationToken' in page ? page.PaginationToken : (page as { NextToken?: string }).NextToken;
      pagesInPart += 1;
      const last = !nextToken;
      const stop = !last && stopping();
      if (last || stop || pagesInPart >= pagesPerPart) {
        await commit(stream, lines, digest, byStatus, disabled, nextToken || undefined);
        lines = [];
        digest = new SumDigest();
        byStatus = {};
        disabled = 0;
        pagesInPart = 0;
      }
      if (last || stop) return;
    }
  };

  const queue = checkpoint.streams.filter((stream) => !stream.done);
  const worker = async (): Promise<void> => {
    for (let stream = queue.shift(); stream; stream = queue.shift()) {
      try {
        await runStream(stream);
      } catch (error) {
        if (stream.token !== undefined && isRejectedToken(error)) {
          // A saved pagination token can expire; listing the segment again from its start
          // rewrites the same part files, so nothing is duplicated.
          Object.assign(stream, newStream(stream.id, stream.kind, { filter: stream.filter, group: stream.group }), { token: undefined });
          queue.push(stream);
        } else {
          failure ??= error;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  await save();

  if (failure !== undefined) {
    throw new CognitoExportError(
      `export of ${userPoolId} stopped: ${failure instanceof Error ? failure.message : String(failure)}; run it again to continue from ${store.location}/${checkpointKey}`,
      checkpointKey,
      { cause: failure },
    );
  }
  if (checkpoint.streams.some((stream) => !stream.done)) {
    return { status: 'paused', runId: checkpoint.runId, location: `${store.location}/${base}`, progress: progress() };
  }

  const manifest = manifestOf(checkpoint, now());
  await store.put(joinKey(base, 'manifest.json'), Buffer.from(JSON.stringify(manifest, null, 2)), 'application/json');
  await store.delete(checkpointKey);
  return { status: 'complete', runId: checkpoint.runId, location: `${store.location}/${base}`, manifest };
}

async function startOrResume(store: ObjectStore, key: string, userPoolId: string, start: Date, options: ExportOptions): Promise<Checkpoint> {
  const saved = await store.get(key);
  if (saved) {
    const checkpoint = JSON.parse(saved.toString('utf8')) as Checkpoint;
    const ageHours = (start.getTime() - Date.parse(checkpoint.startedAt)) / 3_600_000;
    if (checkpoint.formatVersion === EXPORT_FORMAT_VERSION && ageHours <= (options.maxResumeAgeHours ?? 20)) {
      checkpoint.resumes += 1;
      return checkpoint;
    }
  }
  const segments = options.segmentUsers === false ? [undefined] : SUB_PREFIXES;
  return {
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_FORMAT_VERSION,
    userPoolId,
    runId: runIdFor(start),
    startedAt: start.toISOString(),
    resumes: 0,
    calls: {},
    streams: segments.map((prefix) =>
      newStream(`users/${prefix ?? 'all'}`, 'users', prefix ? { filter: `sub ^= "${prefix}"` } : {}),
    ),
  };
}

function isRejectedToken(error: unknown): boolean {
  const { name, message } = error as { name?: string; message?: string };
  return name === 'InvalidParameterException' && /token/i.test(message ?? '');
}

function newStream(id: string, kind: StreamState['kind'], extra: { filter?: string; group?: string }): StreamState {
  return { id, kind, ...extra, done: false, nextPart: 0, files: [], digest: new SumDigest().hex, count: 0, byStatus: {}, disabled: 0 };
}

function manifestOf(checkpoint: Checkpoint, finished: Date): ExportManifest {
  const users = checkpoint.streams.filter((s) => s.kind === 'users');
  const memberships = checkpoint.streams.filter((s) => s.kind === 'memberships');
  const usersByStatus: Record<string, number> = {};
  for (const stream of users) {
    for (const [status, n] of Object.entries(stream.byStatus)) usersByStatus[status] = (usersByStatus[status] ?? 0) + n;
  }
  const digestOf = (streams: StreamState[]): string => streams.reduce((acc, s) => acc.merge(new SumDigest(s.digest, s.count)), new SumDigest()).hex;
  return {
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_FORMAT_VERSION,
    userPool: {
      id: checkpoint.userPoolId,
      ...(checkpoint.pool?.name ? { name: checkpoint.pool.name } : {}),
      ...(checkpoint.pool?.estimatedUsers !== undefined ? { estimatedUsers: checkpoint.pool.estimatedUsers } : {}),
    },
    runId: checkpoint.runId,
    startedAt: checkpoint.startedAt,
    finishedAt: finished.toISOString(),
    resumes: checkpoint.resumes,
    counts: {
      users: sum(users.map((s) => s.count)),
      groups: checkpoint.groups?.count ?? 0,
      memberships: sum(memberships.map((s) => s.count)),
      usersByStatus: Object.fromEntries(Object.entries(usersByStatus).sort(([a], [b]) => a.localeCompare(b))),
      disabledUsers: sum(users.map((s) => s.disabled)),
    },
    digests: { algorithm: 'sum-sha256-mod-2^256', users: digestOf(users), memberships: digestOf(memberships) },
    files: [checkpoint.pool!.file, checkpoint.groups!.file, ...checkpoint.streams.flatMap((s) => s.files)],
    calls: checkpoint.calls,
  };
}

function sum(values: number[]): number {
  return values.reduce((total, n) => total + n, 0);
}
