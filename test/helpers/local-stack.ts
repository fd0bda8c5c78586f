/** The real local stack for end-to-end tests: the web client built afresh, in-memory DynamoDB, free ports, a throwaway data dir. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocal, type LocalOptions, type LocalStack } from '../../functions/entries/local/start-local.ts';
import { buildWeb } from '../../web/build.ts';

export async function startTestStack(options: LocalOptions = {}): Promise<LocalStack> {
  const webDir = mkdtempSync(join(tmpdir(), 'sealpost-e2e-web-'));
  await buildWeb({ outDir: webDir });
  return startLocal({
    port: 0, dynamoDbPort: 0, mailboxPort: 0, inMemory: true, dataDir: mkdtempSync(join(tmpdir(), 'sealpost-e2e-')), webDir,
    logWrite: () => undefined, ...options,
  });
}
