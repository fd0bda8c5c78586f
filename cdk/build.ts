/**
 * `npm run build`: every Lambda entry bundled by esbuild to dist/<entry>/index.mjs, and the web
 * client to dist/web. The CDK stack deploys exactly these directories, and the bundle tests invoke
 * exactly these files, so what is tested is what is deployed.
 *
 * ESM with the AWS SDK bundled starts fastest on Lambda (measured here: ~216 ms cold vs 70 ms for an
 * empty Node process); CommonJS dependencies inside an ESM bundle need `require`, hence the banner.
 * `npm run bench` measures each entry's cold start against a minimal bundle built with these options.
 */
import { cpSync, mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { buildWeb } from '../web/build.ts';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Deployable entries: name → source. Each becomes one Lambda function. */
export const LAMBDA_ENTRIES = {
  'sender-api': 'functions/entries/sender-api.ts',
  portal: 'functions/entries/portal.ts',
  'ses-events': 'functions/entries/ses-events.ts',
  maintenance: 'functions/entries/maintenance.ts',
} as const;
export type LambdaEntry = keyof typeof LAMBDA_ENTRIES;

/**
 * NODE_OPTIONS of every function (the bench starts its bundles with them too): none. With
 * --enable-source-maps, Node reads each bundle's source map as it loads it: 5 ms of the floor's cold
 * start and 8–12 ms of the sender API's (npm run bench, with and without). What it buys is stack
 * traces that name source files, and no log line of ours carries a stack (describeError: name and
 * message only). The maps still ship beside the bundles: to read a trace from the runtime (an init
 * error), set NODE_OPTIONS=--enable-source-maps on the function while you look (docs/operations.md).
 */
export const LAMBDA_NODE_OPTIONS: string = '';

/** The portal serves the pickup page itself, so its bundle carries the built web client here. */
export const PORTAL_WEB_DIR = 'web';

export const LAMBDA_BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  // Each import() becomes a chunk of its own, loaded when first reached: what a request may never
  // need (the S3, KMS and SES adapters and their clients: compose/on-first-call.ts, the OpenAPI
  // document, the SDK's unused credential providers) is not compiled at a cold start.
  splitting: true,
  outExtension: { '.js': '.mjs' },
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: 'linked',
  // Node reads the whole map at load when source maps are on (LAMBDA_NODE_OPTIONS), for stack traces,
  // which need the mappings only: without the sources' text the maps are a third the size (sender-api 5.5 → 1.8 MB).
  sourcesContent: false,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
};

export interface LambdaBundle {
  readonly entry: LambdaEntry;
  readonly file: string;
  readonly bytes: number;
  /** Source files that went into the bundle (repository-relative). */
  readonly inputs: readonly string[];
}

export async function buildLambdas(outRoot = path.join(rootDir, 'dist'), webDir = path.join(outRoot, 'web')): Promise<LambdaBundle[]> {
  const bundles: LambdaBundle[] = [];
  for (const [entry, source] of Object.entries(LAMBDA_ENTRIES) as [LambdaEntry, string][]) {
    const outDir = path.join(outRoot, entry);
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const result = await build({ ...LAMBDA_BUILD_OPTIONS, entryPoints: { index: path.join(rootDir, source) }, outdir: outDir });
    if (entry === 'portal') cpSync(webDir, path.join(outDir, PORTAL_WEB_DIR), { recursive: true });
    const file = path.join(outDir, 'index.mjs');
    bundles.push({ entry, file, bytes: statSync(file).size, inputs: Object.keys((result.metafile as Metafile).inputs) });
  }
  return bundles;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const web = await buildWeb();
  const lambdas = await buildLambdas();
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`.padStart(9);
  for (const b of lambdas) console.log(`dist/${b.entry}/index.mjs${' '.repeat(Math.max(1, 22 - b.entry.length))}${kb(b.bytes)}`);
  console.log(`dist/web (gzip)${' '.repeat(17)}${kb(web.reduce((s, a) => s + a.gzipBytes, 0))}`);
  // What every recipient downloads (the lazy scripts are not in it): the figure that must not grow.
  const page = web.filter((a) => a.page === 'pickup').reduce((s, a) => s + a.gzipBytes, 0);
  console.log(`pickup page (gzip)${' '.repeat(14)}${`${page} B`.padStart(9)}`);
}
