/**
 * A presigned S3 GET (Signature Version 4, query parameters), without the S3 client: the portal only
 * ever signs downloads, and the S3 client would add a third to its bundle (and to its cold start).
 * The algorithm as AWS documents it:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html — the tests check
 * these URLs against the S3 stand-in's verifier, and that verifier against the SDK's own presigner.
 */
import { createHash, createHmac } from 'node:crypto';

export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** RFC 3986 encoding, as SigV4 canonicalises query parameters and path segments. */
export const rfc3986 = (text: string): string => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** The SigV4 signing key of a day, region and service. */
export function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
}

/** Query parameters in canonical order and encoding (the signature itself excluded). */
export function canonicalQuery(params: Iterable<[string, string]>): string {
  return [...params].filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join('&');
}

/** The string a presigned request's signature signs: its canonical request, hashed, under its scope. */
export function stringToSign(request: { method: string; path: string; query: string; headers: string; signedHeaders: string }, amzDate: string, scope: string): string {
  const canonical = [request.method, request.path, request.query, request.headers, request.signedHeaders, 'UNSIGNED-PAYLOAD'].join('\n');
  return ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
}

/**
 * A URL that GETs `key` of `bucket` (path-style, at `endpoint`) for `expiresInSeconds`, signed with
 * `credentials` at `now`. Only the host is signed: the browser sends nothing else that matters.
 */
export function presignGet(options: {
  endpoint: string; region: string; bucket: string; key: string; credentials: SigningCredentials; expiresInSeconds: number; now: Date;
  /** S3's response-* overrides, signed into the URL (e.g. "response-cache-control": "no-store"). */
  responseHeaders?: Readonly<Record<string, string>>;
}): string {
  const endpoint = new URL(options.endpoint);
  const amzDate = options.now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const scope = `${date}/${options.region}/s3/aws4_request`;
  const path = `${endpoint.pathname.replace(/\/+$/, '')}/${rfc3986(options.bucket)}/${options.key.split('/').map(rfc3986).join('/')}`;
  const params: [string, string][] = [
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${options.credentials.accessKeyId}/${scope}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', String(options.expiresInSeconds)],
    ...(options.credentials.sessionToken ? [['X-Amz-Security-Token', options.credentials.sessionToken] as [string, string]] : []),
    ['X-Amz-SignedHeaders', 'host'],
    ...Object.entries(options.responseHeaders ?? {}),
  ];
  const query = canonicalQuery(params);
  const toSign = stringToSign({ method: 'GET', path, query, headers: `host:${endpoint.host}\n`, signedHeaders: 'host' }, amzDate, scope);
  const signature = hmac(signingKey(options.credentials.secretAccessKey, date, options.region, 's3'), toSign).toString('hex');
  return `${endpoint.origin}${path}?${query}&X-Amz-Signature=${signature}`;
}
