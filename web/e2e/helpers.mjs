// Shared plumbing for the browser end-to-end tests: a real `anycode serve` per test file, a real
// (Debian) Chromium driven by playwright-core, and small wait helpers built on page.waitForFunction.
// No fixed sleeps: every wait is for a condition, with a timeout that only guards against hangs.
import { after, afterEach, before, beforeEach } from 'node:test';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..');
export const ANYCODE_BIN = process.env.ANYCODE_BIN ?? path.join(REPO_ROOT, 'target', 'debug', 'anycode');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const MOCK_MODEL_BIN = process.env.MOCK_MODEL_BIN ?? path.join(path.dirname(ANYCODE_BIN), 'anycode-mock-model');
export const FAKE_FORGE_BIN = process.env.FAKE_FORGE_BIN ?? path.join(path.dirname(ANYCODE_BIN), 'anycode-fake-forge');

/** Timeout for "this should happen soon" waits (a failure guard, not a delay). */
export const WAIT_MS = Number(process.env.E2E_WAIT_MS ?? 15_000);

const READY_LINE = /AnyCode is running\. Open:\s+(http:\/\/\S+)/;

/**
 * Starts `anycode serve --port 0` with its own data dir and a HOME whose .bashrc makes the prompt
 * `$ ` (deterministic screens). Resolves once the server printed its URL. `args` are appended to
 * the command line (e.g. `['--anthropic-upstream', url]`), `env` is merged into its environment.
 */
export async function startServer({ token = `e2e-${Math.random().toString(36).slice(2)}`, args = [], env: extraEnv = {} } = {}) {
  const root = await mkdtemp(path.join(tmpdir(), 'anycode-e2e-'));
  const home = path.join(root, 'home');
  const dataDir = path.join(root, 'data');
  await mkdir(home, { recursive: true });
  await mkdir(dataDir, { recursive: true });
  await writeFile(
    path.join(home, '.bashrc'),
    ["PS1='$ '", 'PS2="> "', 'unset PROMPT_COMMAND', 'HISTFILE=/dev/null', ''].join('\n'),
  );
  const env = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    SHELL: '/bin/bash',
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
    ANYCODE_LOG: process.env.ANYCODE_LOG ?? 'info',
    ...extraEnv,
  };
  const child = spawn(ANYCODE_BIN, ['serve', '--port', '0', '--data-dir', dataDir, '--token', token, ...args], {
    cwd: home,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const echo = process.env.E2E_SERVER_LOG === '1';
  const collect = (chunk) => {
    if (echo) process.stderr.write(chunk);
    log += chunk.toString();
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  child.stderr.on('data', collect);

  const url = await new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new Error(`anycode did not print its URL within ${WAIT_MS} ms`)), WAIT_MS);
    const onData = (chunk) => {
      collect(chunk);
      stdout += chunk.toString();
      const match = READY_LINE.exec(stdout);
      if (match) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(match[1]);
      }
    };
    const onExit = (code, signal) => fail(new Error(`anycode exited early (code ${code}, signal ${signal})`));
    function fail(error) {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n--- server output ---\n${log}`));
    }
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
  child.stdout.on('data', collect);

  const base = new URL(url).origin;
  return {
    base,
    token,
    dataDir,
    home,
    /** Everything the server printed (for failure messages). */
    log: () => log,
    /** REST call with the bearer token, from Node (no browser involved). */
    async api(method, pathname, body) {
      const res = await fetch(base + pathname, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let json = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        // not JSON (e.g. a recording)
      }
      return { status: res.status, json, text };
    },
    /** Removes every terminal, so each test starts from an empty tab bar. */
    async reset() {
      const { json } = await this.api('GET', '/api/terminals');
      for (const t of json ?? []) await this.api('DELETE', `/api/terminals/${t.id}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * Starts the mock Anthropic API (`anycode-mock-model --port 0`), optionally with a script (the
 * JSON form of `mock_model::Script`). Resolves to `{url, stop}` once it printed its address.
 */
export async function startMockModel({ script = null } = {}) {
  const root = await mkdtemp(path.join(tmpdir(), 'anycode-mock-'));
  const args = ['--port', '0'];
  if (script) {
    const file = path.join(root, 'script.json');
    await writeFile(file, JSON.stringify(script));
    args.push('--script', file);
  }
  const child = spawn(MOCK_MODEL_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr.on('data', (chunk) => {
    out += chunk.toString();
  });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`the mock model did not print its address within ${WAIT_MS} ms`)), WAIT_MS);
    const onData = (chunk) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(match[1]);
      }
    };
    const onExit = (code, signal) => fail(new Error(`the mock model exited early (code ${code}, signal ${signal})`));
    const onError = (error) => fail(error);
    function fail(error) {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      child.kill('SIGKILL');
      reject(new Error(`${error.message} (${MOCK_MODEL_BIN})\n--- mock output ---\n${out}`));
    }
    child.stdout.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
  child.stdout.resume();
  return {
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * Starts the fake GitHub (`anycode-fake-forge`): the REST subset AnyCode calls and Git over smart
 * HTTP on one origin, with token checks. `users` are `login:token`, `repos` `owner/name` (with
 * `:private`), `seeds` map `owner/name` to a local repository whose branches the forge starts
 * with. Resolves to `{url, root, log, stop}` once it printed its `{"url": …}` line.
 */
export async function startFakeForge({ users = [], repos = [], seeds = {}, webhook = null, webhookSecret = null } = {}) {
  const root = await mkdtemp(path.join(tmpdir(), 'anycode-forge-'));
  const args = ['--root', path.join(root, 'forge')];
  for (const u of users) args.push('--user', u);
  for (const r of repos) args.push('--repo', r);
  for (const [repo, dir] of Object.entries(seeds)) args.push('--seed', `${repo}=${dir}`);
  if (webhook) args.push('--webhook', webhook);
  if (webhookSecret) args.push('--webhook-secret', webhookSecret);
  const child = spawn(FAKE_FORGE_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr.on('data', (chunk) => {
    if (process.env.E2E_SERVER_LOG === '1') process.stderr.write(chunk);
    out += chunk.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  });
  const url = await new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new Error(`the fake forge did not print its URL within ${WAIT_MS} ms`)), WAIT_MS);
    const onData = (chunk) => {
      stdout += chunk.toString();
      out += chunk.toString();
      for (const line of stdout.split('\n')) {
        try {
          const parsed = JSON.parse(line);
          if (typeof parsed?.url === 'string') {
            clearTimeout(timer);
            child.off('exit', onExit);
            child.stdout.off('data', onData);
            resolve(parsed.url.replace(/\/$/, ''));
            return;
          }
        } catch {
          // not the ready line (yet)
        }
      }
    };
    const onExit = (code, signal) => fail(new Error(`the fake forge exited early (code ${code}, signal ${signal})`));
    const onError = (error) => fail(error);
    function fail(error) {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      child.kill('SIGKILL');
      reject(new Error(`${error.message} (${FAKE_FORGE_BIN} ${args.join(' ')})\n--- forge output ---\n${out}`));
    }
    child.stdout.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
  child.stdout.on('data', (chunk) => {
    out += chunk.toString();
  });
  return {
    url,
    root,
    log: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Runs `git` (no prompts, a fixed identity, no user or system config); resolves to its stdout. */
export async function git(cwd, ...args) {
  const child = spawn('git', args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: 'E2E',
      GIT_AUTHOR_EMAIL: 'e2e@example.com',
      GIT_COMMITTER_NAME: 'E2E',
      GIT_COMMITTER_EMAIL: 'e2e@example.com',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c.toString()));
  child.stderr.on('data', (c) => (stderr += c.toString()));
  const [code] = await once(child, 'close');
  if (code !== 0) throw new Error(`git ${args.join(' ')} failed (${code}) in ${cwd}:\n${stderr}`);
  return stdout;
}

/**
 * Debian's Chromium, headless. playwright's `launch` gives every run a fresh temporary profile
 * (user-data-dir) and every `newContext()` its own cookie jar and storage.
 */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A fresh context + page. Page errors and console errors are collected into `page.problems` so a
 * test can include them in its failure message.
 */
export async function newPage(browser, { viewport = { width: 1280, height: 800 } } = {}) {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') page.problems.push(`console.error: ${m.text()}`);
  });
  return { context, page };
}

/** Opens `/?token=…` (sets the cookie, the server redirects to `/`) and waits for the app shell. */
export async function openApp(page, server) {
  await page.goto(`${server.base}/?token=${encodeURIComponent(server.token)}`);
  await page.getByTestId('new-terminal').waitFor();
  await page.waitForFunction(() => window.__anycode !== undefined);
}

/** Ids of the tabs in the tab bar, in order. */
export async function tabIds(page) {
  return page.$$eval('[role=tab][data-testid^="tab-"]', (els) => els.map((el) => el.dataset.testid.slice(4)));
}

export async function activeTabId(page) {
  return page.$eval('[role=tab][aria-selected=true]', (el) => el.dataset.testid.slice(4));
}

/** Clicks `[+]`, waits for the new tab to be active and its terminal attached; returns its id. */
export async function newTerminal(page) {
  const before = await tabIds(page);
  await page.getByTestId('new-terminal').click();
  const handle = await page.waitForFunction((known) => {
    const tab = document.querySelector('[role=tab][aria-selected=true]');
    const id = tab?.dataset.testid?.slice(4);
    return id && !known.includes(id) ? id : null;
  }, before);
  const id = await handle.jsonValue();
  await waitReady(page, id);
  return id;
}

/** The pane of `id` reports `data-status=ready` (socket open, server says attached and live). */
export async function waitReady(page, id, timeout = WAIT_MS) {
  await page.waitForSelector(`[data-testid="terminal-${id}"][data-status=ready]`, { state: 'attached', timeout });
}

// Lines are compared right-trimmed: after a snapshot (reload, reconnect without resume) the
// server pads every row with explicit spaces (`CSI n b`), which xterm does not trim.

/** The visible lines of terminal `id`, right-trimmed (null if there is no such terminal). */
export async function screenLines(page, id) {
  return page.evaluate((id) => window.__anycode.screen(id)?.map((l) => l.trimEnd()) ?? null, id);
}

/** The whole buffer of terminal `id` (scrollback + screen), each line right-trimmed. */
export async function bufferText(page, id) {
  return page.evaluate((id) => {
    const text = window.__anycode.text(id);
    return text === null ? null : text.split('\n').map((l) => l.trimEnd()).join('\n');
  }, id);
}

/**
 * Waits until `predicate(lines)` is true for the visible screen of terminal `id` (evaluated in the
 * page on every animation frame). `predicate` is serialised: it must be self-contained and may use
 * `arg`. On timeout the error shows the screen.
 */
export async function waitForScreen(page, id, predicate, { arg = null, timeout = WAIT_MS, what = 'screen condition' } = {}) {
  try {
    await page.waitForFunction(
      ({ id, source, arg }) => {
        const raw = window.__anycode?.screen(id);
        if (!raw) return false;
        const lines = raw.map((l) => l.trimEnd());
        return new Function('lines', 'arg', `return (${source})(lines, arg);`)(lines, arg);
      },
      { id, source: predicate.toString(), arg },
      { timeout },
    );
  } catch (error) {
    const lines = await screenLines(page, id).catch(() => null);
    const problems = page.problems?.length ? `\n--- page problems ---\n${page.problems.join('\n')}` : '';
    throw new Error(
      `timed out waiting for ${what} on terminal ${id}: ${error.message.split('\n')[0]}\n--- screen ---\n${
        lines ? lines.join('\n') : '(no terminal)'
      }${problems}`,
    );
  }
}

/** Waits for a screen line that is exactly `line` (so the typed command line does not count). */
export async function waitForLine(page, id, line, options = {}) {
  await waitForScreen(page, id, (lines, want) => lines.some((l) => l === want), {
    arg: line,
    what: `a line ${JSON.stringify(line)}`,
    ...options,
  });
}

/** Types into the focused terminal of tab `id` (focusing its xterm textarea first). */
export async function typeInto(page, id, text) {
  await page.locator(`[data-testid="terminal-${id}"] textarea.xterm-helper-textarea`).focus();
  await page.keyboard.type(text);
}

/** Polls `fn` (async, Node side) until it returns a truthy value. */
export async function poll(fn, { timeout = WAIT_MS, interval = 50, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last value: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Number of lines of `text` that are exactly `line`. */
export function countLines(text, line) {
  return (text ?? '').split('\n').filter((l) => l === line).length;
}

/**
 * The usual hooks of a browser test file: one server and one browser per file, a fresh page
 * (and a clean server) per test. `onPage(context, page)` runs after each page opens (e.g. init
 * scripts); `afterTest(server)` after each test (e.g. deleting sandboxes). `serverOptions` may be
 * a function, called when the server starts (after the file's earlier `before` hooks, e.g. one
 * that starts a fake forge whose URL the server needs). Returns an object whose `server`,
 * `browser`, `context` and `page` are current inside tests.
 */
export function appSuite({ serverOptions, onPage, afterTest } = {}) {
  const s = { server: null, browser: null, context: null, page: null };
  before(async () => {
    const options = typeof serverOptions === 'function' ? await serverOptions() : serverOptions;
    [s.server, s.browser] = await Promise.all([startServer(options), launchBrowser()]);
  });
  after(async () => {
    await s.browser?.close();
    await s.server?.stop();
  });
  beforeEach(async () => {
    await s.server.reset();
    ({ context: s.context, page: s.page } = await newPage(s.browser));
    if (onPage) await onPage(s.context, s.page);
  });
  afterEach(async () => {
    await s.context?.close();
    if (afterTest) await afterTest(s.server);
  });
  return s;
}

/**
 * `appSuite` for tests with the real `claude` CLI: Docker sandboxes whose model upstream is the
 * mock Anthropic API serving `script` (started once per file), `env` for the server (e.g. a fake
 * `ANTHROPIC_API_KEY`), and every sandbox deleted after each test (then `afterTest(server)`).
 */
export function claudeSuite({ script, env = {}, afterTest } = {}) {
  let mock;
  before(async () => {
    mock = await startMockModel({ script });
  });
  after(async () => {
    await mock?.stop();
  });
  return appSuite({
    serverOptions: () => ({ args: ['--sandbox-driver', 'docker', '--anthropic-upstream', mock.url], env }),
    afterTest: async (server) => {
      await server.reset();
      const { json: sandboxes } = await server.api('GET', '/api/sandboxes');
      for (const sb of sandboxes ?? []) await server.api('DELETE', `/api/sandboxes/${sb.id}`);
      if (afterTest) await afterTest(server);
    },
  });
}
