/**
 * Form controls of the console: every control has a label, an optional hint and an error slot,
 * wired with aria-describedby, so an error from the server is read out with its field.
 */
import { h } from '../lib/dom.ts';
import type { FieldError } from '../lib/admin-api.ts';
import { uniqueId } from './ui.ts';

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/** A labelled control with an optional hint and an error slot, wired with aria-describedby. */
export interface Field {
  readonly element: HTMLElement;
  readonly focusTarget: HTMLElement;
  setError(message: string | undefined): void;
}

export function field(options: { label: string; control: Control; hint?: string | Node; extra?: Node }): Field {
  const { control } = options;
  if (!control.id) control.id = uniqueId('field');
  const hintId = `${control.id}-hint`;
  const errorId = `${control.id}-error`;
  const error = h('p', { class: 'field-error', id: errorId });
  error.hidden = true;
  const hint = options.hint === undefined ? null : h('p', { class: 'hint', id: hintId }, options.hint);
  const describe = (withError: boolean): void => {
    const ids = [withError ? errorId : '', hint ? hintId : ''].filter(Boolean).join(' ');
    if (ids) control.setAttribute('aria-describedby', ids);
    else control.removeAttribute('aria-describedby');
  };
  describe(false);
  // Label and hint share one box: in a row of fields (.grid) the boxes line up, so the controls do too.
  const element = h('div', { class: 'field' }, h('div', { class: 'field-head' }, h('label', { for: control.id }, options.label), hint), control, options.extra, error);
  return {
    element,
    focusTarget: control,
    setError(message) {
      error.textContent = message ?? '';
      error.hidden = message === undefined;
      if (message === undefined) control.removeAttribute('aria-invalid');
      else control.setAttribute('aria-invalid', 'true');
      describe(message !== undefined);
    },
  };
}

/** A group of radios or checkboxes under one legend, with one error slot. */
export function fieldset(options: { legend: string; className?: string; children: readonly Node[]; hint?: string }): Field & { element: HTMLFieldSetElement } {
  const errorId = uniqueId('group-error');
  const error = h('p', { class: 'field-error', id: errorId });
  error.hidden = true;
  const element = h(
    'fieldset',
    { class: `group ${options.className ?? ''}`.trim() },
    h('legend', {}, options.legend),
    options.hint ? h('p', { class: 'hint' }, options.hint) : null,
    ...options.children,
    error,
  );
  return {
    element,
    get focusTarget() {
      return element.querySelector<HTMLElement>('input:checked, input') ?? element;
    },
    setError(message) {
      error.textContent = message ?? '';
      error.hidden = message === undefined;
      if (message === undefined) element.removeAttribute('aria-describedby');
      else element.setAttribute('aria-describedby', errorId);
    },
  };
}

/** A radio or checkbox with its label and an optional longer explanation. */
export function choice(options: { type: 'radio' | 'checkbox'; name: string; value: string; label: string; description?: string; checked?: boolean }): { element: HTMLElement; input: HTMLInputElement } {
  const input = h('input', { type: options.type, name: options.name, value: options.value, id: uniqueId(options.name) });
  input.checked = options.checked ?? false;
  const descriptionId = `${input.id}-desc`;
  if (options.description) input.setAttribute('aria-describedby', descriptionId);
  // The description is outside the label: the control's name stays short, the text is its description.
  const element = h(
    'div',
    { class: `choice ${options.description ? 'choice-card' : ''}`.trim() },
    input,
    h(
      'div',
      {},
      h('label', { for: input.id, class: 'choice-label' }, options.label),
      options.description ? h('p', { class: 'choice-description', id: descriptionId }, options.description) : null,
    ),
  );
  if (options.description) {
    // The whole card is a target for the pointer, as the label alone would be a small one.
    element.addEventListener('click', (event) => {
      if (event.target instanceof HTMLInputElement || event.target instanceof HTMLLabelElement || input.disabled) return;
      input.click();
    });
  }
  return { element, input };
}

/**
 * Shows each field error next to its field and returns the ones no field claimed. Server paths look
 * like "brand/primaryColor" or "portalHostnames/2"; the longest known prefix wins.
 */
export function showFieldErrors(errors: readonly FieldError[], fields: Readonly<Record<string, Field>>): { unclaimed: string[]; first?: Field } {
  const messages = new Map<string, string[]>();
  const unclaimed: string[] = [];
  const keys = Object.keys(fields).sort((a, b) => b.length - a.length);
  for (const error of errors) {
    const path = error.field.replace(/\[(\d+)\]/g, '/$1').replace(/\./g, '/');
    const key = keys.find((k) => path === k || path.startsWith(`${k}/`));
    if (key === undefined) {
      unclaimed.push(`${error.field}: ${error.message}`);
      continue;
    }
    messages.set(key, [...(messages.get(key) ?? []), error.message]);
  }
  let first: Field | undefined;
  for (const key of Object.keys(fields)) {
    const found = messages.get(key);
    const target = fields[key];
    if (!target) continue;
    target.setError(found ? found.join(' ') : undefined);
    if (found && !first) first = target;
  }
  return first ? { unclaimed, first } : { unclaimed };
}
