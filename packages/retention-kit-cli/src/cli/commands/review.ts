import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BackupClient } from '@aws-sdk/client-backup';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Command } from 'commander';
import { type SensitiveExpectations, backupAccountExpectations, environmentExpectations, parseBackupAccountConfig, parseRetentionPolicy } from 'retention-kit/policy';
import { awsSettings, output, resolveRegion, withAws, withJson } from '../aws';
import { EXIT_CODES, exitWith } from '../exit-codes';
import { reviewMarkdown, reviewSensitive } from '../../runtime/review';
import { cdkJsonContext } from '../../runtime/cdk-json';

/** The app's context as `cdk synth` sees it: cdk.json's context, then cdk.context.json over it. */
export function appContext(appDir: string): Record<string, unknown> {
  const local = join(appDir, 'cdk.context.json');
  return { ...cdkJsonContext(appDir), ...(existsSync(local) ? (JSON.parse(readFileSync(local, 'utf8')) as Record<string, unknown>) : {}) };
}

/** Which side an app is, from its context: the backup account app names its source accounts. */
export async function expectationsFor(appDir: string, region: () => Promise<string>, account: () => Promise<string>): Promise<SensitiveExpectations> {
  const context = appContext(appDir);
  if (context.source_accounts !== undefined || context.source_account_ids !== undefined) return backupAccountExpectations(parseBackupAccountConfig(context));
  return environmentExpectations(parseRetentionPolicy(context), await account(), await region());
}

export function reviewCommand(): Command {
  const command = new Command('review').description('Access reviews');
  const sensitive = command
    .command('sensitive')
    .description('Who can touch the sensitive vault, key and role, who did (CloudTrail), drift from the deployed policies, and gaps in the sensitive tables\' locks; exit 1 on drift')
    .option('--app <dir>', 'folder of the CDK app (environment or backup account) whose context names the sensitive path', '.')
    .option('--days <n>', 'days of CloudTrail to read (CloudTrail keeps 90)', '90')
    .option('--table <name...>', 'sensitive tables whose locks to check (default: the tables tagged with a sensitive category)')
    .option('--out <file>', 'also write the Markdown to this file');
  withJson(withAws(sensitive, "the environment Region (the backup account app's own is in its context)"))
    .action(async (options: { app: string; region?: string; profile?: string; json?: boolean; days: string; out?: string; table?: string[] }) => {
      const appDir = resolve(options.app);
      const account = async () => (await new STSClient(await awsSettings(options)).send(new GetCallerIdentityCommand({}))).Account ?? '';
      const expectations = await expectationsFor(appDir, () => resolveRegion(options), account);
      const settings = await awsSettings(options, expectations.region);
      const review = await reviewSensitive(
        { backup: new BackupClient(settings), kms: new KMSClient(settings), iam: new IAMClient(settings), cloudtrail: new CloudTrailClient(settings), dynamodb: new DynamoDBClient(settings) },
        expectations,
        { days: Number(options.days), tables: options.table },
      );
      const markdown = reviewMarkdown(review);
      output(options, review, () => `${markdown}\n`);
      if (options.out) writeFileSync(options.out, markdown);
      if (review.drift.length > 0) {
        process.stderr.write(`${review.drift.length} difference${review.drift.length === 1 ? '' : 's'} from the deployed policies.\n`);
        exitWith(EXIT_CODES.problem);
      }
    });
  return command;
}
