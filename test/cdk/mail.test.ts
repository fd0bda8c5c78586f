/** SES identity, configuration set and the feedback loop into the ses-events function. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { SealpostStack } from '../../cdk/sealpost-stack.ts';
import { ensureBuilt, logicalId, synth } from './helpers.ts';

type Props = Record<string, unknown>;
let stack: SealpostStack;
let template: Template;
const only = (t: Template, type: string): Props => {
  const found = Object.entries(t.findResources(type));
  expect(found).toHaveLength(1);
  const [id, resource] = found[0] as [string, { Properties: Props }];
  return { ...resource.Properties, id };
};

beforeAll(async () => {
  await ensureBuilt();
  ({ stack, template } = synth({ senderDomain: 'example.com' }));
});

describe('SES identity', () => {
  it('is the sender domain with Easy DKIM (2048-bit) and our configuration set as default', () => {
    const identity = only(template, 'AWS::SES::EmailIdentity');

    expect(identity).toMatchObject({
      EmailIdentity: 'example.com',
      DkimAttributes: { SigningEnabled: true },
      DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
      ConfigurationSetAttributes: { ConfigurationSetName: { Ref: logicalId(stack, stack.mail.configurationSet) } },
    });
    expect(Object.keys(template.toJSON().Outputs).filter((name) => name.startsWith('DkimRecord'))).toHaveLength(3);
  });

  it('is the single address, without DKIM records, when senderAddress is given', () => {
    const byAddress = synth({ senderAddress: 'notify@example.com' });
    const identity = only(byAddress.template, 'AWS::SES::EmailIdentity');

    expect(identity.EmailIdentity).toBe('notify@example.com');
    expect(identity.DkimSigningAttributes).toBeUndefined();
    expect(Object.keys(byAddress.template.toJSON().Outputs).filter((name) => name.startsWith('DkimRecord'))).toEqual([]);
  });
});

describe('configuration set', () => {
  it('requires TLS to the recipient server, since the notification carries the pickup link', () => {
    expect(only(template, 'AWS::SES::ConfigurationSet').DeliveryOptions).toEqual({ TlsPolicy: 'REQUIRE' });
  });

  it('publishes bounce, complaint and delivery events to the SNS topic', () => {
    const destination = only(template, 'AWS::SES::ConfigurationSetEventDestination');

    expect(destination.EventDestination).toEqual({
      Enabled: true,
      MatchingEventTypes: ['bounce', 'complaint', 'delivery'],
      SnsDestination: { TopicARN: { Ref: logicalId(stack, stack.mail.eventsTopic) } },
    });
  });

  it('lets SES publish to the topic only for this configuration set', () => {
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy'))
      .filter((p) => JSON.stringify((p.Properties as Props).Topics) === JSON.stringify([{ Ref: logicalId(stack, stack.mail.eventsTopic) }]));
    const statements = (policies[0]?.Properties as { PolicyDocument: { Statement: Props[] } }).PolicyDocument.Statement;
    const ses = statements.filter((s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'ses.amazonaws.com' }));

    const sourceArn = JSON.stringify((ses[0]?.Condition as { StringEquals: Props }).StringEquals['AWS:SourceArn']);

    expect(ses).toHaveLength(1);
    expect(sourceArn).toContain(':configuration-set/');
    expect(sourceArn).toContain(JSON.stringify({ Ref: logicalId(stack, stack.mail.configurationSet) }));
  });
});

describe('SES events', () => {
  it('reach the ses-events function through an SNS subscription', () => {
    const subscription = only(template, 'AWS::SNS::Subscription');

    expect(subscription).toMatchObject({
      Protocol: 'lambda',
      TopicArn: { Ref: logicalId(stack, stack.mail.eventsTopic) },
      Endpoint: { 'Fn::GetAtt': [logicalId(stack, stack.functions.sesEvents), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'sns.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalId(stack, stack.functions.sesEvents), 'Arn'] },
      SourceArn: { Ref: logicalId(stack, stack.mail.eventsTopic) },
    });
  });
});
