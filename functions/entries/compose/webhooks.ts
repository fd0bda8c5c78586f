/**
 * Webhooks and key wrapping: the DynamoDB webhook store, the HTTP sender (with its address policy)
 * and KMS (composeKeys). The sender and KMS are loaded on first use (on-first-call.ts): the HTTP
 * sender brings node:http, node:dns and node:net, which Node compiles on import — about 6 ms of a
 * cold sender API that a send never needs (npm run bench).
 */
import { DynamoDbWebhookStore } from '../../adapters/dynamodb/webhook-store.ts';
import type { HttpWebhookSenderOptions } from '../../adapters/http/webhook-sender.ts';
import type { Config } from '../../config.ts';
import type { Logger } from '../../core/shared/index.ts';
import type { DispatchDeps, WebhookAdminDeps, WebhookSender } from '../../core/webhooks/index.ts';
import { composeStorage, secureRandom, systemClock, type Storage } from './storage.ts';
import type { SdkClientHook } from './sdk-clients.ts';
import { composeKeys } from './custody.ts';
import { onFirstCall } from './on-first-call.ts';

export function composeWebhooks(config: Config, logger: Logger, storage: Storage = composeStorage(config), onClient?: SdkClientHook): WebhookAdminDeps & DispatchDeps {
  const urlPolicy = { allowInsecureHttp: config.webhooksAllowLocal, allowLoopback: config.webhooksAllowLocal };
  return {
    webhooks: new DynamoDbWebhookStore(storage.dynamo, config.tableName),
    events: storage.events,
    keys: composeKeys(config, onClient),
    sender: composeWebhookSender(urlPolicy),
    clock: systemClock,
    random: secureRandom,
    logger,
    urlPolicy,
  };
}

/** The HTTP webhook sender, its module loaded on the first delivery or test ping. */
export function composeWebhookSender(options: HttpWebhookSenderOptions): WebhookSender {
  return onFirstCall<WebhookSender>('Webhook delivery', { send: true }, async () => {
    const { HttpWebhookSender } = await import('../../adapters/http/webhook-sender.ts');
    return new HttpWebhookSender(options);
  });
}
