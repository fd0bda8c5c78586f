/** The sender and admin API: sealing (the protocol's own RFC 9580 subset), notification (SES), webhooks, custody and recovery (KMS), secure replies. */
import type { Config } from '../../config.ts';
import type { Logger } from '../../core/shared/index.ts';
import type { ApiDeps } from '../../http/app.ts';
import { composeStorage, secureRandom, systemClock, type Storage } from './storage.ts';
import { composeWebhooks } from './webhooks.ts';
import { composeCustody, composeKeys } from './custody.ts';
import { DynamoDbReplyRecorder } from '../../adapters/dynamodb/reply-recorder.ts';
import { authorizeRecipient } from '../../core/pickup/index.ts';
import { messageCenterCustody } from '../../core/message-center/index.ts';
import { SubsetSealer } from '../../core/protocol/index.ts';
import { nodeSyncCrypto } from '../../adapters/node-crypto/gcm.ts';
import type { SdkClientHook } from './sdk-clients.ts';
import { composeNotifier } from './mail.ts';
import { composeBlobs } from './blobs.ts';
import { DynamoDbUploadStore } from '../../adapters/dynamodb/upload-store.ts';

/** The sender API's sealer: the protocol's subset, sealed with node:crypto's AES-GCM, SHA-256 and HKDF. */
export function composeSealer(): SubsetSealer {
  return new SubsetSealer(secureRandom, nodeSyncCrypto);
}

export function composeSender(config: Config, logger: Logger, storage: Storage = composeStorage(config), onClient?: SdkClientHook): ApiDeps {
  const keys = composeKeys(config, onClient);
  const custody = composeCustody(config, logger, storage, keys);
  const blobs = composeBlobs(config, onClient);
  const send = {
    tenants: storage.tenants,
    store: storage.store,
    events: storage.events,
    idempotency: storage.idempotency,
    sealer: composeSealer(),
    notifier: composeNotifier(config, logger, storage.tenants, onClient),
    clock: systemClock,
    random: secureRandom,
    portalOrigin: config.portalOrigin,
    logger,
    custody: messageCenterCustody({ keys, inbox: custody.inbox, random: secureRandom }),
    ...(blobs ? { blobs } : {}),
  };
  return {
    ...send,
    ...(blobs ? { uploads: { uploads: new DynamoDbUploadStore(storage.dynamo, config.tableName), blobs, maxUploadBytes: config.maxUploadBytes } } : {}),
    webhookAdmin: composeWebhooks(config, logger, storage, onClient),
    recovery: custody.recovery,
    // Secure replies: the recipient is checked exactly as for an open, then the reply goes through
    // the same sealing pipeline as a sender's message.
    reply: {
      ...send,
      replies: new DynamoDbReplyRecorder(storage.dynamo, config.tableName),
      authorize: (messageId, credentials, ctx) => authorizeRecipient(send, messageId, credentials, ctx),
    },
  };
}
