/**
 * The ceiling of a bench: the fastest plain loop of its dominant calls, with the same data, through
 * the same proxy, in its own process, at one concurrency (the bench tries several and keeps the best).
 * Nothing the tools do (checkpoints, verification, rate limits) is in it. Prints one JSON line.
 *   tsx bench/tools/ceiling-tool.ts dynamodb-write <endpoint> <source> <target> <concurrency> [every]
 *     BatchWriteItem of the source's items (or every <every>th), read before the clock starts, 25 a call
 *   tsx bench/tools/ceiling-tool.ts dynamodb-copy <endpoint> <source> <target> <concurrency>
 *     a parallel Scan in <concurrency> segments, each page put with BatchWriteItem (all its batches at once) before the next is read
 *   tsx bench/tools/ceiling-tool.ts dynamodb-scan <endpoint> <source> <concurrency>
 *     a parallel Scan of the source in <concurrency> segments
 *   tsx bench/tools/ceiling-tool.ts s3-copy <endpoint> <source> <target> <concurrency>
 *     CopyObject of every key of the source, listed before the clock starts
 *   tsx bench/tools/ceiling-tool.ts cognito-list <endpoint> <pool> <concurrency>
 *     ListUsers pages in 16 sub-prefix lists and ListUsersInGroup pages of every group, <concurrency> lists at once
 *   tsx bench/tools/ceiling-tool.ts cognito-restore <endpoint> <source pool> <target pool> <concurrency>
 *     the restore's writes of the source pool's contents, read before the clock starts: CreateGroup of
 *     every group, AdminCreateUser of every user with its writable attributes and its old sub (then
 *     AdminDisableUser if it was disabled), then AdminAddUserToGroup of every membership
 */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  ListGroupsCommand,
  paginateListGroups,
  paginateListUsers,
  paginateListUsersInGroup,
} from '@aws-sdk/client-cognito-identity-provider';
import { type AttributeValue, BatchWriteItemCommand, DynamoDBClient, type WriteRequest, paginateScan } from '@aws-sdk/client-dynamodb';
import { CopyObjectCommand, S3Client, paginateListObjectsV2 } from '@aws-sdk/client-s3';

const [mode, endpoint, ...args] = process.argv.slice(2);
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const settings = { endpoint, region: 'us-east-1', credentials, maxAttempts: 10, retryMode: 'adaptive' as const };

/** Runs `work` over `items` with `concurrency` workers taking the next item each. */
async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

async function scanAll(client: DynamoDBClient, table: string, segments: number): Promise<Record<string, AttributeValue>[][]> {
  const pages: Record<string, AttributeValue>[][] = [];
  await Promise.all(Array.from({ length: segments }, async (_, segment) => {
    for await (const page of paginateScan({ client }, { TableName: table, Segment: segment, TotalSegments: segments })) pages.push(page.Items ?? []);
  }));
  return pages;
}

async function run(): Promise<{ records: number; ms: number }> {
  if (mode === 'dynamodb-write') {
    const [source, target, concurrency, every = '1'] = args;
    const client = new DynamoDBClient(settings);
    const items = (await scanAll(client, source, 8)).flat().filter((_, i) => i % Number(every) === 0);
    const batches: WriteRequest[][] = [];
    for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })));
    const started = performance.now();
    await pool(batches, Number(concurrency), async (batch) => {
      let pending: WriteRequest[] | undefined = batch;
      while (pending && pending.length > 0) pending = (await client.send(new BatchWriteItemCommand({ RequestItems: { [target]: pending } }))).UnprocessedItems?.[target];
    });
    return { records: items.length, ms: performance.now() - started };
  }
  if (mode === 'dynamodb-copy') {
    const [source, target, concurrency] = args;
    const client = new DynamoDBClient(settings);
    const started = performance.now();
    let records = 0;
    await Promise.all(Array.from({ length: Number(concurrency) }, async (_, segment) => {
      for await (const page of paginateScan({ client }, { TableName: source, Segment: segment, TotalSegments: Number(concurrency) })) {
        const items = page.Items ?? [];
        records += items.length;
        const batches: WriteRequest[][] = [];
        for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })));
        await Promise.all(batches.map(async (batch) => {
          let pending: WriteRequest[] | undefined = batch;
          while (pending && pending.length > 0) pending = (await client.send(new BatchWriteItemCommand({ RequestItems: { [target]: pending } }))).UnprocessedItems?.[target];
        }));
      }
    }));
    return { records, ms: performance.now() - started };
  }
  if (mode === 'dynamodb-scan') {
    const [source, concurrency] = args;
    const client = new DynamoDBClient(settings);
    const started = performance.now();
    const pages = await scanAll(client, source, Number(concurrency));
    return { records: pages.reduce((n, p) => n + p.length, 0), ms: performance.now() - started };
  }
  if (mode === 's3-copy') {
    const [source, target, concurrency] = args;
    const client = new S3Client({ ...settings, forcePathStyle: true });
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2({ client }, { Bucket: source })) for (const object of page.Contents ?? []) keys.push(object.Key!);
    const started = performance.now();
    await pool(keys, Number(concurrency), async (key) => {
      await client.send(new CopyObjectCommand({ Bucket: target, Key: key, CopySource: `${source}/${encodeURIComponent(key).replace(/%2F/g, '/')}` }));
    });
    return { records: keys.length, ms: performance.now() - started };
  }
  if (mode === 'cognito-list') {
    const [userPoolId, concurrency] = args;
    const client = new CognitoIdentityProviderClient(settings);
    const started = performance.now();
    let records = 0;
    // The users in 16 parallel lists by the first hex digit of their sub, then every group's members: listings, nothing else.
    const lists: (() => AsyncIterable<{ Users?: unknown[] }>)[] = [...'0123456789abcdef'].map((digit) => () => paginateListUsers({ client }, { UserPoolId: userPoolId, Filter: `sub ^= "${digit}"` }));
    const groups = (await client.send(new ListGroupsCommand({ UserPoolId: userPoolId, Limit: 60 }))).Groups ?? [];
    for (const group of groups) lists.push(() => paginateListUsersInGroup({ client }, { UserPoolId: userPoolId, GroupName: group.GroupName! }));
    await pool(lists, Number(concurrency), async (list) => {
      for await (const page of list()) records += page.Users?.length ?? 0;
    });
    return { records, ms: performance.now() - started };
  }
  if (mode === 'cognito-restore') {
    const [source, target, concurrency] = args;
    const client = new CognitoIdentityProviderClient(settings);
    const groups: { GroupName: string; Description?: string; Precedence?: number }[] = [];
    for await (const page of paginateListGroups({ client }, { UserPoolId: source })) {
      for (const g of page.Groups ?? []) groups.push({ GroupName: g.GroupName!, Description: g.Description, Precedence: g.Precedence });
    }
    const users: { Username: string; UserAttributes: { Name: string; Value: string }[]; enabled: boolean }[] = [];
    for await (const page of paginateListUsers({ client }, { UserPoolId: source })) {
      for (const user of page.Users ?? []) {
        // The attributes a restore writes: all but the read-only ones, plus the old sub in custom:source_sub.
        const attributes = (user.Attributes ?? []).filter((a) => !['sub', 'identities', 'updated_at'].includes(a.Name!)).map((a) => ({ Name: a.Name!, Value: a.Value ?? '' }));
        const sub = user.Attributes?.find((a) => a.Name === 'sub')?.Value;
        if (sub) attributes.push({ Name: 'custom:source_sub', Value: sub });
        users.push({ Username: user.Username!, UserAttributes: attributes, enabled: user.Enabled !== false });
      }
    }
    const memberships: { Username: string; GroupName: string }[] = [];
    for (const { GroupName } of groups) {
      for await (const page of paginateListUsersInGroup({ client }, { UserPoolId: source, GroupName })) for (const user of page.Users ?? []) memberships.push({ Username: user.Username!, GroupName });
    }
    const started = performance.now();
    let calls = 0;
    const send = async (sent: Promise<unknown>): Promise<void> => {
      await sent;
      calls += 1;
    };
    await pool(groups, Number(concurrency), (group) => send(client.send(new CreateGroupCommand({ UserPoolId: target, ...group }))));
    await pool(users, Number(concurrency), async ({ Username, UserAttributes, enabled }) => {
      await send(client.send(new AdminCreateUserCommand({ UserPoolId: target, Username, MessageAction: 'SUPPRESS', UserAttributes })));
      if (!enabled) await send(client.send(new AdminDisableUserCommand({ UserPoolId: target, Username })));
    });
    await pool(memberships, Number(concurrency), (m) => send(client.send(new AdminAddUserToGroupCommand({ UserPoolId: target, ...m }))));
    return { records: calls, ms: performance.now() - started };
  }
  throw new Error(`unknown ceiling mode ${mode}`);
}

run()
  .then(({ records, ms }) => process.stdout.write(`${JSON.stringify({ tool: mode, ms: Math.round(ms), users: records, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`))
  .catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
