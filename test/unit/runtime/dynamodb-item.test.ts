import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { writeChunk } from '../../../packages/retention-kit-cli/src/runtime/dynamodb/batch-writer';
import { canonicalItem, type Item, itemSize, keyFromCanonical, writeUnits } from '../../../packages/retention-kit-cli/src/runtime/dynamodb/item';
import { decodeKey, encodeKey } from '../../../packages/retention-kit-cli/src/runtime/dynamodb/table-scan';
import { SumDigest } from '../../../packages/retention-kit-cli/src/runtime/digest';

describe('keyFromCanonical', () => {
  it('gives back a key of each key type from its canonical text, which is then the same text', () => {
    const keys: Item[] = [
      { pk: { S: 'Zoë "quoted" \\ 美咲' }, sk: { N: '-1.5e+10' } },
      { id: { B: Buffer.from([0, 255, 10, 13]) } },
      { pk: { S: '' }, sk: { B: new Uint8Array() } },
    ];
    for (const key of keys) {
      const back = keyFromCanonical(canonicalItem(key));
      expect(canonicalItem(back)).toBe(canonicalItem(key));
      expect(Object.keys(back).sort()).toEqual(Object.keys(key).sort());
    }
    expect(keyFromCanonical(canonicalItem({ id: { B: Buffer.from([1, 2]) } })).id.B).toEqual(Buffer.from([1, 2]));
  });

  it('refuses a text whose attribute is not of a key type, naming it', () => {
    expect(() => keyFromCanonical('{"pk":{"BOOL":true}}')).toThrow('a key attribute must be S, N or B: pk is {"BOOL":true}');
  });
});

describe('canonicalItem', () => {
  it('is the same whatever the order of attributes, map keys and set members', () => {
    const a = { pk: { S: 'a' }, tags: { SS: ['x', 'y'] }, m: { M: { b: { N: '1' }, a: { BS: [Buffer.from([2]), Buffer.from([1])] } } } };
    const b = { m: { M: { a: { BS: [Buffer.from([1]), Buffer.from([2])] }, b: { N: '1' } } }, tags: { SS: ['y', 'x'] }, pk: { S: 'a' } };
    expect(canonicalItem(a)).toBe(canonicalItem(b));
  });

  it('tells apart what DynamoDB tells apart: list order, types and values', () => {
    expect(canonicalItem({ l: { L: [{ S: 'a' }, { S: 'b' }] } })).not.toBe(canonicalItem({ l: { L: [{ S: 'b' }, { S: 'a' }] } }));
    expect(canonicalItem({ v: { S: '1' } })).not.toBe(canonicalItem({ v: { N: '1' } }));
    expect(canonicalItem({ v: { BOOL: false } })).not.toBe(canonicalItem({ v: { NULL: true } }));
  });

  it('makes a checksum that a lost or a duplicated item changes', () => {
    const items = [{ k: { S: '1' } }, { k: { S: '2' } }, { k: { S: '3' } }].map(canonicalItem);
    const whole = SumDigest.of(items).hex;
    expect(SumDigest.of([...items].reverse()).hex).toBe(whole);
    expect(SumDigest.of(items.slice(1)).hex).not.toBe(whole);
    expect(SumDigest.of([...items, items[0]]).hex).not.toBe(whole);
  });
});

describe('itemSize and writeUnits (DynamoDB item size rules)', () => {
  it('counts names and values as documented', () => {
    // "name" 4 + "Zoë" 4 bytes UTF-8; "n" 1 + 5 significant digits -> 3 + 1; "b" 1 + 3 bytes; "t" 1 + 1.
    expect(itemSize({ name: { S: 'Zoë' }, n: { N: '12345' }, b: { B: Buffer.from([1, 2, 3]) }, t: { BOOL: true } })).toBe(8 + 5 + 4 + 2);
    // A list: 3 + (1 + 1) + (1 + 2); a map: 3 + (1 + 1 + 1).
    expect(itemSize({ l: { L: [{ S: 'a' }, { S: 'bc' }] } })).toBe(1 + 3 + 2 + 3);
    expect(itemSize({ m: { M: { k: { S: 'v' } } } })).toBe(1 + 3 + 3);
  });

  it('charges one write unit per started kilobyte', () => {
    expect(writeUnits({ k: { S: 'x' } })).toBe(1);
    expect(writeUnits({ k: { S: 'x'.repeat(1023) } })).toBe(1);
    expect(writeUnits({ k: { S: 'x'.repeat(1024) } })).toBe(2);
    expect(writeUnits({ k: { S: 'x'.repeat(400 * 1024 - 1) } })).toBe(400);
  });
});

describe('checkpoint keys', () => {
  it('round-trip string, number and binary key attributes through JSON', () => {
    const key = { pk: { S: 'a' }, sk: { N: '42' }, bin: { B: new Uint8Array([0, 255, 7]) } };
    const back = decodeKey(JSON.parse(JSON.stringify(encodeKey(key))) as ReturnType<typeof encodeKey>);
    expect(canonicalItem(back)).toBe(canonicalItem(key));
  });
});

describe('writeChunk (mocked DynamoDB client: unprocessed items without a local server)', () => {
  const requests = Array.from({ length: 4 }, (_, i) => ({ PutRequest: { Item: { k: { S: String(i) } } } }));

  it('sends unprocessed items again until none is left', async () => {
    const mock = mockClient(DynamoDBClient);
    mock
      .on(BatchWriteItemCommand)
      .resolvesOnce({ UnprocessedItems: { t: requests.slice(1) } })
      .resolvesOnce({ UnprocessedItems: { t: requests.slice(3) } })
      .resolves({});
    const counters = { batchWriteCalls: 0, unprocessedRetries: 0, itemsWritten: 0 };
    await writeChunk(requests, { client: new DynamoDBClient({}), table: 't', counters, sleep: async () => undefined });
    const sent = mock.commandCalls(BatchWriteItemCommand).map((call) => call.args[0].input.RequestItems!.t.length);
    expect(sent).toEqual([4, 3, 1]);
    expect(counters).toEqual({ batchWriteCalls: 3, unprocessedRetries: 2, itemsWritten: 4 });
    mock.restore();
  });

  it('gives up, saying why and what to do, after rounds without progress', async () => {
    const mock = mockClient(DynamoDBClient);
    mock.on(BatchWriteItemCommand).resolves({ UnprocessedItems: { t: requests } });
    await expect(writeChunk(requests, { client: new DynamoDBClient({}), table: 't', maxRoundsWithoutProgress: 3, sleep: async () => undefined })).rejects.toThrow(
      '4 item(s) stayed unprocessed in t after 3 retries without progress',
    );
    expect(mock.commandCalls(BatchWriteItemCommand)).toHaveLength(3);
    mock.restore();
  });
});
