/**
 * The inbox bar of a message opened from the Message Center inbox (styled in web/pickup.css):
 * back to the list, the previous and next message of the list, and signing out. The next message
 * opens as the inbox opens one — its secret and grant from the inbox API, handed to the pickup page
 * in the fragment — and replaces this page in history, so Back always returns to the list.
 *
 * Built as its own asset (assets/inbox-bar.js, web/build.ts), which the pickup page imports only
 * for a message opened from the inbox: a link from an email never downloads it.
 */
import { h, icon } from './lib/dom.ts';
import { openInboxMessage, pickupUrl, signOutOfInbox } from './lib/inbox-api.ts';
import { handOver, noteSignedOut, type InboxContext } from './lib/inbox-context.ts';

/** The pickup page opens a message from the inbox again (a reload) through the same call as the list. */
export { openInboxMessage };

const BACK_ICON = 'M14.7 5.3a1 1 0 0 1 0 1.4L9.4 12l5.3 5.3a1 1 0 1 1-1.4 1.4l-6-6a1 1 0 0 1 0-1.4l6-6a1 1 0 0 1 1.4 0Z';
const NEXT_ICON = 'M9.3 5.3a1 1 0 0 1 1.4 0l6 6a1 1 0 0 1 0 1.4l-6 6a1 1 0 1 1-1.4-1.4l5.3-5.3-5.3-5.3a1 1 0 0 1 0-1.4Z';

const TEXT = {
  opening: 'Opening the message…',
  gone: 'That message is no longer available.',
  transient: 'We could not open that message right now. Please try again in a moment.',
  signOutFailed: 'We could not sign you out: the server did not answer. Check your connection and try again.',
} as const;

/** Shows the bar for message `id` of `context`; `announce` speaks through the page's live region. */
export function mountInboxNav(context: InboxContext, id: string, announce: (text: string) => void): void {
  const index = context.ids.indexOf(id);
  const back = h('a', { id: 'inbox-back', class: 'inbox-back', href: context.home }, icon(BACK_ICON, 'back-icon'), 'Back to your messages');
  const previous = h('button', { id: 'inbox-previous', class: 'step-button', type: 'button', 'aria-label': 'Previous message' }, icon(BACK_ICON, 'step-icon'));
  const next = h('button', { id: 'inbox-next', class: 'step-button', type: 'button', 'aria-label': 'Next message' }, icon(NEXT_ICON, 'step-icon'));
  const position = h('span', { id: 'inbox-position', class: 'inbox-position' }, `${index + 1} of ${context.ids.length}`);
  const signOut = h('button', { id: 'sign-out', class: 'text-button topbar-action', type: 'button' }, 'Sign out');
  const nav = h('nav', { id: 'inbox-nav', class: 'inbox-nav', 'aria-label': 'Your messages' }, back,
    // Stepping needs the list's order, and a list of more than this one message.
    index >= 0 && context.ids.length > 1 ? h('span', { class: 'inbox-step' }, position, previous, next) : null);
  document.querySelector('header.topbar')?.append(signOut);
  document.getElementById('status')?.after(nav);
  previous.disabled = index <= 0;
  next.disabled = index < 0 || index >= context.ids.length - 1;

  // The inbox opened this page with location.assign, and every step since replaced it: the entry
  // before it is the list, so going back there keeps the browser's Back and this link the same.
  back.addEventListener('click', (event) => {
    if (history.length < 2) return;
    event.preventDefault();
    history.back();
  });

  const step = async (to: string | undefined): Promise<void> => {
    if (to === undefined) return;
    previous.disabled = next.disabled = true;
    announce(TEXT.opening);
    const result = await openInboxMessage(context.tenantId, to);
    if (result.kind === 'ok') {
      handOver(context, to);
      location.replace(pickupUrl(to, result.secret, result.grant));
      return;
    }
    if (result.kind === 'signed-out') {
      location.assign(context.home);
      return;
    }
    previous.disabled = index <= 0;
    next.disabled = index >= context.ids.length - 1;
    announce(result.kind === 'unavailable' ? TEXT.gone : TEXT.transient);
  };
  previous.addEventListener('click', () => void step(context.ids[index - 1]));
  next.addEventListener('click', () => void step(context.ids[index + 1]));

  signOut.addEventListener('click', () => {
    signOut.disabled = true;
    void signOutOfInbox(context.tenantId).then((done) => {
      if (!done) {
        signOut.disabled = false;
        announce(TEXT.signOutFailed);
        return;
      }
      noteSignedOut();
      // replace(): Back must not return to a page that showed the message.
      location.replace(context.home);
    });
  });
}
