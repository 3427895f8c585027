// Reconnect: the terminal's WebSocket is dropped while a command is printing; the client resumes
// from its offset, nothing is lost or shown twice, and typing works afterwards.
//
// The drop goes through a test-only wrapper around window.WebSocket (installed with
// addInitScript, so no product code is involved): `__e2e.drop(id)` closes the terminal's open
// socket with a non-1000 code, which the app treats like any broken connection.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import {
  appSuite,
  bufferText,
  countLines,
  newTerminal,
  openApp,
  typeInto,
  waitForLine,
  waitReady,
} from './helpers.mjs';

function installSocketTracker() {
  const Native = window.WebSocket;
  const sockets = [];
  class TrackedWebSocket extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      sockets.push(this);
    }
  }
  window.WebSocket = TrackedWebSocket;
  const forTerminal = (id) => sockets.filter((s) => new URL(s.url).pathname === `/ws/terminals/${id}`);
  window.__e2e = {
    /** URLs of every socket opened for terminal `id`, oldest first. */
    urls: (id) => forTerminal(id).map((s) => s.url),
    /** Number of open sockets for terminal `id`. */
    open: (id) => forTerminal(id).filter((s) => s.readyState === Native.OPEN).length,
    /** Abruptly close the open socket(s) of terminal `id`; returns how many were closed. */
    drop(id) {
      const open = forTerminal(id).filter((s) => s.readyState === Native.OPEN);
      for (const s of open) s.close(4001, 'e2e: dropped');
      return open.length;
    },
  };
}

describe('reconnect', () => {
  const suite = appSuite({ onPage: (context) => context.addInitScript(installSocketTracker) });
  let server;
  let context;
  let page;
  beforeEach(() => ({ server, context, page } = suite));

  test('a dropped socket resumes from its offset: output continues, nothing doubled', async () => {
    await openApp(page, server);
    const id = await newTerminal(page);
    const pane = `[data-testid="terminal-${id}"]`;

    // ~2 s of numbered output that keeps going while the socket is down.
    const n = 40;
    await typeInto(page, id, `for i in $(seq 1 ${n}); do echo tick-$i; sleep 0.05; done; echo loop-$((2*3))-done\n`);
    await waitForLine(page, id, 'tick-3');

    const before = await page.evaluate((id) => window.__e2e.urls(id).length, id);
    const offsetBefore = Number(await page.getAttribute(pane, 'data-offset'));
    assert.equal(await page.evaluate((id) => window.__e2e.drop(id), id), 1, 'one open socket to drop');
    // The app notices and schedules a reconnect…
    await page.waitForSelector(`${pane}[data-status=reconnecting]`, { state: 'attached' });
    // …then a new socket opens and the server says ready again.
    await page.waitForFunction(
      ({ id, before }) => window.__e2e.urls(id).length > before && window.__e2e.open(id) === 1,
      { id, before },
    );
    await waitReady(page, id);

    // It resumed from where it was (exact byte replay), not from a fresh snapshot.
    const urls = await page.evaluate((id) => window.__e2e.urls(id), id);
    const from = Number(new URL(urls[urls.length - 1]).searchParams.get('from'));
    assert.ok(Number.isInteger(from) && from >= offsetBefore, `reconnect URL ${urls[urls.length - 1]} (offset before drop ${offsetBefore})`);

    await waitForLine(page, id, 'loop-6-done', { timeout: 20_000 });
    const text = await bufferText(page, id);
    for (let i = 1; i <= n; i++) {
      assert.equal(countLines(text, `tick-${i}`), 1, `tick-${i} must appear exactly once:\n${text}`);
    }
    assert.equal(countLines(text, 'loop-6-done'), 1);

    // Typing after the reconnect reaches the same shell; its output shows once.
    await typeInto(page, id, 'echo mark-$((6*7))\n');
    await waitForLine(page, id, 'mark-42');
    const after = await bufferText(page, id);
    assert.equal(countLines(after, 'mark-42'), 1, after);
    assert.equal(await page.evaluate((id) => window.__e2e.open(id), id), 1, 'exactly one socket open');
  });

  test('dropped twice in a row while idle: still one prompt, input works', async () => {
    await openApp(page, server);
    const id = await newTerminal(page);
    const pane = `[data-testid="terminal-${id}"]`;
    await typeInto(page, id, 'echo start-$((1+1))\n');
    await waitForLine(page, id, 'start-2');
    for (let round = 0; round < 2; round++) {
      const before = await page.evaluate((id) => window.__e2e.urls(id).length, id);
      assert.equal(await page.evaluate((id) => window.__e2e.drop(id), id), 1);
      await page.waitForSelector(`${pane}[data-status=reconnecting]`, { state: 'attached' });
      await page.waitForFunction(
        ({ id, before }) => window.__e2e.urls(id).length > before && window.__e2e.open(id) === 1,
        { id, before },
      );
      await waitReady(page, id);
    }
    await typeInto(page, id, 'echo end-$((2+2))\n');
    await waitForLine(page, id, 'end-4');
    const text = await bufferText(page, id);
    assert.equal(countLines(text, 'start-2'), 1, text);
    assert.equal(countLines(text, 'end-4'), 1, text);
  });
});
