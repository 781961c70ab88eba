/**
 * EventBridge rules for AWS Backup jobs that end badly, as data: the pattern, and the message a
 * person reads, in plain words with where to look. Only identifiers and states are inserted:
 * EventBridge does not escape inserted values, and free text (the status message, which can hold
 * quotes) would break the message; the vault's own notification carries AWS Backup's wording. Shapes follow AWS Backup's documented events:
 * backup and copy job events carry `detail.state`, restore job events `detail.status`.
 */

/** Job end states that mean the data was not (fully) protected or restored. */
export const JOB_FAILURE_STATES = ['FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL'];

export type EventPattern = Record<string, unknown>;

export interface JobAlertRule {
  /** Construct id of the rule. */
  readonly id: string;
  readonly description: string;
  readonly pattern: EventPattern;
  /** The message, with `<name>` placeholders filled from `fields` (JSON paths into the event). */
  readonly message: string;
  readonly fields: Readonly<Record<string, string>>;
  /** Whether the rule is about the sensitive vaults (its alerts go to the sensitive topic). */
  readonly sensitive: boolean;
}

const consoleLink = (kind: 'backup' | 'copy' | 'restore') =>
  `https://<region>.console.aws.amazon.com/backup/home?region=<region>#/jobs/${kind}/details/<job>`;

const anythingBut = (values: readonly string[]) => (values.length > 0 ? [{ 'anything-but': [...values] }] : undefined);

export interface JobAlertRuleProps {
  /** Names of the sensitive vaults (their backup job failures go to the sensitive rules). */
  readonly sensitiveVaultNames: readonly string[];
  /** ARNs of the sensitive vaults (copy and restore events name vaults by ARN). */
  readonly sensitiveVaultArns: readonly string[];
  /** Make separate rules for the sensitive vaults. */
  readonly separateSensitive: boolean;
  /** Add the rules of GuardDuty malware scans of recovery points (a category has malware_scan). */
  readonly malwareScanning?: boolean;
}

/** Scan job states after which a scan did not look at everything. */
export const SCAN_INCOMPLETE_STATES = ['FAILED', 'COMPLETED_WITH_ISSUES', 'CANCELED'];

/** The scan events the dashboard lists: every scan that ended. */
export const SCAN_RESULT_PATTERN: EventPattern = {
  source: ['aws.backup'],
  'detail-type': ['Scan Job State Change'],
  detail: { state: ['COMPLETED', ...SCAN_INCOMPLETE_STATES] },
};

/** The rules for failed, aborted, expired and partial backup, copy and restore jobs. */
export function jobAlertRules(props: JobAlertRuleProps): JobAlertRule[] {
  const split = props.separateSensitive && props.sensitiveVaultNames.length > 0;
  const backupFields = {
    job: '$.detail.backupJobId',
    state: '$.detail.state',
    type: '$.detail.resourceType',
    resource: '$.detail.resourceArn',
    vault: '$.detail.backupVaultName',
    account: '$.account',
    region: '$.region',
  };
  const copyFields = {
    job: '$.detail.copyJobId',
    state: '$.detail.state',
    type: '$.detail.resourceType',
    resource: '$.detail.resourceArn',
    source: '$.detail.sourceBackupVaultArn',
    destination: '$.detail.destinationBackupVaultArn',
    account: '$.account',
    region: '$.region',
  };
  const restoreFields = {
    job: '$.detail.restoreJobId',
    state: '$.detail.status',
    type: '$.detail.resourceType',
    recoveryPoint: '$.detail.recoveryPointArn',
    account: '$.account',
    region: '$.region',
  };
  const backupMessage = `AWS Backup could not back up <type> <resource>: the backup job <job> into vault <vault> ended <state> (account <account>, <region>). The reason is on the job: ${consoleLink('backup')}`;
  const copyMessage = `AWS Backup could not copy a recovery point of <type> <resource> from <source> to <destination>: copy job <job> ended <state> (account <account>, <region>). The reason is on the job: ${consoleLink('copy')}`;
  const restoreMessage = `AWS Backup could not restore <type> from recovery point <recoveryPoint>: restore job <job> ended <state> (account <account>, <region>). The reason is on the job: ${consoleLink('restore')}`;

  const backupPattern = (vaults: unknown) => ({
    source: ['aws.backup'],
    'detail-type': ['Backup Job State Change'],
    detail: { state: JOB_FAILURE_STATES, ...(vaults ? { backupVaultName: vaults } : {}) },
  });
  const copyPattern = (vaults: unknown) => ({
    source: ['aws.backup'],
    'detail-type': ['Copy Job State Change'],
    detail: { state: JOB_FAILURE_STATES, ...(vaults ? { sourceBackupVaultArn: vaults } : {}) },
  });
  const rules: JobAlertRule[] = [
    {
      id: 'BackupJobFailed',
      description: 'A backup job ended FAILED, ABORTED, EXPIRED or PARTIAL',
      pattern: backupPattern(split ? anythingBut(props.sensitiveVaultNames) : undefined),
      message: backupMessage,
      fields: backupFields,
      sensitive: false,
    },
    {
      id: 'CopyJobFailed',
      description: 'A copy job ended FAILED, ABORTED, EXPIRED or PARTIAL',
      pattern: copyPattern(split ? anythingBut(props.sensitiveVaultArns) : undefined),
      message: copyMessage,
      fields: copyFields,
      sensitive: false,
    },
    {
      id: 'RestoreJobFailed',
      description: 'A restore job ended FAILED, ABORTED, EXPIRED or PARTIAL',
      pattern: { source: ['aws.backup'], 'detail-type': ['Restore Job State Change'], detail: { status: JOB_FAILURE_STATES } },
      message: restoreMessage,
      fields: restoreFields,
      sensitive: false,
    },
  ];
  if (props.malwareScanning) {
    const scanFields = {
      job: '$.detail.scanJobId',
      state: '$.detail.state',
      type: '$.detail.resourceType',
      resource: '$.detail.resourceArn',
      recoveryPoint: '$.detail.recoveryPointArn',
      vault: '$.detail.backupVaultName',
      account: '$.account',
      region: '$.region',
    };
    rules.push(
      {
        id: 'MalwareFound',
        description: 'GuardDuty found malware in a recovery point',
        pattern: { source: ['aws.backup'], 'detail-type': ['Scan Job State Change'], detail: { scanResult: { scanResultStatus: ['THREATS_FOUND'] } } },
        message:
          'MALWARE FOUND: GuardDuty found threats in recovery point <recoveryPoint> of <type> <resource> (vault <vault>, account <account>, <region>), scan job <job>. ' +
          'Do not restore it; restore from an earlier recovery point that scanned clean. The findings are in GuardDuty: https://<region>.console.aws.amazon.com/guardduty/home?region=<region>#/malware-scan',
        fields: scanFields,
        sensitive: false,
      },
      {
        id: 'MalwareScanIncomplete',
        description: 'A malware scan of a recovery point failed, was canceled, or skipped part of it',
        pattern: { source: ['aws.backup'], 'detail-type': ['Scan Job State Change'], detail: { state: SCAN_INCOMPLETE_STATES } },
        message:
          'A malware scan of recovery point <recoveryPoint> of <type> <resource> ended <state> (scan job <job>, account <account>, <region>): the recovery point is not known to be clean. The reason is on the scan job in AWS Backup and in GuardDuty.',
        fields: scanFields,
        sensitive: false,
      },
    );
  }
  if (split) {
    rules.push(
      {
        id: 'SensitiveBackupJobFailed',
        description: 'A backup job into a sensitive vault ended FAILED, ABORTED, EXPIRED or PARTIAL',
        pattern: backupPattern([...props.sensitiveVaultNames]),
        message: `SENSITIVE DATA: ${backupMessage}`,
        fields: backupFields,
        sensitive: true,
      },
      {
        id: 'SensitiveCopyJobFailed',
        description: 'A copy job out of a sensitive vault ended FAILED, ABORTED, EXPIRED or PARTIAL',
        pattern: copyPattern([...props.sensitiveVaultArns]),
        message: `SENSITIVE DATA: ${copyMessage}`,
        fields: copyFields,
        sensitive: true,
      },
    );
  }
  return rules;
}

/** The message a rule sends for an event, as EventBridge's input transformer fills it. */
export function renderAlert(rule: Pick<JobAlertRule, 'message' | 'fields'>, event: Record<string, unknown>): string {
  const read = (path: string): unknown => path.replace(/^\$\./, '').split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], event);
  return rule.message.replace(/<(\w+)>/g, (whole, name: string) => {
    if (!(name in rule.fields)) return whole;
    const value = read(rule.fields[name]);
    return value === undefined || (typeof value === 'object' && value !== null) ? '' : String(value);
  });
}
