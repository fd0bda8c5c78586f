/**
 * A per-IP rate rule in front of the recipient actions that are counted or locked: AWS WAF on the
 * CloudFront distribution. The lockouts (5 wrong passcodes or codes lock a recipient, 5 wrong
 * sign-in codes lock an address) protect against guessing, but each lock is also a lever: anyone
 * who knows a link's path or an address can spend a recipient's attempts. The rate rule makes that
 * lever cost: one IP address may make so many counted requests in five minutes, then gets 429s
 * until its rate falls. It only works if every request passes CloudFront, which the edge secret
 * ensures (functions/http/middleware/edge-guard.ts).
 *
 * Sealed uploads' parts (GET /blobs/*, constructs/edge.ts) are deliberately not counted. A recipient
 * opening a 25 MiB attachment fetches about 9 parts, and at the 140 MiB setting 35, per open; a
 * limit that lets that through several times in five minutes would no longer protect the counted
 * actions, and one that does not would block a recipient in the middle of a download. Counting them
 * buys nothing either: every part URL a browser gets comes from an open, which the first rule
 * counts; it is valid for one object and a short time; and S3 answers anything else with a 403 that
 * it does not bill to the bucket owner (S3 User Guide, "Billing for Amazon S3 error responses").
 * What remains is CloudFront's and WAF's per-request price for junk GETs, which any path has.
 *
 * A CloudFront web ACL must be created in us-east-1 (CloudFront's region); cdk/app.ts puts this
 * construct in the main stack when that is in us-east-1 and in a small stack of its own there
 * otherwise. On by default; `-c waf=false` leaves it out.
 */
import { Aws, CfnRule, Fn, Token, Stack } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** One rate rule: its name, the paths it counts (a regular expression over the URI path), and its limit. */
export interface RateRule {
  readonly name: string;
  readonly description: string;
  /** Requests per IP address per five minutes, of POSTs whose path matches `paths`. */
  readonly limit: number;
  readonly paths: string;
}

/** Five minutes: long enough that a burst of a large message's parts is not mistaken for an attack. */
export const RATE_WINDOW_SECONDS = 300;

export const RATE_RULES: readonly RateRule[] = [
  {
    name: 'recipient-opens',
    description: 'POST /m/{id}/open: every open and every part of a large message; a wrong passcode is counted here',
    limit: 300,
    paths: '^/m/[A-Za-z0-9_-]{22}/open$',
  },
  {
    name: 'recipient-answers',
    description: 'POST /m/{id}/code, /m/{id}/reply and the inbox sign-in and code: each sends mail or is counted',
    limit: 60,
    paths: '^/m/[A-Za-z0-9_-]{22}/(code|reply)$|^/inbox/api/[A-Za-z0-9_-]{1,64}/(sign-in|verify)$',
  },
];

/** The problem body a rate-limited request gets (RFC 9457, like every error of the application). */
export const RATE_LIMITED_BODY = JSON.stringify({
  type: 'urn:sealpost:problem:rate-limited',
  title: 'Too many requests',
  status: 429,
  detail: 'Too many requests from your network in the last few minutes. Wait a few minutes and try again.',
});

export class Firewall extends Construct {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const region = Stack.of(this).region;
    if (Token.isUnresolved(region)) {
      // An environment-agnostic stack can be deployed anywhere; the web ACL can only be made in us-east-1.
      new CfnRule(this, 'CloudFrontRegion', {
        assertions: [{
          assert: Fn.conditionEquals(Aws.REGION, 'us-east-1'),
          assertDescription: 'The WAF web ACL of a CloudFront distribution must be created in us-east-1. Deploy with an account and region '
            + '(cdk deploy with credentials: a separate us-east-1 stack holds it), deploy in us-east-1, or turn it off with -c waf=false.',
        }],
      });
    } else if (region !== 'us-east-1') {
      throw new Error(`the CloudFront web ACL must be in us-east-1, not ${region}`);
    }
    const metric = (name: string) => ({ cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: `sealpost-${name}` });
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      description: 'sealpost: per-IP rate rules for the recipient actions that are counted or locked',
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: metric('web-acl'),
      customResponseBodies: { 'rate-limited': { contentType: 'APPLICATION_JSON', content: RATE_LIMITED_BODY } },
      rules: RATE_RULES.map((rule, priority) => ({
        name: rule.name,
        priority,
        action: {
          block: {
            customResponse: {
              responseCode: 429,
              customResponseBodyKey: 'rate-limited',
              responseHeaders: [{ name: 'Retry-After', value: String(RATE_WINDOW_SECONDS) }],
            },
          },
        },
        visibilityConfig: metric(rule.name),
        statement: {
          rateBasedStatement: {
            limit: rule.limit,
            aggregateKeyType: 'IP',
            evaluationWindowSec: RATE_WINDOW_SECONDS,
            scopeDownStatement: {
              andStatement: {
                statements: [
                  { byteMatchStatement: { fieldToMatch: { method: {} }, positionalConstraint: 'EXACTLY', searchString: 'POST', textTransformations: [{ priority: 0, type: 'NONE' }] } },
                  { regexMatchStatement: { fieldToMatch: { uriPath: {} }, regexString: rule.paths, textTransformations: [{ priority: 0, type: 'NONE' }] } },
                ],
              },
            },
          },
        },
      })),
    });
  }
}
