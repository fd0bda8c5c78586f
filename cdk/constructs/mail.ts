/**
 * Outgoing mail: the SES identity notifications (sender-api) and verification and inbox sign-in
 * codes (portal) are sent from, the configuration set every send uses, and the feedback loop that
 * records bounces, complaints and deliveries in the audit trail (SES event publishing → SNS → the
 * ses-events function).
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** A domain (any address at it may send; Easy DKIM) or one verified address. */
export type SenderIdentity = { readonly domain: string } | { readonly address: string };

/** The SES events functions/adapters/ses/event-source.ts understands. */
export const PUBLISHED_EVENTS = [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT, ses.EmailSendingEvent.DELIVERY];

export interface MailProps {
  readonly sender: SenderIdentity;
}

export class Mail extends Construct {
  readonly identity: ses.EmailIdentity;
  readonly configurationSet: ses.ConfigurationSet;
  readonly eventsTopic: sns.Topic;
  readonly isDomain: boolean;

  constructor(scope: Construct, id: string, props: MailProps) {
    super(scope, id);
    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      // The notification carries the pickup link, a credential: never hand it over in plain text.
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
      reputationMetrics: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    this.isDomain = 'domain' in props.sender;
    this.identity = new ses.EmailIdentity(this, 'Identity', {
      identity: 'domain' in props.sender ? ses.Identity.domain(props.sender.domain) : ses.Identity.email(props.sender.address),
      // Also applies to a send that names no configuration set.
      configurationSet: this.configurationSet,
      ...('domain' in props.sender ? { dkimIdentity: ses.DkimIdentity.easyDkim(ses.EasyDkimSigningKeyLength.RSA_2048_BIT), dkimSigning: true } : {}),
    });

    this.eventsTopic = new sns.Topic(this, 'Events', { enforceSSL: true });
    this.configurationSet.addEventDestination('ToSns', {
      destination: ses.EventDestination.snsTopic(this.eventsTopic),
      events: PUBLISHED_EVENTS,
    });
  }

  get configurationSetArn(): string {
    return Stack.of(this).formatArn({ service: 'ses', resource: 'configuration-set', resourceName: this.configurationSet.configurationSetName });
  }

  /** Gives `fn` the configuration set (SEALPOST_SES_CONFIGURATION_SET) and ses:SendRawEmail through it from our identity only. */
  bindSender(fn: lambda.Function): void {
    fn.addEnvironment('SEALPOST_SES_CONFIGURATION_SET', this.configurationSet.configurationSetName);
    fn.addToRolePolicy(new iam.PolicyStatement({
      // SES v1 SendRawEmail (the email carries the logo inline); SES authorizes it against the
      // sending identity and the configuration set.
      actions: ['ses:SendRawEmail'],
      resources: [this.identity.emailIdentityArn, this.configurationSetArn],
    }));
  }

  /** Subscribes `fn` to the SES event notifications. */
  deliverEventsTo(fn: lambda.IFunction): void {
    this.eventsTopic.addSubscription(new LambdaSubscription(fn));
  }
}
