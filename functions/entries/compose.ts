/**
 * Builds the real adapters from config. Every entry (Lambda or local) goes through here, so the same
 * adapters run in AWS and locally; only AWS_ENDPOINT_URL_* differ.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoDbEventLog } from '../adapters/dynamodb-event-log.ts';
import { DynamoDbIdempotencyStore } from '../adapters/dynamodb-idempotency-store.ts';
import { DynamoDbMessageStore } from '../adapters/dynamodb-message-store.ts';
import { DynamoDbTenantDirectory } from '../adapters/dynamodb-tenant-directory.ts';
import { JsonLogger } from '../adapters/json-logger.ts';
import { NodemailerMimeComposer } from '../adapters/nodemailer-mime-composer.ts';
import { OpenPgpSealer } from '../adapters/openpgp-sealer.ts';
import { SesNotifier } from '../adapters/ses-notifier.ts';
import type { Config } from '../config.ts';
import type { AppDeps } from '../http/app.ts';
import type { WebAssets } from '../http/routes/portal.ts';

export const secureRandom = (length: number): Uint8Array => new Uint8Array(randomBytes(length));

export function composeDeps(config: Config, options: { web?: WebAssets; logger?: JsonLogger } = {}): AppDeps & { dynamo: DynamoDBClient; tenants: DynamoDbTenantDirectory } {
  // The SDK picks up AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SES by itself.
  const dynamo = new DynamoDBClient({ region: config.region });
  const ses = new SESClient({ region: config.region });
  const clock = () => new Date();
  const logger = options.logger ?? new JsonLogger({ service: 'sealpost' }, undefined, config.logLevel);
  return {
    dynamo,
    tenants: new DynamoDbTenantDirectory(dynamo, config.tableName),
    store: new DynamoDbMessageStore(dynamo, config.tableName),
    events: new DynamoDbEventLog(dynamo, config.tableName, secureRandom),
    idempotency: new DynamoDbIdempotencyStore(dynamo, config.tableName, clock),
    sealer: new OpenPgpSealer(),
    mime: new NodemailerMimeComposer(),
    notifier: new SesNotifier(ses, { logger, ...(config.sesConfigurationSet ? { configurationSetName: config.sesConfigurationSet } : {}) }),
    clock,
    random: secureRandom,
    portalOrigin: config.portalOrigin,
    logger,
    ...(options.web ? { web: options.web } : {}),
  };
}
