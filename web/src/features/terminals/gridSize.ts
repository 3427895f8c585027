import type { GridSize } from './XtermView';
import { TERMINAL_FONT_FAMILY, TERMINAL_FONT_SIZE, TERMINAL_LINE_HEIGHT } from './terminalTheme';

/** Horizontal + vertical inset of `.terminal-host` in `.terminal-area` (styles.css). */
const HOST_PADDING = 8 * 2;

/**
 * Estimates the grid that fits `el` before any xterm exists there (the first terminal), so the
 * process starts at the right size. Later terminals copy the size of the visible one.
 */
export function estimateGrid(el: HTMLElement | null): GridSize | null {
  if (!el) return null;
  const { width, height } = el.getBoundingClientRect();
  if (width <= 0 || height <= 0) return null;
  const ctx = document.createElement('canvas').getContext('2d');
  if (!ctx) return null;
  ctx.font = `${TERMINAL_FONT_SIZE}px ${TERMINAL_FONT_FAMILY}`;
  const metrics = ctx.measureText('W'.repeat(32));
  const cellWidth = metrics.width / 32;
  const glyphHeight = metrics.fontBoundingBoxAscent + metrics.fontBoundingBoxDescent || TERMINAL_FONT_SIZE * 1.2;
  const cellHeight = Math.floor(glyphHeight * TERMINAL_LINE_HEIGHT);
  if (!(cellWidth > 0) || !(cellHeight > 0)) return null;
  return {
    cols: Math.max(2, Math.min(1000, Math.floor((width - HOST_PADDING) / cellWidth))),
    rows: Math.max(1, Math.min(500, Math.floor((height - HOST_PADDING) / cellHeight))),
  };
}
