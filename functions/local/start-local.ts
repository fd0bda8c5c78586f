/**
 * The whole local product in one call: stand-ins, table, demo tenant, API + portal. `npm start` and
 * the end-to-end tests both use it, so what the tests drive is what a person runs.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { generateApiKey, MIN_API_KEY_LENGTH } from '../core/api-keys.ts';
import { loadWebAssets } from '../adapters/fs-web-assets.ts';
import { JsonLogger, type LogLevel } from '../adapters/json-logger.ts';
import { loadConfig } from '../config.ts';
import { composeSender } from '../entries/compose-sender.ts';
import { composeReader, composeStorage, secureRandom } from '../entries/compose-storage.ts';
import { createApp } from '../http/app.ts';
import { DEMO_TENANT, LOCAL_TABLE_NAME as TABLE_NAME, seedLocal } from './bootstrap.ts';
import { freePort, startDynamoDb, startMailbox } from './stand-ins.ts';

export interface LocalOptions {
  readonly port?: number;
  readonly dynamoDbPort?: number;
  readonly mailboxPort?: number;
  readonly dataDir?: string;
  /** Keep DynamoDB in memory instead of under dataDir (tests). */
  readonly inMemory?: boolean;
  readonly devApiKey?: string;
  readonly webDir?: string;
  /** Where structured log lines go (default: stdout/stderr). */
  readonly logWrite?: (line: string, level: string) => void;
  /** Overrides SEALPOST_LOG_LEVEL. */
  readonly logLevel?: LogLevel;
}

export interface LocalStack {
  readonly appUrl: string;
  readonly dynamoDbEndpoint: string;
  readonly mailboxUrl: string;
  readonly apiKey: string;
  readonly apiKeySource: 'SEALPOST_DEV_API_KEY' | 'generated' | 'data dir';
  readonly tableName: string;
  readonly dataDir: string;
  close(): Promise<void>;
}


function resolveDevKey(dataDir: string, given?: string): { key: string; source: LocalStack['apiKeySource'] } {
  if (given !== undefined) {
    if (given.length < MIN_API_KEY_LENGTH) throw new Error(`SEALPOST_DEV_API_KEY must be at least ${MIN_API_KEY_LENGTH} characters`);
    return { key: given, source: 'SEALPOST_DEV_API_KEY' };
  }
  const file = join(dataDir, 'dev-api-key');
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), source: 'data dir' };
  const key = generateApiKey(secureRandom);
  writeFileSync(file, key + '\n', { mode: 0o600 });
  return { key, source: 'generated' };
}

export async function startLocal(options: LocalOptions = {}): Promise<LocalStack> {
  const dataDir = resolve(options.dataDir ?? '.data');
  mkdirSync(dataDir, { recursive: true });
  const dynamo = await startDynamoDb({ port: options.dynamoDbPort ?? 8000, ...(options.inMemory ? {} : { path: join(dataDir, 'dynamodb') }) });
  const mailbox = await startMailbox({ port: options.mailboxPort ?? 8005 }).catch(async (error: unknown) => {
    await dynamo.close();
    throw error;
  });

  // Port 0 (tests): pick the port first, because the portal origin in every link must name it.
  const port = options.port === 0 ? await freePort() : options.port ?? 3000;
  // The only difference from AWS: endpoints. Local credentials are never real ones.
  const env: NodeJS.ProcessEnv = {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SES: mailbox.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    SEALPOST_TABLE: TABLE_NAME,
    SEALPOST_PORTAL_ORIGIN: `http://localhost:${port}`,
    SEALPOST_WEB_DIR: options.webDir ?? 'dist/web',
  };
  Object.assign(process.env, env);

  try {
    const { key, source } = resolveDevKey(dataDir, options.devApiKey);
    const config = loadConfig(process.env);
    const logger = new JsonLogger({ service: 'sealpost', mode: 'local' }, options.logWrite, options.logLevel ?? config.logLevel);
    const storage = composeStorage(config);
    await seedLocal(storage.dynamo, TABLE_NAME, key, DEMO_TENANT);
    const app = createApp({
      logger,
      api: composeSender(config, logger, storage),
      portal: { ...composeReader(config, logger, storage), web: loadWebAssets(config.webDir) },
    });
    const server = await new Promise<ServerType>((resolveServer, reject) => {
      const s = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolveServer(s));
      s.once('error', reject);
    });
    return {
      appUrl: config.portalOrigin,
      dynamoDbEndpoint: dynamo.endpoint,
      mailboxUrl: mailbox.endpoint,
      apiKey: key,
      apiKeySource: source,
      tableName: TABLE_NAME,
      dataDir,
      close: async () => {
        server.close();
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        await Promise.all([mailbox.close(), dynamo.close()]);
      },
    };
  } catch (error) {
    await Promise.all([mailbox.close(), dynamo.close()]);
    throw error;
  }
}
