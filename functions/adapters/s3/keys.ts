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

