/** The blob bucket's layout, shared by the store, the portal's downloads and the CDK stack. */
/** The tag that tells the bucket's lifecycle which objects are parts of unfinished uploads. */
export const STATE_TAG = 'sealpost-state';
export const PENDING_STATE = 'pending';
export const PENDING_TAGGING = `${STATE_TAG}=${PENDING_STATE}`;
/** The prefix of every object, and of the portal path CloudFront routes to the bucket. */
export const BLOB_PREFIX = 'blobs';

export function blobKey(messageId: string, index: number): string {
  return `${BLOB_PREFIX}/${messageId}/${index}`;
}


/** The only Content-Type a part is ever stored or served with: opaque bytes, never a page. */
export const PART_CONTENT_TYPE = 'application/octet-stream';

/**
 * S3's response-* overrides signed into every download URL: whatever Content-Type an object was
 * stored with, S3 answers opaque bytes, as an attachment, uncached. A part is ciphertext, but its
 * bytes are the sender's to choose; served from the portal's origin, they must never be a page.
 */
export const DOWNLOAD_OVERRIDES = {
  'response-cache-control': 'no-store',
  'response-content-disposition': 'attachment',
  'response-content-type': PART_CONTENT_TYPE,
} as const;
