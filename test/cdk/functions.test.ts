/** The Lambda functions and the HTTP API routes in front of them. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { SealpostStack } from '../../cdk/sealpost-stack.ts';
import { ensureBuilt, logicalId, synth } from './helpers.ts';

let stack: SealpostStack;
let template: Template;
type Props = Record<string, unknown>;
const props = (id: string) => (template.toJSON().Resources[id] as { Properties: Props }).Properties;
type Entry = 'sender-api' | 'portal' | 'ses-events' | 'maintenance';
const ENTRIES: readonly Entry[] = ['sender-api', 'portal', 'ses-events', 'maintenance'];
const fnId = (entry: Entry) => logicalId(stack, stack.functions.byEntry[entry]);
const env = (entry: Entry) => (props(fnId(entry)).Environment as { Variables: Props }).Variables;

beforeAll(async () => {
  await ensureBuilt();
  ({ stack, template } = synth({ senderDomain: 'example.com' }));
});

describe('functions', () => {
  it('are one per entry, each on Node.js 22 and arm64', () => {
    const ids = ENTRIES.map(fnId);

    expect(Object.keys(stack.functions.byEntry).sort()).toEqual([...ENTRIES].sort());
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) {
      expect(props(id).Runtime).toBe('nodejs22.x');
      expect(props(id).Architectures).toEqual(['arm64']);
      expect(props(id).Handler).toBe('index.handler');
    }
  });

  it('are sized for their work: sender-api 1024 MB/30 s, portal 512 MB/10 s, ses-events 256 MB/30 s, maintenance 256 MB/90 s', () => {
    const sizing = (entry: Entry) => [props(fnId(entry)).MemorySize, props(fnId(entry)).Timeout];

    expect(sizing('sender-api')).toEqual([1024, 30]);
    expect(sizing('portal')).toEqual([512, 10]);
    expect(sizing('ses-events')).toEqual([256, 30]);
    // Its run budget is 40 s (functions/entries/maintenance.ts); the timeout leaves room for a slow last call.
    expect(sizing('maintenance')).toEqual([256, 90]);
  });

  it('let maintenance run as one instance at a time, and reserve nothing for the others', () => {
    expect(props(fnId('maintenance')).ReservedConcurrentExecutions).toBe(1);
    for (const entry of ['sender-api', 'portal', 'ses-events'] as const) expect(props(fnId(entry)).ReservedConcurrentExecutions, entry).toBeUndefined();
  });

  it('get exactly the configuration they read, and nothing else (no secret in a template)', () => {
    const origin = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(stack, stack.edge.distribution), 'DomainName'] }]] };
    const common = {
      SEALPOST_LOG_LEVEL: 'info', SEALPOST_TABLE: { Ref: 'SealpostTable' }, SEALPOST_PORTAL_ORIGIN: origin,
      SEALPOST_KMS_KEY_ID: { 'Fn::GetAtt': ['SealpostKey', 'Arn'] },
    };

    const configurationSet = { SEALPOST_SES_CONFIGURATION_SET: { Ref: logicalId(stack, stack.mail.configurationSet) } };

    // The HTTP functions get the edge secret as a dynamic reference, resolved at deploy: it proves a
    // request came through CloudFront and is in no template (not a user secret: whoever can read a
    // function's configuration can invoke the function anyway).
    const edgeSecret = { SEALPOST_EDGE_SECRET: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: logicalId(stack, stack.edge.edgeSecret) }, ':SecretString:::}}']] } };

    // Sealed uploads' parts: sender-api writes them, the portal presigns downloads, maintenance deletes
    // expired ones; ses-events never touches them. SEALPOST_MAX_UPLOAD_MIB only when set (blobs.test.ts).
    const blobBucket = { SEALPOST_BLOB_BUCKET: { Ref: 'SealpostBlobBucket' } };

    expect(env('sender-api')).toEqual({ ...common, ...configurationSet, ...edgeSecret, ...blobBucket });
    // The portal sends verification and inbox sign-in codes through the same configuration set.
    expect(env('portal')).toEqual({ ...common, ...configurationSet, ...edgeSecret, ...blobBucket, SEALPOST_WEB_DIR: '/var/task/web' });
    expect(env('ses-events')).toEqual(common);
    expect(env('maintenance')).toEqual({ ...common, ...blobBucket });
  });

  it('all name the stack key by its ARN, the key that wraps stored secrets', () => {
    for (const entry of ENTRIES) expect(env(entry).SEALPOST_KMS_KEY_ID, entry).toEqual({ 'Fn::GetAtt': ['SealpostKey', 'Arn'] });
  });

  it('never allow webhooks to plain http or local addresses (SEALPOST_WEBHOOKS_ALLOW_LOCAL is for npm start only)', () => {
    for (const entry of ENTRIES) expect(Object.keys(env(entry)), entry).not.toContain('SEALPOST_WEBHOOKS_ALLOW_LOCAL');
  });

  it('run outside a VPC: maintenance posts to webhook URLs on the internet', () => {
    for (const entry of ENTRIES) expect(props(fnId(entry)).VpcConfig, entry).toBeUndefined();
  });

  it('log to their own log group, kept for three months', () => {
    for (const entry of ENTRIES) {
      const logGroup = (props(fnId(entry)).LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;

      expect(props(logGroup).RetentionInDays).toBe(90);
      expect(props(logGroup).LogGroupName).toBeUndefined();
    }
  });

  it('have generated names and their own roles', () => {
    for (const entry of ENTRIES) expect(props(fnId(entry)).FunctionName).toBeUndefined();
    expect(new Set(ENTRIES.map((entry) => JSON.stringify(props(fnId(entry)).Role))).size).toBe(ENTRIES.length);
  });
});

describe('HTTP API', () => {
  it('routes /v1/* and POST /m/{id}/reply to sender-api and everything else to the portal, which answers unknown paths itself', () => {
    const integrationTarget = (route: Props) => {
      const integration = ((route.Target as { 'Fn::Join': [string, [string, { Ref: string }]] })['Fn::Join'][1][1]).Ref;
      return (props(integration).IntegrationUri as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    };
    const routes = Object.fromEntries(Object.values(template.findResources('AWS::ApiGatewayV2::Route'))
      .map((route) => [(route.Properties as Props).RouteKey, integrationTarget(route.Properties as Props)]));

    expect(routes).toEqual({
      'ANY /v1/{proxy+}': fnId('sender-api'),
      // Replies are sealed with OpenPGP, which only sender-api's bundle carries.
      'POST /m/{id}/reply': fnId('sender-api'),
      $default: fnId('portal'),
    });
  });

  it('throttles the default stage', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it('uses payload format 2.0, which the Hono Lambda adapter and the entry tests expect', () => {
    for (const integration of Object.values(template.findResources('AWS::ApiGatewayV2::Integration'))) {
      expect((integration.Properties as Props).PayloadFormatVersion).toBe('2.0');
    }
  });
});
