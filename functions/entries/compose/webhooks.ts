/**
 * Webhooks and key wrapping: the DynamoDB webhook store, the HTTP sender (with its address policy)
 * and KMS (composeKeys: loaded on first use).
 */
import { DynamoDbWebhookStore } from '../../adapters/dynamodb/webhook-store.ts';
import { HttpWebhookSender } from '../../adapters/http/webhook-sender.ts';
import type { Config } from '../../config.ts';
import type { Logger } from '../../core/shared/index.ts';
import type { DispatchDeps, WebhookAdminDeps } from '../../core/webhooks/index.ts';
import { composeStorage, secureRandom, systemClock, type Storage } from './storage.ts';
import type { SdkClientHook } from './sdk-clients.ts';
import { composeKeys } from './custody.ts';

export function composeWebhooks(config: Config, logger: Logger, storage: Storage = composeStorage(config), onClient?: SdkClientHook): WebhookAdminDeps & DispatchDeps {
  const urlPolicy = { allowInsecureHttp: config.webhooksAllowLocal, allowLoopback: config.webhooksAllowLocal };
  return {
    webhooks: new DynamoDbWebhookStore(storage.dynamo, config.tableName),
    events: storage.events,
    keys: composeKeys(config, onClient),
    sender: new HttpWebhookSender(urlPolicy),
    clock: systemClock,
    random: secureRandom,
    logger,
    urlPolicy,
  };
}
