/**
 * Environment → validated, typed config. Read once per entry; fails fast naming the variable,
 * never echoing its value.
 */
export interface Config {
  readonly tableName: string;
  readonly portalOrigin: string;
  readonly region: string;
  readonly sesConfigurationSet?: string;
  readonly webDir: string;
  readonly logLevel: LogLevel;
  /** The KMS key that wraps stored secrets: webhook signing secrets and Message Center recipients' secrets. */
  readonly kmsKeyId: string;
  /**
   * Local development only: webhook URLs may be plain http and point at this machine. Never set
   * in AWS, where both would open the door to server-side request forgery.
   */
  readonly webhooksAllowLocal: boolean;
  /**
   * In AWS: the secret CloudFront adds to every request it sends the API, so the API refuses
   * anything that did not come through CloudFront (and its WAF). Absent locally.
   */
  readonly edgeSecret?: string;
  /**
   * The private bucket of sealed uploads' ciphertext (S3). Without it the sealed-upload API
   * (/v1/uploads) is not offered; messages sent through the JSON API never need it.
   */
  readonly blobBucket?: string;
  /** The largest sealed message a sealed upload accepts, in bytes (SEALPOST_MAX_UPLOAD_MIB, default 40 MiB). */
  readonly maxUploadBytes: number;
}

/** 40 MiB: a 25 MiB attachment is about 34 MiB once base64-encoded into MIME, plus the body and OpenPGP's few bytes per 256 KiB. */
export const DEFAULT_MAX_UPLOAD_MIB = 40;
/** What one setting may raise it to: 2 GiB (S3 and the commit check stream; the browser is the limit). */
export const MAX_UPLOAD_MIB = 2048;

import { LOG_LEVELS, type LogLevel } from './core/shared/index.ts';

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const missing = ['SEALPOST_TABLE', 'SEALPOST_PORTAL_ORIGIN', 'SEALPOST_KMS_KEY_ID'].filter((name) => !env[name]);
  if (missing.length > 0) throw new ConfigError(`missing environment variable(s): ${missing.join(', ')}`);
  const portalOrigin = env.SEALPOST_PORTAL_ORIGIN as string;
  let origin: URL;
  try {
    origin = new URL(portalOrigin);
  } catch {
    throw new ConfigError('SEALPOST_PORTAL_ORIGIN must be an absolute URL such as https://secure.example.com');
  }
  if (origin.pathname !== '/' || origin.search || origin.hash) throw new ConfigError('SEALPOST_PORTAL_ORIGIN must be an origin, without path, query or fragment');
  if (origin.protocol !== 'https:' && !['localhost', '127.0.0.1'].includes(origin.hostname)) {
    throw new ConfigError('SEALPOST_PORTAL_ORIGIN must use https (plain http is allowed only for localhost)');
  }
  const logLevel = (env.SEALPOST_LOG_LEVEL || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`SEALPOST_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  return {
    logLevel,
    tableName: env.SEALPOST_TABLE as string,
    portalOrigin: origin.origin,
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(env.SEALPOST_SES_CONFIGURATION_SET ? { sesConfigurationSet: env.SEALPOST_SES_CONFIGURATION_SET } : {}),
    webDir: env.SEALPOST_WEB_DIR ?? 'dist/web',
    kmsKeyId: env.SEALPOST_KMS_KEY_ID as string,
    webhooksAllowLocal: parseFlag(env, 'SEALPOST_WEBHOOKS_ALLOW_LOCAL'),
    ...(env.SEALPOST_EDGE_SECRET ? { edgeSecret: edgeSecret(env.SEALPOST_EDGE_SECRET) } : {}),
    ...(env.SEALPOST_BLOB_BUCKET ? { blobBucket: bucketName(env.SEALPOST_BLOB_BUCKET) } : {}),
    maxUploadBytes: maxUploadMib(env.SEALPOST_MAX_UPLOAD_MIB) * 1024 * 1024,
  };
}

function bucketName(value: string): string {
  // Path-style addressing (adapters/s3/blob-store.ts) and CloudFront's origin path need a plain name.
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(value)) throw new ConfigError('SEALPOST_BLOB_BUCKET must be an S3 bucket name of 3–63 lowercase letters, digits and "-" (no dots)');
  return value;
}

function maxUploadMib(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_MAX_UPLOAD_MIB;
  const mib = Number(value);
  if (!/^\d+$/.test(value) || mib < 1 || mib > MAX_UPLOAD_MIB) throw new ConfigError(`SEALPOST_MAX_UPLOAD_MIB must be a whole number of MiB from 1 to ${MAX_UPLOAD_MIB}`);
  return mib;
}

function edgeSecret(value: string): string {
  if (!/^[A-Za-z0-9_-]{32,128}$/.test(value)) throw new ConfigError('SEALPOST_EDGE_SECRET must be 32–128 letters, digits, "-" or "_"');
  return value;
}

function parseFlag(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = env[name];
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new ConfigError(`${name} must be "true" or "false"`);
}
