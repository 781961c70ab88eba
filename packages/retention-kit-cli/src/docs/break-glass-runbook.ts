/**
 * The break-glass runbook, generated from the same functions that deploy the policies and that the
 * CLI applies, so the JSON in it is exactly what is deployed and what `open` puts.
 */
import {
  BREAK_GLASS_OPENS,
  type BackupAccountConfig,
  type BreakGlassGrant,
  type PolicyStatementJson,
  type RetentionPolicy,
  BREAK_GLASS_USER_AGENT,
  breakGlassRoleAuditRules,
  breakGlassStatements,
  closedTrustPolicy,
  copySourcesOf,
  COPY_BACK_ROLE_NAME,
  FAILOVER_ACCESS_ROLE_NAME,
  recoveryVaultArns,
  sensitiveAuditRules,
  defaultKeyAlias,
  destinationKeyUseStatements,
  destinationSensitiveVaultStatements,
  localSensitiveVaultStatements,
  roleArn,
  SENSITIVE_TABLE_ACTION_RULES,
  type SensitiveActionAccess,
  sensitiveKeyDenyStatement,
  sensitiveTableServiceControlPolicy,
} from 'retention-kit/policy';

export interface RunbookInputs {
  readonly environment: RetentionPolicy;
  readonly environmentAccount: string;
  readonly environmentRegion: string;
  readonly backupAccount: BackupAccountConfig;
  /** The SSN table's name, for the service control policy. */
  readonly sensitiveTableName: string;
  /** The name of the BreakGlassRole the table's lock exempts for bulk reads. */
  readonly recoveryRoleName: string;
}

const WHO: Record<SensitiveActionAccess, string> = {
  anyone: 'anyone IAM allows',
  items: 'app roles, recovery roles',
  recovery: 'recovery roles',
  'aws-backup': 'the sensitive backup role (AWS Backup)',
  'stream-readers': 'named stream readers',
  deployment: 'the deployment (CloudFormation) role',
  nobody: 'nobody',
};
const ENFORCED_BY = { 'table-policy': "table's policy", 'stream-policy': "stream's policy", elsewhere: 'elsewhere' } as const;

/** The per-action table of the SSN table's lock, and the service control policy for what its policy cannot hold. */
function sensitiveTableSection(account: string, tableName: string): string[] {
  const order: SensitiveActionAccess[] = ['nobody', 'recovery', 'aws-backup', 'deployment', 'items', 'stream-readers', 'anyone'];
  const rows = Object.entries(SENSITIVE_TABLE_ACTION_RULES)
    .sort(([a, ra], [b, rb]) => order.indexOf(ra.access) - order.indexOf(rb.access) || a.localeCompare(b))
    .map(([name, rule]) => `| \`${name}\` | ${WHO[rule.access]} | ${ENFORCED_BY[rule.governedBy]} | ${rule.why}${rule.cover ? `. Covered by: ${rule.cover}` : ''} |`);
  return [
    '## The SSN table: who may do what',
    '',
    'Break-glass opens the vaults, never the table. The table\'s lock is the resource policy `Retention.of(table).protect()`',
    'writes from one classification of every DynamoDB action (`SENSITIVE_TABLE_ACTION_RULES`); a test fails when DynamoDB',
    'gains an action it does not name. AWS services acting as themselves are never denied. Changes to the lock go through the',
    'deployment: only its CloudFormation role may put or delete the table\'s policy.',
    '',
    '| action | who may | enforced by | why |',
    '|---|---|---|---|',
    ...rows,
    '',
    '### Service control policy for what the table\'s policy cannot hold',
    '',
    'Attach this to the environment account (or its organizational unit). It denies restores from DynamoDB backups of the',
    'table (none can be made under the lock; this covers any made before it) and legacy global tables of it:',
    '',
    json(sensitiveTableServiceControlPolicy({ account, tableName })),
    '',
  ];
}

/** The backup account's sensitive vault opened for a copy back to a standby's sensitive recovery vault. */
function copyBackSection(backupAccount: BackupAccountConfig): string[] {
  if (backupAccount.standbys.length === 0) return [];
  const access = roleArn(backupAccount.backupAccountId, FAILOVER_ACCESS_ROLE_NAME);
  const example: BreakGlassGrant = { principalArn: access, notBefore: '2026-01-15T08:00:00Z', notAfter: '2026-01-15T16:00:00Z' };
  const deployed = destinationSensitiveVaultStatements({ ...backupAccount, sourceAccountIds: backupAccount.sensitiveSourceAccountIds, vaultName: backupAccount.vaultNames.sensitive });
  const base = deployed.find((st) => st.Sid === BREAK_GLASS_OPENS.copy.denySid) as PolicyStatementJson;
  return [
    '## Copying sensitive recovery points back to a standby',
    '',
    "A recovery into a cold standby copies each recovery point from the backup account's vault back to the standby's recovery",
    `vault. The sensitive vault lets no copy out: to copy back, open break-glass on it for the failover access role \`${access}\`,`,
    `which the standbys' orchestrator roles assume. The copy is made by \`${COPY_BACK_ROLE_NAME}\`, whose own DENY and the vault's copy-target`,
    `guard let it reach only the standbys' sensitive recovery vaults (${recoveryVaultArns(backupAccount.standbys, true).map((arn) => `\`${arn}\``).join(', ')}).`,
    'Restore, deletion and decrypt stay closed; the key is not changed.',
    '',
    '```bash',
    `retention break-glass open --copy-back --vault-name ${backupAccount.vaultNames.sensitive} --key-id ${backupAccount.keyAliases.sensitive} --region ${backupAccount.backupRegion} \\`,
    `  --principal ${access} --until 2026-01-15T16:00:00Z --reason "INC-1234: copy SSN recovery points to the standby"`,
    '```',
    '',
    `It removes \`${BREAK_GLASS_OPENS.copy.actions.join('`, `')}\` from \`${BREAK_GLASS_OPENS.copy.denySid}\` and adds:`,
    '',
    json(breakGlassStatements('copy', base, example)),
    '',
  ];
}

/** The recovery role the table's lock exempts: nobody can become it until break-glass admits one operator. */
function recoveryRoleSection(account: string, region: string, vault: string, roleName: string): string[] {
  const closed = closedTrustPolicy();
  const example: BreakGlassGrant = { principalArn: `arn:aws:iam::${account}:role/DisasterRecovery`, notBefore: '2026-01-15T08:00:00Z', notAfter: '2026-01-15T16:00:00Z' };
  return [
    '## The recovery role the table lock exempts',
    '',
    `The lock lets only the recovery role \`${roleName}\` scan, batch-read, export or restore the SSN table. It is a`,
    '`BreakGlassRole`: its deployed trust has no Allow, so nobody, an administrator of the account included, can assume it.',
    'Synth fails for any role the lock exempts whose trust admits a whole account. To hydrate or recover the SSN table,',
    'open break-glass on the environment account\'s sensitive vault with the role named as well:',
    '',
    '```bash',
    `retention break-glass open --vault-name ${vault} --key-id ${defaultKeyAlias(vault)} --region ${region} \\`,
    `  --role ${roleName} --principal ${example.principalArn} --until 2026-01-15T16:00:00Z \\`,
    '  --reason "INC-1234: hydrate the SSN table into the standby"',
    '```',
    '',
    'The role\'s trust then admits that one principal inside the window, which IAM enforces by `aws:CurrentTime`. `close` puts',
    `the deployed trust back, and puts the inline policy \`BreakGlassRevokeOlderSessions\` on the role: it denies every action to`,
    'sessions issued before the close, so no session begun in the window outlives it.',
    '',
    '### Deployed trust policy',
    '',
    json(closed),
    '',
    `### Opening by hand: the whole \`${closed.Statement[0].Sid}\` statement goes, and these come in (example principal and window)`,
    '',
    `Save the trust first (\`aws iam get-role --role-name ${roleName}\`), then put the new one with \`aws iam update-assume-role-policy\`:`,
    '',
    json(breakGlassStatements('trust', closed.Statement[0], example)),
    '',
  ];
}

const json = (value: unknown) => ['```json', JSON.stringify(value, null, 2), '```'].join('\n');

export function breakGlassRunbook(inputs: RunbookInputs): string {
  const { environment, environmentAccount, environmentRegion, backupAccount, sensitiveTableName, recoveryRoleName } = inputs;
  const sensitiveRole = environment.categories.ssn_data?.specializedRole ?? backupAccount.sourceRoleNames.sensitive[0];
  const localRoleArn = roleArn(environmentAccount, sensitiveRole);
  const targets = [
    {
      title: 'Local sensitive vault (environment account)',
      account: environmentAccount,
      region: environmentRegion,
      vault: environment.vaultNames.sensitive,
      key: defaultKeyAlias(environment.vaultNames.sensitive),
      vaultStatements: localSensitiveVaultStatements({
        copyRoleArn: localRoleArn,
        copyTargets: environment.categories.ssn_data?.copyDestination ? [environment.categories.ssn_data.copyDestination.vaultArn] : [],
      }),
      keyStatements: [sensitiveKeyDenyStatement({ region: environmentRegion })],
    },
    {
      title: 'Cross-account sensitive vault (backup account)',
      account: backupAccount.backupAccountId,
      region: backupAccount.backupRegion,
      vault: backupAccount.vaultNames.sensitive,
      key: backupAccount.keyAliases.sensitive,
      vaultStatements: destinationSensitiveVaultStatements({ ...backupAccount, sourceAccountIds: backupAccount.sensitiveSourceAccountIds, vaultName: backupAccount.vaultNames.sensitive }),
      keyStatements: [
        ...destinationKeyUseStatements({ sources: copySourcesOf(backupAccount, 'sensitive'), organizationId: backupAccount.organizationId, backupRegion: backupAccount.backupRegion }),
        sensitiveKeyDenyStatement({ region: backupAccount.backupRegion }),
      ],
    },
  ];

  const lines: string[] = [
    '# Runbook: break-glass restore of sensitive (SSN) backups',
    '',
    '<!-- Generated by `npm run docs` from src/docs/break-glass-runbook.ts; a test fails when this file and the code differ. -->',
    '',
    'Sensitive recovery points can be restored by nobody until someone edits the policies of the sensitive vault and its key.',
    'Both vaults (the local one in the environment account and the cross-account copy in the backup account) carry DENY',
    'statements that block restore, recovery-point deletion, lifecycle changes and copy-out for every principal, and both',
    'keys deny decrypt, re-encrypt and grants to everyone except calls made through AWS Backup.',
    '',
    'Break-glass opens **restore** (`backup:StartRestoreJob`) on a vault and **decrypt** (`kms:Decrypt`, `kms:CreateGrant`)',
    'on its key for **one named principal**, inside a time window enforced by the policy itself (`aws:CurrentTime`).',
    'Deletion, lifecycle changes and copy-out stay denied to everyone, the principal included.',
    '',
    'The examples below use the reference configuration (`apps/reference/cdk.json`, `apps/backup-account/cdk.context.example.json`);',
    'run `retention break-glass show` to print the statements for your principal and window.',
    '',
    '## Before you start',
    '',
    '1. An incident is declared, with an id, and restore of sensitive data is approved.',
    '2. The principal that will run the restore exists (an IAM role used only for this), and you know its ARN.',
    '3. You hold credentials allowed to change the vault access policy and the key policy (`backup:PutBackupVaultAccessPolicy`,',
    '   `kms:PutKeyPolicy`) in the account of the vault you open. Opening is an explicit, logged act: CloudTrail records both calls.',
    '',
    '## Open, restore, close (with the CLI)',
    '',
    'For each vault you need (usually the cross-account one when the environment account is lost):',
    '',
    '```bash',
  ];
  for (const t of targets) {
    lines.push(
      `# ${t.title}`,
      `retention break-glass open --vault-name ${t.vault} --key-id ${t.key} --region ${t.region} \\`,
      `  --principal arn:aws:iam::${t.account}:role/DisasterRecovery --until 2026-01-15T16:00:00Z \\`,
      '  --reason "INC-1234: restore SSN table into the standby"',
    );
  }
  lines.push(
    '```',
    '',
    '`open` refuses without a principal ARN, a reason (10 characters or more) and an end time in the future, at most 72 hours',
    'ahead. It saves the deployed policies to `.retention/break-glass-<region>-<vault>.json` **before** changing anything, puts the',
    'opened policies, and appends an audit record (who opened it, for whom, why, until when) to',
    '`.retention/break-glass-audit.jsonl`. It refuses when the live policy lacks the DENY statement it edits (drift) or is',
    'already open.',
    '',
    'Then run the restore as the named principal (AWS Backup console or `aws backup start-restore-job`), and close:',
    '',
    '```bash',
    ...targets.map((t) => `retention break-glass close --vault-name ${t.vault} --region ${t.region}`),
    '```',
    '',
    '`close` puts the saved policies back, reads them again and checks they are what was saved; only then does it retire',
    'the state file (renamed `*.closed-<time>`) and append the closing audit record. If the check fails it keeps the state',
    'and says which policy differs. Even if nobody closes, the window ends by itself: after `--until` the principal is',
    'denied again by the `BreakGlassDenyAfterWindow` statement.',
    '',
  );

  const grant: BreakGlassGrant = { principalArn: 'arn:aws:iam::ACCOUNT:role/DisasterRecovery', notBefore: '2026-01-15T08:00:00Z', notAfter: '2026-01-15T16:00:00Z' };
  for (const t of targets) {
    const example = { ...grant, principalArn: `arn:aws:iam::${t.account}:role/DisasterRecovery` };
    const vaultDeny = t.vaultStatements.find((s) => s.Sid === BREAK_GLASS_OPENS.vault.denySid) as PolicyStatementJson;
    const keyDeny = t.keyStatements.find((s) => s.Sid === BREAK_GLASS_OPENS.key.denySid) as PolicyStatementJson;
    lines.push(
      `## ${t.title}`,
      '',
      `Account \`${t.account}\`, Region \`${t.region}\`, vault \`${t.vault}\`, key \`${t.key}\`.`,
      '',
      '### Deployed vault access policy',
      '',
      json({ Version: '2012-10-17', Statement: t.vaultStatements }),
      '',
      '### Deployed key policy statements (besides the account administration statement)',
      '',
      json(t.keyStatements),
      '',
      '### Opening by hand',
      '',
      `Only if the CLI cannot be used. Save both policies first (\`aws backup get-backup-vault-access-policy --backup-vault-name ${t.vault}\`,`,
      `\`aws kms get-key-policy --key-id ${t.key} --policy-name default\`). In the vault policy, remove`,
      `\`${BREAK_GLASS_OPENS.vault.actions.join('`, `')}\` from the \`Action\` list of \`${BREAK_GLASS_OPENS.vault.denySid}\` and add these statements`,
      `(example principal \`${example.principalArn}\`, window ${grant.notBefore} to ${grant.notAfter}):`,
      '',
      json(breakGlassStatements('vault', vaultDeny, example)),
      '',
      `In the key policy, remove \`${BREAK_GLASS_OPENS.key.actions.join('`, `')}\` from the \`Action\` list of \`${BREAK_GLASS_OPENS.key.denySid}\` and add:`,
      '',
      json(breakGlassStatements('key', keyDeny, example)),
      '',
      'Put both with `aws backup put-backup-vault-access-policy` and `aws kms put-key-policy`; to close, put the saved',
      'policies back and compare them with `get-backup-vault-access-policy` and `get-key-policy`.',
      '',
    );
  }
  const alertRules = [
    ...sensitiveAuditRules({ vaultNames: [environment.vaultNames.sensitive], vaultArns: [], keyArns: [] }),
    ...breakGlassRoleAuditRules({ roleNames: [recoveryRoleName], roleArns: [roleArn(environmentAccount, recoveryRoleName)] }),
  ];
  const subscribers = (emails: readonly string[]) => (emails.length ? emails.map((e) => `\`${e}\``).join(', ') : 'nobody yet: set `monitoring.sensitive_email_subscriptions`');
  lines.push(...copyBackSection(backupAccount));
  lines.push(...sensitiveTableSection(environmentAccount, sensitiveTableName), ...recoveryRoleSection(environmentAccount, environmentRegion, environment.vaultNames.sensitive, recoveryRoleName));
  lines.push(
    '## What alerts fire, and who sees them',
    '',
    'Both apps record every management event in a CloudTrail trail (or rely on the organization trail named in',
    '`audit_trail.organization_trail_arn`), and EventBridge rules send these alerts to the **sensitive alerts topic**:',
    '',
    '| alert | fires when |',
    '|---|---|',
    ...alertRules.map((r) => `| \`${r.id}\` | ${r.description} |`),
    '',
    '`retention break-glass` marks its calls with the user agent `' + BREAK_GLASS_USER_AGENT + '`: opening and closing raise the',
    '`...ChangedByBreakGlass` alerts, which say the change was expected; any other change to the vault or key policy raises',
    'the `UNEXPECTED` ones. Both are sent: an open break-glass never goes unnoticed.',
    '',
    `Subscribers of the sensitive topic: environment account ${subscribers(environment.monitoring.sensitiveEmails)};`,
    `backup account ${subscribers(backupAccount.monitoring.sensitiveEmails)}.`,
    '',
    'After closing, `retention review sensitive --app <app folder> [--region <region>]` confirms that the live policies are the',
    'deployed ones again (it exits non-zero on any difference) and lists who touched the vault, key and role.',
    '',
    '## Afterwards',
    '',
    '- Attach the audit records (`.retention/break-glass-audit.jsonl`) and the CloudTrail events of the two `Put...Policy`',
    '  calls to the incident.',
    '- Confirm no `BreakGlass*` statement remains in either policy.',
    '',
  );
  return lines.join('\n');
}
