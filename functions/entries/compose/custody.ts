/**
 * Message Center custody, the recipient inbox and recovery: KMS (the SDK finds
 * AWS_ENDPOINT_URL_KMS by itself, so locally the same adapter talks to the stand-in) and the
 * DynamoDB stores for inbox entries, sign-in codes, sessions and recovery links.
 */
import { DynamoDbInboxStore, DynamoDbRecoveryStore } from '../../adapters/dynamodb/inbox-store.ts';
import { loadInboxAssets } from '../../adapters/fs/web-assets.ts';
import type { KmsKeyWrapper } from '../../adapters/kms/key-wrapper.ts';
import type { Config } from '../../config.ts';
import { issueGrant } from '../../core/pickup/index.ts';
import type { KeyWrapper, Logger, Notifier } from '../../core/shared/index.ts';
import { SIGN_IN_ANSWER_MS, type RecoveryDeps } from '../../core/message-center/index.ts';
import type { InboxRoutesDeps } from '../../http/routes/inbox.ts';
import { onFirstCall } from './on-first-call.ts';
import { secureRandom, systemClock, type Storage } from './storage.ts';
import { built, clientOptions, type SdkClientHook } from './sdk-clients.ts';

/** Key wrapping, its KMS client and adapter loaded on first use (on-first-call.ts): only Message Center, recovery and webhook secrets wrap keys. */
export function composeKeys(config: Config, onClient?: SdkClientHook): KeyWrapper {
  return onFirstCall<KeyWrapper>('KMS', { wrap: true, unwrap: true }, () => kmsKeyWrapper(config, onClient));
}

/** The key wrapper itself: its KMS client built now. */
export async function kmsKeyWrapper(config: Config, onClient?: SdkClientHook): Promise<KmsKeyWrapper> {
  const { KMSClient, KmsKeyWrapper } = await import('../../adapters/kms/key-wrapper.ts');
  return new KmsKeyWrapper(built(new KMSClient(clientOptions(config)), onClient), config.kmsKeyId);
}

/** What the sender API needs for Message Center: wrapping at send, inbox entries, recovery links. */
export function composeCustody(config: Config, logger: Logger, storage: Storage, keys: KeyWrapper = composeKeys(config)): {
  keys: KeyWrapper; inbox: DynamoDbInboxStore; recovery: RecoveryDeps;
} {
  return {
    keys,
    inbox: new DynamoDbInboxStore(storage.dynamo, config.tableName),
    recovery: {
      store: storage.store,
      recoveries: new DynamoDbRecoveryStore(storage.dynamo, config.tableName),
      keys, events: storage.events, clock: systemClock, random: secureRandom, logger, portalOrigin: config.portalOrigin,
    },
  };
}

/** The recipient inbox (served by the portal): sign-in codes by email, sessions, unwrapping. */
export function composeInbox(
  config: Config, logger: Logger, storage: Storage, notifier: Notifier, keys: KeyWrapper = composeKeys(config), signInAnswerMs = SIGN_IN_ANSWER_MS,
): InboxRoutesDeps {
  return {
    inbox: new DynamoDbInboxStore(storage.dynamo, config.tableName),
    store: storage.store,
    tenants: storage.tenants,
    keys,
    events: storage.events,
    notifier,
    clock: systemClock,
    random: secureRandom,
    logger,
    portalOrigin: config.portalOrigin,
    issueGrant: (messageId, rid, now) => issueGrant({ store: storage.store, random: secureRandom }, messageId, rid, now),
    inboxWeb: loadInboxAssets(config.webDir),
    // Every code request answers at the same time, with or without messages for the address.
    pace: { ms: signInAnswerMs, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
  };
}

/** Recovery links are opened through the pickup path (the portal). */
export function composeRecoveries(config: Config, storage: Storage): DynamoDbRecoveryStore {
  return new DynamoDbRecoveryStore(storage.dynamo, config.tableName);
}
