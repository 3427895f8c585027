// Tasks, the scheduler and workflows through the UI, against the real Claude Code CLI in real
// Docker sandboxes (`anycode-sandbox:latest`) talking to the mock Anthropic API
// (`anycode-mock-model --script`) and a project on the fake GitHub (`anycode-fake-forge`):
//
//   the board: the scheduler limit set to 1 in the scheduler bar → "New task" (a slow prompt)
//   runs → a second task ("add a greeting": the model answers with a Write tool call, auto PR)
//   waits in Queued with its reason → the slow one is cancelled from its card → the second one
//   goes queued → running → completed with its commit and its PR link; its task log and run log.
//
//   an interactive task: its card waits for the user, "Terminals" opens its sandbox's tabs with
//   claude, "Mark done" commits and completes it.
//
//   a rate limit (the mock answers 429 with retry-after): the scheduler bar says new work is held
//   and until when, the waiting card says why it waits; the hold ends on its own, both complete.
//
//   workflows: the YAML editor's live validation names a cycle's steps → a workflow with an
//   approval step and a shell step after it → Run → the approval waits in the Inbox → Approve
//   → the run ends succeeded, the graph colours both steps.
//
// The server gets a fake API key (the broker discovers ANTHROPIC_API_KEY) and the forge token as
// GITHUB_TOKEN. Every sandbox is deleted through the API afterwards; no fixed sleeps.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { appSuite, git, openApp, poll, startFakeForge, startMockModel } from './helpers.mjs';

/** A sandbox, the setup and a Claude run take longer than a UI reaction. */
const TASK_MS = Math.max(180_000, Number(process.env.E2E_WAIT_MS ?? 0));

const ENV_KEY = 'sk-ant-api03-e2e-tasks-fake-key-123456';
const OWNER = 'octo';
const REPO = 'board';
const FULL = `${OWNER}/${REPO}`;
const TOKEN = `ghp_e2e${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

const SCRIPT = {
  rules: [
    {
      contains: 'add a greeting',
      turns: [
        {
          type: 'reply',
          content: [{ type: 'tool_use', name: 'Write', input: { file_path: '/workspace/greeting.txt', content: 'hello from the task\n' } }],
        },
        { type: 'reply', content: [{ type: 'text', text: 'Added the greeting.' }] },
      ],
    },
    {
      // The first request is refused with 429 (retry-after 6 s): the scheduler holds new work;
      // the CLI retries on its own and finishes.
      contains: 'hit the rate limit',
      turns: [
        { type: 'error', status: 429, retry_after: 6 },
        { type: 'reply', content: [{ type: 'text', text: 'Done after the limit.' }] },
      ],
    },
    {
      // Answers only after five minutes: the task stays running until it is cancelled.
      contains: 'take your time',
      turns: [{ type: 'reply', delay_ms: 300_000, content: [{ type: 'text', text: 'Done, slowly.' }] }],
    },
  ],
};

/** The workflow of the approval test: an approval, then a shell command in a sandbox. */
const GATED = `name: gated-e2e
steps:
  - id: ask
    type: approval
    config:
      message: "Ship it?"
  - id: after
    type: shell_command
    dependsOn: [ask]
    config:
      command: echo ok
`;

/** A cycle (a → b → a) and a dependency on a step that does not exist. */
const BROKEN = `name: broken
steps:
  - id: a
    type: shell_command
    dependsOn: [b]
    config: { command: echo a }
  - id: b
    type: shell_command
    dependsOn: [a]
    config: { command: echo b }
  - id: c
    type: shell_command
    dependsOn: [ghost]
    config: { command: echo c }
`;

async function makeSeed(dir) {
  await mkdir(path.join(dir, 'src'), { recursive: true });
  await writeFile(path.join(dir, 'README.md'), '# Board\n\nA repository for the task board test.\n');
  await writeFile(path.join(dir, 'src', 'app.js'), 'export const answer = 42;\n');
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', 'Initial commit');
}

describe('tasks and workflows', () => {
  let forge;
  let mock;
  let work;
  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'anycode-e2e-tasks-'));
    const seed = path.join(work, 'seed');
    await makeSeed(seed);
    [forge, mock] = await Promise.all([
      startFakeForge({ users: [`${OWNER}:${TOKEN}`], repos: [FULL], seeds: { [FULL]: seed } }),
      startMockModel({ script: SCRIPT }),
    ]);
  });
  after(async () => {
    await mock?.stop();
    await forge?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const suite = appSuite({
    serverOptions: () => ({
      args: ['--sandbox-driver', 'docker', '--anthropic-upstream', mock.url, '--github-api-url', forge.url],
      env: { ANTHROPIC_API_KEY: ENV_KEY, GITHUB_TOKEN: TOKEN },
    }),
    afterTest: async (server) => {
      const { json: tasks } = await server.api('GET', '/api/tasks');
      for (const t of tasks ?? []) {
        if (['pending', 'queued', 'running'].includes(t.status)) await server.api('POST', `/api/tasks/${t.id}/cancel`);
      }
      const { json } = await server.api('GET', '/api/sandboxes');
      for (const s of json ?? []) await server.api('DELETE', `/api/sandboxes/${s.id}`);
    },
  });
  let server;
  let page;
  beforeEach(() => ({ server, page } = suite));

  /** Fails with the page's problems and the server log tail when `fn` throws. */
  async function step(what, fn) {
    try {
      return await fn();
    } catch (error) {
      const problems = page.problems?.length ? `\n--- page problems ---\n${page.problems.join('\n')}` : '';
      const { json: tasks } = await server.api('GET', '/api/tasks').catch(() => ({ json: null }));
      throw new Error(
        `${what}: ${error.message}${problems}\n--- tasks ---\n${JSON.stringify(tasks, null, 1)?.slice(0, 4000)}\n--- server log (tail) ---\n${server.log().slice(-5000)}`,
      );
    }
  }

  /** The project on the forge (imported through the API: the projects UI has its own test). */
  async function importProject() {
    const { json: list } = await server.api('GET', '/api/projects');
    const known = list?.find((p) => p.name === FULL);
    if (known) return known;
    const r = await server.api('POST', '/api/github/import', { repository: FULL });
    assert.equal(r.status, 201, r.text);
    return r.json;
  }

  async function taskByTitle(title) {
    return poll(
      async () => {
        const { json } = await server.api('GET', '/api/tasks');
        return json?.find((t) => t.title === title) ?? null;
      },
      { what: `task "${title}"` },
    );
  }

  /** Waits for the card to show `status`, in that status's column. */
  async function waitCard(id, status, timeout = TASK_MS) {
    const column = status === 'pending' ? 'queued' : status;
    try {
      await page.locator(`[data-testid="task-column-${column}"] [data-testid="task-card-${id}"][data-status="${status}"]`).waitFor({ timeout });
    } catch (error) {
      const last = await page.getByTestId(`task-card-${id}`).getAttribute('data-status', { timeout: 1_000 }).catch(() => null);
      throw new Error(`task ${id} never showed ${status} on the board (last: ${last}): ${error.message.split('\n')[0]}`);
    }
  }

  /** Fills and submits the New task dialog. */
  async function newTask({ title, prompt, target = '', autoPR = false }) {
    await page.getByTestId('new-task').click();
    const dialog = page.getByTestId('new-task-dialog');
    await dialog.waitFor();
    await page.locator('[data-testid=task-project] option', { hasText: FULL }).waitFor({ state: 'attached' });
    await page.getByTestId('task-project').selectOption({ label: FULL });
    await page.locator('[data-testid=task-base] option[value=main]').waitFor({ state: 'attached' });
    assert.equal(await page.getByTestId('task-base').inputValue(), 'main');
    await page.getByTestId('task-title').fill(title);
    await page.getByTestId('task-prompt').fill(prompt);
    if (target) await page.getByTestId('task-target').fill(target);
    if (autoPR) await page.getByTestId('task-autopr').check();
    await page.getByTestId('task-create').click();
    await dialog.waitFor({ state: 'detached' });
    return taskByTitle(title);
  }

  test('the board: limits, a queued task with its reason, cancel, queued → running → completed with commit and PR', async () => {
    await importProject();
    await openApp(page, server);
    await page.getByTestId('nav-tasks').click();
    await page.getByTestId('tasks-view').waitFor();
    assert.equal(await page.evaluate(() => window.location.hash), '#/tasks');

    await step('limits', async () => {
      await page.locator('[data-testid=scheduler-bar][data-running="0"][data-queued="0"]').waitFor();
      await page.getByTestId('scheduler-edit').click();
      // Out of range: refused in the bar, nothing sent.
      await page.getByTestId('limit-max-running').fill('0');
      await page.getByTestId('limits-save').click();
      await page.getByTestId('limits-error').waitFor();
      await page.getByTestId('limit-max-running').fill('1');
      await page.getByTestId('limits-save').click();
      await page.getByTestId('scheduler-limits').filter({ hasText: '1 at once' }).waitFor();
      assert.equal((await server.api('GET', '/api/scheduler')).json.limits.maxRunning, 1);
    });

    await step('the dialog refuses a bad target branch client-side', async () => {
      await page.getByTestId('new-task').click();
      await page.getByTestId('new-task-dialog').waitFor();
      await page.getByTestId('task-prompt').fill('anything');
      await page.getByTestId('task-target').fill('bad..branch');
      await page.getByTestId('task-create').click();
      await page.locator('.field.invalid .field-error', { hasText: '".."' }).waitFor();
      assert.equal((await server.api('GET', '/api/tasks')).json.length, 0, 'nothing was created');
      await page.keyboard.press('Escape');
      await page.getByTestId('new-task-dialog').waitFor({ state: 'detached' });
    });

    const slow = await step('a slow task runs', async () => {
      const t = await newTask({ title: 'slow task', prompt: 'Please take your time with this one.' });
      await waitCard(t.id, 'running');
      return t;
    });

    const fast = await step('a second task waits for the free slot', async () => {
      const t = await newTask({ title: 'greeting task', prompt: 'Please add a greeting file.', target: 'feature/greeting', autoPR: true });
      await waitCard(t.id, 'queued', 30_000);
      const card = page.getByTestId(`task-card-${t.id}`);
      await card.getByTestId('task-wait').filter({ hasText: /waiting for a free slot \(1\/1 tasks running\)/ }).waitFor();
      assert.equal(await card.getByTestId('task-branch').textContent(), 'feature/greeting');
      await page.locator('[data-testid=scheduler-bar][data-running="1"][data-queued="1"]').waitFor();
      return t;
    });

    // Record every status the second card shows from here on (queued → running → completed).
    await page.evaluate((id) => {
      window.__seen = [];
      const note = () => {
        const s = document.querySelector(`[data-testid="task-card-${id}"]`)?.getAttribute('data-status');
        if (s && window.__seen[window.__seen.length - 1] !== s) window.__seen.push(s);
      };
      note();
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
    }, fast.id);

    await step('cancel the slow task from its card', async () => {
      const card = page.getByTestId(`task-card-${slow.id}`);
      await card.getByTestId('task-cancel').click();
      await page.getByTestId('confirm-ok').click();
      await waitCard(slow.id, 'cancelled', 60_000);
      assert.equal((await server.api('GET', `/api/tasks/${slow.id}`)).json.status, 'cancelled');
    });

    await step('the second task runs and completes with its commit and PR', async () => {
      await waitCard(fast.id, 'running');
      await waitCard(fast.id, 'completed');
      const card = page.getByTestId(`task-card-${fast.id}`);
      const commit = card.getByTestId('task-commit').first();
      await commit.waitFor();
      const { json: done } = await server.api('GET', `/api/tasks/${fast.id}`);
      assert.equal(done.result.commits.length >= 1, true, JSON.stringify(done.result));
      assert.equal(await commit.getAttribute('data-sha'), done.result.commits[0].sha);
      const pr = card.getByTestId('task-pr');
      assert.equal(await pr.getAttribute('href'), done.result.prUrl);
      assert.match(await pr.textContent(), new RegExp(`#${done.result.prNumber}`));
      const seen = await page.evaluate(() => window.__seen);
      assert.deepEqual(
        seen.filter((s) => ['queued', 'running', 'completed'].includes(s)),
        ['queued', 'running', 'completed'],
        `statuses shown: ${seen.join(' → ')}`,
      );
    });

    await step('the task log and the run log', async () => {
      const card = page.getByTestId(`task-card-${fast.id}`);
      await card.getByTestId('task-logs').click();
      await page.getByTestId('task-detail').waitFor();
      await page.getByTestId('task-log').filter({ hasText: 'pushed feature/greeting' }).waitFor();
      await page.getByTestId('task-detail-tab-run').click();
      await page.locator('[data-testid=task-run] [data-testid=run-event][data-kind=tool_use]', { hasText: 'Write' }).waitFor();
      await page.keyboard.press('Escape');
      await page.getByTestId('task-detail').waitFor({ state: 'detached' });
    });
    assert.deepEqual(page.problems, []);
  });

  test('an interactive task: claude in a terminal of its sandbox, then "Mark done"', async () => {
    await importProject();
    await server.api('PUT', '/api/scheduler', { maxRunning: 5, maxPerProject: 3 });
    await openApp(page, server);
    await page.getByTestId('nav-tasks').click();
    await page.getByTestId('tasks-view').waitFor();

    const t = await step('create it interactive', async () => {
      await page.getByTestId('new-task').click();
      await page.getByTestId('new-task-dialog').waitFor();
      await page.getByTestId('task-title').fill('interactive task');
      await page.getByTestId('task-prompt').fill('Say hello, interactively.');
      await page.getByTestId('task-interactive').check();
      await page.getByTestId('task-create').click();
      await page.getByTestId('new-task-dialog').waitFor({ state: 'detached' });
      const task = await taskByTitle('interactive task');
      assert.equal(task.mode, 'interactive');
      await page.locator(`[data-testid="task-card-${task.id}"][data-phase=waiting_for_user]`).waitFor({ timeout: TASK_MS });
      return task;
    });

    await step("its sandbox's terminals hold claude with the prompt", async () => {
      const card = page.getByTestId(`task-card-${t.id}`);
      await card.getByTestId('task-terminals').click();
      await page.getByTestId('terminals-view').waitFor({ state: 'visible' });
      const { json: task } = await server.api('GET', `/api/tasks/${t.id}`);
      assert.equal(await page.evaluate(() => window.location.hash), `#/terminals?sandbox=${task.sandboxId}`);
      await page.locator('[role=tab]').filter({ hasText: 'task: interactive task' }).waitFor();
    });

    await step('Mark done: commit, push, completed', async () => {
      await page.getByTestId('nav-tasks').click();
      await page.getByTestId(`task-card-${t.id}`).getByTestId('task-done').click();
      await waitCard(t.id, 'completed');
      const { json: done } = await server.api('GET', `/api/tasks/${t.id}`);
      assert.equal(done.result.branch, t.targetBranch, JSON.stringify(done.result));
    });
    assert.deepEqual(page.problems, []);
  });

  test('a rate limit holds new work: the reason on the bar and on the waiting card, then both finish', async () => {
    const project = await importProject();
    await server.api('PUT', '/api/scheduler', { maxRunning: 1, maxPerProject: 1 });
    await openApp(page, server);
    await page.getByTestId('nav-tasks').click();
    await page.getByTestId('tasks-view').waitFor();
    const create = async (title, prompt) => {
      const r = await server.api('POST', '/api/tasks', { projectId: project.id, title, prompt });
      assert.equal(r.status, 201, r.text);
      return r.json;
    };
    const first = await create('limited task', 'Please hit the rate limit.');
    const second = await create('held task', 'Anything at all.');

    await step('the hold shows on the scheduler bar and on the waiting card', async () => {
      const hold = page.getByTestId('scheduler-hold');
      await hold.waitFor({ timeout: TASK_MS });
      assert.match(await hold.textContent(), /rate-limited AnyCode \(429\).*\(in \d+ s\)|rate-limited AnyCode \(429\).*\(now\)/);
      const wait = page.getByTestId(`task-card-${second.id}`).getByTestId('task-wait');
      await wait.filter({ hasText: 'waiting: the model API rate-limited AnyCode (429)' }).waitFor();
      assert.match(await wait.textContent(), /wait until \d{1,2}:\d{2}:\d{2}( [AP]M)? \((in \d+ s|now)\)/);
      assert.equal(await page.getByTestId('scheduler-bar').getAttribute('data-held'), 'true');
    });

    await step('it resumes on its own: the hold goes, both complete', async () => {
      await waitCard(first.id, 'completed');
      await waitCard(second.id, 'completed');
      await page.locator('[data-testid=scheduler-bar][data-held=false]').waitFor({ timeout: 30_000 });
    });
    assert.deepEqual(page.problems, []);
  });

  test('workflows: live validation, then an approval step answered from the inbox', async () => {
    await importProject();
    await openApp(page, server);
    await page.getByTestId('nav-workflows').click();
    await page.getByTestId('workflows-view').waitFor();

    await step('the editor names the offending steps', async () => {
      await page.getByTestId('new-workflow').click();
      await page.getByTestId('workflow-page').waitFor();
      // The template is valid and drawn.
      await page.locator('[data-testid=workflow-validation][data-state=valid]').waitFor();
      await page.getByTestId('graph-node-implement').waitFor();
      await page.getByTestId('workflow-editor').fill(BROKEN);
      await page.locator('[data-testid=workflow-validation][data-state=invalid]').waitFor();
      const cycle = page.locator('[data-testid=workflow-problem][data-code=cycle]');
      await cycle.waitFor();
      assert.deepEqual((await cycle.getAttribute('data-steps')).split(' ').sort(), ['a', 'b']);
      const missing = page.locator('[data-testid=workflow-problem][data-code=missing_dependency]');
      assert.match(await missing.getAttribute('data-steps'), /\bc\b/);
      assert.match(await missing.textContent(), /ghost/);
    });

    await step('create the gated workflow', async () => {
      await page.getByTestId('workflow-editor').fill(GATED);
      await page.locator('[data-testid=workflow-validation][data-state=valid]').waitFor();
      // The graph: `after` is one column right of `ask`, with an edge between them.
      await page.getByTestId('graph-edge-ask-after').waitFor({ state: 'attached' });
      assert.equal(await page.getByTestId('graph-node-ask').getAttribute('data-level'), '0');
      assert.equal(await page.getByTestId('graph-node-after').getAttribute('data-level'), '1');
      await page.getByTestId('workflow-project').selectOption({ label: FULL });
      await page.getByTestId('workflow-save').click();
      await page.getByTestId('workflow-name').filter({ hasText: 'gated-e2e' }).waitFor();
      assert.match(await page.evaluate(() => window.location.hash), /^#\/workflows\/[0-9a-f-]+$/);
    });

    const runId = await step('run: the approval waits', async () => {
      await page.getByTestId('workflow-run').click();
      const detail = page.getByTestId('workflow-run-detail');
      await detail.waitFor();
      const id = await detail.getAttribute('data-run');
      await page.locator('[data-testid=graph-node-ask][data-status=waiting]').waitFor({ timeout: 30_000 });
      await page.locator('[data-testid=run-step-ask][data-status=waiting]').waitFor();
      return id;
    });

    await step('the inbox lists the approval; Approve', async () => {
      await poll(async () => Number(await page.getByTestId('inbox-count').getAttribute('data-count')) >= 1, { what: 'inbox count ≥ 1' });
      await page.getByTestId('nav-inbox').click();
      const item = page.getByTestId(`approval-${runId}-ask`);
      await item.waitFor();
      assert.match(await item.innerText(), /gated-e2e/);
      assert.equal(await item.getByTestId('approval-message').textContent(), 'Ship it?');
      await page.getByTestId(`approval-comment-${runId}-ask`).fill('looks good');
      await page.getByTestId(`approval-approve-${runId}-ask`).click();
      await item.waitFor({ state: 'detached' });
      const { json: approvals } = await server.api('GET', '/api/approvals');
      assert.deepEqual(approvals, []);
    });

    await step('the run ends succeeded; the graph shows it', async () => {
      const done = await poll(
        async () => {
          const { json } = await server.api('GET', `/api/workflow-runs/${runId}`);
          return json && json.status !== 'running' ? json : null;
        },
        { timeout: TASK_MS, interval: 500, what: 'the run to end' },
      );
      assert.equal(done.status, 'succeeded', JSON.stringify(done));
      assert.equal(done.steps.find((s) => s.stepId === 'after').status, 'succeeded');
      await page.getByTestId('nav-workflows').click();
      await page.getByTestId('workflow-open-gated-e2e').click();
      await page.getByTestId(`workflow-run-item-${runId}`).click();
      await page.locator(`[data-testid=workflow-run-detail][data-run="${runId}"][data-status=succeeded]`).waitFor();
      await page.locator('[data-testid=graph-node-ask][data-status=succeeded]').waitFor();
      await page.locator('[data-testid=graph-node-after][data-status=succeeded]').waitFor();
    });
    assert.deepEqual(page.problems, []);
  });
});
