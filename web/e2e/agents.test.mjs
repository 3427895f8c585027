// Claude agents, the inbox and the credentials panel against a real server: the real Claude Code
// CLI of the `anycode-sandbox:latest` image runs in a Docker sandbox, talks to the model through
// AnyCode's proxy, and the proxy's upstream is the mock Anthropic API (`anycode-mock-model`) with a
// script whose "run the check" prompt answers with a Bash tool_use. The agent states come from the
// CLI's real hooks: SessionStart → idle, the Bash permission prompt → waiting_for_input.
//
// The server gets a fake API key from its environment (the broker discovers ANTHROPIC_API_KEY).
// Every sandbox, terminal and stored credential a test creates is removed afterwards.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { claudeSuite, openApp, poll, typeInto, waitReady } from './helpers.mjs';

/** Creating a container and starting Claude Code takes longer than a UI reaction. */
const AGENT_MS = Math.max(90_000, Number(process.env.E2E_WAIT_MS ?? 0));
const ENV_KEY = 'sk-ant-api03-e2e-fake-key-123456';

const SCRIPT = {
  rules: [
    {
      contains: 'run the check',
      turns: [
        {
          type: 'reply',
          content: [{ type: 'tool_use', name: 'Bash', input: { command: 'echo checked > /workspace/checked.txt', description: 'write a file' } }],
        },
        { type: 'reply', content: [{ type: 'text', text: 'The check ran.' }] },
      ],
    },
  ],
};

const uniqueName = (prefix) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;

async function badgeState(page, testId) {
  return page.getByTestId(testId).getAttribute('data-state', { timeout: 1_000 }).catch(() => null);
}

/** Waits until the element `testId` has `data-state=state` (the error names the last state). */
async function waitState(page, testId, state, timeout = AGENT_MS) {
  try {
    await page.waitForSelector(`[data-testid="${testId}"][data-state="${state}"]`, { timeout });
  } catch (error) {
    const last = await badgeState(page, testId);
    throw new Error(`${testId} never showed ${state} (last: ${last}): ${error.message.split('\n')[0]}`);
  }
}

describe('agents, inbox and credentials', () => {
  const s = claudeSuite({
    script: SCRIPT,
    env: { ANTHROPIC_API_KEY: ENV_KEY },
    // Credentials a test stored.
    afterTest: async (server) => {
      const { json: status } = await server.api('GET', '/api/credentials/status');
      for (const c of status?.credentials ?? []) {
        if (c.source === 'stored') await server.api('DELETE', `/api/credentials/${encodeURIComponent(c.id)}`);
      }
    },
  });

  test('claude in a sandbox: idle → waiting_for_input on tab and card, inbox lists it, Open selects the tab', async () => {
    const name = uniqueName('agent');
    const sandbox = await s.server.api('POST', '/api/sandboxes', { name });
    assert.equal(sandbox.status, 201, sandbox.text);
    const terminal = await s.server.api('POST', '/api/terminals', { sandboxId: sandbox.json.id, command: ['claude'], cols: 120, rows: 40 });
    assert.equal(terminal.status, 201, terminal.text);
    const id = terminal.json.id;

    await openApp(s.page, s.server);
    await s.page.getByTestId(`tab-${id}`).click();
    await waitReady(s.page, id, AGENT_MS);
    // SessionStart hook: the agent is up and waiting for a prompt.
    await waitState(s.page, `agent-badge-${id}`, 'idle');
    assert.equal(await s.page.getByTestId('inbox-count').getAttribute('data-count'), '0');

    await typeInto(s.page, id, 'please run the check');
    await s.page.keyboard.press('Enter');
    // The Bash tool needs permission: the CLI's hook says so, the badge turns amber.
    await waitState(s.page, `agent-badge-${id}`, 'waiting_for_input');
    const title = await s.page.getByTestId(`agent-badge-${id}`).getAttribute('title');
    assert.match(title ?? '', /Bash/, 'the tooltip carries the reason');
    await poll(async () => Number(await s.page.getByTestId('inbox-count').getAttribute('data-count')) >= 1, { what: 'inbox count ≥ 1' });

    // The sandbox card shows its most urgent agent.
    await s.page.getByTestId('nav-sandboxes').click();
    await waitState(s.page, `sandbox-agent-${name}`, 'waiting_for_input', 15_000);

    // Another tab is active; the inbox's Open brings the waiting one back.
    await s.page.getByTestId('nav-terminals').click();
    await s.page.getByTestId('new-terminal').click();
    await s.page.waitForFunction((id) => {
      const tab = document.querySelector('[role=tab][aria-selected=true]');
      return tab !== null && tab.dataset.testid !== `tab-${id}`;
    }, id);

    await s.page.getByTestId('nav-inbox').click();
    const item = s.page.getByTestId(`inbox-item-${id}`);
    await item.waitFor();
    assert.equal(await item.getAttribute('data-kind'), 'waiting_for_input');
    assert.match(await item.innerText(), new RegExp(name), 'the item names the sandbox');
    await s.page.getByTestId(`inbox-open-${id}`).click();
    await s.page.getByTestId('terminals-view').waitFor({ state: 'visible' });
    await s.page.waitForSelector(`[data-testid="tab-${id}"][aria-selected=true]`);
    assert.equal(await s.page.evaluate(() => window.location.hash), '#/terminals');
    assert.deepEqual(s.page.problems, []);
  });

  test('credentials: add an API key, only its prefix is shown, remove it', async () => {
    const secret = `sk-ant-api03-e2e-${Math.random().toString(36).slice(2)}-never-shown-${Date.now()}`;
    await openApp(s.page, s.server);
    await s.page.getByTestId('nav-settings').click();
    const view = s.page.getByTestId('credentials-view');
    await view.waitFor();
    await s.page.waitForSelector('[data-testid="credentials-status"][data-configured=true]');
    // The key from the server's environment is listed by its prefix only.
    await s.page.getByTestId('credential-row-env:ANTHROPIC_API_KEY').waitFor();

    await s.page.getByTestId('credential-kind').selectOption('api_key');
    await s.page.getByTestId('credential-value').fill(secret);
    await s.page.getByTestId('credential-add').click();

    const stored = await poll(
      async () => {
        const { json } = await s.server.api('GET', '/api/credentials/status');
        return json?.credentials.find((c) => c.source === 'stored') ?? null;
      },
      { what: 'a stored credential' },
    );
    const row = s.page.getByTestId(`credential-row-${stored.id}`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-kind'), 'api_key');
    const prefix = await row.getByTestId('credential-prefix').innerText();
    assert.equal(prefix, stored.prefix);
    assert.ok(prefix.length < secret.length && secret.startsWith(prefix.replace(/…$/, '')), `prefix ${prefix}`);
    assert.equal(await s.page.getByTestId('credential-value').inputValue(), '', 'the input is cleared after submit');
    const html = await s.page.content();
    assert.ok(!html.includes(secret), 'the stored secret is nowhere in the page');
    assert.ok(!html.includes(ENV_KEY), 'the environment key is nowhere in the page');

    await s.page.getByTestId(`credential-remove-${stored.id}`).click();
    await row.waitFor({ state: 'detached' });
    const { json } = await s.server.api('GET', '/api/credentials/status');
    assert.equal(json.credentials.filter((c) => c.source === 'stored').length, 0);
    assert.deepEqual(s.page.problems, []);
  });
});
