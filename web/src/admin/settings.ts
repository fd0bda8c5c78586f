/**
 * Settings: one form, saved as a JSON merge patch of only the fields that changed, conditional on
 * the revision it was filled from. Field errors from the server appear next to their fields; the
 * server's notices (plain-language consequences of a change) appear after a save.
 */
import { contrastWithWhite, MAX_LOGO_BYTES, MIN_CONTRAST_WITH_WHITE } from '../../../functions/core/tenants/index.ts';
import { h } from '../lib/dom.ts';
import { ApiError, type LogoUpload, type Settings, type SettingsPatch } from '../lib/admin-api.ts';
import { choice, field, fieldset, showFieldErrors, type Field } from './form.ts';
import { busy, button, errorBox, reportError, sectionHeading, type ConsoleContext, type Section } from './ui.ts';

/** The two modes in plain words: who can read a message in each. */
const MESSAGE_CENTER_OFF =
  'Only the link in each notification email can open a message. Nobody else — not sealpost, not your administrators — can read it, and a lost email means a lost message.';
const MESSAGE_CENTER_ON =
  'New messages can also be opened by the recipient after signing in to your Message Center with a code sent to their email, and your administrators can recover them in an emergency. More convenient, less private. Turning it on affects only new messages; turning it off stops keeping keys for new messages, and messages already in inboxes stay readable until they expire.';

const HEX = /^#[0-9a-f]{6}$/i;

function input(attributes: Record<string, string> = {}): HTMLInputElement {
  return h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', ...attributes });
}

/** Renders the form and keeps it in step with the settings last read from the server. */
export function settingsSection(ctx: ConsoleContext, initial: Settings, onSaved: (settings: Settings) => void): Section {
  let current = initial;

  const displayName = input({ maxlength: '100' });
  displayName.spellcheck = true;
  const senderAddress = input({ type: 'email', inputmode: 'email' });
  const replyTo = input({ type: 'email', inputmode: 'email' });
  const hostnames = h('textarea', { rows: '3', spellcheck: 'false', autocapitalize: 'off' });
  const hostnameStatus = h('p', { class: 'hint', role: 'status' });
  const defaultExpiry = input({ type: 'number', min: '1', step: '1', inputmode: 'numeric' });
  const maxExpiry = input({ type: 'number', min: '1', step: '1', inputmode: 'numeric' });
  const color = input({ maxlength: '7', placeholder: '#1d4ed8', autocapitalize: 'off' });
  const colorPicker = h('input', { type: 'color', 'aria-label': 'Pick the brand colour' });
  const logo = h('input', { type: 'file', accept: 'image/png,image/svg+xml' });
  const removeLogo = choice({ type: 'checkbox', name: 'remove-logo', value: 'remove', label: 'Remove the current logo' });
  const logoPreview = h('div', { class: 'logo-preview' });

  const mcOff = choice({ type: 'radio', name: 'message-center', value: 'off', label: 'Standard — Message Center off', description: MESSAGE_CENTER_OFF });
  const mcOn = choice({ type: 'radio', name: 'message-center', value: 'on', label: 'Message Center on', description: MESSAGE_CENTER_ON });
  const vNone = choice({ type: 'radio', name: 'verification', value: 'none', label: 'Link only', description: 'The link in the notification email is enough to open the message.' });
  const vCode = choice({
    type: 'radio', name: 'verification', value: 'email-code', label: 'Link and email code',
    description: 'Recipients also confirm a 6-digit code sent to their email before the message opens.',
  });

  // A visual sample only: the contrast ratio in the hint says the same in words.
  const swatch = h('span', { class: 'swatch-button', 'aria-hidden': 'true' }, 'Open message');
  const contrast = h('span', {});
  const colorHint = h('span', {}, 'Buttons and headers of your portal use it with white text, so it needs a contrast of at least 4.5:1. Leave empty for the default. ', contrast);

  const fields: Record<string, Field> = {
    displayName: field({ label: 'Organisation name', control: displayName, hint: 'Shown to recipients in emails and on the portal.' }),
    senderAddress: field({ label: 'Sender address', control: senderAddress, hint: 'The From address of notification emails.' }),
    replyTo: field({ label: 'Reply-to address (optional)', control: replyTo, hint: 'Where replies go. Leave empty for none.' }),
    portalHostnames: field({
      label: 'Portal hostnames', control: hostnames, extra: hostnameStatus,
      hint: 'One per line, e.g. secure.example.com: a domain your organisation controls (no https://, path or IP address). A new hostname serves your portal once the operator of this deployment has approved it.',
    }),
    defaultExpiryDays: field({ label: 'Default lifetime (days)', control: defaultExpiry, hint: 'When a sender gives none.' }),
    maxExpiryDays: field({ label: 'Longest lifetime (days)', control: maxExpiry, hint: 'The most a sender may choose.' }),
    'brand/primaryColor': field({ label: 'Brand colour', control: color, hint: colorHint, extra: h('div', { class: 'color-row' }, colorPicker, h('span', { class: 'swatch-label', 'aria-hidden': 'true' }, 'Preview:'), swatch) }),
    'brand/logo': field({ label: `Logo (PNG or SVG, up to ${MAX_LOGO_BYTES / 1024} KB)`, control: logo, extra: h('div', {}, logoPreview, removeLogo.element) }),
  };
  const messageCenter = fieldset({ legend: 'Message Center', className: 'choices', hint: 'Who can read your messages.', children: [mcOff.element, mcOn.element] });
  const verification = fieldset({ legend: 'Recipient verification', className: 'choices', children: [vNone.element, vCode.element] });
  fields.messageCenter = messageCenter;
  fields.verification = verification;

  const errors = errorBox();
  const notices = h('section', { class: 'alert alert-info', 'aria-labelledby': 'settings-notices-title' });
  notices.hidden = true;
  const revision = h('p', { class: 'fineprint' });
  const save = button('Save changes', { variant: 'primary', type: 'submit' });
  const discard = button('Discard changes', { onClick: () => { fill(current); clearErrors(); ctx.announce('Changes discarded.'); } });

  const heading = sectionHeading('h2', 'Settings', 'settings-title');
  const form = h(
    'form',
    { novalidate: '', 'aria-labelledby': 'settings-title' },
    errors.element,
    h('h3', {}, 'Organisation'),
    h('div', { class: 'grid' }, fields.displayName?.element, fields.senderAddress?.element, fields.replyTo?.element),
    h('h3', {}, 'Privacy'),
    messageCenter.element,
    verification.element,
    h('h3', {}, 'Message lifetime'),
    h('div', { class: 'grid' }, fields.defaultExpiryDays?.element, fields.maxExpiryDays?.element),
    h('h3', {}, 'Portal and brand'),
    fields.portalHostnames?.element,
    h('div', { class: 'grid' }, fields['brand/primaryColor']?.element, fields['brand/logo']?.element),
    h('div', { class: 'actions actions-end' }, save, discard, revision),
  );
  const element = h('section', { class: 'panel', id: 'panel-settings', 'aria-labelledby': 'settings-title' }, heading, notices, form);

  function updateColorPreview(): void {
    const value = normaliseColor(color.value);
    if (value !== null && HEX.test(value)) {
      colorPicker.value = value.toLowerCase();
      swatch.style.backgroundColor = value;
      const ratio = contrastWithWhite(value);
      contrast.textContent = `This one: ${ratio.toFixed(2)}:1${ratio < MIN_CONTRAST_WITH_WHITE ? ' — too light for white text.' : '.'}`;
    } else {
      swatch.style.removeProperty('background-color');
      contrast.textContent = value === null ? '' : 'Use the form #rrggbb.';
    }
  }
  color.addEventListener('input', updateColorPreview);
  colorPicker.addEventListener('input', () => {
    color.value = colorPicker.value;
    updateColorPreview();
  });

  function setChecked(yes: HTMLInputElement, no: HTMLInputElement, value: boolean): void {
    yes.checked = value;
    no.checked = !value;
  }

  function fill(settings: Settings, options: { keepFile?: boolean } = {}): void {
    displayName.value = settings.displayName;
    senderAddress.value = settings.senderAddress;
    replyTo.value = settings.replyTo ?? '';
    hostnames.value = wantedHostnames(settings).join('\n');
    hostnameStatus.textContent = settings.pendingHostnames.length > 0 ? `Waiting for the operator's approval: ${settings.pendingHostnames.join(', ')}.` : '';
    hostnameStatus.hidden = settings.pendingHostnames.length === 0;
    defaultExpiry.value = String(settings.defaultExpiryDays);
    maxExpiry.value = String(settings.maxExpiryDays);
    color.value = settings.brand.primaryColor ?? '';
    updateColorPreview();
    if (!options.keepFile) logo.value = '';
    removeLogo.input.checked = false;
    removeLogo.element.hidden = settings.brand.logoUrl === null;
    logoPreview.replaceChildren(logoView(settings.brand.logoUrl));
    setChecked(mcOn.input, mcOff.input, settings.messageCenter);
    setChecked(vCode.input, vNone.input, settings.verification === 'email-code');
    revision.textContent = `Revision ${settings.revision}`;
  }

  function clearErrors(): void {
    errors.clear();
    for (const f of Object.values(fields)) f.setError(undefined);
  }

  /** The changed fields, or the client-side problems that stop a save. */
  async function patch(): Promise<{ patch: SettingsPatch } | { problems: Record<string, string> }> {
    const out: SettingsPatch = {};
    const problems: Record<string, string> = {};
    const name = displayName.value.trim();
    if (name === '') problems.displayName = 'Enter the name recipients know you by.';
    else if (name !== current.displayName) out.displayName = name;
    const sender = senderAddress.value.trim();
    if (sender === '') problems.senderAddress = 'Enter the address notification emails come from.';
    else if (sender !== current.senderAddress) out.senderAddress = sender;
    const reply = replyTo.value.trim() || null;
    if (reply !== current.replyTo) out.replyTo = reply;
    const hosts = hostnames.value.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
    if (hosts.join('\n') !== wantedHostnames(current).join('\n')) out.portalHostnames = hosts;
    for (const [key, control, was] of [['defaultExpiryDays', defaultExpiry, current.defaultExpiryDays], ['maxExpiryDays', maxExpiry, current.maxExpiryDays]] as const) {
      const days = Number(control.value);
      if (control.value.trim() === '' || !Number.isInteger(days) || days < 1) problems[key] = 'Enter a whole number of days (1 or more).';
      else if (days !== was) out[key] = days;
    }
    const brand: NonNullable<SettingsPatch['brand']> = {};
    const primary = normaliseColor(color.value);
    if (primary !== null && !HEX.test(primary)) problems['brand/primaryColor'] = 'Use the form #rrggbb, e.g. #1d4ed8, or leave it empty.';
    else if (primary?.toLowerCase() !== current.brand.primaryColor?.toLowerCase()) brand.primaryColor = primary;
    const file = logo.files?.[0];
    if (file) {
      const upload = await readLogo(file);
      if (typeof upload === 'string') problems['brand/logo'] = upload;
      else brand.logo = upload;
    } else if (removeLogo.input.checked && current.brand.logoUrl !== null) {
      brand.logo = null;
    }
    if (Object.keys(brand).length > 0) out.brand = brand;
    if (mcOn.input.checked !== current.messageCenter) out.messageCenter = mcOn.input.checked;
    const policy = vCode.input.checked ? 'email-code' : 'none';
    if (policy !== current.verification) out.verification = policy;
    return Object.keys(problems).length > 0 ? { problems } : { patch: out };
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void busy(save, async () => {
      clearErrors();
      const result = await patch();
      if ('problems' in result) {
        const { first } = showFieldErrors(Object.entries(result.problems).map(([f, message]) => ({ field: f, message })), fields);
        errors.show('Some settings need your attention before they can be saved.');
        ctx.announce('Some settings need your attention before they can be saved.');
        first?.focusTarget.focus();
        return;
      }
      if (Object.keys(result.patch).length === 0) {
        ctx.announce('Nothing to save: no setting was changed.');
        return;
      }
      try {
        const saved = await ctx.api.updateSettings(result.patch, current.revision);
        const { notices: said, ...settings } = saved;
        current = settings;
        fill(current);
        onSaved(current);
        showNotices(said ?? []);
        ctx.announce(['Settings saved.', ...(said ?? [])].join(' '));
      } catch (error) {
        if (error instanceof ApiError && error.status === 422) {
          const { unclaimed, first } = showFieldErrors(error.fieldErrors, fields);
          errors.show(error.detail, error.requestId, unclaimed);
          ctx.announce(`Not saved: ${error.detail}`);
          first?.focusTarget.focus();
        } else if (error instanceof ApiError && error.status === 409) {
          await rebase(result.patch);
          errors.show(`${error.detail} The form now shows the current settings with your changes on top: check them, then save again.`, error.requestId);
          ctx.announce(`Not saved: ${error.detail}`);
        } else {
          reportError(ctx, error, errors);
        }
      }
    });
  });

  /**
   * After a conflict: the current settings from the server, with the admin's own edits on top, so
   * saving again neither loses their work nor writes back values someone else has since changed.
   */
  async function rebase(edits: SettingsPatch): Promise<void> {
    try {
      current = await ctx.api.getSettings();
    } catch (error) {
      reportError(ctx, error, errors);
      return;
    }
    fill(current, { keepFile: true });
    onSaved(current);
    if (edits.displayName !== undefined) displayName.value = edits.displayName;
    if (edits.senderAddress !== undefined) senderAddress.value = edits.senderAddress;
    if (edits.replyTo !== undefined) replyTo.value = edits.replyTo ?? '';
    if (edits.portalHostnames !== undefined) hostnames.value = edits.portalHostnames.join('\n');
    if (edits.defaultExpiryDays !== undefined) defaultExpiry.value = String(edits.defaultExpiryDays);
    if (edits.maxExpiryDays !== undefined) maxExpiry.value = String(edits.maxExpiryDays);
    if (edits.brand?.primaryColor !== undefined) color.value = edits.brand.primaryColor ?? '';
    if (edits.brand?.logo === null) removeLogo.input.checked = true;
    if (edits.messageCenter !== undefined) setChecked(mcOn.input, mcOff.input, edits.messageCenter);
    if (edits.verification !== undefined) setChecked(vCode.input, vNone.input, edits.verification === 'email-code');
    updateColorPreview();
  }

  function showNotices(list: readonly string[]): void {
    notices.replaceChildren(h('h3', { id: 'settings-notices-title' }, 'What this change means'), ...list.map((text) => h('p', {}, text)));
    notices.hidden = list.length === 0;
  }

  fill(current);
  return {
    element,
    heading,
    // Not re-read on every visit: that would throw away unsaved edits.
    show() {},
  };
}

function normaliseColor(text: string): string | null {
  const value = text.trim();
  if (value === '') return null;
  return /^[0-9a-f]{6}$/i.test(value) ? `#${value}` : value;
}

function logoView(url: string | null): Node {
  if (url === null) return h('p', { class: 'hint' }, 'No logo: the portal shows your organisation name.');
  const resolved = new URL(url, location.href);
  // The CSP allows images from this origin only; a logo served elsewhere is linked, not loaded.
  if (resolved.origin === location.origin) return h('img', { src: resolved.pathname + resolved.search, alt: 'Current logo', class: 'logo' });
  return h('a', { href: resolved.href, target: '_blank', rel: 'noopener noreferrer' }, 'View the current logo');
}

async function readLogo(file: File): Promise<LogoUpload | string> {
  const type = file.type === 'image/png' || file.type === 'image/svg+xml' ? file.type : file.name.toLowerCase().endsWith('.svg') ? 'image/svg+xml' : file.name.toLowerCase().endsWith('.png') ? 'image/png' : undefined;
  if (type === undefined) return 'Choose a PNG or SVG file.';
  if (file.size > MAX_LOGO_BYTES) return `This file is larger than ${MAX_LOGO_BYTES / 1024} KB; choose a smaller one.`;
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { contentType: type, data: btoa(binary) };
}

/** Every hostname the tenant wants, approved or waiting for approval: what the field edits. */
function wantedHostnames(settings: Settings): string[] {
  return [...settings.portalHostnames, ...settings.pendingHostnames].sort();
}
