/**
 * The Cognito restore side by side with cognito-backup-restore's restoreUsers, on the same
 * cognito-local server and data (behind the paging proxy), each into a fresh pool; then the time
 * a restore needs on AWS at the documented quotas, by path. Writes bench/results/cognito-restore.md.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateUserPoolCommand, ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
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
const ROUNDS = Number(process.env.BENCH_RUNS ?? 3);
const CEILING_CONCURRENCIES = [4, 8, 16, 32];
const SCHEMA = ['licence', 'source_sub'].map((Name) => ({ Name, AttributeDataType: 'String' as const, Mutable: true }));
/** Calls that write: what the ceiling is made of. */
const isWrite = (operation: string): boolean => !/^(List|Describe|Get)/.test(operation);
const sum = (calls: Record<string, number>, which: (operation: string) => boolean = () => true): number =>
  Object.entries(calls).filter(([operation]) => which(operation)).reduce((total, [, n]) => total + n, 0);
const run = (tool: string, endpoint: string, target: string, input: string): Promise<Measured> => measure('restore-tool.ts', [tool, endpoint, target, input]);
const hours = (seconds: number) => (seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} h` : `${(seconds / 60).toFixed(1)} min`);

async function main(): Promise<void> {
  process.stdout.write(`Seeding ${USERS} users in ${GROUPS} groups...\n`);
  const { dataDir, pool, memberships } = await seedCognitoStore(USERS, GROUPS);
  const server = await startCognitoLocal({ dataDir });
  const proxy = await startCognitoPagingProxy(server.endpoint);
  const admin = localCognitoClient(server.endpoint);
  const ceiling = { rate: 0, ms: 0, calls: 0, concurrency: 0, tried: {} as Record<number, number[]> };
  const tools = [
    ['peer', 'cognito-backup-restore 1.3.2 restoreUsers (its 2 s call spacing removed)', 'users'],
    ['ours', 'retention cognito restore (per-user path, no rate limit)', 'groups, users, disabled state, memberships'],
  ] as const;
  const inTurns = (round: number) => (round % 2 === 0 ? tools : [...tools].reverse());
  const samples = new Map<string, { ms: number[]; maxRssMb: number[]; calls: Record<string, number> }>(tools.map(([tool]) => [tool, { ms: [], maxRssMb: [], calls: {} }]));
  const rows: { label: string; restores: string; ms: number; runs: number[]; users: number; maxRssMb: number; calls: Record<string, number> }[] = [];
  try {
    const exportDir = tempDir('bench-restore-export-');
    await exportUserPool({ client: retryingCognitoClient(proxy.endpoint), store: new FolderStore(exportDir), userPoolId: pool });
    const backupDir = tempDir('bench-restore-backup-');
    const cognitoV2 = new AWS.CognitoIdentityServiceProvider({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await backupUsers(cognitoV2, pool, backupDir);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const inputs: Record<string, string> = { peer: join(backupDir, `${pool}.json`), ours: exportDir };
    const freshPool = async (name: string) => (await admin.send(new CreateUserPoolCommand({ PoolName: name, Schema: SCHEMA }))).UserPool!.Id!;

    // cognito-local answers faster once warm: one restore and one ceiling run, not measured, go first.
    await run('ours', proxy.endpoint, await freshPool('warm-up-ours'), inputs.ours);
    await measure('ceiling-tool.ts', ['cognito-restore', proxy.endpoint, pool, await freshPool('warm-up-ceiling'), '16']);
    // Runs interleaved, round by round: the two tools (in turns first), then the ceiling at each concurrency.
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [tool, label] of inTurns(round)) {
        const target = await freshPool(`${tool}-${round}`);
        proxy.resetCounts();
        const measured = await run(tool, proxy.endpoint, target, inputs[tool]);
        const sample = samples.get(tool)!;
        sample.calls = Object.fromEntries(proxy.calls);
        const { Users = [] } = await admin.send(new ListUsersCommand({ UserPoolId: target }));
        if (Users.length !== USERS) throw new Error(`${label}: the target holds ${Users.length} users, not ${USERS}`);
        sample.ms.push(measured.ms);
        sample.maxRssMb.push(measured.maxRssMb);
        process.stdout.write(`run ${round + 1}, ${label}: ${(measured.ms / 1000).toFixed(1)} s\n`);
      }
      // The ceiling: the restore's writes of the same pool, as a plain loop.
      for (const concurrency of CEILING_CONCURRENCIES) {
        const target = await freshPool(`ceiling-${concurrency}-${round}`);
        const measured = await measure('ceiling-tool.ts', ['cognito-restore', proxy.endpoint, pool, target, String(concurrency)]);
        const { Users = [] } = await admin.send(new ListUsersCommand({ UserPoolId: target }));
        if (Users.length !== USERS) throw new Error(`ceiling: the target holds ${Users.length} users, not ${USERS}`);
        (ceiling.tried[concurrency] ??= []).push(measured.users / (measured.ms / 1000));
        ceiling.calls = measured.users;
      }
    }
    for (const [tool, label, restores] of tools) {
      const sample = samples.get(tool)!;
      rows.push({ label, restores, ms: median(sample.ms), runs: sample.ms, users: USERS, maxRssMb: median(sample.maxRssMb), calls: sample.calls });
    }
    for (const [concurrency, rates] of Object.entries(ceiling.tried)) {
      const rate = median(rates);
      if (rate > ceiling.rate) Object.assign(ceiling, { rate, ms: (ceiling.calls / rate) * 1000, concurrency: Number(concurrency) });
    }
    process.stdout.write(`ceiling: ${Math.round(ceiling.rate)} writes/s at ${ceiling.concurrency}\n`);
  } finally {
    await proxy.stop();
    await server.stop();
  }

  const [peer] = rows;
  const perThousand = (calls: Record<string, number>, ops?: string[]) => ((sum(calls, (op) => !ops || ops.includes(op)) / USERS) * 1000).toFixed(1);
  const disabledShare = Math.ceil(USERS / 50) / USERS;
  const shapes = [100_000, 1_000_000].map((users) => ({ users, memberships: users * (memberships / USERS), disabledUsers: Math.round(users * disabledShare), groups: GROUPS }));
  const cpu = execFileSync('nproc').toString().trim();
  const lines = [
    '# Cognito restore benchmark',
    '',
    `${USERS.toLocaleString('en')} users in ${GROUPS} groups (${memberships.toLocaleString('en')} memberships, 2% of users disabled) on cognito-local 5.3.0, behind the paging proxy,`,
    `each tool restoring into a fresh pool. Median of ${ROUNDS} runs, interleaved with the ceiling's and after one warm-up run of each (cognito-local answers`,
    `faster once warm), each tool in its own process; ${cpu} CPU cores, Node ${process.version}.`,
    '',
    '| tool | restores | wall time (median) | runs | time vs cognito-backup-restore | users/s | API calls per 1,000 users (all) | AdminCreateUser per 1,000 users | calls/s | peak RSS |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${row.label} | ${row.restores} | ${(row.ms / 1000).toFixed(1)} s | ${row.runs.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s | ${(row.ms / peer.ms).toFixed(2)}x | ${Math.round(row.users / (row.ms / 1000))} | ${perThousand(row.calls)} | ${perThousand(row.calls, ['AdminCreateUser'])} | ${Math.round(sum(row.calls) / (row.ms / 1000))} | ${row.maxRssMb.toFixed(0)} MB |`,
    ),
    '',
    '## Against the ceiling',
    '',
    `The ceiling is a plain loop of the restore's writes of the same pool, through the same proxy, in its own process, into a fresh pool: \`CreateGroup\` of`,
    `the ${GROUPS} groups, \`AdminCreateUser\` of the ${USERS.toLocaleString('en')} users with the attributes the restore writes (every writable one and the old \`sub\`), \`AdminDisableUser\``,
    `of the disabled ones, then \`AdminAddUserToGroup\` of the ${memberships.toLocaleString('en')} memberships: ${ceiling.calls.toLocaleString('en')} writes, read from the source pool before its clock starts.`,
    `Best median of ${ROUNDS} runs at ${CEILING_CONCURRENCIES.join(', ')} at once: ${Math.round(ceiling.rate)} writes/s at ${ceiling.concurrency}, ${(ceiling.ms / 1000).toFixed(1)} s`,
    `(writes/s by concurrency, each run: ${JSON.stringify(Object.fromEntries(Object.entries(ceiling.tried).map(([c, rates]) => [c, rates.map(Math.round)])))}).`,
    '',
    '| tool | writes | writes/s | share of the ceiling\'s write rate | reads (listings, descriptions) |',
    '|---|---|---|---|---|',
    ...rows.map((row) => {
      const rate = sum(row.calls, isWrite) / (row.ms / 1000);
      return `| ${row.label} | ${sum(row.calls, isWrite)} | ${Math.round(rate)} | ${Math.round((rate / ceiling.rate) * 100)}% | ${sum(row.calls, (op) => !isWrite(op))} |`;
    }),
    '',
    `Share in each round (the tool's writes/s over that round's best ceiling run, so that runs close in time are compared): ${rows
      .map((row) => `${row.label.split(' (')[0]} ${row.runs.map((ms, round) => `${Math.round(((sum(row.calls, isWrite) / (ms / 1000)) / Math.max(...Object.values(ceiling.tried).map((rates) => rates[round]))) * 100)}%`).join(', ')}`)
      .join('; ')}.`,
    '',
    'The restore does the ceiling\'s writes and, besides, lists the target (its users and each group\'s members, so that a re-run writes nothing),',
    'reads and verifies the export, and checkpoints each part; the share counts only its writes, in its whole wall time.',
    '',
    `Calls by operation: ${rows.map((row) => `${row.label.split(' (')[0]}: ${JSON.stringify(row.calls)}`).join('; ')}.`,
    '',
    'cognito-backup-restore creates users one after another (its published limiter also waits 2 s between them: 5,000 users take 2.8 hours as',
    'published, 1,000,000 users 23 days) and restores neither groups, memberships nor disabled users. The restore here also lists the target first',
    '(so a re-run writes nothing), creates users 32 at a time, disables who was disabled, and adds every membership. On cognito-local every write',
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
