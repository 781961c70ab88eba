import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackupClient, ListBackupPlansCommand, ListRecoveryPointsByBackupVaultCommand, type RecoveryPointByBackupVault } from '@aws-sdk/client-backup';
import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { costCommand } from '../../../packages/retention-kit-cli/src/cli/commands/cost';
import { liveEstimate, UNCATEGORIZED } from '../../../packages/retention-kit-cli/src/runtime/cost/live-estimate';
import { backupsPerDay, parseSizes, windowGb } from '../../../packages/retention-kit-cli/src/runtime/cost/plan-estimate';
import { readPriceList } from '../../../packages/retention-kit-cli/src/runtime/cost/price-list';
import { DEFAULT_PRICE_BOOK, mergePriceBooks, parsePriceFile, readPriceFile } from '../../../packages/retention-kit-cli/src/runtime/cost/prices';
import { protectionReport } from '../../../packages/retention-kit-cli/src/report/protection-report';
import { referenceApp, synthesize, tempDir } from '../../support/apps';
import { CLI } from '../../support/cli';
import { readmeExample } from '../../support/readme';

/** Prices for the hand computation below: round figures, the same in both Regions. */
const TEST_PRICES = {
  read: '2026-12-02',
  source: 'test figures',
  regions: Object.fromEntries(
    ['us-east-1', 'us-west-2'].map((r) => [r, { storage: { warm: { DynamoDB: 0.1, S3: 0.05, Aurora: 0.021 }, cold: { DynamoDB: 0.03 } }, cross_region_transfer_per_gb: 0.02 }]),
  ),
};

const GIB = 1024 ** 3;

function cli(args: string[]) {
  const run = spawnSync(process.execPath, [CLI, 'cost', ...args], { encoding: 'utf8', env: { ...process.env, AWS_REGION: 'us-east-1' } });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('retention cost --plan on the reference app (no AWS call: the built CLI over the synthesized assembly)', () => {
  let assembly: string;
  let prices: string;
  beforeAll(() => {
    assembly = synthesize(referenceApp()).directory;
    prices = join(tempDir('prices'), 'prices.json');
    writeFileSync(prices, JSON.stringify(TEST_PRICES));
  });

  it('gives the hand-computed monthly figure per category and in total', () => {
    /*
     * By hand (daily backups, copies to us-west-2, transfer from us-east-1):
     * ProviderTable, critical_data, DynamoDB (a full copy per backup), 40 GB, 2555 days, cold from day 30:
     *   vault warm 30 x 40 = 1,200 GB x 0.10 = 120; vault cold 2,525 x 40 = 101,000 GB x 0.03 = 3,030;
     *   the copy the same: 3,150; transfer 40 GB x 30.4375 backups a month = 1,217.5 GB x 0.02 = 24.35.   6,324.35
     * ProviderUsersBucket, document_storage, S3 (incremental), 500 GB, 1 %/day, 90 days, warm only:
     *   500 + 5 x 89 = 945 GB x 0.05 = 47.25, twice; transfer 5 x 30.4375 = 152.1875 GB x 0.02 = 3.04375.   97.54375
     * LicensingDatabase, relational_data, Aurora (incremental), 100 GB, 1 %/day, 2555 days, warm only:
     *   100 + 1 x 2,554 = 2,654 GB x 0.021 = 55.734, twice; transfer 30.4375 GB x 0.02 = 0.60875.           112.07675
     * Total 6,533.9705
     */
    const run = cli(['--plan', '-a', assembly, '--prices', prices, '--json', '--size', 'Persistent/ProviderTable=40', '--size', 'Persistent/ProviderUsersBucket=500', '--size', 'Persistent/LicensingDatabase=100']);
    const estimate = JSON.parse(run.stdout);
    const byCategory = Object.fromEntries(estimate.categories.map((c: { category: string; monthlyUsd: number }) => [c.category, c.monthlyUsd]));
    expect(byCategory.critical_data).toBeCloseTo(6324.35, 6);
    expect(byCategory.document_storage).toBeCloseTo(97.54375, 6);
    expect(byCategory.relational_data).toBeCloseTo(112.07675, 6);
    expect(estimate.totalMonthlyUsd).toBeCloseTo(6533.9705, 6);
    expect(estimate.missingPrices).toEqual([]);
    // The other protected resources were not sized: the estimate says so, and exits 1.
    expect(estimate.unsized).toEqual(expect.arrayContaining(['Persistent/SSNTable', 'Persistent/StaffUsersTable', 'Persistent/UserPoolExport/Bucket', 'BackupInfrastructure/AuditTrail/Logs']));
    expect(estimate.unsized).toHaveLength(8);
    expect(estimate.complete).toBe(false);
    expect(run.code).toBe(1);
    expect(estimate.prices.map((s: { region: string }) => s.region).sort()).toEqual(['us-east-1', 'us-east-1', 'us-west-2']);
  });

  it('exits 0 once every protected resource is sized and priced, and the text names the prices used', () => {
    const report = protectionReport(assembly);
    const sizes = join(tempDir('sizes'), 'sizes.json');
    const resources = Object.fromEntries(report.rows.filter((r) => r.status === 'protected').map((r) => [r.path, { gb: 1 }]));
    writeFileSync(sizes, JSON.stringify({ daily_change_percent: 2, resources }));
    const run = cli(['--plan', '-a', assembly, '--prices', prices, '--sizes', sizes]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Total: \$\d+\.\d\d a month\n/);
    expect(run.stdout).toContain('us-west-2, read 2026-12-02: test figures');
  });

  it('with the built-in prices only, lists every figure it has no price for', () => {
    const run = cli(['--plan', '-a', assembly, '--size', 'Persistent/ProviderTable=40', '--size', 'Persistent/LicensingDatabase=100']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('  - us-east-1 cold DynamoDB\n');
    expect(run.stdout).toContain('  - us-west-2 warm DynamoDB\n');
    expect(run.stdout).toContain('  - us-east-1 warm Aurora\n');
    // The figure it has: 1,200 GB-months of warm DynamoDB at the built-in 0.10.
    expect(run.stdout).toMatch(/Persistent\/ProviderTable\s*│ DynamoDB │ vault\s*│ us-east-1 │ warm\s*│ 1200\.0\s*│ 0\.1\s*│ \$120\.00/);
    expect(run.stdout).toContain(`read ${DEFAULT_PRICE_BOOK.sources[0].read}`);
  });

  it("takes the README's sizes file and price file as written", () => {
    const report = protectionReport(assembly);
    const sizes = parseSizes(JSON.parse(readmeExample('cost-sizes')), report.rows, 'README');
    expect(sizes.byPath.get('Persistent/ProviderUsersBucket')).toEqual({ gb: 500, dailyChangePercent: 0.5 });
    expect(sizes.byPath.get('Persistent/ProviderTable')).toEqual({ gb: 40, dailyChangePercent: 1 });
    expect(parsePriceFile(JSON.parse(readmeExample('cost-prices')), 'README').regions['us-west-2'].storage.cold).toEqual({ DynamoDB: 0.03 });
  });

  it('names every bad size at once: an unknown path (with a suggestion), an excluded resource, a negative size', () => {
    const report = protectionReport(assembly);
    const raw = { resources: { 'Persistent/ProviderTabel': { gb: 1 }, 'Persistent/AccessLogsBucket': { gb: 1 }, 'Persistent/ProviderTable': { gb: 2 } } };
    expect(() => parseSizes(raw, report.rows, 'sizes.json')).toThrow(
      /sizes file sizes\.json has 2 problems:\n {2}- resources\.Persistent\/ProviderTabel: is not a resource of the app \(did you mean Persistent\/ProviderTable\?\).*\n {2}- resources\.Persistent\/AccessLogsBucket: is excluded, not kept by an AWS Backup plan/,
    );
    expect(() => parseSizes({ resources: { 'Persistent/ProviderTable': { gb: -1 } } }, report.rows, 'sizes.json')).toThrow(/resources\.Persistent\/ProviderTable\.gb/);
    const run = cli(['--plan', '-a', assembly, '--size', 'Persistent/ProviderTable=forty']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--size = "Persistent/ProviderTable=forty": expected PATH=GB');
  });
});

describe('the plan model', () => {
  it('counts backups a day from the schedule, and holds full copies or increments per tier window', () => {
    expect(backupsPerDay('cron(0 2 * * ? *)')).toBe(1);
    expect(backupsPerDay('cron(0 */6 * * ? *)')).toBe(4);
    expect(backupsPerDay('cron(0 3 ? * SUN *)')).toBeCloseTo(1 / 7, 3);
    expect(windowGb({ gb: 10, dailyChangePercent: 5 }, 'DynamoDB', 1, 30)).toBe(300);
    // Incremental, four backups a day: one full copy, then each backup's quarter of the 5 % daily change.
    expect(windowGb({ gb: 10, dailyChangePercent: 5 }, 'EBS', 4, 30)).toBeCloseTo(10 + 0.125 * 119, 9);
    expect(windowGb({ gb: 10, dailyChangePercent: 5 }, 'EBS', 1, 0)).toBe(0);
  });
});

describe('price files', () => {
  it('names every problem at once: an unknown tier (with the allowed ones), a negative price; then an unknown type (with a suggestion) and a bad Region', () => {
    const raw = { regions: { 'us-east-1': { storage: { tepid: { S3: 1 }, warm: { Dynamo: 0.1, S3: -1 } } }, 'mars-1': { storage: {} } } };
    expect(() => parsePriceFile(raw, 'p.json')).toThrow(/price file p\.json has 2 problems/);
    try {
      parsePriceFile(raw, 'p.json');
    } catch (e) {
      const message = (e as Error).message;
      expect(message).toContain('regions.us-east-1.storage: Unrecognized key: "tepid"; allowed: warm, cold, low-cost warm, archive, air-gapped');
      expect(message).toMatch(/regions\.us-east-1\.storage\.warm\.S3 = -1: .*>=0/);
    }
    // Types and Regions are checked once the shape is right.
    expect(() => parsePriceFile({ regions: { 'us-east-1': { storage: { warm: { Dynamo: 0.1 } } }, 'mars-1': { storage: {} } } }, 'p.json')).toThrow(
      /2 problems:\n {2}- regions\.us-east-1\.storage\.warm\.Dynamo: not an AWS Backup resource type \(did you mean DynamoDB\?\).*\n {2}- regions\.mars-1: not an AWS Region code/,
    );
  });

  it('a user file wins over the built-in figures, figure by figure', () => {
    const merged = mergePriceBooks(DEFAULT_PRICE_BOOK, parsePriceFile({ read: '2026-11-30', regions: { 'us-east-1': { storage: { warm: { S3: 0.04 } } } } }, 'p.json'));
    expect(merged.regions['us-east-1'].storage.warm).toMatchObject({ S3: 0.04, DynamoDB: 0.1, EFS: 0.05 });
    expect(merged.regions['us-east-1'].crossRegionTransferPerGb).toBe(0.02);
    expect(merged.sources.map((s) => s.read)).toEqual([DEFAULT_PRICE_BOOK.sources[0].read, '2026-11-30']);
  });
});

/** A product as the Price List Query API returns it: one JSON string per product, in the aws_v1 format. */
function product(serviceCode: string, usagetype: string, usd: string, region = 'us-west-2'): string {
  const sku = `SKU${usagetype.replace(/\W/g, '')}`;
  return JSON.stringify({
    product: { productFamily: serviceCode === 'AWSBackup' ? 'AWS Backup Storage' : 'Storage Snapshot', attributes: { servicecode: serviceCode, regionCode: region, usagetype, operation: 'Storage' }, sku },
    serviceCode,
    terms: { OnDemand: { [`${sku}.JRTCKXETXF`]: { priceDimensions: { [`${sku}.JRTCKXETXF.6YS6EN2CT7`]: { unit: 'GB-Mo', beginRange: '0', endRange: 'Inf', pricePerUnit: { USD: usd }, description: usagetype } }, sku, effectiveDate: '2026-11-01T00:00:00Z' } } },
    version: '20261101000000',
    publicationDate: '2026-11-20T18:00:00Z',
  });
}

describe('retention cost reading the Price List Query API (mocked Pricing client: no local server exists for it)', () => {
  const pricing = mockClient(PricingClient);
  afterEach(() => pricing.reset());

  function publishedPrices() {
    pricing.on(GetProductsCommand, { ServiceCode: 'AWSBackup' }).resolvesOnce({
      PriceList: [product('AWSBackup', 'USW2-WarmStorage-ByteHrs-DynamoDB', '0.1000000000'), product('AWSBackup', 'USW2-ColdStorage-ByteHrs-DynamoDB', '0.0300000000')],
      NextToken: 'page-2',
    }).resolves({
      PriceList: [
        product('AWSBackup', 'USW2-WarmStorage-ByteHrs-S3', '0.0500000000'),
        product('AWSBackup', 'USW2-WarmStorage-ByteHrs-EBS-LAGV', '0.0600000000'),
        product('AWSBackup', 'USW2-LowCostWarmStorage-ByteHrs-S3', '0.0250000000'),
        product('AWSBackup', 'USW2-Restore-Bytes-EFS', '0.0200000000'),
      ],
    });
    pricing.on(GetProductsCommand, { ServiceCode: 'AmazonEC2' }).resolves({ PriceList: [product('AmazonEC2', 'USW2-EBS:SnapshotUsage', '0.0500000000'), product('AmazonEC2', 'USW2-EBS:FastSnapshotRestore', '0.75')] });
    pricing.on(GetProductsCommand, { ServiceCode: 'AmazonRDS' }).resolves({ PriceList: [product('AmazonRDS', 'USW2-RDS:ChargedBackupUsage', '0.0950000000'), product('AmazonRDS', 'USW2-Aurora:BackupUsage', '0.0210000000')] });
  }

  it('maps the storage usage types to tiers and types, across pages, and reports the ones it does not price', async () => {
    publishedPrices();
    const read = await readPriceList(new PricingClient({ region: 'us-east-1' }), 'us-west-2', new Date('2026-12-02T10:00:00Z'));
    expect(read.book.regions['us-west-2'].storage).toEqual({
      warm: { DynamoDB: 0.1, S3: 0.05, EBS: 0.05, EC2: 0.05, RDS: 0.095, Aurora: 0.021 },
      cold: { DynamoDB: 0.03 },
      'air-gapped': { EBS: 0.06 },
    });
    expect(read.unmapped).toEqual(['USW2-LowCostWarmStorage-ByteHrs-S3']);
    expect(read.book.sources).toEqual([{ region: 'us-west-2', read: '2026-12-02', from: 'AWS Price List Query API (AWSBackup, AmazonEC2, AmazonRDS), published 2026-11-20' }]);
    const filters = pricing.commandCalls(GetProductsCommand).map((c) => c.args[0].input);
    expect(filters.every((f) => f.Filters?.some((x) => x.Field === 'regionCode' && x.Value === 'us-west-2'))).toBe(true);
  });

  it('--price-list --save-prices writes a price file that reads back, dated', async () => {
    publishedPrices();
    const out = join(tempDir('saved'), 'prices.json');
    const assembly = synthesize(referenceApp()).directory;
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      process.exitCode = undefined;
      await new Command('retention')
        .exitOverride()
        .addCommand(costCommand({ pricing: () => new PricingClient({ region: 'us-east-1' }) }))
        .parseAsync(['node', 'retention', 'cost', '--plan', '-a', assembly, '--region', 'us-west-2', '--price-list', '--save-prices', out, '--size', 'Persistent/ProviderTable=1']);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    process.exitCode = undefined;
    const saved = readPriceFile(out);
    expect(saved.regions['us-west-2'].storage.cold).toEqual({ DynamoDB: 0.03 });
    expect(JSON.parse(readFileSync(out, 'utf8')).read).toBe(new Date().toISOString().slice(0, 10));
  });
});

describe('retention cost from the recovery points held (mocked AWS Backup: no local server exists for it)', () => {
  const backup = mockClient(BackupClient);
  afterEach(() => backup.reset());
  const now = new Date('2026-12-02T00:00:00Z');
  const day = (n: number) => new Date(now.getTime() - n * 86_400_000);
  const point = (over: Partial<RecoveryPointByBackupVault>): RecoveryPointByBackupVault => ({ Status: 'COMPLETED', CreatedBy: { BackupPlanId: 'p1' }, CalculatedLifecycle: { DeleteAt: day(-100) }, ...over });

  function vaults() {
    backup.on(ListBackupPlansCommand).resolves({ BackupPlansList: [{ BackupPlanId: 'p1', BackupPlanName: 'Persistent-critical_data' }, { BackupPlanId: 'p2', BackupPlanName: 'Persistent-document_storage' }] });
    const table = 'arn:aws:dynamodb:us-east-1:111111111111:table/ProviderTable';
    const bucket = 'arn:aws:s3:::provider-users';
    backup.on(ListRecoveryPointsByBackupVaultCommand, { BackupVaultName: 'CompactConnectBackupVault' }).resolvesOnce({
      RecoveryPoints: [
        point({ ResourceArn: table, ResourceType: 'DynamoDB', BackupSizeInBytes: 4 * GIB, CreationDate: day(1) }),
        point({ ResourceArn: table, ResourceType: 'DynamoDB', BackupSizeInBytes: 4 * GIB, CreationDate: day(2) }),
        point({ ResourceArn: table, ResourceType: 'DynamoDB', BackupSizeInBytes: 2 * GIB, CreationDate: day(40), CalculatedLifecycle: { MoveToColdStorageAt: day(10), DeleteAt: day(-100) } }),
      ],
      NextToken: 'more',
    }).resolves({
      RecoveryPoints: [
        // S3 is incremental: at least the largest point, at most all three.
        point({ ResourceArn: bucket, ResourceType: 'S3', BackupSizeInBytes: 10 * GIB, CreatedBy: { BackupPlanId: 'p2' } }),
        point({ ResourceArn: bucket, ResourceType: 'S3', BackupSizeInBytes: 12 * GIB, CreatedBy: { BackupPlanId: 'p2' } }),
        point({ ResourceArn: bucket, ResourceType: 'S3', BackupSizeInBytes: 11 * GIB, CreatedBy: { BackupPlanId: 'p2' } }),
        point({ ResourceArn: bucket, ResourceType: 'S3', BackupSizeInBytes: 99 * GIB, Status: 'EXPIRED' }),
        point({ ResourceArn: table, ResourceType: 'DynamoDB', BackupSizeInBytes: 1 * GIB, CreatedBy: undefined }),
      ],
    });
    backup.on(ListRecoveryPointsByBackupVaultCommand, { BackupVaultName: 'CompactConnectBackupVault-SSN' }).resolves({ RecoveryPoints: [] });
  }

  it('prices each category by type and tier: DynamoDB exactly, S3 as a range, on-demand points apart', async () => {
    vaults();
    const prices = mergePriceBooks(DEFAULT_PRICE_BOOK, parsePriceFile({ regions: { 'us-east-1': { storage: { cold: { DynamoDB: 0.03 } } } } }, 'p.json'));
    const estimate = await liveEstimate(new BackupClient({ region: 'us-east-1' }), { vaults: ['CompactConnectBackupVault', 'CompactConnectBackupVault-SSN'], categories: ['critical_data', 'document_storage'], region: 'us-east-1', prices, now });
    const byCategory = Object.fromEntries(estimate.categories.map((c) => [c.category, c.monthlyUsd]));
    // critical_data: 8 GB warm x 0.10 + 2 GB cold x 0.03; document_storage: 12 GB x 0.05 at least; on demand: 1 GB x 0.10.
    expect(byCategory.critical_data).toBeCloseTo(0.86, 9);
    expect(byCategory.document_storage).toBeCloseTo(0.6, 9);
    expect(byCategory[UNCATEGORIZED]).toBeCloseTo(0.1, 9);
    expect(estimate.totalMonthlyUsd).toBeCloseTo(1.56, 9);
    // Every point in full: S3 33 GB x 0.05.
    expect(estimate.totalMonthlyUsdUpperBound).toBeCloseTo(0.86 + 1.65 + 0.1, 9);
    expect(estimate.complete).toBe(true);
  });

  it('exits 1 naming the missing price, and 0 once a price file gives it', async () => {
    const run = async (args: string[]) => {
      backup.reset();
      vaults();
      let out = '';
      const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
      try {
        process.exitCode = undefined;
        await new Command('retention').exitOverride().addCommand(costCommand({ backup: () => new BackupClient({ region: 'us-east-1' }) })).parseAsync(['node', 'retention', 'cost', '--region', 'us-east-1', '--app', 'apps/reference', ...args]);
      } finally {
        stdout.mockRestore();
      }
      const code = process.exitCode;
      process.exitCode = undefined;
      return { code, out };
    };
    const missing = await run([]);
    expect(missing.code).toBe(1);
    expect(missing.out).toContain('  - us-east-1 cold DynamoDB\n');
    const file = join(tempDir('prices'), 'p.json');
    writeFileSync(file, JSON.stringify({ regions: { 'us-east-1': { storage: { cold: { DynamoDB: 0.03 } } } } }));
    const priced = await run(['--prices', file]);
    expect(priced.code ?? 0).toBe(0);
    expect(priced.out).toMatch(/Total: \$1\.56 a month \(at most \$2\.61 if every recovery point were stored in full\)/);
  });
});
