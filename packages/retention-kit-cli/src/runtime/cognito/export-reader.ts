/**
 * Reads and verifies a Cognito export: every file against the manifest's SHA-256 and size, every
 * JSON Lines file's record count, and the users' and memberships' order-independent digests.
 * Records are streamed part by part, so reading a large export keeps memory flat.
 */
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { SumDigest, sha256Hex } from '../digest';
import type { ObjectStore } from '../store';
import { EXPORT_FORMAT, EXPORT_FORMAT_VERSION, type ExportManifest, type GroupRecord, type MembershipRecord, type UserRecord, joinKey } from './export-format';

export interface ExportRun {
  readonly store: ObjectStore;
  /** Key of the run folder in the store. */
  readonly path: string;
  readonly manifest: ExportManifest;
}

/**
 * Opens the run at `path`: a run folder (it has manifest.json), or a pool folder, or a prefix with
 * one pool, where the newest complete run is taken.
 */
export async function openExport(store: ObjectStore, path = ''): Promise<ExportRun> {
  const direct = await store.get(joinKey(path, 'manifest.json'));
  if (direct) return { store, path, manifest: parseManifest(direct, `${store.location}/${joinKey(path, 'manifest.json')}`) };
  const manifests = (await store.list(path)).filter((key) => key.endsWith('/manifest.json'));
  if (manifests.length === 0) throw new Error(`no complete Cognito export (no manifest.json) under ${store.location}/${path}`);
  const pools = new Set(manifests.map((key) => key.split('/').slice(-3, -2)[0]));
  if (pools.size > 1) {
    throw new Error(`${store.location}/${path} holds exports of ${pools.size} pools (${[...pools].join(', ')}); name one: add /<userPoolId> to the path`);
  }
  const newest = manifests.sort().at(-1)!;
  const runKey = newest.slice(0, -'/manifest.json'.length);
  return { store, path: runKey, manifest: parseManifest((await store.get(newest))!, `${store.location}/${newest}`) };
}

function parseManifest(body: Buffer, where: string): ExportManifest {
  const manifest = JSON.parse(body.toString('utf8')) as ExportManifest;
  if (manifest.format !== EXPORT_FORMAT || manifest.formatVersion !== EXPORT_FORMAT_VERSION) {
    throw new Error(`${where} is not a ${EXPORT_FORMAT} version ${EXPORT_FORMAT_VERSION} manifest (format ${String(manifest.format)}, version ${String(manifest.formatVersion)})`);
  }
  return manifest;
}

export interface Verification {
  readonly ok: boolean;
  readonly problems: string[];
  readonly users: number;
  readonly memberships: number;
}

export async function verifyExport(run: ExportRun): Promise<Verification> {
  const problems: string[] = [];
  const users = new SumDigest();
  const memberships = new SumDigest();
  for (const file of run.manifest.files) {
    const body = await run.store.get(joinKey(run.path, file.path));
    if (!body) {
      problems.push(`${file.path}: missing`);
      continue;
    }
    if (body.length !== file.bytes) problems.push(`${file.path}: ${body.length} bytes, manifest says ${file.bytes}`);
    if (sha256Hex(body) !== file.sha256) problems.push(`${file.path}: SHA-256 differs from the manifest`);
    if (!file.path.endsWith('.jsonl.gz')) continue;
    let lines: string[];
    try {
      lines = gunzipSync(body).toString('utf8').split('\n').filter((line) => line.length > 0);
    } catch (error) {
      problems.push(`${file.path}: cannot be decompressed (${(error as Error).message})`);
      continue;
    }
    if (lines.length !== file.records) problems.push(`${file.path}: ${lines.length} records, manifest says ${file.records}`);
    const digest = file.path.startsWith('users/') ? users : memberships;
    for (const line of lines) digest.add(line);
  }
  const { counts, digests } = run.manifest;
  if (users.count !== counts.users) problems.push(`users: ${users.count} records, manifest says ${counts.users}`);
  if (memberships.count !== counts.memberships) problems.push(`memberships: ${memberships.count} records, manifest says ${counts.memberships}`);
  if (users.hex !== digests.users) problems.push('users: digest differs from the manifest');
  if (memberships.hex !== digests.memberships) problems.push('memberships: digest differs from the manifest');
  return { ok: problems.length === 0, problems, users: users.count, memberships: memberships.count };
}

export async function readPool(run: ExportRun): Promise<{ userPool: Record<string, unknown>; mfaConfiguration: Record<string, unknown> }> {
  return JSON.parse((await requireFile(run, 'pool.json')).toString('utf8')) as { userPool: Record<string, unknown>; mfaConfiguration: Record<string, unknown> };
}

export async function readGroups(run: ExportRun): Promise<GroupRecord[]> {
  return JSON.parse((await requireFile(run, 'groups.json')).toString('utf8')) as GroupRecord[];
}

export function readUsers(run: ExportRun): AsyncGenerator<UserRecord> {
  return readLines<UserRecord>(run, 'users/');
}

export function readMemberships(run: ExportRun): AsyncGenerator<MembershipRecord> {
  return readLines<MembershipRecord>(run, 'memberships/');
}

/** The part files of one kind (`users/` or `memberships/`), in manifest order. */
export function partFiles(run: ExportRun, folder: 'users/' | 'memberships/'): string[] {
  return run.manifest.files.filter((f) => f.path.startsWith(folder)).map((f) => f.path);
}

/** The records of one part file. */
export async function* readPart<T>(run: ExportRun, path: string): AsyncGenerator<T> {
  const body = gunzipSync(await requireFile(run, path));
  for await (const line of createInterface({ input: Readable.from(body), crlfDelay: Infinity })) {
    if (line.length > 0) yield JSON.parse(line) as T;
  }
}

async function* readLines<T>(run: ExportRun, folder: 'users/' | 'memberships/'): AsyncGenerator<T> {
  for (const path of partFiles(run, folder)) yield* readPart<T>(run, path);
}

async function requireFile(run: ExportRun, path: string): Promise<Buffer> {
  const body = await run.store.get(joinKey(run.path, path));
  if (!body) throw new Error(`${run.store.location}/${joinKey(run.path, path)} is missing`);
  return body;
}
