/**
 * What 1,000 messages cost in AWS at list prices (us-east-1, on-demand, no free tier), from what the
 * bench counted for one message's life (aws-calls.ts: its send, its pickup page, one open, and what
 * it leaves stored), against the floor: SES's own price for sending the same content as an email.
 *
 * Modelled: SES; Lambda requests and GB-seconds (the arm64 functions at their configured memory,
 * billed for the wall time the local stack took — a local figure, not Lambda's CPU); API Gateway
 * HTTP API requests; CloudFront requests and bytes out (page, script, stylesheet, ciphertext); WAF
 * requests; DynamoDB request units (table and indexes) and storage for as long as each item lives —
 * the ciphertext until the tenant's default expiry (plus two days of TTL lag), the head 30 days
 * longer, the audit events six years; CloudWatch Logs ingestion of what was logged; KMS requests.
 * Not modelled: SES delivery notifications (SNS → ses-events), monthly fixed costs (KMS key, WAF web
 * ACL and rule), and free tiers.
 */
import { FUNCTION_SIZING } from '../../cdk/constructs/functions.ts';
import { DEFAULT_EXPIRY_DAYS, EVENT_RETENTION_DAYS, HEAD_GRACE_DAYS } from '../../functions/core/shared/index.ts';
import type { MessageLife } from './aws-calls.ts';

/** List prices in USD, us-east-1, as published on each service's pricing page (read for this bench in December 2026). */
export const PRICES = {
  sesEmail: { usd: 0.10 / 1000, source: 'https://aws.amazon.com/ses/pricing/ — $0.10 per 1,000 outbound emails' },
  sesAttachmentGb: { usd: 0.12, source: 'https://aws.amazon.com/ses/pricing/ — $0.12 per GB of attachments' },
  lambdaRequest: { usd: 0.20 / 1e6, source: 'https://aws.amazon.com/lambda/pricing/ — $0.20 per 1M requests' },
  lambdaArmGbSecond: { usd: 0.0000133334, source: 'https://aws.amazon.com/lambda/pricing/ — Arm, $0.0000133334 per GB-second' },
  httpApiRequest: { usd: 1.00 / 1e6, source: 'https://aws.amazon.com/api-gateway/pricing/ — HTTP APIs, $1.00 per million (first 300M)' },
  cloudFrontRequest: { usd: 0.0100 / 10_000, source: 'https://aws.amazon.com/cloudfront/pricing/ — HTTPS, $0.0100 per 10,000 (US)' },
  cloudFrontOutGb: { usd: 0.085, source: 'https://aws.amazon.com/cloudfront/pricing/ — data out, $0.085 per GB (first 10 TB, US)' },
  cloudFrontToOriginGb: { usd: 0.020, source: 'https://aws.amazon.com/cloudfront/pricing/ — data out to origin, $0.020 per GB (US)' },
  wafRequest: { usd: 0.60 / 1e6, source: 'https://aws.amazon.com/waf/pricing/ — $0.60 per 1M requests' },
  dynamoWriteUnit: { usd: 0.625 / 1e6, source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ — $0.625 per million write request units' },
  dynamoReadUnit: { usd: 0.125 / 1e6, source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ — $0.125 per million read request units' },
  dynamoGbMonth: { usd: 0.25, source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ — Standard table class, $0.25 per GB-month' },
  s3Put: { usd: 0.005 / 1000, source: 'https://aws.amazon.com/s3/pricing/ — PUT, COPY, POST, LIST $0.005 per 1,000 requests' },
  s3Get: { usd: 0.0004 / 1000, source: 'https://aws.amazon.com/s3/pricing/ — GET $0.0004 per 1,000 requests' },
  s3GbMonth: { usd: 0.023, source: 'https://aws.amazon.com/s3/pricing/ — S3 Standard, $0.023 per GB-month (first 50 TB); transfer to CloudFront free' },
  kmsRequest: { usd: 0.03 / 10_000, source: 'https://aws.amazon.com/kms/pricing/ — $0.03 per 10,000 requests' },
  logsIngestGb: { usd: 0.50, source: 'https://aws.amazon.com/cloudwatch/pricing/ — Logs ingestion, $0.50 per GB (Standard)' },
} as const;

export interface Cost {
  readonly sealedBytes: number;
  readonly usdPer1000: number;
  readonly floorUsdPer1000: number;
  /** Each priced item, USD per 1,000 messages. */
  readonly lines: Readonly<Record<string, number>>;
}

const GB = 1024 ** 3;
const DAYS_PER_MONTH = 365.25 / 12;

/** `pageBytes`: what the browser downloads for the pickup page (HTML, script, stylesheet, compressed). */
export function costPer1000(life: MessageLife, pageBytes: number): Cost {
  const p = (key: keyof typeof PRICES) => PRICES[key].usd;
  const { send, page, open, stored } = life;
  const gbSeconds = (ms: number, entry: 'sender-api' | 'portal') => (Math.ceil(ms) / 1000) * (FUNCTION_SIZING[entry].memoryMiB / 1024);
  // Behind CloudFront and its WAF: the send, the page and its two assets, the open. The assets are
  // cacheable (max-age 300), so they are counted at the edge only; the rest reach API Gateway and Lambda.
  // A message in the blob store adds, at the edge, the lazy download script and one GET per part
  // (CloudFront → S3, which bills the GET).
  const edgeRequests = 5 + (stored.blobParts > 0 ? 1 + stored.blobParts : 0);
  const originRequests = 3;
  const sendBodyBytes = Math.ceil((life.attachmentBytes * 4) / 3) + 1024;
  const lines: Record<string, number> = {
    ses: p('sesEmail'),
    lambda: originRequests * p('lambdaRequest') + (gbSeconds(send.ms, 'sender-api') + gbSeconds(page.ms, 'portal') + gbSeconds(open.ms, 'portal')) * p('lambdaArmGbSecond'),
    apiGateway: originRequests * p('httpApiRequest'),
    cloudFront: edgeRequests * p('cloudFrontRequest') + ((pageBytes + life.sealedBytes) / GB) * p('cloudFrontOutGb') + (sendBodyBytes / GB) * p('cloudFrontToOriginGb'),
    waf: edgeRequests * p('wafRequest'),
    dynamoRequests: (send.writeUnits + page.writeUnits + open.writeUnits) * p('dynamoWriteUnit') + (send.readUnits + page.readUnits + open.readUnits) * p('dynamoReadUnit'),
    dynamoStorage: ((stored.chunks * (DEFAULT_EXPIRY_DAYS + 2) + stored.head * (DEFAULT_EXPIRY_DAYS + HEAD_GRACE_DAYS) + stored.events * EVENT_RETENTION_DAYS) / DAYS_PER_MONTH / GB) * p('dynamoGbMonth'),
    s3: (send.s3Puts + page.s3Puts + open.s3Puts) * p('s3Put') + (send.s3Gets + page.s3Gets + open.s3Gets + stored.blobParts) * p('s3Get')
      + (stored.blobBytes * (DEFAULT_EXPIRY_DAYS + 2) / DAYS_PER_MONTH / GB) * p('s3GbMonth'),
    kms: (send.kms + page.kms + open.kms) * p('kmsRequest'),
    logs: ((send.logBytes + page.logBytes + open.logBytes) / GB) * p('logsIngestGb'),
  };
  const per1000 = (usd: number) => usd * 1000;
  return {
    sealedBytes: life.sealedBytes,
    usdPer1000: per1000(Object.values(lines).reduce((a, b) => a + b, 0)),
    floorUsdPer1000: per1000(p('sesEmail') + (life.attachmentBytes / GB) * p('sesAttachmentGb')),
    lines: Object.fromEntries(Object.entries(lines).map(([k, v]) => [k, per1000(v)])),
  };
}
