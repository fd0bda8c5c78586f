/**
 * The CDK app: the only place that reads context and environment. `npx cdk synth|deploy` runs it
 * (cdk.json); tests call createSealpostApp() with explicit context.
 *
 * Context (-c key=value):
 *   senderDomain | senderAddress   the SES identity notifications are sent from (exactly one)
 *   domainName + certificateArn    optional custom portal domain; the ACM certificate in us-east-1
 *   alarmEmail                     optional address subscribed to the alarm topic
 *   stage                          'production' (default) or a disposable stage name, e.g. 'dev'
 *   allowDestroy                   'true' lets a non-production stage delete its data with the stack
 *   tableIndexes                   only to upgrade a stack deployed before the table had indexes:
 *                                  the index names to create now, comma-separated (docs/deploy.md)
 *   waf                            'false' leaves out the per-IP rate rules (AWS WAF) on CloudFront;
 *                                  on by default (cdk/constructs/firewall.ts)
 *   maxUploadMib                   the largest sealed upload in MiB (SEALPOST_MAX_UPLOAD_MIB), e.g. 140;
 *                                  unset, the sender API's default of 40 MiB (docs/storage-costs.md)
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, RemovalPolicy, Tags, type Environment } from 'aws-cdk-lib';
import { INDEX } from '../functions/adapters/dynamodb/table.ts';
import { MAX_UPLOAD_MIB } from '../functions/config.ts';
import type { IndexKey } from './constructs/data.ts';
import { SealpostFirewallStack, SealpostStack, type SealpostConfig } from './sealpost-stack.ts';

export const PRODUCTION = 'production';

const HOST_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const EMAIL = /^[^\s@"<>,;]{1,64}@((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})$/i;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[0-9a-f-]{36}$/;
const STAGE = /^[a-z][a-z0-9-]{0,19}$/;

export class ContextError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid context:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ContextError';
  }
}

/**
 * Reads and validates the deployment context. Every problem is reported at once; values are named
 * in messages (they are host names and addresses, not secrets).
 */
export function readConfig(tryGetContext: (key: string) => unknown): SealpostConfig {
  const problems: string[] = [];
  const text = (key: string): string | undefined => {
    const value = tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') {
      problems.push(`${key} must be a string`);
      return undefined;
    }
    return value.trim();
  };

  const stage = text('stage') ?? PRODUCTION;
  if (!STAGE.test(stage)) problems.push(`stage "${stage}" must be lowercase letters, digits and dashes, starting with a letter (at most 20)`);
  const allowDestroyRaw = tryGetContext('allowDestroy');
  let allowDestroy = false;
  if (allowDestroyRaw === true || allowDestroyRaw === 'true') allowDestroy = true;
  else if (allowDestroyRaw !== undefined && allowDestroyRaw !== false && allowDestroyRaw !== 'false') problems.push('allowDestroy must be true or false');
  if (allowDestroy && stage === PRODUCTION) problems.push('allowDestroy=true is refused for the production stage: production data is always retained');
  const wafRaw = tryGetContext('waf');
  let waf = true;
  if (wafRaw === false || wafRaw === 'false') waf = false;
  else if (wafRaw !== undefined && wafRaw !== true && wafRaw !== 'true') problems.push('waf must be true or false');

  const senderDomain = text('senderDomain')?.toLowerCase();
  const senderAddress = text('senderAddress');
  if (senderDomain === undefined && senderAddress === undefined) {
    problems.push('give the SES sender identity: -c senderDomain=example.com (any address at the domain, Easy DKIM) or -c senderAddress=notify@example.com (that address only)');
  } else if (senderDomain !== undefined && senderAddress !== undefined) {
    problems.push('give senderDomain or senderAddress, not both');
  }
  if (senderDomain !== undefined && !HOST_NAME.test(senderDomain)) problems.push(`senderDomain "${senderDomain}" is not a domain name such as example.com`);
  if (senderAddress !== undefined && !EMAIL.test(senderAddress)) problems.push(`senderAddress "${senderAddress}" is not an email address`);

  const domainName = text('domainName')?.toLowerCase();
  const certificateArn = text('certificateArn');
  if (domainName !== undefined && !HOST_NAME.test(domainName)) problems.push(`domainName "${domainName}" is not a host name such as secure.example.com`);
  if (domainName !== undefined && certificateArn === undefined) problems.push('domainName needs certificateArn: an ACM certificate in us-east-1 that covers it');
  if (certificateArn !== undefined && domainName === undefined) problems.push('certificateArn is only used with domainName');
  if (certificateArn !== undefined) {
    const region = CERTIFICATE_ARN.exec(certificateArn)?.[1];
    if (region === undefined) problems.push(`certificateArn "${certificateArn}" is not an ACM certificate ARN`);
    else if (region !== 'us-east-1') problems.push(`certificateArn must be in us-east-1 (CloudFront's region), not ${region}`);
  }

  const alarmEmail = text('alarmEmail');
  if (alarmEmail !== undefined && !EMAIL.test(alarmEmail)) problems.push(`alarmEmail "${alarmEmail}" is not an email address`);

  let tableIndexes: IndexKey[] | undefined;
  const indexNames = text('tableIndexes');
  if (indexNames !== undefined) {
    const byName = new Map(Object.entries(INDEX).map(([indexKey, index]) => [index.name as string, indexKey as IndexKey]));
    const names = indexNames.split(',').map((name) => name.trim()).filter((name) => name !== '');
    const unknown = names.filter((name) => !byName.has(name));
    if (names.length === 0 || unknown.length > 0) {
      problems.push(`tableIndexes "${indexNames}" must list index names among ${[...byName.keys()].join(', ')}, comma-separated`);
    } else {
      tableIndexes = [...new Set(names)].map((name) => byName.get(name) as IndexKey);
    }
  }

  // The sender API checks it again at start (functions/config.ts); here a bad value fails the synth, not the deploy.
  const maxUploadRaw = tryGetContext('maxUploadMib');
  let maxUploadMib: number | undefined;
  if (maxUploadRaw !== undefined && maxUploadRaw !== null && maxUploadRaw !== '') {
    const digits = String(maxUploadRaw).trim();
    const mib = Number(digits);
    if (!/^\d+$/.test(digits) || mib < 1 || mib > MAX_UPLOAD_MIB) problems.push(`maxUploadMib "${String(maxUploadRaw)}" must be a whole number of MiB from 1 to ${MAX_UPLOAD_MIB}`);
    else maxUploadMib = mib;
  }

  if (problems.length > 0) throw new ContextError(problems);
  return {
    stage,
    sender: senderDomain !== undefined ? { domain: senderDomain } : { address: senderAddress as string },
    ...(domainName !== undefined && certificateArn !== undefined ? { customDomain: { domainName, certificateArn } } : {}),
    ...(alarmEmail !== undefined ? { alarmEmail } : {}),
    removalPolicy: allowDestroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    ...(tableIndexes ? { tableIndexes } : {}),
    waf,
    ...(maxUploadMib !== undefined ? { maxUploadMib } : {}),
  };
}

export interface SealpostAppOptions {
  /** Context besides what the CDK CLI passes (tests give all of it here). */
  readonly context?: Record<string, unknown>;
  readonly env?: Environment;
  readonly outdir?: string;
  /** CDK's CloudFormation schema validation at synthesis (default on; cdk.json makes findings errors). */
  readonly builtinCloudFormationValidation?: boolean;
}

export function createSealpostApp(options: SealpostAppOptions = {}): { app: App; stack: SealpostStack; firewallStack?: SealpostFirewallStack } {
  const app = new App({
    ...(options.context ? { context: options.context } : {}),
    ...(options.outdir ? { outdir: options.outdir } : {}),
    ...(options.builtinCloudFormationValidation !== undefined ? { builtinCloudFormationValidation: options.builtinCloudFormationValidation } : {}),
  });
  const config = readConfig((key) => app.node.tryGetContext(key));
  const production = config.stage === PRODUCTION;
  const id = production ? 'Sealpost' : `Sealpost-${config.stage}`;
  // CloudFront's web ACL lives in us-east-1: a stack elsewhere gets it from a small stack there.
  const region = options.env?.region;
  const firewallStack = config.waf && region !== undefined && region !== 'us-east-1'
    ? new SealpostFirewallStack(app, `${id}-Firewall`, {
      description: `sealpost per-IP rate rules for CloudFront (${config.stage})`,
      env: { ...options.env, region: 'us-east-1' },
      crossRegionReferences: true,
    })
    : undefined;
  const stack = new SealpostStack(app, id, {
    description: `sealpost secure-message pickup portal (${config.stage})`,
    // A production stack cannot be deleted by accident; docs/deploy.md says how to lift it.
    terminationProtection: production,
    ...(options.env ? { env: options.env } : {}),
    ...(firewallStack ? { crossRegionReferences: true, webAclArn: firewallStack.firewall.webAcl.attrArn } : {}),
    config,
  });
  for (const s of [stack, firewallStack]) if (s) Tags.of(s).add('sealpost:stage', config.stage);
  return { app, stack, ...(firewallStack ? { firewallStack } : {}) };
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    // The CDK CLI sets these from the credentials in use; without them the stack is environment-agnostic.
    const { CDK_DEFAULT_ACCOUNT: account, CDK_DEFAULT_REGION: region } = process.env;
    createSealpostApp({ env: { ...(account ? { account } : {}), ...(region ? { region } : {}) } });
  } catch (error) {
    console.error(`sealpost: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
