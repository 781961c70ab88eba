import { hash } from 'node:crypto';

const MODULUS = 1n << 256n;

/**
 * An order-independent checksum of a set of records: the sum, modulo 2^256, of each record's
 * SHA-256. Independent of order and of how the records were split into files or pages, so two
 * copies of the same data agree however they were written; a lost or duplicated record changes
 * it. Its state is one number, so it survives a checkpoint.
 */
export class SumDigest {
  private sum: bigint;
  private records: number;

  constructor(hex = '0', count = 0) {
    this.sum = BigInt(`0x${hex}`) % MODULUS;
    this.records = count;
  }

  add(record: string | Buffer): this {
    return this.addHash(sha256Hex(record));
  }

  /** Adds a record by its SHA-256 (hex), for a caller that needed the hash anyway. */
  addHash(sha256: string): this {
    this.sum = (this.sum + BigInt(`0x${sha256}`)) % MODULUS;
    this.records += 1;
    return this;
  }

  merge(other: SumDigest): this {
    this.sum = (this.sum + other.sum) % MODULUS;
    this.records += other.records;
    return this;
  }

  get count(): number {
    return this.records;
  }

  get hex(): string {
    return this.sum.toString(16).padStart(64, '0');
  }

  static of(records: Iterable<string | Buffer>): SumDigest {
    const digest = new SumDigest();
    for (const record of records) digest.add(record);
    return digest;
  }
}

/**
 * The first `bytes` bytes of the SHA-256, in hex, as a string of its own: a slice of the full hex
 * would keep the full hex alive, which matters to a caller that holds many.
 */
export function sha256Prefix(data: Buffer | string, bytes: number): string {
  return hash('sha256', data, 'buffer').toString('hex', 0, bytes);
}

export function sha256Hex(data: Buffer | string): string {
  // The one-shot hash: no Hash object per record, which matters at a million records.
  return hash('sha256', data, 'hex');
}
