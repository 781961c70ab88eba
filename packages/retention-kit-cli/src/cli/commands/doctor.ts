import { BackupClient } from '@aws-sdk/client-backup';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import Table from 'cli-table3';
import { Command } from 'commander';
import { awsSettings, output, withAws, withJson } from '../aws';
import { EXIT_CODES, exitWith } from '../exit-codes';
import { type DoctorCheck, runDoctor } from '../../runtime/doctor';

export function formatChecks(checks: readonly DoctorCheck[]): string {
  const table = new Table({ head: ['Check', 'Status', 'Detail', 'Fix'], style: { head: [], border: [] }, wordWrap: true, colWidths: [34, 9, 44, 50] });
  for (const c of checks) table.push([c.check, c.status === 'ok' ? 'ok' : c.status.toUpperCase(), c.detail, c.fix ?? '']);
  return table.toString();
}

export function doctorCommand(): Command {
  const command = new Command('doctor').description('Check the account settings cross-account backup needs (organization, cross-account backup, advanced DynamoDB backup)');
  return withJson(withAws(command, 'the Region to check (run once per source Region and once for the backup Region)'))
    .option('--organization-id <id>', 'the organization the account must belong to')
    .action(async (options: { region?: string; profile?: string; json?: boolean; organizationId?: string }) => {
      const settings = await awsSettings(options);
      const checks = await runDoctor(
        { sts: new STSClient(settings), organizations: new OrganizationsClient(settings), backup: new BackupClient(settings) },
        { region: settings.region, organizationId: options.organizationId },
      );
      output(options, checks, () => `${formatChecks(checks)}\n`);
      const missing = checks.filter((c) => c.status === 'missing');
      if (missing.length > 0) {
        process.stderr.write(`${missing.length} prerequisite${missing.length === 1 ? ' is' : 's are'} missing.\n`);
        exitWith(EXIT_CODES.problem);
      }
    });
}
