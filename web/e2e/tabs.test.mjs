// Tab management and replay: rename and close go through the API; replay plays the recording.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import {
  appSuite,
  newTerminal,
  openApp,
  poll,
  tabIds,
  typeInto,
  waitForLine,
} from './helpers.mjs';

describe('tabs', () => {
  const suite = appSuite();
  let server;
  let context;
  let page;
  beforeEach(() => ({ server, context, page } = suite));

  test('rename a tab (double-click, type, Enter) and close it', async () => {
    await openApp(page, server);
    const keep = await newTerminal(page);
    const id = await newTerminal(page);

    await page.getByTestId(`tab-${id}`).dblclick();
    const input = page.getByTestId('tab-rename');
    await input.waitFor();
    // The whole old name is selected on focus: typing replaces it.
    await page.keyboard.type('build server');
    await page.keyboard.press('Enter');
    await input.waitFor({ state: 'detached' });
    await page.waitForFunction(
      (id) => document.querySelector(`[data-testid="tab-${id}"] .tab-label`)?.textContent === 'build server',
      id,
    );
    const renamed = await poll(
      async () => {
        const { json } = await server.api('GET', '/api/terminals');
        return json.find((t) => t.id === id && t.name === 'build server');
      },
      { what: 'the new name in GET /api/terminals' },
    );
    assert.equal(renamed.name, 'build server');
    // The other tab kept its name.
    const other = (await server.api('GET', `/api/terminals/${keep}`)).json;
    assert.notEqual(other.name, 'build server');
    // The name survives a reload (it comes from the server).
    await page.reload();
    await page.waitForFunction(
      (id) => document.querySelector(`[data-testid="tab-${id}"] .tab-label`)?.textContent === 'build server',
      id,
    );

    await page.getByTestId(`close-${id}`).click();
    await page.getByTestId(`tab-${id}`).waitFor({ state: 'detached' });
    assert.deepEqual(await tabIds(page), [keep]);
    await poll(
      async () => {
        const { json } = await server.api('GET', '/api/terminals');
        return !json.some((t) => t.id === id) && json.some((t) => t.id === keep);
      },
      { what: 'the closed terminal to leave GET /api/terminals' },
    );
    assert.equal((await server.api('GET', `/api/terminals/${id}`)).status, 404);
    // Still gone after a reload.
    await page.reload();
    await page.getByTestId(`tab-${keep}`).waitFor();
    assert.deepEqual(await tabIds(page), [keep]);
  });

  test('replay plays the recording in the asciinema player', async () => {
    await openApp(page, server);
    const id = await newTerminal(page);
    await typeInto(page, id, 'echo replay-me-$((40+2))\n');
    await waitForLine(page, id, 'replay-me-42');

    await page.getByTestId('replay-button').click();
    const modal = page.getByTestId('replay-modal');
    await modal.waitFor();
    await page.locator('[data-testid=replay-player][data-phase=playing] .ap-player').waitFor();
    // The player shows what the terminal printed (autoplay; idle gaps are capped at 2 s).
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('[data-testid=replay-player] .ap-line')].some(
          (line) => line.textContent.trimEnd() === 'replay-me-42',
        ),
      null,
      { timeout: 20_000 },
    );

    await page.keyboard.press('Escape');
    await modal.waitFor({ state: 'detached' });
  });
});
