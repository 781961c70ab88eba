/** Writes the generated documents (`npm run docs`) from the reference apps' configuration. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cdkJsonContext, generatedDocuments } from 'retention-kit-cli';
import { RECOVERY_ROLE_NAME, SSN_TABLE_NAME } from '../apps/reference/names';

const root = join(__dirname, '..');

/** The sources of the repository's documents: the reference app's cdk.json and the backup account's example context. */
export const referenceDocumentSources = () => ({
  environmentContext: cdkJsonContext(join(root, 'apps/reference')),
  backupAccountContext: JSON.parse(readFileSync(join(root, 'apps/backup-account/cdk.context.example.json'), 'utf8')) as Record<string, unknown>,
  sensitiveTableName: SSN_TABLE_NAME,
  recoveryRoleName: RECOVERY_ROLE_NAME,
});

if (require.main === module) {
  for (const [file, content] of Object.entries(generatedDocuments(referenceDocumentSources()))) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), content);
    process.stdout.write(`wrote ${file}\n`);
  }
}
