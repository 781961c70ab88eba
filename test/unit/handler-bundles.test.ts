/**
 * The prebuilt handler bundles, loaded as Lambda loads them, and the contracts between each
 * construct and its handler: what one side encodes the other decodes, and a missing or malformed
 * value is named.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  COGNITO_EXPORT_ENVIRONMENT,
  FRESHNESS_CHECK_ENVIRONMENT,
  HANDLER_NAMES,
  HYDRATE_TABLE_STEPS,
  HandlerContractError,
  RECOVER_CONTROL_ENVIRONMENT,
  RESTORE_VALIDATION_ENVIRONMENT,
} from 'retention-kit/policy';
import { HANDLER_ASSETS_DIR } from '../../packages/retention-kit/src/constructs/handler-function';
import { builtHandler } from '../support/handlers';

const ROOT = join(__dirname, '../..');
const installedVersion = (name: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

describe('the prebuilt handler bundles', () => {
  const manifest = JSON.parse(readFileSync(join(HANDLER_ASSETS_DIR, 'manifest.json'), 'utf8')) as { handlers: Record<string, { packages: Record<string, string> }> };

  it('are one per handler source, each with its source map', () => {
    expect(Object.keys(manifest.handlers).sort()).toEqual([...HANDLER_NAMES].sort());
    for (const name of HANDLER_NAMES) {
      const map = JSON.parse(readFileSync(join(HANDLER_ASSETS_DIR, name, 'index.js.map'), 'utf8')) as { sources: string[] };
      expect(map.sources.some((source) => source.endsWith(`lambdas/${name}.ts`)), name).toBe(true);
    }
  });

  it('carry the AWS SDK clients at the versions these tests run with', () => {
    const clients = Object.entries(manifest.handlers).flatMap(([name, { packages }]) => Object.entries(packages).filter(([pkg]) => pkg.startsWith('@aws-sdk/client-')).map(([pkg, version]) => [name, pkg, version]));
    expect(clients.length).toBeGreaterThanOrEqual(HANDLER_NAMES.length);
    for (const [name, pkg, version] of clients) expect(version, `${pkg} in ${name}`).toBe(installedVersion(pkg));
  });

  it('reject an event of a step the handler does not know, naming the steps it does', async () => {
    const handler = builtHandler('hydrate-table');
    await expect(handler({ step: 'copie', task: {} })).rejects.toThrow('hydrate-table: event.step is "copie"; expected one of plan, copy, checksum, verify');
    await expect(handler({ step: 'verify', source: 'a', target: 'b' })).rejects.toThrow(/event\.copied is missing \(step verify\)\n\s+event\.readBack is missing/);
  });

  it("reject a state the export's state machine would not hand over", async () => {
    const handler = builtHandler('cognito-export');
    await expect(handler({ status: 'continue', completed: 'us-east-1_a' }, { getRemainingTimeInMillis: () => 900_000 })).rejects.toThrow(/cognito-export: event\.completed: .*expected array/i);
  });

  it('keep the errors Step Functions catches by name: the recovery refusal, before any AWS call', async () => {
    const saved = { ...process.env };
    try {
      // Nothing answers at this endpoint: a call would fail with a connection error, not the refusal.
      Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9', TABLE_NAME: 'orders', PAUSE_FUNCTIONS: '[]' });
      const handler = builtHandler('recover-control');
      const error = (await handler({ step: 'check', input: { confirmTableName: 'customers', toTime: '2026-11-20T14:05:00Z', incident: 'INC-5' } }).catch((e: unknown) => e)) as Error;
      expect(error.name).toBe('RecoverRefusedError');
      expect(error.message).toContain('--confirm-table-name is "customers" but the table is "orders"');
    } finally {
      process.env = saved;
    }
  });

  it('reject a malformed environment, naming every variable at fault', async () => {
    const saved = { ...process.env };
    try {
      process.env.AWS_REGION = 'us-east-1';
      process.env.RESTORE_TEST_PLANS = '{"plan": {"category": "critical_data"}}';
      process.env.COUNT_TOLERANCE = 'a tenth';
      const handler = builtHandler('restore-validation');
      const error = (await handler({ detail: { restoreJobId: 'job-1' } }).catch((e: unknown) => e)) as Error;
      expect(error.message).toContain('restore-validation: the input is not what the construct sends:');
      expect(error.message).toMatch(/environment variable RESTORE_TEST_PLANS\.plan\.rtoHours: .*expected number/i);
      expect(error.message).toContain('environment variable COUNT_TOLERANCE: not JSON ("a tenth")');
    } finally {
      process.env = saved;
    }
  });
});

describe('handler contracts', () => {
  it('decode what the construct encodes', () => {
    const categories = { critical_data: { rpoHours: 24, copies: true } };
    expect(FRESHNESS_CHECK_ENVIRONMENT.decode(FRESHNESS_CHECK_ENVIRONMENT.encode({ CATEGORIES: categories, MARGIN_HOURS: 2 }))).toEqual({ CATEGORIES: categories, MARGIN_HOURS: 2, SLOW_JOB_SHARE: 0.8, VAULTS: [], RETENTION_DAYS: {} });
    const backup = { kind: 'aws-backup' as const, vaultName: 'v', roleArn: 'arn:aws:iam::111111111111:role/r', deleteAfterDays: 35 };
    expect(RECOVER_CONTROL_ENVIRONMENT.decode(RECOVER_CONTROL_ENVIRONMENT.encode({ TABLE_NAME: 'orders', PRE_RECOVERY_BACKUP: backup, PAUSE_FUNCTIONS: ['api'] }))).toEqual({
      TABLE_NAME: 'orders',
      PRE_RECOVERY_BACKUP: backup,
      PAUSE_FUNCTIONS: ['api'],
    });
    expect(COGNITO_EXPORT_ENVIRONMENT.decode(COGNITO_EXPORT_ENVIRONMENT.encode({ USER_POOL_IDS: ['us-east-1_a'], EXPORT_BUCKET: 'b', EXPORT_PREFIX: 'cognito' }))).toEqual({
      USER_POOL_IDS: ['us-east-1_a'],
      EXPORT_BUCKET: 'b',
      EXPORT_PREFIX: 'cognito',
      RATE_LIMITS: {},
      HANDOVER_MS: 90_000,
      S3_PATH_STYLE: false,
    });
  });

  it('refuse at synth a value the handler could not read, and name a missing variable at run time', () => {
    expect(() => RESTORE_VALIDATION_ENVIRONMENT.encode({ RESTORE_TEST_PLANS: {}, COUNT_TOLERANCE: 2 })).toThrow(/restore-validation: COUNT_TOLERANCE: .*1/);
    expect(() => COGNITO_EXPORT_ENVIRONMENT.decode({ EXPORT_BUCKET: 'b', EXPORT_PREFIX: '' })).toThrow(new HandlerContractError('cognito-export', ['environment variable USER_POOL_IDS is missing']));
    expect(() => HYDRATE_TABLE_STEPS.check({})).toThrow('event.step is undefined');
  });
});

describe('the freshness-check bundle (AWS Backup answered by a stub server: no local AWS Backup server exists)', () => {
  it('reads the deployed plans, judges each resource against its RPO and publishes stale counts as embedded metrics', async () => {
    const now = Date.now() / 1000;
    const table = (name: string) => `arn:aws:dynamodb:us-east-1:111111111111:table/${name}`;
    const answers: [RegExp, (match: RegExpExecArray) => unknown][] = [
      [/^\/backup\/plans\/?$/, () => ({ BackupPlansList: [{ BackupPlanId: 'p1', BackupPlanName: 'Persistent-critical_data' }] })],
      [/^\/backup\/plans\/p1\/selections\/?$/, () => ({ BackupSelectionsList: [{ SelectionId: 's1', BackupPlanId: 'p1' }] })],
      [/^\/backup\/plans\/p1\/selections\/s1$/, () => ({ BackupSelection: { SelectionName: 's', IamRoleArn: 'r', Resources: [table('Fresh'), table('Stale')] } })],
      [/^\/resources\/(.+)\/recovery-points\/?$/, (m) => ({ RecoveryPoints: [{ Status: 'COMPLETED', CreationDate: now - (m[1].endsWith('Fresh') ? 2 : 40) * 3600 }] })],
      [/^\/copy-jobs\/?$/, () => ({ CopyJobs: [{ State: 'COMPLETED', CompletionDate: now - 3600 }] })],
      [/^\/backup-jobs\/?$/, () => ({ BackupJobs: [] })],
    ];
    const paths: string[] = [];
    const server = createServer((request, response) => {
      const path = decodeURIComponent(new URL(request.url!, 'http://stub').pathname);
      paths.push(path);
      const answer = answers.map(([pattern, body]) => [pattern.exec(path), body] as const).find(([match]) => match);
      response.setHeader('content-type', 'application/json');
      response.statusCode = answer ? 200 : 404;
      response.end(JSON.stringify(answer ? answer[1](answer[0]!) : { message: `no stub for ${path}` }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const saved = { ...process.env };
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    try {
      Object.assign(process.env, {
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_BACKUP: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        CATEGORIES: JSON.stringify({ critical_data: { rpoHours: 24, copies: true } }),
        MARGIN_HOURS: '1',
        POWERTOOLS_SERVICE_NAME: 'retention-freshness',
      });
      const handler = builtHandler('freshness-check');
      process.stdout.write = ((chunk: string) => (lines.push(String(chunk)), true)) as typeof process.stdout.write;
      expect(await handler({})).toEqual({ stale: 1, resources: 2, slowJobs: 0, missedStarts: 0 });
    } finally {
      process.stdout.write = write;
      process.env = saved;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(paths.some((path) => path.startsWith(`/resources/${table('Stale')}/recovery-points`))).toBe(true);
    const emf = lines.flatMap((l) => l.split('\n')).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Record<string, any>);
    expect(emf.find((m) => m.StaleResources !== undefined)).toMatchObject({ Category: 'critical_data', service: 'retention-freshness', StaleResources: 1 });
  });
});
