/**
 * The blob store of sealed uploads (S3; the SDK finds AWS_ENDPOINT_URL_S3 by itself, so locally the
 * same adapter talks to the stand-in). Path-style, so presigned URLs name the regional endpoint that
 * CloudFront's /blobs/* behaviour forwards to. Checksums only when an operation needs one: a
 * presigned PUT carries exactly the SHA-256 the sender declared, and nothing the SDK would add.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { S3BlobStore } from '../../adapters/s3/blob-store.ts';
import type { Config } from '../../config.ts';
import { built, clientOptions, type SdkClientHook } from './sdk-clients.ts';

export function composeBlobs(config: Config, onClient?: SdkClientHook): S3BlobStore | undefined {
  if (!config.blobBucket) return undefined;
  const s3 = built(new S3Client({
    ...clientOptions(config),
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  }), onClient);
  return new S3BlobStore(s3, config.blobBucket);
}
