/**
 * The logo in the settings form: the current logo, a preview of a chosen file (checked for type and
 * size at once), and removing it — each a change that happens only when the form is saved.
 */
import { MAX_LOGO_BYTES } from '../../../functions/core/tenants/index.ts';
import { toBase64 } from '../../../functions/core/shared/index.ts';
import { formatBytes, h } from '../lib/dom.ts';
import type { LogoUpload } from '../lib/admin-api.ts';
import { field, type Field } from './form.ts';
import { button } from './ui.ts';

const TYPES = { png: 'image/png', svg: 'image/svg+xml' } as const;

export interface LogoField {
  readonly field: Field;
  /** The change to save: undefined (none), null (remove the logo), an upload, or why the chosen file cannot be. */
  change(): Promise<LogoUpload | null | undefined | string>;
  /** Shows `url` (the saved logo) and forgets any choice, unless keepChoice. */
  reset(url: string | null, options?: { keepChoice?: boolean }): void;
  /** Marks the saved logo for removal (after a conflict, to keep the admin's edit). */
  markRemoved(): void;
}

function typeOf(file: File): LogoUpload['contentType'] | undefined {
  if (file.type === TYPES.png || file.type === TYPES.svg) return file.type;
  const name = file.name.toLowerCase();
  return name.endsWith('.svg') ? TYPES.svg : name.endsWith('.png') ? TYPES.png : undefined;
}

/** Why `file` cannot be a logo, or undefined when it can. */
function problemOf(file: File): string | undefined {
  if (typeOf(file) === undefined) return `${file.name} is not a PNG or SVG file.`;
  if (file.size > MAX_LOGO_BYTES) return `${file.name} is ${formatBytes(file.size)}, larger than ${MAX_LOGO_BYTES / 1024} KB; choose a smaller file.`;
  return undefined;
}

export function logoField(announce: (message: string) => void): LogoField {
  const input = h('input', { type: 'file', accept: 'image/png,image/svg+xml,.png,.svg', class: 'file-input' });
  const preview = h('div', { class: 'logo-preview' });
  const status = h('p', { class: 'logo-status' });
  const choose = h('label', { class: 'btn btn-secondary file-button', 'aria-hidden': 'true' }, 'Choose a file…');
  const remove = button('Remove logo');
  const undo = button('Undo');
  let saved: string | null = null;
  let removing = false;
  let objectUrl: string | undefined;

  const theField = field({
    label: 'Logo',
    control: input,
    hint: `PNG or SVG, at most ${MAX_LOGO_BYTES / 1024} KB. Shown on white, up to 200 × 64 pixels. An SVG with scripts, styles or links is refused.`,
    extra: h('div', { class: 'logo-picker' }, preview, status, h('div', { class: 'actions' }, choose, remove, undo)),
  });
  choose.htmlFor = input.id;

  function image(src: string, alt: string): HTMLElement {
    return h('img', { src, alt, class: 'logo' });
  }

  function render(): void {
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = undefined;
    const file = input.files?.[0];
    const problem = file ? problemOf(file) : undefined;
    theField.setError(problem);
    if (file && !problem) {
      objectUrl = URL.createObjectURL(file);
      preview.replaceChildren(image(objectUrl, 'Chosen logo'));
      status.textContent = `New: ${file.name}, ${formatBytes(file.size)}. It replaces the logo when you save.`;
    } else if (removing) {
      preview.replaceChildren(h('p', { class: 'logo-empty' }, 'No logo'));
      status.textContent = 'The logo will be removed when you save.';
    } else {
      preview.replaceChildren(saved === null ? h('p', { class: 'logo-empty' }, 'No logo') : currentLogo(saved));
      status.textContent = saved === null ? 'No logo: the portal and emails show your organisation name.' : 'The current logo.';
    }
    choose.textContent = saved === null && !file ? 'Choose a file…' : 'Choose another file…';
    remove.hidden = saved === null || removing || file !== undefined;
    undo.hidden = !removing && file === undefined;
    undo.textContent = file ? 'Clear the chosen file' : 'Keep the logo';
  }

  function currentLogo(url: string): HTMLElement {
    const resolved = new URL(url, location.href);
    // The CSP allows images from this origin only; a logo served elsewhere is linked, not loaded.
    if (resolved.origin === location.origin) return image(resolved.pathname + resolved.search, 'Current logo');
    // Only an https address becomes a link (never javascript: or data:, whatever the server said).
    if (resolved.protocol !== 'https:') return h('span', {}, 'The current logo is served from elsewhere.');
    return h('a', { href: resolved.href, target: '_blank', rel: 'noopener noreferrer' }, 'View the current logo');
  }

  input.addEventListener('change', () => {
    removing = false;
    render();
    const file = input.files?.[0];
    if (file) announce(problemOf(file) ?? `${file.name} chosen. Save the settings to use it.`);
  });
  remove.addEventListener('click', () => {
    removing = true;
    render();
    undo.focus();
    announce('The logo will be removed when you save.');
  });
  undo.addEventListener('click', () => {
    removing = false;
    input.value = '';
    render();
    input.focus();
  });

  return {
    field: theField,
    async change() {
      const file = input.files?.[0];
      if (file) {
        const problem = problemOf(file);
        if (problem) return problem;
        return { contentType: typeOf(file) ?? TYPES.png, data: toBase64(new Uint8Array(await file.arrayBuffer())) };
      }
      return removing && saved !== null ? null : undefined;
    },
    reset(url, options = {}) {
      saved = url;
      if (!options.keepChoice) {
        input.value = '';
        removing = false;
      }
      render();
    },
    markRemoved() {
      removing = saved !== null;
      render();
    },
  };
}
