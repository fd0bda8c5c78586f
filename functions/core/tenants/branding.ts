/**
 * A tenant's brand: its colour rules (the primary colour carries white text on buttons and headers, so
 * it must be readable) and where its logo is served.
 */

const HEX = /^#[0-9a-f]{6}$/i;
/** WCAG 2.x level AA for normal text. */
export const MIN_CONTRAST_WITH_WHITE = 4.5;

function channel(value: number): number {
  const c = value / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** WCAG relative luminance of a #rrggbb colour. */
export function relativeLuminance(hex: string): number {
  const n = Number.parseInt(hex.slice(1), 16);
  return 0.2126 * channel((n >> 16) & 0xff) + 0.7152 * channel((n >> 8) & 0xff) + 0.0722 * channel(n & 0xff);
}

/** Contrast ratio (1–21) between white and `hex`. */
export function contrastWithWhite(hex: string): number {
  return 1.05 / (relativeLuminance(hex) + 0.05);
}

/**
 * Why a colour cannot be the primary colour, or undefined when it can. Only #rrggbb is accepted:
 * one canonical form, nothing a CSS parser could read differently.
 */
export function primaryColorProblem(value: string): string | undefined {
  if (!HEX.test(value)) return 'must be a colour in the form #rrggbb, e.g. "#1d4ed8"';
  const ratio = contrastWithWhite(value);
  if (ratio < MIN_CONTRAST_WITH_WHITE) {
    return `has a contrast of ${ratio.toFixed(2)}:1 with white text; WCAG AA needs at least ${MIN_CONTRAST_WITH_WHITE}:1 — choose a darker colour`;
  }
  return undefined;
}

/** Where a tenant's current logo is served (relative to the portal origin). */
export function logoPath(tenantId: string, digest: string): string {
  return `/brand/${encodeURIComponent(tenantId)}/logo/${digest}`;
}
