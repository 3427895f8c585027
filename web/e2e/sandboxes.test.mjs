// Sandboxes from the UI, against a real server with its default driver (auto → Docker) and the
// `anycode-sandbox:latest` image: create one in the New sandbox dialog, open a terminal inside it
// and prove the shell runs in the container (hostname = 12-hex container id, uid 1000), then stop
// and delete it from its card. A duplicate name shows the server's `conflict` inline.
//
// Every sandbox a test creates is deleted through the API afterwards (containers do not leak).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import { beforeEach, describe, test } from 'node:test';
import {
  appSuite,
  openApp,
  poll,
  typeInto,
  waitForScreen,
  waitReady,
} from './helpers.mjs';

/** Creating a container (and its agent handshake) takes longer than a UI reaction. */
const SANDBOX_MS = Math.max(60_000, Number(process.env.E2E_WAIT_MS ?? 0));

const uniqueName = (prefix) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;

/** Short ids of the running containers (empty when the docker CLI is not usable here). */
async function runningContainerIds() {
  try {
    const { stdout } = await promisify(execFile)('docker', ['ps', '--format', '{{.ID}}']);
    return stdout.split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function openSandboxes(page) {
  await page.getByTestId('nav-sandboxes').click();
  await page.getByTestId('sandboxes-view').waitFor();
}

async function createFromDialog(page, name) {
  await page.getByTestId('new-sandbox').click();
  await page.getByTestId('sandbox-name').fill(name);
  await page.getByTestId('sandbox-create').click();
}

describe('sandboxes', () => {
  const suite = appSuite({
    afterTest: async (server) => {
      const { json } = await server.api('GET', '/api/sandboxes');
      for (const s of json ?? []) await server.api('DELETE', `/api/sandboxes/${s.id}`);
    },
  });
  let server;
  let context;
  let page;
  beforeEach(() => ({ server, context, page } = suite));

  test('create from the dialog, open a terminal inside the container, stop and delete', async () => {
    const name = uniqueName('e2e');
    await openApp(page, server);
    await openSandboxes(page);
    await createFromDialog(page, name);
    const card = page.getByTestId(`sandbox-card-${name}`);
    await page.waitForSelector(`[data-testid="sandbox-card-${name}"][data-status=ready]`, { timeout: SANDBOX_MS });
    assert.equal(await card.getAttribute('data-driver'), 'docker', 'the default driver should find the Docker engine');
    assert.equal(await page.getByTestId('driver-warning').count(), 0, 'no local-driver warning with Docker');
    await page.getByTestId('new-sandbox-dialog').waitFor({ state: 'detached' }); // closes once the POST answered

    // Open terminal: a new tab inside the sandbox becomes active in the terminals view.
    await page.getByTestId(`sandbox-open-terminal-${name}`).click();
    const handle = await page.waitForFunction(() => {
      const tab = document.querySelector('[role=tab][aria-selected=true]');
      return tab?.querySelector('[data-testid=tab-sandbox]') ? tab.dataset.testid.slice(4) : null;
    });
    const id = await handle.jsonValue();
    assert.equal(await page.locator(`[data-testid="tab-${id}"] [data-testid=tab-sandbox]`).textContent(), name);
    await waitReady(page, id, SANDBOX_MS);
    const { json: terminal } = await server.api('GET', `/api/terminals/${id}`);
    const { json: sandboxes } = await server.api('GET', '/api/sandboxes');
    assert.equal(terminal.sandboxId, sandboxes.find((s) => s.name === name)?.id);

    await typeInto(page, id, 'cat /proc/1/cgroup >/dev/null; echo inside-$(hostname)-$(id -u)\n');
    await waitForScreen(page, id, (lines) => lines.some((l) => /^inside-[0-9a-f]{12}-1000$/.test(l)), {
      what: 'inside-<container id>-1000',
      timeout: SANDBOX_MS,
    });
    const lines = await page.evaluate((id) => window.__anycode.screen(id).map((l) => l.trimEnd()), id);
    const container = lines.find((l) => /^inside-[0-9a-f]{12}-1000$/.test(l)).slice('inside-'.length, -'-1000'.length);
    assert.notEqual(container, hostname(), 'the shell must not run on the host');
    const running = await runningContainerIds();
    if (running.length > 0) assert.ok(running.includes(container), `${container} is not a running container: ${running.join(' ')}`);
    await poll(async () => (await server.api('GET', '/api/sandboxes')).json.find((s) => s.name === name)?.terminals === 1, {
      what: 'the sandbox counts its terminal',
    });

    // Stop, then delete (with confirmation) from the card.
    await openSandboxes(page);
    await page.getByTestId(`sandbox-stop-${name}`).click();
    await page.waitForSelector(`[data-testid="sandbox-card-${name}"][data-status=stopped]`, { timeout: SANDBOX_MS });
    await page.getByTestId(`sandbox-delete-${name}`).click();
    await page.getByTestId('confirm-ok').click();
    await card.waitFor({ state: 'detached', timeout: SANDBOX_MS });
    const { json: left } = await server.api('GET', '/api/sandboxes');
    assert.deepEqual(
      left.filter((s) => s.name === name),
      [],
      'the sandbox is gone from GET /api/sandboxes',
    );
    if (running.length > 0) {
      await poll(async () => !(await runningContainerIds()).includes(container), { what: `container ${container} removed`, timeout: SANDBOX_MS });
    }
  });

  test('a duplicate name shows the server conflict in the dialog', async () => {
    const name = uniqueName('dup');
    const made = await server.api('POST', '/api/sandboxes', { name });
    assert.equal(made.status, 201, made.text);
    await openApp(page, server);
    await openSandboxes(page);
    await page.getByTestId(`sandbox-card-${name}`).waitFor();

    // Client-side validation first: a bad name never reaches the server.
    await page.getByTestId('new-sandbox').click();
    await page.getByTestId('sandbox-name').fill('-bad name');
    await page.getByTestId('sandbox-create').click();
    await page.locator('.field.invalid').first().waitFor();
    assert.equal(await page.getByTestId('sandbox-error').count(), 0);

    await page.getByTestId('sandbox-name').fill(name);
    await page.getByTestId('sandbox-create').click();
    const error = page.locator('[data-testid=sandbox-error][data-code=conflict]');
    await error.waitFor();
    assert.match(await error.textContent(), new RegExp(name));
    assert.equal(await page.getByTestId('new-sandbox-dialog').count(), 1, 'the dialog stays open');
    const { json } = await server.api('GET', '/api/sandboxes');
    assert.equal(json.filter((s) => s.name === name).length, 1);
  });
});
