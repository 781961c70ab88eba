import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** `npm run drill`, small: the README's drill command runs end to end and verifies every record. */
describe('npm run drill (dynalite, s3rver and cognito-local, started by the drill)', () => {
  it('runs the data corruption, compromised account and regional failure scenarios, verifies every record, and reports each against the RTO', async () => {
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
    for (const scenario of ['data-corruption', 'compromised-account', 'regional-failure']) {
      expect(run.stdout).toMatch(new RegExp(`${scenario}: recovery \\(steps marked \\*\\): .* against an RTO of 4 h`));
    }
    // Data corruption: half the table rewritten by the sync, the other half left alone.
    expect(run.stdout).toContain('150 of 300 items overwritten');
    expect(run.stdout).toContain('150 items rewritten, 150 left as they were, verified by count and checksum');
    // Compromised account: rebuilt from the backup account's copies only.
    expect(run.stdout).toContain('1500 items and 60 objects from the backup account, verified');
    // Regional failure: the primary's servers stopped.
    expect(run.stdout).toContain('dynalite, s3rver and cognito-local of the primary stopped');
    expect(run.stdout).toContain('every record verified');
  });
});
