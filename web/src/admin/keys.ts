/**
 * API keys: create (the key is shown once, here, and never again), list and revoke. Revoking the
 * key this console is signed in with ends the session, so the dialog says so first.
 */
import { h } from '../lib/dom.ts';
import type { ApiKey, KeyScope } from '../lib/admin-api.ts';
import { choice, fieldset } from './form.ts';
import { badge, busy, button, type ConsoleContext, confirmDialog, emptyState, errorBox, reportError, type Section, sectionHeading, secretPanel, table, time } from './ui.ts';

const SCOPES: Readonly<Record<KeyScope, string>> = {
  send: 'Can send messages and read their status. For your applications.',
  admin: 'Can do everything, including this console. Keep it for administrators.',
};

export function keysSection(ctx: ConsoleContext): Section {
  const heading = sectionHeading('h2', 'API keys', 'keys-title');
  const errors = errorBox();
  const reveal = h('div', {});
  const list = h('div', { 'aria-busy': 'false' });

  const sendChoice = choice({ type: 'radio', name: 'key-scope', value: 'send', label: 'Send', description: SCOPES.send, checked: true });
  const adminChoice = choice({ type: 'radio', name: 'key-scope', value: 'admin', label: 'Admin', description: SCOPES.admin });
  const scope = fieldset({ legend: 'What may the new key do?', className: 'choices', children: [sendChoice.element, adminChoice.element] });
  const create = button('Create key', { variant: 'primary', type: 'submit' });
  const form = h('form', { novalidate: '', 'aria-labelledby': 'keys-create-title' }, h('h3', { id: 'keys-create-title' }, 'Create a key'), scope.element, h('div', { class: 'actions' }, create));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void busy(create, async () => {
      errors.clear();
      const chosen: KeyScope = adminChoice.input.checked ? 'admin' : 'send';
      try {
        const created = await ctx.api.createKey(chosen);
        const panel = secretPanel({
          title: `New ${chosen} key ${created.id}`,
          label: 'API key',
          value: created.key,
          warning: 'This key will not be shown again: sealpost keeps only a fingerprint of it. Store it in your password manager or secret store now.',
          announce: ctx.announce,
          onDone: () => create.focus(),
        });
        reveal.replaceChildren(panel);
        panel.querySelector<HTMLElement>('h3')?.focus();
        ctx.announce(`Key ${created.id} created. Copy it now: it will not be shown again.`);
        await load();
      } catch (error) {
        reportError(ctx, error, errors);
      }
    });
  });

  async function revoke(key: ApiKey, trigger: HTMLButtonElement): Promise<void> {
    const own = key.id === (await ctx.currentKeyId);
    const ok = await confirmDialog({
      title: `Revoke key ${key.id}?`,
      body: [
        'Anything using this key stops working at once. This cannot be undone: to continue, create a new key.',
        ...(own ? [h('p', { class: 'alert alert-warn' }, h('strong', {}, 'This is the key this console is signed in with. '), 'The console will sign out, and you will need another admin key to sign in again.')] : []),
      ],
      confirmLabel: 'Revoke key',
      danger: true,
    });
    if (!ok) return;
    await busy(trigger, async () => {
      try {
        await ctx.api.revokeKey(key.id);
        if (own) {
          ctx.signOut('You revoked the key this console was signed in with, so you have been signed out. Sign in with another admin key.');
          return;
        }
        ctx.announce(`Key ${key.id} revoked.`);
        await load();
        heading.focus();
      } catch (error) {
        reportError(ctx, error, errors);
      }
    });
  }

  async function load(): Promise<void> {
    list.setAttribute('aria-busy', 'true');
    try {
      const [{ keys }, ownId] = await Promise.all([ctx.api.listKeys(), ctx.currentKeyId]);
      list.replaceChildren(keys.length === 0 ? emptyState('No keys yet.') : render(keys, ownId));
    } catch (error) {
      reportError(ctx, error, errors);
    } finally {
      list.setAttribute('aria-busy', 'false');
    }
  }

  function render(keys: readonly ApiKey[], ownId: string | undefined): HTMLElement {
    const sorted = [...keys].sort((a, b) => Number(a.revokedAt !== null) - Number(b.revokedAt !== null) || b.createdAt.localeCompare(a.createdAt));
    return table('Keys of your organisation', ['Key', 'Scope', 'Created', 'Last used', 'Status', 'Action'], sorted.map((key) => {
      const action = key.revokedAt === null ? button('Revoke', { variant: 'danger' }) : null;
      action?.setAttribute('aria-label', `Revoke key ${key.id}`);
      action?.addEventListener('click', () => void revoke(key, action));
      return [
        h('span', {}, h('code', {}, key.id), key.id === ownId ? badge('this console', 'info') : null),
        key.scope,
        h('span', {}, time(key.createdAt), key.createdBy ? h('span', { class: 'sub' }, `by ${key.createdBy}`) : null),
        time(key.lastUsedAt, 'never'),
        key.revokedAt === null ? badge('active', 'good') : h('span', {}, badge('revoked', 'bad'), h('span', { class: 'sub' }, time(key.revokedAt))),
        action,
      ];
    }), { captionHidden: true });
  }

  const element = h(
    'section',
    { class: 'panel', id: 'panel-keys', 'aria-labelledby': 'keys-title' },
    heading,
    h('p', { class: 'lead' }, 'Keys let your applications send messages and your administrators use this console. Each key is shown once, when it is created.'),
    errors.element,
    form,
    reveal,
    h('h3', {}, 'Your keys'),
    list,
  );
  return { element, heading, show: load };
}
