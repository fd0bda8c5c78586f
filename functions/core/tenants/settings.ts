/**
 * Tenant settings as the admin API reads and changes them. A change is validated as a whole, then
 * committed by one conditional write at the revision it was read at; a new logo version is written
 * before it (harmless if the commit fails: the settings decide what counts), released hostnames and
 * an old logo are cleaned up after it. New portal hostnames only wait for the operator's approval
 * (hostnames.ts).
 */
import { appendEvents, type EventLog } from '../audit/index.ts';
import { logoPath, primaryColorProblem } from './branding.ts';
import {
  sha256BytesBase64Url, ConflictError, NotFoundError, ValidationError, describeError, validationErrorOf, MAX_EXPIRY_DAYS, MIN_EXPIRY_DAYS, type FieldIssue,
  type Clock, type Logger,
} from '../shared/index.ts';
import { validateLogo } from './logo.ts';
import { pendingHostnamesNotice, planHostnames, requestedHostnames } from './hostnames.ts';
import type { Brand, Principal, Tenant, TenantSettings, VerificationPolicy } from './model.ts';
import type { TenantAdmin } from './ports.ts';

export interface SettingsDeps {
  readonly tenants: TenantAdmin;
  readonly events: EventLog;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The deployment's portal origin: its host is never a tenant's portal hostname. */
  readonly portalOrigin: string;
}

/** A JSON merge patch of the settings, decoded at the edge (logo bytes already base64-decoded). */
export interface SettingsPatch {
  readonly displayName?: string;
  readonly senderAddress?: string;
  readonly replyTo?: string | null;
  /** Every hostname the tenant wants: approved ones stay, new ones wait for the operator, missing ones go. */
  readonly portalHostnames?: readonly string[];
  readonly defaultExpiryDays?: number;
  readonly maxExpiryDays?: number;
  readonly messageCenter?: boolean;
  readonly verification?: VerificationPolicy;
  readonly auditRetentionDays?: number;
  readonly brand?: {
    readonly primaryColor?: string | null;
    readonly logo?: { readonly contentType: string; readonly bytes: Uint8Array } | null;
  };
}

/** The settings as GET /v1/admin/settings shows them. */
export interface SettingsView {
  readonly tenantId: string;
  readonly revision: number;
  readonly displayName: string;
  readonly senderAddress: string;
  readonly replyTo: string | null;
  /** Approved hostnames: they serve the tenant's branded portal. */
  readonly portalHostnames: readonly string[];
  /** Asked for, waiting for the operator's approval: they serve nothing yet. */
  readonly pendingHostnames: readonly string[];
  readonly defaultExpiryDays: number;
  readonly maxExpiryDays: number;
  readonly brand: { readonly primaryColor: string | null; readonly logoUrl: string | null };
  readonly messageCenter: boolean;
  readonly verification: VerificationPolicy;
  readonly auditRetentionDays: number;
}


export function settingsView(tenant: Tenant): SettingsView {
  const s = tenant.settings;
  return {
    tenantId: tenant.id,
    revision: tenant.revision,
    displayName: s.displayName,
    senderAddress: s.senderAddress,
    replyTo: s.replyTo ?? null,
    portalHostnames: s.portalHostnames,
    pendingHostnames: s.pendingHostnames ?? [],
    defaultExpiryDays: s.defaultExpiryDays,
    maxExpiryDays: s.maxExpiryDays,
    brand: { primaryColor: s.brand.primaryColor ?? null, logoUrl: s.brand.logo ? logoPath(tenant.id, s.brand.logo.digest) : null },
    messageCenter: s.messageCenter,
    verification: s.verification,
    auditRetentionDays: s.auditRetentionDays,
  };
}

/** What turning Message Center on or off means, in plain words (the API and the console show it). */
export const MESSAGE_CENTER_NOTICE = {
  on: 'Message Center is on. From now on, each new message also keeps its recipients\' keys wrapped by KMS: recipients can open it from your Message Center after confirming a code sent to their email, and your administrators can recover it in an emergency. Messages sent before now were never kept this way and can still be opened only through the link in their email.',
  off: 'Message Center is off. New messages can be opened only through the link in each notification email; nobody else can read them. Messages already in recipients\' inboxes stay readable there until they expire.',
} as const;

/** What each verification policy means for new messages, in plain words. */
export const VERIFICATION_NOTICE = {
  'email-code': 'New messages now also need a 6-digit code: after a recipient clicks "Open message", we email them a code, and the message opens only with it. Messages already sent keep the policy they were sent with.',
  none: 'New messages now open with the link alone. Messages already sent keep the policy they were sent with.',
} as const;

/** The next settings, or a ValidationError naming every field that is wrong. */
async function nextSettings(current: TenantSettings, patch: SettingsPatch, deploymentHosts: readonly string[]): Promise<{ settings: TenantSettings; logo?: { bytes: Uint8Array } }> {
  const issues: FieldIssue[] = [];
  const hostnames = patch.portalHostnames
    ? planHostnames(current, requestedHostnames(patch.portalHostnames, deploymentHosts, issues))
    : { active: current.portalHostnames, pending: current.pendingHostnames ?? [] };
  let brand: Brand = current.brand;
  let logo: { bytes: Uint8Array } | undefined;
  if (patch.brand?.primaryColor !== undefined) {
    const color = patch.brand.primaryColor;
    const problem = color === null ? undefined : primaryColorProblem(color);
    if (problem) issues.push({ field: 'brand/primaryColor', message: problem });
    const { primaryColor: _old, ...rest } = brand;
    brand = color === null ? rest : { ...rest, primaryColor: color.toLowerCase() };
  }
  if (patch.brand?.logo !== undefined) {
    const { logo: _old, ...rest } = brand;
    if (patch.brand.logo === null) {
      brand = rest;
    } else {
      try {
        const valid = validateLogo(patch.brand.logo.bytes, patch.brand.logo.contentType);
        logo = { bytes: valid.bytes };
        brand = { ...rest, logo: { contentType: valid.contentType, digest: await sha256BytesBase64Url(valid.bytes), bytes: valid.bytes.length } };
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        issues.push(...(error.issues.length > 0 ? error.issues : [{ field: 'brand/logo', message: error.detail }]));
      }
    }
  }
  const { replyTo: _oldReplyTo, pendingHostnames: _oldPending, ...withoutReplyTo } = current;
  const settings: TenantSettings = {
    ...withoutReplyTo,
    ...(patch.replyTo === undefined ? (current.replyTo ? { replyTo: current.replyTo } : {}) : patch.replyTo === null ? {} : { replyTo: patch.replyTo }),
    ...(patch.displayName !== undefined ? { displayName: patch.displayName.trim() } : {}),
    ...(patch.senderAddress !== undefined ? { senderAddress: patch.senderAddress } : {}),
    ...(patch.defaultExpiryDays !== undefined ? { defaultExpiryDays: patch.defaultExpiryDays } : {}),
    ...(patch.maxExpiryDays !== undefined ? { maxExpiryDays: patch.maxExpiryDays } : {}),
    ...(patch.messageCenter !== undefined ? { messageCenter: patch.messageCenter } : {}),
    ...(patch.verification !== undefined ? { verification: patch.verification } : {}),
    ...(patch.auditRetentionDays !== undefined ? { auditRetentionDays: patch.auditRetentionDays } : {}),
    portalHostnames: hostnames.active,
    ...(hostnames.pending.length > 0 ? { pendingHostnames: hostnames.pending } : {}),
    brand,
  };
  if (settings.displayName.length === 0) issues.push({ field: 'displayName', message: 'must not be empty' });
  if (settings.maxExpiryDays < MIN_EXPIRY_DAYS || settings.maxExpiryDays > MAX_EXPIRY_DAYS) {
    issues.push({ field: 'maxExpiryDays', message: `must be ${MIN_EXPIRY_DAYS}–${MAX_EXPIRY_DAYS}` });
  }
  if (settings.defaultExpiryDays > settings.maxExpiryDays) {
    issues.push({ field: 'defaultExpiryDays', message: `must not exceed maxExpiryDays (${settings.maxExpiryDays})` });
  }
  if (issues.length > 0) throw validationErrorOf(issues);
  return { settings, ...(logo ? { logo } : {}) };
}

/** The changed fields, before and after, for the audit trail (the logo by its digest, never its bytes). */
export function settingsDiff(before: TenantSettings, after: TenantSettings): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const flat = (s: TenantSettings): Record<string, unknown> => ({
    displayName: s.displayName, senderAddress: s.senderAddress, replyTo: s.replyTo ?? null, portalHostnames: s.portalHostnames,
    pendingHostnames: s.pendingHostnames ?? [],
    defaultExpiryDays: s.defaultExpiryDays, maxExpiryDays: s.maxExpiryDays, messageCenter: s.messageCenter, verification: s.verification,
    'brand.primaryColor': s.brand.primaryColor ?? null, 'brand.logo': s.brand.logo?.digest ?? null, auditRetentionDays: s.auditRetentionDays,
  });
  const a = flat(before);
  const b = flat(after);
  const changed = Object.keys(a).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  return { before: Object.fromEntries(changed.map((k) => [k, a[k]])), after: Object.fromEntries(changed.map((k) => [k, b[k]])) };
}

export async function getSettings(deps: SettingsDeps, principal: Principal): Promise<SettingsView> {
  const tenant = await deps.tenants.getTenant(principal.tenant.id);
  if (!tenant) throw new NotFoundError('This organisation no longer exists.');
  return settingsView(tenant);
}

/**
 * Applies a settings patch. `expectedRevision` (from If-Match) makes it fail with a conflict if
 * someone else changed the settings since the caller read them.
 */
export async function updateSettings(
  deps: SettingsDeps,
  principal: Principal,
  patch: SettingsPatch,
  ctx: { expectedRevision?: number; sourceIp?: string; userAgent?: string } = {},
): Promise<SettingsView & { notices: string[] }> {
  const tenantId = principal.tenant.id;
  const current = await deps.tenants.getTenant(tenantId);
  if (!current) throw new NotFoundError('This organisation no longer exists.');
  if (ctx.expectedRevision !== undefined && ctx.expectedRevision !== current.revision) {
    throw new ConflictError(`The settings changed since revision ${ctx.expectedRevision} (now ${current.revision}). Read them again and retry.`);
  }
  const { settings, logo } = await nextSettings(current.settings, patch, [new URL(deps.portalOrigin).hostname]);
  const diff = settingsDiff(current.settings, settings);
  if (Object.keys(diff.after).length === 0) return { ...settingsView(current), notices: [] };

  const removed = current.settings.portalHostnames.filter((h) => !settings.portalHostnames.includes(h));
  const asked = (settings.pendingHostnames ?? []).filter((h) => !(current.settings.pendingHostnames ?? []).includes(h));
  for (const hostname of patch.portalHostnames ? settings.pendingHostnames ?? [] : []) {
    // Early feedback only: the claim at the operator's approval is the conditional write that counts.
    const holder = await deps.tenants.tenantForHostname(hostname);
    if (holder && holder.id !== tenantId) throw new ConflictError(`The hostname ${hostname} already serves another organisation's portal. Nothing was changed.`);
  }
  if (logo && settings.brand.logo) await deps.tenants.putLogo(tenantId, settings.brand.logo, logo.bytes);

  const updated = await deps.tenants.updateSettings(tenantId, current.revision, settings);
  if (!updated) {
    throw new ConflictError('The settings were changed by another request at the same time. Nothing was changed; read them again and retry.');
  }
  // After the commit: clean-ups whose failure leaves only unreferenced items behind.
  const oldLogo = current.settings.brand.logo;
  await Promise.all([
    ...removed.map((h) => deps.tenants.releaseHostname(h, tenantId)),
    ...(oldLogo && oldLogo.digest !== settings.brand.logo?.digest ? [deps.tenants.deleteLogo(tenantId, oldLogo.digest)] : []),
  ]).catch((error: unknown) => deps.logger.warn('settings_cleanup_failed', { tenantId, error: describeError(error) }));

  const now = deps.clock();
  await appendEvents(deps, [{
    tenantId, type: 'settings_changed', at: now.toISOString(), actor: `key:${principal.keyId}`,
    before: diff.before, after: diff.after, detail: Object.keys(diff.after).join(', '), sourceIp: ctx.sourceIp, userAgent: ctx.userAgent,
    retentionDays: settings.auditRetentionDays,
  }]);
  const notices: string[] = [];
  if (settings.messageCenter !== current.settings.messageCenter) notices.push(settings.messageCenter ? MESSAGE_CENTER_NOTICE.on : MESSAGE_CENTER_NOTICE.off);
  if (settings.verification !== current.settings.verification) notices.push(VERIFICATION_NOTICE[settings.verification]);
  if (asked.length > 0) notices.push(pendingHostnamesNotice(asked));
  return { ...settingsView(updated), notices };
}
