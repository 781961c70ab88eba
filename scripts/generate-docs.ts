/** Writes the generated documents (`npm run docs`). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generatedDocuments } from '../src/docs/generated';

const root = join(__dirname, '..');
for (const [file, content] of Object.entries(generatedDocuments())) {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), content);
  process.stdout.write(`wrote ${file}\n`);
}
