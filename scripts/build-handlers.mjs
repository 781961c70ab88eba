// Bundles each Lambda handler once, with esbuild, into the construct library's asset folders
// (packages/retention-kit/assets/handlers/<name>/index.js and its source map). The constructs
// deploy these folders as they are (lambda.Code.fromAsset), so a user's synth bundles nothing.
// manifest.json beside them records, per handler, its size and the version of every package in it
// (the AWS SDK clients among them): the versions the tests ran with.
import { readFileSync, rmSync, mkdirSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sources = join(root, 'packages/retention-kit-cli/src/lambdas');
const out = join(root, 'packages/retention-kit/assets/handlers');
const handlers = readdirSync(sources).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, '')).sort();

/** The package (name and version) an input file of the bundle belongs to. */
function packageOf(file) {
  let dir = dirname(resolve(root, file));
  while (dir.startsWith(root) && dir !== root) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name, version } = JSON.parse(readFileSync(manifest, 'utf8'));
      if (name && version) return { name, version };
    }
    dir = dirname(dir);
  }
  return undefined;
}

rmSync(out, { recursive: true, force: true });
const manifest = { node: 'nodejs24.x', handlers: {} };
for (const name of handlers) {
  const dir = join(out, name);
  mkdirSync(dir, { recursive: true });
  const result = await build({
    entryPoints: [join(sources, `${name}.ts`)],
    outfile: join(dir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    keepNames: true,
    sourcemap: true,
    sourcesContent: false,
    // The handler and the constructs share the policy model's source, not a second build of it.
    alias: { 'retention-kit/policy': join(root, 'packages/retention-kit/src/policy/index.ts') },
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
  });
  const packages = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    if (!input.includes('node_modules/')) continue;
    const found = packageOf(input);
    if (found) packages[found.name] = found.version;
  }
  const bytes = Object.values(result.metafile.outputs).find((o) => o.entryPoint)?.bytes ?? 0;
  manifest.handlers[name] = { source: relative(root, join(sources, `${name}.ts`)), bytes, packages: Object.fromEntries(Object.entries(packages).sort()) };
}
writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
process.stdout.write(`bundled ${handlers.length} handlers into ${relative(root, out)}\n`);
