/**
 * Download URLs of a sealed upload's parts for the portal, kept apart from blob-store.ts so that the
 * portal's bundle carries no S3 client: it only signs (presign.ts).
 */
import type { BlobDownloads } from '../../core/messages/index.ts';
import { DOWNLOAD_OVERRIDES, blobKey } from './keys.ts';
import { presignGet, type SigningCredentials } from './presign.ts';

/**
 * The portal's side: download URLs only, signed without the S3 client (presign.ts), with the
 * function's own credentials (read when signing: Lambda rotates them). Same path-style URL as
 * S3BlobStore would give, the bucket's prefix stripped for the portal's /blobs/* path.
 */
export class S3Downloads implements BlobDownloads {
  constructor(private readonly options: { endpoint: string; region: string; bucket: string; credentials: () => SigningCredentials; clock: () => Date }) {}

  /** The host the URLs are signed for: what CloudFront's /blobs/* origin must be (the CDK stack's tests hold them together). */
  get signedHost(): string {
    return new URL(this.options.endpoint).host;
  }

  async downloadUrl(messageId: string, index: number, expiresInSeconds: number): Promise<string> {
    const { endpoint, region, bucket } = this.options;
    const url = new URL(presignGet({ endpoint, region, bucket, key: blobKey(messageId, index), credentials: this.options.credentials(), expiresInSeconds, now: this.options.clock(),
      // Ciphertext, but still nothing for a browser's or a proxy's disk cache (S3 answers with this
      // Cache-Control), and opaque bytes as an attachment whatever Content-Type the PUT stored.
      responseHeaders: DOWNLOAD_OVERRIDES,
    }));
    return `${url.pathname.slice(`/${bucket}`.length)}${url.search}`;
  }
}
