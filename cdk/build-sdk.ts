/**
 * `npm run build:sdk`: the sealpost SDK and CLI as a package an organisation installs on its own
 * (`npm install ./sealpost-sdk-<version>.tgz`, or publish it to a private registry), with no
 * dependencies to fetch: everything is bundled. dist/sdk-package/ holds
 *
 *   package.json   bin "sealpost", exports "." (Node, and a browser build under the "browser" condition)
 *   index.mjs      the SDK for Node 20+ (functions/entries/sdk.ts)
 *   browser.mjs    the same for browsers
 *   cli.mjs        the CLI (functions/entries/cli.ts)
 *   types/         declarations (entries/sdk.d.ts and what it names)
 *   README.md      docs/cli.md
 *
 * and `npm pack` makes the tarball. test/entries/sdk-package.test.ts installs it in an empty
 * directory and runs both.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const COMMON: BuildOptions = { bundle: true, format: 'esm', target: 'es2022', minify: true, legalComments: 'none', logLevel: 'warning', sourcemap: false };
/** CommonJS dependencies (commander, cli-progress) inside an ESM bundle need `require`. */
const REQUIRE_BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

function declarationFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? declarationFiles(p) : p.endsWith('.d.ts') ? [p] : [];
  });
}

export async function buildSdkPackage(outDir = path.join(rootDir, 'dist', 'sdk-package')): Promise<{ dir: string; version: string }> {
  const root = JSON.parse(readFileSync(path.join(rootDir, 'package.json'), 'utf8')) as { version: string; engines: Record<string, string> };
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const sdk = path.join(rootDir, 'functions/entries/sdk.ts');
  await build({ ...COMMON, platform: 'node', target: 'node20', entryPoints: [sdk], outfile: path.join(outDir, 'index.mjs'), banner: { js: REQUIRE_BANNER } });
  await build({ ...COMMON, platform: 'browser', entryPoints: [sdk], outfile: path.join(outDir, 'browser.mjs') });
  await build({
    ...COMMON, platform: 'node', target: 'node20', outfile: path.join(outDir, 'cli.mjs'), banner: { js: `#!/usr/bin/env node\n${REQUIRE_BANNER}` },
    stdin: { contents: `import { main } from ${JSON.stringify(path.join(rootDir, 'functions/entries/cli.ts'))};\nawait main();\n`, resolveDir: rootDir, loader: 'ts' },
  });

  // Declarations from the sources themselves; relative .ts imports become .js, as a consumer's TypeScript expects.
  const typesDir = path.join(outDir, 'types');
  const tsconfig = path.join(outDir, 'tsconfig.types.json');
  writeFileSync(tsconfig, JSON.stringify({
    extends: path.join(rootDir, 'tsconfig.json'),
    compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true, outDir: typesDir, rootDir: path.join(rootDir, 'functions'), types: [] },
    include: [], files: [sdk],
  }));
  execFileSync(process.execPath, [path.join(rootDir, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], { stdio: 'inherit' });
  rmSync(tsconfig);
  for (const file of declarationFiles(typesDir)) {
    writeFileSync(file, readFileSync(file, 'utf8').replace(/(from\s+'\.{1,2}\/[^']*)\.ts'/g, "$1.js'"));
  }

  writeFileSync(path.join(outDir, 'package.json'), `${JSON.stringify({
    name: 'sealpost-sdk',
    version: root.version,
    description: 'The sealpost SDK and CLI: send secure messages sealed on your own machine (OpenPGP, RFC 9580).',
    type: 'module',
    engines: root.engines,
    bin: { sealpost: 'cli.mjs' },
    exports: { '.': { types: './types/entries/sdk.d.ts', browser: './browser.mjs', default: './index.mjs' } },
    types: './types/entries/sdk.d.ts',
    files: ['index.mjs', 'browser.mjs', 'cli.mjs', 'types', 'README.md'],
  }, null, 2)}\n`);
  cpSync(path.join(rootDir, 'docs/cli.md'), path.join(outDir, 'README.md'));
  return { dir: outDir, version: root.version };
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { dir } = await buildSdkPackage();
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', path.dirname(dir)], { cwd: dir, encoding: 'utf8' }).trim();
  for (const name of ['index.mjs', 'browser.mjs', 'cli.mjs']) console.log(`dist/sdk-package/${name}`.padEnd(34) + `${(statSync(path.join(dir, name)).size / 1024).toFixed(0)} KB`.padStart(8));
  console.log(`dist/${tarball}`);
}
