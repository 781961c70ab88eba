import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { showBreakGlass } from '../../packages/retention-kit-cli/src/cli/commands/break-glass';
import { generatedDocuments } from '../../packages/retention-kit-cli/src/docs/generated';
import { referenceDocumentSources } from '../../scripts/generate-docs';
import { breakGlassStatements, sensitiveVaultDenyStatements } from 'retention-kit/policy';

const ROOT = join(__dirname, '../..');

describe('generated documents', () => {
  it.each(Object.entries(generatedDocuments(referenceDocumentSources())))('%s is what the code generates (run `npm run docs` after changing a policy)', (file, content) => {
    expect(readFileSync(join(ROOT, file), 'utf8')).toBe(content);
  });

  it('the break-glass runbook carries the exact deployed DENY statements and the opening statements', () => {
    const runbook = generatedDocuments(referenceDocumentSources())['docs/runbooks/break-glass.md'];
    expect(runbook).toContain(JSON.stringify(sensitiveVaultDenyStatements({ copyRoleArns: [] })[0], null, 2).split('\n').map((l) => `    ${l}`).join('\n'));
    const grant = { principalArn: 'arn:aws:iam::222222222222:role/DisasterRecovery', notBefore: '2026-01-15T08:00:00Z', notAfter: '2026-01-15T16:00:00Z' };
    expect(runbook).toContain(JSON.stringify(breakGlassStatements('vault', sensitiveVaultDenyStatements({ copyRoleArns: [] })[0], grant), null, 2));
    expect(runbook).toContain('--region us-east-1');
    expect(runbook).toContain('--key-id alias/compactconnect-ssn-backup-key --region us-west-2');
  });

  it('`break-glass show` prints the same statements as the runbook', () => {
    const grant = { principalArn: 'arn:aws:iam::222222222222:role/DisasterRecovery', notBefore: '2026-01-15T08:00:00Z', notAfter: '2026-01-15T16:00:00Z' };
    const shown = showBreakGlass(grant, 'us-west-2');
    const runbook = generatedDocuments(referenceDocumentSources())['docs/runbooks/break-glass.md'];
    for (const block of shown.split(/\n(?=Sensitive key policy)/)) {
      const statementsJson = block.slice(block.indexOf('['));
      expect(runbook).toContain(statementsJson.trim());
    }
  });
});
