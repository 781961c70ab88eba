/**
 * The AWS conventions of the `retention` command: the Region and credentials from `--region` and
 * `--profile`, else the SDK's chain, and `--json` for scripts. AWS Backup is answered by a stub
 * HTTP server that records the requests (no local AWS Backup server exists).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/apps';

const ROOT = join(__dirname, '../..');

/** The CLI from source in a process of its own, with only the environment given (no AWS_* of this process). */
function retention(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  const none = join(tempDir('no-aws-config'), 'none');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'packages/retention-kit-cli/src/cli/main.ts'), ...args], {
      env: { ...clean, AWS_CONFIG_FILE: none, AWS_SHARED_CREDENTIALS_FILE: none, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('Region, profile and --json (AWS Backup answered by a stub server)', () => {
  let server: Server;
  let endpoint: string;
  const requests: IncomingMessage[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push(request);
      request.resume();
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ BackupPlansList: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const credentials = { AWS_ACCESS_KEY_ID: 'AKIDLOCAL', AWS_SECRET_ACCESS_KEY: 'local' };
  const scopeOf = (request: IncomingMessage) => /Credential=[^/]+\/\d+\/([^/]+)\/([^/]+)\//.exec(request.headers.authorization ?? '')?.slice(1);

  it('says how to give a Region when none is set, naming the option, the variable and the profile', async () => {
    const result = await retention(['status', '--app', 'apps/reference'], credentials);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('no AWS Region: pass --region <region>, set AWS_REGION, or give the profile "default" a region');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const cognito = await retention(['cognito', 'export', '--user-pool-id', 'us-east-1_abc', '--out', tempDir('export')], credentials);
    expect(cognito.stderr).toContain('no AWS Region: pass --region <region>');
    expect(cognito.stderr).not.toContain('Region is missing');
  });

  it('takes the Region from AWS_REGION, with no --region, and prints the result as JSON with --json', async () => {
    requests.length = 0;
    const result = await retention(['status', '--app', 'apps/reference', '--json'], { ...credentials, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_BACKUP: endpoint });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ resources: [], categories: expect.any(Array) });
    expect(scopeOf(requests[0])).toEqual(['us-east-1', 'backup']);
  });

  it('takes the Region and the credentials from --profile, and --region over both', async () => {
    const dir = tempDir('aws-profile');
    writeFileSync(join(dir, 'config'), '[profile ops]\nregion = eu-west-1\n');
    writeFileSync(join(dir, 'credentials'), '[ops]\naws_access_key_id = AKIDOPS\naws_secret_access_key = ops\n');
    const files = { AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_ENDPOINT_URL_BACKUP: endpoint };
    requests.length = 0;
    const viaProfile = await retention(['status', '--app', 'apps/reference', '--profile', 'ops'], files);
    expect(viaProfile.status, viaProfile.stderr).toBe(0);
    expect(requests[0].headers.authorization).toContain('Credential=AKIDOPS/');
    expect(scopeOf(requests[0])).toEqual(['eu-west-1', 'backup']);
    requests.length = 0;
    const overridden = await retention(['status', '--app', 'apps/reference', '--profile', 'ops', '--region', 'ap-southeast-2'], files);
    expect(overridden.status, overridden.stderr).toBe(0);
    expect(scopeOf(requests[0])).toEqual(['ap-southeast-2', 'backup']);
  });
});
