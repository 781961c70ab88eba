/**
 * The Cognito export layout, version 1. One folder per pool and run, never overwritten:
 *
 * ```
 * <prefix>/<userPoolId>/<runId>/
 *   manifest.json                 written last: its presence means the run is complete
 *   pool.json                     DescribeUserPool + GetUserPoolMfaConfig
 *   groups.json                   every group (name, description, precedence, role ARN, dates)
 *   users/<segment>-<n>.jsonl.gz  one user per line (UserRecord), gzip
 *   memberships/<group>-<n>.jsonl.gz  one membership per line (MembershipRecord), gzip
 * <prefix>/<userPoolId>/checkpoint.json   only while a run is unfinished
 * ```
 *
 * Memberships are kept apart from users so that neither side is held in memory: the export
 * streams both, and a restore streams both.
 */
import type { GroupType, UserType } from '@aws-sdk/client-cognito-identity-provider';

export const EXPORT_FORMAT = 'retention-kit/cognito-export';
export const EXPORT_FORMAT_VERSION = 1;

export interface UserRecord {
  readonly username: string;
  /** Every attribute the user has, by name; `sub` and federated `identities` included. */
  readonly attributes: Record<string, string>;
  readonly status?: string;
  readonly enabled?: boolean;
  readonly createdAt?: string;
  readonly lastModifiedAt?: string;
  /** Legacy SMS MFA options, as ListUsers gives them. */
  readonly mfaOptions?: { deliveryMedium?: string; attributeName?: string }[];
}

export interface MembershipRecord {
  readonly group: string;
  readonly username: string;
}

export interface GroupRecord {
  readonly name: string;
  readonly description?: string;
  readonly precedence?: number;
  readonly roleArn?: string;
  readonly createdAt?: string;
  readonly lastModifiedAt?: string;
}

export interface ExportFile {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  /** Lines in a JSON Lines file. */
  readonly records?: number;
}

export interface ExportManifest {
  readonly format: typeof EXPORT_FORMAT;
  readonly formatVersion: typeof EXPORT_FORMAT_VERSION;
  readonly userPool: { readonly id: string; readonly name?: string; readonly estimatedUsers?: number };
  readonly runId: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Times the run stopped and was continued from its checkpoint. */
  readonly resumes: number;
  readonly counts: {
    readonly users: number;
    readonly groups: number;
    readonly memberships: number;
    readonly usersByStatus: Record<string, number>;
    readonly disabledUsers: number;
  };
  /** Order-independent checksums (see SumDigest) of the uncompressed JSON lines. */
  readonly digests: { readonly algorithm: 'sum-sha256-mod-2^256'; readonly users: string; readonly memberships: string };
  readonly files: readonly ExportFile[];
  /** Cognito calls the run made, by operation (retries of throttled calls included by the SDK, not here). */
  readonly calls: Record<string, number>;
}

export function userRecord(user: UserType): UserRecord {
  const attributes: Record<string, string> = {};
  for (const attribute of user.Attributes ?? []) {
    if (attribute.Name !== undefined) attributes[attribute.Name] = attribute.Value ?? '';
  }
  return {
    username: user.Username ?? '',
    attributes,
    ...(user.UserStatus ? { status: user.UserStatus } : {}),
    ...(user.Enabled !== undefined ? { enabled: user.Enabled } : {}),
    ...(user.UserCreateDate ? { createdAt: user.UserCreateDate.toISOString() } : {}),
    ...(user.UserLastModifiedDate ? { lastModifiedAt: user.UserLastModifiedDate.toISOString() } : {}),
    ...(user.MFAOptions?.length
      ? { mfaOptions: user.MFAOptions.map((option) => ({ deliveryMedium: option.DeliveryMedium, attributeName: option.AttributeName })) }
      : {}),
  };
}

export function groupRecord(group: GroupType): GroupRecord {
  return {
    name: group.GroupName ?? '',
    ...(group.Description !== undefined ? { description: group.Description } : {}),
    ...(group.Precedence !== undefined ? { precedence: group.Precedence } : {}),
    ...(group.RoleArn !== undefined ? { roleArn: group.RoleArn } : {}),
    ...(group.CreationDate ? { createdAt: group.CreationDate.toISOString() } : {}),
    ...(group.LastModifiedDate ? { lastModifiedAt: group.LastModifiedDate.toISOString() } : {}),
  };
}

/** A run ID that sorts by time: `20261122T020000Z`. */
export function runIdFor(start: Date): string {
  return start.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export function runPath(prefix: string, userPoolId: string, runId: string): string {
  return joinKey(prefix, userPoolId, runId);
}

export function checkpointPath(prefix: string, userPoolId: string): string {
  return joinKey(prefix, userPoolId, 'checkpoint.json');
}

export function joinKey(...parts: string[]): string {
  return parts
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter((part) => part.length > 0)
    .join('/');
}
