/** CloudFront, the assets bucket and the response headers: the public edge of the portal. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { SealpostStack } from '../../cdk/sealpost-stack.ts';
import { SECURITY_HEADERS } from '../../functions/http/middleware/security-headers.ts';
import { CERTIFICATE_ARN, ensureBuilt, logicalId, synth } from './helpers.ts';

// CloudFormation JSON, read loosely: the assertions below pin the shapes that matter.
type Props = Record<string, any>;
let stack: SealpostStack;
let template: Template;

const resources = (t: Template, type: string): Props[] => Object.entries(t.findResources(type)).map(([id, r]) => ({ ...(r.Properties as Props), id }));
const distributionConfig = (t: Template): Props => resources(t, 'AWS::CloudFront::Distribution')[0]?.DistributionConfig;
const behaviours = (t: Template): Props[] => [distributionConfig(t).DefaultCacheBehavior, ...(distributionConfig(t).CacheBehaviors ?? [])];

// Managed CloudFront policies (ids are fixed by AWS).
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

beforeAll(async () => {
  await ensureBuilt();
  ({ stack, template } = synth({ senderDomain: 'example.com' }));
});

describe('response headers policy', () => {
  it('sends exactly the headers the application sets, overriding the origin', () => {
    const policy = resources(template, 'AWS::CloudFront::ResponseHeadersPolicy').find((p) => p.id === logicalId(stack, stack.edge.responseHeadersPolicy));
    const config = policy?.ResponseHeadersPolicyConfig as Props;
    const security = config.SecurityHeadersConfig as Props;
    const hsts = security.StrictTransportSecurity;
    const sent: Record<string, string> = {
      'Content-Security-Policy': security.ContentSecurityPolicy.ContentSecurityPolicy,
      'Strict-Transport-Security': `max-age=${hsts.AccessControlMaxAgeSec}${hsts.IncludeSubdomains ? '; includeSubDomains' : ''}${hsts.Preload ? '; preload' : ''}`,
      'Referrer-Policy': security.ReferrerPolicy.ReferrerPolicy,
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': security.FrameOptions.FrameOption,
      ...Object.fromEntries((config.CustomHeadersConfig.Items as Props[]).map((item) => [item.Header, item.Value])),
    };

    expect(security.XSSProtection).toBeUndefined();
    expect(sent).toEqual(SECURITY_HEADERS);
    const overrides = Object.fromEntries([
      ['Content-Security-Policy', security.ContentSecurityPolicy.Override], ['Strict-Transport-Security', hsts.Override],
      ['Referrer-Policy', security.ReferrerPolicy.Override], ['X-Content-Type-Options', security.ContentTypeOptions.Override],
      ['X-Frame-Options', security.FrameOptions.Override],
      ...(config.CustomHeadersConfig.Items as Props[]).map((item) => [item.Header, item.Override]),
    ]);
    // The application sets CSP and CORP on every response itself; a route may tighten the CSP (an
    // SVG logo's sandbox) or open CORP (a logo for webmail), so CloudFront must not overwrite them.
    expect(overrides).toEqual(Object.fromEntries(Object.keys(SECURITY_HEADERS).map((h) => [h, !['Content-Security-Policy', 'Cross-Origin-Resource-Policy'].includes(h)])));
  });

  it('passes the viewer\'s Host and IP address on to the portal in headers of its own, overwriting what a viewer sends', () => {
    const [fn] = resources(template, 'AWS::CloudFront::Function');
    const code = (fn?.FunctionCode ?? '') as string;
    const handler = new Function(`${code}; return handler;`)() as (event: unknown) => { headers: Record<string, { value: string }> };

    const request = handler({
      viewer: { ip: '198.51.100.23' },
      request: { headers: { host: { value: 'secure.acme.example' }, 'x-sealpost-viewer-host': { value: 'forged.example' }, 'x-sealpost-viewer-ip': { value: '10.0.0.1' } } },
    });

    expect(request.headers['x-sealpost-viewer-host']).toEqual({ value: 'secure.acme.example' });
    expect(request.headers['x-sealpost-viewer-ip']).toEqual({ value: '198.51.100.23' });
    expect(behaviours(template)[0]?.FunctionAssociations).toEqual([{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [expect.any(String), 'FunctionARN'] } }]);
  });

  it('is on every behaviour but /blobs/*, which has its own (blobs.test.ts)', () => {
    const policyId = logicalId(stack, stack.edge.responseHeadersPolicy);
    const blobPolicyId = logicalId(stack, stack.edge.blobResponseHeadersPolicy);

    expect(behaviours(template).map((b) => b.ResponseHeadersPolicyId)).toEqual([{ Ref: policyId }, { Ref: policyId }, { Ref: blobPolicyId }]);
  });
});

describe('distribution', () => {
  it('redirects every behaviour to HTTPS, but refuses plain http for presigned part URLs, and speaks HTTP/2 and HTTP/3', () => {
    expect(behaviours(template).map((b) => [b.PathPattern ?? '(default)', b.ViewerProtocolPolicy])).toEqual([
      ['(default)', 'redirect-to-https'], ['/assets/*', 'redirect-to-https'], ['/blobs/*', 'https-only'],
    ]);
    expect(distributionConfig(template).HttpVersion).toBe('http2and3');
  });

  it('sends everything but /assets/* to the HTTP API, uncached, over HTTPS, without the viewer Host header', () => {
    const config = distributionConfig(template);
    const origin = (config.Origins as Props[]).find((o) => o.Id === config.DefaultCacheBehavior.TargetOriginId) as Props;

    expect(config.DefaultCacheBehavior).toMatchObject({
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
    });
    expect(origin.CustomOriginConfig).toEqual({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    // The edge secret, by a dynamic reference to a generated secret: the functions refuse requests without it.
    expect(origin.OriginCustomHeaders).toEqual([{
      HeaderName: 'X-Sealpost-Edge-Secret',
      HeaderValue: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: logicalId(stack, stack.edge.edgeSecret) }, ':SecretString:::}}']] },
    }]);
    expect(resources(template, 'AWS::SecretsManager::Secret')[0]?.GenerateSecretString).toMatchObject({ PasswordLength: 48, ExcludePunctuation: true });
    // The origin names the API resource only (not its routes or stage): no dependency cycle with the functions.
    expect(origin.DomainName).toEqual({ 'Fn::Join': ['', [{ Ref: logicalId(stack, stack.api.httpApi) }, '.execute-api.eu-central-1.', { Ref: 'AWS::URLSuffix' }]] });
  });

  it('serves /assets/* from the bucket through Origin Access Control, cached', () => {
    const config = distributionConfig(template);
    const assets = (config.CacheBehaviors as Props[]).find((b) => b.PathPattern === '/assets/*') as Props;
    const origin = (config.Origins as Props[]).find((o) => o.Id === assets.TargetOriginId) as Props;
    const [oac] = resources(template, 'AWS::CloudFront::OriginAccessControl');

    // The other behaviour is /blobs/* (blobs.test.ts).
    expect((config.CacheBehaviors as Props[]).map((b) => b.PathPattern)).toEqual(['/assets/*', '/blobs/*']);
    expect(assets).toMatchObject({ CachePolicyId: CACHING_OPTIMIZED, AllowedMethods: ['GET', 'HEAD'] });
    expect(origin.DomainName).toEqual({ 'Fn::GetAtt': [logicalId(stack, stack.edge.assetsBucket), 'RegionalDomainName'] });
    expect(origin.OriginAccessControlId).toEqual({ 'Fn::GetAtt': [oac?.id, 'Id'] });
    expect(oac?.OriginAccessControlConfig).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' });
    template.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
  });

  it('has no alias and uses the CloudFront domain as the portal origin when no custom domain is given', () => {
    expect(distributionConfig(template).Aliases).toBeUndefined();
    expect(stack.resolve(stack.edge.portalOrigin)).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(stack, stack.edge.distribution), 'DomainName'] }]] });
  });

  it('uses the custom domain and its certificate with TLS 1.2 (2021) at least, when given', () => {
    const custom = synth({ senderDomain: 'example.com', domainName: 'secure.example.com', certificateArn: CERTIFICATE_ARN });
    const config = distributionConfig(custom.template);
    const fns = Object.values(custom.template.findResources('AWS::Lambda::Function'))
      .map((fn) => (fn.Properties as Props).Environment?.Variables?.SEALPOST_PORTAL_ORIGIN)
      .filter((origin) => origin !== undefined);

    expect(config.Aliases).toEqual(['secure.example.com']);
    expect(config.ViewerCertificate).toEqual({ AcmCertificateArn: CERTIFICATE_ARN, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' });
    expect(fns).toEqual(stack.functions.all.map(() => 'https://secure.example.com'));
  });
});

describe('assets bucket', () => {
  const assetsBucket = () => resources(template, 'AWS::S3::Bucket').find((b) => b.id === logicalId(stack, stack.edge.assetsBucket));
  const assetsPolicy = () => resources(template, 'AWS::S3::BucketPolicy').find((p) => p.Bucket?.Ref === logicalId(stack, stack.edge.assetsBucket));

  it('blocks all public access, requires TLS and is encrypted with S3-managed keys', () => {
    const bucket = assetsBucket();
    const policy = assetsPolicy();
    const denies = (policy?.PolicyDocument.Statement as Props[]).filter((s) => s.Effect === 'Deny');

    expect(bucket?.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket?.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    expect(denies.map((s) => s.Condition)).toContainEqual({ Bool: { 'aws:SecureTransport': 'false' } });
  });

  it('lets only this distribution read objects', () => {
    const policy = assetsPolicy();
    const allows = (policy?.PolicyDocument.Statement as Props[]).filter((s) => s.Effect === 'Allow');

    expect(allows).toHaveLength(1);
    expect(allows[0]).toMatchObject({ Action: 's3:GetObject', Principal: { Service: 'cloudfront.amazonaws.com' } });
    expect(JSON.stringify(allows[0]?.Condition)).toContain(logicalId(stack, stack.edge.distribution));
  });

  it('receives dist/web/assets under assets/ and invalidates /assets/* on deploy', () => {
    const [deployment] = resources(template, 'Custom::CDKBucketDeployment');

    expect(deployment?.DestinationBucketKeyPrefix).toBe('assets/');
    expect(deployment?.DistributionPaths).toEqual(['/assets/*']);
    expect(deployment?.SystemMetadata).toEqual({ 'cache-control': 'public, max-age=300' });
  });
});
