/**
 * `npm run admin -- …`: the operator CLI. Same adapters as the product, against the local stack or AWS:
 *   - with --table or SEALPOST_TABLE: that table in AWS, with the standard AWS credentials and region;
 *   - otherwise the local stack of `npm start` (DynamoDB at 127.0.0.1:DYNAMODB_PORT, table "sealpost").
 * Output is JSON on stdout; errors go to stderr with a non-zero exit code. Keys are printed once.
 */
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbTenantDirectory } from '../adapters/dynamodb/tenant-directory.ts';
import { AppError, DependencyError, ValidationError, describeError } from '../core/shared/index.ts';
import { approveHostname, newTenant, newApiKey, removeHostname, type HostnameAdminDeps, type Tenant } from '../core/tenants/index.ts';
import type { AuditEvent } from '../core/audit/index.ts';
import { DynamoDbEventLog } from '../adapters/dynamodb/event-log.ts';
import { LOCAL_TABLE_NAME } from './local/bootstrap.ts';
import { JsonLogger } from '../adapters/log/json-logger.ts';
import { secureRandom, systemClock } from './compose/storage.ts';

interface Target { readonly client: DynamoDBClient; readonly tableName: string }

function target(options: { table?: string }): Target {
  const tableName = options.table ?? process.env.SEALPOST_TABLE;
  if (tableName) return { client: new DynamoDBClient({}), tableName };
  const port = process.env.DYNAMODB_PORT || '8000';
  if (!process.env.AWS_ENDPOINT_URL_DYNAMODB) process.env.AWS_ENDPOINT_URL_DYNAMODB = `http://127.0.0.1:${port}`;
  return {
    client: new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    tableName: LOCAL_TABLE_NAME,
  };
}

// The SDK's Node 20 end-of-support notice is noise in an operator's terminal.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const print = (value: unknown) => process.stdout.write(JSON.stringify(value, null, 2) + '\n');

export function buildProgram(): Command {
  const program = new Command('sealpost-admin')
    .description('Operator commands for sealpost tenants.')
    .option('--table <name>', 'DynamoDB table in AWS (default: $SEALPOST_TABLE, else the local stack of npm start)')
    .showHelpAfterError();
  const tenant = program.command('tenant').description('Create, list, show, disable and enable tenants');

  tenant.command('create')
    .description('Create a tenant and print its first admin key (shown once)')
    .requiredOption('--name <name>', 'display name, e.g. "Acme Health"')
    .requiredOption('--sender <address>', 'sender address of its notifications (SES-verified in production)')
    .action(async (options: { name: string; sender: string }) => {
      const { client, tableName } = target(program.opts());
      const directory = new DynamoDbTenantDirectory(client, tableName);
      const created = await newTenant({ name: options.name, senderAddress: options.sender }, secureRandom, new Date());
      if (!(await directory.createTenant(created.tenant))) throw new Error('tenant id collision; run the command again');
      if (!(await directory.putApiKey(created.adminKeyRecord))) throw new Error('key id collision; run the command again');
      await appendOperatorEvent(client, tableName, { tenantId: created.tenant.id, type: 'key_created', objectId: created.adminKeyRecord.keyId, detail: 'scope admin (tenant created)' });
      print({ tenantId: created.tenant.id, adminKey: created.adminKey });
    });

  tenant.command('list').description('List tenants').action(async () => {
    const { client, tableName } = target(program.opts());
    print((await new DynamoDbTenantDirectory(client, tableName).listTenants()).map(summary));
  });

  tenant.command('show <tenantId>').description('Show one tenant').action(async (tenantId: string) => {
    const { client, tableName } = target(program.opts());
    const found = await new DynamoDbTenantDirectory(client, tableName).getTenant(tenantId);
    if (!found) throw new Error(`no tenant ${tenantId}`);
    print({ ...summary(found), createdAt: found.createdAt, revision: found.revision, settings: found.settings });
  });

  tenant.command('disable <tenantId>').description('Disable a tenant: all its keys stop working at once').action(async (tenantId: string) => {
    const { client, tableName } = target(program.opts());
    if (!(await new DynamoDbTenantDirectory(client, tableName).setDisabled(tenantId, true))) throw new Error(`no tenant ${tenantId}`);
    await appendOperatorEvent(client, tableName, { tenantId, type: 'settings_changed', detail: 'disabled', before: { disabled: false }, after: { disabled: true } });
    print({ tenantId, disabled: true });
  });
  tenant.command('enable <tenantId>').description('Enable a disabled tenant again').action(async (tenantId: string) => {
    const { client, tableName } = target(program.opts());
    if (!(await new DynamoDbTenantDirectory(client, tableName).setDisabled(tenantId, false))) throw new Error(`no tenant ${tenantId}`);
    await appendOperatorEvent(client, tableName, { tenantId, type: 'settings_changed', detail: 'enabled', before: { disabled: true }, after: { disabled: false } });
    print({ tenantId, disabled: false });
  });
  const keys = program.command('key').description('Create or revoke a tenant\'s API keys (e.g. a lost admin key)');
  keys.command('create')
    .description('Create an API key for a tenant and print it (shown once)')
    .requiredOption('--tenant <tenantId>', 'the tenant')
    .option('--scope <scope>', 'send or admin', 'admin')
    .action(async (options: { tenant: string; scope: string }) => {
      if (options.scope !== 'send' && options.scope !== 'admin') throw new ValidationError('--scope must be "send" or "admin"');
      const { client, tableName } = target(program.opts());
      const directory = new DynamoDbTenantDirectory(client, tableName);
      if (!(await directory.getTenant(options.tenant))) throw new Error(`no tenant ${options.tenant}`);
      const { key, record } = await newApiKey({ tenantId: options.tenant, scope: options.scope, createdBy: 'operator' }, secureRandom, new Date());
      if (!(await directory.putApiKey(record))) throw new Error('key id collision; run the command again');
      await appendOperatorEvent(client, tableName, { tenantId: options.tenant, type: 'key_created', objectId: record.keyId, detail: `scope ${record.scope}` });
      print({ tenantId: options.tenant, id: record.keyId, key, scope: record.scope });
    });
  keys.command('revoke <keyId>')
    .description('Revoke an API key: it answers 401 at once')
    .requiredOption('--tenant <tenantId>', 'the tenant that owns the key')
    .action(async (keyId: string, options: { tenant: string }) => {
      const { client, tableName } = target(program.opts());
      const revoked = await new DynamoDbTenantDirectory(client, tableName).revokeApiKey(options.tenant, keyId, new Date());
      if (!revoked) throw new Error(`no active key ${keyId} for tenant ${options.tenant}`);
      await appendOperatorEvent(client, tableName, { tenantId: options.tenant, type: 'key_revoked', objectId: keyId, detail: `scope ${revoked.scope}` });
      print({ tenantId: options.tenant, id: keyId, revokedAt: revoked.revokedAt });
    });

  const hostnames = program.command('hostname')
    .description('Approve or remove tenants\' portal hostnames (a tenant\'s admin only asks for one; it serves nothing until approved)');
  hostnames.command('list')
    .description('List every tenant\'s hostnames: approved, and pending approval')
    .option('--pending', 'only the hostnames waiting for approval')
    .action(async (options: { pending?: boolean }) => {
      const { client, tableName } = target(program.opts());
      const rows = (await new DynamoDbTenantDirectory(client, tableName).listTenants()).flatMap((t) => [
        ...(options.pending ? [] : t.settings.portalHostnames.map((hostname) => ({ hostname, tenantId: t.id, displayName: t.settings.displayName, status: 'approved' }))),
        ...(t.settings.pendingHostnames ?? []).map((hostname) => ({ hostname, tenantId: t.id, displayName: t.settings.displayName, status: 'pending' })),
      ]);
      print(rows.sort((a, b) => a.hostname.localeCompare(b.hostname)));
    });
  hostnames.command('approve <hostname>')
    .description('Approve a hostname a tenant asked for. First confirm the organisation controls the domain, and give the name a certificate and an alternate domain name on the CloudFront distribution (docs/deploy.md)')
    .requiredOption('--tenant <tenantId>', 'the tenant that asked for it')
    .action(async (hostname: string, options: { tenant: string }) => {
      const approved = await approveHostname(operatorDeps(program.opts()), options.tenant, hostname);
      print({ tenantId: approved.id, portalHostnames: approved.settings.portalHostnames, pendingHostnames: approved.settings.pendingHostnames ?? [] });
    });
  hostnames.command('remove <hostname>')
    .description('Take a hostname (approved or pending) away from a tenant and release it')
    .requiredOption('--tenant <tenantId>', 'the tenant that has it')
    .action(async (hostname: string, options: { tenant: string }) => {
      const changed = await removeHostname(operatorDeps(program.opts()), options.tenant, hostname);
      print({ tenantId: changed.id, portalHostnames: changed.settings.portalHostnames, pendingHostnames: changed.settings.pendingHostnames ?? [] });
    });
  return program;
}

/** What the operator's hostname commands need: the tenants, the trail (they record as "operator"), a clock and stderr for warnings. */
function operatorDeps(options: { table?: string }): HostnameAdminDeps {
  const { client, tableName } = target(options);
  return {
    tenants: new DynamoDbTenantDirectory(client, tableName),
    events: new DynamoDbEventLog(client, tableName, secureRandom),
    clock: systemClock,
    logger: new JsonLogger({ service: 'sealpost-admin' }, (line) => process.stderr.write(`${line}\n`), 'warn'),
  };
}

function summary(t: Tenant) {
  return { tenantId: t.id, displayName: t.settings.displayName, senderAddress: t.settings.senderAddress, disabled: t.disabled === true };
}

/** The operator's changes go into the tenant's audit trail like an admin's. */
async function appendOperatorEvent(client: DynamoDBClient, tableName: string, event: Pick<AuditEvent, 'tenantId' | 'type' | 'objectId' | 'detail' | 'before' | 'after'>): Promise<void> {
  await new DynamoDbEventLog(client, tableName, secureRandom).append([{ ...event, at: new Date().toISOString(), actor: 'operator' }]);
}

export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().exitOverride().parseAsync([...argv]);
  } catch (error) {
    fail(error);
  }
}

function fail(error: unknown): never {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  const cause = error instanceof DependencyError ? error.cause : error;
  const described = describeError(cause);
  const message = error instanceof ValidationError || (error instanceof AppError && !(error instanceof DependencyError)) ? error.detail
    : (cause as { name?: string }).name === 'ResourceNotFoundException' ? 'table not found (is npm start running, or is --table right?)'
    : /ECONNREFUSED/.test(described) || (cause as { code?: string }).code === 'ECONNREFUSED' ? 'DynamoDB is not reachable: start the local stack with npm start, or pass --table for AWS'
    : cause instanceof Error ? cause.message : described;
  process.stderr.write(`sealpost-admin: ${message}\n`);
  process.exit(1);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv);
