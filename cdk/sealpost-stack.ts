/**
 * The sealpost deployment: composes one construct per concern and binds them together. Resources
 * get generated names; the only fixed logical ids are those whose replacement would lose data: the
 * table's and its key's (see data.ts, keys.ts), the blob bucket's and its key's (blobs.ts).
 */
import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Alarms } from './constructs/alarms.ts';
import { Api } from './constructs/api.ts';
import { Blobs } from './constructs/blobs.ts';
import { Data, type IndexKey } from './constructs/data.ts';
import { Edge, type CustomDomain } from './constructs/edge.ts';
import { Firewall } from './constructs/firewall.ts';
import { Functions } from './constructs/functions.ts';
import { Keys } from './constructs/keys.ts';
import { Mail, type SenderIdentity } from './constructs/mail.ts';
import { Schedule } from './constructs/schedule.ts';

export type { CustomDomain } from './constructs/edge.ts';
export type { SenderIdentity } from './constructs/mail.ts';

/** Validated deployment settings; cdk/app.ts builds them from context. */
export interface SealpostConfig {
  /** 'production', or the name of a disposable stage such as 'dev'. */
  readonly stage: string;
  readonly sender: SenderIdentity;
  readonly customDomain?: CustomDomain;
  readonly alarmEmail?: string;
  /** RETAIN, except for a non-production stage that explicitly allows DESTROY. */
  readonly removalPolicy: RemovalPolicy;
  /** The table indexes to create; all when absent (a subset only to upgrade an older stack, see Data). */
  readonly tableIndexes?: readonly IndexKey[];
  /** Per-IP rate rules (AWS WAF) on the distribution: on by default. */
  readonly waf: boolean;
  /** The largest sealed upload in MiB (SEALPOST_MAX_UPLOAD_MIB); absent, the sender API's default. */
  readonly maxUploadMib?: number;
}

export interface SealpostStackProps extends StackProps {
  readonly config: SealpostConfig;
  /** The web ACL made in us-east-1 by SealpostFirewallStack, when this stack is elsewhere. */
  readonly webAclArn?: string;
}

/** The CloudFront web ACL, in a stack of its own in us-east-1 (CloudFront's region). */
export class SealpostFirewallStack extends Stack {
  readonly firewall: Firewall;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    this.firewall = new Firewall(this, 'Firewall');
  }
}

export class SealpostStack extends Stack {
  readonly keys: Keys;
  readonly data: Data;
  readonly blobs: Blobs;
  readonly functions: Functions;
  readonly api: Api;
  readonly edge: Edge;
  readonly mail: Mail;
  readonly schedule: Schedule;
  readonly alarms: Alarms;
  /** The web ACL, when it is made in this stack (in us-east-1, or environment-agnostic). */
  readonly firewall?: Firewall;

  constructor(scope: Construct, id: string, props: SealpostStackProps) {
    super(scope, id, props);
    const { config } = props;
    const { removalPolicy } = config;

    this.keys = new Keys(this, 'Keys', { removalPolicy });
    this.data = new Data(this, 'Data', { keys: this.keys, removalPolicy, ...(config.tableIndexes ? { indexes: config.tableIndexes } : {}) });
    this.blobs = new Blobs(this, 'Blobs', { removalPolicy, ...(config.maxUploadMib !== undefined ? { maxUploadMib: config.maxUploadMib } : {}) });
    this.functions = new Functions(this, 'Functions', { removalPolicy });
    this.mail = new Mail(this, 'Mail', { sender: config.sender });
    this.api = new Api(this, 'Api', { senderApi: this.functions.senderApi, portal: this.functions.portal });
    if (config.waf && props.webAclArn === undefined) this.firewall = new Firewall(this, 'Firewall');
    const webAclArn = props.webAclArn ?? this.firewall?.webAcl.attrArn;
    this.edge = new Edge(this, 'Edge', {
      apiDomainName: this.api.originDomainName,
      removalPolicy,
      blobBucket: this.blobs.bucket,
      ...(webAclArn ? { webAclArn } : {}),
      ...(config.customDomain ? { customDomain: config.customDomain } : {}),
    });

    const { senderApi, portal, sesEvents, maintenance } = this.functions;
    this.data.bindTable(senderApi, 'sender');
    this.data.bindTable(portal, 'recipient');
    this.data.bindTable(sesEvents, 'mail-feedback');
    this.data.bindTable(maintenance, 'maintenance');
    // Sealed uploads' parts: sender-api writes, checks, commits and deletes them; the portal presigns
    // their downloads; maintenance deletes expired messages' parts. ses-events never touches them.
    this.blobs.bindBlobs(senderApi, 'sender');
    this.blobs.bindBlobs(portal, 'recipient');
    this.blobs.bindBlobs(maintenance, 'maintenance');
    // Webhook secrets: the admin API wraps them (and unwraps one to sign a ping); maintenance unwraps
    // them to sign deliveries. Message Center secrets: sender-api wraps them at send and unwraps
    // them for recovery; the portal only unwraps one for a signed-in recipient. ses-events only gets
    // the key id its config requires.
    // The sender API keeps Message Center keys at send and issues recovery links: it wraps both kinds,
    // unwraps custody keys (recovery) and recipients' secrets (recovery of messages from before custody keys).
    this.keys.bindSecretKey(senderApi, { webhookSigning: ['wrap', 'unwrap'], messageCenter: ['wrap', 'unwrap'], messageCenterRecovery: ['wrap', 'unwrap'] });
    this.keys.bindSecretKey(maintenance, { webhookSigning: ['unwrap'] });
    this.keys.bindSecretKey(portal, { messageCenter: ['unwrap'] });
    this.keys.bindSecretKey(sesEvents);
    // Notifications (sender-api); verification and inbox sign-in codes (portal).
    this.mail.bindSender(senderApi);
    this.mail.bindSender(portal);
    this.mail.deliverEventsTo(sesEvents);
    for (const fn of this.functions.all) this.edge.bindPortalOrigin(fn);
    // The HTTP functions refuse any request that did not come through CloudFront.
    for (const fn of [senderApi, portal]) this.edge.bindEdgeSecret(fn);
    this.schedule = new Schedule(this, 'Schedule', { maintenance });

    this.alarms = new Alarms(this, 'Alarms', {
      functions: this.functions.byEntry,
      httpApi: this.api.httpApi,
      table: this.data.table,
      tableOperations: this.data.boundOperations,
      deadLetters: this.functions.feedbackDeadLetters,
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
    });

    new CfnOutput(this, 'PortalOrigin', { value: this.edge.portalOrigin, description: 'Portal origin; the sender API is at <origin>/v1/messages' });
    new CfnOutput(this, 'DistributionDomainName', {
      value: this.edge.distribution.distributionDomainName,
      description: 'Point the custom portal domain here (CNAME, or Route 53 alias A/AAAA)',
    });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    new CfnOutput(this, 'ConfigurationSetName', { value: this.mail.configurationSet.configurationSetName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
    if (this.mail.isDomain) {
      this.mail.identity.dkimRecords.forEach((record, i) => {
        new CfnOutput(this, `DkimRecord${i + 1}`, { value: `${record.name} CNAME ${record.value}`, description: 'Publish in the sender domain\'s DNS' });
      });
    }
  }
}
