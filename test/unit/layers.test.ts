/**
 * The layers hold because ESLint refuses the imports that cross them: each case lints one import
 * as if it were written in a file of that layer, with the repository's own configuration.
 */
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../..');
const eslint = new ESLint({ cwd: ROOT });

async function restricted(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport const used = x;\n`, { filePath: join(ROOT, file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer rules', () => {
  it.each([
    ['packages/retention-kit/src/policy/new.ts', "import { Stack as x } from 'aws-cdk-lib';", 'this layer does not use the CDK'],
    ['packages/retention-kit/src/policy/new.ts', "import { S3Client as x } from '@aws-sdk/client-s3';", 'this layer makes no AWS calls'],
    ['packages/retention-kit/src/policy/new.ts', "import { Retention as x } from '../constructs/retention';", 'policy is pure'],
    ['packages/retention-kit/src/constructs/new.ts', "import { BackupInfrastructureStack as x } from '../stacks/backup-infrastructure-stack';", 'stacks compose constructs'],
    ['packages/retention-kit/src/constructs/new.ts', "import { DynamoDBClient as x } from '@aws-sdk/client-dynamodb';", 'this layer makes no AWS calls'],
    ['packages/retention-kit-cli/src/runtime/new.ts', "import { Stack as x } from 'aws-cdk-lib';", 'this layer does not use the CDK'],
    ['packages/retention-kit-cli/src/runtime/new.ts', "import { Retention as x } from 'retention-kit';", 'runtime code uses the pure policy model'],
    ['packages/retention-kit-cli/src/runtime/new.ts', "import { buildProgram as x } from '../cli/main';", 'runtime is shared by the CLI and the handlers'],
    ['packages/retention-kit-cli/src/lambdas/new.ts', "import { buildProgram as x } from '../cli/main';", 'handlers are thin'],
    ['packages/retention-kit-cli/src/cli/commands/new.ts', "import { handler as x } from '../../lambdas/hydrate-table';", 'CLI commands are thin'],
    ['packages/retention-kit-cli/src/docs/new.ts', "import { cdkJsonContext as x } from '../cli/commands/status';", 'documents and reports are built from the policy'],
    ['apps/reference/new.ts', "import { Retention as x } from '../../packages/retention-kit/src/constructs/retention';", 'import the toolkit by its package names'],
    ['bench/new.ts', "import { hydrateTable as x } from '../packages/retention-kit-cli/src/runtime/dynamodb/hydrate-table';", 'import the toolkit by its package names'],
  ])('%s: %s is refused', async (file, source, why) => {
    const messages = await restricted(file, source);
    expect(messages.join('\n')).toContain(why);
  });

  it.each([
    ['packages/retention-kit-cli/src/runtime/new.ts', "import { parseRetentionPolicy as x } from 'retention-kit/policy';"],
    ['packages/retention-kit/src/constructs/new.ts', "import { parseRetentionPolicy as x } from '../policy';"],
    ['apps/reference/new.ts', "import { Retention as x } from 'retention-kit';"],
  ])('%s: %s is allowed', async (file, source) => {
    expect(await restricted(file, source)).toEqual([]);
  });
});
