/**
 * Accessibility checks for the browser suites: axe-core's rules (every rule it runs by default,
 * best practices included), and what axe does not check — the contrast of form-control borders and
 * of focus rings against what is behind them (WCAG 1.4.11, at least 3:1) — plus keyboard helpers.
 */
import { AxeBuilder } from '@axe-core/playwright';
import type { Locator, Page } from 'playwright-core';

/** Every axe violation on the page as "rule: target, target (help)"; empty when there is none. */
export async function axeViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')} (${v.help})`);
}

/** The two viewports every page is checked at. */
export const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;

/**
 * Runs in the page: the colour an element's edge is seen against (the first opaque background up
 * its ancestors, white if none), and the WCAG contrast ratio of two CSS colours.
 */
const PAGE_HELPERS = `
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
  return page.evaluate(`(() => {${PAGE_HELPERS}
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
  return page.evaluate(`(() => {${PAGE_HELPERS}
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
