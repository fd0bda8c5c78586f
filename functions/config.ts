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
}

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
  };
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
