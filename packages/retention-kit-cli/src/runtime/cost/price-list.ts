/**
 * Reads backup storage prices for a Region from AWS's published price list, through the Price List
 * Query API (`GetProducts`; its endpoint is in us-east-1 whatever Region is priced). AWS Backup's own
 * storage is in the AWSBackup offer; EBS snapshots and RDS and Aurora backups are billed by their
 * services, in the AmazonEC2 and AmazonRDS offers.
 */
import { type Filter, type PricingClient, paginateGetProducts } from '@aws-sdk/client-pricing';
import { PRICED_RESOURCE_TYPES, type PriceBook, type PriceTier, type RegionPrices } from './prices';

/** One product of a price list, as GetProducts returns it (a JSON string per product). */
interface PriceListProduct {
  readonly product?: { readonly productFamily?: string; readonly attributes?: Record<string, string> };
  readonly terms?: { readonly OnDemand?: Record<string, { readonly priceDimensions?: Record<string, { readonly unit?: string; readonly beginRange?: string; readonly pricePerUnit?: Record<string, string> }> }> };
  readonly publicationDate?: string;
}

interface Query {
  readonly serviceCode: string;
  readonly filters: readonly Filter[];
  /** The tier and type a product's usage type prices, or undefined when it prices something else. */
  readonly map: (usageType: string) => { tier: PriceTier; resourceType: string } | undefined;
}

// "USE1-WarmStorage-ByteHrs-EFS", "ColdStorage-ByteHrs-DynamoDB", "USE2-WarmStorage-ByteHrs-Aurora-LAGV": a Region prefix outside us-east-1.
const BACKUP_STORAGE = /^(?:[A-Z0-9]+-)?(WarmStorage|ColdStorage)-ByteHrs-([A-Za-z0-9]+?)(-LAGV)?$/;

const backupStorage = (usageType: string): { tier: PriceTier; resourceType: string } | undefined => {
  const match = BACKUP_STORAGE.exec(usageType);
  if (!match || !(PRICED_RESOURCE_TYPES as readonly string[]).includes(match[2])) return undefined;
  const [, storage, resourceType, airGapped] = match;
  if (airGapped) return storage === 'WarmStorage' ? { tier: 'air-gapped', resourceType } : undefined;
  return { tier: storage === 'WarmStorage' ? 'warm' : 'cold', resourceType };
};

const endsWith = (usageType: string, suffix: string) => usageType === suffix || usageType.endsWith(`-${suffix}`);

function queries(region: string): Query[] {
  const inRegion: Filter = { Type: 'TERM_MATCH', Field: 'regionCode', Value: region };
  const snapshots: Filter = { Type: 'TERM_MATCH', Field: 'productFamily', Value: 'Storage Snapshot' };
  return [
    { serviceCode: 'AWSBackup', filters: [inRegion], map: backupStorage },
    {
      serviceCode: 'AmazonEC2',
      filters: [inRegion, snapshots],
      map: (u) => (endsWith(u, 'EBS:SnapshotUsage') ? { tier: 'warm', resourceType: 'EBS' } : undefined),
    },
    {
      serviceCode: 'AmazonRDS',
      filters: [inRegion, snapshots],
      map: (u) => (endsWith(u, 'RDS:ChargedBackupUsage') ? { tier: 'warm', resourceType: 'RDS' } : endsWith(u, 'Aurora:BackupUsage') ? { tier: 'warm', resourceType: 'Aurora' } : undefined),
    },
  ];
}

/** The USD price per GB-month of a product's on-demand term: its first paid range. */
function gbMonthPrice(product: PriceListProduct): number | undefined {
  const dimensions = Object.values(product.terms?.OnDemand ?? {}).flatMap((term) => Object.values(term.priceDimensions ?? {}));
  const perGbMonth = dimensions
    .filter((d) => /^GB-?Mo(nth)?$/i.test(d.unit ?? '') && d.pricePerUnit?.USD !== undefined)
    .sort((a, b) => Number(a.beginRange ?? 0) - Number(b.beginRange ?? 0));
  const paid = perGbMonth.find((d) => Number(d.pricePerUnit!.USD) > 0);
  return paid ? Number(paid.pricePerUnit!.USD) : undefined;
}

export interface PriceListRead {
  readonly book: PriceBook;
  /** Storage usage types of the AWSBackup offer that no tier here prices (a tier or type added since). */
  readonly unmapped: readonly string[];
}

export async function readPriceList(pricing: PricingClient, region: string, today = new Date()): Promise<PriceListRead> {
  const storage: Partial<Record<PriceTier, Record<string, number>>> = {};
  const unmapped = new Set<string>();
  const published = new Set<string>();
  for (const query of queries(region)) {
    for await (const page of paginateGetProducts({ client: pricing }, { ServiceCode: query.serviceCode, Filters: [...query.filters], FormatVersion: 'aws_v1' })) {
      for (const raw of page.PriceList ?? []) {
        const product = (typeof raw === 'string' ? JSON.parse(raw) : raw) as PriceListProduct;
        const usageType = product.product?.attributes?.usagetype ?? '';
        const priced = query.map(usageType);
        if (!priced) {
          if (query.serviceCode === 'AWSBackup' && /Storage-ByteHrs/.test(usageType)) unmapped.add(usageType);
          continue;
        }
        const price = gbMonthPrice(product);
        if (price === undefined) continue;
        (storage[priced.tier] ??= {})[priced.resourceType] = price;
        if (product.publicationDate) published.add(product.publicationDate.slice(0, 10));
      }
    }
  }
  // EC2 instances' backups are EBS snapshots (their AMIs'), billed at the snapshot rate.
  if (storage.warm?.EBS !== undefined && storage.warm.EC2 === undefined) storage.warm.EC2 = storage.warm.EBS;
  const prices: RegionPrices = { storage };
  const publication = [...published].sort().at(-1);
  return {
    book: {
      currency: 'USD',
      regions: { [region]: prices },
      sources: [{ region, read: today.toISOString().slice(0, 10), from: `AWS Price List Query API (AWSBackup, AmazonEC2, AmazonRDS)${publication ? `, published ${publication}` : ''}` }],
    },
    unmapped: [...unmapped].sort(),
  };
}
