import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ConfirmDialog } from '../../shared/ui/ConfirmDialog';
import { ErrorLine, type ShownError, shownError } from '../../shared/ui/ErrorLine';
import { formatRelative } from '../../shared/time';
import { useNow } from '../inbox/useNow';
import { navigate } from '../nav/nav';
import { TaskDetailModal } from '../tasks/TaskDetailModal';
import type { ProjectView } from '../tasks/taskTypes';
import { tasksApi } from '../tasks/tasksApi';
import { ProblemList } from './ProblemList';
import { offsetOf, problemsByStep, problemsOf, runIsActive, runShapes, stepStates } from './problems';
import { RunDetail } from './RunDetail';
import { StepGraph } from './StepGraph';
import { NEW_WORKFLOW_TEMPLATE } from './template';
import { useValidation } from './useValidation';
import { onWorkflowRun } from './workflowEvents';
import { workflowsApi } from './workflowsApi';
import { type StepShape, type ValidationProblem, type WorkflowRunView, type WorkflowView, triggerLabel } from './workflowTypes';

/** One workflow (`workflowId`), or a new one (`null`): editor, validation, graph, runs. */
export function WorkflowPage({ workflowId }: { workflowId: string | null }) {
  const now = useNow(1_000);
  const [workflow, setWorkflow] = useState<WorkflowView | null>(null);
  const [loadError, setLoadError] = useState<ShownError | null>(null);
  const [text, setText] = useState(workflowId ? '' : NEW_WORKFLOW_TEMPLATE);
  const [projects, setProjects] = useState<ProjectView[] | null>(null);
  const [projectId, setProjectId] = useState('');
  const [saveProblems, setSaveProblems] = useState<ValidationProblem[]>([]);
  const [saveError, setSaveError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [runs, setRuns] = useState<WorkflowRunView[] | null>(null);
  const [selectedRunId, setSelectedRunId] = useState<string | null>(null);
  /** Run details fetched so far, by id (the selected one is shown). */
  const [details, setDetails] = useState<ReadonlyMap<string, WorkflowRunView>>(new Map());
  const selectedRun = (selectedRunId && details.get(selectedRunId)) || null;
  const setRunDetail = useCallback((run: WorkflowRunView) => setDetails((m) => new Map(m).set(run.id, run)), []);
  const [graphOf, setGraphOf] = useState<'definition' | 'run'>('definition');
  const [openTask, setOpenTask] = useState<string | null>(null);
  const editor = useRef<HTMLTextAreaElement>(null);
  const validation = useValidation(text);

  useEffect(() => {
    tasksApi.projects().then(setProjects, () => setProjects([]));
  }, []);
  // The first project until the user picks one.
  const chosenProject = projectId || (projects?.[0]?.id ?? '');

  useEffect(() => {
    if (!workflowId) return;
    let live = true;
    workflowsApi.get(workflowId).then(
      (d) => {
        if (!live) return;
        setWorkflow(d.workflow);
        setText(d.workflow.definition);
        setRuns((current) => current ?? d.runs);
      },
      (e: unknown) => live && setLoadError(shownError(e)),
    );
    return () => {
      live = false;
    };
  }, [workflowId]);

  const loadRuns = useCallback(() => {
    if (!workflowId) return;
    // Failures are shown as a toast by the API client.
    workflowsApi.runs(workflowId).then(setRuns, () => undefined);
  }, [workflowId]);
  useEffect(() => {
    loadRuns();
  }, [loadRuns]);

  const loadRun = useCallback(
    (id: string) => {
      // Failures are shown as a toast by the API client.
      workflowsApi.getRun(id).then(setRunDetail, () => undefined);
    },
    [setRunDetail],
  );
  useEffect(() => {
    if (selectedRunId) loadRun(selectedRunId);
  }, [selectedRunId, loadRun]);

  // `workflow_run` events: re-read the open run at once and the list soon (one request a burst).
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = onWorkflowRun((id) => {
      if (id === selectedRunId) loadRun(id);
      timer ??= setTimeout(() => {
        timer = null;
        loadRuns();
      }, 250);
    });
    return () => {
      off();
      if (timer !== null) clearTimeout(timer);
    };
  }, [loadRuns, loadRun, selectedRunId]);

  const dirty = workflow ? text !== workflow.definition : true;
  const checked = validation.state === 'done' ? validation.result : validation.state === 'checking' ? validation.last : null;
  const shownProblems = useMemo(() => (saveProblems.length > 0 ? saveProblems : (checked?.problems ?? [])), [saveProblems, checked]);
  // An invalid definition comes with its steps as written (best effort), outlined where the
  // problems name them; when there are none (the YAML does not parse), the graph keeps the last.
  const [lastSteps, setLastSteps] = useState<StepShape[]>([]);
  const freshSteps = checked?.steps ?? [];
  if (freshSteps.length > 0 && freshSteps !== lastSteps) setLastSteps(freshSteps);
  const definitionSteps: StepShape[] = freshSteps.length > 0 ? freshSteps : lastSteps;
  const staleGraph = freshSteps.length === 0 && lastSteps.length > 0;
  const byStep = useMemo(() => problemsByStep(shownProblems), [shownProblems]);
  const runSteps = useMemo(() => (selectedRun ? runShapes(selectedRun) : []), [selectedRun]);
  const states = useMemo(() => stepStates(selectedRun), [selectedRun]);
  const showRun = graphOf === 'run' && selectedRun !== null;

  const save = async () => {
    setBusy(true);
    setSaveError(null);
    setSaveProblems([]);
    try {
      if (workflow) {
        const w = await workflowsApi.update(workflow.id, { definition: text });
        setWorkflow(w);
        setText(w.definition);
      } else {
        const w = await workflowsApi.create({ projectId: chosenProject, definition: text });
        navigate({ view: 'workflows', workflowId: w.id });
      }
    } catch (e) {
      setSaveError(shownError(e));
      setSaveProblems(problemsOf(e));
    } finally {
      setBusy(false);
    }
  };

  const run = async () => {
    if (!workflow) return;
    setBusy(true);
    try {
      const started = await workflowsApi.run(workflow.id);
      setRuns((list) => [started, ...(list ?? []).filter((r) => r.id !== started.id)]);
      setRunDetail(started);
      setSelectedRunId(started.id);
      setGraphOf('run');
    } catch {
      // shown as a toast by the API client
    } finally {
      setBusy(false);
    }
  };

  const setEnabled = async (enabled: boolean) => {
    if (!workflow) return;
    try {
      setWorkflow(await workflowsApi.update(workflow.id, { enabled }));
    } catch (e) {
      setSaveError(shownError(e));
    }
  };

  const remove = async () => {
    if (!workflow) return;
    setDeleting(false);
    try {
      await workflowsApi.remove(workflow.id);
      navigate({ view: 'workflows', workflowId: null });
    } catch {
      // shown as a toast by the API client
    }
  };

  const goto = (line: number, column: number) => {
    const el = editor.current;
    if (!el) return;
    const at = offsetOf(el.value, line, column);
    el.focus();
    el.setSelectionRange(at, at);
  };

  if (loadError) {
    return (
      <section className="workflows" data-testid="workflow-page">
        <button className="link-button wf-back" onClick={() => navigate({ view: 'workflows', workflowId: null })}>
          ← Workflows
        </button>
        <ErrorLine error={loadError} testId="workflow-load-error" />
      </section>
    );
  }

  const projectName = (id: string) => projects?.find((p) => p.id === id)?.name ?? id.slice(0, 8);

  return (
    <section className="workflows" data-testid="workflow-page" data-workflow={workflow?.id ?? 'new'}>
      <button className="link-button wf-back" onClick={() => navigate({ view: 'workflows', workflowId: null })}>
        ← Workflows
      </button>
      <header className="sandboxes-header">
        <h1 data-testid="workflow-name">{workflow ? workflow.name : 'New workflow'}</h1>
        {workflow && <span className="muted">project {projectName(workflow.projectId)}</span>}
        {workflow && (
          <label className="checkbox-field">
            <input type="checkbox" data-testid="workflow-enabled" checked={workflow.enabled} onChange={(e) => void setEnabled(e.target.checked)} />
            enabled (schedule and webhook triggers)
          </label>
        )}
        <span className="top-bar-spacer" />
        {!workflow && (
          <select className="tasks-filter" data-testid="workflow-project" aria-label="Project" value={chosenProject} onChange={(e) => setProjectId(e.target.value)}>
            {projects?.length === 0 && <option value="">No projects yet: import one first</option>}
            {(projects ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        )}
        <button className="small-button" data-testid="workflow-save" disabled={busy || (workflow !== null && !dirty) || (!workflow && chosenProject === '')} onClick={() => void save()}>
          {workflow ? (dirty ? 'Save' : 'Saved') : 'Create'}
        </button>
        {workflow && (
          <button
            className="primary-button"
            data-testid="workflow-run"
            disabled={busy || dirty}
            title={dirty ? 'Save the changes first' : 'Start a run now'}
            onClick={() => void run()}
          >
            Run
          </button>
        )}
        {workflow && (
          <button className="small-button danger" data-testid="workflow-delete" onClick={() => setDeleting(true)}>
            Delete
          </button>
        )}
      </header>

      <div className="wf-layout">
        <div className="wf-editor-pane">
          <textarea
            ref={editor}
            className="wf-editor"
            data-testid="workflow-editor"
            aria-label="Workflow definition (YAML)"
            spellCheck={false}
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              setSaveProblems([]);
              setSaveError(null);
            }}
            onKeyDown={(e) => {
              // Tab indents (two spaces) instead of leaving the editor.
              if (e.key === 'Tab' && !e.shiftKey && !e.ctrlKey && !e.metaKey && !e.altKey) {
                e.preventDefault();
                const el = e.currentTarget;
                const { selectionStart: a, selectionEnd: b } = el;
                const next = `${el.value.slice(0, a)}  ${el.value.slice(b)}`;
                setText(next);
                requestAnimationFrame(() => el.setSelectionRange(a + 2, a + 2));
              }
            }}
          />
          <div
            className="wf-validation"
            data-testid="workflow-validation"
            data-state={validation.state === 'done' ? (validation.result.valid ? 'valid' : 'invalid') : validation.state}
          >
            {validation.state === 'checking' && <span className="muted">checking…</span>}
            {validation.state === 'done' && validation.result.valid && saveProblems.length === 0 && (
              <span className="wf-valid">
                ✓ valid — {validation.result.steps.length} step{validation.result.steps.length === 1 ? '' : 's'}
              </span>
            )}
            {validation.state === 'unavailable' && <span className="form-warning">Live validation is unavailable: {validation.message}</span>}
            <ErrorLine error={saveError} testId="workflow-save-error" />
            {shownProblems.length > 0 && <ProblemList problems={shownProblems} onGoto={goto} />}
          </div>
        </div>

        <div className="wf-graph-pane">
          <div className="wf-graph-header">
            <span className="wf-section-title">Steps</span>
            <div className="detail-tabs" role="tablist">
              <button role="tab" aria-selected={!showRun} className={!showRun ? 'active' : ''} onClick={() => setGraphOf('definition')}>
                definition
              </button>
              <button
                role="tab"
                aria-selected={showRun}
                className={showRun ? 'active' : ''}
                data-testid="graph-show-run"
                disabled={!selectedRun}
                onClick={() => setGraphOf('run')}
              >
                {selectedRun ? `run ${selectedRun.id.slice(0, 8)}` : 'run'}
              </button>
            </div>
          </div>
          {showRun ? (
            <StepGraph steps={runSteps} states={states} />
          ) : definitionSteps.length > 0 ? (
            <>
              {staleGraph && (
                <p className="muted wf-stale" data-testid="graph-stale">
                  The last steps read; the YAML does not parse now.
                </p>
              )}
              <StepGraph steps={definitionSteps} problems={byStep} />
            </>
          ) : (
            <p className="muted">{validation.state === 'checking' ? 'Reading the steps…' : 'The graph appears once the YAML has steps.'}</p>
          )}
        </div>
      </div>

      {workflow && (
        <div className="wf-runs">
          <h2 className="wf-section-title">Runs</h2>
          {runs === null ? (
            <p className="muted">Loading runs…</p>
          ) : runs.length === 0 ? (
            <p className="muted">No runs yet. “Run” starts one.</p>
          ) : (
            <ul className="wf-run-list" data-testid="workflow-runs">
              {runs.map((r) => (
                <li key={r.id}>
                  <button
                    className={r.id === selectedRunId ? 'wf-run-item active' : 'wf-run-item'}
                    data-testid={`workflow-run-item-${r.id}`}
                    data-status={r.status}
                    onClick={() => {
                      setSelectedRunId(r.id);
                      setGraphOf('run');
                    }}
                  >
                    <span className={`wf-badge wf-status-${r.status}`}>{r.status}</span>
                    <code>{r.id.slice(0, 8)}</code>
                    <span className="muted">{triggerLabel(r.trigger)}</span>
                    <span className="muted">{formatRelative(r.createdAt, now)}</span>
                    {runIsActive(r.status) && <span className="wf-spinner" aria-hidden />}
                  </button>
                </li>
              ))}
            </ul>
          )}
          {selectedRun && (
            <RunDetail
              run={selectedRun}
              now={now}
              onOpenTask={setOpenTask}
              onChanged={(r) => {
                if (r) setRunDetail(r);
                else loadRun(selectedRun.id);
                loadRuns();
              }}
            />
          )}
        </div>
      )}
      {deleting && workflow && (
        <ConfirmDialog
          title="Delete workflow"
          message={`Delete "${workflow.name}" and its run history?`}
          confirmLabel="Delete"
          danger
          onCancel={() => setDeleting(false)}
          onConfirm={() => void remove()}
        />
      )}
      {openTask && <TaskDetailModal taskId={openTask} onClose={() => setOpenTask(null)} />}
    </section>
  );
}
