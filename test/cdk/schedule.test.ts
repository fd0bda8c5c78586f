/** The maintenance schedule: what runs it, how often, and what happens to a run that cannot start. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { SealpostStack } from '../../cdk/sealpost-stack.ts';
import { ensureBuilt, logicalId, synth } from './helpers.ts';

type Props = Record<string, any>;
let stack: SealpostStack;
let template: Template;
const resources = (type: string): Props[] => Object.values(template.findResources(type)).map((r) => r.Properties as Props);
const maintenanceArn = () => ({ 'Fn::GetAtt': [logicalId(stack, stack.functions.maintenance), 'Arn'] });

beforeAll(async () => {
  await ensureBuilt();
  ({ stack, template } = synth({ senderDomain: 'example.com' }));
});

describe('maintenance schedule', () => {
  it('is one EventBridge rule that invokes the maintenance function every minute', () => {
    const rules = resources('AWS::Events::Rule');

    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
    expect(rules[0]?.Targets).toHaveLength(1);
    expect(rules[0]?.Targets[0].Arn).toEqual(maintenanceArn());
  });

  it('lets only that rule invoke the function', () => {
    const permissions = resources('AWS::Lambda::Permission').filter((p) => JSON.stringify(p.FunctionName) === JSON.stringify(maintenanceArn()));

    expect(permissions).toEqual([{
      Action: 'lambda:InvokeFunction',
      FunctionName: maintenanceArn(),
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [logicalId(stack, stack.schedule.maintenanceRule), 'Arn'] },
    }]);
  });

  it('never retries a failed run, and drops one that cannot start within a minute: the next run does the same work', () => {
    const [rule] = resources('AWS::Events::Rule');
    const invokeConfigs = resources('AWS::Lambda::EventInvokeConfig').filter((c) => JSON.stringify(c.FunctionName) === JSON.stringify({ Ref: logicalId(stack, stack.functions.maintenance) }));

    expect(rule?.Targets[0].RetryPolicy).toEqual({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
    expect(invokeConfigs).toHaveLength(1);
    expect(invokeConfigs[0]).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
  });
});
