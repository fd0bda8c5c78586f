import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../functions/config.ts';

const base = { SEALPOST_TABLE: 'sealpost', SEALPOST_PORTAL_ORIGIN: 'https://secure.example.org', SEALPOST_KMS_KEY_ID: 'alias/sealpost' };

describe('loadConfig', () => {
  it('reads a valid environment into typed config with defaults', () => {
    expect(loadConfig({ ...base, AWS_REGION: 'eu-west-1' })).toEqual({
      tableName: 'sealpost', portalOrigin: 'https://secure.example.org', region: 'eu-west-1', webDir: 'dist/web', logLevel: 'info',
      kmsKeyId: 'alias/sealpost', webhooksAllowLocal: false, maxUploadBytes: 40 * 1024 * 1024,
    });
  });

  it('reads the blob bucket and the sealed-upload limit, refusing names and numbers S3 and the setting would not take', () => {
    expect(loadConfig({ ...base, SEALPOST_BLOB_BUCKET: 'sealpost-blobs-1', SEALPOST_MAX_UPLOAD_MIB: '140' })).toMatchObject({ blobBucket: 'sealpost-blobs-1', maxUploadBytes: 140 * 1024 * 1024 });
    for (const bucket of ['Sealpost', 'sealpost.blobs', 'ab', '-sealpost']) expect(() => loadConfig({ ...base, SEALPOST_BLOB_BUCKET: bucket })).toThrow(/SEALPOST_BLOB_BUCKET/);
    for (const mib of ['0', '2049', '1.5', 'forty', '-1']) expect(() => loadConfig({ ...base, SEALPOST_MAX_UPLOAD_MIB: mib })).toThrow(/SEALPOST_MAX_UPLOAD_MIB/);
  });

  it('names every missing variable without echoing any value', () => {
    expect(() => loadConfig({})).toThrow(new ConfigError('missing environment variable(s): SEALPOST_TABLE, SEALPOST_PORTAL_ORIGIN, SEALPOST_KMS_KEY_ID'));
  });

  it('rejects a portal origin with a path, or plain http outside localhost, without echoing it', () => {
    for (const origin of ['https://secure.example.org/portal', 'http://secure.example.org', 'not a url']) {
      let message = '';
      try { loadConfig({ ...base, SEALPOST_PORTAL_ORIGIN: origin }); } catch (error) { message = (error as Error).message; }
      expect(message).toMatch(/SEALPOST_PORTAL_ORIGIN/);
      expect(message).not.toContain(origin);
    }
    expect(loadConfig({ ...base, SEALPOST_PORTAL_ORIGIN: 'http://localhost:3000' }).portalOrigin).toBe('http://localhost:3000');
  });

  it('allows local webhook targets only when asked with exactly "true"', () => {
    expect(loadConfig({ ...base, SEALPOST_WEBHOOKS_ALLOW_LOCAL: 'true' }).webhooksAllowLocal).toBe(true);
    expect(() => loadConfig({ ...base, SEALPOST_WEBHOOKS_ALLOW_LOCAL: 'yes' })).toThrow(/SEALPOST_WEBHOOKS_ALLOW_LOCAL/);
  });

  it('reads the edge secret when given, and refuses a short or odd one without echoing it', () => {
    const secret = 'Ab_-'.repeat(10);

    expect(loadConfig({ ...base, SEALPOST_EDGE_SECRET: secret }).edgeSecret).toBe(secret);
    for (const bad of ['short', `${secret}!`]) {
      let message = '';
      try { loadConfig({ ...base, SEALPOST_EDGE_SECRET: bad }); } catch (error) { message = (error as Error).message; }
      expect(message).toContain('SEALPOST_EDGE_SECRET must be');
      expect(message).not.toContain(bad);
    }
  });

  it('rejects an unknown log level', () => {
    expect(() => loadConfig({ ...base, SEALPOST_LOG_LEVEL: 'debug' })).toThrow(/SEALPOST_LOG_LEVEL/);
  });
});
