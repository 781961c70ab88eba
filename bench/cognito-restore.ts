/**
 * The Cognito restore side by side with cognito-backup-restore's restoreUsers, on the same
 * cognito-local server and data (behind the paging proxy), each into a fresh pool; then the time
 * a restore needs on AWS at the documented quotas, by path. Writes bench/results/cognito-restore.md.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateGroupCommand, CreateUserPoolCommand, ListGroupsCommand, ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
import AWS from 'aws-sdk';
import { backupUsers } from 'cognito-backup-restore';
import { tempDir } from '../test/support/apps';
import { startCognitoPagingProxy } from '../test/support/cognito-proxy';
import { localCognitoClient, retryingCognitoClient } from '../test/support/cognito-seed';
import { startCognitoLocal } from '../test/support/servers';
import { type Measured, measure, median } from './tools/measure';
import { seedCognitoStore } from './tools/seed-cognito';
import { exportUserPool, COGNITO_DEFAULT_QUOTAS, restoreQuotaBoundSeconds, FolderStore } from 'retention-kit-cli';

// 300 by default: on cognito-local each write rewrites the pool's store file, so 5,000 users take over 20 minutes.
const USERS = Number(process.env.BENCH_USERS ?? 300);
const GROUPS = 20;
const ROUNDS = Number(process.env.BENCH_RESTORE_ROUNDS ?? 1);
const run = (tool: string, endpoint: string, target: string, input: string): Promise<Measured> => measure('restore-tool.ts', [tool, endpoint, target, input]);
const hours = (seconds: number) => (seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} h` : `${(seconds / 60).toFixed(1)} min`);

async function main(): Promise<void> {
  process.stdout.write(`Seeding ${USERS} users in ${GROUPS} groups...\n`);
  const { dataDir, pool, memberships } = await seedCognitoStore(USERS, GROUPS);
  const server = await startCognitoLocal({ dataDir });
  const proxy = await startCognitoPagingProxy(server.endpoint);
  const admin = localCognitoClient(server.endpoint);
  const ceiling = { rate: 0, ms: 0, calls: 0, concurrency: 0, tried: {} as Record<number, number> };
  const rows: { label: string; restores: string; ms: number; users: number; maxRssMb: number; calls: Record<string, number> }[] = [];
  try {
    const exportDir = tempDir('bench-restore-export-');
    await exportUserPool({ client: retryingCognitoClient(proxy.endpoint), store: new FolderStore(exportDir), userPoolId: pool });
    const backupDir = tempDir('bench-restore-backup-');
    const cognitoV2 = new AWS.CognitoIdentityServiceProvider({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await backupUsers(cognitoV2, pool, backupDir);
    await new Promise((resolve) => setTimeout(resolve, 500));

    for (const [tool, label, restores, input] of [
      ['peer', 'cognito-backup-restore 1.3.2 restoreUsers (its 2 s call spacing removed)', 'users', join(backupDir, `${pool}.json`)],
      ['ours', 'retention cognito restore (per-user path, no rate limit)', 'groups, users, disabled state, memberships', exportDir],
    ]) {
      const samples: Measured[] = [];
      let calls: Record<string, number> = {};
      for (let round = 0; round < ROUNDS; round += 1) {
        const target = (
          await admin.send(new CreateUserPoolCommand({ PoolName: `${tool}-${round}`, Schema: ['licence', 'source_sub'].map((Name) => ({ Name, AttributeDataType: 'String', Mutable: true })) }))
        ).UserPool!.Id!;
        proxy.resetCounts();
        const measured = await run(tool, proxy.endpoint, target, input);
        calls = Object.fromEntries(proxy.calls);
        const { Users = [] } = await admin.send(new ListUsersCommand({ UserPoolId: target }));
        if (Users.length !== USERS) throw new Error(`${label}: the target holds ${Users.length} users, not ${USERS}`);
        samples.push(measured);
      }
      rows.push({ label, restores, ms: median(samples.map((s) => s.ms)), users: samples[0].users, maxRssMb: median(samples.map((s) => s.maxRssMb)), calls });
      process.stdout.write(`${label}: ${(median(samples.map((s) => s.ms)) / 1000).toFixed(1)} s\n`);
    }
    // The ceiling: AdminCreateUser of as many users, then AdminAddUserToGroup of as many memberships, as a plain loop.
    const groupNames = ((await admin.send(new ListGroupsCommand({ UserPoolId: pool, Limit: 60 }))).Groups ?? []).map((g) => g.GroupName!);
    // Two concurrencies only: on cognito-local each write rewrites the pool's store file, so a run takes minutes.
    for (const concurrency of [8, 16]) {
      const target = (await admin.send(new CreateUserPoolCommand({ PoolName: `ceiling-${concurrency}` }))).UserPool!.Id!;
      for (const GroupName of groupNames) await admin.send(new CreateGroupCommand({ UserPoolId: target, GroupName }));
      const measured = await measure('ceiling-tool.ts', ['cognito-create', proxy.endpoint, target, String(concurrency), String(USERS), String(memberships / USERS)]);
      const rate = measured.users / (measured.ms / 1000);
      ceiling.tried[concurrency] = Math.round(rate);
      if (rate > ceiling.rate) Object.assign(ceiling, { rate, ms: measured.ms, calls: measured.users, concurrency });
    }
    process.stdout.write(`ceiling: ${Math.round(ceiling.rate)} calls/s at ${ceiling.concurrency}\n`);
  } finally {
    await proxy.stop();
    await server.stop();
  }

  const [peer] = rows;
  const perThousand = (calls: Record<string, number>, ops?: string[]) =>
    ((Object.entries(calls).filter(([op]) => !ops || ops.includes(op)).reduce((sum, [, n]) => sum + n, 0) / USERS) * 1000).toFixed(1);
  const disabledShare = Math.ceil(USERS / 50) / USERS;
  const shapes = [100_000, 1_000_000].map((users) => ({ users, memberships: users * (memberships / USERS), disabledUsers: Math.round(users * disabledShare), groups: GROUPS }));
  const cpu = execFileSync('nproc').toString().trim();
  const lines = [
    '# Cognito restore benchmark',
    '',
    `${USERS.toLocaleString('en')} users in ${GROUPS} groups (${memberships.toLocaleString('en')} memberships, 2% of users disabled) on cognito-local 5.3.0, behind the paging proxy,`,
    `each tool restoring into a fresh pool. Median of ${ROUNDS} run(s), each tool in its own process; ${cpu} CPU cores, Node ${process.version}.`,
    '',
    '| tool | restores | wall time | time vs cognito-backup-restore | users/s | API calls per 1,000 users (all) | AdminCreateUser per 1,000 users | calls/s | peak RSS |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${row.label} | ${row.restores} | ${(row.ms / 1000).toFixed(1)} s | ${(row.ms / peer.ms).toFixed(2)}x | ${Math.round(row.users / (row.ms / 1000))} | ${perThousand(row.calls)} | ${perThousand(row.calls, ['AdminCreateUser'])} | ${Math.round(Object.values(row.calls).reduce((a, b) => a + b, 0) / (row.ms / 1000))} | ${row.maxRssMb.toFixed(0)} MB |`,
    ),
    '',
    '## Against the ceiling',
    '',
    `The ceiling is a plain loop of the restore's dominant calls through the same proxy, in its own process: \`AdminCreateUser\` of ${USERS.toLocaleString('en')} users (an email`,
    `attribute each), then \`AdminAddUserToGroup\` of ${memberships.toLocaleString('en')} memberships, into a fresh pool with the same groups, at the concurrency that gave the best`,
    `call rate of 8 and 16: ${Math.round(ceiling.rate)} calls/s at ${ceiling.concurrency} (calls/s by concurrency: ${JSON.stringify(ceiling.tried)}).`,
    '',
    '| tool | calls/s | share of the ceiling\'s call rate |',
    '|---|---|---|',
    ...rows.map((row) => {
      const rate = Object.values(row.calls).reduce((a, b) => a + b, 0) / (row.ms / 1000);
      return `| ${row.label} | ${Math.round(rate)} | ${Math.round((rate / ceiling.rate) * 100)}% |`;
    }),
    '',
    'The restore\'s calls also include its reads (the target\'s users and each group\'s members, listed first so that a re-run writes nothing),',
    'and its users carry every exported attribute, so its writes are heavier on cognito-local than the ceiling\'s.',
    '',
    `Calls by operation: ${rows.map((row) => `${row.label.split(' (')[0]}: ${JSON.stringify(row.calls)}`).join('; ')}.`,
    '',
    'cognito-backup-restore creates users one after another (its published limiter also waits 2 s between them: 5,000 users take 2.8 hours as',
    'published, 1,000,000 users 23 days) and restores neither groups, memberships nor disabled users. The restore here also lists the target first',
    '(so a re-run writes nothing), creates users 8 at a time, disables who was disabled, and adds every membership. On cognito-local every write',
    'rewrites the pool\'s whole store file, so both tools are bound by that server here, not by their own work.',
    '',
    '## On AWS: time bound by the Cognito quotas',
    '',
    `Restore into an empty pool, phase after phase as the restorer runs them, at the documented default quotas: AdminCreateUser ${COGNITO_DEFAULT_QUOTAS.UserCreation}/s (UserCreation),`,
    `AdminDisableUser ${COGNITO_DEFAULT_QUOTAS.UserUpdate}/s (UserUpdate), AdminAddUserToGroup ${COGNITO_DEFAULT_QUOTAS.UserResourceUpdate}/s (UserResourceUpdate), ListUsers ${COGNITO_DEFAULT_QUOTAS.UserList}/s.`,
    'Same shape as above: 2 memberships and 2% disabled per user. The import job\'s own run time is not included: Cognito documents no import rate;',
    'an import file holds at most 500,000 users and one job runs at a time per account, so 1,000,000 users take two jobs, one after the other.',
    '',
    '| users | path | users phase | memberships phase | total (without the import job itself) |',
    '|---|---|---|---|---|',
    ...shapes.flatMap((shape) =>
      (['per-user', 'import-job'] as const).map((path) => {
        const bound = restoreQuotaBoundSeconds(shape, path);
        return `| ${shape.users.toLocaleString('en')} | ${path} | ${hours(bound.users)} | ${hours(bound.memberships)} | ${hours(bound.total)} |`;
      }),
    ),
    ...shapes.map((shape) => `| ${shape.users.toLocaleString('en')} | cognito-backup-restore as published (2 s per user; users only) | ${hours(shape.users * 2)} | not restored | ${hours(shape.users * 2)} |`),
    '',
    'Memberships bound both paths: AdminAddUserToGroup is one call per membership, in a category whose quota cannot be raised. Plan the RTO of',
    'a large pool around it, or keep group membership in the application and restore users only.',
    '',
  ];
  const report = lines.join('\n');
  writeFileSync(join(__dirname, 'results', 'cognito-restore.md'), report);
  process.stdout.write(`\n${report}\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
