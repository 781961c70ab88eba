/**
 * S3 hydration side by side with `aws s3 sync` (the AWS CLI on this machine), on the same s3rver
 * and data (behind the counting proxy), each into a fresh empty bucket.
 * Writes bench/results/hydrate-s3.md. Needs Node's OpenSSL legacy provider for s3rver's listing
 * tokens (`npm run bench:hydrate-s3` sets it).
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../test/support/apps';
import { startS3Proxy } from '../test/support/s3-proxy';
import { createBucket, putObjects, sampleObjects } from '../test/support/s3-seed';
import { LOCAL_CREDENTIALS, localS3Client, startS3rver } from '../test/support/servers';
import { type Measured, measure, median } from './tools/measure';
import { listObjects } from 'retention-kit-cli';

const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 5_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONCURRENCIES = [8, 16, 32, 64];

interface Row {
  label: string;
  ms: number;
  runs: number[];
  calls: Record<string, number>;
  maxRssMb?: number;
}

function awsCliVersion(): string {
  try {
    return execFileSync('aws', ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim() || 'aws';
  } catch {
    throw new Error('the AWS CLI (aws) is not on PATH; install it (Debian: apt-get install awscli) to run this benchmark');
  }
}

/** `aws s3 sync` against the proxy, path-style, timed from the outside. */
function awsSync(endpoint: string, source: string, target: string): Promise<number> {
  const config = join(tempDir('bench-aws-'), 'config');
  writeFileSync(config, '[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('aws', ['s3', 'sync', `s3://${source}`, `s3://${target}`, '--endpoint-url', endpoint, '--only-show-errors'], {
      env: { ...process.env, AWS_CONFIG_FILE: config, AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`aws s3 sync exited ${code}: ${err}`))));
  });
}

async function main(): Promise<void> {
  const version = awsCliVersion();
  const s3 = await startS3rver(['restored-documents']);
  const proxy = await startS3Proxy(s3.endpoint);
  const client = localS3Client(s3.endpoint);
  const rows: Row[] = [];
  const ceiling = { ms: Infinity, concurrency: 0, tried: {} as Record<number, number[]> };
  try {
    process.stdout.write(`Seeding ${OBJECTS} objects...\n`);
    await putObjects(client, 'restored-documents', sampleObjects(OBJECTS));
    const expected = await listing(client, 'restored-documents');
    const runs: [string, string, (target: string) => Promise<{ ms: number; maxRssMb?: number }>][] = [
      ['aws', `aws s3 sync (${version.split(' ')[0]})`, async (target) => ({ ms: await awsSync(proxy.endpoint, 'restored-documents', target) })],
      ['ours-no-verify', 'retention hydrate s3 --no-verify (copy only)', (target) => measure('hydrate-tool.ts', ['s3', 'ours-no-verify', proxy.endpoint, 'restored-documents', target]) as Promise<Measured>],
      ['ours', 'retention hydrate s3 (copy, then compare both buckets)', (target) => measure('hydrate-tool.ts', ['s3', 'ours', proxy.endpoint, 'restored-documents', target]) as Promise<Measured>],
    ];
    const samples = new Map<string, { ms: number[]; maxRssMb: number[]; calls: Record<string, number> }>(runs.map(([tool]) => [tool, { ms: [], maxRssMb: [], calls: {} }]));
    // Rounds: each tool, then the ceiling at each concurrency, so that every median is of runs spread alike over the bench.
    for (let round = 0; round < RUNS; round += 1) {
      for (const [tool, label, run] of runs) {
        const target = `standby-${tool}-${round}`;
        await createBucket(client, target);
        proxy.resetCounts();
        const measured = await run(target);
        const sample = samples.get(tool)!;
        sample.calls = Object.fromEntries(proxy.calls);
        const copied = await listing(client, target);
        if (JSON.stringify(copied) !== JSON.stringify(expected)) throw new Error(`${label}: the target's keys, sizes or ETags differ from the source`);
        sample.ms.push(measured.ms);
        if (measured.maxRssMb) sample.maxRssMb.push(measured.maxRssMb);
        process.stdout.write(`run ${round + 1}, ${label}: ${(measured.ms / 1000).toFixed(1)} s\n`);
      }
      // The ceiling: a plain CopyObject loop over the keys listed before its clock starts, at several concurrencies.
      for (const concurrency of CONCURRENCIES) {
        const target = `ceiling-${concurrency}-${round}`;
        await createBucket(client, target);
        const measured = await measure('ceiling-tool.ts', ['s3-copy', proxy.endpoint, 'restored-documents', target, String(concurrency)]);
        if (JSON.stringify(await listing(client, target)) !== JSON.stringify(expected)) throw new Error(`the ceiling loop at ${concurrency} did not copy the bucket`);
        (ceiling.tried[concurrency] ??= []).push(measured.ms);
      }
    }
    for (const [tool, label] of runs) {
      const sample = samples.get(tool)!;
      rows.push({ label, ms: median(sample.ms), runs: sample.ms, calls: sample.calls, maxRssMb: sample.maxRssMb.length > 0 ? median(sample.maxRssMb) : undefined });
    }
    for (const [concurrency, times] of Object.entries(ceiling.tried)) if (median(times) < ceiling.ms) Object.assign(ceiling, { ms: median(times), concurrency: Number(concurrency) });
    process.stdout.write(`ceiling: CopyObject ${(ceiling.ms / 1000).toFixed(1)} s at ${ceiling.concurrency}\n`);
  } finally {
    await proxy.stop();
    await s3.stop();
  }
  const cpu = execFileSync('nproc').toString().trim();
  const perThousand = (row: Row, ops?: string[]) => ((Object.entries(row.calls).filter(([op]) => !ops || ops.includes(op)).reduce((sum, [, n]) => sum + n, 0) / OBJECTS) * 1000).toFixed(1);
  const [peer] = rows;
  const lines = [
    '# S3 hydration benchmark',
    '',
    `${OBJECTS.toLocaleString('en')} objects (nested keys, 10% empty, metadata on a third, up to 300 KB) on s3rver 3.7.1, behind the counting proxy; each tool copies`,
    `the same bucket into a fresh empty bucket, and the target's keys, sizes and ETags are then checked equal to the source's. ${cpu} CPU cores, Node ${process.version}.`,
    '',
    `Each tool runs ${RUNS} times, interleaved with the others and the ceiling; a row is the median run, with every run's time beside it.`,
    '',
    '| tool | wall time (median) | runs | time vs aws s3 sync | objects/s | API calls per 1,000 objects | CopyObject per 1,000 | peak RSS |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${row.label} | ${(row.ms / 1000).toFixed(1)} s | ${row.runs.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s | ${(row.ms / peer.ms).toFixed(2)}x | ${Math.round(OBJECTS / (row.ms / 1000))} | ${perThousand(row)} | ${perThousand(row, ['CopyObject'])} | ${row.maxRssMb ? `${row.maxRssMb} MB` : 'not measured'} |`,
    ),
    '',
    'Both copy server-side (CopyObject), so no object bytes pass through either process. `aws s3 sync` lists both buckets and copies what',
    'differs by size or modification time (10 copies at a time by default); `retention hydrate s3` walks the two listings together in key order,',
    'copies what differs by size or ETag (32 at a time), checkpoints how far it got, and without --no-verify lists both buckets again and',
    'compares every object. The AWS CLI\'s time includes its Python start-up; ours includes Node\'s.',
    `The AWS CLI is the one on this machine's PATH (${version.split(' ')[0]} at ${execFileSync('which', ['aws']).toString().trim()}). On s3rver every copy is a file copy on one disk, so`,
    'both tools are bound by the server here; on S3 the copies run server-side in parallel and the number in flight decides the rate.',
    '',
    '## Against the ceiling',
    '',
    `The ceiling is a plain \`CopyObject\` loop over the same keys (listed before its clock starts), through the same proxy, in its own process, at the`,
    `concurrency that gave its best median time of ${CONCURRENCIES.join(', ')}: ${(ceiling.ms / 1000).toFixed(1)} s at ${ceiling.concurrency} (ms by concurrency, each run: ${JSON.stringify(Object.fromEntries(Object.entries(ceiling.tried).map(([c, times]) => [c, times.map(Math.round)])))}).`,
    '',
    '| tool | share of the ceiling (ceiling time / its time) |',
    '|---|---|',
    ...rows.map((row) => `| ${row.label} | ${Math.round((ceiling.ms / row.ms) * 100)}% |`),
    '',
    `Calls by operation: ${rows.map((row) => `${row.label}: ${JSON.stringify(row.calls)}`).join('; ')}.`,
    '',
  ];
  writeFileSync(join(__dirname, 'results', 'hydrate-s3.md'), lines.join('\n'));
  process.stdout.write('written bench/results/hydrate-s3.md\n');
}

async function listing(client: ReturnType<typeof localS3Client>, bucket: string): Promise<string[]> {
  const entries: string[] = [];
  for await (const object of listObjects({ client, bucket })) entries.push(`${object.key} ${object.size} ${object.etag}`);
  return entries;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
