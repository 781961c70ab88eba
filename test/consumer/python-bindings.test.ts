/**
 * The Python package jsii-pacmak generates from the construct library. PyPI is out of reach here,
 * so the jsii runtime and aws-cdk-lib for Python cannot be installed and the module cannot be
 * imported; Python itself parses and compiles every generated file instead, and reads what the
 * module defines and exports.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/apps';
import { readmeExample } from '../support/readme';

const LIBRARY = join(__dirname, '../../packages/retention-kit');

// Parses every file of the package and prints, for the top module, its classes (with their
// methods), its enums' members and its __all__.
const INSPECT = `
import ast, json, pathlib, py_compile, sys
package = pathlib.Path(sys.argv[1])
for file in package.rglob('*.py'):
    py_compile.compile(str(file), doraise=True)
tree = ast.parse((package / '__init__.py').read_text())
classes, exported = {}, []
for node in tree.body:
    if isinstance(node, ast.ClassDef):
        classes[node.name] = sorted(n.name for n in node.body if isinstance(n, ast.FunctionDef))
        members = [t.id for n in node.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)]
        if members: classes[node.name + '.members'] = members
    if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == '__all__' for t in node.targets):
        exported = [e.value for e in node.value.elts]
print(json.dumps({'classes': classes, 'all': exported}))
`;

describe('the generated Python package (jsii-pacmak --code-only)', () => {
  let module: { classes: Record<string, string[]>; all: string[] };
  let packageDir: string;

  beforeAll(() => {
    const outdir = tempDir('python');
    execFileSync(join(__dirname, '../../node_modules/.bin/jsii-pacmak'), ['--code-only', '--target', 'python', '--outdir', outdir], { cwd: LIBRARY, stdio: 'pipe', timeout: 300_000 });
    packageDir = join(outdir, 'python', 'src', 'retention_kit');
    module = JSON.parse(execFileSync('python3', ['-c', INSPECT, packageDir], { encoding: 'utf8' })) as typeof module;
  }, 300_000);

  it('is a complete package: setup files, the module, and the jsii assembly it loads', () => {
    expect(existsSync(join(packageDir, '..', '..', 'pyproject.toml'))).toBe(true);
    expect(readdirSync(join(packageDir, '_jsii')).some((file) => /^retention-kit@.+\.jsii\.tgz$/.test(file))).toBe(true);
  });

  it('exposes the stacks, the constructs and the policy types', () => {
    for (const name of [
      'BackupInfrastructureStack',
      'BackupAccountStack',
      'Retention',
      'RetentionContext',
      'CredentialRotation',
      'CognitoUserPoolExport',
      'RestoreTesting',
      'RestoreTestResource',
      'HydrationStateMachine',
      'BucketHydrationStateMachine',
      'TableRecoveryStateMachine',
      'RecoveryBackup',
      'BackupMonitoring',
      'EncryptedBackupVault',
      'SensitiveAuditTrail',
      'ComplianceEvidence',
      'RetentionPolicy',
      'CategoryPolicy',
      'ProtectOptions',
      'RestoreTestingProps',
    ]) {
      expect(module.all, name).toContain(name);
      expect(module.classes[name], name).toBeDefined();
    }
    expect(module.classes.Retention).toEqual(expect.arrayContaining(['of', 'protect', 'exclude']));
    expect(module.classes.RetentionContext).toEqual(expect.arrayContaining(['policy', 'environment', 'parse_policy']));
    expect(module.classes['RestoreTestResourceType.members']).toEqual(['DYNAMODB', 'S3', 'AURORA', 'RDS', 'EFS']);
    expect(module.classes['RecoveryPointSelection.members']).toEqual(['LATEST_WITHIN_WINDOW', 'RANDOM_WITHIN_WINDOW']);
  });

  it("defines every name the README's Python example imports", () => {
    const python = readmeExample('python');
    const imported = /from retention_kit import (.+)/.exec(python)![1].split(',').map((name) => name.trim());
    expect(imported.length).toBeGreaterThan(0);
    for (const name of imported) expect(module.all).toContain(name);
  });
});
