/**
 * Runs once before all test files: builds dist/ (web client and Lambda bundles) if it is missing, so
 * that `npx vitest` works on a fresh clone and no two test files race to build it.
 */
import { existsSync } from 'node:fs';
import { LAMBDA_ENTRIES, buildLambdas } from '../cdk/build.ts';
import { buildWeb } from '../web/build.ts';

export default async function setup(): Promise<void> {
  const missing = Object.keys(LAMBDA_ENTRIES).some((entry) => !existsSync(`dist/${entry}/index.mjs`)) || !existsSync('dist/web/pickup.html');
  if (missing) {
    await buildWeb();
    await buildLambdas();
  }
}
