import type { TerminalView } from '../../shared/api/types';
import { wsUrl } from '../../shared/ws/url';
import { EventsClient } from './eventsClient';
import { sandboxesApi } from './sandboxesApi';
import { removeAgent, refreshAgents, upsertAgent } from '../agents/agentStore';
import { recordRateLimit, scheduleInboxRefresh } from '../inbox/inboxStore';
import { onRunEvent, refreshRuns, runStore } from '../runs/runStore';
import { showToast } from '../../shared/ui/toasts';
import type { RateLimitedPayload } from './eventsClient';
import { removeSandbox, sandboxName, sandboxStore, setEventsInfo, setSandboxes, upsertSandbox } from './sandboxStore';
import { refreshProjects, removeProject, setSetup, upsertProject, upsertPull } from '../projects/projectStore';
import { refreshGithubAuth } from '../github/githubStore';
import { resyncTasks, setRadar, setScheduler, upsertTask } from '../tasks/taskStore';
import { refreshApprovals } from '../workflows/approvalsStore';
import { workflowRunChanged } from '../workflows/workflowEvents';

export type TerminalEvent = { type: 'terminal'; view: TerminalView } | { type: 'terminal_removed'; id: string };

const terminalListeners = new Set<(event: TerminalEvent) => void>();

/** Terminal changes pushed by `/ws/events` (the terminals list subscribes). */
export function onTerminalEvent(listener: (event: TerminalEvent) => void): () => void {
  terminalListeners.add(listener);
  return () => {
    terminalListeners.delete(listener);
  };
}

let generation = 0;

/** Re-list the sandboxes (after a (re)connect, `resync`, or when the view opens). */
export async function refreshSandboxes(): Promise<void> {
  const mine = ++generation;
  try {
    const list = await sandboxesApi.list();
    // A later refresh started meanwhile: its answer is the newer one.
    if (mine === generation) setSandboxes(list);
  } catch {
    // shown as a toast (or the token page) by the API client
  }
}

function onRateLimited(p: RateLimitedPayload): void {
  const retryAfterSecs = p.retryAfterSecs ?? null;
  recordRateLimit({ sandboxId: p.sandboxId, status: p.status, retryAfterSecs, at: Date.now() });
  const name = sandboxName(sandboxStore.get().list, p.sandboxId) ?? p.sandboxId.slice(0, 8);
  const retry = retryAfterSecs === null ? '' : `; retrying in ${retryAfterSecs} s`;
  showToast({ kind: 'error', code: 'rate_limited', message: `Sandbox ${name}: the model answered ${p.status}${retry}` });
}

/** Opens `/ws/events` and keeps the sandbox store live; returns the stop function. */
export function startSandboxEvents(): () => void {
  const client = new EventsClient({
    url: () => wsUrl('/ws/events'),
    onState: (state) => setEventsInfo({ live: state === 'open' }),
    onResync: () => {
      void refreshSandboxes();
      void refreshAgents();
      void refreshProjects();
      void refreshGithubAuth();
      scheduleInboxRefresh();
      // Runs are listed once the Runs view opened; after that they are kept fresh.
      if (runStore.get().list !== null) void refreshRuns();
      // The task board once it has been opened; approvals always (the inbox count).
      resyncTasks();
      void refreshApprovals();
    },
    onEvent: (event) => {
      switch (event.type) {
        case 'hello':
          setEventsInfo({ driver: event.payload.driver });
          break;
        case 'sandbox':
          upsertSandbox(event.payload);
          break;
        case 'sandbox_removed':
          removeSandbox(event.payload.id);
          break;
        case 'terminal':
          terminalListeners.forEach((l) => l({ type: 'terminal', view: event.payload }));
          break;
        case 'terminal_removed':
          terminalListeners.forEach((l) => l({ type: 'terminal_removed', id: event.payload.id }));
          removeAgent(event.payload.id);
          scheduleInboxRefresh();
          break;
        case 'agent_state':
          upsertAgent(event.payload);
          scheduleInboxRefresh();
          break;
        case 'rate_limited':
          onRateLimited(event.payload);
          break;
        case 'project':
          upsertProject(event.payload);
          break;
        case 'project_removed':
          removeProject(event.payload.id);
          break;
        case 'pull':
          upsertPull(event.payload);
          break;
        case 'github_auth':
          void refreshGithubAuth();
          break;
        case 'setup':
          setSetup(event.payload.sandboxId, {
            terminalId: event.payload.terminalId,
            state: event.payload.state,
            exitCode: event.payload.exitCode ?? null,
          });
          break;
        case 'run':
          onRunEvent(event.payload);
          break;
        case 'task':
          upsertTask(event.payload);
          break;
        case 'scheduler':
          setScheduler(event.payload);
          break;
        case 'radar':
          setRadar(event.payload.projectId, event.payload.overlaps);
          break;
        case 'workflow_run':
          workflowRunChanged(event.payload.id);
          break;
        default:
          break;
      }
    },
  });
  client.start();
  const onOnline = () => client.reconnectNow();
  window.addEventListener('online', onOnline);
  return () => {
    window.removeEventListener('online', onOnline);
    client.stop();
    setEventsInfo({ live: false });
  };
}
