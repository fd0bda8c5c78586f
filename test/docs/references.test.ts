/**
 * The docs point at code and tests by path and by test title; this keeps every such pointer true.
 * Above all, docs/threat-model.md must map every threat to the tests that prove it: each row of
 * its threats table names at least one test file and test title, and each named title exists in
 * that file (a renamed or deleted test fails here, so the map cannot silently rot).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DOCS = ['README.md', 'functions/README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface TitlePattern { readonly text: string; readonly pattern: RegExp }

/**
 * A test file's string literals, as titles a doc may name: quotes unescaped, and placeholders of
 * table-driven titles (`${c.name}`, `%s`, `$route`) matching any text, so a doc may name one case
 * of an `it.each` by its concrete title.
 */
function titlePatterns(file: string): TitlePattern[] {
  return [...read(file).matchAll(/(['"`])((?:\\.|(?!\1)[^\\\n])+)\1/g)].map((m) => {
    const text = (m[2] as string).replace(/\\(['"`\\])/g, '$1');
    const parts = text.split(/\$\{[^}]*\}|%[sdifjo#]|\$[A-Za-z_]\w*/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    return { text, pattern: new RegExp(`^${parts.join('.*')}$`) };
  });
}

/** `test/…test.ts` followed by the backticked titles that belong to it, in a text. */
export function testReferences(text: string): { file: string; titles: string[] }[] {
  const out: { file: string; titles: string[] }[] = [];
  for (const m of text.matchAll(/`(test\/[\w/.-]+\.test\.ts)`((?:\s*`[^`]+`\s*(?:\([^)]*\))?,?)*)/g)) {
    out.push({ file: m[1] as string, titles: [...(m[2] ?? '').matchAll(/`([^`]+)`/g)].map((t) => t[1] as string) });
  }
  return out;
}

/** True when no title of the file is `title` ("…" at its end: a title that starts so). */
function missingTitle(title: string, titles: readonly TitlePattern[]): boolean {
  const prefix = title.endsWith('…') ? title.replace(/\s*…$/, '') : undefined;
  return !titles.some((t) => (prefix !== undefined ? t.text.startsWith(prefix) : t.pattern.test(title)));
}

describe('the docs\' pointers', () => {
  it('name only files that exist', () => {
    const missing = DOCS.flatMap((doc) => [...read(doc).matchAll(/`((?:functions|web|cdk|test)\/[\w/.-]+\.(?:ts|md|html|css))`/g)]
      .map((m) => m[1] as string)
      .filter((path) => !existsSync(join(ROOT, path)))
      .map((path) => `${doc}: ${path}`));

    expect(missing).toEqual([]);
  });

  it('name only test titles that exist in the files they name', () => {
    const missing = DOCS.flatMap((doc) => testReferences(read(doc)).flatMap(({ file, titles }) => {
      if (!existsSync(join(ROOT, file))) return [`${doc}: ${file} (no such file)`];
      const patterns = titlePatterns(file);
      return titles.filter((t) => missingTitle(t, patterns)).map((t) => `${doc}: ${file} has no test "${t}"`);
    }));

    expect(missing).toEqual([]);
  });

  it('map every threat of the threat model to at least one named test', () => {
    const rows = read('docs/threat-model.md').split('\n').filter((line) => /^\| T\d+ \|/.test(line));
    const unproven = rows.filter((row) => !testReferences(row).some((ref) => ref.titles.length > 0)).map((row) => row.slice(0, 8));

    expect(rows.length).toBeGreaterThan(45);
    expect(unproven).toEqual([]);
  });

  it('can tell a title that is there from one that is not', () => {
    const refs = testReferences('see `test/x.test.ts` `does a thing`, `does another…` and `test/y.test.ts`');

    expect(refs).toEqual([{ file: 'test/x.test.ts', titles: ['does a thing', 'does another…'] }, { file: 'test/y.test.ts', titles: [] }]);
    const patterns = [{ text: 'does another thing', pattern: /^does another thing$/ }, { text: 'answers ${c.status} when the request has ${c.name}', pattern: /^answers .* when the request has .*$/ }];

    expect(missingTitle('does another…', patterns)).toBe(false);
    expect(missingTitle('answers 422 when the request has an address with CR/LF', patterns)).toBe(false);
    expect(missingTitle('does a thing', patterns)).toBe(true);
  });
});

describe('the README as the front door (issue 13)', () => {
  it('stays short, at most 350 lines, and links the reference it moved into docs/', () => {
    const readme = read('README.md');

    expect(readme.split('\n').length).toBeLessThanOrEqual(350);
    for (const page of ['docs/api.md', 'docs/configuration.md', 'docs/architecture.md', 'docs/operations.md']) {
      expect(existsSync(join(ROOT, page)), page).toBe(true);
      expect(readme, page).toContain(`(${page})`);
    }
  });
});
