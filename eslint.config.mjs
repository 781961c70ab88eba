import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The layers, each importing only the ones above it:
//   policy (pure) -> constructs -> stacks          (the construct library, retention-kit)
//   policy -> runtime (AWS SDK) -> lambdas, cli     (the CLI and runtime, retention-kit-cli)
// Apps, scripts and benchmarks use the packages by name, as a user's code does.
const restrict = (...rules) => ({
  'no-restricted-imports': ['error', { paths: rules.filter((r) => r.name), patterns: rules.filter((r) => r.group) }],
});
const CDK = { group: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'cdk-nag'], message: 'this layer does not use the CDK' };
const SDK = { group: ['@aws-sdk/*', '@aws-lambda-powertools/*'], message: 'this layer makes no AWS calls; runtime code does' };
const constructLibrary = { name: 'retention-kit', message: 'runtime code uses the pure policy model (retention-kit/policy), not the constructs' };
const layer = (name, why) => ({ group: [`**/${name}`, `**/${name}/**`], message: why });

export default tseslint.config(
  { ignores: ['node_modules/', '**/lib/', '**/dist/', '**/cdk.out/', 'scratch/', 'coverage/', 'packages/retention-kit/assets/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['packages/retention-kit/src/policy/**/*.ts'],
    rules: restrict(CDK, SDK, layer('constructs', 'policy is pure: constructs import it, not the other way'), layer('stacks', 'policy is pure: stacks import it, not the other way')),
  },
  {
    files: ['packages/retention-kit/src/constructs/**/*.ts'],
    rules: restrict(SDK, layer('stacks', 'stacks compose constructs, not the other way'), layer('runtime', 'constructs deploy prebuilt handlers and import no runtime code')),
  },
  { files: ['packages/retention-kit/src/stacks/**/*.ts'], rules: restrict(SDK, layer('runtime', 'stacks import no runtime code')) },
  // Values that cross to jsii's other languages are untyped maps there.
  { files: ['packages/retention-kit/src/constructs/context.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  {
    files: ['packages/retention-kit-cli/src/runtime/**/*.ts'],
    rules: restrict(CDK, constructLibrary, layer('cli', 'runtime is shared by the CLI and the handlers and imports neither'), layer('lambdas', 'runtime is shared by the CLI and the handlers and imports neither')),
  },
  { files: ['packages/retention-kit-cli/src/lambdas/**/*.ts'], rules: restrict(CDK, constructLibrary, layer('cli', 'handlers are thin: they import runtime code, not the CLI')) },
  { files: ['packages/retention-kit-cli/src/cli/**/*.ts'], rules: restrict(CDK, constructLibrary, layer('lambdas', 'CLI commands are thin: they import runtime code, not handlers')) },
  { files: ['packages/retention-kit-cli/src/{docs,report}/**/*.ts'], rules: restrict(CDK, SDK, layer('cli', 'documents and reports are built from the policy, not from CLI code')) },
  {
    files: ['apps/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
    rules: restrict({ group: ['**/packages/**', '**/src/**'], message: 'import the toolkit by its package names (retention-kit, retention-kit-cli), as a user would' }),
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['**/bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['scripts/**/*.mjs'], languageOptions: { globals: globals.node } },
);
