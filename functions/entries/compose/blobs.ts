/**
 * The blob store of sealed uploads (S3; the SDK finds AWS_ENDPOINT_URL_S3 by itself, so locally the
 * same adapter talks to the stand-in). Path-style, so presigned URLs name the regional endpoint that
 * CloudFront's /blobs/* behaviour forwards to. Checksums only when an operation needs one: a
 * presigned PUT carries exactly the SHA-256 the sender declared, and nothing the SDK would add.
 */
import type { S3BlobStore } from '../../adapters/s3/blob-store.ts';
import { S3Downloads } from '../../adapters/s3/downloads.ts';
import type { Config } from '../../config.ts';
import type { BlobDownloads, BlobStore } from '../../core/messages/index.ts';
import { onFirstCall } from './on-first-call.ts';
import { built, clientOptions, type SdkClientHook } from './sdk-clients.ts';

/** The blob store, its S3 client and adapter loaded on first use (on-first-call.ts): most requests never touch S3. */
export function composeBlobs(config: Config, onClient?: SdkClientHook): (BlobStore & BlobDownloads) | undefined {
  const bucket = config.blobBucket;
  if (!bucket) return undefined;
  return onFirstCall<BlobStore & BlobDownloads>(
    'S3',
    { uploadUrl: true, write: true, read: true, commit: true, uncommit: true, delete: true, downloadUrl: true },
    () => s3BlobStore(config, bucket, onClient),
  );
}

/** The blob store itself: its S3 client built now. */
export async function s3BlobStore(config: Config, bucket: string, onClient?: SdkClientHook): Promise<S3BlobStore> {
  const { S3Client, S3BlobStore } = await import('../../adapters/s3/blob-store.ts');
  const s3 = built(new S3Client({
    ...clientOptions(config),
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  }), onClient);
  return new S3BlobStore(s3, bucket);
}

/**
 * The portal's download URLs: signed with the function's own credentials (Lambda puts them in the
 * environment and renews them; read at each signing) for the same endpoint the S3 client would use.
 */
export function composeDownloads(config: Config, env: NodeJS.ProcessEnv = process.env): S3Downloads | undefined {
  if (!config.blobBucket) return undefined;
  return new S3Downloads({
    endpoint: env.AWS_ENDPOINT_URL_S3 ?? `https://s3.${config.region}.amazonaws.com`,
    region: config.region,
    bucket: config.blobBucket,
    credentials: () => {
      const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
      if (!accessKeyId || !secretAccessKey) throw new Error('no AWS credentials in the environment to sign download URLs with');
      return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
    },
    clock: () => new Date(),
  });
}
