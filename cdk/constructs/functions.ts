/**
 * One Lambda function per deployable entry (cdk/build.ts), each with its own role and log group.
 *
 * The code is the pre-built bundle in dist/<entry> (`npm run build`): synthesis never bundles, so it
 * needs neither Docker nor esbuild, and what the bundle tests ran is what is deployed.
 *
 * Roles are created here rather than by lambda.Function, which would attach the managed
 * AWSLambdaBasicExecutionRole (logs:* on every log group). Each role starts with writing to its own
 * log group only; the bind helpers of the other constructs add the rest.
 *
 * No function runs in a VPC: maintenance posts to customers' webhook URLs on the internet (its
 * address policy refuses private and loopback targets), and the others reach only AWS APIs.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LAMBDA_ENTRIES, LAMBDA_NODE_OPTIONS, PORTAL_WEB_DIR, type LambdaEntry } from '../build.ts';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The built output that the stack deploys; `npm run build` writes it. */
export const DIST_DIR = path.join(rootDir, 'dist');

interface Sizing {
  readonly memoryMiB: number;
  readonly timeout: Duration;
  readonly description: string;
  /** Reserved concurrency: also the most instances that may run at once. Default: none reserved. */
  readonly reservedConcurrency?: number;
}

/**
 * Memory also buys CPU on Lambda: the sender API seals with OpenPGP and waits for SES.
 * maintenance gives its runs a 40 s budget (functions/entries/maintenance.ts); 90 s leaves room for
 * a slow last webhook call. One instance at most, so runs never pile up or work one queue twice.
 */
export const FUNCTION_SIZING: Readonly<Record<LambdaEntry, Sizing>> = {
  'sender-api': {
    memoryMiB: 1024, timeout: Duration.seconds(30),
    description: 'sealpost sender and admin API (/v1/*) and secure replies (POST /m/{id}/reply): seals, stores, notifies',
  },
  portal: {
    memoryMiB: 512, timeout: Duration.seconds(10),
    description: 'sealpost recipient portal, Message Center and admin console (/m/*, /inbox, /admin, /brand/*, /assets/*, /healthz)',
  },
  'ses-events': { memoryMiB: 256, timeout: Duration.seconds(30), description: 'sealpost SES bounce, complaint and delivery events into the audit trail' },
  maintenance: {
    memoryMiB: 256, timeout: Duration.seconds(90), reservedConcurrency: 1,
    description: 'sealpost maintenance, every minute: records expirations, delivers webhooks',
  },
};

export const LOG_RETENTION = logs.RetentionDays.THREE_MONTHS;

/** 'sender-api' → 'SenderApi', for construct ids. */
export function pascalCase(name: string): string {
  return name.split('-').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');
}

/** The code of one entry, from dist/<entry>. Fails with the command to run when it is not built. */
export function entryCode(entry: LambdaEntry, distDir: string = DIST_DIR): lambda.Code {
  const dir = path.join(distDir, entry);
  if (!existsSync(path.join(dir, 'index.mjs'))) {
    throw new Error(`${path.relative(rootDir, dir)}/index.mjs is missing: run npm run build first`);
  }
  return lambda.Code.fromAsset(dir);
}

export interface FunctionsProps {
  /** For the log groups. */
  readonly removalPolicy: RemovalPolicy;
}

export class Functions extends Construct {
  readonly byEntry: Readonly<Record<LambdaEntry, lambda.Function>>;
  /**
   * SES feedback that ses-events still failed on after Lambda's asynchronous retries: kept 14 days
   * instead of being lost, and alarmed on (alarms.ts).
   */
  readonly feedbackDeadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    this.feedbackDeadLetters = new sqs.Queue(this, 'SesEventsDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const entries = Object.keys(LAMBDA_ENTRIES) as LambdaEntry[];
    this.byEntry = Object.fromEntries(entries.map((entry) => [entry, this.createFunction(entry, props)])) as Record<LambdaEntry, lambda.Function>;
  }

  get senderApi(): lambda.Function { return this.byEntry['sender-api']; }
  get portal(): lambda.Function { return this.byEntry.portal; }
  get sesEvents(): lambda.Function { return this.byEntry['ses-events']; }
  get maintenance(): lambda.Function { return this.byEntry.maintenance; }
  get all(): lambda.Function[] { return Object.values(this.byEntry); }

  private createFunction(entry: LambdaEntry, props: FunctionsProps): lambda.Function {
    const name = pascalCase(entry);
    const sizing = FUNCTION_SIZING[entry];
    const role = new iam.Role(this, `${name}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${entry} function`,
    });
    const logGroup = new logs.LogGroup(this, `${name}Logs`, { retention: LOG_RETENTION, removalPolicy: props.removalPolicy });
    logGroup.grantWrite(role);
    return new lambda.Function(this, name, {
      description: sizing.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      code: entryCode(entry),
      handler: 'index.handler',
      memorySize: sizing.memoryMiB,
      timeout: sizing.timeout,
      role,
      logGroup,
      // Configuration only; secrets never go into the environment.
      environment: {
        ...(LAMBDA_NODE_OPTIONS ? { NODE_OPTIONS: LAMBDA_NODE_OPTIONS } : {}),
        SEALPOST_LOG_LEVEL: 'info',
        // The portal bundle carries the built pickup page (cdk/build.ts copies it there).
        ...(entry === 'portal' ? { SEALPOST_WEB_DIR: `/var/task/${PORTAL_WEB_DIR}` } : {}),
      },
      ...(sizing.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: sizing.reservedConcurrency } : {}),
      // ses-events is invoked asynchronously by SNS; what still fails after the retries is kept.
      ...(entry === 'ses-events' ? { deadLetterQueue: this.feedbackDeadLetters } : {}),
      // The schedule invokes maintenance asynchronously. A failed run is not retried, and an event
      // that cannot start (the single instance is still busy) is dropped after a minute: the next
      // run does the same work, and queued events would only stack up behind the one instance.
      ...(entry === 'maintenance' ? { retryAttempts: 0, maxEventAge: Duration.minutes(1) } : {}),
    });
  }
}
