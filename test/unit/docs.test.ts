import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { breakGlassEdits, showBreakGlass } from '../../packages/retention-kit-cli/src/cli/commands/break-glass';
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
    for (const block of shown.split(/\n(?=Sensitive key policy|Trust policy of each)/).slice(0, 2)) {
      const statementsJson = block.slice(block.indexOf('['));
      expect(runbook).toContain(statementsJson.trim());
    }
    // The recovery role is in the environment account: the runbook's example principal is there.
    const trust = showBreakGlass({ ...grant, principalArn: 'arn:aws:iam::111111111111:role/DisasterRecovery' }, 'us-west-2');
    const trustBlock = trust.slice(trust.indexOf('Trust policy of each'));
    expect(runbook).toContain(trustBlock.slice(trustBlock.indexOf('[')).trim());
  });

  it('`break-glass show --json` gives the same edits as data: the actions to remove, from which statement, and the statements to add', () => {
    const grant = { principalArn: 'arn:aws:iam::222222222222:role/DisasterRecovery', notBefore: '2026-01-15T08:00:00Z', notAfter: '2026-01-15T16:00:00Z' };
    const edits = breakGlassEdits(grant, 'us-west-2');
    const shown = showBreakGlass(grant, 'us-west-2');
    for (const edit of [edits.vault, edits.key]) {
      expect(shown).toContain(`remove ${edit.removeActions.join(', ')} from the Action list of ${edit.fromStatement}`);
      expect(shown).toContain(JSON.stringify(edit.add, null, 2));
    }
    expect(edits.vault.removeActions).toContain('backup:StartRestoreJob');
  });
});
