/**
 * Portal hostnames: the DNS names a tenant's branded pages are served on. Everything a tenant types
 * here is hostile input to every other tenant, so a hostname takes effect only when
 *
 * 1. it is a public DNS name: lower-case letters, digits and hyphens in dot-separated labels, with
 *    an alphabetic top-level label — which no IP literal in any notation (`127.1`, `0x7f.1`,
 *    `2130706433`, `[::1]`) has — and not under a name that is never a tenant's own: `localhost`,
 *    the deployment's portal host, or the AWS default domains its endpoints live on (CloudFront,
 *    API Gateway, Lambda URLs: `cloudfront.net`, `amazonaws.com`, `on.aws`);
 * 2. no other tenant holds it (one conditional write claims it, at approval);
 * 3. **the operator approved it** (`npm run admin -- hostname approve`). A tenant's admin only asks:
 *    the name waits in `pendingHostnames` and serves nothing. The operator must act anyway — the
 *    name needs a certificate and an alternate domain name on the CloudFront distribution before a
 *    browser can reach it — and checks then, out of band, that the organisation controls the domain.
 *
 * Even an approved hostname only ever brands that tenant's own messages and inbox (the portal and
 * inbox routes decide that, not this module).
 */
import { appendEvents, type EventLog } from '../audit/index.ts';
import { ConflictError, NotFoundError, ValidationError, describeError, type Clock, type FieldIssue, type Logger } from '../shared/index.ts';
import type { Tenant, TenantSettings } from './model.ts';
import type { TenantAdmin, TenantDirectory } from './ports.ts';

export const MAX_PORTAL_HOSTNAMES = 10;

/** Names (and everything under them) that no tenant may have. */
export const RESERVED_HOSTNAME_SUFFIXES = ['localhost', 'cloudfront.net', 'amazonaws.com', 'on.aws', 'aws', 'arpa', 'local', 'internal', 'invalid'] as const;

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
/** A top-level label: letters, or an internationalised one in its xn-- form. Never digits only. */
const TOP_LABEL = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** A hostname as typed, in the form it is compared and stored in: trimmed, lower case, no final dot. */
export function normaliseHostname(text: string): string {
  return text.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * Why `hostname` (normalised) can never be a tenant's portal hostname, or undefined when it can.
 * `deploymentHosts` are the deployment's own names (its portal origin's host).
 */
export function hostnameProblem(hostname: string, deploymentHosts: readonly string[] = []): string | undefined {
  const shown = JSON.stringify(hostname.slice(0, 80));
  const labels = hostname.split('.');
  if (hostname.length === 0 || hostname.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l))) {
    return `${shown} is not a hostname (letters, digits, hyphens and dots, like secure.example.com; no scheme, port, path or IP address)`;
  }
  if (!TOP_LABEL.test(labels.at(-1) as string)) return `${shown} is an IP address or has no valid top-level domain; use a DNS name like secure.example.com`;
  const under = (name: string) => hostname === name || hostname.endsWith(`.${name}`);
  const reserved = RESERVED_HOSTNAME_SUFFIXES.find(under);
  if (reserved) return `${shown} is under ${reserved}, which no organisation can use as its portal hostname`;
  if (deploymentHosts.map(normaliseHostname).some((own) => own === hostname)) return `${shown} is this deployment's own portal host`;
  return undefined;
}

/**
 * The hostnames an admin asked for, normalised, de-duplicated and sorted; problems go into `issues`,
 * each named by its index in the list as sent.
 */
export function requestedHostnames(hostnames: readonly string[], deploymentHosts: readonly string[], issues: FieldIssue[]): string[] {
  const normalised = hostnames.map(normaliseHostname);
  normalised.forEach((hostname, i) => {
    const problem = hostnameProblem(hostname, deploymentHosts);
    if (problem) issues.push({ field: `portalHostnames/${i}`, message: problem });
  });
  const out = [...new Set(normalised)];
  if (out.length > MAX_PORTAL_HOSTNAMES) issues.push({ field: 'portalHostnames', message: `allows at most ${MAX_PORTAL_HOSTNAMES} hostnames` });
  return out.sort();
}

/**
 * What an admin's list of hostnames means for the settings: names already approved stay approved,
 * new ones wait for the operator, approved ones left out are released.
 */
export function planHostnames(current: Pick<TenantSettings, 'portalHostnames'>, requested: readonly string[]): { active: string[]; pending: string[]; released: string[] } {
  return {
    active: current.portalHostnames.filter((h) => requested.includes(h)),
    pending: requested.filter((h) => !current.portalHostnames.includes(h)),
    released: current.portalHostnames.filter((h) => !requested.includes(h)),
  };
}

/** The notice a settings change returns for hostnames that now wait for the operator. */
export function pendingHostnamesNotice(hostnames: readonly string[]): string {
  return `${hostnames.join(', ')} will serve your branded portal once the operator of this sealpost deployment has approved ${hostnames.length === 1 ? 'it' : 'them'}: `
    + 'they point the name at the deployment, add its certificate, and confirm that your organisation controls the domain. Until then it serves nothing.';
}

/**
 * The enabled tenant an approved `hostname` serves. A name that could not be approved today (a claim
 * made before these rules, such as an IP address or the deployment's own host) serves nobody.
 */
export async function tenantOnHostname(directory: Pick<TenantDirectory, 'tenantForHostname'>, hostname: string, deploymentHosts: readonly string[]): Promise<Tenant | undefined> {
  const normalised = normaliseHostname(hostname);
  if (hostnameProblem(normalised, deploymentHosts)) return undefined;
  const tenant = await directory.tenantForHostname(normalised);
  return tenant && !tenant.disabled ? tenant : undefined;
}

export interface HostnameAdminDeps {
  readonly tenants: TenantAdmin;
  readonly events: EventLog;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Retries a settings change that lost a race on the revision (another admin's change), a few times. */
async function changeSettings(deps: HostnameAdminDeps, tenantId: string, change: (tenant: Tenant) => TenantSettings | undefined): Promise<{ before: Tenant; after: Tenant } | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = await deps.tenants.getTenant(tenantId);
    if (!before) throw new NotFoundError(`No tenant ${tenantId}.`);
    const settings = change(before);
    if (!settings) return undefined;
    const after = await deps.tenants.updateSettings(tenantId, before.revision, settings);
    if (after) return { before, after };
  }
  throw new ConflictError('The settings kept changing while the hostname was being updated. Nothing was changed; run the command again.');
}

/**
 * The operator approves a hostname that `tenantId` asked for: it is claimed (one conditional write,
 * which fails when another tenant holds it), then moved from pending to approved in the settings,
 * and the change goes into the tenant's trail. Approving an approved hostname changes nothing.
 */
export async function approveHostname(deps: HostnameAdminDeps, tenantId: string, text: string, actor = 'operator'): Promise<Tenant> {
  const hostname = normaliseHostname(text);
  const problem = hostnameProblem(hostname);
  if (problem) throw new ValidationError(problem, [{ field: 'hostname', message: problem }]);
  const tenant = await deps.tenants.getTenant(tenantId);
  if (!tenant) throw new NotFoundError(`No tenant ${tenantId}.`);
  if (tenant.settings.portalHostnames.includes(hostname)) return tenant;
  if (!(tenant.settings.pendingHostnames ?? []).includes(hostname)) {
    throw new ConflictError(`${tenantId} has not asked for ${hostname}: its admin adds it to portalHostnames in the settings first.`);
  }
  if (!(await deps.tenants.claimHostname(hostname, tenantId))) {
    throw new ConflictError(`${hostname} already serves another organisation's portal. Nothing was changed.`);
  }
  let changed;
  try {
    changed = await changeSettings(deps, tenantId, (t) => {
      const pending = (t.settings.pendingHostnames ?? []).filter((h) => h !== hostname);
      if (!(t.settings.pendingHostnames ?? []).includes(hostname)) return undefined;
      return { ...t.settings, pendingHostnames: pending, portalHostnames: [...t.settings.portalHostnames, hostname].sort() };
    });
  } catch (error) {
    await deps.tenants.releaseHostname(hostname, tenantId).catch((e: unknown) => deps.logger.warn('hostname_release_failed', { tenantId, error: describeError(e) }));
    throw error;
  }
  if (!changed) {
    // The admin withdrew the request meanwhile: the claim goes too.
    await deps.tenants.releaseHostname(hostname, tenantId);
    throw new ConflictError(`${tenantId} no longer asks for ${hostname}. Nothing was changed.`);
  }
  await record(deps, changed, actor, `hostname ${hostname} approved`);
  return changed.after;
}

/** The operator takes a hostname away from a tenant (approved or pending), and releases its claim. */
export async function removeHostname(deps: HostnameAdminDeps, tenantId: string, text: string, actor = 'operator'): Promise<Tenant> {
  const hostname = normaliseHostname(text);
  const changed = await changeSettings(deps, tenantId, (t) => {
    const has = t.settings.portalHostnames.includes(hostname) || (t.settings.pendingHostnames ?? []).includes(hostname);
    if (!has) return undefined;
    return {
      ...t.settings,
      portalHostnames: t.settings.portalHostnames.filter((h) => h !== hostname),
      pendingHostnames: (t.settings.pendingHostnames ?? []).filter((h) => h !== hostname),
    };
  });
  if (!changed) throw new NotFoundError(`${tenantId} has no hostname ${hostname}.`);
  await deps.tenants.releaseHostname(hostname, tenantId);
  await record(deps, changed, actor, `hostname ${hostname} removed`);
  return changed.after;
}

async function record(deps: HostnameAdminDeps, { before, after }: { before: Tenant; after: Tenant }, actor: string, detail: string): Promise<void> {
  const hostnames = (s: TenantSettings) => ({ portalHostnames: s.portalHostnames, pendingHostnames: s.pendingHostnames ?? [] });
  await appendEvents(deps, [{
    tenantId: after.id, type: 'settings_changed', at: deps.clock().toISOString(), actor, detail,
    before: hostnames(before.settings), after: hostnames(after.settings), retentionDays: after.settings.auditRetentionDays,
  }]);
}
