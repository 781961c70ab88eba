/**
 * `npm run bench`: the Cognito export side by side with cognito-backup-restore (users only) on
 * the same cognito-local server and data, behind the paging proxy that makes cognito-local page
 * like Cognito. Writes bench/results/cognito-export.md.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../test/support/apps';
import { startCognitoPagingProxy } from '../test/support/cognito-proxy';
import { startCognitoLocal } from '../test/support/servers';
import { type Measured, measure, median } from './tools/measure';
import { seedCognitoStore } from './tools/seed-cognito';
import { COGNITO_DEFAULT_QUOTAS, quotaBoundSeconds } from 'retention-kit-cli';

const USERS = Number(process.env.BENCH_USERS ?? 5_000);
const GROUPS = 20;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const run = (tool: string, target: string, pool: string): Promise<Measured> => measure('export-tool.ts', [tool, target, pool, tempDir(`bench-${tool}-`)]);

async function main(): Promise<void> {
  process.stdout.write(`Seeding ${USERS} users in ${GROUPS} groups...\n`);
  const { dataDir, pool, memberships } = await seedCognitoStore(USERS, GROUPS);
  const server = await startCognitoLocal({ dataDir });
  const proxy = await startCognitoPagingProxy(server.endpoint);
  const rows: { label: string; ms: number; users: number; maxRssMb: number; calls: Record<string, number> }[] = [];
  const ceiling = { ms: Infinity, concurrency: 0, tried: {} as Record<number, number> };
  try {
    for (const [tool, label] of [
      ['peer', 'cognito-backup-restore 1.3.2 (users only)'],
      ['ours', 'retention cognito export (users, groups, memberships; no rate limit)'],
      ['ours-quota', 'retention cognito export (default Cognito quotas)'],
    ]) {
      const samples: Measured[] = [];
      let calls: Record<string, number> = {};
      for (let round = 0; round < ROUNDS; round += 1) {
        proxy.resetCounts();
        samples.push(await run(tool, proxy.endpoint, pool));
        calls = Object.fromEntries(proxy.calls);
      }
      const users = samples[0].users;
      if (samples.some((s) => s.users !== USERS)) throw new Error(`${label} exported ${samples.map((s) => s.users).join('/')} users, not ${USERS}`);
      rows.push({ label, ms: median(samples.map((s) => s.ms)), users, maxRssMb: median(samples.map((s) => s.maxRssMb)), calls });
      process.stdout.write(`${label}: ${(median(samples.map((s) => s.ms)) / 1000).toFixed(2)} s\n`);
    }
    // The ceiling: the same listings as a plain loop, at the concurrency that gives its best time.
    for (const concurrency of [4, 8, 16, 32]) {
      const samples: number[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const measured = await measure('ceiling-tool.ts', ['cognito-list', proxy.endpoint, pool, String(concurrency)]);
        if (measured.users !== USERS + memberships) throw new Error(`the ceiling listed ${measured.users} users and members, not ${USERS + memberships}`);
        samples.push(measured.ms);
      }
      ceiling.tried[concurrency] = median(samples);
      if (median(samples) < ceiling.ms) Object.assign(ceiling, { ms: median(samples), concurrency });
    }
    process.stdout.write(`ceiling: ${(ceiling.ms / 1000).toFixed(2)} s at ${ceiling.concurrency}\n`);
  } finally {
    await proxy.stop();
    await server.stop();
  }

  const memory: Measured[] = [];
  for (const users of [20_000, 200_000, 1_000_000]) memory.push(await run('ours-synthetic', String(users), 'synthetic'));

  const peer = rows[0];
  const perThousand = (calls: Record<string, number>, ops?: string[]) =>
    ((Object.entries(calls).filter(([op]) => !ops || ops.includes(op)).reduce((sum, [, n]) => sum + n, 0) / USERS) * 1000).toFixed(1);
  const scale = 1_000_000 / USERS;
  // Each list (a users segment, a group, or the peer's single listing) ends with one partly filled
  // page: that page does not grow with the pool, the full pages do.
  const lists = (tool: string): Record<string, number> => (tool === 'peer' ? { ListUsers: 1 } : { ListUsers: 16, ListUsersInGroup: GROUPS, ListGroups: 1, DescribeUserPool: 1, GetUserPoolMfaConfig: 1 });
  const scaledCalls = (calls: Record<string, number>, tool = 'ours') =>
    Object.fromEntries(Object.entries(calls).map(([op, n]) => { const fixed = Math.min(n, lists(tool)[op] ?? 0); return [op, (n - fixed) * scale + fixed]; }));
  const minutes = (seconds: number) => `${(seconds / 60).toFixed(1)} min`;
  const cpu = execFileSync('nproc').toString().trim();
  const lines = [
    '# Cognito export benchmark',
    '',
    `${USERS.toLocaleString('en')} users in ${GROUPS} groups (${memberships.toLocaleString('en')} memberships) on cognito-local 5.3.0, behind the paging proxy`,
    `(at most 60 users per page, as Cognito). Median of ${ROUNDS} runs, each tool in its own process; ${cpu} CPU cores, Node ${process.version}.`,
    '',
    '| tool | wall time | time vs cognito-backup-restore | users/s | API calls per 1,000 users (all) | ListUsers per 1,000 users | peak RSS |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.label} | ${(row.ms / 1000).toFixed(2)} s | ${(row.ms / peer.ms).toFixed(2)}x | ${Math.round(row.users / (row.ms / 1000))} | ${perThousand(row.calls)} | ${perThousand(row.calls, ['ListUsers'])} | ${row.maxRssMb.toFixed(0)} MB |`),
    '',
    `Calls of the last run, by operation: ${rows.map((row) => `${row.label.split(' (')[0]}${row.label.includes('quotas') ? ' (quotas)' : ''}: ${JSON.stringify(row.calls)}`).join('; ')}.`,
    '',
    'cognito-backup-restore exports users only (no groups, no memberships, no pool description) and lists them in one sequence;',
    'the export lists users in 16 parallel `sub` segments and each group\'s members, and writes gzip parts, a checkpoint per part and a manifest.',
    '',
    '## Against the ceiling',
    '',
    'The ceiling is a plain loop of the same listings (`ListUsers` in the same 16 `sub`-prefix lists, and `ListUsersInGroup` of every group)',
    `through the same proxy, in its own process, with no files written, at the concurrency that gave its best median time of 4, 8, 16 and 32:`,
    `${(ceiling.ms / 1000).toFixed(2)} s at ${ceiling.concurrency} (median ms by concurrency: ${JSON.stringify(ceiling.tried)}).`,
    '',
    '| tool | share of the ceiling (ceiling time / its time) |',
    '|---|---|',
    ...rows.map((row) => `| ${row.label} | ${Math.round((ceiling.ms / row.ms) * 100)}% |`),
    '',
    'cognito-backup-restore lists users only, in one sequence, so its share compares less work against the ceiling\'s.',
    '',
    '## On AWS: time bound by the Cognito quotas, for 1,000,000 users',
    '',
    `Computed from the calls counted above, scaled to 1,000,000 users (same groups and memberships per user; the last, partly filled page of each list counted once), at the documented default`,
    `quotas (UserList ${COGNITO_DEFAULT_QUOTAS.UserList}/s for ListUsers and ListUsersInGroup; UserPoolResourceRead ${COGNITO_DEFAULT_QUOTAS.UserPoolResourceRead}/s, 5/s per pool, for ListGroups; UserPoolRead ${COGNITO_DEFAULT_QUOTAS.UserPoolRead}/s).`,
    '',
    '| tool | what it exports | calls | quota-bound time |',
    '|---|---|---|---|',
    `| cognito-backup-restore | users | ${Math.round(Object.values(scaledCalls(peer.calls, 'peer')).reduce((a, b) => a + b, 0)).toLocaleString('en')} | ${minutes(quotaBoundSeconds(scaledCalls(peer.calls, 'peer')))} (one call at a time: in practice bound by latency instead) |`,
    `| retention cognito export | users, groups, memberships | ${Math.round(Object.values(scaledCalls(rows[1].calls)).reduce((a, b) => a + b, 0)).toLocaleString('en')} | ${minutes(quotaBoundSeconds(scaledCalls(rows[1].calls)))} |`,
    '',
    '## Memory against pool size',
    '',
    'The export alone, on Cognito pages made up in process (a client middleware answers each call; no local server holds a pool this large), written to a folder. Peak RSS of the whole process:',
    '',
    '| users | wall time | peak RSS |',
    '|---|---|---|',
    ...memory.map((m) => `| ${m.users.toLocaleString('en')} | ${(m.ms / 1000).toFixed(1)} s | ${m.maxRssMb.toFixed(0)} MB |`),
    '',
  ];
  const report = lines.join('\n');
  writeFileSync(join(__dirname, 'results', 'cognito-export.md'), report);
  process.stdout.write(`\n${report}\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
