// Projects, branches and pull requests through the UI, against the fake GitHub
// (`anycode-fake-forge`: the REST subset and real Git over smart HTTP, with token checks) and real
// Docker sandboxes (`anycode-sandbox:latest`):
//
//   a seed repository made with `git` → the forge serves it as a private repository → Settings:
//   connect GitHub by pasting a token (only its prefix is shown) → Projects: import `owner/repo`
//   (the picker lists it too) → the project page (clone URL, default branch, setup file, branches)
//   → New sandbox on a new branch; its setup runs in a `setup` terminal → a change made inside the
//   sandbox → Changes: the file and the added line, unified and side by side → Files: the tree and
//   a file → Create PR: drafted title/body, uncommitted file, create → open → a conflicting commit
//   pushed to the base on the forge → Refresh → the conflict names the file on the PR and the card
//   → a second sandbox's non-conflicting PR merged with the Merge button → merged.
//
// Every sandbox is deleted through the API afterwards; no fixed sleeps.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { appSuite, git, openApp, poll, startFakeForge } from './helpers.mjs';

/** Creating a container, cloning and the setup take longer than a UI reaction. */
const SANDBOX_MS = Math.max(90_000, Number(process.env.E2E_WAIT_MS ?? 0));
/** Git work inside a sandbox (diff, commit, push, merge-tree) goes through `docker exec`. */
const GIT_MS = Math.max(30_000, Number(process.env.E2E_WAIT_MS ?? 0));

const OWNER = 'octo';
const REPO = 'hello';
const FULL = `${OWNER}/${REPO}`;
const TOKEN = `ghp_e2e${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

const uniqueName = (prefix) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;

/** A small repository on `main`: a README, a source file and the AnyCode setup file. */
async function makeSeed(dir) {
  await mkdir(path.join(dir, 'src'), { recursive: true });
  await mkdir(path.join(dir, '.anycode'), { recursive: true });
  await writeFile(path.join(dir, 'README.md'), '# Hello\n\nA repository for the browser test.\n');
  await writeFile(path.join(dir, 'src', 'app.js'), "export const greet = (name) => `hello ${name}`;\n");
  await writeFile(path.join(dir, '.anycode', 'setup.sh'), 'echo "setup for the e2e test ran"\n');
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', 'Initial commit');
}

describe('projects', () => {
  let forge;
  let work;
  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'anycode-e2e-git-'));
    const seed = path.join(work, 'seed');
    await makeSeed(seed);
    forge = await startFakeForge({ users: [`${OWNER}:${TOKEN}`], repos: [`${FULL}:private`], seeds: { [FULL]: seed } });
  });
  after(async () => {
    await forge?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const suite = appSuite({
    // No GITHUB_TOKEN: the tests connect through the Settings panel (token, device flow).
    serverOptions: () => ({ args: ['--github-api-url', forge.url, '--github-client-id', 'e2e-client'] }),
    afterTest: async (server) => {
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
      throw new Error(`${what}: ${error.message}${problems}\n--- server log (tail) ---\n${server.log().slice(-4000)}\n--- forge log (tail) ---\n${forge.log().slice(-2000)}`);
    }
  }

  async function sandboxId(name) {
    const { json } = await server.api('GET', '/api/sandboxes');
    const s = json.find((x) => x.name === name);
    assert.ok(s, `sandbox ${name} exists`);
    return s.id;
  }

  /** Runs `sh -c script` in the sandbox's checkout (as an agent would). */
  async function inSandbox(name, script) {
    const id = await sandboxId(name);
    const r = await server.api('POST', `/api/sandboxes/${id}/exec`, { command: ['/bin/sh', '-c', script], cwd: '/workspace' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.exitCode, 0, `${script}: ${r.json.stderr}`);
    return r.json.stdout;
  }

  /** New sandbox from the project page; waits for its card to be ready. */
  async function newProjectSandbox(name) {
    await page.getByTestId('project-new-sandbox').click();
    await page.getByTestId('project-sandbox-dialog').waitFor();
    assert.equal(await page.getByTestId('project-sandbox-base').inputValue(), 'main');
    await page.getByTestId('project-sandbox-name').fill(name);
    await page.getByTestId('project-sandbox-create').click();
    await page.getByTestId('project-sandbox-dialog').waitFor({ state: 'detached', timeout: SANDBOX_MS });
    await page.locator(`[data-testid="sandbox-card-${name}"][data-status=ready]`).waitFor({ timeout: SANDBOX_MS });
    assert.equal(await page.getByTestId(`sandbox-card-${name}`).getAttribute('data-driver'), 'docker', 'the test needs the Docker engine');
    await page.getByTestId(`sandbox-branch-${name}`).filter({ hasText: `anycode/${name}` }).waitFor();
  }

  /** Create PR from a card: waits for the drafted title, submits, returns the PR number. */
  async function createPr(name, { title = null, inspect = null } = {}) {
    await page.getByTestId(`sandbox-create-pr-${name}`).click();
    const dialog = page.getByTestId('create-pr-dialog');
    await dialog.waitFor();
    await page.getByTestId('pr-draft-loading').waitFor({ state: 'detached', timeout: GIT_MS });
    const drafted = await page.getByTestId('pr-title').inputValue();
    assert.ok(drafted.trim().length > 0, 'a drafted title');
    if (inspect) await inspect();
    if (title) await page.getByTestId('pr-title').fill(title);
    await page.getByTestId('pr-submit').click();
    const created = page.getByTestId('pr-created');
    await created.waitFor({ timeout: GIT_MS });
    const number = Number(await created.getAttribute('data-number'));
    assert.ok(number > 0);
    await page.getByTestId('pr-created-close').click();
    await dialog.waitFor({ state: 'detached' });
    return { number, drafted };
  }

  test('connect GitHub, import, sandbox on a branch, diff, PR, conflict, merge', async () => {
    await openApp(page, server);

    // 1. Settings → GitHub: paste the token; the page shows the login and a prefix, never the token.
    await step('connect GitHub', async () => {
      await page.getByTestId('nav-settings').click();
      await page.locator('[data-testid=github-status][data-connected=false]').waitFor();
      // A token the forge does not know: its refusal inline, still not connected.
      await page.getByTestId('github-token').fill('ghp_not-a-known-token');
      await page.getByTestId('github-token-submit').click();
      await page.locator('[data-testid=github-error][data-code=forge_access_denied]').waitFor();
      assert.equal(await page.getByTestId('github-status').getAttribute('data-connected'), 'false');
      await page.getByTestId('github-token').fill(TOKEN);
      await page.getByTestId('github-token-submit').click();
      await page.locator(`[data-testid=github-status][data-connected=true][data-login=${OWNER}]`).waitFor();
      assert.equal(await page.getByTestId('github-token').inputValue(), '', 'the input is cleared');
      const prefix = await page.getByTestId('github-prefix').textContent();
      assert.ok(TOKEN.startsWith(prefix.replace(/…$/, '')) && prefix.replace(/…$/, '').length < TOKEN.length, `prefix ${prefix} is the token's beginning`);
      assert.ok(!(await page.content()).includes(TOKEN), 'the whole token is nowhere in the page');
      assert.equal((await server.api('GET', '/api/github/auth')).json.source, 'pat');
    });

    // 2. Projects: the picker lists the private repository; import it by pasting owner/repo.
    await step('import', async () => {
      await page.getByTestId('nav-projects').click();
      await page.getByTestId('projects-view').waitFor();
      await page.getByTestId(`repo-import-${FULL}`).waitFor();
      // Client-side check first: a relative path never reaches the server.
      await page.getByTestId('import-repository').fill('./not-absolute');
      await page.getByTestId('import-submit').click();
      await page.locator('.import-form .field.invalid').first().waitFor();
      // A repository the forge does not have: the server's error, inline.
      await page.getByTestId('import-repository').fill(`${OWNER}/missing`);
      await page.getByTestId('import-submit').click();
      await page.getByTestId('import-error').waitFor({ timeout: GIT_MS });
      assert.equal((await server.api('GET', '/api/projects')).json.length, 0, 'no half-imported project');

      await page.getByTestId('import-repository').fill(FULL);
      await page.getByTestId('import-submit').click();
      await page.getByTestId('import-done').waitFor({ timeout: GIT_MS });
      await page.getByTestId(`project-row-${FULL}`).and(page.locator('[data-status=ready]')).waitFor();
      await page.getByTestId(`repo-open-${FULL}`).waitFor(); // the picker knows it is imported
      await page.getByTestId(`sidebar-project-${FULL}`).waitFor();
    });

    // 3. The project page: what the project is, its branches.
    await step('project page', async () => {
      await page.getByTestId('import-open').click();
      await page.getByTestId('project-page').waitFor();
      assert.equal(await page.getByTestId('project-name').textContent(), FULL);
      assert.equal(await page.getByTestId('project-default-branch').textContent(), 'main');
      assert.match(await page.getByTestId('project-clone-url').textContent(), new RegExp(`/${FULL}(\\.git)?$`));
      assert.match(await page.getByTestId('project-setup').textContent(), /\.anycode\/setup\.sh/);
      await page.getByTestId('branch-main').waitFor();
      await page.getByTestId('branches-refresh').click();
      await page.getByTestId('branch-main').waitFor();
    });

    // 4. A sandbox on a new branch; its setup runs in the `setup` terminal.
    const first = `${uniqueName('e2e')}`;
    await step('new sandbox', async () => {
      await newProjectSandbox(first);
      await page.locator(`[data-testid="sandbox-setup-${first}"][data-state=succeeded]`).waitFor({ timeout: SANDBOX_MS });
      const id = await sandboxId(first);
      const { json: sb } = await server.api('GET', `/api/sandboxes/${id}`);
      assert.equal(sb.git.branch, `anycode/${first}`);
      assert.equal(sb.git.baseRef, 'main');
      // "open terminal" shows the setup terminal's tab; the sidebar leads back to the project.
      await page.getByTestId(`sandbox-setup-open-${first}`).click();
      await page.locator('[role=tab][aria-selected=true]').filter({ hasText: 'setup' }).waitFor();
      await page.getByTestId(`sidebar-project-${FULL}`).click();
      await page.locator(`[data-testid="sandbox-card-${first}"][data-status=ready]`).waitFor();
    });

    // 5. A change inside the sandbox, seen in the diff viewer (unified, then side by side).
    await step('changes', async () => {
      await inSandbox(first, 'echo "a change from the sandbox" >> README.md');
      await page.getByTestId(`sandbox-changes-${first}`).click();
      await page.getByTestId('changes-dialog').waitFor();
      await page.getByTestId('diff-mode-unified').click();
      await page.locator('[data-testid=diff-file][data-path="README.md"]').waitFor({ timeout: GIT_MS });
      assert.match(await page.getByTestId('diff-summary').textContent(), /1 file changed/);
      const unified = page.locator('[data-testid=diff-view][data-mode=unified][data-path="README.md"]');
      await unified.waitFor({ timeout: GIT_MS });
      const added = unified.locator('.diff-line.diff-add .diff-text');
      assert.deepEqual(await added.allTextContents(), ['a change from the sandbox']);
      assert.equal(await unified.locator('.diff-line.diff-add .diff-no').nth(1).textContent(), '4', 'new line number');
      await page.getByTestId('diff-mode-split').click();
      const split = page.locator('[data-testid=diff-view][data-mode=split][data-path="README.md"]');
      await split.waitFor();
      assert.match(await split.locator('.diff-text.diff-add.diff-cell-right').textContent(), /a change from the sandbox/);
      assert.equal(await split.locator('.diff-cell-left.diff-add').count(), 0, 'additions only on the right');
      await page.getByTestId('diff-mode-unified').click(); // leave the default for the next dialog
      await page.keyboard.press('Escape');
      await page.getByTestId('changes-dialog').waitFor({ state: 'detached' });
    });

    // 6. The workspace as a tree; a file read-only.
    await step('files', async () => {
      await page.getByTestId(`sandbox-files-${first}`).click();
      await page.getByTestId('files-dialog').waitFor();
      await page.locator('[data-testid=tree-folder][data-path=src]').click({ timeout: GIT_MS });
      await page.locator('[data-testid=tree-file][data-path="src/app.js"]').click();
      await page.locator('[data-testid=file-viewer][data-path="src/app.js"]').filter({ hasText: 'export const greet' }).waitFor({ timeout: GIT_MS });
      await page.keyboard.press('Escape');
      await page.getByTestId('files-dialog').waitFor({ state: 'detached' });
    });

    // 7. Create PR: drafted title/body, the uncommitted file (committed with it), created open.
    let firstPr;
    await step('create PR', async () => {
      const inspect = async () => {
        assert.match(await page.getByTestId('pr-uncommitted').textContent(), /1 uncommitted file/);
        assert.equal(await page.getByTestId('pr-base').inputValue(), 'main');
        assert.equal(await page.getByTestId('pr-conflicts').count(), 0, 'no conflicts yet');
      };
      firstPr = (await createPr(first, { title: 'Add a line to the README', inspect })).number;
      await page.locator(`[data-testid="sandbox-pr-${first}-state"][data-state=open]`).waitFor();
      await page.locator(`[data-testid="pr-${firstPr}-state"][data-state=open]`).waitFor();
      assert.match(await page.getByTestId(`pr-${firstPr}-link`).textContent(), /Add a line to the README/);
      const { json: pulls } = await server.api('GET', '/api/github/pull-requests');
      const pr = pulls.find((p) => p.number === firstPr);
      assert.equal(pr.head, `anycode/${first}`);
      assert.equal(pr.base, 'main');
      assert.equal(pr.title, 'Add a line to the README');
    });

    // 8. Someone pushes a conflicting change to main on the forge; Refresh names the file.
    await step('conflict', async () => {
      const clone = path.join(work, 'other');
      const remote = new URL(`${forge.url}/${FULL}.git`);
      remote.username = 'x-access-token';
      remote.password = TOKEN;
      await git(work, 'clone', '-q', remote.href, clone);
      await writeFile(path.join(clone, 'README.md'), '# Hello\n\nA repository for the browser test.\nA different last line on main.\n');
      await git(clone, 'commit', '-q', '-am', 'Change the README on main');
      await git(clone, 'push', '-q', 'origin', 'main');

      await page.getByTestId(`pr-${firstPr}-refresh`).click();
      const conflicts = page.getByTestId(`pr-${firstPr}-conflicts`);
      await conflicts.waitFor({ timeout: GIT_MS });
      assert.match(await conflicts.textContent(), /README\.md/);
      await page.locator(`[data-testid="pr-${firstPr}-state"][data-badge=conflicts]`).waitFor();
      assert.match(await page.getByTestId(`sandbox-conflicts-${first}`).textContent(), /README\.md/);
      assert.equal(await page.getByTestId(`pr-${firstPr}-merge`).isDisabled(), true, 'no merge while it conflicts');
    });

    // 9. A second sandbox (from the new main) with a non-conflicting change: PR, then Merge.
    const second = `${uniqueName('e2e')}`;
    await step('merge', async () => {
      await newProjectSandbox(second);
      await inSandbox(second, 'printf "notes\\n" > NOTES.md');
      const { number } = await createPr(second);
      const state = page.locator(`[data-testid="sandbox-pr-${second}-state"]`);
      await page.locator(`[data-testid="sandbox-pr-${second}-state"][data-badge=open]`).waitFor();
      await page.getByTestId(`sandbox-pr-${second}-merge`).click();
      await page.getByTestId('merge-dialog').waitFor();
      await page.getByTestId('merge-method').selectOption('squash');
      await page.getByTestId('merge-delete-branch').check();
      await page.getByTestId('merge-submit').click();
      await page.getByTestId('merge-dialog').waitFor({ state: 'detached', timeout: GIT_MS });
      await page.locator(`[data-testid="sandbox-pr-${second}-state"][data-state=merged]`).waitFor();
      assert.equal(await state.textContent(), 'merged');
      await page.locator(`[data-testid="pr-${number}-state"][data-state=merged]`).waitFor();
      // The forge has it merged; main now holds NOTES.md.
      await poll(async () => (await server.api('GET', `/api/github/pull-requests/${number}?projectId=${encodeURIComponent(await projectId())}`)).json?.state === 'merged', {
        what: `PR #${number} merged on the forge`,
        timeout: GIT_MS,
      });
      const check = path.join(work, 'after-merge');
      const remote = new URL(`${forge.url}/${FULL}.git`);
      remote.username = 'x-access-token';
      remote.password = TOKEN;
      await git(work, 'clone', '-q', '--depth', '1', remote.href, check);
      assert.equal(await git(check, 'show', 'HEAD:NOTES.md'), 'notes\n');
      // The conflicting PR is still open and still refuses to merge.
      await page.locator(`[data-testid="pr-${firstPr}-state"][data-badge=conflicts]`).waitFor();
    });
    assert.deepEqual(
      page.problems.filter((p) => p.startsWith('pageerror')),
      [],
      'no uncaught errors in the page',
    );
  });

  test('sign in with the device flow, then disconnect', async () => {
    // Self-contained: whatever an earlier test connected is removed first.
    assert.equal((await server.api('DELETE', '/api/github/token')).status, 204);
    await openApp(page, server);
    await page.getByTestId('nav-settings').click();
    await step('device flow', async () => {
      await page.locator('[data-testid=github-status][data-connected=false]').waitFor();
      await page.getByTestId('github-device-start').click();
      const code = page.getByTestId('github-device-code');
      await code.waitFor();
      const userCode = (await code.textContent()).trim();
      assert.match(userCode, /\S{4,}/);
      assert.match(await page.getByTestId('github-device-link').getAttribute('href'), new RegExp(`^${forge.url}/login/device`));
      await page.locator('[data-testid=github-device][data-status=pending]').waitFor();
      // The user enters the code on the forge and approves.
      const approved = await fetch(`${forge.url}/_fake/device/approve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user_code: userCode, login: OWNER }),
      });
      assert.equal(approved.status < 300, true, await approved.text());
      // The server polls the forge; the panel follows (github_auth event or its own polling).
      await page.locator(`[data-testid=github-status][data-connected=true][data-login=${OWNER}]`).waitFor({ timeout: GIT_MS });
      assert.equal((await server.api('GET', '/api/github/auth')).json.source, 'device');
      await page.getByTestId('github-disconnect').click();
      await page.locator('[data-testid=github-status][data-connected=false]').waitFor();
      assert.equal((await server.api('GET', '/api/github/auth')).json.connected, false);
    });
  });

  async function projectId() {
    const { json } = await server.api('GET', '/api/projects');
    return json.find((p) => p.name === FULL).id;
  }
});
