import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BackupClient } from '@aws-sdk/client-backup';
import { PricingClient } from '@aws-sdk/client-pricing';
import Table from 'cli-table3';
import { Command } from 'commander';
import { RetentionConfigError, parseRetentionPolicy } from 'retention-kit/policy';
import { awsSettings, output, withAws, withJson } from '../aws';
import { EXIT_CODES, exitWith } from '../exit-codes';
import { assemblyTemplates, protectionReport } from '../../report/protection-report';
import { cdkJsonContext } from '../../runtime/cdk-json';
import { liveEstimate } from '../../runtime/cost/live-estimate';
import { type CostEstimate, parseSizes, planEstimate } from '../../runtime/cost/plan-estimate';
import { readPriceList } from '../../runtime/cost/price-list';
import { DEFAULT_PRICE_BOOK, type PriceBook, mergePriceBooks, priceFileOf, readPriceFile } from '../../runtime/cost/prices';

export interface CostCommandDeps {
  backup?: (settings: { region: string; profile?: string }) => BackupClient;
  pricing?: (settings: { profile?: string }) => PricingClient;
}

interface CostOptions {
  plan?: boolean;
  assembly: string;
  sizes?: string;
  size?: string[];
  app: string;
  environment?: string;
  vault?: string[];
  prices?: string;
  priceList?: boolean;
  savePrices?: string;
  region?: string;
  profile?: string;
  json?: boolean;
}

const usd = (n: number) => `$${n.toFixed(2)}`;

export function formatCost(estimate: CostEstimate): string {
  const lines = new Table({ head: ['Category', 'Resource', 'Type', 'Where', 'Region', 'Tier', 'GB-month', '$/GB', '$/month'], style: { head: [], border: [] } });
  for (const l of estimate.lines) {
    lines.push([l.category, l.path, l.resourceType, l.location, l.region, l.tier, l.gb.toFixed(1), l.pricePerGb === undefined ? 'no price' : String(l.pricePerGb), l.monthlyUsd === undefined ? '-' : usd(l.monthlyUsd)]);
  }
  const categories = new Table({ head: ['Category', '$/month', 'Unpriced lines'], style: { head: [], border: [] } });
  for (const c of estimate.categories) categories.push([c.category, usd(c.monthlyUsd), c.unpriced]);
  const bound = estimate.totalMonthlyUsdUpperBound === undefined ? '' : ` (at most ${usd(estimate.totalMonthlyUsdUpperBound)} if every recovery point were stored in full)`;
  return [
    `Monthly backup storage, from ${estimate.basis === 'plan' ? 'the plan and the resources\' sizes' : 'the recovery points held now'}`,
    lines.toString(),
    categories.toString(),
    `Total: ${usd(estimate.totalMonthlyUsd)} a month${bound}${estimate.complete ? '' : ' (incomplete: see below)'}`,
    ...(estimate.missingPrices.length > 0
      ? ['No price for (give one with --prices FILE, or read them with --price-list):', ...estimate.missingPrices.map((m) => `  - ${m.region} ${m.tier} ${m.resourceType}`)]
      : []),
    ...(estimate.unsized.length > 0 ? ['Not sized (add them to --sizes or --size PATH=GB):', ...estimate.unsized.map((p) => `  - ${p}`)] : []),
    'Assumptions:',
    ...estimate.assumptions.map((a) => `  - ${a}`),
    'Prices:',
    ...estimate.prices.map((s) => `  - ${s.region}, read ${s.read}: ${s.from}`),
  ].join('\n');
}

/** `--size Persistent/ProviderTable=40` entries, merged over the sizes file. */
function sizesInput(options: CostOptions): unknown {
  const file = options.sizes ? (JSON.parse(readFileSync(options.sizes, 'utf8')) as { resources?: Record<string, unknown> }) : {};
  const resources: Record<string, unknown> = { ...(file.resources ?? {}) };
  const problems = [];
  for (const entry of options.size ?? []) {
    const match = /^(.+)=(\d+(?:\.\d+)?)$/.exec(entry);
    if (!match) problems.push({ path: '--size', value: entry, message: 'expected PATH=GB, e.g. Persistent/ProviderTable=40' });
    else resources[match[1]] = { ...(resources[match[1]] as object | undefined), gb: Number(match[2]) };
  }
  if (problems.length > 0) throw new RetentionConfigError(problems, 'command line');
  return { ...file, resources };
}

async function priceBook(options: CostOptions, regions: readonly string[], deps: CostCommandDeps): Promise<PriceBook> {
  let book = DEFAULT_PRICE_BOOK;
  if (options.priceList) {
    const pricing = (deps.pricing ?? ((s) => new PricingClient({ region: 'us-east-1', ...(s.profile ? { profile: s.profile } : {}) })))({ profile: options.profile });
    for (const region of regions) {
      const read = await readPriceList(pricing, region);
      if (read.unmapped.length > 0) process.stderr.write(`Price list ${region}: storage usage types not priced here: ${read.unmapped.join(', ')}\n`);
      book = mergePriceBooks(book, read.book);
    }
  }
  if (options.prices) book = mergePriceBooks(book, readPriceFile(options.prices));
  if (options.savePrices) {
    const files = regions.map((r) => priceFileOf(book, r) as { regions: Record<string, unknown>; read?: string; source?: string });
    writeFileSync(options.savePrices, `${JSON.stringify({ currency: 'USD', read: files[0]?.read, source: files.map((f) => f.source).join('; '), regions: Object.assign({}, ...files.map((f) => f.regions)) }, null, 2)}\n`);
  }
  return book;
}

export function costCommand(deps: CostCommandDeps = {}): Command {
  const command = new Command('cost').description(
    'Monthly backup storage cost per category: from the recovery points the vaults hold now, or with --plan from the synthesized app and the resources\' sizes alone',
  );
  return withJson(withAws(command, 'the Region of the vaults'))
    .option('--plan', 'estimate from the plan (a synthesized app, --assembly) and the resources\' sizes (--sizes, --size), before anything is stored; no AWS call')
    .option('-a, --assembly <dir>', 'with --plan: the cloud assembly (cdk synth output folder)', 'cdk.out')
    .option('--sizes <file>', 'with --plan: JSON {"daily_change_percent": 1, "resources": {"<construct path>": {"gb": 40, "daily_change_percent": 2}}}')
    .option('--size <path=gb...>', 'with --plan: a resource\'s size in GB, by its construct path in the protection report')
    .option('--app <dir>', 'without --plan: folder of the CDK app whose cdk.json holds the retention policy (its categories and vault names)', '.')
    .option('--environment <name>', 'the entry of backup_environments to use (default: the context\'s environment)')
    .option('--vault <name...>', 'without --plan: the vaults to read (default: the policy\'s vaults in this account)')
    .option('--prices <file>', 'a price file (USD per GB-month per Region, tier and type) over the built-in figures')
    .option('--price-list', 'read the prices from AWS\'s Price List Query API first (needs credentials allowed pricing:GetProducts)')
    .option('--save-prices <file>', 'write the prices used, per Region, as a price file')
    .action(async (options: CostOptions) => {
      let estimate: CostEstimate;
      if (options.plan) {
        const assembly = resolve(options.assembly);
        const report = protectionReport(assembly);
        const regionByStack = new Map(assemblyTemplates(assembly).map((t) => [t.stack, t.region]));
        const stackRegions = [...new Set(report.rows.filter((r) => r.status === 'protected').map((r) => regionByStack.get(r.stack) ?? options.region))];
        if (stackRegions.some((r) => r === undefined)) throw new Error('the app\'s stacks name no Region (environment-agnostic): pass --region <region> for its vaults');
        if (stackRegions.length > 1) throw new Error(`the app's protected resources are in several Regions (${stackRegions.join(', ')}): estimate one stage's assembly at a time`);
        const region = options.region ?? stackRegions[0]!;
        const sizes = parseSizes(sizesInput(options), report.rows, options.sizes ?? '(--size)');
        const destinations = report.rows.flatMap((r) => [r.copyDestination, r.airGappedCopy]).filter((a): a is string => a !== undefined).map((arn) => arn.split(':')[3]);
        estimate = planEstimate({ rows: report.rows, sizes, prices: await priceBook(options, [...new Set([region, ...destinations])], deps), region });
      } else {
        const context = cdkJsonContext(resolve(options.app));
        const policy = parseRetentionPolicy(options.environment ? { ...context, environment: options.environment } : context);
        const settings = await awsSettings(options);
        const vaults = options.vault ?? [...new Set([policy.vaultNames.general, policy.vaultNames.sensitive, ...(policy.localAirGappedVaultName ? [policy.localAirGappedVaultName] : [])])];
        estimate = await liveEstimate((deps.backup ?? ((s) => new BackupClient(s)))(settings), {
          vaults,
          categories: Object.keys(policy.categories),
          region: settings.region,
          prices: await priceBook(options, [settings.region], deps),
        });
      }
      output(options, estimate, () => `${formatCost(estimate)}\n`);
      if (!estimate.complete) exitWith(EXIT_CODES.problem);
    });
}
