/**
 * The whole local product in one call: stand-ins, table, demo tenant, API + portal. `npm start` and
 * the end-to-end tests both use it, so what the tests drive is what a person runs.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { generateApiKey, MIN_API_KEY_LENGTH } from '../../core/tenants/index.ts';
import { loadWebAssets } from '../../adapters/fs/web-assets.ts';
import { JsonLogger } from '../../adapters/log/json-logger.ts';
import type { LogLevel } from '../../core/shared/index.ts';
import { loadConfig } from '../../config.ts';
import { composeSender } from '../compose/sender.ts';
import { composeReader, composeStorage, secureRandom } from '../compose/storage.ts';
import { composePortalMail } from '../compose/mail.ts';
import { createApp } from '../../http/app.ts';
import { DEMO_TENANT, LOCAL_TABLE_NAME as TABLE_NAME, seedLocal } from './bootstrap.ts';
import { freePort, startDynamoDb, startMailbox } from '../../stand-ins/stand-ins.ts';
import { startKms } from '../../stand-ins/kms-stand-in.ts';
import { runMaintenance, type MaintenanceSummary } from '../../core/maintenance/index.ts';
import { composeWebhooks } from '../compose/webhooks.ts';
import { composeInbox, composeKeys, composeRecoveries } from '../compose/custody.ts';
import type { SdkClientHook } from '../compose/sdk-clients.ts';

export interface LocalOptions {
  readonly port?: number;
  readonly dynamoDbPort?: number;
  readonly mailboxPort?: number;
  readonly dataDir?: string;
  /** Keep DynamoDB in memory instead of under dataDir (tests). */
  readonly inMemory?: boolean;
  readonly devApiKey?: string;
  /** The demo tenant's admin key (SEALPOST_DEV_ADMIN_KEY); generated and kept in dataDir otherwise. */
  readonly devAdminKey?: string;
  readonly webDir?: string;
  /** Where structured log lines go (default: stdout/stderr). */
  readonly logWrite?: (line: string, level: string) => void;
  /** Overrides SEALPOST_LOG_LEVEL. */
  readonly logLevel?: LogLevel;
  /** How often expirations are recorded and webhooks delivered (default 2 s; 0 turns it off: runMaintenance() runs it). */
  readonly maintenanceIntervalMs?: number;
  /**
   * Tests only: sees every AWS SDK client the stack builds, right after it is built (e.g. to add a
   * fault-injecting middleware). The product itself never knows.
   */
  readonly onSdkClient?: SdkClientHook;
  /** Tests only: how long an inbox code request takes at least (default SIGN_IN_ANSWER_MS, as in AWS). */
  readonly signInAnswerMs?: number;
}

export interface LocalStack {
  readonly appUrl: string;
  readonly dynamoDbEndpoint: string;
  readonly mailboxUrl: string;
  readonly kmsEndpoint: string;
  readonly apiKey: string;
  readonly apiKeySource: KeySource;
  readonly adminKey: string;
  readonly adminKeySource: KeySource;
  readonly tableName: string;
  readonly dataDir: string;
  /** One maintenance run now (expirations, then webhook deliveries), after any run in progress. */
  runMaintenance(): Promise<MaintenanceSummary>;
  close(): Promise<void>;
}


type KeySource = 'environment' | 'generated' | 'data dir';

/** A development key: given by the environment, else the one kept in the data dir, else a new one (kept there). */
function resolveDevKey(dataDir: string, file: string, variable: string, given?: string): { key: string; source: KeySource } {
  if (given !== undefined) {
    if (given.length < MIN_API_KEY_LENGTH) throw new Error(`${variable} must be at least ${MIN_API_KEY_LENGTH} characters`);
    return { key: given, source: 'environment' };
  }
  const path = join(dataDir, file);
  if (existsSync(path)) return { key: readFileSync(path, 'utf8').trim(), source: 'data dir' };
  const { key } = generateApiKey(secureRandom);
  writeFileSync(path, key + '\n', { mode: 0o600 });
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
  // The KMS stand-in on a free port: nothing outside this process needs to find it.
  const kms = await startKms({ port: 0, ...(options.inMemory ? {} : { dataDir }) }).catch(async (error: unknown) => {
    await Promise.all([mailbox.close(), dynamo.close()]);
    throw error;
  });
  const closeStandIns = () => Promise.all([mailbox.close(), dynamo.close(), kms.close()]);

  // Port 0 (tests): pick the port first, because the portal origin in every link must name it.
  const port = options.port === 0 ? await freePort() : options.port ?? 3000;
  // The only difference from AWS: endpoints. Local credentials are never real ones.
  const env: NodeJS.ProcessEnv = {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SES: mailbox.endpoint,
    AWS_ENDPOINT_URL_KMS: kms.endpoint,
    SEALPOST_KMS_KEY_ID: kms.keyId,
    // Local mode only: webhook receivers on this machine over plain http.
    SEALPOST_WEBHOOKS_ALLOW_LOCAL: 'true',
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
    const send = resolveDevKey(dataDir, 'dev-api-key', 'SEALPOST_DEV_API_KEY', options.devApiKey);
    const admin = resolveDevKey(dataDir, 'dev-admin-key', 'SEALPOST_DEV_ADMIN_KEY', options.devAdminKey);
    const config = loadConfig(process.env);
    const logger = new JsonLogger({ service: 'sealpost', mode: 'local' }, options.logWrite, options.logLevel ?? config.logLevel);
    const { onSdkClient } = options;
    const storage = composeStorage(config, onSdkClient);
    await seedLocal(storage.dynamo, TABLE_NAME, { sendKey: send.key, adminKey: admin.key }, DEMO_TENANT);
    const reader = composeReader(config, logger, storage);
    const mail = composePortalMail(config, logger, storage.tenants, onSdkClient);
    const app = createApp({
      logger,
      api: composeSender(config, logger, storage, onSdkClient),
      portal: { ...reader, ...mail, recoveries: composeRecoveries(config, storage), web: loadWebAssets(config.webDir) },
      inbox: composeInbox(config, logger, storage, mail.notifier, composeKeys(config, onSdkClient), options.signInAnswerMs),
    });
    const maintenance = startMaintenanceLoop({ ...reader, ...composeWebhooks(config, logger, storage, onSdkClient) }, options.maintenanceIntervalMs ?? 2000);
    const server = await new Promise<ServerType>((resolveServer, reject) => {
      const s = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolveServer(s));
      s.once('error', reject);
    });
    return {
      appUrl: config.portalOrigin,
      dynamoDbEndpoint: dynamo.endpoint,
      mailboxUrl: mailbox.endpoint,
      kmsEndpoint: kms.endpoint,
      apiKey: send.key,
      apiKeySource: send.source,
      adminKey: admin.key,
      adminKeySource: admin.source,
      tableName: TABLE_NAME,
      dataDir,
      runMaintenance: maintenance.runNow,
      close: async () => {
        await maintenance.stop();
        server.close();
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        await closeStandIns();
      },
    };
  } catch (error) {
    await closeStandIns();
    throw error;
  }
}

/**
 * Runs the scheduled work on an interval (none when `intervalMs` is 0), never two runs at once;
 * runNow() runs it once more after any run in progress; stop() waits for a run in progress.
 */
function startMaintenanceLoop(deps: Parameters<typeof runMaintenance>[0], intervalMs: number): { runNow(): Promise<MaintenanceSummary>; stop(): Promise<void> } {
  let running: Promise<unknown> | undefined;
  const run = (): Promise<MaintenanceSummary> => {
    const summary = runMaintenance(deps, { budgetMs: Math.max(intervalMs * 5, 10_000) });
    running = summary.finally(() => { running = undefined; });
    return summary;
  };
  const timer = intervalMs > 0 ? setInterval(() => { if (!running) void run(); }, intervalMs) : undefined;
  timer?.unref();
  return {
    runNow: async () => {
      while (running) await running.catch(() => undefined);
      return run();
    },
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
