/**
 * Where long-running jobs write their output and checkpoints: a local folder or an S3 prefix,
 * behind one small interface so the same job code runs in the CLI and in Lambda.
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { clientSettings } from './clients';

export interface ObjectStore {
  /** Where the store points, for messages: a folder path or `s3://bucket/prefix`. */
  readonly location: string;
  put(key: string, body: Buffer, contentType?: string): Promise<void>;
  /** The object's bytes, or undefined when there is none. */
  get(key: string): Promise<Buffer | undefined>;
  delete(key: string): Promise<void>;
  /** Every key under `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
}

/** A folder. Writes go to a temporary file first, so a killed run never leaves half a file. */
export class FolderStore implements ObjectStore {
  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  async put(key: string, body: Buffer): Promise<void> {
    const path = join(this.root, key);
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.partial`;
    await writeFile(temporary, body);
    await rename(temporary, path);
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(join(this.root, key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(join(this.root, key), { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(join(this.root, prefix), { recursive: true, withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return entries
      .filter((entry) => entry.isFile() && !entry.name.endsWith('.partial'))
      .map((entry) => relative(this.root, join(entry.parentPath, entry.name)).split(sep).join('/'))
      .sort();
  }
}

/** An S3 bucket and prefix. Objects are encrypted by the bucket's default encryption. */
export class S3Store implements ObjectStore {
  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    readonly prefix = '',
  ) {}

  get location(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  private key(key: string): string {
    return this.prefix ? `${this.prefix.replace(/\/+$/, '')}/${key}` : key;
  }

  async put(key: string, body: Buffer, contentType = 'application/octet-stream'): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(key), Body: body, ContentType: contentType }));
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return Buffer.from(await response.Body!.transformToByteArray());
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const strip = this.prefix ? this.prefix.replace(/\/+$/, '').length + 1 : 0;
    for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: this.key(prefix) })) {
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key.slice(strip));
    }
    return keys.sort();
  }
}

/** A store for `s3://bucket/prefix` or a folder path. */
export function storeFor(destination: string, s3Client?: S3Client): ObjectStore {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(destination);
  if (!match) return new FolderStore(destination);
  return new S3Store(s3Client ?? new S3Client(clientSettings()), match[1], match[2]);
}
