/**
 * Backup storage prices, per Region, storage tier and AWS Backup resource type, in USD per GB-month.
 * Three sources, later ones winning: the built-in defaults (below, each figure with where it was read),
 * a table read from AWS's Price List Query API (`retention cost prices`), and a user's price file.
 */
import { readFileSync } from 'node:fs';
import { type ConfigProblem, RetentionConfigError, suggestion } from 'retention-kit/policy';
import { z } from 'zod';

/** Where a recovery point's bytes are billed. */
export const PRICE_TIERS = ['warm', 'cold', 'low-cost warm', 'archive', 'air-gapped'] as const;
export type PriceTier = (typeof PRICE_TIERS)[number];

/** AWS Backup's resource types (`ResourceType` in its API), the keys of every price row. */
export const PRICED_RESOURCE_TYPES = [
  'Aurora', 'AuroraDSQL', 'DocumentDB', 'DynamoDB', 'EBS', 'EC2', 'EFS', 'EKS', 'FSx', 'Neptune', 'RDS', 'Redshift', 'S3', 'Timestream',
] as const;

export interface RegionPrices {
  /** USD per GB-month, by tier, then by AWS Backup resource type. */
  readonly storage: Partial<Record<PriceTier, Partial<Record<string, number>>>>;
  /** USD per GB copied to another Region. */
  readonly crossRegionTransferPerGb?: number;
}

/** Where a table's figures came from, and the day they were read. */
export interface PriceSource {
  readonly region: string;
  readonly read: string;
  readonly from: string;
}

export interface PriceBook {
  readonly currency: 'USD';
  readonly regions: Readonly<Record<string, RegionPrices>>;
  readonly sources: readonly PriceSource[];
}

/**
 * The built-in figures: US East (N. Virginia) only, read 2026-12-02. AWS's pricing page renders its
 * prices in the browser, so these come from the page's figures as quoted by the sources named per
 * row; figures no source gave (DynamoDB cold storage, the low-cost warm and air-gapped tiers, other
 * Regions) are left out, and an estimate that needs them says so. Refresh them from the Price List
 * API with `retention cost prices --region <region> --out prices.json`.
 */
export const DEFAULT_PRICE_SOURCES = {
  awsPricingPage: 'https://aws.amazon.com/backup/pricing/',
  efsAndDynamoDbWarm: 'https://www.factualminds.com/blog/aws-backup-pricing-vaults-cross-region-restores/ (us-east-1, June 2026)',
  warmAndColdGeneral: 'https://cloudburn.io/blog/aws-backup-pricing (us-east-1, February 2026)',
  dynamoDbPerBackup: 'https://finops.com.py/services/dynamodb/backups ($0.10 per GB-month for each backup)',
  rdsSnapshot: 'https://druva.com/blog/4-things-you-should-know-about-your-aws-backup-bill ($0.095 per GB beyond the free allowance)',
  read: '2026-12-02',
} as const;

export const DEFAULT_PRICE_BOOK: PriceBook = {
  currency: 'USD',
  regions: {
    'us-east-1': {
      storage: {
        warm: { EFS: 0.05, DynamoDB: 0.1, S3: 0.05, EBS: 0.05, EC2: 0.05, RDS: 0.095 },
        cold: { EFS: 0.01 },
      },
      crossRegionTransferPerGb: 0.02,
    },
  },
  sources: [
    {
      region: 'us-east-1',
      read: DEFAULT_PRICE_SOURCES.read,
      from: `AWS Backup's published prices (${DEFAULT_PRICE_SOURCES.awsPricingPage}) as quoted by ${DEFAULT_PRICE_SOURCES.efsAndDynamoDbWarm}; ${DEFAULT_PRICE_SOURCES.warmAndColdGeneral}; ${DEFAULT_PRICE_SOURCES.dynamoDbPerBackup}; ${DEFAULT_PRICE_SOURCES.rdsSnapshot}`,
    },
  ],
};

/** A tier's price for a type in a Region, or undefined when no source gave one. */
export function priceFor(book: PriceBook, region: string, tier: PriceTier, resourceType: string): number | undefined {
  return book.regions[region]?.storage[tier]?.[resourceType];
}

/** `over` wins, figure by figure; sources of both are kept. */
export function mergePriceBooks(base: PriceBook, over: PriceBook): PriceBook {
  const regions: Record<string, RegionPrices> = { ...base.regions };
  for (const [region, prices] of Object.entries(over.regions)) {
    const current = regions[region] ?? { storage: {} };
    const storage: Partial<Record<PriceTier, Partial<Record<string, number>>>> = { ...current.storage };
    for (const tier of PRICE_TIERS) if (prices.storage[tier]) storage[tier] = { ...current.storage[tier], ...prices.storage[tier] };
    regions[region] = { storage, crossRegionTransferPerGb: prices.crossRegionTransferPerGb ?? current.crossRegionTransferPerGb };
  }
  return { currency: 'USD', regions, sources: [...base.sources, ...over.sources] };
}

const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const price = z.number().nonnegative();
const regionSchema = z.strictObject({
  storage: z.partialRecord(z.enum(PRICE_TIERS), z.record(z.string(), price)).default({}),
  cross_region_transfer_per_gb: price.optional(),
});
const fileSchema = z.strictObject({
  currency: z.literal('USD').default('USD'),
  read: z.iso.date().optional(),
  source: z.string().optional(),
  regions: z.record(z.string(), regionSchema),
});

/** The keys allowed at a depth of the price file: the file, a Region, a Region's storage. */
function allowedKeys(depth: number): readonly string[] {
  return depth === 0 ? ['currency', 'read', 'source', 'regions'] : depth === 2 ? ['storage', 'cross_region_transfer_per_gb'] : PRICE_TIERS;
}

/**
 * A user's price file:
 * `{ "read": "2026-12-01", "source": "...", "regions": { "us-west-2": { "storage": { "warm": { "DynamoDB": 0.1 } }, "cross_region_transfer_per_gb": 0.02 } } }`.
 * Every problem is named at once (path, value, what is allowed).
 */
export function parsePriceFile(raw: unknown, name: string): PriceBook {
  const problems: ConfigProblem[] = [];
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String).join('.') || '(file)';
      const value = issue.path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k as string] : undefined), raw);
      const allowed = issue.code === 'unrecognized_keys' ? `; allowed: ${allowedKeys(issue.path.length).join(', ')}` : '';
      problems.push({ path, value: issue.code === 'unrecognized_keys' ? undefined : value, message: `${issue.message}${allowed}` });
    }
    throw new RetentionConfigError(problems, `price file ${name}`);
  }
  const regions: Record<string, RegionPrices> = {};
  for (const [region, prices] of Object.entries(parsed.data.regions)) {
    if (!REGION.test(region)) problems.push({ path: `regions.${region}`, message: 'not an AWS Region code: use one like us-east-1' });
    for (const [tier, byType] of Object.entries(prices.storage)) {
      for (const type of Object.keys(byType ?? {})) {
        if (!(PRICED_RESOURCE_TYPES as readonly string[]).includes(type)) {
          problems.push({ path: `regions.${region}.storage.${tier}.${type}`, message: `not an AWS Backup resource type${suggestion(type, PRICED_RESOURCE_TYPES)}: use one of ${PRICED_RESOURCE_TYPES.join(', ')}` });
        }
      }
    }
    regions[region] = { storage: prices.storage, crossRegionTransferPerGb: prices.cross_region_transfer_per_gb };
  }
  if (problems.length > 0) throw new RetentionConfigError(problems, `price file ${name}`);
  const read = parsed.data.read ?? 'not stated';
  return { currency: 'USD', regions, sources: Object.keys(regions).map((region) => ({ region, read, from: parsed.data.source ?? name })) };
}

export function readPriceFile(file: string): PriceBook {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RetentionConfigError([{ path: '(file)', message: `cannot be read as JSON: ${(e as Error).message}` }], `price file ${file}`);
  }
  return parsePriceFile(raw, file);
}

/** The price file form of a book's Region (what `retention cost prices --out` writes). */
export function priceFileOf(book: PriceBook, region: string): Record<string, unknown> {
  const prices = book.regions[region];
  const source = book.sources.find((s) => s.region === region);
  return {
    currency: 'USD',
    read: source?.read,
    source: source?.from,
    regions: { [region]: { storage: prices?.storage ?? {}, ...(prices?.crossRegionTransferPerGb === undefined ? {} : { cross_region_transfer_per_gb: prices.crossRegionTransferPerGb }) } },
  };
}
