/**
 * Builds the recipient portal and the admin console into dist/web:
 *   dist/web/pickup.html          served unchanged for every GET /m/{id}
 *   dist/web/assets/pickup.js     one ESM bundle, no chunks
 *   dist/web/assets/pickup.css
 *   dist/web/admin.html           served for GET /admin
 *   dist/web/assets/admin.js      one ESM bundle, no chunks (no crypto, no MIME: nothing of pickup.js)
 *   dist/web/assets/admin.css
 *   dist/web/inbox.html           the Message Center inbox, served for GET /inbox and /inbox/{tenantId}
 *   dist/web/assets/inbox.js      one ESM bundle (no OpenPGP, no MIME: it only lists and hands over to the pickup page)
 *   dist/web/assets/inbox.css
 *   dist/web/assets/reply.js      the "Reply securely" form, loaded by pickup.js with import() only when pressed
 *   dist/web/assets/reply.css     (appended by reply.js itself); neither counts in the pickup page's weight
 *   dist/web/assets/inbox-bar.js  the way back to the inbox, loaded by pickup.js only for a message opened there
 *   dist/web/assets/download.js   a large message's download with its progress bar, loaded by pickup.js only when an
 *   dist/web/assets/download.css  open answers with parts (a sealed upload, docs/protocol.md §21.2); not in the page's weight
 *
 * Run with `npx tsx web/build.ts` (add `--analyze` for a per-module size breakdown).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { analyzeMetafile, build, type BuildOptions, type Plugin } from 'esbuild';
import { FRAGMENT_GUARD_SCRIPT } from '../functions/http/middleware/security-headers.ts';

const webDir = path.dirname(fileURLToPath(import.meta.url));
const rootDir = path.resolve(webDir, '..');

type PageName = 'pickup' | 'admin' | 'inbox';
/**
 * A page, or a script the pickup page loads when needed: 'reply', the reply form, downloaded only
 * by recipients who reply; 'inbox-bar', the way back to the inbox, only for a message opened there;
 * 'download', a large message's download and progress bar, only when an open answers with parts.
 */
type AssetGroup = PageName | 'reply' | 'inbox-bar' | 'download';

export interface WebAsset {
  /** Which page the file belongs to: recipients download only the pickup files. */
  readonly page: AssetGroup;
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

/**
 * postal-mime carries its own base64 encoder for `attachmentEncoding: 'base64'`; the page already has
 * one (core/shared's toBase64, the same RFC 4648 alphabet and padding), so that one serves both.
 */
const SHARED_BASE64 = path.join(rootDir, 'functions', 'core', 'shared', 'encoding.ts');

/**
 * postal-mime's content decoders end each part with `blobToArrayBuffer(new Blob(this.chunks, …))`:
 * in Chromium, two trips to the browser process per part. The page joins the pieces in memory
 * instead (web/src/lib/join-chunks.ts).
 */
const JOIN_PIECES = path.join(webDir, 'src', 'lib', 'join-chunks.ts');
const BLOB_JOIN = "blobToArrayBuffer(new Blob(this.chunks, { type: 'application/octet-stream' }))";
/** The decoders that join their pieces so, each patched exactly once. */
export const BLOB_DECODERS = ['base64-decoder', 'qp-decoder', 'pass-through-decoder'] as const;

export function trimDependencies(hits: Set<string>): Plugin {
  return {
    name: 'sealpost-trim-dependencies',
    setup(builder) {
      builder.onLoad({ filter: /[\\/]postal-mime[\\/]dist[\\/]esm[\\/](?:base64|qp|pass-through)-decoder\.js$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (source.split(BLOB_JOIN).length !== 2) return undefined; // not patched: the build below says so
        hits.add(path.basename(args.path, '.js'));
        const contents = `import { piecesToArrayBuffer as __sealpostJoin } from ${JSON.stringify(JOIN_PIECES)};\n${source.replace(BLOB_JOIN, '__sealpostJoin(this.chunks)')}`;
        return { contents, loader: 'js', resolveDir: path.dirname(args.path) };
      });
      builder.onResolve({ filter: /^\.\/(html-entities|base64-encoder)\.js$/ }, (args) => {
        if (!args.importer.includes(`${path.sep}postal-mime${path.sep}`)) return undefined;
        const name = args.path.slice(2, -3);
        hits.add(name);
        return { path: name, namespace: 'sealpost-trimmed' };
      });
      builder.onLoad({ filter: /^html-entities$/, namespace: 'sealpost-trimmed' }, () => {
        const table = Object.fromEntries(Object.entries(COMMON_ENTITIES).map(([name, value]) => [`&${name};`, value]));
        return { contents: `export const htmlEntities = ${JSON.stringify(table)};`, loader: 'js' };
      });
      builder.onLoad({ filter: /^base64-encoder$/, namespace: 'sealpost-trimmed' }, () => ({
        contents: `import { toBase64 } from ${JSON.stringify(SHARED_BASE64)};\nexport const base64ArrayBuffer = (buffer) => toBase64(new Uint8Array(buffer));`,
        loader: 'js',
        resolveDir: rootDir,
      }));
    },
  };
}

/** Builds the portal and the console; returns each output file with its raw and gzip size. */
export async function buildWeb(options: BuildWebOptions = {}): Promise<WebAsset[]> {
  const outDir = options.outDir ?? path.join(rootDir, 'dist', 'web');
  const assetsDir = path.join(outDir, 'assets');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(assetsDir, { recursive: true });

  const hits = new Set<string>();
  const result = await buildPage('pickup', outDir, assetsDir, { metafile: true, plugins: [trimDependencies(hits)] });
  for (const expected of ['html-entities', 'base64-encoder', ...BLOB_DECODERS]) {
    // A dependency changed shape: review the trimming above rather than ship a silently bigger page.
    if (!hits.has(expected)) throw new Error(`web build: expected to replace postal-mime's ${expected}; check web/build.ts against the installed packages`);
  }
  // The page decrypts with the protocol's own WebCrypto module (core/protocol/openpgp-subset.ts).
  const openpgp = Object.keys(result.metafile?.inputs ?? {}).filter((input) => input.includes('node_modules/openpgp/'));
  if (openpgp.length > 0) throw new Error(`web build: the pickup page must not bundle OpenPGP.js (${openpgp[0]})`);
  if (options.analyze) console.log(await analyzeMetafile(result.metafile ?? { inputs: {}, outputs: {} }));

  // The admin console is its own small bundle, so the pickup page carries none of it (and vice versa).
  await buildPage('admin', outDir, assetsDir);
  // The inbox is a third small bundle: signing in and listing need none of the pickup code.
  await buildPage('inbox', outDir, assetsDir);
  // The reply form: a script (no page) that pickup.js imports at the press of "Reply securely".
  await buildScript('reply', assetsDir);
  // The inbox bar: a script that pickup.js imports only for a message opened from the inbox.
  await buildScript('inbox-bar', assetsDir);
  // The download of a large message: a script (and its stylesheet) pickup.js imports when an open answers with parts.
  await buildScript('download', assetsDir);

  const files = [
    ['pickup', 'pickup.html'], ['pickup', 'assets/pickup.js'], ['pickup', 'assets/pickup.css'],
    ['admin', 'admin.html'], ['admin', 'assets/admin.js'], ['admin', 'assets/admin.css'],
    ['inbox', 'inbox.html'], ['inbox', 'assets/inbox.js'], ['inbox', 'assets/inbox.css'],
    ['reply', 'assets/reply.js'], ['reply', 'assets/reply.css'],
    ['inbox-bar', 'assets/inbox-bar.js'],
    ['download', 'assets/download.js'], ['download', 'assets/download.css'],
  ] as const;
  return Promise.all(
    files.map(async ([page, file]) => {
      const content = await readFile(path.join(outDir, file));
      return { page, file, bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length };
    }),
  );
}

/**
 * One page: src/<name>.ts → assets/<name>.js, <name>.css → assets/<name>.css (imports inlined),
 * <name>.html copied, with the fragment guard (the one inline script the CSP admits) in its slot.
 */
async function buildPage(name: PageName, outDir: string, assetsDir: string, extra: Partial<Pick<BuildOptions, 'metafile' | 'plugins'>> = {}) {
  const result = await buildScript(name, assetsDir, extra);
  const html = await readFile(path.join(webDir, `${name}.html`), 'utf8');
  await writeFile(path.join(outDir, `${name}.html`), html.replace('<!--fragment-guard-->', () => `<script>${FRAGMENT_GUARD_SCRIPT}</script>`));
  return result;
}

/** src/<name>.ts → assets/<name>.js and, if there is one, <name>.css → assets/<name>.css, without a page. */
async function buildScript(name: AssetGroup, assetsDir: string, extra: Partial<Pick<BuildOptions, 'metafile' | 'plugins'>> = {}) {
  const result = await build({
    entryPoints: [path.join(webDir, 'src', `${name}.ts`)],
    outfile: path.join(assetsDir, `${name}.js`),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    charset: 'utf8',
    logLevel: 'warning',
    ...extra,
  });
  if (!existsSync(path.join(webDir, `${name}.css`))) return result;
  await build({
    entryPoints: [path.join(webDir, `${name}.css`)],
    outfile: path.join(assetsDir, `${name}.css`),
    bundle: true,
    minify: true,
    logLevel: 'warning',
  });
  return result;
}

function printSizes(assets: readonly WebAsset[]): void {
  const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`.padStart(10);
  console.log(`${'file'.padEnd(22)}${'raw'.padStart(10)}${'gzip'.padStart(10)}`);
  for (const page of ['pickup', 'admin', 'inbox', 'reply', 'inbox-bar', 'download'] as const) {
    const files = assets.filter((asset) => asset.page === page);
    for (const asset of files) console.log(`${asset.file.padEnd(22)}${kb(asset.bytes)}${kb(asset.gzipBytes)}`);
    const total = (key: 'bytes' | 'gzipBytes'): number => files.reduce((sum, asset) => sum + asset[key], 0);
    const lazy: Partial<Record<AssetGroup, string>> = { reply: 'reply form (lazy)', 'inbox-bar': 'inbox bar (lazy)', download: 'download (lazy)' };
    const label = lazy[page] ?? `${page} page total`;
    console.log(`${label.padEnd(22)}${kb(total('bytes'))}${kb(total('gzipBytes'))}`);
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const assets = await buildWeb({ analyze: process.argv.includes('--analyze') });
  printSizes(assets);
}
