/** The alarms and where they go. Thresholds are decisions: each is pinned here as a literal. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import type { SealpostStack } from '../../cdk/sealpost-stack.ts';
import { ensureBuilt, logicalId, synth } from './helpers.ts';

// CloudFormation JSON, read loosely: the assertions below pin the shapes that matter.
type Alarm = Record<string, any>;
let stack: SealpostStack;
let template: Template;
const alarms = (t: Template): Alarm[] => Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties as Alarm);
const byMetric = (namespace: string, metricName: string, dimension?: unknown) => alarms(template).filter((a) => a.Namespace === namespace
  && a.MetricName === metricName && (dimension === undefined || JSON.stringify(a.Dimensions).includes(JSON.stringify(dimension))));

beforeAll(async () => {
  await ensureBuilt();
  ({ stack, template } = synth({ senderDomain: 'example.com', alarmEmail: 'ops@example.com' }));
});

describe('alarms', () => {
  it('watch Errors and Throttles of every function: at least 1 in 5 minutes', () => {
    for (const fn of stack.functions.all) {
      for (const metric of ['Errors', 'Throttles']) {
        const found = byMetric('AWS/Lambda', metric, { Ref: logicalId(stack, fn) });

        expect(found, `${metric} of ${fn.node.id}`).toHaveLength(1);
        expect(found[0]).toMatchObject({ Statistic: 'Sum', Period: 300, Threshold: 1, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      }
    }
  });

  it('fire on the first failed maintenance run (an error or a timeout), as for every function', () => {
    const [errors] = byMetric('AWS/Lambda', 'Errors', { Ref: logicalId(stack, stack.functions.maintenance) });

    expect(errors).toMatchObject({ Statistic: 'Sum', Period: 300, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
  });

  it('watch the share of API requests answered 5xx: at least 1 % in 5 minutes', () => {
    const [alarm] = alarms(template).filter((a) => a.Metrics?.some((m: Alarm) => m.MetricStat?.Metric.MetricName === '5xx'));
    const metric = (id: string) => alarm?.Metrics.find((m: Alarm) => m.Id === id)?.MetricStat;

    expect(alarm).toMatchObject({ Threshold: 0.01, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1 });
    expect(alarm?.Metrics.find((m: Alarm) => m.Expression)?.Expression).toBe('IF(requests > 0, errors / requests, 0)');
    expect(metric('errors')).toMatchObject({ Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5xx' }, Period: 300, Stat: 'Sum' });
    expect(metric('requests')).toMatchObject({ Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count' }, Period: 300, Stat: 'Sum' });
    expect(JSON.stringify(metric('errors').Metric.Dimensions)).toContain(logicalId(stack, stack.api.httpApi));
  });

  it('watch DynamoDB throttled requests of every operation the functions use', () => {
    const [alarm] = alarms(template).filter((a) => a.Metrics?.some((m: Alarm) => m.MetricStat?.Metric.MetricName === 'ThrottledRequests'));
    const operations = alarm?.Metrics.filter((m: Alarm) => m.MetricStat)
      .map((m: Alarm) => m.MetricStat.Metric.Dimensions.find((d: Alarm) => d.Name === 'Operation').Value).sort();

    expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(operations).toEqual(['BatchGetItem', 'BatchWriteItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'TransactWriteItems', 'UpdateItem']);
    expect(JSON.stringify(alarm?.Metrics)).toContain('{"Name":"TableName","Value":{"Ref":"SealpostTable"}}');
  });

  it('watch the SES bounce rate (≥ 2 %) and complaint rate (≥ 0.05 %)', () => {
    const [bounce] = byMetric('AWS/SES', 'Reputation.BounceRate');
    const [complaint] = byMetric('AWS/SES', 'Reputation.ComplaintRate');

    expect(bounce).toMatchObject({ Threshold: 0.02, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(complaint).toMatchObject({ Threshold: 0.0005, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
  });

  it('fire on the first SES feedback message left in the dead-letter queue', () => {
    const [deadLetters] = byMetric('AWS/SQS', 'ApproximateNumberOfMessagesVisible');

    expect(deadLetters).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Statistic: 'Maximum' });
    expect(deadLetters?.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack, stack.functions.feedbackDeadLetters), 'QueueName'] } }]);
    template.hasResourceProperties('AWS::Lambda::Function', { DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [logicalId(stack, stack.functions.feedbackDeadLetters), 'Arn'] } } });
  });

  it('all notify the one alarm topic, and no traffic is not an alarm', () => {
    const topic = { Ref: logicalId(stack, stack.alarms.topic) };

    // Errors and Throttles per function; API 5xx; DynamoDB throttling; SES bounces and complaints;
    // SES feedback dead letters.
    expect(alarms(template)).toHaveLength(4 * 2 + 5);
    for (const alarm of alarms(template)) {
      expect(alarm.AlarmActions).toEqual([topic]);
      expect(alarm.TreatMissingData).toBe('notBreaching');
    }
  });
});

describe('alarm topic', () => {
  it('is subscribed by alarmEmail', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: logicalId(stack, stack.alarms.topic) } });
  });

  it('has no subscription without alarmEmail', () => {
    const without = synth({ senderDomain: 'example.com' });
    const emails = Object.values(without.template.findResources('AWS::SNS::Subscription')).filter((s) => (s.Properties as Alarm).Protocol === 'email');

    expect(emails).toEqual([]);
  });
});
