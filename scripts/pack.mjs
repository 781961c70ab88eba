// Packs the two packages for publishing: `node scripts/pack.mjs <destination>`.
// Each package is staged in a folder of its own with the files its `files` list ships, the
// repository's LICENSE and CHANGELOG.md, and its bundled dependencies (the construct library
// bundles zod, as jsii requires of a dependency that is not a jsii module). npm's own pack of a
// workspace leaves bundled dependencies out when they are hoisted to the root, hence the staging.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const destination = resolve(process.argv[2] ?? join(root, 'dist'));
mkdirSync(destination, { recursive: true });
const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

/** The package and everything it depends on at run time, from the root node_modules. */
function withDependencies(name, found = new Set()) {
  if (found.has(name)) return found;
  found.add(name);
  const manifest = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'));
  for (const dependency of Object.keys(manifest.dependencies ?? {})) withDependencies(dependency, found);
  return found;
}

const packed = [];
for (const dir of ['packages/retention-kit', 'packages/retention-kit-cli']) {
  const source = join(root, dir);
  const manifest = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'));
  const stage = mkdtempSync(join(tmpdir(), `pack-${manifest.name}-`));
  const files = JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts'], source))[0].files.map((f) => f.path);
  for (const file of files) cpSync(join(source, file), join(stage, file));
  for (const file of ['LICENSE', 'CHANGELOG.md']) cpSync(join(root, file), join(stage, file));
  for (const bundled of manifest.bundledDependencies ?? []) {
    for (const name of withDependencies(bundled)) {
      const from = join(root, 'node_modules', name);
      // The compiled package, without the TypeScript sources and tests some packages also publish (zod does).
      cpSync(from, join(stage, 'node_modules', name), { recursive: true, filter: (file) => !relative(from, file).split(sep).includes('src') });
    }
  }
  const [result] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', destination], stage));
  rmSync(stage, { recursive: true, force: true });
  packed.push({ name: result.name, file: join(destination, result.filename), size: result.size, unpackedSize: result.unpackedSize, entryCount: result.entryCount, bundled: result.bundled });
}
process.stdout.write(`${JSON.stringify(packed, null, 2)}\n`);
