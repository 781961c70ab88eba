import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildSync } from 'esbuild';

const TSX = join(__dirname, '..', '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');

/** What a bench tool prints as its last line. */
export interface Measured {
  tool: string;
  ms: number;
  users: number;
  /** Write requests made, where the tool counts them. */
  writes?: number;
  maxRssMb: number;
}

/** Runs a bench tool (a TypeScript file under bench/tools) in its own process, so its peak memory is its own. */
export function measure(toolFile: string, args: string[], nodeFlags: string[] = [], options: { compiled?: boolean } = {}): Promise<Measured> {
  return new Promise((resolve, reject) => {
    // Through NODE_OPTIONS, so the flags reach the process tsx starts for the tool.
    const env = nodeFlags.length > 0 ? { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, ...nodeFlags].filter(Boolean).join(' ') } : process.env;
    const command = options.compiled ? [compiled(toolFile), ...args] : [TSX, join(__dirname, toolFile), ...args];
    const child = spawn(process.execPath, command, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as Measured) : reject(new Error(`${args[0]} exited ${code}: ${err}`))));
  });
}

/**
 * The tool bundled into one CommonJS file, its packages left to node_modules, for plain Node: what a
 * user's process holds, without the TypeScript loader (whose hooks run in a thread of their own).
 */
function compiled(toolFile: string): string {
  const folder = join(__dirname, '..', '..', 'node_modules', '.cache', 'bench');
  mkdirSync(folder, { recursive: true });
  const outfile = join(folder, `${basename(toolFile, '.ts')}.cjs`);
  buildSync({ entryPoints: [join(__dirname, toolFile)], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', packages: 'external', external: ['retention-kit-cli', 'retention-kit'], logLevel: 'error' });
  return outfile;
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Runs `work` and reports the share of this process's event loop that was busy meanwhile: the local server's, where it runs in the bench's process. */
export async function serverBusy<T>(work: () => Promise<T>): Promise<[T, number]> {
  const before = performance.eventLoopUtilization();
  const result = await work();
  return [result, performance.eventLoopUtilization(before).utilization];
}
