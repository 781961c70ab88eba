/**
 * Pure helpers over DynamoDB items in their wire form (`AttributeValue` maps): a canonical text
 * for checksums, and the item's size as DynamoDB counts it for capacity.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;

/**
 * The item as text that is the same for the same data however it was read: map keys sorted, set
 * members sorted (sets have no order), binary as base64. Two tables hold the same item exactly
 * when their canonical texts are equal.
 */
export function canonicalItem(item: Item): string {
  return canonicalMap(item);
}

function canonicalMap(map: Record<string, AttributeValue>): string {
  return `{${Object.keys(map)
    .sort()
    .map((name) => `${JSON.stringify(name)}:${canonicalValue(map[name])}`)
    .join(',')}}`;
}

function canonicalValue(value: AttributeValue): string {
  if (value.S !== undefined) return `{"S":${JSON.stringify(value.S)}}`;
  if (value.N !== undefined) return `{"N":${JSON.stringify(value.N)}}`;
  if (value.B !== undefined) return `{"B":"${base64(value.B)}"}`;
  if (value.BOOL !== undefined) return `{"BOOL":${value.BOOL}}`;
  if (value.NULL !== undefined) return '{"NULL":true}';
  if (value.SS !== undefined) return `{"SS":${JSON.stringify([...value.SS].sort())}}`;
  if (value.NS !== undefined) return `{"NS":${JSON.stringify([...value.NS].sort())}}`;
  if (value.BS !== undefined) return `{"BS":${JSON.stringify(value.BS.map(base64).sort())}}`;
  if (value.L !== undefined) return `{"L":[${value.L.map(canonicalValue).join(',')}]}`;
  if (value.M !== undefined) return `{"M":${canonicalMap(value.M)}}`;
  throw new Error(`unknown attribute value type: ${JSON.stringify(Object.keys(value))}`);
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/**
 * The item's size in bytes by DynamoDB's documented rules: attribute names and strings in UTF-8
 * bytes, binary in bytes, a number about one byte per two significant digits plus one, null and
 * Boolean one byte, and a list or map 3 bytes plus 1 per element.
 */
export function itemSize(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, member) => sum + Buffer.byteLength(member), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, member) => sum + numberSize(member), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, member) => sum + member.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + 1 + valueSize(element), 0);
  if (value.M !== undefined) {
    return 3 + Object.entries(value.M).reduce((sum, [name, element]) => sum + 1 + Buffer.byteLength(name) + valueSize(element), 0);
  }
  return 0;
}

function numberSize(text: string): number {
  const digits = text.replace(/^[-+]/, '').replace(/[eE].*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/** Write capacity units one write of the item consumes: one per started kilobyte. */
export function writeUnits(item: Item): number {
  return Math.max(1, Math.ceil(itemSize(item) / 1024));
}

/**
 * The key back from its canonical text (`canonicalItem` of a key): key attributes are S, N or B, and
 * the text of each is JSON, B as base64.
 */
export function keyFromCanonical(text: string): Item {
  const key = JSON.parse(text) as Record<string, { S?: string; N?: string; B?: string }>;
  const item: Item = {};
  for (const [name, value] of Object.entries(key)) {
    if (value.S !== undefined) item[name] = { S: value.S };
    else if (value.N !== undefined) item[name] = { N: value.N };
    else if (value.B !== undefined) item[name] = { B: Buffer.from(value.B, 'base64') };
    else throw new Error(`a key attribute must be S, N or B: ${name} is ${JSON.stringify(value)}`);
  }
  return item;
}

/** The item's primary key, as DynamoDB needs it for a delete or a get. */
export function keyOf(item: Item, keyNames: readonly string[]): Item {
  const key: Item = {};
  for (const name of keyNames) key[name] = item[name];
  return key;
}
