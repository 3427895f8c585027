// Terminal basics in a real browser against a real server and real PTYs:
// open tabs, type, see output; reload brings the same tabs and screens back; Ctrl+C stops a flood.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import {
  WAIT_MS,
  activeTabId,
  appSuite,
  bufferText,
  newTerminal,
  openApp,
  screenLines,
  tabIds,
  typeInto,
  waitForLine,
  waitForScreen,
  waitReady,
} from './helpers.mjs';

describe('terminals', () => {
  const suite = appSuite();
  let server;
  let context;
  let page;
  beforeEach(() => ({ server, context, page } = suite));

  test('token link sets the cookie, two tabs open, typed command output shows up', async () => {
    await openApp(page, server);

    // The server set the HttpOnly cookie and redirected to the URL without the token.
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('token'), null, `token still in URL: ${page.url()}`);
    assert.equal(url.pathname, '/');
    const cookies = await context.cookies(server.base);
    const cookie = cookies.find((c) => c.name === 'anycode_token');
    assert.ok(cookie, `no anycode_token cookie: ${JSON.stringify(cookies)}`);
    assert.equal(cookie.value, server.token);
    assert.equal(cookie.httpOnly, true);

    const first = await newTerminal(page);
    const second = await newTerminal(page);
    assert.notEqual(first, second);
    assert.deepEqual(await tabIds(page), [first, second]);
    assert.equal(await activeTabId(page), second);
    // Both exist on the server too.
    const listed = (await server.api('GET', '/api/terminals')).json.map((t) => t.id).sort();
    assert.deepEqual(listed, [first, second].sort());

    // The new tab is focused: type straight into it.
    await waitForScreen(page, second, (lines) => lines.some((l) => l.startsWith('$')), { what: 'the prompt' });
    await page.keyboard.type('echo hello\n');
    await waitForLine(page, second, 'hello');
    // …and only there.
    const firstScreen = await bufferText(page, first);
    assert.ok(!firstScreen.split('\n').includes('hello'), `output leaked into the other tab:\n${firstScreen}`);
  });

  test('reload brings back the same tabs and their output', async () => {
    await openApp(page, server);
    const a = await newTerminal(page);
    await typeInto(page, a, 'echo first-$((20+1))\n');
    await waitForLine(page, a, 'first-21');
    const b = await newTerminal(page);
    await typeInto(page, b, 'echo hello\n');
    await waitForLine(page, b, 'hello');

    await page.reload();
    await page.getByTestId('new-terminal').waitFor();
    await page.waitForFunction((ids) => {
      const now = [...document.querySelectorAll('[role=tab][data-testid^="tab-"]')].map((el) => el.dataset.testid.slice(4));
      return now.length === ids.length && now.every((id, i) => id === ids[i]);
    }, [a, b]);
    assert.equal(await activeTabId(page), b, 'the active tab is remembered');
    await waitReady(page, b);
    await waitForLine(page, b, 'hello');
    // The hidden tab got its screen back as well.
    await waitReady(page, a);
    await waitForLine(page, a, 'first-21');

    // And it is live: typing after the reload still works.
    await typeInto(page, b, 'echo again-$((1+1))\n');
    await waitForLine(page, b, 'again-2');
  });

  test('Ctrl+C stops `yes` and gives the prompt back', async () => {
    await openApp(page, server);
    const id = await newTerminal(page);
    await typeInto(page, id, 'yes\n');
    // The screen fills with y lines.
    await waitForScreen(page, id, (lines) => lines.filter((l) => l === 'y').length >= 10, { what: 'y lines' });
    await page.keyboard.press('Control+C');
    // A prompt comes back after the flood (the last non-empty line starts with "$ ").
    await waitForScreen(
      page,
      id,
      (lines) => {
        const last = lines.filter((l) => l !== '').pop() ?? '';
        return last.startsWith('$');
      },
      { timeout: Math.max(WAIT_MS, 30_000), what: 'the prompt after Ctrl+C' },
    );
    await page.keyboard.type('echo after-yes\n');
    await waitForLine(page, id, 'after-yes', { timeout: Math.max(WAIT_MS, 30_000) });
    // No more y lines arrive after the command's output: `yes` really stopped.
    const lines = await screenLines(page, id);
    const at = lines.lastIndexOf('after-yes');
    assert.ok(!lines.slice(at).includes('y'), `y lines after the marker:\n${lines.join('\n')}`);
  });
});
