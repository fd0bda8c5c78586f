/**
 * How every SDK client an entry builds is configured, and what it passes through. The hook is
 * absent in AWS; the local stack (startLocal's `onSdkClient`) hands it on so that a test can add
 * middleware to each client as it is built — the fault injection of test/e2e/faults.test.ts. Core
 * and http never see a client, so they cannot know about it. Type-only imports: no bundle gains an
 * SDK it did not have.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SESClient } from '@aws-sdk/client-ses';
import type { Config } from '../../config.ts';

export type SdkClient = DynamoDBClient | SESClient | KMSClient | S3Client;

/** Sees each SDK client once, right after it is built (tests only). */
export type SdkClientHook = (client: SdkClient) => void;

/** `client`, after the hook (if any) has seen it. */
export function built<C extends SdkClient>(client: C, onClient: SdkClientHook | undefined): C {
  onClient?.(client);
  return client;
}

/** How long one attempt of an SDK call may wait for a connection, and then for its answer. */
export const SDK_TIMEOUTS = { connectionTimeout: 1_000, requestTimeout: 2_000 } as const;

/**
 * The options every client is built with. The SDK's own default is to wait for ever: a dependency
 * that accepts a connection and never answers would hold the request until the Lambda's timeout,
 * whose bare 5xx tells nobody what happened. With a timeout the SDK gives the attempt up as a
 * TimeoutError, retries as for any transient failure, and the error reaches the adapters, which
 * answer with what happened. All attempts of one call fit in the portal's 10 s (DynamoDB: 4 × 2 s).
 */
export function clientOptions(config: Pick<Config, 'region'>) {
  // throwOnRequestTimeout: without it the handler only logs a warning when requestTimeout passes.
  return { region: config.region, requestHandler: { ...SDK_TIMEOUTS, throwOnRequestTimeout: true } };
}
