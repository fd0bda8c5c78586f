/** The blob bucket of sealed uploads, its key, and which functions are told about it. */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import { ContextError } from '../../cdk/app.ts';
import { SECURITY_HEADERS } from '../../functions/http/middleware/security-headers.ts';
import { BLOB_CORS_HEADERS, BLOB_MAX_AGE_DAYS } from '../../cdk/constructs/blobs.ts';
import type { SealpostStack } from '../../cdk/sealpost-stack.ts';
import { S3BlobStore } from '../../functions/adapters/s3/blob-store.ts';
import type { S3Downloads } from '../../functions/adapters/s3/downloads.ts';
import type { Config } from '../../functions/config.ts';
import { composeDownloads } from '../../functions/entries/compose/blobs.ts';
import { UPLOAD_LIFETIME_MS } from '../../functions/core/messages/index.ts';
import { MAX_EXPIRY_DAYS } from '../../functions/core/shared/index.ts';
import { TEST_ENV, ensureBuilt, logicalId, synth } from './helpers.ts';

// CloudFormation JSON, read loosely: the assertions below pin the shapes that matter.
type Props = Record<string, any>;
type Resource = { Type: string; Properties: Props; DeletionPolicy?: string; UpdateReplacePolicy?: string };
let stack: SealpostStack;
let template: Template;
const resource = (t: Template, id: string) => t.toJSON().Resources[id] as Resource;
const bucket = () => resource(template, 'SealpostBlobBucket').Properties;
const bucketPolicy = (t: Template) => Object.values(t.toJSON().Resources as Record<string, Resource>)
  .find((r) => r.Type === 'AWS::S3::BucketPolicy' && r.Properties.Bucket?.Ref === 'SealpostBlobBucket')?.Properties.PolicyDocument.Statement as Props[];
const functionEnv = (t: Template, s: SealpostStack) => Object.fromEntries(Object.entries(s.functions.byEntry)
  .map(([entry, fn]) => [entry, resource(t, logicalId(s, fn)).Properties.Environment.Variables as Props]));

beforeAll(async () => {
  await ensureBuilt();
  ({ stack, template } = synth({ senderDomain: 'example.com' }));
});

describe('blob bucket', () => {
  it('keeps the stable logical ids SealpostBlobBucket and SealpostBlobKey, so an update never orphans the parts', () => {
    expect(resource(template, 'SealpostBlobBucket').Type).toBe('AWS::S3::Bucket');
    expect(resource(template, 'SealpostBlobKey').Type).toBe('AWS::KMS::Key');
  });

  it('has a generated name (CloudFormation makes it lowercase, without dots: path-style and an origin path need that)', () => {
    expect(bucket().BucketName).toBeUndefined();
  });

  it('blocks all public access and disables ACLs', () => {
    expect(bucket().PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket().OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
  });

  it('is encrypted with its own customer-managed key (SSE-KMS) and S3 Bucket Keys', () => {
    expect(bucket().BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{
        BucketKeyEnabled: true,
        ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': ['SealpostBlobKey', 'Arn'] } },
      }],
    });
  });

  it('keeps no versions of the immutable parts, and logs no access (no other bucket of the stack does)', () => {
    expect(bucket().VersioningConfiguration).toBeUndefined();
    expect(bucket().LoggingConfiguration).toBeUndefined();
  });

  it('denies every request without TLS 1.2 or later, a part written under any encryption but its own key, and allows no one anything by bucket policy', () => {
    const statements = bucketPolicy(template);
    const bucket = { 'Fn::GetAtt': ['SealpostBlobBucket', 'Arn'] };
    const objects = { 'Fn::Join': ['', [bucket, '/*']] };
    const resources = [bucket, objects];

    expect(statements).toEqual([
      { Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Resource: resources, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      { Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Resource: resources, Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } },
      { Sid: 'OnlyThisKey', Effect: 'Deny', Action: 's3:PutObject', Principal: { AWS: '*' }, Resource: objects, Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } } },
      { Sid: 'OnlyThisKeyId', Effect: 'Deny', Action: 's3:PutObject', Principal: { AWS: '*' }, Resource: objects, Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': { 'Fn::GetAtt': ['SealpostBlobKey', 'Arn'] } } } },
    ]);
  });

  it('deletes pending parts a day after they were written, every object after 100 days, and abandoned multipart uploads after a day', () => {
    const rules = bucket().LifecycleConfiguration.Rules as Props[];

    expect(rules).toEqual([
      { Id: 'pending-parts', Status: 'Enabled', Prefix: 'blobs/', TagFilters: [{ Key: 'sealpost-state', Value: 'pending' }], ExpirationInDays: 1 },
      { Id: 'longest-message-life', Status: 'Enabled', ExpirationInDays: 100 },
      { Id: 'abandoned-multipart-uploads', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
    ]);
    // S3 refuses AbortIncompleteMultipartUpload in a rule filtered by tags.
    for (const rule of rules) expect(rule.TagFilters !== undefined && rule.AbortIncompleteMultipartUpload !== undefined, rule.Id).toBe(false);
  });

  it('keeps every part at least as long as the longest message and the upload before it can live', () => {
    const day = 24 * 60 * 60 * 1000;

    expect(BLOB_MAX_AGE_DAYS * day).toBeGreaterThanOrEqual(MAX_EXPIRY_DAYS * day + UPLOAD_LIFETIME_MS);
    // An unfinished upload is given up before its pending parts can expire.
    expect(UPLOAD_LIFETIME_MS).toBeLessThan(1 * day);
  });

  it('lets a sender PUT from any origin with the headers its presigned URL signs, and nothing else cross-origin', () => {
    expect(bucket().CorsConfiguration).toEqual({
      CorsRules: [{
        AllowedMethods: ['PUT'],
        AllowedOrigins: ['*'],
        AllowedHeaders: ['content-length', 'content-type', 'if-none-match', 'x-amz-checksum-sha256', 'x-amz-tagging'],
        ExposedHeaders: ['ETag'],
        MaxAge: 3600,
      }],
    });
  });

  it('allows CORS for every header a presigned part PUT signs (besides host)', async () => {
    const store = new S3BlobStore(new S3Client({ region: TEST_ENV.region, forcePathStyle: true, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } }), 'sealpost-blobs-test');

    const { url, headers } = await store.uploadUrl('AAAAAAAAAAAAAAAAAAAAAA', 0, { bytes: 4, sha256: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=' }, 60);
    const signed = new URL(url).searchParams.get('X-Amz-SignedHeaders')?.split(';') ?? [];

    expect(signed.filter((h) => h !== 'host').sort()).toEqual(Object.keys(headers).sort());
    for (const header of Object.keys(headers)) expect(BLOB_CORS_HEADERS as readonly string[]).toContain(header);
  });

  it('and its key rotate, and are retained in production', () => {
    const key = resource(template, 'SealpostBlobKey');

    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.PendingWindowInDays).toBe(30);
    for (const r of [key, resource(template, 'SealpostBlobBucket')]) {
      expect(r.DeletionPolicy).toBe('Retain');
      expect(r.UpdateReplacePolicy).toBe('Retain');
    }
  });

  it('and its key go with a disposable stage that allows it, the bucket emptied first', () => {
    const dev = synth({ senderDomain: 'example.com', stage: 'dev', allowDestroy: 'true' });
    const autoDelete = Object.values(dev.template.findResources('Custom::S3AutoDeleteObjects')).map((r) => (r.Properties as Props).BucketName);

    expect(resource(dev.template, 'SealpostBlobBucket').DeletionPolicy).toBe('Delete');
    expect(resource(dev.template, 'SealpostBlobKey').DeletionPolicy).toBe('Delete');
    expect(resource(dev.template, 'SealpostBlobKey').Properties.PendingWindowInDays).toBe(7);
    expect(autoDelete).toContainEqual({ Ref: 'SealpostBlobBucket' });
  });

  it('has a key whose policy admits only the account root: the functions\' use is in their own policies (iam.test.ts)', () => {
    const statements = resource(template, 'SealpostBlobKey').Properties.KeyPolicy.Statement as Props[];

    expect(statements).toEqual([{ Effect: 'Allow', Action: 'kms:*', Principal: { AWS: `arn:aws:iam::${TEST_ENV.account}:root` }, Resource: '*' }]);
  });
});

describe('/blobs/* on the distribution', () => {
  const config = () => (Object.values(template.findResources('AWS::CloudFront::Distribution'))[0]?.Properties as Props).DistributionConfig as Props;
  const blobBehaviour = () => (config().CacheBehaviors as Props[]).find((b) => b.PathPattern === '/blobs/*') as Props;
  const blobOrigin = () => (config().Origins as Props[]).find((o) => o.Id === blobBehaviour().TargetOriginId) as Props;
  const BUCKET = 'sealpost-sealpostblobbucket-1a2b3c4d5e6f';

  it('sends GET and HEAD of parts, uncached and uncompressed, over HTTPS only, with the parts\' own security headers and no function', () => {
    expect(blobBehaviour()).toEqual({
      PathPattern: '/blobs/*',
      TargetOriginId: expect.any(String),
      AllowedMethods: ['GET', 'HEAD'],
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // CachingDisabled
      OriginRequestPolicyId: { Ref: logicalId(stack, stack.edge.blobRequestPolicy) },
      ResponseHeadersPolicyId: { Ref: logicalId(stack, stack.edge.blobResponseHeadersPolicy) },
      ViewerProtocolPolicy: 'https-only',
      Compress: false,
    });
  });

  it('answers parts with a CSP that allows nothing and sandboxes, nosniff and the other strict headers, all overriding S3', () => {
    const config = resource(template, logicalId(stack, stack.edge.blobResponseHeadersPolicy)).Properties.ResponseHeadersPolicyConfig as Props;
    const security = config.SecurityHeadersConfig as Props;
    const custom = Object.fromEntries((config.CustomHeadersConfig.Items as Props[]).map((item) => [item.Header, [item.Value, item.Override]]));

    // Not the page's policy, whose script-src 'self' would run a part served as a script.
    expect(security.ContentSecurityPolicy).toEqual({ ContentSecurityPolicy: "default-src 'none'; sandbox", Override: true });
    expect(security.ContentTypeOptions).toEqual({ Override: true });
    expect(security.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(security.ReferrerPolicy).toEqual({ ReferrerPolicy: 'no-referrer', Override: true });
    expect(security.StrictTransportSecurity).toMatchObject({ Override: true });
    expect(custom).toEqual({
      'Cross-Origin-Opener-Policy': ['same-origin', true],
      'Cross-Origin-Resource-Policy': ['same-origin', true],
      'Permissions-Policy': [SECURITY_HEADERS['Permissions-Policy'], true],
    });
  });

  it('forwards the whole query string (the signature) and no viewer header or cookie, so S3 gets its own Host', () => {
    const policy = resource(template, logicalId(stack, stack.edge.blobRequestPolicy)).Properties.OriginRequestPolicyConfig as Props;

    expect(policy.QueryStringsConfig).toEqual({ QueryStringBehavior: 'all' });
    expect(policy.HeadersConfig).toEqual({ HeaderBehavior: 'none' });
    expect(policy.CookiesConfig).toEqual({ CookieBehavior: 'none' });
  });

  it('goes to S3\'s regional REST endpoint with the bucket as origin path, over TLS 1.2, as a custom origin without OAC and without the edge secret', () => {
    expect(blobOrigin()).toEqual({
      Id: blobBehaviour().TargetOriginId,
      DomainName: { 'Fn::Join': ['', [`s3.${TEST_ENV.region}.`, { Ref: 'AWS::URLSuffix' }]] },
      OriginPath: { 'Fn::Join': ['', ['/', { Ref: 'SealpostBlobBucket' }]] },
      CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] },
    });
    // The edge secret goes to the HTTP API's origin and nowhere else.
    expect((config().Origins as Props[]).filter((o) => o.OriginCustomHeaders !== undefined)).toEqual([
      expect.objectContaining({ Id: config().DefaultCacheBehavior.TargetOriginId }),
    ]);
  });

  it('routes the adapter\'s download URL to S3 exactly as it was signed: same host, origin path + path = signed path, only host signed', async () => {
    // The portal's own composition, as in AWS (no endpoint override): what it signs and for which host.
    const downloads = composeDownloads({ blobBucket: BUCKET, region: TEST_ENV.region } as Config, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' }) as S3Downloads;
    const portalPath = await downloads.downloadUrl('AAAAAAAAAAAAAAAAAAAAAA', 3, 60);
    const viewer = new URL(portalPath, 'https://secure.example.com');
    const origin = blobOrigin();
    const originHost = (origin.DomainName['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : 'amazonaws.com')).join('');
    // The AWS SDK's presigner, for the same object: the same host and path (its signature differs only by its extra x-id parameter).
    const client = new S3Client({ region: TEST_ENV.region, forcePathStyle: true, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
    const presigned = new URL(await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: 'blobs/AAAAAAAAAAAAAAAAAAAAAA/3' }), { expiresIn: 60 }));

    expect(viewer.pathname).toMatch(/^\/blobs\//); // what the /blobs/* behaviour matches
    expect(downloads.signedHost).toBe(originHost);
    expect(presigned.host).toBe(originHost);
    expect(`/${BUCKET}${viewer.pathname}`).toBe(presigned.pathname);
    expect(viewer.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    // S3 answers opaque bytes as an attachment, whatever the part was stored as.
    expect(viewer.searchParams.get('response-content-type')).toBe('application/octet-stream');
    expect(viewer.searchParams.get('response-content-disposition')).toBe('attachment');
    expect(viewer.searchParams.get('X-Amz-Security-Token')).toBe('token');
  });

});

describe('environment', () => {
  it('names the bucket to sender-api, the portal and maintenance, and not to ses-events', () => {
    const env = functionEnv(template, stack);

    expect(Object.entries(env).filter(([, vars]) => 'SEALPOST_BLOB_BUCKET' in vars).map(([entry]) => entry).sort()).toEqual(['maintenance', 'portal', 'sender-api']);
    for (const vars of Object.values(env)) if ('SEALPOST_BLOB_BUCKET' in vars) expect(vars.SEALPOST_BLOB_BUCKET).toEqual({ Ref: 'SealpostBlobBucket' });
  });

  it('leaves SEALPOST_MAX_UPLOAD_MIB to the function\'s default (40) unless maxUploadMib is given, then gives it to sender-api only', () => {
    const raised = synth({ senderDomain: 'example.com', maxUploadMib: '140' });
    const withMax = (env: Record<string, Props>) => Object.entries(env).filter(([, vars]) => 'SEALPOST_MAX_UPLOAD_MIB' in vars).map(([entry, vars]) => [entry, vars.SEALPOST_MAX_UPLOAD_MIB]);

    expect(withMax(functionEnv(template, stack))).toEqual([]);
    expect(withMax(functionEnv(raised.template, raised.stack))).toEqual([['sender-api', '140']]);
  });

  it('fails the synth on a maxUploadMib the sender API would refuse', () => {
    expect(() => synth({ senderDomain: 'example.com', maxUploadMib: '4096' })).toThrow(ContextError);
  });
});
