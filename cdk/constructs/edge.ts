/**
 * The public edge: one CloudFront distribution for the whole portal origin. `/assets/*` comes from
 * a private S3 bucket (Origin Access Control), cached; `/blobs/*` are sealed uploads' parts, fetched
 * through presigned URLs from the blob bucket, uncached; everything else goes to the HTTP API,
 * uncached. Every response, from any origin, carries the application's strict security headers.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { BLOB_PREFIX } from '../../functions/adapters/s3/keys.ts';
import { BLOB_SECURITY_HEADERS, SECURITY_HEADERS } from '../../functions/http/middleware/security-headers.ts';
import { VIEWER_HOST_HEADER, VIEWER_IP_HEADER } from '../../functions/http/request-info.ts';
import { EDGE_SECRET_HEADER } from '../../functions/http/middleware/edge-guard.ts';
import { DIST_DIR, LOG_RETENTION } from './functions.ts';

/** The path of sealed uploads' parts on the portal origin: a presigned GetObject URL minus its bucket (blob-store.ts downloadUrl). */
export const BLOB_PATH_PATTERN = `/${BLOB_PREFIX}/*`;

/** What the portal's own /assets route sends (functions/http/routes/portal.ts); deploys invalidate anyway. */
export const ASSET_CACHE_CONTROL = 'public, max-age=300';

export interface CustomDomain {
  readonly domainName: string;
  /** An ACM certificate in us-east-1 (CloudFront's region) covering domainName. */
  readonly certificateArn: string;
}

export interface EdgeProps {
  /** Host name of the HTTP API's execute-api endpoint. */
  readonly apiDomainName: string;
  readonly customDomain?: CustomDomain;
  readonly removalPolicy: RemovalPolicy;
  /** The built web client; defaults to dist/web. */
  readonly webDir?: string;
  /** The WAF web ACL (in us-east-1) to attach, if any (constructs/firewall.ts). */
  readonly webAclArn?: string;
  /** The bucket of sealed uploads' parts (constructs/blobs.ts), served at BLOB_PATH_PATTERN. */
  readonly blobBucket: s3.IBucket;
}

type ResponseHeaders = Pick<cloudfront.ResponseHeadersPolicyProps, 'securityHeadersBehavior' | 'customHeadersBehavior'>;

/**
 * Maps header → value (functions/http/middleware/security-headers.ts) onto a CloudFront response
 * headers policy. CloudFront models the classic security headers as typed settings and refuses them
 * as custom headers, so those are parsed; the rest are custom headers. Every header overrides
 * whatever the origin sent, except those in ORIGIN_MAY_SET: the application sends them on every
 * response itself, and a route may deliberately send a stricter CSP (an SVG logo's sandbox, kept
 * beside the page policy) or a looser CORP (the logo, for webmail). S3 assets send neither, so
 * they get ours. A value CloudFront cannot express fails synthesis.
 */
export const ORIGIN_MAY_SET: ReadonlySet<string> = new Set(['content-security-policy', 'cross-origin-resource-policy']);

export function responseHeadersFrom(headers: Readonly<Record<string, string>>, originMaySet: ReadonlySet<string> = ORIGIN_MAY_SET): ResponseHeaders {
  const security: { -readonly [K in keyof cloudfront.ResponseSecurityHeadersBehavior]: cloudfront.ResponseSecurityHeadersBehavior[K] } = {};
  const custom: cloudfront.ResponseCustomHeader[] = [];
  for (const [header, value] of Object.entries(headers)) {
    switch (header.toLowerCase()) {
      case 'content-security-policy':
        security.contentSecurityPolicy = { contentSecurityPolicy: value, override: !originMaySet.has('content-security-policy') };
        break;
      case 'strict-transport-security':
        security.strictTransportSecurity = { ...parseHsts(value), override: true };
        break;
      case 'referrer-policy':
        security.referrerPolicy = { referrerPolicy: oneOf(header, value, Object.values(cloudfront.HeadersReferrerPolicy)), override: true };
        break;
      case 'x-content-type-options':
        oneOf(header, value, ['nosniff']);
        security.contentTypeOptions = { override: true };
        break;
      case 'x-frame-options':
        security.frameOptions = { frameOption: oneOf(header, value, Object.values(cloudfront.HeadersFrameOption)), override: true };
        break;
      case 'x-xss-protection':
        throw new Error('X-XSS-Protection is not supported here; browsers have dropped it, rely on the CSP');
      default:
        custom.push({ header, value, override: !originMaySet.has(header.toLowerCase()) });
    }
  }
  return { securityHeadersBehavior: security, ...(custom.length > 0 ? { customHeadersBehavior: { customHeaders: custom } } : {}) };
}

/**
 * CloudFront Function (viewer request): copies Host into VIEWER_HOST_HEADER and the viewer's IP
 * address into VIEWER_IP_HEADER, replacing any value the viewer sent in either.
 */
export function viewerHostFunctionCode(): string {
  const host = VIEWER_HOST_HEADER.toLowerCase();
  const ip = VIEWER_IP_HEADER.toLowerCase();
  return `function handler(event) {
  var request = event.request;
  var host = request.headers.host ? request.headers.host.value : '';
  request.headers['${host}'] = { value: host };
  request.headers['${ip}'] = { value: event.viewer.ip };
  return request;
}`;
}

function parseHsts(value: string): Omit<cloudfront.ResponseHeadersStrictTransportSecurity, 'override'> {
  const directives = value.split(';').map((d) => d.trim()).filter(Boolean);
  const maxAge = /^max-age=(\d+)$/i.exec(directives[0] ?? '');
  const rest = directives.slice(1).map((d) => d.toLowerCase());
  if (!maxAge?.[1] || rest.some((d) => d !== 'includesubdomains' && d !== 'preload')) {
    throw new Error(`Strict-Transport-Security "${value}" is not max-age=<seconds>[; includeSubDomains][; preload]`);
  }
  return {
    accessControlMaxAge: Duration.seconds(Number(maxAge[1])),
    includeSubdomains: rest.includes('includesubdomains'),
    preload: rest.includes('preload'),
  };
}

function oneOf<T extends string>(header: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
  if (!found) throw new Error(`${header} "${value}" is not one of ${allowed.join(', ')}`);
  return found;
}

export class Edge extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly assetsBucket: s3.Bucket;
  readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  /**
   * The /blobs/* behaviour's own: a part's bytes are the sender's, served from the portal's origin,
   * so instead of the page's CSP (script-src 'self', which would admit a part as a script) one that
   * allows nothing and sandboxes (BLOB_SECURITY_HEADERS), every header overriding whatever S3 says.
   */
  readonly blobResponseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  /** What CloudFront passes on to S3 for a part: the query string (the presigned signature), nothing of the viewer. */
  readonly blobRequestPolicy: cloudfront.OriginRequestPolicy;
  readonly assetsDeployment: s3deploy.BucketDeployment;
  /** The https origin of the portal: the custom domain, or CloudFront's own domain name. */
  readonly portalOrigin: string;
  /**
   * The secret CloudFront adds to every request it sends the API. The functions refuse requests
   * without it, so the execute-api endpoint is closed to everyone but CloudFront (and its WAF).
   */
  readonly edgeSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: EdgeProps) {
    super(scope, id);
    const webDir = props.webDir ?? path.join(DIST_DIR, 'web');
    const assetsDir = path.join(webDir, 'assets');
    if (!existsSync(assetsDir)) throw new Error(`${assetsDir} is missing: run npm run build first`);

    this.assetsBucket = new s3.Bucket(this, 'Assets', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      removalPolicy: props.removalPolicy,
      // The bucket holds only build output, so a disposable stage may empty it on delete.
      autoDeleteObjects: props.removalPolicy === RemovalPolicy.DESTROY,
    });

    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'sealpost: the same strict headers as the application sets',
      ...responseHeadersFrom(SECURITY_HEADERS),
    });

    this.blobResponseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'BlobSecurityHeaders', {
      comment: 'sealpost: sealed upload parts: the strict headers with a CSP that allows nothing (sandbox)',
      // S3 sets none of these; nothing it could send may stand.
      ...responseHeadersFrom(BLOB_SECURITY_HEADERS, new Set()),
    });

    const viewerProtocolPolicy = cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS;
    const viewerHost = new cloudfront.Function(this, 'ViewerHost', {
      comment: 'sealpost: pass the viewer Host on to the portal (overwriting any sent by the viewer)',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(viewerHostFunctionCode()),
    });
    this.blobRequestPolicy = new cloudfront.OriginRequestPolicy(this, 'BlobRequests', {
      comment: 'sealpost: presigned S3 GETs: the whole query string, no viewer header or cookie',
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.all(),
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.none(),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
    });
    const custom = props.customDomain;
    this.edgeSecret = new secretsmanager.Secret(this, 'EdgeSecret', {
      description: 'sealpost: proves a request to the HTTP API came through CloudFront',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'sealpost portal and sender API',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin: new origins.HttpOrigin(props.apiDomainName, {
          protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
          // Resolved by CloudFormation at deploy (a dynamic reference): the value is in no template.
          customHeaders: { [EDGE_SECRET_HEADER]: this.edgeSecret.secretValue.unsafeUnwrap() },
        }),
        viewerProtocolPolicy,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        // Pages, ciphertext and API answers are per request; nothing of them may sit in a cache.
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        // API Gateway routes by its own Host header, so the viewer's must not be forwarded; our
        // function passes it on in a header of its own (the portal brands pages by hostname).
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        functionAssociations: [{ function: viewerHost, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
        responseHeadersPolicy: this.responseHeadersPolicy,
      },
      additionalBehaviors: {
        '/assets/*': {
          origin: origins.S3BucketOrigin.withOriginAccessControl(this.assetsBucket),
          viewerProtocolPolicy,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
          cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
          compress: true,
          responseHeadersPolicy: this.responseHeadersPolicy,
        },
        [BLOB_PATH_PATTERN]: this.blobBehavior(props.blobBucket),
      },
      ...(props.webAclArn ? { webAclId: props.webAclArn } : {}),
      ...(custom
        ? {
            domainNames: [custom.domainName],
            certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', custom.certificateArn),
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
    });
    this.portalOrigin = `https://${custom ? custom.domainName : this.distribution.distributionDomainName}`;

    this.assetsDeployment = new s3deploy.BucketDeployment(this, 'DeployAssets', {
      sources: [s3deploy.Source.asset(assetsDir)],
      destinationBucket: this.assetsBucket,
      destinationKeyPrefix: 'assets/',
      cacheControl: [s3deploy.CacheControl.fromString(ASSET_CACHE_CONTROL)],
      // The pickup page (from the portal function) and its script must match right after a deploy.
      distribution: this.distribution,
      distributionPaths: ['/assets/*'],
      logGroup: new logs.LogGroup(this, 'DeployAssetsLogs', { retention: LOG_RETENTION, removalPolicy: props.removalPolicy }),
    });
  }

  /**
   * Sealed uploads' parts, from the portal's own origin (so the page's CSP stays connect-src 'self'):
   * the portal hands the browser `/blobs/<id>/<n>?X-Amz-…`, a presigned GetObject URL without its
   * `/<bucket>` (functions/adapters/s3/blob-store.ts downloadUrl), and CloudFront puts the bucket
   * back as the origin path and sends the request to S3's regional REST endpoint, where the
   * signature was made (path-style, functions/entries/compose/blobs.ts).
   *
   * - A custom origin, not an S3 origin with OAC or OAI: those sign or authorise CloudFront's own
   *   request and would replace or conflict with the recipient's presigned signature, which is the
   *   only authorisation and must reach S3 unchanged. The bucket stays private: no bucket policy
   *   grants CloudFront anything.
   * - The Host CloudFront sends a custom origin is the origin's domain name unless the viewer's Host
   *   is forwarded (CloudFront Developer Guide, "Request and response behavior for custom origins",
   *   Host header): so nothing of the viewer is forwarded, and the signed host (`host` is the only
   *   signed header of a presigned GET) is what S3 receives. All query strings are forwarded: they
   *   are the signature, credential, expiry and security token.
   * - No edge secret header here: it is for the HTTP API only, and must not leave for another origin.
   * - GET and HEAD only; nothing cached (every URL is one recipient's, briefly valid); ciphertext is
   *   not compressible.
   * Evidence that a SigV4 presigned URL survives this path is third-party (a note in
   * github.com/aldy120/cloudfront-note issue 19: works when Host is not forwarded); CloudFront also
   * adds headers of its own (X-Amz-Cf-Id, Via, X-Forwarded-For) that are not signed. Only a deployed
   * smoke test proves it: docs/deploy.md says so.
   */
  private blobBehavior(bucket: s3.IBucket): cloudfront.BehaviorOptions {
    const stack = Stack.of(this);
    return {
      origin: new origins.HttpOrigin(`s3.${stack.region}.${stack.urlSuffix}`, {
        originPath: `/${bucket.bucketName}`,
        protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      }),
      // A signed URL over plain http would already be exposed; refuse rather than redirect.
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: this.blobRequestPolicy,
      compress: false,
      // Content-Type and Content-Disposition come from S3, as the download URL's signed
      // response-content-type=application/octet-stream and response-content-disposition=attachment
      // make it answer (functions/adapters/s3/keys.ts DOWNLOAD_OVERRIDES).
      responseHeadersPolicy: this.blobResponseHeadersPolicy,
    };
  }

  /** Gives `fn` the portal origin (SEALPOST_PORTAL_ORIGIN), from which it builds pickup links. */
  bindPortalOrigin(fn: lambda.Function): void {
    fn.addEnvironment('SEALPOST_PORTAL_ORIGIN', this.portalOrigin);
  }

  /** Gives an HTTP function the edge secret (SEALPOST_EDGE_SECRET), resolved at deploy. */
  bindEdgeSecret(fn: lambda.Function): void {
    fn.addEnvironment('SEALPOST_EDGE_SECRET', this.edgeSecret.secretValue.unsafeUnwrap());
  }
}
