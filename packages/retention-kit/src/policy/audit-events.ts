/**
 * Alerts on every touch of the sensitive path, from CloudTrail's API-call events (which reach
 * EventBridge only when a trail records them), as data like the job alerts. `retention break-glass`
 * identifies itself in the user agent, so its policy changes are announced as expected ones, and
 * still alerted.
 */
import type { JobAlertRule } from './backup-events';

/** Marker the break-glass CLI adds to its SDK clients' user agent (CloudTrail records it). */
export const BREAK_GLASS_USER_AGENT = 'retention-kit/break-glass';

const API_CALL = 'AWS API Call via CloudTrail';
const DENIED = ['AccessDenied', 'AccessDeniedException'];
const byBreakGlass = [{ wildcard: `*${BREAK_GLASS_USER_AGENT}*` }];
const notByBreakGlass = [{ 'anything-but': { wildcard: `*${BREAK_GLASS_USER_AGENT}*` } }];

export const SENSITIVE_VAULT_CHANGE_EVENTS = [
  'PutBackupVaultAccessPolicy',
  'DeleteBackupVaultAccessPolicy',
  'DeleteBackupVault',
  'PutBackupVaultLockConfiguration',
  'DeleteBackupVaultLockConfiguration',
  'DeleteBackupVaultNotifications',
];
export const SENSITIVE_RECOVERY_POINT_EVENTS = ['DeleteRecoveryPoint', 'UpdateRecoveryPointLifecycle', 'DisassociateRecoveryPoint'];
export const SENSITIVE_KEY_CHANGE_EVENTS = ['PutKeyPolicy', 'ScheduleKeyDeletion', 'DisableKey', 'DisableKeyRotation', 'RevokeGrant', 'RetireGrant'];

const callFields = {
  who: '$.detail.userIdentity.arn',
  what: '$.detail.eventName',
  vault: '$.detail.requestParameters.backupVaultName',
  key: '$.detail.requestParameters.keyId',
  from: '$.detail.sourceIPAddress',
  error: '$.detail.errorCode',
  account: '$.account',
  region: '$.region',
  time: '$.time',
};
const where = '(account <account>, <region>, <time>, from <from>)';

export function sensitiveAuditRules(props: { vaultNames: readonly string[]; vaultArns: readonly string[]; keyArns: readonly string[] }): JobAlertRule[] {
  const vaultCall = (eventNames: string[], extra: Record<string, unknown> = {}) => ({
    source: ['aws.backup'],
    'detail-type': [API_CALL],
    detail: { eventSource: ['backup.amazonaws.com'], eventName: eventNames, requestParameters: { backupVaultName: [...props.vaultNames] }, ...extra },
  });
  const keyCall = (eventNames: string[], extra: Record<string, unknown> = {}) => ({
    source: ['aws.kms'],
    'detail-type': [API_CALL],
    detail: { eventSource: ['kms.amazonaws.com'], eventName: eventNames, resources: { ARN: [...props.keyArns] }, ...extra },
  });
  const rule = (id: string, description: string, pattern: Record<string, unknown>, message: string, fields: Record<string, string> = callFields): JobAlertRule => ({
    id,
    description,
    pattern,
    message,
    fields,
    sensitive: true,
  });
  return [
    rule(
      'SensitiveVaultPolicyChanged',
      'The access policy, lock or notifications of a sensitive vault changed, not by retention break-glass',
      vaultCall(SENSITIVE_VAULT_CHANGE_EVENTS, { userAgent: notByBreakGlass }),
      `UNEXPECTED change to sensitive vault <vault>: <who> called <what> ${where}. Not made by retention break-glass: if nobody planned it, treat it as an incident and run \`retention review sensitive\`.`,
    ),
    rule(
      'SensitiveVaultPolicyChangedByBreakGlass',
      'retention break-glass opened or closed a sensitive vault',
      vaultCall(SENSITIVE_VAULT_CHANGE_EVENTS, { userAgent: byBreakGlass }),
      `Expected: retention break-glass changed sensitive vault <vault>: <who> called <what> ${where}. Check the break-glass audit log for the reason and the end of the window.`,
    ),
    rule(
      'SensitiveRecoveryPointTouched',
      'Someone tried to delete, shorten or disassociate a recovery point of a sensitive vault',
      vaultCall(SENSITIVE_RECOVERY_POINT_EVENTS),
      `Sensitive vault <vault>: <who> called <what> on a recovery point ${where}; result: <error> (empty means it succeeded).`,
    ),
    rule(
      'RestoreAttemptDenied',
      'A restore was refused (the sensitive vaults refuse every restore until break-glass)',
      { source: ['aws.backup'], 'detail-type': [API_CALL], detail: { eventSource: ['backup.amazonaws.com'], eventName: ['StartRestoreJob'], errorCode: DENIED } },
      `A restore was refused: <who> called StartRestoreJob ${where} and got <error>. Restores from the sensitive vaults need retention break-glass.`,
    ),
    rule(
      'SensitiveRestoreJob',
      'A restore job ran from a sensitive vault',
      { source: ['aws.backup'], 'detail-type': ['Restore Job State Change'], detail: { backupVaultArn: [...props.vaultArns] } },
      'Restore from a sensitive vault: restore job <job> is <status> for recovery point <recoveryPoint> (account <account>, <region>, <time>).',
      { job: '$.detail.restoreJobId', status: '$.detail.status', recoveryPoint: '$.detail.recoveryPointArn', account: '$.account', region: '$.region', time: '$.time' },
    ),
    rule(
      'SensitiveKeyPolicyChanged',
      'The policy, state or grants of a sensitive key changed, not by retention break-glass',
      keyCall(SENSITIVE_KEY_CHANGE_EVENTS, { userAgent: notByBreakGlass }),
      `UNEXPECTED change to sensitive key <key>: <who> called <what> ${where}. Not made by retention break-glass: if nobody planned it, treat it as an incident.`,
    ),
    rule(
      'SensitiveKeyPolicyChangedByBreakGlass',
      'retention break-glass opened or closed a sensitive key',
      keyCall(SENSITIVE_KEY_CHANGE_EVENTS, { userAgent: byBreakGlass }),
      `Expected: retention break-glass changed sensitive key <key>: <who> called <what> ${where}.`,
    ),
    rule(
      'SensitiveKeyGrantCreated',
      'A grant on a sensitive key was created directly, not by an AWS service on someone\'s behalf',
      keyCall(['CreateGrant'], { userIdentity: { invokedBy: [{ exists: false }] } }),
      `A grant on sensitive key <key> was created directly by <who> ${where}: whoever holds the grant can use the key.`,
    ),
    rule(
      'SensitiveDecryptDenied',
      'A decrypt with a sensitive key was refused by the break-glass DENY',
      keyCall(['Decrypt', 'ReEncrypt', 'CreateGrant'], { errorCode: DENIED }),
      `Refused use of sensitive key <key>: <who> called <what> ${where} and got <error>.`,
    ),
  ];
}

/** The IAM calls that change who can become a role, or what it may do, or remove it. */
export const BREAK_GLASS_ROLE_CHANGE_EVENTS = [
  'UpdateAssumeRolePolicy',
  'PutRolePolicy',
  'DeleteRolePolicy',
  'AttachRolePolicy',
  'DetachRolePolicy',
  'PutRolePermissionsBoundary',
  'DeleteRolePermissionsBoundary',
  'UpdateRole',
  'DeleteRole',
];

/**
 * Alerts on a break-glass role (a role nobody assumes until break-glass opens its trust): any change
 * to its trust or permissions, announced as expected when retention break-glass made it, and every
 * assumption of it, refused or not. IAM's events are delivered in us-east-1 only; STS's in the
 * Region of the endpoint called.
 */
export function breakGlassRoleAuditRules(props: { roleNames: readonly string[]; roleArns: readonly string[] }): JobAlertRule[] {
  const roleCall = (extra: Record<string, unknown>) => ({
    source: ['aws.iam'],
    'detail-type': [API_CALL],
    detail: { eventSource: ['iam.amazonaws.com'], eventName: BREAK_GLASS_ROLE_CHANGE_EVENTS, requestParameters: { roleName: [...props.roleNames] }, ...extra },
  });
  const fields = { ...callFields, role: '$.detail.requestParameters.roleName' };
  const rule = (id: string, description: string, pattern: Record<string, unknown>, message: string, ruleFields: Record<string, string> = fields): JobAlertRule => ({
    id,
    description,
    pattern,
    message,
    fields: ruleFields,
    sensitive: true,
  });
  return [
    rule(
      'BreakGlassRoleChanged',
      'The trust or permissions of a break-glass role changed, not by retention break-glass',
      roleCall({ userAgent: notByBreakGlass }),
      `UNEXPECTED change to break-glass role <role>: <who> called <what> ${where}. Not made by retention break-glass: whoever changed its trust may become it and pass the lock it is exempt from; treat it as an incident and run \`retention review sensitive\`.`,
    ),
    rule(
      'BreakGlassRoleChangedByBreakGlass',
      'retention break-glass opened or closed a break-glass role',
      roleCall({ userAgent: byBreakGlass }),
      `Expected: retention break-glass changed break-glass role <role>: <who> called <what> ${where}. Check the break-glass audit log for the reason and the end of the window.`,
    ),
    rule(
      'BreakGlassRoleAssumed',
      'Someone assumed, or tried to assume, a break-glass role',
      { source: ['aws.sts'], 'detail-type': [API_CALL], detail: { eventSource: ['sts.amazonaws.com'], eventName: ['AssumeRole'], requestParameters: { roleArn: [...props.roleArns] } } },
      `Break-glass role <role> assumed by <who> ${where}; result: <error> (empty means it succeeded).`,
      { ...callFields, role: '$.detail.requestParameters.roleArn' },
    ),
  ];
}
