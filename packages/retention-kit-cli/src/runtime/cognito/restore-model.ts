/**
 * The pure part of a Cognito restore: whether a target pool can take an export, which attributes
 * a user is written with, how a user is recognised in the target, and whether a user already
 * there is the same. No AWS calls here.
 */
import type { AttributeType, SchemaAttributeType, UserPoolType, UserType } from '@aws-sdk/client-cognito-identity-provider';
import type { GroupRecord, UserRecord } from './export-format';

/**
 * Attributes Cognito sets itself: kept in the export, never written. `sub` is new in the target
 * (the old one can be kept in a custom attribute), `identities` is written only by federated
 * sign-in, and Cognito maintains `updated_at`.
 */
export const READ_ONLY_ATTRIBUTES: ReadonlySet<string> = new Set(['sub', 'identities', 'updated_at']);

/** The custom attribute a restore keeps each user's old `sub` in, when the target pool has it. */
export const DEFAULT_SOURCE_SUB_ATTRIBUTE = 'custom:source_sub';

/**
 * What a restore cannot carry over, whichever path runs. A round trip (export, restore, export)
 * agrees on everything else.
 */
export const FIELDS_THAT_DO_NOT_SURVIVE = {
  sub: 'Cognito gives every user a new sub; the old one is kept in custom:source_sub when the target pool has that attribute',
  password: 'Cognito never exports a password; restored users must set a new one',
  status: 'per-user path: FORCE_CHANGE_PASSWORD; import job: RESET_REQUIRED (whatever the user had before)',
  createdAt: 'the creation date is the restore time',
  lastModifiedAt: 'the modification date is the restore time',
  username: 'in pools that sign in with email or phone number, Cognito gives each user a new username (its new sub); the email or phone number stays the sign-in name',
  identities: 'federated users are created again by their identity provider at their next sign-in; they are not restored',
  mfa: 'TOTP devices and MFA preferences are not in any export; users set MFA up again',
} as const;

export interface PoolDifference {
  /** What differs, e.g. `custom:licence_number` or `UsernameAttributes`. */
  readonly setting: string;
  readonly source: string;
  readonly target: string;
  readonly fix: string;
}

/**
 * The settings a restore depends on, compared between the exported pool and the target. Every
 * difference is returned at once, so a refused restore names all of them.
 */
export function comparePools(source: UserPoolType, target: UserPoolType): PoolDifference[] {
  const differences: PoolDifference[] = [];
  const sameSet = (a: readonly string[] = [], b: readonly string[] = []) => [...a].sort().join(',') === [...b].sort().join(',');
  const show = (values: readonly string[] = []) => (values.length ? values.join(', ') : 'none');
  if (!sameSet(source.UsernameAttributes, target.UsernameAttributes)) {
    differences.push({
      setting: 'UsernameAttributes',
      source: show(source.UsernameAttributes),
      target: show(target.UsernameAttributes),
      fix: 'create the target pool with the same sign-in identifiers (username, email or phone number)',
    });
  }
  if (!sameSet(source.AliasAttributes, target.AliasAttributes)) {
    differences.push({
      setting: 'AliasAttributes',
      source: show(source.AliasAttributes),
      target: show(target.AliasAttributes),
      fix: 'create the target pool with the same sign-in aliases',
    });
  }
  const caseSensitive = (pool: UserPoolType) => pool.UsernameConfiguration?.CaseSensitive;
  if (caseSensitive(source) !== caseSensitive(target)) {
    differences.push({
      setting: 'UsernameConfiguration.CaseSensitive',
      source: String(caseSensitive(source) ?? 'not set'),
      target: String(caseSensitive(target) ?? 'not set'),
      fix: 'create the target pool with the same username case sensitivity',
    });
  }
  const targetSchema = new Map((target.SchemaAttributes ?? []).map((attribute) => [attribute.Name ?? '', attribute]));
  for (const attribute of customAttributes(source)) {
    const match = targetSchema.get(attribute.Name!);
    if (!match) {
      differences.push({
        setting: attribute.Name!,
        source: `${attribute.AttributeDataType ?? 'String'} custom attribute`,
        target: 'missing',
        fix: `add ${attribute.Name} (${attribute.AttributeDataType ?? 'String'}) to the target pool's schema`,
      });
    } else if ((match.AttributeDataType ?? 'String') !== (attribute.AttributeDataType ?? 'String')) {
      differences.push({
        setting: attribute.Name!,
        source: attribute.AttributeDataType ?? 'String',
        target: match.AttributeDataType ?? 'String',
        fix: `give ${attribute.Name} the type ${attribute.AttributeDataType ?? 'String'} in the target pool`,
      });
    }
  }
  const sourceRequired = new Set((source.SchemaAttributes ?? []).filter((a) => a.Required).map((a) => a.Name));
  for (const attribute of target.SchemaAttributes ?? []) {
    if (attribute.Required && !sourceRequired.has(attribute.Name)) {
      differences.push({
        setting: attribute.Name ?? '',
        source: 'not required',
        target: 'required',
        fix: `make ${attribute.Name} optional in the target pool: exported users may not have it`,
      });
    }
  }
  return differences;
}

export function customAttributes(pool: UserPoolType): SchemaAttributeType[] {
  return (pool.SchemaAttributes ?? []).filter((attribute) => attribute.Name?.startsWith('custom:'));
}

/** How the target pool names users, which the restore writes and compares by. */
export interface TargetIdentity {
  /** The pool's UsernameAttributes: empty for plain usernames. */
  readonly usernameAttributes: readonly string[];
  /** Whether usernames are case sensitive. @default true (the API's default) */
  readonly caseSensitive: boolean;
  /** The custom attribute that receives the old `sub`, when the target pool has it. */
  readonly sourceSubAttribute?: string;
}

export function targetIdentity(target: UserPoolType, sourceSubAttribute = DEFAULT_SOURCE_SUB_ATTRIBUTE): TargetIdentity {
  const hasSubAttribute = (target.SchemaAttributes ?? []).some((attribute) => attribute.Name === sourceSubAttribute);
  return {
    usernameAttributes: target.UsernameAttributes ?? [],
    caseSensitive: target.UsernameConfiguration?.CaseSensitive ?? true,
    ...(hasSubAttribute ? { sourceSubAttribute } : {}),
  };
}

/**
 * The name a user signs in with, which is also what the restore passes as `Username`: the username
 * in a plain pool, else the email (or phone number) Cognito signs them in with.
 */
export function signInName(attributes: Readonly<Record<string, string>>, username: string, identity: TargetIdentity): string | undefined {
  if (identity.usernameAttributes.length === 0) return username;
  for (const attribute of ['email', 'phone_number']) {
    if (identity.usernameAttributes.includes(attribute) && attributes[attribute]) return attributes[attribute];
  }
  return undefined;
}

/** The key two users are matched by: the sign-in name, folded when the pool ignores case. */
export function userKey(name: string, identity: TargetIdentity): string {
  return identity.caseSensitive && identity.usernameAttributes.length === 0 ? name : name.toLowerCase();
}

export function attributesOf(list: readonly AttributeType[] = []): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const attribute of list) if (attribute.Name !== undefined) attributes[attribute.Name] = attribute.Value ?? '';
  return attributes;
}

/** The attributes a restored user is written with: every writable one, plus the old `sub`. */
export function attributesToWrite(user: UserRecord, identity: TargetIdentity): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(user.attributes)) {
    if (!READ_ONLY_ATTRIBUTES.has(name)) attributes[name] = value;
  }
  // A user restored before already carries its original sub there; that one is kept.
  if (identity.sourceSubAttribute && attributes[identity.sourceSubAttribute] === undefined && user.attributes.sub) {
    attributes[identity.sourceSubAttribute] = user.attributes.sub;
  }
  return attributes;
}

/** Federated users (status EXTERNAL_PROVIDER) are created by their identity provider, not by a restore. */
export function isFederated(user: UserRecord): boolean {
  return user.status === 'EXTERNAL_PROVIDER';
}

export interface ExistingUser {
  readonly username: string;
  readonly attributes: Record<string, string>;
  readonly enabled: boolean;
  readonly status?: string;
}

export function existingUser(user: UserType): ExistingUser {
  return { username: user.Username ?? '', attributes: attributesOf(user.Attributes), enabled: user.Enabled !== false, ...(user.UserStatus ? { status: user.UserStatus } : {}) };
}

export interface UserComparison {
  /** Attributes (and `enabled`) that differ; empty when the user is the same. */
  readonly differences: string[];
  /** The export has the user disabled and the target does not (yet): disable it to finish. */
  readonly needsDisable: boolean;
}

/**
 * Compares a user already in the target with what the restore would write. Only writable
 * attributes count; a user the export has disabled but the target has enabled is unfinished
 * (an interrupted restore creates, then disables), not different.
 */
export function compareUser(expected: Readonly<Record<string, string>>, enabled: boolean, existing: ExistingUser): UserComparison {
  const differences: string[] = [];
  const names = new Set([...Object.keys(expected), ...Object.keys(existing.attributes).filter((name) => !READ_ONLY_ATTRIBUTES.has(name))]);
  for (const name of [...names].sort()) {
    if (expected[name] !== existing.attributes[name]) differences.push(name);
  }
  if (enabled && !existing.enabled) differences.push('enabled');
  return { differences, needsDisable: !enabled && existing.enabled };
}

export interface GroupComparison {
  readonly group: string;
  readonly differences: string[];
}

export function compareGroup(expected: GroupRecord, existing: GroupRecord): GroupComparison {
  const differences: string[] = [];
  if ((expected.description ?? '') !== (existing.description ?? '')) differences.push('description');
  if (expected.precedence !== existing.precedence) differences.push('precedence');
  if ((expected.roleArn ?? '') !== (existing.roleArn ?? '')) differences.push('roleArn');
  return { group: expected.name, differences };
}
