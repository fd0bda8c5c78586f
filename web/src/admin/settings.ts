/**
 * Settings: one form, saved as a JSON merge patch of only the fields that changed, conditional on
 * the revision it was filled from. Field errors from the server appear next to their fields; the
 * server's notices (plain-language consequences of a change) appear after a save.
 */
import { contrastWithWhite, MIN_CONTRAST_WITH_WHITE } from '../../../functions/core/tenants/index.ts';
import { h } from '../lib/dom.ts';
import { ApiError, type Settings, type SettingsPatch } from '../lib/admin-api.ts';
import { choice, field, fieldset, showFieldErrors, type Field } from './form.ts';
import { logoField } from './logo-field.ts';
import { badge, busy, button, errorBox, reportError, sectionHeading, type ConsoleContext, type Section } from './ui.ts';

/** The two modes in plain words: who can read a message in each. */
const MESSAGE_CENTER_OFF =
  'Only the link in each notification email can open a message. Nobody else — not sealpost, not your administrators — can read it, and a lost email means a lost message.';
const MESSAGE_CENTER_ON =
  'New messages can also be opened by the recipient after signing in to your Message Center with a code sent to their email, and your administrators can recover them in an emergency. More convenient, less private. Turning it on affects only new messages; turning it off stops keeping keys for new messages, and messages already in inboxes stay readable until they expire.';

const HEX = /^#[0-9a-f]{6}$/i;
/** The portal's own colour, used when the organisation sets none (web/pickup.css). */
const DEFAULT_COLOR = '#2446c7';

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
  const hostnameStatus = h('ul', { class: 'hostname-status', 'aria-label': 'Hostname status' });
  const defaultExpiry = input({ type: 'number', min: '1', step: '1', inputmode: 'numeric' });
  const maxExpiry = input({ type: 'number', min: '1', step: '1', inputmode: 'numeric' });
  const color = input({ maxlength: '7', placeholder: DEFAULT_COLOR, autocapitalize: 'off' });
  const colorPicker = h('input', { type: 'color', 'aria-label': 'Pick the brand colour' });
  const logo = logoField(ctx.announce);

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
  const colorHint = h('span', {}, `Buttons and headers of your portal use it with white text, so it needs a contrast of at least 4.5:1. Empty: sealpost's blue, ${DEFAULT_COLOR}. `, contrast);

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
    'brand/logo': logo.field,
  };
  const messageCenter = fieldset({ legend: 'Message Center', className: 'choices', hint: 'Who can read your messages.', children: [mcOff.element, mcOn.element] });
  const verification = fieldset({ legend: 'Recipient verification', className: 'choices', children: [vNone.element, vCode.element] });
  fields.messageCenter = messageCenter;
  fields.verification = verification;

  const errors = errorBox();
  // Where the admin pressed Save: that it worked, and what the change means.
  const saved = h('section', { class: 'alert alert-success', 'aria-labelledby': 'settings-saved-title', tabindex: '-1' });
  saved.hidden = true;
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
    saved,
    h('div', { class: 'actions actions-end' }, save, discard, revision),
  );
  const element = h('section', { class: 'panel', id: 'panel-settings', 'aria-labelledby': 'settings-title' }, heading, form);
  // A saved confirmation is stale once anything is edited again.
  form.addEventListener('input', () => { saved.hidden = true; });

  function updateColorPreview(): void {
    const value = normaliseColor(color.value);
    // The picker always shows the colour in use: the default one when the field is empty.
    const shown = value !== null && HEX.test(value) ? value.toLowerCase() : value === null ? DEFAULT_COLOR : undefined;
    if (shown !== undefined) {
      colorPicker.value = shown;
      swatch.style.backgroundColor = shown;
      const ratio = contrastWithWhite(shown);
      contrast.textContent = value === null ? '' : `This one: ${ratio.toFixed(2)}:1${ratio < MIN_CONTRAST_WITH_WHITE ? ' — too light for white text.' : '.'}`;
      // A colour too light for white text is shown as a colour only: unreadable text on it helps nobody.
      swatch.textContent = ratio < MIN_CONTRAST_WITH_WHITE ? '' : 'Open message';
      swatch.classList.toggle('swatch-too-light', ratio < MIN_CONTRAST_WITH_WHITE);
    } else {
      swatch.style.removeProperty('background-color');
      contrast.textContent = 'Use the form #rrggbb.';
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
    hostnameStatus.replaceChildren(
      ...settings.portalHostnames.map((name) => h('li', {}, h('span', { class: 'break' }, name), ' ', badge('Live', 'good'), h('span', { class: 'sub' }, 'Approved: it serves your branded portal.'))),
      ...settings.pendingHostnames.map((name) => h('li', {}, h('span', { class: 'break' }, name), ' ', badge('Waiting for approval', 'warn'), h('span', { class: 'sub' }, 'The operator of this deployment has to approve it (and set up its DNS and certificate) before it serves anything.'))),
    );
    hostnameStatus.hidden = settings.portalHostnames.length + settings.pendingHostnames.length === 0;
    defaultExpiry.value = String(settings.defaultExpiryDays);
    maxExpiry.value = String(settings.maxExpiryDays);
    color.value = settings.brand.primaryColor ?? '';
    updateColorPreview();
    logo.reset(settings.brand.logoUrl, { keepChoice: options.keepFile === true });
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
    const upload = await logo.change();
    if (typeof upload === 'string') problems['brand/logo'] = upload;
    else if (upload !== undefined) brand.logo = upload;
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
        const answer = await ctx.api.updateSettings(result.patch, current.revision);
        const { notices: said, ...settings } = answer;
        current = settings;
        fill(current);
        onSaved(current);
        showSaved(said ?? []);
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
    if (edits.brand?.logo === null) logo.markRemoved();
    if (edits.messageCenter !== undefined) setChecked(mcOn.input, mcOff.input, edits.messageCenter);
    if (edits.verification !== undefined) setChecked(vCode.input, vNone.input, edits.verification === 'email-code');
    updateColorPreview();
  }

  function showSaved(notices: readonly string[]): void {
    saved.replaceChildren(
      h('h3', { id: 'settings-saved-title' }, 'Settings saved'),
      h('p', {}, `Saved at ${new Date().toLocaleTimeString()} as revision ${current.revision}. New messages use them from now on.`),
      ...(notices.length > 0 ? [h('h4', {}, 'What this change means'), ...notices.map((text) => h('p', {}, text))] : []),
    );
    saved.hidden = false;
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

/** Every hostname the tenant wants, approved or waiting for approval: what the field edits. */
function wantedHostnames(settings: Settings): string[] {
  return [...settings.portalHostnames, ...settings.pendingHostnames].sort();
}
