/**
 * Builds the recipient portal into dist/web:
 *   dist/web/pickup.html          served unchanged for every GET /m/{id}
 *   dist/web/assets/pickup.js     one ESM bundle, no chunks
 *   dist/web/assets/pickup.css
 *
 * Run with `npx tsx web/build.ts` (add `--analyze` for a per-module size breakdown).
 */
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { analyzeMetafile, build, type Plugin } from 'esbuild';

const webDir = path.dirname(fileURLToPath(import.meta.url));
const rootDir = path.resolve(webDir, '..');

export interface WebAsset {
  /** Path relative to the output directory, e.g. `assets/pickup.js`. */
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

export interface BuildWebOptions {
  /** Defaults to dist/web at the repository root. */
  readonly outDir?: string;
  /** Print esbuild's per-module size breakdown of pickup.js. */
  readonly analyze?: boolean;
}

/**
 * OpenPGP.js's lightweight build loads rarely used algorithms with dynamic import(). A message sealed
 * by sealpost needs none of them (a password, AES-256, SEIPDv2, iterated S2K, no compression), and
 * bundling them would triple the page weight, so they become a module that fails: such a message is
 * rejected as undecryptable. noble_hashes stays — it is tiny and a fallback for hashing.
 */
const OPENPGP_UNUSED = ['argon2id', 'legacy_ciphers', 'nacl-fast', 'noble_curves', 'noble_hashes', 'unbzip2-stream'];

/**
 * postal-mime decodes HTML entities only when it turns HTML into text for a message whose parts mix
 * both kinds outside a multipart/alternative. Its table of all 2,231 HTML entities weighs more than
 * DOMPurify, so it is replaced by the common ones; an unknown named entity stays as written.
 */
const COMMON_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', shy: '\u00ad', copy: '©', reg: '®',
  trade: '™', hellip: '…', mdash: '—', ndash: '–', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”',
  laquo: '«', raquo: '»', bull: '•', middot: '·', euro: '€', pound: '£', yen: '¥', cent: '¢', sect: '§',
  deg: '°', times: '×', divide: '÷', plusmn: '±', zwnj: '\u200c', zwj: '\u200d', auml: 'ä', ouml: 'ö',
  uuml: 'ü', Auml: 'Ä', Ouml: 'Ö', Uuml: 'Ü', szlig: 'ß', eacute: 'é', egrave: 'è', ecirc: 'ê',
  aacute: 'á', agrave: 'à', acirc: 'â', ccedil: 'ç', iacute: 'í', oacute: 'ó', uacute: 'ú', ntilde: 'ñ',
  Eacute: 'É', aring: 'å', oslash: 'ø', aelig: 'æ',
};

function trimDependencies(hits: Set<string>): Plugin {
  const unused = new RegExp(`^\\./(${OPENPGP_UNUSED.join('|')})(?:\\.min)?\\.mjs$`);
  return {
    name: 'sealpost-trim-dependencies',
    setup(builder) {
      builder.onResolve({ filter: unused }, (args) => {
        if (!args.importer.includes(`${path.sep}openpgp${path.sep}`)) return undefined;
        const name = unused.exec(args.path)?.[1] ?? args.path;
        hits.add(name);
        return { path: name, namespace: 'sealpost-unsupported' };
      });
      builder.onLoad({ filter: /.*/, namespace: 'sealpost-unsupported' }, (args) => ({
        contents: `throw new Error(${JSON.stringify(`${args.path} is not part of the sealpost protocol`)});`,
        loader: 'js',
      }));
      builder.onResolve({ filter: /^\.\/html-entities\.js$/ }, (args) => {
        if (!args.importer.includes(`${path.sep}postal-mime${path.sep}`)) return undefined;
        hits.add('html-entities');
        return { path: 'html-entities', namespace: 'sealpost-entities' };
      });
      builder.onLoad({ filter: /.*/, namespace: 'sealpost-entities' }, () => {
        const table = Object.fromEntries(Object.entries(COMMON_ENTITIES).map(([name, value]) => [`&${name};`, value]));
        return { contents: `export const htmlEntities = ${JSON.stringify(table)};`, loader: 'js' };
      });
    },
  };
}

/** Builds the portal; returns each output file with its raw and gzip size. */
export async function buildWeb(options: BuildWebOptions = {}): Promise<WebAsset[]> {
  const outDir = options.outDir ?? path.join(rootDir, 'dist', 'web');
  const assetsDir = path.join(outDir, 'assets');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(assetsDir, { recursive: true });

  const hits = new Set<string>();
  const result = await build({
    entryPoints: [path.join(webDir, 'src', 'pickup.ts')],
    outfile: path.join(assetsDir, 'pickup.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    charset: 'utf8',
    metafile: true,
    logLevel: 'warning',
    plugins: [trimDependencies(hits)],
  });
  const expected = [...OPENPGP_UNUSED, 'html-entities'];
  const missed = expected.filter((name) => !hits.has(name));
  if (missed.length > 0) {
    // A dependency changed shape: review the trimming above rather than ship a silently bigger page.
    throw new Error(`web build: expected to replace ${missed.join(', ')}; check web/build.ts against the installed packages`);
  }
  if (options.analyze) console.log(await analyzeMetafile(result.metafile));

  await build({
    entryPoints: [path.join(webDir, 'pickup.css')],
    outfile: path.join(assetsDir, 'pickup.css'),
    bundle: true,
    minify: true,
    logLevel: 'warning',
  });
  await copyFile(path.join(webDir, 'pickup.html'), path.join(outDir, 'pickup.html'));

  const files = ['pickup.html', 'assets/pickup.js', 'assets/pickup.css'];
  return Promise.all(
    files.map(async (file) => {
      const content = await readFile(path.join(outDir, file));
      return { file, bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length };
    }),
  );
}

function printSizes(assets: readonly WebAsset[]): void {
  const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`.padStart(10);
  console.log(`${'file'.padEnd(22)}${'raw'.padStart(10)}${'gzip'.padStart(10)}`);
  for (const asset of assets) console.log(`${asset.file.padEnd(22)}${kb(asset.bytes)}${kb(asset.gzipBytes)}`);
  const total = (key: 'bytes' | 'gzipBytes'): number => assets.reduce((sum, asset) => sum + asset[key], 0);
  console.log(`${'total'.padEnd(22)}${kb(total('bytes'))}${kb(total('gzipBytes'))}`);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const assets = await buildWeb({ analyze: process.argv.includes('--analyze') });
  printSizes(assets);
}
