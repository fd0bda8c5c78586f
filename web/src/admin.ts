/**
 * The admin console (/admin): sign in with an admin key, then settings, API keys, webhooks,
 * messages and activity.
 *
 * The key lives in this tab's sessionStorage and nowhere else — never localStorage, a cookie or
 * the URL — so closing the tab forgets it. "Sign out", a 401 from any call, or revoking the key in
 * use all forget it and remove every section (and the data in it) from the page.
 */
import { AdminApi, ApiError, keyIdOf, type Settings } from './lib/admin-api.ts';
import { activitySection } from './admin/activity.ts';
import { keysSection } from './admin/keys.ts';
import { messagesSection } from './admin/messages.ts';
import { settingsSection } from './admin/settings.ts';
import { type ConsoleContext, type Section, SESSION_ENDED } from './admin/ui.ts';
import { webhooksSection } from './admin/webhooks.ts';

const STORAGE_KEY = 'sealpost.admin-key';
const SECTION_NAMES = ['settings', 'keys', 'webhooks', 'messages', 'activity'] as const;
type SectionName = (typeof SECTION_NAMES)[number];

const KEY_REJECTED =
  'This key was not accepted. Check that you pasted the whole key, and that it is an admin key (a send key cannot open the console) that has not been revoked.';

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`admin.html is missing #${id}`);
  return element as T;
}

const status = byId<HTMLParagraphElement>('status');
const loading = byId<HTMLElement>('view-loading');
const signInView = byId<HTMLElement>('view-signin');
const signInTitle = byId<HTMLElement>('signin-title');
const signInMessage = byId<HTMLElement>('signin-message');
const signInForm = byId<HTMLFormElement>('signin-form');
const keyInput = byId<HTMLInputElement>('admin-key');
const keyError = byId<HTMLElement>('admin-key-error');
const signInButton = byId<HTMLButtonElement>('signin-button');
const consoleView = byId<HTMLElement>('view-console');
const consoleTitle = byId<HTMLElement>('console-title');
const tenantName = byId<HTMLElement>('tenant-name');
const account = byId<HTMLElement>('account');
const accountName = byId<HTMLElement>('account-name');
const signOutButton = byId<HTMLButtonElement>('sign-out');
const panels = byId<HTMLElement>('panels');
const tabs = [...document.querySelectorAll<HTMLButtonElement>('nav.tabs button[data-section]')];

function storedKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function forgetKey(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage disabled: there is nothing to forget.
  }
}

function rememberKey(key: string): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // Storage disabled: the console works until the page is reloaded.
  }
}

function announce(message: string): void {
  // Clearing first makes a repeated message ("Settings saved.") announced again.
  status.textContent = '';
  window.setTimeout(() => {
    status.textContent = message;
  }, 50);
}

interface Session {
  readonly sections: Map<SectionName, Section>;
  /** False once signed out: late answers of the old session must not touch the page. */
  alive: boolean;
}

let session: Session | undefined;

function setTenantName(settings: Settings): void {
  tenantName.textContent = settings.displayName;
  accountName.textContent = settings.displayName;
  document.title = `Admin console · ${settings.displayName} · sealpost`;
}

function startConsole(api: AdminApi, key: string, settings: Settings): void {
  const current: Session = { sections: new Map(), alive: true };
  let latest = settings;
  let ownKeyId: string | undefined;
  const currentKeyId = keyIdOf(key).catch(() => undefined);
  void currentKeyId.then((id) => { ownKeyId = id; });
  const ctx: ConsoleContext = {
    api,
    currentKeyId,
    ownKeyId: () => ownKeyId,
    settings: () => latest,
    announce: (message) => {
      if (current.alive) announce(message);
    },
    signOut: (message) => {
      if (current.alive) signOut(message);
    },
  };
  const { sections } = current;
  sections.set('settings', settingsSection(ctx, settings, (saved) => {
    latest = saved;
    setTenantName(saved);
  }));
  sections.set('keys', keysSection(ctx));
  sections.set('webhooks', webhooksSection(ctx));
  sections.set('messages', messagesSection(ctx));
  sections.set('activity', activitySection(ctx, (id) => {
    select('messages', false);
    void sections.get('messages')?.open?.(id);
  }));
  for (const section of sections.values()) section.element.hidden = true;
  panels.replaceChildren(...[...sections.values()].map((s) => s.element));
  session = current;

  setTenantName(settings);
  loading.hidden = true;
  signInView.hidden = true;
  consoleView.hidden = false;
  account.hidden = false;
  select('settings', false);
  consoleTitle.focus();
  announce(`Signed in to ${settings.displayName}.`);
}

function select(name: SectionName, moveFocus: boolean): void {
  if (!session) return;
  for (const tab of tabs) {
    if (tab.dataset.section === name) {
      tab.setAttribute('aria-current', 'true');
      // On a phone the tabs scroll sideways: keep the current one in view.
      tab.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    } else {
      tab.removeAttribute('aria-current');
    }
  }
  for (const [key, section] of session.sections) section.element.hidden = key !== name;
  const section = session.sections.get(name);
  if (!section) return;
  if (moveFocus) section.heading.focus();
  void section.show();
}

function signOut(message?: string): void {
  forgetKey();
  if (session) session.alive = false;
  session = undefined;
  // Nothing of the session stays in the page: sections, open dialogs, shown secrets.
  panels.replaceChildren();
  for (const dialog of document.querySelectorAll('dialog')) dialog.remove();
  consoleView.hidden = true;
  account.hidden = true;
  accountName.textContent = '';
  tenantName.textContent = '';
  document.title = 'Admin console · sealpost';
  showSignIn(message ?? 'You have signed out. The admin key was removed from this tab.');
}

function showSignIn(message?: string): void {
  loading.hidden = true;
  signInView.hidden = false;
  keyInput.value = '';
  setKeyError(undefined);
  signInMessage.textContent = message ?? '';
  signInMessage.hidden = message === undefined;
  if (message) announce(message);
  // With something to read, start at the heading above it; otherwise the key field is all there is to do.
  (message ? signInTitle : keyInput).focus();
}

function setKeyError(message: string | undefined): void {
  keyError.textContent = message ?? '';
  keyError.hidden = message === undefined;
  if (message === undefined) {
    keyInput.removeAttribute('aria-invalid');
    keyInput.setAttribute('aria-describedby', 'admin-key-hint');
  } else {
    keyInput.setAttribute('aria-invalid', 'true');
    keyInput.setAttribute('aria-describedby', 'admin-key-error admin-key-hint');
  }
}

/** Checks the key by reading the settings; only a key the server accepts is remembered. */
async function signIn(key: string): Promise<{ ok: true } | { ok: false; message: string }> {
  const api = new AdminApi(key);
  try {
    const settings = await api.getSettings();
    rememberKey(key);
    startConsole(api, key, settings);
    return { ok: true };
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return { ok: false, message: KEY_REJECTED };
    return { ok: false, message: error instanceof ApiError ? error.detail : 'Something went wrong. Reload the page and try again.' };
  }
}

signInForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  signInMessage.hidden = true;
  if (key === '') {
    setKeyError('Enter your admin key.');
    announce('Enter your admin key.');
    keyInput.focus();
    return;
  }
  setKeyError(undefined);
  signInButton.disabled = true;
  signInButton.setAttribute('aria-busy', 'true');
  void signIn(key).then((result) => {
    signInButton.disabled = false;
    signInButton.removeAttribute('aria-busy');
    if (result.ok) {
      keyInput.value = '';
      return;
    }
    setKeyError(result.message);
    announce(result.message);
    keyInput.focus();
    keyInput.select();
  });
});

signOutButton.addEventListener('click', () => signOut());

for (const tab of tabs) {
  tab.addEventListener('click', () => {
    const name = tab.dataset.section as SectionName | undefined;
    if (name && (SECTION_NAMES as readonly string[]).includes(name)) select(name, true);
  });
}

// npm start serves the console from this machine and prints an admin key in its banner, which the
// requests it logs may have pushed out of sight: say where to find it again.
if (['localhost', '127.0.0.1', '[::1]'].includes(location.hostname)) {
  const code = document.createElement('code');
  code.textContent = 'npm run keys';
  byId('admin-key-hint').append(' Running npm start? Its banner printed an admin key; ', code, ' prints it again.');
}

async function boot(): Promise<void> {
  const key = storedKey();
  if (key === null) {
    showSignIn();
    return;
  }
  loading.hidden = false;
  const result = await signIn(key);
  if (result.ok) return;
  forgetKey();
  showSignIn(result.message === KEY_REJECTED ? SESSION_ENDED : `Your session could not be restored: ${result.message} Sign in again.`);
}

void boot();
