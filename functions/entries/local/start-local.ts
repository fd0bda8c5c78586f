/**
 * The whole local product in one call: stand-ins, table, demo tenant, API + portal. `npm start` and
 * the end-to-end tests both use it, so what the tests drive is what a person runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serve, type Http2Bindings, type HttpBindings, type ServerType } from '@hono/node-server';
import { generateApiKey } from '../../core/tenants/index.ts';
import { loadWebAssets } from '../../adapters/fs/web-assets.ts';
import { JsonLogger } from '../../adapters/log/json-logger.ts';
import type { LogLevel, Logger } from '../../core/shared/index.ts';
import { loadConfig } from '../../config.ts';
import { composeSender } from '../compose/sender.ts';
import { composeReader, composeStorage, secureRandom } from '../compose/storage.ts';
import { composePortalMail } from '../compose/mail.ts';
import { createApp } from '../../http/app.ts';
import { apiGroup } from '../../http/api-routes.ts';
import { inboxGroup, portalGroup } from '../../http/portal-routes.ts';
import { DEMO_TENANT, LOCAL_TABLE_NAME as TABLE_NAME, seedLocal } from './bootstrap.ts';
import { DEV_KEYS, existingDevKey, type KeySource } from './dev-keys.ts';
import { freePort, startDynamoDb, startMailbox } from '../../stand-ins/stand-ins.ts';
import { startKms } from '../../stand-ins/kms-stand-in.ts';
import { startS3 } from '../../stand-ins/s3-stand-in.ts';
import { composeBlobs, composeDownloads } from '../compose/blobs.ts';
import { BLOB_SECURITY_HEADERS } from '../../http/middleware/security-headers.ts';
import { PART_CONTENT_TYPE } from '../../adapters/s3/keys.ts';
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
  /** The logger itself (npm start: lines for a person); logWrite and logLevel then do not apply. */
  readonly logger?: Logger;
  /** How often expirations are recorded and webhooks delivered (default 2 s; 0 turns it off: runMaintenance() runs it). */
  readonly maintenanceIntervalMs?: number;
  /**
   * Tests only: sees every AWS SDK client the stack builds, right after it is built (e.g. to add a
   * fault-injecting middleware). The product itself never knows.
   */
  readonly onSdkClient?: SdkClientHook;
  /** Tests only: how long an inbox code request takes at least (default SIGN_IN_ANSWER_MS, as in AWS). */
  readonly signInAnswerMs?: number;
  /** How long the portal keeps a tenant in memory (core/tenants/cached.ts; default TENANT_CACHE_MS; the faults suite: 0, so every open reads it). */
  readonly tenantCacheMs?: number;
  /**
   * Tests only: told of every request once the app has answered it, with the request target exactly
   * as it arrived (path and query, undecoded), so a test can prove what reached the server's URLs.
   * It sees, and changes, nothing else: the response is the app's own.
   */
  readonly onRequest?: (seen: SeenRequest) => void;
}

/** A request as the local server received it (LocalOptions.onRequest). */
export interface SeenRequest {
  readonly method: string;
  /** The raw request target: path and query as sent, not decoded or normalised. */
  readonly target: string;
  readonly headers: Headers;
  readonly status: number;
}

export interface LocalStack {
  readonly appUrl: string;
  readonly dynamoDbEndpoint: string;
  readonly mailboxUrl: string;
  readonly kmsEndpoint: string;
  /** The S3 stand-in (sealed uploads' parts), and the bucket the stack uses in it. */
  readonly s3Endpoint: string;
  readonly blobBucket: string;
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


/** A development key: given by the environment, else the one kept in the data dir, else a new one (kept there). */
function resolveDevKey(dataDir: string, which: keyof typeof DEV_KEYS, given?: string): { key: string; source: KeySource } {
  const existing = existingDevKey(dataDir, which, given);
  if (existing) return existing;
  const { key } = generateApiKey(secureRandom);
  writeFileSync(join(dataDir, DEV_KEYS[which].file), key + '\n', { mode: 0o600 });
  return { key, source: 'generated' };
}

export async function startLocal(options: LocalOptions = {}): Promise<LocalStack> {
  const dataDir = resolve(options.dataDir ?? '.data');
  mkdirSync(dataDir, { recursive: true });
  const dynamo = await startDynamoDb({ port: options.dynamoDbPort ?? 8000, ...(options.inMemory ? {} : { path: join(dataDir, 'dynamodb') }) });
  const mailbox = await startMailbox({ port: options.mailboxPort ?? 8005, ...(options.inMemory ? {} : { path: join(dataDir, 'mailbox.json') }) }).catch(async (error: unknown) => {
    await dynamo.close();
    throw error;
  });
  // The KMS stand-in on a free port: nothing outside this process needs to find it.
  const kms = await startKms({ port: 0, ...(options.inMemory ? {} : { dataDir }) }).catch(async (error: unknown) => {
    await Promise.all([mailbox.close(), dynamo.close()]);
    throw error;
  });
  const s3 = await startS3({ port: 0, ...(options.inMemory ? {} : { dataDir }) }).catch(async (error: unknown) => {
    await Promise.all([mailbox.close(), dynamo.close(), kms.close()]);
    throw error;
  });
  const closeStandIns = () => Promise.all([mailbox.close(), dynamo.close(), kms.close(), s3.close()]);

  // Port 0 (tests): pick the port first, because the portal origin in every link must name it.
  const port = options.port === 0 ? await freePort() : options.port ?? 3000;
  // The only difference from AWS: endpoints. Local credentials are never real ones.
  const env: NodeJS.ProcessEnv = {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SES: mailbox.endpoint,
    AWS_ENDPOINT_URL_KMS: kms.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    SEALPOST_BLOB_BUCKET: LOCAL_BLOB_BUCKET,
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
    const send = resolveDevKey(dataDir, 'send', options.devApiKey);
    const admin = resolveDevKey(dataDir, 'admin', options.devAdminKey);
    const config = loadConfig(process.env);
    const logger = options.logger ?? new JsonLogger({ service: 'sealpost', mode: 'local' }, options.logWrite, options.logLevel ?? config.logLevel);
    const { onSdkClient } = options;
    const storage = composeStorage(config, onSdkClient);
    await seedLocal(storage.dynamo, TABLE_NAME, { sendKey: send.key, adminKey: admin.key }, DEMO_TENANT);
    const reader = composeReader(config, logger, storage, options.tenantCacheMs);
    const mail = composePortalMail(config, logger, storage.tenants, onSdkClient);
    const app = createApp({
      logger,
      api: composeSender(config, logger, storage, onSdkClient),
      portal: { ...reader, ...mail, downloads: composeDownloads(config), recoveries: composeRecoveries(config, storage), web: loadWebAssets(config.webDir) },
      inbox: composeInbox(config, logger, storage, mail.notifier, composeKeys(config, onSdkClient), options.signInAnswerMs),
    }, apiGroup, portalGroup, inboxGroup);
    const maintenance = startMaintenanceLoop({ ...reader, ...composeWebhooks(config, logger, storage, onSdkClient), blobs: composeBlobs(config, onSdkClient) }, options.maintenanceIntervalMs ?? 2000);
    const { onRequest } = options;
    const served = withBlobProxy(app.fetch, s3.endpoint, LOCAL_BLOB_BUCKET);
    const fetch = onRequest === undefined ? served : async (request: Request, env: HttpBindings | Http2Bindings) => {
      const response = await served(request, env);
      onRequest({ method: request.method, target: env.incoming.url ?? '', headers: request.headers, status: response.status });
      return response;
    };
    const server = await new Promise<ServerType>((resolveServer, reject) => {
      const s = serve({ fetch, port, hostname: '127.0.0.1' }, () => resolveServer(s));
      s.once('error', reject);
    });
    return {
      appUrl: config.portalOrigin,
      dynamoDbEndpoint: dynamo.endpoint,
      mailboxUrl: mailbox.endpoint,
      kmsEndpoint: kms.endpoint,
      s3Endpoint: s3.endpoint,
      blobBucket: LOCAL_BLOB_BUCKET,
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

/** The bucket sealed uploads use in the S3 stand-in. */
export const LOCAL_BLOB_BUCKET = 'sealpost-blobs-local';

const BLOB_PATH = /^\/blobs\/[A-Za-z0-9_-]{1,64}\/\d{1,6}$/;

/**
 * What CloudFront's /blobs/* behaviour does in AWS: GET and HEAD of /blobs/<id>/<n>?<presigned
 * query> go to the bucket (the stand-in) at /<bucket>/blobs/…, unchanged but for the host, and the
 * answer comes back uncached with the parts' own security headers (BLOB_SECURITY_HEADERS: a CSP
 * that allows nothing and sandboxes) and as application/octet-stream whatever the bucket said.
 * A request without a presigned signature is refused here (403) and never reaches the bucket.
 * Everything else goes to the app.
 */
function withBlobProxy(fetchApp: (request: Request, env: HttpBindings | Http2Bindings) => Response | Promise<Response>, s3Endpoint: string, bucket: string) {
  return async (request: Request, env: HttpBindings | Http2Bindings): Promise<Response> => {
    const url = new URL(request.url);
    if (!url.pathname.startsWith('/blobs/')) return fetchApp(request, env);
    const headers = { ...BLOB_SECURITY_HEADERS, 'Cache-Control': 'no-store' };
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405, headers: { ...headers, Allow: 'GET, HEAD' } });
    if (!BLOB_PATH.test(url.pathname)) return new Response(null, { status: 404, headers });
    // As S3 answers a private bucket's object: only a presigned URL is served, never a bare path.
    if (!url.searchParams.has('X-Amz-Signature')) return new Response(null, { status: 403, headers });
    const answer = await globalThis.fetch(`${s3Endpoint}/${bucket}${url.pathname}${url.search}`, { method: request.method });
    const passed = ['content-length', 'content-disposition', 'etag', 'last-modified'].flatMap((name) => {
      const value = answer.headers.get(name);
      return value === null ? [] : [[name, value] as [string, string]];
    });
    return new Response(request.method === 'HEAD' ? null : answer.body, {
      status: answer.status,
      headers: { ...Object.fromEntries(passed), 'Content-Type': PART_CONTENT_TYPE, ...headers },
    });
  };
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
