/**
 * Memory only: the copy or the sync (no verification) of <items> made-up items, answered in
 * process, so that nothing but the tool holds memory. Run compiled to JavaScript by plain Node (see
 * `measure`'s `compiled`), as the installed CLI runs: neither the TypeScript loader nor the other
 * bench tools' imports are in its peak RSS. Prints one JSON line.
 *   node memory-tool.cjs <copy|sync> <items>
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticDynamoClient } from './synthetic-dynamodb';
import { hydrateTable, FolderStore } from 'retention-kit-cli';

const [mode, count] = process.argv.slice(2);

async function run(): Promise<number> {
  const items = Number(count);
  const client = syntheticDynamoClient(items, { source: 'source', targetHolds: mode === 'sync' });
  const state = new FolderStore(mkdtempSync(join(tmpdir(), 'bench-synthetic-')));
  const result = await hydrateTable({ client, source: 'source', target: 'target', mode: mode === 'sync' ? 'sync' : 'copy', overwrite: mode === 'sync', state, verify: false });
  return result.sourceDigest.items;
}

const started = performance.now();
run()
  .then((records) => process.stdout.write(`${JSON.stringify({ tool: mode, ms: Math.round(performance.now() - started), users: records, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`))
  .catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
