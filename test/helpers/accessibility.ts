/**
 * Accessibility checks for the browser suites: axe-core (every rule it runs by default, WCAG 2.x A
 * and AA and its best practices), and what axe does not check — the non-text contrast of WCAG
 * 1.4.11: the edges of form controls and outlined buttons, and the focus ring of everything
 * reachable by Tab, each at least 3:1 against what is next to it.
 */
import { AxeBuilder } from '@axe-core/playwright';
import type { Locator, Page } from 'playwright-core';

/** axe's violations on `page`, one line each: rule, impact and the elements (empty means none). */
export async function axeViolations(page: Page): Promise<string[]> {
  // The message frame is sandboxed without scripts: axe cannot run inside it, and its content is the
  // sender's HTML, not the page's. Everything else is checked.
  const results = await new AxeBuilder({ page }).exclude('iframe.html-body').analyze();
  return results.violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact ?? 'n/a'}): ${n.target.join(' ')} — ${n.failureSummary?.split('\n')[1]?.trim() ?? v.help}`));
}

/**
 * Runs in the page: the colour helpers (computed colours are rgb()/rgba(), or color(srgb …) for
 * color-mix()). Injected as a string so that the test's compiled code does not leak into it.
 */
const COLOUR_HELPERS = `
  const parse = (value) => {
    let m = /^rgba?\\(([\\d.]+),\\s*([\\d.]+),\\s*([\\d.]+)(?:,\\s*([\\d.]+))?\\)$/.exec(value);
    if (m) return [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])];
    m = /^color\\(srgb ([\\d.e-]+) ([\\d.e-]+) ([\\d.e-]+)(?: \\/ ([\\d.]+))?\\)$/.exec(value);
    if (m) return [Number(m[1]) * 255, Number(m[2]) * 255, Number(m[3]) * 255, m[4] === undefined ? 1 : Number(m[4])];
    return undefined;
  };
  const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat(1);
  const background = (element) => {
    const layers = [];
    for (let node = element; node; node = node.parentElement) {
      const colour = parse(getComputedStyle(node).backgroundColor);
      if (colour && colour[3] > 0) layers.push(colour);
      if (colour && colour[3] >= 1) break;
    }
    let result = [255, 255, 255, 1];
    if (!layers.length || layers[layers.length - 1][3] < 1) result = parse(getComputedStyle(document.documentElement).backgroundColor) ?? result;
    for (const layer of layers.reverse()) result = over(layer, result);
    return result;
  };
  const luminance = (c) => {
    const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const visible = (element) => {
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && !element.closest('[hidden]');
  };
  const name = (element) => element.id ? '#' + element.id : element.localName + (element.className && typeof element.className === 'string' ? '.' + element.className.trim().split(/\\s+/).join('.') : '');
`;

/**
 * Form controls, and buttons without text (an icon alone), whose edge is under 3:1 against the
 * background around them (WCAG 1.4.11), as "what: ratio". The edge is the border or the fill,
 * whichever stands out more. A button with text is identified by its text, which axe checks, so
 * its boundary is not required (as WCAG's Understanding 1.4.11 says). Disabled controls are exempt.
 */
export async function weakControlEdges(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {${COLOUR_HELPERS}
    const weak = [];
    for (const element of document.querySelectorAll('input:not([type=hidden]):not([type=file]), textarea, select, button')) {
      if (!visible(element) || element.disabled) continue;
      if (element.localName === 'button' && element.textContent.trim() !== '') continue;
      const style = getComputedStyle(element);
      const around = background(element.parentElement ?? element);
      const fill = parse(style.backgroundColor);
      const border = parse(style.borderTopColor);
      const edges = [];
      if (fill && fill[3] > 0) edges.push(ratio(over(fill, around), around));
      if (parseFloat(style.borderTopWidth) > 0 && border && border[3] > 0) edges.push(ratio(over(border, around), around));
      const best = Math.max(1, ...edges);
      if (best < 3) weak.push(name(element) + ': ' + best.toFixed(2) + ':1');
    }
    return weak;
  })()`);
}

/**
 * Presses Tab through the page (at most `limit` times, stopping when the focus comes round to the
 * first element again) and reports each focused element whose focus ring is missing, thinner than
 * 2 px, or under 3:1 against the background behind it. Returns the elements reached too, in order.
 * Inside the message frame (the sender's HTML) it only presses on until the focus leaves it.
 */
export async function focusRings(page: Page, limit = 40): Promise<{ reached: string[]; weak: string[] }> {
  await page.evaluate(() => {
    (document.activeElement as HTMLElement | null)?.blur();
    window.scrollTo(0, 0);
    (window as Window & { __a11yFirst?: Element | null }).__a11yFirst = null;
  });
  const reached: string[] = [];
  const weak: string[] = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const seen = await page.evaluate(`(() => {${COLOUR_HELPERS}
      const element = document.activeElement;
      if (!element || element === document.body) return { name: 'none', problem: null, again: false };
      if (element.localName === 'iframe') return { name: 'iframe', problem: null, again: false, frame: true };
      const again = window.__a11yFirst === element;
      if (!window.__a11yFirst) window.__a11yFirst = element;
      const style = getComputedStyle(element);
      const width = style.outlineStyle === 'none' ? 0 : parseFloat(style.outlineWidth);
      const colour = parse(style.outlineColor);
      if (width < 2 || !colour || colour[3] === 0) return { name: name(element), problem: 'no focus ring of 2 px or more', again };
      const behind = background(element.parentElement ?? element);
      const r = ratio(over(colour, behind), behind);
      return { name: name(element), problem: r < 3 ? 'focus ring ' + r.toFixed(2) + ':1' : null, again };
    })()`) as { name: string; problem: string | null; again: boolean; frame?: boolean };
    if (seen.again) break;
    if (seen.frame) {
      if (reached.at(-1) !== 'iframe') reached.push('iframe');
      continue;
    }
    reached.push(seen.name);
    if (seen.problem) weak.push(`${seen.name}: ${seen.problem}`);
  }
  return { reached, weak };
}

// ---- The console suites' checks: borders of fields and outlined buttons, one focus ring at a time, Tab to a target ----

/** The two viewports every page is checked at. */
export const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;

/**
 * Runs in the page: the colour an element's edge is seen against (the first opaque background up
 * its ancestors, white if none), and the WCAG contrast ratio of two CSS colours.
 */
const CONSOLE_PAGE_HELPERS = `
  function rgb(css) {
    const m = css.match(/rgba?\\(([\\d.]+),?\\s*([\\d.]+),?\\s*([\\d.]+)(?:,?\\s*\\/?\\s*([\\d.]+))?/);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])] : [0, 0, 0, 0];
  }
  function luminance([r, g, b]) {
    const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  function ratio(a, b) {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  }
  function behind(el) {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c[3] >= 0.99) return c;
    }
    return [255, 255, 255, 1];
  }
  function label(el) {
    return el.localName + (el.id ? '#' + el.id : '') + (el.getAttribute('aria-label') ? '[' + el.getAttribute('aria-label') + ']' : '') + (el.textContent ? ' "' + el.textContent.trim().slice(0, 30) + '"' : '');
  }
`;

/**
 * Visible text fields, selects, text areas and bordered buttons whose border has less than 3:1
 * against the background around them (native checkboxes and radios are drawn by the browser).
 */
export async function weakControlBorders(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {${CONSOLE_PAGE_HELPERS}
    const controls = [...document.querySelectorAll('input:not([type=checkbox]):not([type=radio]):not([type=file]):not([type=hidden]), select, textarea, .btn-secondary, .btn-danger, .copy')];
    return controls.filter((el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden' && Number(getComputedStyle(el).opacity) > 0.1)
      .map((el) => {
        const border = rgb(getComputedStyle(el).borderTopColor);
        const r = ratio(border, behind(el.parentElement));
        return r < 3 ? label(el) + ': border ' + r.toFixed(2) + ':1' : '';
      }).filter(Boolean);
  })()`);
}

/** The focused element's focus ring, if it lacks one of at least 2 px with 3:1 against the background around it. */
export async function weakFocusRing(page: Page): Promise<string | undefined> {
  return page.evaluate(`(() => {${CONSOLE_PAGE_HELPERS}
    const el = document.activeElement;
    if (!el || el === document.body) return undefined;
    const style = getComputedStyle(el);
    if (style.outlineStyle === 'none' || parseFloat(style.outlineWidth) < 2) return label(el) + ': no focus ring (' + style.outlineStyle + ' ' + style.outlineWidth + ')';
    const r = ratio(rgb(style.outlineColor), behind(el.parentElement));
    return r < 3 ? label(el) + ': focus ring ' + r.toFixed(2) + ':1' : undefined;
  })()`);
}

/** Presses Tab through the page (up to `max` stops), collecting every stop whose focus ring is weak. */
export async function weakFocusRings(page: Page, max = 80): Promise<string[]> {
  const weak = new Set<string>();
  const seen = new Set<string>();
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const key = await page.evaluate(() => {
      const el = document.activeElement;
      return el ? `${el.localName}#${el.id}|${el.textContent?.slice(0, 40)}|${Math.round(el.getBoundingClientRect().top + scrollY)}` : '';
    });
    if (seen.has(key)) break;
    seen.add(key);
    const problem = await weakFocusRing(page);
    if (problem) weak.add(problem);
  }
  return [...weak];
}

/** Presses Tab until `target` has focus (at most `max` times); fails when it never does. */
export async function tabTo(page: Page, target: Locator, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((e) => e === document.activeElement).catch(() => false)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${target.toString()}`);
}

// ---- What the issue "What people see" asked of every page's forms, checked on whatever state is shown ----

/**
 * The one colour of error text on every page, in light and dark mode: recipient.css's --error
 * (pickup, inbox, reply form) and admin.css's --danger (console) are the same red.
 */
export const ERROR_TEXT = { light: 'rgb(180, 35, 24)', dark: 'rgb(255, 138, 128)' } as const;

/** Visible error lines (form, field, reply, result) whose colour is not ERROR_TEXT for the page's colour scheme, as "what: colour". */
export async function offColourErrors(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const expected = matchMedia('(prefers-color-scheme: dark)').matches ? ${JSON.stringify(ERROR_TEXT.dark)} : ${JSON.stringify(ERROR_TEXT.light)};
    return [...document.querySelectorAll('.form-error, .field-error, .reply-error, .result-bad')]
      .filter((el) => el.getClientRects().length > 0 && !el.closest('[hidden]') && el.textContent.trim() !== '')
      .map((el) => { const colour = getComputedStyle(el).color; return colour === expected ? '' : (el.id ? '#' + el.id : el.className) + ': ' + colour + ', not ' + expected; })
      .filter(Boolean);
  })()`);
}

/**
 * Visible code boxes (input.code-input) that are not centred over their form's submit button (by
 * more than 1 px), or whose digits are not centred in the box.
 */
export async function offCentreCodeBoxes(page: Page): Promise<string[]> {
  return page.evaluate(`(() => [...document.querySelectorAll('input.code-input')]
    .filter((el) => el.getClientRects().length > 0 && !el.closest('[hidden]'))
    .map((input) => {
      const button = input.form && input.form.querySelector('button[type=submit]');
      if (!button) return '#' + input.id + ': no submit button in its form';
      const a = input.getBoundingClientRect(), b = button.getBoundingClientRect();
      const off = Math.abs((a.left + a.right) / 2 - (b.left + b.right) / 2);
      if (off > 1) return '#' + input.id + ': ' + off.toFixed(1) + ' px off the centre of its button';
      const align = getComputedStyle(input).textAlign;
      return align === 'center' ? '' : '#' + input.id + ': digits aligned ' + align;
    }).filter(Boolean))()`);
}

/** Visible cards (main > section.card) without the round icon the other cards have. */
export async function cardsWithoutIcon(page: Page): Promise<string[]> {
  return page.evaluate(`(() => [...document.querySelectorAll('main > section.card')]
    .filter((card) => !card.hidden && card.getClientRects().length > 0)
    .filter((card) => { const icon = card.querySelector(':scope > .card-icon'); return !icon || icon.getClientRects().length === 0 || !icon.querySelector('svg'); })
    .map((card) => '#' + card.id + ': no card icon'))()`);
}
