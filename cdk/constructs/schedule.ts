/**
 * Time-driven work: an EventBridge rule invokes the maintenance function every minute (expirations
 * recorded, webhooks delivered). A run's budget is well under the interval, and the function allows
 * one instance at a time (functions.ts), so runs do not overlap.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** How often maintenance runs: what bounds the delay of an "expired" event and of a webhook delivery. */
export const MAINTENANCE_INTERVAL = Duration.minutes(1);

export interface ScheduleProps {
  readonly maintenance: lambda.IFunction;
}

export class Schedule extends Construct {
  readonly maintenanceRule: events.Rule;

  constructor(scope: Construct, id: string, props: ScheduleProps) {
    super(scope, id);
    this.maintenanceRule = new events.Rule(this, 'Maintenance', {
      description: 'sealpost: runs the maintenance function (expirations, webhook deliveries)',
      schedule: events.Schedule.rate(MAINTENANCE_INTERVAL),
      targets: [new targets.LambdaFunction(props.maintenance, {
        // A missed run is made up by the next one; an old event is worth nothing.
        retryAttempts: 0,
        maxEventAge: MAINTENANCE_INTERVAL,
      })],
    });
  }
}
