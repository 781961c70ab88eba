import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** `npm run drill`, small: the README's drill command runs end to end and verifies every record. */
describe('npm run drill (dynalite, s3rver and cognito-local, started by the drill)', () => {
  it('seeds, backs up, loses, restores, hydrates and verifies every record, and reports each step against the RTO', async () => {
    const root = join(__dirname, '../..');
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--openssl-legacy-provider', join(root, 'node_modules/tsx/dist/cli.mjs'), 'scripts/drill.ts', '--items', '300', '--objects', '60', '--users', '20'], { cwd: root });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('5 tables x 300 items, 60 documents, 2 pools x 21 users');
    expect(run.stdout).toContain('1500 items, each table verified by count and checksum');
    expect(run.stdout).toContain('60 objects, verified by key, size and ETag');
    expect(run.stdout).toContain('5 tables by checksum, 60 documents by ETag, 42 users and their groups compared');
    expect(run.stdout).toMatch(/recovery \(steps marked \*\): .* against an RTO of 4 h/);
    expect(run.stdout).toContain('every record verified');
  });
});
