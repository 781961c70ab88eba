import { S3Client } from '@aws-sdk/client-s3';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { type AwsOptions, awsSettings, output, withAws, withJson } from '../aws';
import { EXIT_CODES, exitWith } from '../exit-codes';
import { createCognitoClient, type QuotaOverrides } from '../../runtime/cognito/client';
import { openExport, verifyExport } from '../../runtime/cognito/export-reader';
import { runExportJob } from '../../runtime/cognito/export-job';
import { DEFAULT_RESTORE_CONCURRENCY, RestoreRefusedError, type RestoreMethod, type RestoreSummary, restoreUserPool } from '../../runtime/cognito/restorer';
import { DEFAULT_SOURCE_SUB_ATTRIBUTE } from '../../runtime/cognito/restore-model';
import { formatRestoreSummary } from '../../runtime/cognito/restore-summary';
import { sendInvitations } from '../../runtime/cognito/invitations';
import { COGNITO_DEFAULT_QUOTAS, type CognitoQuotaCategory } from '../../runtime/cognito/quotas';
import { type CategoryRate, EXPORT_OPERATIONS, RESTORE_OPERATIONS, categoriesOf, describeRates, ratesOf, readAccountRates } from '../../runtime/cognito/account-rates';
import { type PathPlan, planRestore } from '../../runtime/cognito/restore-plan';
import Table from 'cli-table3';
import { FolderStore, storeFor } from '../../runtime/store';
import { formatDuration, parseCount, parseDuration, parsePositiveInteger } from '../options';

interface StoreOptions extends AwsOptions {
  s3PathStyle?: boolean;
  json?: boolean;
}

/** The store at `location`: a folder, or an S3 prefix (only then is a Region needed). */
async function storeAt(location: string, options: StoreOptions) {
  if (!location.startsWith('s3://')) return storeFor(location);
  return storeFor(location, new S3Client({ ...(await awsSettings(options)), forcePathStyle: options.s3PathStyle === true }));
}

/** A Cognito client for the Region and profile, limited to the quotas. */
async function cognitoClient(options: StoreOptions & { rate?: QuotaOverrides }) {
  const settings = await awsSettings(options);
  return createCognitoClient({ region: settings.region, profile: settings.profile, rates: options.rate });
}

interface AccountRateOptions extends StoreOptions {
  rate?: QuotaOverrides;
  /** `--no-account-rates` sets it false. */
  accountRates?: boolean;
}

/** The rates a job runs at: `--rate`, else the account's (GetProvisionedLimit), else the documented defaults. */
async function jobRates(options: AccountRateOptions, operations: readonly string[]): Promise<CategoryRate[]> {
  const categories = categoriesOf(operations);
  if (options.accountRates === false) {
    return categories.map((category) => (options.rate?.[category] !== undefined ? { category, rate: options.rate[category]!, source: 'option' as const } : { category, rate: COGNITO_DEFAULT_QUOTAS[category], source: 'default' as const, note: 'account rates not read (--no-account-rates)' }));
  }
  const settings = await awsSettings(options);
  // No retries: a refusal is the answer, and the job falls back to the default for that category.
  const probe = createCognitoClient({ region: settings.region, profile: settings.profile, maxAttempts: 1 });
  return readAccountRates(probe, categories, options.rate);
}

/** A Cognito client at the job's rates, which it names on stderr. */
async function cognitoClientAtRates(options: AccountRateOptions, operations: readonly string[]) {
  const rates = await jobRates(options, operations);
  process.stderr.write(`Rates:\n${describeRates(rates).replace(/^/gm, '  ')}\n`);
  return cognitoClient({ ...options, rate: ratesOf(rates) });
}

const ACCOUNT_RATES_HELP = "don't read the account's rates (GetProvisionedLimit); use --rate and the documented defaults";

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--rate UserList=20`: requests per second for one quota category. */
function parseRate(value: string, previous: QuotaOverrides = {}): QuotaOverrides {
  const match = /^(\w+)=(\d+(?:\.\d+)?)$/.exec(value);
  const categories = Object.keys(COGNITO_DEFAULT_QUOTAS);
  if (!match || !categories.includes(match[1]) || Number(match[2]) <= 0) {
    throw new InvalidArgumentError(`expected CATEGORY=RPS with CATEGORY one of ${categories.join(', ')} and RPS above 0, got "${value}"`);
  }
  return { ...previous, [match[1] as CognitoQuotaCategory]: Number(match[2]) };
}

export function cognitoCommand(): Command {
  const command = new Command('cognito').description('Cognito user pools: export every user, group and membership; verify an export; restore it into a new pool');
  const exportCommand = command
    .command('export')
    .description('Exports user pools to a folder or s3://bucket/prefix, one new run folder per pool; an interrupted run continues where it stopped')
    .requiredOption('--user-pool-id <id>', 'a pool to export (repeat for several)', collect)
    .requiredOption('--out <dir|s3://bucket/prefix>', 'where the export goes')
    .option('--rate <category=rps>', `requests per second for a Cognito quota category (repeatable; defaults: ${Object.entries(COGNITO_DEFAULT_QUOTAS).filter(([c]) => ['UserList', 'UserPoolRead', 'UserPoolResourceRead'].includes(c)).map(([c, n]) => `${c}=${n}`).join(', ')})`, parseRate)
    .option('--no-account-rates', ACCOUNT_RATES_HELP)
    .option('--no-segments', 'list users in one sequence instead of 16 parallel sub-prefix segments')
    .option('--s3-path-style', 'path-style S3 addressing (for S3-compatible local servers)');
  withJson(withAws(exportCommand))
    .action(async (options: { userPoolId: string[]; out: string; segments: boolean } & AccountRateOptions) => {
      const client = await cognitoClientAtRates(options, EXPORT_OPERATIONS);
      const store = await storeAt(options.out, options);
      const bar = process.stderr.isTTY ? new SingleBar({ format: '{pool} [{bar}] {value}/{total} users | {memberships} memberships | {eta_formatted}' }) : undefined;
      const started = Date.now();
      const result = await runExportJob({
        client,
        store,
        userPoolIds: options.userPoolId,
        segmentUsers: options.segments,
        onPoolStart: (pool) => bar?.start(1, 0, { pool, memberships: 0 }),
        onProgress: (pool, progress) => {
          if (!bar) return;
          bar.setTotal(Math.max(progress.estimatedUsers ?? 0, progress.users, 1));
          bar.update(progress.users, { pool, memberships: progress.memberships });
        },
      });
      bar?.stop();
      if (options.json) {
        output(options, { exported: result.exported.map(({ userPoolId, location, manifest }) => ({ userPoolId, location, counts: manifest.counts, resumes: manifest.resumes })), failed: result.failed }, () => '');
        if (result.failed.length > 0) exitWith(EXIT_CODES.problem);
        return;
      }
      for (const { userPoolId, location, manifest } of result.exported) {
        const statuses = Object.entries(manifest.counts.usersByStatus).map(([status, n]) => `${status} ${n}`).join(', ');
        process.stdout.write(
          `${userPoolId}: ${manifest.counts.users} users (${statuses}; ${manifest.counts.disabledUsers} disabled), ` +
            `${manifest.counts.groups} groups, ${manifest.counts.memberships} memberships -> ${location}` +
            `${manifest.resumes > 0 ? ` (continued ${manifest.resumes} time${manifest.resumes > 1 ? 's' : ''} from its checkpoint)` : ''}\n`,
        );
      }
      for (const { userPoolId, error } of result.failed) process.stderr.write(`${userPoolId}: FAILED: ${error}\n`);
      process.stdout.write(`${result.exported.length} of ${options.userPoolId.length} pools exported in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      if (result.failed.length > 0) exitWith(EXIT_CODES.problem);
    });
  const verify = command
    .command('verify')
    .description("Checks an export against its manifest: every file's SHA-256 and size, record counts and digests")
    .requiredOption('--from <dir|s3://bucket/prefix>', 'a run folder, a pool folder (its newest complete run) or the export root with one pool')
    .option('--user-pool-id <id>', 'the pool, when the location holds several')
    .option('--s3-path-style', 'path-style S3 addressing (for S3-compatible local servers)');
  withJson(withAws(verify, 'the Region of an s3:// location'))
    .action(async (options: { from: string; userPoolId?: string } & StoreOptions) => {
      const store = await storeAt(options.from, options);
      const run = await openExport(store, options.userPoolId ?? '');
      const verification = await verifyExport(run);
      const where = `${store.location}/${run.path}`.replace(/\/+$/, '');
      if (options.json) {
        output(options, { location: where, ...verification }, () => '');
        if (!verification.ok) exitWith(EXIT_CODES.problem);
        return;
      }
      if (!verification.ok) {
        process.stderr.write(`${where}: ${verification.problems.length} problem(s)\n${verification.problems.map((p) => `  ${p}`).join('\n')}\n`);
        exitWith(EXIT_CODES.problem);
        return;
      }
      process.stdout.write(`${where}: OK, ${verification.users} users and ${verification.memberships} memberships match the manifest (${run.manifest.files.length} files)\n`);
    });
  const restore = command
    .command('restore')
    .description(
      'Restores an export into a new user pool: checks the pool first, then groups, users (invitations suppressed; they must set a new password) and memberships. ' +
        'A re-run skips what is there and reports what differs; an interrupted run continues from its checkpoint. Exit 1 when anything failed, 2 when users or groups differ.',
    )
    .requiredOption('--from <dir|s3://bucket/prefix>', 'a run folder, a pool folder (its newest complete run) or the export root with one pool')
    .requiredOption('--user-pool-id <id>', 'the pool to restore into')
    .option('--source-pool-id <id>', 'the exported pool, when the location holds several')
    .option('--method <method>', 'auto, per-user or import-job', parseMethod, 'auto' as RestoreMethod)
    .option('--import-role-arn <arn>', 'IAM role Cognito writes import-job logs with; lets auto use an import job for large pools')
    .option('--import-threshold <users>', 'auto uses an import job from this many users up', parsePositiveInteger, 10_000)
    .option('--source-sub-attribute <name>', "custom attribute that receives each user's old sub, when the pool has it", DEFAULT_SOURCE_SUB_ATTRIBUTE)
    .option('--state <dir>', 'folder for checkpoints and reports', '.retention/cognito-restore')
    .option('--groups-first <group...>', "restore these groups' members, users and memberships, before every other user (the administrators, say)")
    .option('--concurrency <n>', 'users, memberships and groups written at once', parsePositiveInteger, DEFAULT_RESTORE_CONCURRENCY)
    .option('--rate <category=rps>', "requests per second for a Cognito quota category (repeatable; defaults: the account's rates, else the documented quotas)", parseRate)
    .option('--no-account-rates', ACCOUNT_RATES_HELP)
    .option('--s3-path-style', 'path-style S3 addressing (for S3-compatible local servers)');
  withJson(withAws(restore))
    .action(
      async (
        options: {
          from: string;
          userPoolId: string;
          sourcePoolId?: string;
          method: RestoreMethod;
          importRoleArn?: string;
          importThreshold: number;
          sourceSubAttribute: string;
          state: string;
          concurrency: number;
          groupsFirst?: string[];
        } & AccountRateOptions,
      ) => {
        const client = await cognitoClientAtRates(options, RESTORE_OPERATIONS);
        const run = await openExport(await storeAt(options.from, options), options.sourcePoolId ?? '');
        const bar = process.stderr.isTTY ? new SingleBar({ format: '{phase} [{bar}] {value}/{total} | {eta_formatted}' }) : undefined;
        let phase = '';
        try {
          const result = await restoreUserPool({
            client,
            run,
            targetUserPoolId: options.userPoolId,
            state: new FolderStore(options.state),
            method: options.method,
            importJob: { cloudWatchLogsRoleArn: options.importRoleArn, minimumUsers: options.importThreshold },
            sourceSubAttribute: options.sourceSubAttribute,
            concurrency: options.concurrency,
            groupsFirst: options.groupsFirst,
            onProgress: (progress) => {
              if (!bar) return;
              const total = progress.phase === 'memberships' ? progress.totalMemberships : progress.totalUsers;
              const value = progress.phase === 'memberships' ? progress.memberships : progress.users;
              if (progress.phase !== phase) {
                if (phase) bar.stop();
                phase = progress.phase;
                bar.start(Math.max(total, 1), value, { phase });
              }
              bar.update(value, { phase });
            },
          });
          bar?.stop();
          output(options, result, () => `${formatRestoreSummary(result.summary)}${result.status === 'complete' ? `report: ${result.report}\n` : ''}`);
          exitWith(restoreExitCode(result.summary));
        } catch (error) {
          bar?.stop();
          if (error instanceof RestoreRefusedError) {
            process.stderr.write(`${error.message}\n`);
            exitWith(EXIT_CODES.problem);
            return;
          }
          throw error;
        }
      },
    );
  const plan = command
    .command('plan')
    .description(
      "How long a restore takes at the account's rates (GetProvisionedLimit, else the documented defaults), per path: when every user exists (sign-in possible) and when the last membership is added; " +
        'with --rto, the rate per category the account would need to buy. Exit 1 when no path meets the RTO.',
    )
    .requiredOption('--users <n>', 'users in the export', parseCount)
    .option('--memberships <n>', 'group memberships in the export', parseCount, 0)
    .option('--groups <n>', 'groups in the export', parseCount, 0)
    .option('--disabled <n>', 'disabled users in the export', parseCount, 0)
    .option('--rto <duration>', 'the recovery time objective, e.g. 4h, 90m', parseDuration)
    .option('--rate <category=rps>', 'requests per second for a Cognito quota category, over the account\'s (repeatable)', parseRate)
    .option('--no-account-rates', ACCOUNT_RATES_HELP);
  withJson(withAws(plan))
    .action(async (options: { users: number; memberships: number; groups: number; disabled: number; rto?: number } & AccountRateOptions) => {
      const rtoSeconds = options.rto;
      const rates = await jobRates(options, RESTORE_OPERATIONS);
      const shape = { users: options.users, memberships: options.memberships, groups: options.groups, disabledUsers: options.disabled };
      const paths = (['per-user', 'import-job'] as const).map((path) => planRestore(shape, path, ratesOf(rates), rtoSeconds));
      output(options, { shape, rates, paths }, () => `${formatPlan(paths, rates)}\n`);
      if (rtoSeconds !== undefined && !paths.some((p) => p.meetsRto)) exitWith(EXIT_CODES.problem);
    });
  const invite = command
    .command('invite')
    .description(
      'Sends the pool\'s invitation message, with a new temporary password, to every enabled user still in FORCE_CHANGE_PASSWORD (after a restore). ' +
        'Users invited by an earlier run are skipped: a new invitation would replace the password they were sent. Exit 1 when any failed.',
    )
    .requiredOption('--user-pool-id <id>', 'the restored pool')
    .option('--state <dir>', 'folder that records who was invited', '.retention/cognito-restore')
    .option('--again', 'invite again users an earlier run invited')
    .option('--dry-run', 'count who would be invited; send nothing')
    .option('--rate <category=rps>', 'requests per second for a Cognito quota category (repeatable)', parseRate);
  withJson(withAws(invite))
    .action(async (options: { userPoolId: string; state: string; again?: boolean; dryRun?: boolean; rate?: QuotaOverrides } & StoreOptions) => {
      const result = await sendInvitations({
        client: await cognitoClient(options),
        userPoolId: options.userPoolId,
        state: new FolderStore(options.state),
        again: options.again,
        dryRun: options.dryRun,
      });
      output(options, result, () =>
        `${options.userPoolId}: ${result.sent} invitation(s) ${options.dryRun ? 'would be ' : ''}sent, ${result.alreadyInvited} already invited, ` +
          `${result.disabled} disabled (not invited), ${result.failed.length} failed\n`,
      );
      for (const { username, reason } of result.failed) process.stderr.write(`  failed: ${username}: ${reason}\n`);
      if (result.failed.length > 0) exitWith(EXIT_CODES.problem);
    });
  return command;
}

export function formatPlan(paths: readonly PathPlan[], rates: readonly CategoryRate[]): string {
  const table = new Table({ head: ['Path', 'Groups', 'Users', 'Memberships', 'Sign-in possible', 'Done', 'RTO'], style: { head: [], border: [] } });
  for (const p of paths) {
    const phase = (name: string) => {
      const found = p.phases.find((x) => x.name === name)!;
      return `${formatDuration(found.seconds)} (${found.boundBy})`;
    };
    table.push([p.path, phase('groups'), phase('users'), phase('memberships'), formatDuration(p.signInSeconds), formatDuration(p.totalSeconds), p.rtoSeconds === undefined ? '-' : p.meetsRto ? 'met' : 'missed']);
  }
  const lines = [`Rates:\n${describeRates(rates).replace(/^/gm, '  ')}`, table.toString()];
  for (const p of paths) {
    if (p.unreachable) lines.push(`${p.path}: cannot meet the RTO: at least ${formatDuration(p.unreachable.minimumSeconds)}, bound by ${p.unreachable.boundBy.join(', ')} (fixed)`);
    else if (p.needed.length > 0) lines.push(`${p.path}: to meet the RTO, buy ${p.needed.map((n) => `${n.category} ${n.needed}/s (now ${n.current}/s)`).join(', ')}`);
  }
  lines.push('The import job\'s own run time is not in the import-job path: Cognito does not document an import rate.');
  return lines.join('\n');
}

function parseMethod(value: string): RestoreMethod {
  if (!['auto', 'per-user', 'import-job'].includes(value)) throw new InvalidArgumentError(`expected auto, per-user or import-job, got "${value}"`);
  return value as RestoreMethod;
}


/** Anything failed: problem; users or groups differ from the export: differences; else ok. */
export function restoreExitCode(summary: RestoreSummary): (typeof EXIT_CODES)[keyof typeof EXIT_CODES] {
  if (summary.users.failed.count > 0 || summary.memberships.failed.count > 0) return EXIT_CODES.problem;
  if (summary.users.differing.count > 0 || summary.groups.differing.count > 0) return EXIT_CODES.differences;
  return EXIT_CODES.ok;
}
