/** The message table and its KMS key: the decisions that keep data durable and encrypted. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import { ensureBuilt, synth } from './helpers.ts';

let template: Template;
type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
const resource = (id: string) => template.toJSON().Resources[id] as Resource;

beforeAll(async () => {
  await ensureBuilt();
  ({ template } = synth({ senderDomain: 'example.com' }));
});

describe('message table', () => {
  it('keeps the stable logical id SealpostTable, so an update never replaces it', () => {
    expect(resource('SealpostTable').Type).toBe('AWS::DynamoDB::Table');
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
  });

  it('is retained on stack deletion and replacement, and protected against deletion', () => {
    const table = resource('SealpostTable');

    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
  });

  it('has point-in-time recovery', () => {
    expect(resource('SealpostTable').Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it('expires items by the attribute ttl', () => {
    expect(resource('SealpostTable').Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
  });

  it('has the string keys pk and sk the adapters use, on demand', () => {
    const { Properties: table } = resource('SealpostTable');

    expect(table.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }]);
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('has two global secondary indexes, gsi1 (per tenant) and gsi2 (work queues), with string keys and every attribute', () => {
    const { Properties: table } = resource('SealpostTable');
    const index = (name: string, key: string) => ({
      IndexName: name,
      KeySchema: [{ AttributeName: `${key}pk`, KeyType: 'HASH' }, { AttributeName: `${key}sk`, KeyType: 'RANGE' }],
      // The adapters read whole heads, events and endpoints from the indexes.
      Projection: { ProjectionType: 'ALL' },
    });

    expect(table.GlobalSecondaryIndexes).toEqual([index('gsi1', 'gsi1'), index('gsi2', 'gsi2')]);
    expect(table.AttributeDefinitions).toEqual(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'].map((name) => ({ AttributeName: name, AttributeType: 'S' })));
    expect(table.LocalSecondaryIndexes).toBeUndefined();
  });

  it('creates only the indexes tableIndexes names, to upgrade an older stack one index per deploy', () => {
    const upgrade = synth({ senderDomain: 'example.com', tableIndexes: 'gsi1' });
    const table = (upgrade.template.toJSON().Resources.SealpostTable as Resource).Properties;

    expect((table.GlobalSecondaryIndexes as { IndexName: string }[]).map((i) => i.IndexName)).toEqual(['gsi1']);
  });

  it('is encrypted with our customer-managed key', () => {
    expect(resource('SealpostTable').Properties.SSESpecification).toEqual({
      SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': ['SealpostKey', 'Arn'] },
    });
  });
});

describe('KMS key', () => {
  it('keeps the stable logical id SealpostKey, and is the one key besides the blob bucket\'s (blobs.test.ts)', () => {
    expect(resource('SealpostKey').Type).toBe('AWS::KMS::Key');
    expect(Object.keys(template.findResources('AWS::KMS::Key')).sort()).toEqual(['SealpostBlobKey', 'SealpostKey']);
  });

  it('rotates and is retained', () => {
    const key = resource('SealpostKey');

    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    expect(key.UpdateReplacePolicy).toBe('Retain');
  });
});
