/**
 * One word for one thing in everything a person reads: the code emailed to a recipient is a
 * "6-digit code" ("the 6 digits") on the pickup page, the inbox, the console, the emails and the
 * API's messages, never "six-digit" (issue 13: the pages said both). Comments may say what they like;
 * every other line of the web pages and of the server's code is held to it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');

function files(dir: string, ends: readonly string[]): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && ends.some((end) => e.name.endsWith(end)))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** The lines of `text` that are not comments: `//`, `/* … *\/` and `<!-- … -->` blocks, and JSDoc lines. */
function wordedLines(text: string): { line: number; text: string }[] {
  const stripped = text
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
    .replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  return stripped.split('\n').map((t, i) => ({ line: i + 1, text: t })).filter((l) => l.text.trim() !== '');
}

const SPELLED = /\bsix[- ]digits?\b/i;

describe('wording of the code', () => {
  it('finds a spelled-out "six-digit" in a string but not in a comment', () => {
    const sample = "/** Six digits. */\n// a six-digit code\nconst a = 'Enter the six-digit code';\n<!-- six digits -->\n";

    expect(wordedLines(sample).filter((l) => SPELLED.test(l.text)).map((l) => l.line)).toEqual([3]);
  });

  it('says "6-digit code" and never "six-digit" in the pages, the console, the emails and the API', () => {
    const checked = [...files('web', ['.html', '.ts']), ...files('functions', ['.ts'])].filter((f) => !f.includes('node_modules'));
    const spelled = checked.flatMap((file) => wordedLines(readFileSync(join(ROOT, file), 'utf8'))
      .filter((l) => SPELLED.test(l.text)).map((l) => `${file}:${l.line}: ${l.text.trim()}`));

    expect(checked.length).toBeGreaterThan(50);
    expect(spelled).toEqual([]);
    for (const page of ['web/pickup.html', 'web/inbox.html']) expect(readFileSync(join(ROOT, page), 'utf8')).toContain('>6-digit code</label>');
  });
});
