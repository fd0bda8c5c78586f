/**
 * Sealed uploads' ciphertext: one private S3 bucket, its own KMS key, and what each function may do
 * with them. The object keys, the state tag and the prefix come from the adapter
 * (functions/adapters/s3/blob-store.ts), so the lifecycle, the grants and the code cannot disagree.
 *
 * Objects are `blobs/<messageId>/<index>`, one per ≤ 4 MiB part, written once through a presigned
 * PUT (`If-None-Match: *` is signed into it: S3 refuses a PUT to a key that exists) and never
 * changed: only their tag moves from `pending` to `committed`. So the bucket has no
 * versioning — an overwrite or a delete must not leave an old copy of the ciphertext behind, and
 * there is nothing to roll back to.
 *
 * Its own key, not the table's (cdk/constructs/keys.ts), because:
 * - the table key's policy admits the functions only through DynamoDB, and its CloudTrail is where
 *   Message Center unwraps are audited; S3's data-key calls stay off it, and both stay as exact as
 *   the tests pin them;
 * - S3 use is granted in the roles' own policies, limited to S3 in this region and to this bucket's
 *   encryption context (below). The same grant in the table key's policy would name the bucket ARN,
 *   and the bucket names the key: a dependency cycle, unless the bucket had a fixed name;
 * - whoever can use this key can only ever read OpenPGP ciphertext with it: SSE-KMS here is defence
 *   in depth (a bucket policy opened by mistake still does not open the key), not the message's secrecy.
 * It costs $1 a month (docs/storage-costs.md). Its key policy is CDK's default: the account root,
 * which makes the roles' IAM policies effective for it.
 *
 * S3 Bucket Keys (bucketKeyEnabled): S3 asks KMS for a bucket-level key and derives the objects'
 * data keys from it, so a part costs no KMS request of its own; KMS then sees the bucket ARN as the
 * encryption context, not the object's (S3 User Guide, "Reducing the cost of SSE-KMS with Amazon S3
 * Bucket Keys", docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html) — which is what the
 * key grants below condition on.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BLOB_PREFIX, PENDING_TAGGING, STATE_TAG } from '../../functions/adapters/s3/keys.ts';
import { UPLOAD_LIFETIME_MS } from '../../functions/core/messages/index.ts';
import { MAX_EXPIRY_DAYS } from '../../functions/core/shared/index.ts';

/** Replacing the bucket or its key would orphan every stored part: their logical ids never change. */
export const BLOB_BUCKET_LOGICAL_ID = 'SealpostBlobBucket';
export const BLOB_KEY_LOGICAL_ID = 'SealpostBlobKey';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The tag value a presigned PUT sets (functions/adapters/s3/blob-store.ts, PENDING_TAGGING). */
export const PENDING_STATE: string = (() => {
  const [tag, value] = PENDING_TAGGING.split('=');
  if (tag !== STATE_TAG || !value) throw new Error(`PENDING_TAGGING "${PENDING_TAGGING}" is no longer ${STATE_TAG}=<value>: update cdk/constructs/blobs.ts`);
  return value;
})();

/**
 * A pending part — one of an upload nobody completed — is deleted a day after it was written. An
 * upload is given up after UPLOAD_LIFETIME_MS (12 hours), so a part is committed, if ever, well
 * before this rule can reach it; S3 counts the days from the object's creation and rounds up to the
 * next midnight UTC (S3 User Guide, "Lifecycle configuration elements"), which only adds margin.
 */
export const PENDING_EXPIRY_DAYS = 1;
if (UPLOAD_LIFETIME_MS >= PENDING_EXPIRY_DAYS * DAY_MS) {
  throw new Error('an upload may now stay open as long as its pending parts live: raise PENDING_EXPIRY_DAYS in cdk/constructs/blobs.ts');
}

/**
 * Every object is deleted this long after it was written, committed or not: the backstop behind the
 * maintenance run, which deletes an expired message's parts itself. A message lives at most
 * MAX_EXPIRY_DAYS (90) from its commit, and its parts may have been written up to an upload's
 * lifetime before that; re-tagging at commit does not reset an object's age. Unlike the table's
 * message head, the ciphertext gets no grace after expiry (its chunks' TTL is the expiry itself, see
 * functions/adapters/dynamodb/message-store.ts; HEAD_GRACE_DAYS keeps only the status readable):
 * what remains past 90 days and 12 hours is unreadable anyway, and 100 days leaves a week and more
 * for clocks and S3's rounding.
 */
export const BLOB_MAX_AGE_DAYS = 100;
if (BLOB_MAX_AGE_DAYS * DAY_MS < MAX_EXPIRY_DAYS * DAY_MS + UPLOAD_LIFETIME_MS + DAY_MS) {
  throw new Error('a message may now outlive its parts: raise BLOB_MAX_AGE_DAYS in cdk/constructs/blobs.ts');
}

/**
 * sealpost never starts a multipart upload (a part is one PUT), but a role that may PutObject could;
 * its invisible parts would be stored and billed until aborted.
 */
export const ABORT_MULTIPART_DAYS = 1;

/**
 * Headers a sender's PUT carries: those signed into the presigned URL (blob-store.ts uploadUrl; the
 * Content-Type among them, always application/octet-stream). The presigned URL is the authorisation, so any origin
 * may PUT with it; recipients' GETs go through CloudFront on the portal's own origin and need no CORS.
 */
export const BLOB_CORS_HEADERS = ['content-length', 'content-type', 'if-none-match', 'x-amz-checksum-sha256', 'x-amz-tagging'] as const;

/** What a function does with the bucket and the key, exactly as the adapter calls them. */
export interface BlobGrant {
  /** On `blobs/*` only. */
  readonly objectActions: readonly string[];
  /** On the bucket itself. */
  readonly bucketActions: readonly string[];
  /** On the blob key, only through S3 in this region and only for this bucket. */
  readonly keyActions: readonly string[];
}

/**
 * - sender: it presigns the parts' PUTs, which set the pending tag (s3:PutObject and
 *   s3:PutObjectTagging: the presigned request is authorised as the signer, and S3 requires
 *   s3:PutObjectTagging for a PUT with x-amz-tagging) and writes the parts of a large message it
 *   sealed itself (tagged committed), reads them back to check them at commit
 *   (s3:GetObject), re-tags them committed (s3:PutObjectTagging), and deletes an aborted upload's, a
 *   revoked or discarded message's parts (DeleteObjects, which S3 authorises as s3:DeleteObject per
 *   key). s3:ListBucket only so that a part the sender never uploaded is a 404 (NoSuchKey, "Part N
 *   was not uploaded") and not a 403 the adapter must take for an outage: without it S3 answers a
 *   missing key with AccessDenied (S3 API Reference, GetObject, "Permissions"). It can list keys —
 *   message ids it already holds in the table. KMS: GenerateDataKey for the PUTs, Decrypt for the GETs.
 * - recipient (the portal): it only presigns GETs of parts for the recipient's browser.
 * - maintenance: it deletes an expired message's parts; deleting needs no key.
 */
export const BLOB_ACCESS = {
  sender: {
    objectActions: ['s3:PutObject', 's3:PutObjectTagging', 's3:GetObject', 's3:DeleteObject'],
    bucketActions: ['s3:ListBucket'],
    keyActions: ['kms:GenerateDataKey', 'kms:Decrypt'],
  },
  recipient: { objectActions: ['s3:GetObject'], bucketActions: [], keyActions: ['kms:Decrypt'] },
  maintenance: { objectActions: ['s3:DeleteObject'], bucketActions: [], keyActions: [] },
} as const satisfies Record<string, BlobGrant>;
export type BlobAccess = keyof typeof BLOB_ACCESS;

export interface BlobsProps {
  readonly removalPolicy: RemovalPolicy;
  /** SEALPOST_MAX_UPLOAD_MIB for the sender API; unset, the function's own default (40 MiB) applies. */
  readonly maxUploadMib?: number;
}

export class Blobs extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;
  private readonly maxUploadMib: number | undefined;

  constructor(scope: Construct, id: string, props: BlobsProps) {
    super(scope, id);
    this.maxUploadMib = props.maxUploadMib;
    const destroy = props.removalPolicy === RemovalPolicy.DESTROY;
    this.key = new kms.Key(this, 'Key', {
      description: 'sealpost: encrypts sealed uploads\' ciphertext at rest in the blob bucket (SSE-KMS)',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
      pendingWindow: Duration.days(destroy ? 7 : 30),
    });
    (this.key.node.defaultChild as kms.CfnKey).overrideLogicalId(BLOB_KEY_LOGICAL_ID);

    this.bucket = new s3.Bucket(this, 'Bucket', {
      // No bucketName: CloudFormation generates a lowercase one from the stack name and logical id,
      // without dots, as path-style addressing and CloudFront's origin path need (functions/config.ts
      // checks it again at start).
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: false,
      // No server access logging: the stack logs no other bucket either; CloudTrail data events can be
      // turned on by the operator where an audit of object reads is wanted.
      removalPolicy: props.removalPolicy,
      // Like the table, a disposable stage may delete its parts with the stack; production keeps them.
      autoDeleteObjects: destroy,
      lifecycleRules: [
        // Lifecycle filters by tag (S3 User Guide, "Lifecycle configuration elements": Filter with Tag,
        // or And of Prefix and Tags); S3 refuses AbortIncompleteMultipartUpload in a rule with a tag
        // filter, hence three rules.
        {
          id: 'pending-parts',
          prefix: `${BLOB_PREFIX}/`,
          tagFilters: { [STATE_TAG]: PENDING_STATE },
          expiration: Duration.days(PENDING_EXPIRY_DAYS),
        },
        { id: 'longest-message-life', expiration: Duration.days(BLOB_MAX_AGE_DAYS) },
        { id: 'abandoned-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(ABORT_MULTIPART_DAYS) },
      ],
      cors: [{
        allowedMethods: [s3.HttpMethods.PUT],
        allowedOrigins: ['*'],
        allowedHeaders: [...BLOB_CORS_HEADERS],
        exposedHeaders: ['ETag'],
        maxAge: 3600,
      }],
    });
    (this.bucket.node.defaultChild as s3.CfnBucket).overrideLogicalId(BLOB_BUCKET_LOGICAL_ID);
    // A part PUT names no encryption (the bucket's default, this key, applies); one that names
    // another (SSE-S3, or another KMS key) is refused, whatever a presigned URL left unsigned.
    this.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'OnlyThisKey',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [this.bucket.arnForObjects('*')],
      conditions: {
        StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' },
      },
    }));
    this.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'OnlyThisKeyId',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [this.bucket.arnForObjects('*')],
      conditions: {
        StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': this.key.keyArn },
      },
    }));
  }

  /**
   * Gives `fn` the bucket (SEALPOST_BLOB_BUCKET) and exactly the S3 and KMS actions of `access`; the
   * sender API also gets SEALPOST_MAX_UPLOAD_MIB when the deployment sets it.
   */
  bindBlobs(fn: lambda.Function, access: BlobAccess): void {
    const grant: BlobGrant = BLOB_ACCESS[access];
    const stack = Stack.of(this);
    fn.addEnvironment('SEALPOST_BLOB_BUCKET', this.bucket.bucketName);
    if (access === 'sender' && this.maxUploadMib !== undefined) fn.addEnvironment('SEALPOST_MAX_UPLOAD_MIB', String(this.maxUploadMib));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...grant.objectActions], resources: [this.bucket.arnForObjects(`${BLOB_PREFIX}/*`)] }));
    if (grant.bucketActions.length > 0) fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...grant.bucketActions], resources: [this.bucket.bucketArn] }));
    if (grant.keyActions.length > 0) {
      fn.addToRolePolicy(new iam.PolicyStatement({
        actions: [...grant.keyActions],
        resources: [this.key.keyArn],
        conditions: {
          StringEquals: {
            'kms:ViaService': `s3.${stack.region}.${stack.urlSuffix}`,
            'kms:EncryptionContext:aws:s3:arn': this.bucket.bucketArn,
          },
        },
      }));
    }
  }
}
