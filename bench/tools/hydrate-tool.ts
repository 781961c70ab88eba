/**
 * One table or bucket hydration, measured in its own process. Prints one JSON line: wall time,
 * peak RSS, items or objects copied.
 *   tsx bench/tools/hydrate-tool.ts dynamodb <ours|ours-no-verify|peer> <endpoint> <source> <target>
 *   tsx bench/tools/hydrate-tool.ts s3 <ours|ours-no-verify> <endpoint> <source> <target>
 *   tsx bench/tools/hydrate-tool.ts sync <ours|ours-no-verify|delete-then-copy> <endpoint> <source> <target>
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { tempDir } from '../../test/support/apps';
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
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials, retryMode: 'adaptive', maxAttempts: 8 });
  const result = await hydrateTable({ client, source, target, state: new FolderStore(tempDir('bench-hydrate-')), verify: tool !== 'ours-no-verify' });
  if (result.verified === false) throw new Error('hydration did not verify');
  return result.sourceDigest.items;
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
  const result = await hydrateTable({ client, source, target, mode: 'sync', state, verify: tool !== 'ours-no-verify' });
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
