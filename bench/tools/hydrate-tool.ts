/**
 * One table or bucket hydration, measured in its own process. Prints one JSON line: wall time,
 * peak RSS, items or objects copied.
 *   tsx bench/tools/hydrate-tool.ts dynamodb <ours|ours-no-verify|ours-state-machine|peer> <endpoint> <source> <target>
 *     (ours-state-machine: the HydrationStateMachine of the assembly in BENCH_ASSEMBLY, executed locally)
 *   tsx bench/tools/hydrate-tool.ts s3 <ours|ours-no-verify> <endpoint> <source> <target>
 *   tsx bench/tools/hydrate-tool.ts sync <ours|ours-no-verify|ours-by-key-no-verify|delete-then-copy> <endpoint> <source> <target>
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../test/support/apps';
import type { CfnTemplate } from '../../test/support/cfn';
import { LocalStateMachines } from '../../test/support/state-machines';
import { deleteItems, hydrateTable, keyOf, forEachSegment, scanSegment, hydrateBucket, FolderStore } from 'retention-kit-cli';

const [kind, tool, endpoint, source, target] = process.argv.slice(2);
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

async function dynamodb(): Promise<number> {
  if (tool === 'peer') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- copy-dynamodb-table is CommonJS without types
    const { copy } = require('copy-dynamodb-table') as { copy: (options: unknown, done: (error: unknown, result: { count: number }) => void) => void };
    return new Promise((resolve, reject) =>
      copy({ config: { endpoint, region: 'us-east-1', ...credentials }, source: { tableName: source }, destination: { tableName: target }, log: false }, (error, result) => (error ? reject(error) : resolve(result.count))),
    );
  }
  if (tool === 'ours-state-machine') return stateMachine();
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials, retryMode: 'adaptive', maxAttempts: 8 });
  const result = await hydrateTable({ client, source, target, state: new FolderStore(tempDir('bench-hydrate-')), verify: tool !== 'ours-no-verify' });
  if (result.verified === false) throw new Error('hydration did not verify');
  return result.sourceDigest.items;
}

/** The reference app's hydration state machine, executed locally: the definition in the ASL interpreter, the worker from its asset. */
async function stateMachine(): Promise<number> {
  const directory = process.env.BENCH_ASSEMBLY;
  if (!directory) throw new Error('ours-state-machine needs BENCH_ASSEMBLY, a synthesized reference app');
  const templates = Object.fromEntries(
    readdirSync(directory)
      .filter((file) => file.endsWith('.template.json'))
      .map((file) => [file.replace('.template.json', ''), JSON.parse(readFileSync(join(directory, file), 'utf8')) as CfnTemplate]),
  );
  const machines = new LocalStateMachines(directory, 'Persistent', { account: '111111111111', region: 'us-east-1', templates }, {
    environment: { AWS_ENDPOINT_URL_DYNAMODB: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, POWERTOOLS_LOG_LEVEL: 'ERROR' },
  });
  try {
    const execution = await machines.run('HydrationStateMachine', { source, target });
    if (execution.status !== 'SUCCEEDED' || execution.output.verified !== true) throw new Error(`the state machine ended ${execution.status}: ${execution.error ?? ''} ${execution.cause ?? ''}`);
    return execution.output.sourceItems as number;
  } finally {
    await machines.stop();
  }
}

/** Write requests (puts and deletes) the run made. */
let writes = 0;

/** Makes `target` equal to `source`: our sync, or the plain way (delete every item, then copy every item). */
async function sync(): Promise<number> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials, retryMode: 'adaptive', maxAttempts: 8 });
  const state = new FolderStore(tempDir('bench-sync-'));
  if (tool === 'delete-then-copy') {
    // The same parallel segments and batch writer as the toolkit's, so only the method differs.
    await forEachSegment(8, 8, async (segment) => {
      for await (const page of scanSegment({ client, table: target, segment, totalSegments: 8, consistentRead: true, attributes: ['pk', 'sk'] })) {
        await deleteItems(page.items.map((item) => keyOf(item, ['pk', 'sk'])), { client, table: target });
        writes += page.items.length;
      }
    });
    const result = await hydrateTable({ client, source, target, state, verify: false });
    writes += result.sourceDigest.items;
    return result.sourceDigest.items;
  }
  const result = await hydrateTable({ client, source, target, mode: 'sync', syncMethod: tool === 'ours-by-key-no-verify' ? 'by-key' : 'merge', state, verify: !tool.endsWith('no-verify') });
  if (result.verified === false) throw new Error('sync did not verify');
  writes = result.changes!.written + result.changes!.deleted;
  return result.sourceDigest.items;
}

async function s3(): Promise<number> {
  const client = new S3Client({ endpoint, region: 'us-east-1', credentials, forcePathStyle: true, retryMode: 'adaptive', maxAttempts: 8 });
  const result = await hydrateBucket({ client, source, target, state: new FolderStore(tempDir('bench-hydrate-')), verify: tool !== 'ours-no-verify' });
  if (result.verified === false) throw new Error('hydration did not verify');
  return result.copied + result.alreadyThere;
}

const started = performance.now();
(kind === 'dynamodb' ? dynamodb() : kind === 'sync' ? sync() : s3())
  .then((records) => {
    process.stdout.write(`${JSON.stringify({ tool, ms: Math.round(performance.now() - started), users: records, writes, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
  })
  .catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
