/**
 * What every SDK client an entry builds passes through. In AWS, nothing: the hook is absent. The
 * local stack (startLocal's `onSdkClient`) hands it on so that a test can add middleware to each
 * client as it is built — the fault injection of test/e2e/faults.test.ts. Core and http never see
 * a client, so they cannot know about it. Type-only imports: no bundle gains an SDK it did not have.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SESClient } from '@aws-sdk/client-ses';

export type SdkClient = DynamoDBClient | SESClient | KMSClient;

/** Sees each SDK client once, right after it is built (tests only). */
export type SdkClientHook = (client: SdkClient) => void;

/** `client`, after the hook (if any) has seen it. */
export function built<C extends SdkClient>(client: C, onClient: SdkClientHook | undefined): C {
  onClient?.(client);
  return client;
}
