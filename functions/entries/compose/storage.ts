/**
 * The DynamoDB side of every entry, built from config. Entries import only the compose modules they
 * need, so each Lambda bundle carries only the code (and SDK clients) its entry reaches. The SDK
 * finds AWS_ENDPOINT_URL_DYNAMODB by itself: the same adapters run in AWS and locally.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbEventLog } from '../../adapters/dynamodb/event-log.ts';
import { DynamoDbIdempotencyStore } from '../../adapters/dynamodb/idempotency-store.ts';
import { DynamoDbMessageStore } from '../../adapters/dynamodb/message-store.ts';
import { DynamoDbTenantDirectory } from '../../adapters/dynamodb/tenant-directory.ts';
import { JsonLogger } from '../../adapters/log/json-logger.ts';
import type { Config } from '../../config.ts';
import type { Logger } from '../../core/shared/index.ts';
import { TENANT_CACHE_MS, cachedTenantReads } from '../../core/tenants/index.ts';
import { built, clientOptions, type SdkClientHook } from './sdk-clients.ts';

export const secureRandom = (length: number): Uint8Array => new Uint8Array(randomBytes(length));
export const systemClock = (): Date => new Date();

export function composeLogger(config: Config): JsonLogger {
  return new JsonLogger({ service: 'sealpost' }, undefined, config.logLevel);
}

export function composeStorage(config: Config, onClient?: SdkClientHook) {
  const dynamo = built(new DynamoDBClient(clientOptions(config)), onClient);
  const events = new DynamoDbEventLog(dynamo, config.tableName, secureRandom);
  return {
    dynamo,
    tenants: new DynamoDbTenantDirectory(dynamo, config.tableName),
    // A message's state changes carry their audit events in the same write.
    store: new DynamoDbMessageStore(dynamo, config.tableName, events),
    events,
    idempotency: new DynamoDbIdempotencyStore(dynamo, config.tableName, systemClock),
  };
}

export type Storage = ReturnType<typeof composeStorage>;

/** What reading a message needs: the portal (tenants for its brand) and the mail-feedback processor. */
export function composeReader(config: Config, logger: Logger, storage: Storage = composeStorage(config), tenantCacheMs = TENANT_CACHE_MS) {
  // The portal reads a message's tenant on every page and open: from memory for a few seconds (core/tenants/cached.ts).
  return { store: storage.store, events: storage.events, tenants: cachedTenantReads(storage.tenants, systemClock, tenantCacheMs), clock: systemClock, logger };
}
