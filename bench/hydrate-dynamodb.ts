/**
 * DynamoDB hydration side by side with copy-dynamodb-table, on the same dynalite server and data
 * (behind the counting proxy), each into a fresh empty table, at 10,000 and 100,000 items.
 * Writes bench/results/hydrate-dynamodb.md.
 */
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDynamoProxy } from '../test/support/dynamodb-proxy';
import { createTable, sampleItem } from '../test/support/dynamodb-seed';
import { localDynamoClient, startDynalite } from '../test/support/servers';
import { referenceApp, synthesize } from '../test/support/apps';
import { type Measured, measure, serverBusy } from './tools/measure';
import { putItems, canonicalItem, digestTable, scanSegment } from 'retention-kit-cli';

const SIZES = (process.env.BENCH_ITEMS ?? '10000,50000,100000').split(',').map(Number);
const TOOLS = [
  ['peer', 'copy-dynamodb-table 2.2.1'],
  ['ours-no-verify', 'retention hydrate dynamodb --no-verify (copy only)'],
  ['ours', 'retention hydrate dynamodb (copy, then read back and verify)'],
  ['ours-state-machine', 'HydrationStateMachine, executed locally (copy, then read back and verify)'],
] as const;

/** Concurrencies the ceiling loops try; the best time is kept. */
const CEILING_CONCURRENCY = [4, 8, 16, 32];
/** Runs of each tool per size; the rows give the median run. */
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Loop {
  ms: number;
  concurrency: number;
  tried: Record<number, number>;
  /** Share of the server's thread busy during the best run. */
  serverBusy: number;
}

interface Ceiling {
  items: number;
  /** The plain copy loop: parallel Scan, each page put before the next is read. */
  copy: Loop;
  write: Loop;
  scan: Loop;
}

const MEMORY_HEADING = '## Memory against size';
const STATE_MACHINE_HEADING = '## The state machine against the CLI (both copy, then read back and verify)';
const MEMORY_ITEMS = (process.env.BENCH_MEMORY_ITEMS ?? '10000,100000,1000000').split(',').map(Number);
/** V8's old space capped at this many MB, in the second memory run of each size. */
const HEAP_CAP_MB = Number(process.env.BENCH_HEAP_CAP_MB ?? 160);

interface MemoryRow {
  items: number;
  mode: 'copy' | 'sync';
  heap?: number;
  measured?: Measured;
  failed?: string;
}

interface Row {
  items: number;
  tool: string;
  label: string;
  /** The median run. */
  measured: Measured;
  /** Every run's time, ms. */
  runs: number[];
  /** Share of the server's thread busy during the median run (dynalite and the proxy run on the bench's event loop). */
  serverBusy: number;
  calls: Record<string, number>;
  /** Items whose content in the target differs from the source. */
  differing: number;
}

/** Items of `target` whose canonical form differs from the same key's in `source`. */
async function differingItems(client: ReturnType<typeof localDynamoClient>, source: string, target: string): Promise<number> {
  const read = async (table: string) => {
    const items = new Map<string, string>();
    for await (const page of scanSegment({ client, table, segment: 0, totalSegments: 1 })) for (const item of page.items) items.set(`${item.pk.S}|${item.sk.N}`, canonicalItem(item));
    return items;
  };
  const [a, b] = await Promise.all([read(source), read(target)]);
  return [...a].filter(([key, value]) => b.get(key) !== value).length;
}

/** Memory against size: the copy and the sync on made-up pages, with V8's default heap and with its old space capped. */
async function measureMemory(): Promise<MemoryRow[]> {
  const memory: MemoryRow[] = [];
  for (const items of MEMORY_ITEMS) {
    for (const mode of ['copy', 'sync'] as const) {
      for (const heap of [undefined, HEAP_CAP_MB]) {
        try {
          const measured = await measure('memory-tool.ts', [mode, String(items)], heap ? [`--max-old-space-size=${heap}`] : [], { compiled: true });
          memory.push({ items, mode, heap, measured });
          process.stdout.write(`memory: ${mode} ${items} items${heap ? ` (old space ${heap} MB)` : ''}: ${measured.maxRssMb} MB, ${(measured.ms / 1000).toFixed(1)} s\n`);
        } catch (error) {
          // A capped heap too small for what the run holds ends in V8's out-of-memory: that is a result too.
          memory.push({ items, mode, heap, failed: /heap out of memory|Reached heap limit/.test(String(error)) ? 'out of memory' : String(error).slice(0, 120) });
          process.stdout.write(`memory: ${mode} ${items} items${heap ? ` (old space ${heap} MB)` : ''}: failed\n`);
        }
      }
    }
  }
  return memory;
}

async function main(): Promise<void> {
  if (process.env.BENCH_MEMORY_ONLY) {
    // Measures memory only, and replaces that section of the last full run's results.
    const file = join(__dirname, 'results', 'hydrate-dynamodb.md');
    const previous = readFileSync(file, 'utf8');
    const [before, rest] = previous.split(MEMORY_HEADING);
    const after = rest.slice(rest.indexOf(STATE_MACHINE_HEADING));
    writeFileSync(file, `${before}${memorySection(await measureMemory()).join('\n')}\n\n${after}`);
    process.stdout.write(`written the memory section of bench/results/hydrate-dynamodb.md\n`);
    return;
  }
  // The state machine row runs the reference app's synthesized hydration state machine.
  process.env.BENCH_ASSEMBLY = synthesize(referenceApp()).directory;
  const server = await startDynalite();
  const proxy = await startDynamoProxy(server.endpoint);
  const client = localDynamoClient(server.endpoint);
  const rows: Row[] = [];
  const ceilings: Ceiling[] = [];
  try {
    for (const size of SIZES) {
      const source = `source-${size}`;
      process.stdout.write(`Seeding ${size} items...\n`);
      await createTable(client, source);
      for (let start = 0; start < size; start += 1_000) {
        await putItems(
          Array.from({ length: Math.min(1_000, size - start) }, (_, i) => sampleItem(start + i)),
          { client, table: source, parallelCalls: 8 },
        );
      }
      const expected = await digestTable(client, source, { totalSegments: 4, concurrency: 4 });
      // The ceiling: plain copy, BatchWriteItem and Scan loops of the same items, through the same proxy.
      const loop = (): Loop => ({ ms: Infinity, concurrency: 0, tried: {}, serverBusy: 0 });
      const ceiling: Ceiling = { items: size, copy: loop(), write: loop(), scan: loop() };
      const keep = (into: Loop, concurrency: number, ms: number, serverBusy: number) => {
        into.tried[concurrency] = ms;
        if (ms < into.ms) Object.assign(into, { ms, concurrency, serverBusy });
      };
      for (const concurrency of CEILING_CONCURRENCY) {
        for (const kind of ['dynamodb-copy', 'dynamodb-write'] as const) {
          const target = `ceiling-${kind}-${size}-${concurrency}`;
          await createTable(client, target);
          const [measured, busy] = await serverBusy(() => measure('ceiling-tool.ts', [kind, proxy.endpoint, source, target, String(concurrency)]));
          const check = await digestTable(client, target, { totalSegments: 4, concurrency: 4 });
          if (check.digest !== expected.digest) throw new Error(`the ${kind} ceiling loop at ${concurrency} did not copy the table`);
          keep(kind === 'dynamodb-copy' ? ceiling.copy : ceiling.write, concurrency, measured.ms, busy);
        }
        const [scanned, busy] = await serverBusy(() => measure('ceiling-tool.ts', ['dynamodb-scan', proxy.endpoint, source, String(concurrency)]));
        keep(ceiling.scan, concurrency, scanned.ms, busy);
      }
      ceilings.push(ceiling);
      process.stdout.write(`${size} items, ceiling: copy ${(ceiling.copy.ms / 1000).toFixed(1)} s at ${ceiling.copy.concurrency}, BatchWriteItem ${(ceiling.write.ms / 1000).toFixed(1)} s at ${ceiling.write.concurrency}, Scan ${(ceiling.scan.ms / 1000).toFixed(1)} s at ${ceiling.scan.concurrency}\n`);
      const runs = new Map<string, { measured: Measured; calls: Record<string, number>; differing: number; busy: number }[]>();
      // Runs interleaved (each tool once, then again), so a slow spell of the machine does not fall on one tool.
      for (let run = 1; run <= RUNS; run++) {
        for (const [tool, label] of TOOLS) {
          const target = `${tool}-${size}-${run}`;
          await createTable(client, target);
          proxy.resetCounts();
          const [measured, busy] = await serverBusy(() => measure('hydrate-tool.ts', ['dynamodb', tool, proxy.endpoint, source, target]));
          const calls = Object.fromEntries(proxy.calls);
          const copied = await digestTable(client, target, { totalSegments: 4, concurrency: 4 });
          const differing = copied.digest === expected.digest ? 0 : await differingItems(client, source, target);
          if (copied.items !== expected.items) throw new Error(`${label}: the target holds ${copied.items} of ${expected.items} items`);
          if (tool !== 'peer' && differing > 0) throw new Error(`${label}: ${differing} items differ from the source`);
          await client.send(new DeleteTableCommand({ TableName: target }));
          runs.set(tool, [...(runs.get(tool) ?? []), { measured, calls, differing, busy }]);
          process.stdout.write(`${size} items, run ${run}, ${label}: ${(measured.ms / 1000).toFixed(1)} s, server busy ${Math.round(busy * 100)}%\n`);
        }
      }
      for (const [tool, label] of TOOLS) {
        const all = runs.get(tool)!;
        const middle = [...all].sort((a, b) => a.measured.ms - b.measured.ms)[Math.floor(all.length / 2)];
        rows.push({ items: size, tool, label, measured: middle.measured, runs: all.map((r) => r.measured.ms), serverBusy: middle.busy, calls: middle.calls, differing: middle.differing });
      }
      await client.send(new DeleteTableCommand({ TableName: source }));
    }
  } finally {
    await proxy.stop();
    await server.stop();
  }
  const memory = await measureMemory();
  writeFileSync(join(__dirname, 'results', 'hydrate-dynamodb.md'), report(rows, ceilings, memory));
  process.stdout.write(`written bench/results/hydrate-dynamodb.md\n`);
}

/** The copy's targets at the largest size: 80% of the ceiling, and at most 0.33x copy-dynamodb-table's time; and what bounds them here. */
function targetsSection(rows: Row[], ceilings: Ceiling[]): string[] {
  const c = ceilings[ceilings.length - 1];
  const find = (tool: string) => rows.find((r) => r.items === c.items && r.tool === tool)!;
  const [ours, peer] = [find('ours-no-verify'), find('peer')];
  const pct = (ms: number) => `${Math.round((ms / ours.measured.ms) * 100)}%`;
  return [
    '## Against the targets',
    '',
    `At ${c.items.toLocaleString('en')} items the copy (no verification) takes ${pct(c.copy.ms)} of the copy loop's speed and ${pct(c.write.ms + c.scan.ms)} of the write and scan loops'`,
    `added (target: 80%), ${pct(c.write.ms)} of the write loop's alone, and ${(ours.measured.ms / peer.measured.ms).toFixed(2)}x copy-dynamodb-table's time (target: 0.33x).`,
    `The second target is out of reach on this server for any copy: the plain copy loop itself takes ${(c.copy.ms / peer.measured.ms).toFixed(2)}x, and the write loop alone,`,
    `which reads nothing, ${(c.write.ms / peer.measured.ms).toFixed(2)}x. What bounds them is dynalite's one thread (with the proxy's), ${Math.round(ours.serverBusy * 100)}% busy during the copy`,
    `and ${Math.round(c.copy.serverBusy * 100)}% during the copy loop: a profile of the tool at 100,000 items finds its own process idle about half the time, waiting`,
    'for answers; its own work (canonical form and checksum of each item) takes about 6% of its time, garbage collection 10%.',
  ];
}

/** The memory section of the results, from its heading to the paragraph after its table. */
function memorySection(memory: MemoryRow[]): string[] {
  const lines: string[] = [];
  lines.push(
    MEMORY_HEADING,
    '',
    'The copy and the sync (no verification) on pages made up in process: a client middleware answers Scan (8 segments, pages of about',
    '1 MB), BatchWriteItem and BatchGetItem, so only the tool holds memory (no local server holds a million items). The tool is compiled to',
    'JavaScript and run by plain Node, as the installed CLI runs (no TypeScript loader). Peak RSS of the whole process, with V8\'s default heap,',
    `and with \`--max-old-space-size=${HEAP_CAP_MB}\`:`,
    '',
    '| items | mode | default heap: peak RSS | time | old space capped: peak RSS | time |',
    '|---|---|---|---|---|---|',
  );
  for (const items of [...new Set(memory.map((m) => m.items))]) {
    for (const mode of ['copy', 'sync'] as const) {
      const plain = memory.find((m) => m.items === items && m.mode === mode && !m.heap);
      const capped = memory.find((m) => m.items === items && m.mode === mode && m.heap);
      if (!plain || !capped) continue;
      const cells = (m: MemoryRow) => (m.measured ? `${m.measured.maxRssMb} MB | ${(m.measured.ms / 1000).toFixed(1)} s` : `failed: ${m.failed} | -`);
      lines.push(`| ${items.toLocaleString('en')} | ${mode} | ${cells(plain)} | ${cells(capped)} |`);
    }
  }
  const finished = (mode: string) => memory.filter((m) => m.mode === mode && m.heap).every((m) => m.measured);
  lines.push(
    '',
    'What a run holds at once is per segment a page being written and the next one read; its checkpoint is a position and a digest. A',
    'merge sync also holds, per segment in progress, a map of its keys (about 20,000) to the first 128 bits of each item\'s hash.',
    ...(['copy', 'sync'] as const).map((mode) =>
      finished(mode)
        ? `The ${mode} finished within the capped old space at every size: the growth with the default heap is garbage V8 had not yet collected (it lets the heap grow while it can); \`NODE_OPTIONS=--max-old-space-size=${HEAP_CAP_MB}\` holds it.`
        : `The ${mode} ran out of the capped old space (${HEAP_CAP_MB} MB) at some size: it holds more than that at once, which a cap cannot fix.`,
    ),
    `Target: a peak of at most 256 MB at the largest size; ${(['copy', 'sync'] as const)
      .map((mode) => {
        const rowsOf = memory.filter((m) => m.mode === mode && m.items === Math.max(...MEMORY_ITEMS));
        const capped = rowsOf.find((m) => m.heap)?.measured?.maxRssMb;
        const plain = rowsOf.find((m) => !m.heap)?.measured?.maxRssMb;
        return `the ${mode}: ${capped ?? 'failed'} MB with the old space capped${capped !== undefined && capped <= 256 ? ' (met)' : ' (not met)'}, ${plain ?? 'failed'} MB with the default heap`;
      })
      .join('; ')}.`,
  );
  return lines;
}

function report(rows: Row[], ceilings: Ceiling[], memory: MemoryRow[]): string {
  const cpu = execFileSync('nproc').toString().trim();
  const perThousand = (row: Row, ops?: string[]) => ((Object.entries(row.calls).filter(([op]) => !ops || ops.includes(op)).reduce((sum, [, n]) => sum + n, 0) / row.items) * 1000).toFixed(1);
  const lines = [
    '# DynamoDB hydration benchmark',
    '',
    `Items with every attribute type (about 700 bytes each) on dynalite 4.0.0 (in memory), behind the counting proxy; each tool copies the`,
    `same source table into a fresh empty table in its own process, and the target is then checked equal to the source (count and checksum).`,
    `${cpu} CPU cores, Node ${process.version}; dynalite runs in the bench's own process, so on 2 cores the server and the tool share the machine.`,
    '',
    `Each tool runs ${RUNS} times per size, interleaved with the others; a row is the median run, with every run's time beside it.`,
    '',
    '| items | tool | wall time (median) | runs | time vs copy-dynamodb-table | items/s | items changed in the copy | API calls per 1,000 items | Scan per 1,000 | BatchWriteItem per 1,000 | server thread busy | peak RSS |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const peer = rows.find((r) => r.items === row.items && r.tool === 'peer')!;
    lines.push(
      `| ${row.items.toLocaleString('en')} | ${row.label} | ${(row.measured.ms / 1000).toFixed(1)} s | ${row.runs.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s | ${(row.measured.ms / peer.measured.ms).toFixed(2)}x | ${Math.round(row.items / (row.measured.ms / 1000))} | ${row.differing} | ${perThousand(row)} | ${perThousand(row, ['Scan'])} | ${perThousand(row, ['BatchWriteItem'])} | ${Math.round(row.serverBusy * 100)}% | ${row.measured.maxRssMb} MB |`,
    );
  }
  lines.push(
    '',
    '## Against the ceiling',
    '',
    'The ceilings are the fastest plain loops of the dominant calls on the same items through the same proxy, each in its own process, at the',
    `concurrency that gave its best time of ${CEILING_CONCURRENCY.join(', ')}:`,
    '- **copy loop**: a parallel `Scan`, each page put with `BatchWriteItem` (25 a call, all of the page at once, unprocessed items sent again) before',
    '  the segment reads its next page: the copy with nothing else (no checkpoint, checksum or prefetch);',
    '- **write loop**: `BatchWriteItem` of the items, read before its clock starts; **scan loop**: a parallel `Scan`.',
    '',
    'Share of a ceiling: its time over the tool\'s (100% = as fast as the loop). A copy has to scan the items and write them, and dynalite serves',
    'one call at a time on one thread, so the write loop alone is a bound no copy reaches on this server; the write and scan loops added are',
    'the work a copy gives the server. "Server thread busy" is the share of the bench process\'s event loop (dynalite and the proxy) in use.',
    '',
    '| items | copy loop | write loop | scan loop | copy only: share of the copy loop | of write + scan | of the write loop | copy and verify: of the copy loop | copy-dynamodb-table: of the copy loop | server busy: copy loop / copy only |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const c of ceilings) {
    const row = (tool: string) => rows.find((r) => r.items === c.items && r.tool === tool);
    const share = (tool: string, ms: number) => {
      const found = row(tool);
      return found ? `${Math.round((ms / found.measured.ms) * 100)}%` : '-';
    };
    const loopCell = (l: Loop, unit: string) => `${(l.ms / 1000).toFixed(1)} s (${l.concurrency} ${unit})`;
    lines.push(
      `| ${c.items.toLocaleString('en')} | ${loopCell(c.copy, 'segments')} | ${loopCell(c.write, 'in flight')} | ${loopCell(c.scan, 'segments')} | ${share('ours-no-verify', c.copy.ms)} | ${share('ours-no-verify', c.write.ms + c.scan.ms)} | ${share('ours-no-verify', c.write.ms)} | ${share('ours', c.copy.ms)} | ${share('peer', c.copy.ms)} | ${Math.round(c.copy.serverBusy * 100)}% / ${Math.round((row('ours-no-verify')?.serverBusy ?? 0) * 100)}% |`,
    );
  }
  lines.push('', 'Times tried, ms by concurrency:', '');
  for (const c of ceilings) lines.push(`- ${c.items.toLocaleString('en')} items: copy ${JSON.stringify(c.copy.tried)}, write ${JSON.stringify(c.write.tried)}, scan ${JSON.stringify(c.scan.tried)}`);
  lines.push('', ...targetsSection(rows, ceilings));
  lines.push('', ...memorySection(memory));
  lines.push('', STATE_MACHINE_HEADING, '', '| items | state machine time / CLI time |', '|---|---|');
  for (const size of SIZES) {
    const cli = rows.find((r) => r.items === size && r.tool === 'ours')!;
    const machine = rows.find((r) => r.items === size && r.tool === 'ours-state-machine')!;
    lines.push(`| ${size.toLocaleString('en')} | ${(machine.measured.ms / cli.measured.ms).toFixed(2)}x |`);
  }
  lines.push(
    '',
    'The state machine row runs the reference app\'s synthesized `HydrationStateMachine` in aws-local-stepfunctions, its worker from the',
    'asset in the cloud assembly, in a worker thread (test/support/state-machines.ts): the plan\'s segments in Distributed Maps of up to 16, each slice a',
    'Lambda invocation that hands its position to the next. It measures the definition and the worker, not Step Functions itself: no',
    'state transition latency, no Lambda cold starts, no Distributed Map child executions.',
  );
  if (SIZES.length > 1) {
    const [small, large] = [SIZES[0], SIZES[SIZES.length - 1]];
    lines.push('', `## Growth from ${small.toLocaleString('en')} to ${large.toLocaleString('en')} items (${large / small}x the items)`, '', '| tool | time ratio |', '|---|---|');
    for (const [tool, label] of TOOLS) {
      const a = rows.find((r) => r.items === small && r.tool === tool)!;
      const b = rows.find((r) => r.items === large && r.tool === tool)!;
      lines.push(`| ${label} | ${(b.measured.ms / a.measured.ms).toFixed(2)}x |`);
    }
  }
  lines.push(
    '',
    'Items changed in the copy: copy-dynamodb-table reads and writes through the SDK v2 DocumentClient, which turns DynamoDB numbers into',
    'JavaScript numbers: the half of the items whose balance has 38 significant digits (DynamoDB keeps up to 38) arrive rounded to 17. The',
    'toolkit copies the wire form (AttributeValue) untouched.',
    '',
    'copy-dynamodb-table scans 25 items at a time, one page after another, and writes each page before reading the next; it has no resume and no',
    'verification. `retention hydrate dynamodb` scans in parallel segments (8 by default) with 1 MB pages, reads the next page while writing the',
    'current one, writes 4 batches at a time per segment, checkpoints each page, and (without --no-verify) reads the whole target back with',
    'strongly consistent scans to compare counts and checksums. On AWS the gap grows with latency: each of the peer\'s calls waits for the',
    'one before it.',
    '',
    `Calls by operation: ${rows.map((row) => `${row.items} ${row.tool}: ${JSON.stringify(row.calls)}`).join('; ')}.`,
    '',
  );
  return lines.join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
