/** cdk/app.ts: context validation, the removal-policy guard, and the template as CloudFormation sees it. */
import { beforeAll, describe, expect, it } from 'vitest';
import { ContextError, readConfig } from '../../cdk/app.ts';
import { CERTIFICATE_ARN, ensureBuilt, synth } from './helpers.ts';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };
const context = (values: Record<string, unknown>) => (key: string) => values[key];
const problemsOf = (values: Record<string, unknown>): readonly string[] => {
  try {
    readConfig(context(values));
  } catch (error) {
    if (error instanceof ContextError) return error.problems;
    throw error;
  }
  return [];
};

beforeAll(async () => {
  await ensureBuilt();
});

describe('context validation', () => {
  it('requires a sender identity', () => {
    expect(problemsOf({})).toEqual([expect.stringMatching(/-c senderDomain=.*-c senderAddress=/)]);
  });

  it('refuses both senderDomain and senderAddress', () => {
    expect(problemsOf({ senderDomain: 'example.com', senderAddress: 'notify@example.com' })).toEqual(['give senderDomain or senderAddress, not both']);
  });

  it('refuses domainName without certificateArn, and certificateArn without domainName', () => {
    expect(problemsOf({ senderDomain: 'example.com', domainName: 'secure.example.com' })).toEqual([expect.stringContaining('domainName needs certificateArn')]);
    expect(problemsOf({ senderDomain: 'example.com', certificateArn: CERTIFICATE_ARN })).toEqual([expect.stringContaining('only used with domainName')]);
  });

  it('refuses a certificate outside us-east-1', () => {
    const arn = CERTIFICATE_ARN.replace('us-east-1', 'eu-west-1');

    expect(problemsOf({ senderDomain: 'example.com', domainName: 'secure.example.com', certificateArn: arn })).toEqual([expect.stringContaining('must be in us-east-1')]);
  });

  it('refuses malformed names and addresses, reporting every problem at once', () => {
    const problems = problemsOf({ senderDomain: 'not a domain', domainName: 'https://secure.example.com', certificateArn: 'arn:nope', alarmEmail: 'ops', stage: 'Prod!' });

    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/stage.*senderDomain.*domainName.*certificateArn.*alarmEmail/s);
  });

  it('refuses allowDestroy for production, and values other than true or false', () => {
    expect(problemsOf({ senderDomain: 'example.com', allowDestroy: 'true' })).toEqual([expect.stringContaining('refused for the production stage')]);
    expect(problemsOf({ senderDomain: 'example.com', stage: 'dev', allowDestroy: 'yes' })).toEqual(['allowDestroy must be true or false']);
  });

  it('accepts tableIndexes only as known index names, comma-separated', () => {
    expect(readConfig(context({ senderDomain: 'example.com', tableIndexes: 'gsi1' })).tableIndexes).toEqual(['byTenant']);
    expect(readConfig(context({ senderDomain: 'example.com', tableIndexes: ' gsi2 , gsi1' })).tableIndexes).toEqual(['queue', 'byTenant']);
    expect(readConfig(context({ senderDomain: 'example.com' })).tableIndexes).toBeUndefined();
    expect(problemsOf({ senderDomain: 'example.com', tableIndexes: 'gsi3' })).toEqual([expect.stringContaining('must list index names among gsi1, gsi2')]);
    expect(problemsOf({ senderDomain: 'example.com', tableIndexes: ',' })).toEqual([expect.stringContaining('tableIndexes')]);
  });

  it('accepts maxUploadMib only as a whole number of MiB from 1 to 2048, and leaves it unset by default', () => {
    expect(readConfig(context({ senderDomain: 'example.com', maxUploadMib: '140' })).maxUploadMib).toBe(140);
    expect(readConfig(context({ senderDomain: 'example.com', maxUploadMib: 2048 })).maxUploadMib).toBe(2048);
    expect(readConfig(context({ senderDomain: 'example.com' })).maxUploadMib).toBeUndefined();
    for (const bad of ['0', '2049', '1.5', '-3', 'lots', '140MiB', ' ']) {
      expect(problemsOf({ senderDomain: 'example.com', maxUploadMib: bad }), bad).toEqual([expect.stringMatching(/^maxUploadMib ".*" must be a whole number of MiB from 1 to 2048$/)]);
    }
  });

  it('makes the error message list the problems', () => {
    expect(() => readConfig(context({}))).toThrow(/^invalid context:\n {2}- give the SES sender identity/);
  });
});

describe('stages', () => {
  const retention = (resources: Record<string, Resource>, type: string) => Object.values(resources).filter((r) => r.Type === type).map((r) => r.DeletionPolicy);

  it('production (the default) retains the table, key, log groups and bucket, and protects the stack', () => {
    const { stack, template } = synth({ senderDomain: 'example.com' });
    const resources = template.toJSON().Resources as Record<string, Resource>;

    expect(stack.stackName).toBe('Sealpost');
    expect(stack.terminationProtection).toBe(true);
    for (const type of ['AWS::DynamoDB::Table', 'AWS::KMS::Key', 'AWS::Logs::LogGroup', 'AWS::S3::Bucket']) {
      expect(new Set(retention(resources, type)), type).toEqual(new Set(['Retain']));
    }
  });

  it('a non-production stage still retains its data unless allowDestroy=true', () => {
    const { stack, template } = synth({ senderDomain: 'example.com', stage: 'dev' });
    const resources = template.toJSON().Resources as Record<string, Resource>;

    expect(stack.stackName).toBe('Sealpost-dev');
    expect(stack.terminationProtection).toBe(false);
    expect(resources.SealpostTable?.DeletionPolicy).toBe('Retain');
    expect(resources.SealpostTable?.Properties.DeletionProtectionEnabled).toBe(true);
  });

  it('stage dev with allowDestroy=true deletes table, key, log groups and bucket with the stack', () => {
    const { template } = synth({ senderDomain: 'example.com', stage: 'dev', allowDestroy: 'true' });
    const resources = template.toJSON().Resources as Record<string, Resource>;

    expect(resources.SealpostTable?.DeletionPolicy).toBe('Delete');
    expect(resources.SealpostTable?.Properties.DeletionProtectionEnabled).toBe(false);
    expect(resources.SealpostKey?.DeletionPolicy).toBe('Delete');
    expect(resources.SealpostKey?.Properties.PendingWindowInDays).toBe(7);
    for (const type of ['AWS::Logs::LogGroup', 'AWS::S3::Bucket']) expect(new Set(retention(resources, type)), type).toEqual(new Set(['Delete']));
    expect(resources.SealpostBlobKey?.DeletionPolicy).toBe('Delete');
    // The assets bucket and the blob bucket are emptied first, or CloudFormation could not delete them.
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
  });
});

describe('template', () => {
  it('passes CloudFormation validation, with findings as errors as in cdk.json', () => {
    // The fullest production variant; cdk.json's @aws-cdk/core:validateAgainstDefaultRules makes a finding throw.
    const full = { senderDomain: 'example.com', alarmEmail: 'ops@example.com', domainName: 'secure.example.com', certificateArn: CERTIFICATE_ARN };

    expect(() => synth(full, { validate: true })).not.toThrow();
  });
});
