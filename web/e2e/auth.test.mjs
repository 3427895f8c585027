// Without the token nothing is served: the UI shows the access-token page, the API answers 401.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newPage, openApp, startServer } from './helpers.mjs';

describe('auth', () => {
  let server;
  let browser;

  before(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a fresh browser without the token gets the token page and 401s', async () => {
    const { context, page } = await newPage(browser);
    try {
      await page.goto(`${server.base}/`);
      await page.getByTestId('auth-required').waitFor();
      assert.equal(await page.getByTestId('new-terminal').count(), 0, 'the app must not render without a token');
      assert.deepEqual(await context.cookies(server.base), []);

      const answer = await page.evaluate(async () => {
        const res = await fetch('/api/terminals');
        return { status: res.status, body: await res.json() };
      });
      assert.equal(answer.status, 401);
      assert.equal(answer.body?.error?.code, 'unauthorized', JSON.stringify(answer.body));

      // A WebSocket without the token is refused too (never opens).
      const ws = await page.evaluate(
        () =>
          new Promise((resolve) => {
            const socket = new WebSocket(`ws://${location.host}/ws/terminals/nope`);
            let opened = false;
            socket.onopen = () => {
              opened = true;
            };
            socket.onclose = (e) => resolve({ opened, code: e.code });
          }),
      );
      assert.equal(ws.opened, false, `unauthenticated WebSocket opened (close code ${ws.code})`);

      // A wrong token does not get in either.
      await page.goto(`${server.base}/?token=wrong-${server.token}`);
      await page.getByTestId('auth-required').waitFor();
      const cookie = (await context.cookies(server.base)).find((c) => c.name === 'anycode_token');
      assert.ok(!cookie || cookie.value !== server.token);
      const status = await page.evaluate(async () => (await fetch('/api/terminals')).status);
      assert.equal(status, 401);
    } finally {
      await context.close();
    }
  });

  test('the right token gets in (control for the test above)', async () => {
    const { context, page } = await newPage(browser);
    try {
      await openApp(page, server);
      assert.equal(await page.getByTestId('auth-required').count(), 0);
      const status = await page.evaluate(async () => (await fetch('/api/terminals')).status);
      assert.equal(status, 200);
    } finally {
      await context.close();
    }
  });
});
