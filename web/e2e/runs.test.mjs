// Headless runs and the credential-mode choice from the UI, against a real server: the real Claude
// Code CLI of the `anycode-sandbox:latest` image runs `claude -p` in a Docker sandbox through
// AnyCode's model proxy, whose upstream is the mock Anthropic API (`anycode-mock-model`) with a
// script: "magic words" → a Write tool_use, then text. The Runs view starts the run, selects it,
// and its typed event log fills in live (from `run` events on /ws/events) until it completes.
//
// The server gets a fake API key from its environment. Every sandbox a test creates is deleted.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { claudeSuite, openApp } from './helpers.mjs';

/** A container, then the CLI's start-up and its turns, take longer than a UI reaction. */
const RUN_MS = Math.max(90_000, Number(process.env.E2E_WAIT_MS ?? 0));
const ENV_KEY = 'sk-ant-api03-e2e-runs-fake-key-123456';
const ANSWER = 'The magic words are open sesame.';

const SCRIPT = {
  rules: [
    {
      contains: 'magic words',
      turns: [
        {
          type: 'reply',
          content: [{ type: 'tool_use', name: 'Write', input: { file_path: '/workspace/magic.txt', content: 'open sesame\n' } }],
        },
        { type: 'reply', content: [{ type: 'text', text: ANSWER }] },
      ],
    },
  ],
};

const uniqueName = (prefix) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;

describe('headless runs and credential modes', () => {
  const s = claudeSuite({
    script: SCRIPT,
    env: { ANTHROPIC_API_KEY: ENV_KEY },
  });

  test('start a run from the Runs view; its log shows the tool use, the scripted text and the completed result', async () => {
    const name = uniqueName('runs');
    const sandbox = await s.server.api('POST', '/api/sandboxes', { name });
    assert.equal(sandbox.status, 201, sandbox.text);

    await openApp(s.page, s.server);
    await s.page.getByTestId('nav-runs').click();
    await s.page.getByTestId('runs-view').waitFor();
    await s.page.getByTestId('runs-empty').waitFor();
    // The sandbox list arrives over /ws/events; the form picks the (only) running sandbox.
    await s.page.waitForSelector(`[data-testid=run-sandbox] option[value="${sandbox.json.id}"]`, { state: 'attached' });
    await s.page.getByTestId('run-sandbox').selectOption(sandbox.json.id);
    await s.page.getByTestId('run-permission-mode').selectOption('acceptEdits');
    await s.page.getByTestId('run-prompt').fill('please tell me the magic words');
    await s.page.getByTestId('run-start').click();

    // The new run is selected right away, still running, and then completes on its own.
    const detail = s.page.getByTestId('run-detail');
    await s.page.waitForFunction(() => document.querySelector('[data-testid=run-detail]')?.dataset.run !== '');
    const runId = await detail.getAttribute('data-run');
    const { json: runs } = await s.server.api('GET', '/api/runs');
    assert.deepEqual(
      runs.map((r) => r.id),
      [runId],
      'the run the UI shows is the one the server started',
    );
    assert.equal(await s.page.getByTestId('run-prompt').inputValue(), '', 'the prompt is cleared after starting');
    try {
      await s.page.waitForSelector('[data-testid=run-detail][data-status=completed]', { timeout: RUN_MS });
    } catch (error) {
      const { json } = await s.server.api('GET', `/api/runs/${runId}`);
      throw new Error(`the run did not complete in the UI: ${error.message.split('\n')[0]}\n${JSON.stringify(json?.run)}`);
    }
    await s.page.waitForSelector(`[data-testid="run-row-${runId}"][data-status=completed]`);

    // The typed event log: init, the Write tool use and its result, the scripted text, the result.
    await s.page.waitForSelector('[data-testid=run-event][data-kind=result]');
    const kinds = await s.page.$$eval('[data-testid=run-event]', (els) => els.map((el) => el.dataset.kind));
    for (const want of ['init', 'tool_use', 'tool_result', 'text', 'result']) {
      assert.ok(kinds.includes(want), `${want} missing from ${kinds.join(', ')}`);
    }
    const texts = await s.page.$$eval('[data-testid=run-event][data-kind=text]', (els) => els.map((el) => el.textContent));
    assert.ok(
      texts.some((t) => t.includes(ANSWER)),
      `the scripted text is shown: ${JSON.stringify(texts)}`,
    );
    assert.match(await s.page.locator('[data-testid=run-event][data-kind=tool_use]').first().innerText(), /Write[\s\S]*\/workspace\/magic\.txt/);
    assert.equal(await s.page.getByTestId('run-outcome').getAttribute('data-ok'), 'true');
    assert.match(await s.page.getByTestId('run-usage').innerText(), /\d+ in · \d+ out · \$\d/);
    assert.deepEqual(s.page.problems, []);
  });

  test('new sandbox dialog: direct credential mode warns, and the card and settings say what was chosen', async () => {
    await openApp(s.page, s.server);
    await s.page.getByTestId('nav-settings').click();
    // The CLI version sandboxes run is the one the image pins; the store key's location is shown.
    await s.page.waitForSelector('[data-testid=claude-sandbox-version]:not([data-version=""])');
    await s.page.waitForSelector('[data-testid=claude-default-mode][data-mode=proxy]');
    const keyKind = await s.page.getByTestId('key-storage').getAttribute('data-kind');
    const { json: creds } = await s.server.api('GET', '/api/credentials/status');
    assert.equal(keyKind, creds.keyStorage);

    await s.page.getByTestId('nav-sandboxes').click();
    await s.page.getByTestId('new-sandbox').click();
    const name = uniqueName('direct');
    await s.page.getByTestId('sandbox-name').fill(name);
    assert.equal(await s.page.getByTestId('sandbox-credential-mode').inputValue(), 'proxy', 'the server default');
    assert.equal(await s.page.getByTestId('sandbox-credential-warning').count(), 0);
    await s.page.getByTestId('sandbox-credential-mode').selectOption('direct');
    await s.page.getByTestId('sandbox-credential-warning').waitFor();
    assert.match(await s.page.getByTestId('sandbox-credential-warning').innerText(), /can read your Anthropic credential/);
    await s.page.getByTestId('sandbox-create').click();
    await s.page.waitForSelector(`[data-testid="sandbox-card-${name}"][data-status=ready]`, { timeout: RUN_MS });
    assert.equal(await s.page.locator(`[data-testid="sandbox-card-${name}"] [data-testid=sandbox-card-credential]`).getAttribute('data-mode'), 'direct');
    const { json: list } = await s.server.api('GET', '/api/sandboxes');
    assert.equal(list.find((s) => s.name === name)?.credentialMode, 'direct');
    assert.deepEqual(s.page.problems, []);
  });
});
