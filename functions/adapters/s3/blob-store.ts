/**
 * The blob store on S3: a sealed upload's ciphertext as objects `blobs/<messageId>/<index>` in one
 * private bucket (SSE-KMS, lifecycle: the CDK stack's Blobs construct).
 *
 * - A part is written by its sender through a presigned PUT whose signature covers its size, its
 *   SHA-256 (`x-amz-checksum-sha256`, which S3 checks against the bytes), its Content-Type
 *   (`application/octet-stream`: S3 keeps a PUT's Content-Type and answers GETs with it) and the tag
 *   `sealpost-state=pending`: the URL accepts exactly the declared part and nothing else. And
 *   `If-None-Match: *` (S3 conditional writes): a key is written once, and a PUT to a key that
 *   exists is refused (412 Precondition Failed). So no part URL — there may be several for one index,
 *   each valid an hour — can replace a part after the completion has read and checked it.
 * - Committing re-tags the parts `committed`; the bucket's lifecycle deletes `pending` objects a day
 *   after they were written (an upload nobody completed), and every object after the longest
 *   message life. A commit whose head was then not written is undone (re-tagged `pending`).
 * - A recipient's browser downloads a part through a presigned GET, served from the portal's own
 *   origin: the URL's path is `/blobs/…` (the bucket's name is the CloudFront origin's path, and
 *   locally the dev server's proxy adds it), so the page's Content-Security-Policy stays 'self'.
 *
 * Path-style addressing everywhere, so that the signed host is the regional endpoint CloudFront
 * forwards to (and the local stand-in's).
 */
import {
  DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, PutObjectTaggingCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
// The client, for the composition's import() of this module: imported by name here, the SDK is
// tree-shaken to what this adapter uses (an import() of the SDK itself keeps every export).
export { S3Client } from '@aws-sdk/client-s3';
import type { BlobDownloads, BlobStore, PartDeclaration, PartUpload } from '../../core/messages/index.ts';
import { DependencyError } from '../../core/shared/index.ts';
import { DOWNLOAD_OVERRIDES, PART_CONTENT_TYPE, PENDING_STATE, PENDING_TAGGING, STATE_TAG, blobKey } from './keys.ts';
import { collectYoungGarbage } from './young-garbage.ts';

/** The read buffers are collected after every this many bytes of a body, and after a body at least this large (young-garbage.ts). */
const COLLECT_AFTER_BYTES = 1024 * 1024;

export class S3BlobStore implements BlobStore, BlobDownloads {
  constructor(private readonly client: S3Client, private readonly bucket: string) {}

  async uploadUrl(messageId: string, index: number, part: PartDeclaration, expiresInSeconds: number): Promise<PartUpload> {
    const headers = {
      'content-length': String(part.bytes), 'content-type': PART_CONTENT_TYPE, 'if-none-match': '*', 'x-amz-checksum-sha256': part.sha256, 'x-amz-tagging': PENDING_TAGGING,
    };
    const url = await getSignedUrl(this.client, new PutObjectCommand({
      Bucket: this.bucket, Key: blobKey(messageId, index), ContentLength: part.bytes, ContentType: PART_CONTENT_TYPE, IfNoneMatch: '*', ChecksumSHA256: part.sha256, Tagging: PENDING_TAGGING,
    }), {
      expiresIn: expiresInSeconds,
      // Signed headers, not query parameters: the PUT must carry them, and S3 checks the bytes against the checksum.
      unhoistableHeaders: new Set(['x-amz-checksum-sha256', 'x-amz-tagging']),
      // Content-Type too: S3 stores it and serves it back, and a part served as text/html from the
      // portal's origin would be a page of the sender's choosing (the downloads override it as well).
      // If-None-Match: * makes every part write-once (a second PUT of the key is 412).
      signableHeaders: new Set(['content-length', 'content-type', 'if-none-match']),
    });
    return { url, headers };
  }

  async write(messageId: string, index: number, bytes: Uint8Array): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({
        Bucket: this.bucket, Key: blobKey(messageId, index), Body: bytes, ContentLength: bytes.length, ContentType: PART_CONTENT_TYPE,
        IfNoneMatch: '*', Tagging: `${STATE_TAG}=committed`,
      }));
    } catch (error) {
      throw new DependencyError('The message could not be stored (the object store failed), so nothing was sent. It is safe to retry.', 's3', error);
    }
  }

  async read(messageId: string, index: number): Promise<AsyncIterable<Uint8Array> | undefined> {
    try {
      const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: blobKey(messageId, index) }));
      return Body === undefined ? undefined : readingOrFailing(Body as AsyncIterable<Uint8Array>);
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return undefined;
      throw new DependencyError('The uploaded parts could not be read right now. Nothing was sent; retry.', 's3', error);
    }
  }

  commit(messageId: string, parts: number): Promise<void> {
    return this.tag(messageId, parts, 'committed', 'The uploaded parts could not be kept. Nothing was sent; retry.');
  }

  uncommit(messageId: string, parts: number): Promise<void> {
    return this.tag(messageId, parts, PENDING_STATE, 'The uploaded parts could not be marked unfinished again.');
  }

  private async tag(messageId: string, parts: number, state: string, detail: string): Promise<void> {
    try {
      for (let i = 0; i < parts; i += 8) {
        await Promise.all(Array.from({ length: Math.min(8, parts - i) }, (_, j) => this.client.send(new PutObjectTaggingCommand({
          Bucket: this.bucket, Key: blobKey(messageId, i + j), Tagging: { TagSet: [{ Key: STATE_TAG, Value: state }] },
        }))));
      }
    } catch (error) {
      throw new DependencyError(detail, 's3', error);
    }
  }

  async delete(messageId: string, parts: number): Promise<void> {
    try {
      for (let i = 0; i < parts; i += 1000) {
        await this.client.send(new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: Array.from({ length: Math.min(1000, parts - i) }, (_, j) => ({ Key: blobKey(messageId, i + j) })), Quiet: true },
        }));
      }
    } catch (error) {
      throw new DependencyError('The message\'s stored ciphertext could not all be deleted yet. Retry.', 's3', error);
    }
  }

  async downloadUrl(messageId: string, index: number, expiresInSeconds: number): Promise<string> {
    const url = new URL(await getSignedUrl(this.client, new GetObjectCommand({
      Bucket: this.bucket, Key: blobKey(messageId, index),
      ResponseCacheControl: DOWNLOAD_OVERRIDES['response-cache-control'],
      ResponseContentType: DOWNLOAD_OVERRIDES['response-content-type'],
      ResponseContentDisposition: DOWNLOAD_OVERRIDES['response-content-disposition'],
    }), { expiresIn: expiresInSeconds }));
    const bucketPath = `/${this.bucket}/`;
    if (!url.pathname.startsWith(bucketPath)) throw new Error('the S3 client must use path-style addressing');
    return `/${url.pathname.slice(bucketPath.length)}${url.search}`;
  }
}

/**
 * The body's chunks, with a connection lost halfway (the stream's own error, e.g. "aborted") turned
 * into the DependencyError a failed read is, rather than an unexplained 500. Once the body is done
 * with (read to its end, failed, or given up by the reader, which destroys the response), its
 * buffers are garbage: collected right away, rather than a part's worth more at every part
 * (young-garbage.ts); and so is every MiB the reader has taken on the way, so that a part's
 * buffers never pile up to the part's size (npm run bench: the 40 MiB completion's peak went
 * from about 17 MiB over the floor's to about 12).
 */
async function* readingOrFailing(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  let bytes = 0;
  let collectedAt = 0;
  try {
    for await (const chunk of body) {
      bytes += chunk.length;
      yield chunk;
      // The reader has taken the chunk: every COLLECT_AFTER_BYTES, the buffers read so far are collected too.
      if (bytes - collectedAt >= COLLECT_AFTER_BYTES) {
        collectYoungGarbage();
        collectedAt = bytes;
      }
    }
  } catch (error) {
    throw new DependencyError('The uploaded parts could not be read right now. Nothing was sent; retry.', 's3', error);
  } finally {
    // A small body's buffers are no pile: V8's own pace will do.
    if (bytes >= COLLECT_AFTER_BYTES && bytes !== collectedAt) collectYoungGarbage();
  }
}
