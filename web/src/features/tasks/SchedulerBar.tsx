import { type FormEvent, useState } from 'react';
import { ErrorLine, type ShownError, shownError } from '../../shared/ui/ErrorLine';
import { setScheduler } from './taskStore';
import { tasksApi } from './tasksApi';
import { formatTimes, formatUntil } from './timeText';
import type { SchedulerView } from './taskTypes';

/** Running and queued counts, the limits (editable), and why new work is held when it is. */
export function SchedulerBar({ scheduler, now }: { scheduler: SchedulerView | null; now: number }) {
  const [editing, setEditing] = useState(false);
  if (!scheduler) return <div className="scheduler-bar muted">Loading the scheduler…</div>;
  const { running, queued, limits, holdUntil } = scheduler;
  // A hold whose window has passed is over even before the server says so.
  const holdReason = scheduler.holdReason && !(holdUntil && Date.parse(holdUntil) <= now) ? scheduler.holdReason : null;
  return (
    <div className="scheduler-block">
      <div className="scheduler-bar" data-testid="scheduler-bar" data-running={running} data-queued={queued} data-held={holdReason ? 'true' : 'false'}>
        <span className="scheduler-count">
          <strong data-testid="scheduler-running">{running}</strong> running
        </span>
        <span className="scheduler-count">
          <strong data-testid="scheduler-queued">{queued}</strong> queued
        </span>
        <span className="scheduler-sep" aria-hidden />
        {editing ? (
          <LimitsForm scheduler={scheduler} onDone={() => setEditing(false)} />
        ) : (
          <>
            <span className="muted" data-testid="scheduler-limits">
              limits: {limits.maxRunning} at once, {limits.maxPerProject} per project
            </span>
            <button className="small-button" data-testid="scheduler-edit" onClick={() => setEditing(true)}>
              Edit limits
            </button>
          </>
        )}
      </div>
      {holdReason && (
        <p className="scheduler-hold" role="status" data-testid="scheduler-hold">
          <strong>New tasks are held:</strong> {formatTimes(holdReason, now)}
          {holdUntil && !holdReason.includes(holdUntil) && <> — resumes at {formatUntil(holdUntil, now)}</>}
        </p>
      )}
    </div>
  );
}

function LimitsForm({ scheduler, onDone }: { scheduler: SchedulerView; onDone: () => void }) {
  const [maxRunning, setMaxRunning] = useState(String(scheduler.limits.maxRunning));
  const [maxPerProject, setMaxPerProject] = useState(String(scheduler.limits.maxPerProject));
  const [error, setError] = useState<ShownError | null>(null);
  const [saving, setSaving] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const a = Number(maxRunning);
    const b = Number(maxPerProject);
    if (![a, b].every((n) => Number.isInteger(n) && n >= 1 && n <= 200)) {
      setError({ code: 'invalid', message: 'Limits are whole numbers from 1 to 200.' });
      return;
    }
    setSaving(true);
    try {
      setScheduler(await tasksApi.setLimits({ maxRunning: a, maxPerProject: b }));
      onDone();
    } catch (err) {
      setError(shownError(err));
      setSaving(false);
    }
  };

  return (
    <form className="limits-form" onSubmit={(e) => void submit(e)} noValidate>
      <label>
        at once
        <input data-testid="limit-max-running" inputMode="numeric" value={maxRunning} autoFocus onChange={(e) => setMaxRunning(e.target.value)} />
      </label>
      <label>
        per project
        <input data-testid="limit-max-per-project" inputMode="numeric" value={maxPerProject} onChange={(e) => setMaxPerProject(e.target.value)} />
      </label>
      <button type="submit" className="small-button" data-testid="limits-save" disabled={saving}>
        Save
      </button>
      <button type="button" className="small-button" onClick={onDone}>
        Cancel
      </button>
      <ErrorLine error={error} testId="limits-error" />
    </form>
  );
}
