/**
 * Webhooks and key wrapping: the DynamoDB webhook store, the HTTP sender (with its address policy)
 * and KMS. The SDK finds AWS_ENDPOINT_URL_KMS by itself, so locally the same adapter talks to the
 * KMS stand-in.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { DynamoDbWebhookStore } from '../../adapters/dynamodb/webhook-store.ts';
import { HttpWebhookSender } from '../../adapters/http/webhook-sender.ts';
import { KmsKeyWrapper } from '../../adapters/kms/key-wrapper.ts';
import type { Config } from '../../config.ts';
import type { Logger } from '../../core/shared/index.ts';
import type { DispatchDeps, WebhookAdminDeps } from '../../core/webhooks/index.ts';
import { composeStorage, secureRandom, systemClock, type Storage } from './storage.ts';
import { built, clientOptions, type SdkClientHook } from './sdk-clients.ts';

export function composeWebhooks(config: Config, logger: Logger, storage: Storage = composeStorage(config), onClient?: SdkClientHook): WebhookAdminDeps & DispatchDeps {
  const urlPolicy = { allowInsecureHttp: config.webhooksAllowLocal, allowLoopback: config.webhooksAllowLocal };
  return {
    webhooks: new DynamoDbWebhookStore(storage.dynamo, config.tableName),
    events: storage.events,
    keys: new KmsKeyWrapper(built(new KMSClient(clientOptions(config)), onClient), config.kmsKeyId),
    sender: new HttpWebhookSender(urlPolicy),
    clock: systemClock,
    random: secureRandom,
    logger,
    urlPolicy,
  };
}
