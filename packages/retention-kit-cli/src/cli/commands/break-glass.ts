import { join } from 'node:path';
import { BackupClient } from '@aws-sdk/client-backup';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { STSClient } from '@aws-sdk/client-sts';
import { Command } from 'commander';
import { BREAK_GLASS_OPENS, BREAK_GLASS_USER_AGENT, type BreakGlassGrant, breakGlassStatements, closedTrustPolicy, sensitiveKeyDenyStatement, sensitiveVaultDenyStatements } from 'retention-kit/policy';
import { type BreakGlassClients, closeBreakGlass, openBreakGlass } from '../../runtime/break-glass';
import { type AwsOptions, awsSettings, output, resolveRegion, withAws, withJson } from '../aws';

const STATE_DIR = '.retention';

function grantFrom(options: { principal: string; until: string; from?: string }, now = new Date()): BreakGlassGrant {
  return { principalArn: options.principal, notBefore: options.from ?? now.toISOString(), notAfter: options.until };
}

/** The temporary statements for one grant, for the vault and the key in a Region and a break-glass role's trust: what to remove from which standing DENY, and what to add. */
export function breakGlassEdits(grant: BreakGlassGrant, region: string) {
  const edit = (kind: 'vault' | 'key' | 'trust', base: ReturnType<typeof sensitiveKeyDenyStatement>) => ({
    removeActions: [...BREAK_GLASS_OPENS[kind].actions],
    fromStatement: base.Sid,
    add: breakGlassStatements(kind, base, grant),
  });
  return {
    vault: edit('vault', sensitiveVaultDenyStatements({ copyRoleArns: [] })[0]),
    key: edit('key', sensitiveKeyDenyStatement({ region })),
    trust: edit('trust', closedTrustPolicy().Statement[0]),
  };
}

/** The same edits as the runbook shows them. */
export function showBreakGlass(grant: BreakGlassGrant, region: string): string {
  const edits = breakGlassEdits(grant, region);
  const section = (title: string, edit: ReturnType<typeof breakGlassEdits>['vault']) =>
    [`${title}: remove ${edit.removeActions.join(', ')} from the Action list of ${edit.fromStatement}, then add:`, JSON.stringify(edit.add, null, 2)].join('\n');
  return [
    section('Sensitive vault access policy', edits.vault),
    '',
    section('Sensitive key policy', edits.key),
    '',
    section('Trust policy of each break-glass role named with --role (the whole statement goes)', edits.trust),
  ].join('\n');
}

async function clients(options: AwsOptions, region: string): Promise<BreakGlassClients> {
  // The user agent marks these calls in CloudTrail, so the audit rules can announce them as expected.
  const settings = { ...(await awsSettings(options, region)), customUserAgent: BREAK_GLASS_USER_AGENT };
  return { backup: new BackupClient(settings), kms: new KMSClient(settings), sts: new STSClient(settings), iam: new IAMClient(settings) };
}

// The local and the cross-account sensitive vaults may share a name: the Region tells their state files apart.
const files = (options: { vaultName: string; region: string; stateFile?: string; auditLog?: string }) => ({
  stateFile: options.stateFile ?? join(STATE_DIR, `break-glass-${options.region}-${options.vaultName}.json`),
  auditLog: options.auditLog ?? join(STATE_DIR, 'break-glass-audit.jsonl'),
});

export function breakGlassCommand(): Command {
  const command = new Command('break-glass').description('Open restore and decrypt on a sensitive vault and key for one principal, for a limited time, and close it again');

  const show = command
    .command('show')
    .description('Print the exact temporary policy statements that open restore for one principal (changes nothing)')
    .requiredOption('--principal <arn>', 'the IAM role or user ARN to let through')
    .requiredOption('--until <iso8601>', 'end of the window (UTC)')
    .option('--from <iso8601>', 'start of the window (UTC)', new Date().toISOString());
  withJson(withAws(show, 'Region of the vault and key (their kms:ViaService names it)')).action(async (options: { principal: string; until: string; from: string; json?: boolean } & AwsOptions) => {
    const region = await resolveRegion(options);
    output(options, breakGlassEdits(grantFrom(options), region), () => `${showBreakGlass(grantFrom(options), region)}\n`);
  });

  const open = command
    .command('open')
    .description('Save the deployed policies, then put the opened ones; writes an audit record')
    .requiredOption('--vault-name <name>', 'the sensitive backup vault')
    .requiredOption('--key-id <id>', 'key id, ARN or alias of the vault key')
    .requiredOption('--principal <arn>', 'the IAM role or user ARN to let through')
    .requiredOption('--until <iso8601>', 'end of the window (UTC, at most 72 hours ahead)')
    .requiredOption('--reason <text>', 'the incident and why restore is needed')
    .option('--copy-back', "the backup account's sensitive vault: let the principal (the failover access role) start copies back to a standby's sensitive recovery vault, instead of opening restore and decrypt")
    .option('--role <name...>', 'break-glass roles (BreakGlassRole, such as the recovery role a sensitive table lock exempts) whose trust admits the principal for the window')
    .option('--from <iso8601>', 'start of the window (UTC)')
    .option('--state-file <file>', `where the deployed policies are saved (default ${STATE_DIR}/break-glass-<region>-<vault>.json)`)
    .option('--audit-log <file>', `JSON Lines audit log (default ${STATE_DIR}/break-glass-audit.jsonl)`);
  withJson(withAws(open, 'Region of the vault and key')).action(
    async (options: { vaultName: string; keyId: string; principal: string; until: string; from?: string; reason: string; role?: string[]; copyBack?: boolean; stateFile?: string; auditLog?: string; json?: boolean } & AwsOptions) => {
      const region = await resolveRegion(options);
      const target = { vaultName: options.vaultName, keyId: options.keyId, ...(options.role ? { roleNames: options.role } : {}), ...(options.copyBack ? { copyBack: true } : {}) };
      const record = await openBreakGlass(await clients(options, region), target, grantFrom(options), options.reason, files({ ...options, region }));
      const roles = record.roles ? ` and the trust of ${record.roles.join(', ')}` : '';
      output(options, record, () => `Break-glass OPEN on ${record.vault} and ${record.key}${roles} for ${record.principal} until ${record.notAfter}.\n${JSON.stringify(record)}\n`);
    },
  );

  const close = command
    .command('close')
    .description('Put the saved policies back and verify them; writes an audit record')
    .requiredOption('--vault-name <name>', 'the sensitive backup vault (names the default state file)')
    .option('--state-file <file>', 'the state file written by open')
    .option('--audit-log <file>', 'JSON Lines audit log');
  withJson(withAws(close, 'Region of the vault and key')).action(async (options: { vaultName: string; stateFile?: string; auditLog?: string; json?: boolean } & AwsOptions) => {
    const region = await resolveRegion(options);
    const record = await closeBreakGlass(await clients(options, region), files({ ...options, region }));
    const roles = record.roles ? `, the trust of ${record.roles.join(', ')} (their earlier sessions revoked)` : '';
    output(options, record, () => `Break-glass CLOSED on ${record.vault} and ${record.key}${roles}; the deployed policies are back and verified.\n${JSON.stringify(record)}\n`);
  });

  return command;
}
