/**
 * What should wake an operator, all on one SNS topic: a function failing or throttled, the API
 * answering 5xx, DynamoDB throttling, and the SES reputation approaching the rates at which AWS
 * reviews or pauses the account (bounces 5 % / 10 %, complaints 0.1 % / 0.5 %), early enough to act.
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { pascalCase } from './functions.ts';

export const ALARM_PERIOD = Duration.minutes(5);
/** Share of API requests answered 5xx within ALARM_PERIOD. */
export const API_5XX_RATE = 0.01;
export const SES_BOUNCE_RATE = 0.02;
export const SES_COMPLAINT_RATE = 0.0005;

export interface AlarmsProps {
  /** Function by a short name used in alarm descriptions. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly httpApi: apigwv2.IHttpApi;
  readonly table: dynamodb.ITable;
  /** The operations the functions call, for the throttling alarm. */
  readonly tableOperations: readonly dynamodb.Operation[];
  /** Dead letters of SES feedback processing. */
  readonly deadLetters?: sqs.IQueue;
  /** Subscribed to the topic by email (the recipient must confirm the subscription). */
  readonly alarmEmail?: string;
}

export class Alarms extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', { enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    const atLeastOnce = { threshold: 1, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD };
    for (const [name, fn] of Object.entries(props.functions)) {
      this.alarm(`${pascalCase(name)}Errors`, fn.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }), {
        ...atLeastOnce, alarmDescription: `The ${name} function failed (unhandled error or timeout).`,
      });
      this.alarm(`${pascalCase(name)}Throttles`, fn.metricThrottles({ period: ALARM_PERIOD, statistic: 'Sum' }), {
        ...atLeastOnce, alarmDescription: `The ${name} function was throttled (account or reserved concurrency reached).`,
      });
    }

    const api5xxRate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, errors / requests, 0)',
      usingMetrics: {
        errors: props.httpApi.metricServerError({ period: ALARM_PERIOD, statistic: 'Sum' }),
        requests: props.httpApi.metricCount({ period: ALARM_PERIOD, statistic: 'Sum' }),
      },
      period: ALARM_PERIOD,
      label: 'Share of API requests answered 5xx',
    });
    this.alarm('Api5xxRate', api5xxRate, {
      threshold: API_5XX_RATE, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      alarmDescription: `At least ${API_5XX_RATE * 100} % of API requests were answered 5xx in ${ALARM_PERIOD.toMinutes()} minutes.`,
    });

    this.alarm('TableThrottles', props.table.metricThrottledRequestsForOperations({ operations: [...props.tableOperations], period: ALARM_PERIOD }), {
      ...atLeastOnce, alarmDescription: 'DynamoDB throttled requests to the message table.',
    });

    if (props.deadLetters) {
      this.alarm('SesEventsDeadLetters', props.deadLetters.metricApproximateNumberOfMessagesVisible({ period: ALARM_PERIOD, statistic: 'Maximum' }), {
        ...atLeastOnce, alarmDescription: 'SES feedback could not be recorded after retries; it waits in the dead-letter queue.',
      });
    }

    // Account-level reputation (no dimension): the figures SES itself acts on.
    const reputation = (metricName: string) => new cloudwatch.Metric({ namespace: 'AWS/SES', metricName, statistic: 'Maximum', period: Duration.minutes(15) });
    this.alarm('SesBounceRate', reputation('Reputation.BounceRate'), {
      threshold: SES_BOUNCE_RATE, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      alarmDescription: `SES bounce rate is at least ${SES_BOUNCE_RATE * 100} % (AWS reviews the account at 5 %).`,
    });
    this.alarm('SesComplaintRate', reputation('Reputation.ComplaintRate'), {
      threshold: SES_COMPLAINT_RATE, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      alarmDescription: `SES complaint rate is at least ${SES_COMPLAINT_RATE * 100} % (AWS reviews the account at 0.1 %).`,
    });
  }

  private alarm(id: string, metric: cloudwatch.IMetric, options: Omit<cloudwatch.CreateAlarmOptions, 'treatMissingData'>): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      // No traffic is not a failure.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...options,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
  }
}
