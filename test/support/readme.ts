import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const README = join(__dirname, '../../README.md');

/** The code block that follows `<!-- example: name -->` in the README, exactly as written there. */
export function readmeExample(name: string): string {
  const readme = readFileSync(README, 'utf8');
  const marker = `<!-- example: ${name} -->`;
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no ${marker}`);
  const block = /```\w*\n([\s\S]*?)```/.exec(readme.slice(at + marker.length));
  if (!block) throw new Error(`README.md has no code block after ${marker}`);
  return block[1];
}
