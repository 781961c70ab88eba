/**
 * The packages as a user gets them: `scripts/pack.mjs` packs both, and fresh apps install the
 * tarballs from a temporary folder, with nothing of this repository on their path. A TypeScript
 * app laid out as `cdk init app --language typescript` lays it out runs the README's example as
 * written; a JavaScript app runs the same example compiled to CommonJS. Both synthesize with the
 * CDK CLI they installed, without esbuild, and the installed `retention` command reads the result.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANDLER_NAMES } from 'retention-kit/policy';
import { HANDLER_ASSETS_DIR } from '../../packages/retention-kit/src/constructs/handler-function';
import { tempDir } from '../support/apps';
import { readmeExample } from '../support/readme';

const ROOT = join(__dirname, '../..');
const installed = (name: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

interface Packed {
  name: string;
  file: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  bundled: string[];
}

interface CfnResource {
  Type: string;
  Properties?: Record<string, any>;
  Metadata?: Record<string, any>;
}
type Template = { Resources: Record<string, CfnResource> };

const run = (command: string, args: string[], cwd: string) => spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 600_000 });

function npmInstall(dir: string): void {
  // --prefer-offline: the versions are the ones this repository installed, so npm's cache has them.
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: dir, stdio: 'pipe', timeout: 600_000 });
}

function templates(assembly: string): Record<string, Template> {
  return Object.fromEntries(
    readdirSync(assembly)
      .filter((file) => file.endsWith('.template.json'))
      .map((file) => [file.replace('.template.json', ''), JSON.parse(readFileSync(join(assembly, file), 'utf8')) as Template]),
  );
}

const ofType = (template: Template, type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

describe('the packed packages, installed into fresh apps', () => {
  let packs: Packed[];
  let tsApp: string;
  let jsApp: string;
  let tsSynth: ReturnType<typeof run>;
  let jsSynth: ReturnType<typeof run>;
  let work: string;

  // Two installed apps take about 700 MB: removed afterwards.
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  beforeAll(() => {
    work = tempDir('consumer');
    packs = JSON.parse(execFileSync(process.execPath, [join(ROOT, 'scripts/pack.mjs'), join(work, 'packs')], { encoding: 'utf8' })) as Packed[];
    const tarball = (name: string) => `file:${packs.find((p) => p.name === name)!.file}`;
    const dependencies = {
      'retention-kit': tarball('retention-kit'),
      'retention-kit-cli': tarball('retention-kit-cli'),
      'aws-cdk-lib': installed('aws-cdk-lib'),
      constructs: installed('constructs'),
      'cdk-nag': installed('cdk-nag'),
    };
    const cdkJson = JSON.parse(readmeExample('cdk.json')) as { app: string; context: Record<string, unknown> };
    const example = readmeExample('bin/app.ts');

    tsApp = join(work, 'ts-app');
    mkdirSync(join(tsApp, 'bin'), { recursive: true });
    writeFileSync(
      join(tsApp, 'package.json'),
      JSON.stringify({
        name: 'ts-app',
        version: '0.1.0',
        private: true,
        bin: { 'ts-app': 'bin/app.js' },
        dependencies,
        devDependencies: { 'aws-cdk': installed('aws-cdk'), typescript: installed('typescript'), 'ts-node': installed('ts-node'), '@types/node': installed('@types/node') },
      }),
    );
    // The compiler settings `cdk init app --language typescript` writes.
    writeFileSync(
      join(tsApp, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['es2022'],
          declaration: true,
          strict: true,
          noImplicitAny: true,
          strictNullChecks: true,
          noImplicitThis: true,
          alwaysStrict: true,
          noUnusedLocals: false,
          noUnusedParameters: false,
          noImplicitReturns: true,
          noFallthroughCasesInSwitch: false,
          inlineSourceMap: true,
          inlineSources: true,
          experimentalDecorators: true,
          strictPropertyInitialization: false,
          skipLibCheck: true,
          typeRoots: ['./node_modules/@types'],
        },
        exclude: ['node_modules', 'cdk.out'],
      }),
    );
    writeFileSync(join(tsApp, 'cdk.json'), JSON.stringify(cdkJson, null, 2));
    writeFileSync(join(tsApp, 'bin', 'app.ts'), example);

    jsApp = join(work, 'js-app');
    mkdirSync(join(jsApp, 'bin'), { recursive: true });
    writeFileSync(join(jsApp, 'package.json'), JSON.stringify({ name: 'js-app', version: '0.1.0', private: true, dependencies, devDependencies: { 'aws-cdk': installed('aws-cdk') } }));
    writeFileSync(join(jsApp, 'cdk.json'), JSON.stringify({ ...cdkJson, app: 'node bin/app.js' }, null, 2));
    writeFileSync(join(jsApp, 'bin', 'app.js'), ts.transpileModule(example, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText);

    npmInstall(tsApp);
    npmInstall(jsApp);
    tsSynth = run('npx', ['cdk', 'synth', '--quiet'], tsApp);
    jsSynth = run('npx', ['cdk', 'synth', '--quiet'], jsApp);
  }, 900_000);

  it('packs each package with only what it ships: compiled code, declarations, the prebuilt handlers, the bundled zod', () => {
    const library = packs.find((p) => p.name === 'retention-kit')!;
    expect(library.bundled).toEqual(['zod']);
    const files = execFileSync('tar', ['tzf', library.file], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(files).toContain('package/lib/index.js');
    expect(files).toContain('package/lib/index.d.ts');
    expect(files).toContain('package/.jsii');
    expect(files).toContain('package/LICENSE');
    for (const handler of HANDLER_NAMES) {
      expect(files).toContain(`package/assets/handlers/${handler}/index.js`);
      expect(files).toContain(`package/assets/handlers/${handler}/index.js.map`);
    }
    const cli = execFileSync('tar', ['tzf', packs.find((p) => p.name === 'retention-kit-cli')!.file], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(cli).toContain('package/bin/retention.js');
    expect(cli).toContain('package/lib/cli/main.js');
    for (const shipped of [files, cli]) {
      expect(shipped.filter((f) => /^package\/(src|test|bench|scripts|\.ci|apps)\//.test(f) || (f.endsWith('.ts') && !/\.d\.[cm]?ts$/.test(f)))).toEqual([]);
    }
  });

  it('installs without esbuild, and no synth bundles anything', () => {
    for (const app of [tsApp, jsApp]) {
      expect(existsSync(join(app, 'node_modules', 'esbuild')), `${app} has esbuild`).toBe(false);
      expect(existsSync(join(app, 'node_modules', 'retention-kit', 'lib', 'index.js'))).toBe(true);
    }
  });

  it('synthesizes the README example in the TypeScript app (cdk synth through ts-node) and in the JavaScript app', () => {
    expect(tsSynth.status, tsSynth.stderr).toBe(0);
    expect(jsSynth.status, jsSynth.stderr).toBe(0);
    expect(tsSynth.stderr).not.toMatch(/Bundling asset|esbuild/);
  });

  it('deploys the prebuilt handlers as they are, with source maps on, and protects what the example declares', () => {
    const { BackupInfrastructure: infrastructure, Data: data } = templates(join(tsApp, 'cdk.out'));
    expect(ofType(infrastructure, 'AWS::Backup::BackupVault')).toHaveLength(2);
    expect(ofType(data, 'AWS::Backup::BackupPlan').length).toBeGreaterThanOrEqual(2);
    expect(ofType(data, 'AWS::Backup::RestoreTestingPlan')).toHaveLength(2);
    expect(ofType(data, 'AWS::StepFunctions::StateMachine')).toHaveLength(1);
    const [, orders] = ofType(data, 'AWS::DynamoDB::Table')[0];
    expect(orders.Metadata?.['retention-kit:protection']).toMatchObject({ status: 'protected', category: 'critical_data' });

    const assetsByHash = new Map<string, string>();
    const assembly = join(tsApp, 'cdk.out');
    for (const entry of readdirSync(assembly).filter((e) => e.startsWith('asset.'))) assetsByHash.set(entry.slice('asset.'.length), join(assembly, entry));
    const functions = [...ofType(infrastructure, 'AWS::Lambda::Function'), ...ofType(data, 'AWS::Lambda::Function')].filter(([, f]) => f.Properties?.Handler === 'index.handler');
    // The freshness check, the Cognito export and the restore validation.
    expect(functions.length).toBeGreaterThanOrEqual(3);
    for (const [id, fn] of functions) {
      expect(fn.Properties!.Runtime, id).toBe('nodejs24.x');
      expect(fn.Properties!.Environment.Variables.NODE_OPTIONS, id).toBe('--enable-source-maps');
      const hash = (fn.Properties!.Code.S3Key as string).replace(/\.zip$/, '');
      const deployed = readFileSync(join(assetsByHash.get(hash)!, 'index.js'));
      const shipped = HANDLER_NAMES.map((name) => readFileSync(join(HANDLER_ASSETS_DIR, name, 'index.js'))).find((bundle) => bundle.equals(deployed));
      expect(shipped, `${id} deploys a bundle the package ships`).toBeDefined();
    }
  });

  it('gives the same templates from the JavaScript app as from the TypeScript one', () => {
    const typescript = templates(join(tsApp, 'cdk.out'));
    const javascript = templates(join(jsApp, 'cdk.out'));
    expect(Object.keys(javascript).sort()).toEqual(Object.keys(typescript).sort());
    for (const stack of Object.keys(typescript)) expect(javascript[stack].Resources).toEqual(typescript[stack].Resources);
  });

  it('runs the installed retention command: --help, and report --check on the synthesized app', () => {
    const help = run('npx', ['retention', '--help'], tsApp);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: retention');
    const version = run('npx', ['retention', '--version'], tsApp);
    expect(version.stdout.trim()).toBe(packs.find((p) => p.name === 'retention-kit-cli')!.file.match(/-(\d+\.\d+\.\d+)\.tgz$/)![1]);
    const report = run('npx', ['retention', 'report', '--check', '--assembly', 'cdk.out'], tsApp);
    expect(report.status, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/\d+ stateful resources: \d+ protected, 1 exported .*, \d+ excluded with a reason, 0 unprotected/);
    expect(report.stderr).toContain('No protection gaps.');
  });

  it('gives JavaScript programs the runtime library and the policy model', () => {
    const probe = run(
      process.execPath,
      ['-e', "const cli = require('retention-kit-cli'); const policy = require('retention-kit/policy'); console.log([cli.hydrateTable, cli.hydrateBucket, cli.exportUserPool, cli.restoreUserPool, cli.recoverTable, cli.protectionReport, policy.parseRetentionPolicy].map((f) => typeof f).join(' '))"],
      jsApp,
    );
    expect(probe.status, probe.stderr).toBe(0);
    expect(probe.stdout.trim()).toBe(Array(7).fill('function').join(' '));
  });

  it("installs the command for an operator (npm install --global), outside any app, and runs it there", () => {
    const prefix = join(tempDir('operator'), 'global');
    const tarballs = ['retention-kit-cli', 'retention-kit'].map((name) => packs.find((p) => p.name === name)!.file);
    execFileSync('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs], { stdio: 'pipe', timeout: 600_000 });
    const retention = join(prefix, 'bin', 'retention');
    const version = run(retention, ['--version'], prefix);
    expect(version.status, version.stderr).toBe(0);
    const report = run(retention, ['report', '--check', '--assembly', join(jsApp, 'cdk.out')], prefix);
    expect(report.status, report.stderr).toBe(0);
    expect(report.stderr).toContain('No protection gaps.');
  });
});
