import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { WebglAddon } from '@xterm/addon-webgl';
import { Terminal } from '@xterm/xterm';
import { readJson } from '../../shared/storage';
import { registerTerminal, unregisterTerminal } from './debugHandle';
import { TERMINAL_FONT_FAMILY, TERMINAL_FONT_SIZE, TERMINAL_LINE_HEIGHT, terminalTheme } from './terminalTheme';

export interface GridSize {
  cols: number;
  rows: number;
}

/** `localStorage['anycode.renderer'] = '"dom"'` forces the DOM renderer (debugging, old GPUs). */
const webglAllowed = () => readJson<string>('anycode.renderer', 'webgl') !== 'dom';

/**
 * One xterm.js terminal with its addons. WebGL is attached only while the terminal is visible
 * (browsers cap WebGL contexts at ~16 per page) and dropped on context loss (DOM renderer).
 */
export class XtermView {
  readonly term: Terminal;
  readonly search: SearchAddon;
  private readonly fitAddon = new FitAddon();
  private webgl: WebglAddon | null = null;
  private readonly id: string;

  constructor(id: string, container: HTMLElement) {
    this.id = id;
    this.term = new Terminal({
      allowProposedApi: true,
      fontFamily: TERMINAL_FONT_FAMILY,
      fontSize: TERMINAL_FONT_SIZE,
      lineHeight: TERMINAL_LINE_HEIGHT,
      theme: terminalTheme,
      scrollback: 10_000,
      cursorBlink: true,
      macOptionIsMeta: true,
      drawBoldTextInBrightColors: false,
    });
    this.search = new SearchAddon();
    this.term.loadAddon(this.fitAddon);
    this.term.loadAddon(this.search);
    this.term.loadAddon(
      new WebLinksAddon((event, uri) => {
        event.preventDefault();
        window.open(uri, '_blank', 'noopener,noreferrer');
      }),
    );
    this.term.loadAddon(new Unicode11Addon());
    this.term.unicode.activeVersion = '11';
    this.term.open(container);
    registerTerminal(id, this.term);
  }

  get size(): GridSize {
    return { cols: this.term.cols, rows: this.term.rows };
  }

  /** Turn the GPU renderer on for the visible terminal and off for hidden ones. */
  setVisible(visible: boolean): void {
    if (visible && !this.webgl && webglAllowed()) {
      try {
        const addon = new WebglAddon();
        addon.onContextLoss(() => {
          addon.dispose();
          if (this.webgl === addon) this.webgl = null;
        });
        this.term.loadAddon(addon);
        this.webgl = addon;
      } catch (error) {
        console.info('anycode: WebGL unavailable, using the DOM renderer', error);
        this.webgl = null;
      }
    } else if (!visible && this.webgl) {
      this.webgl.dispose();
      this.webgl = null;
    }
    if (visible) this.term.refresh(0, this.term.rows - 1);
  }

  get renderer(): 'webgl' | 'dom' {
    return this.webgl ? 'webgl' : 'dom';
  }

  /** The grid that fits the container, or null when it has no size (hidden). */
  proposeSize(): GridSize | null {
    const dims = this.fitAddon.proposeDimensions();
    if (!dims || !Number.isFinite(dims.cols) || !Number.isFinite(dims.rows)) return null;
    const cols = Math.max(2, Math.min(1000, Math.floor(dims.cols)));
    const rows = Math.max(1, Math.min(500, Math.floor(dims.rows)));
    return { cols, rows };
  }

  /** Resize the grid to the container; returns the new size (null when hidden). */
  fit(): GridSize | null {
    const size = this.proposeSize();
    if (size) this.resizeTo(size.cols, size.rows);
    return size;
  }

  resizeTo(cols: number, rows: number): void {
    if (cols !== this.term.cols || rows !== this.term.rows) this.term.resize(cols, rows);
  }

  dispose(): void {
    unregisterTerminal(this.id, this.term);
    this.webgl?.dispose();
    this.webgl = null;
    this.term.dispose();
  }
}
