import type { LogItem, RunOutcome } from './runLog';
import { formatCost, formatUsage } from './runLog';

/** A run's typed event log: init, assistant text, tool use, tool results, the final result. */
export function RunEventLog({ items }: { items: LogItem[] }) {
  if (items.length === 0) return <p className="muted">No events yet.</p>;
  const texts = items.filter((i) => i.kind === 'text');
  const lastText = texts[texts.length - 1];
  return (
    <ol className="run-log" data-testid="run-log">
      {items.map((item) => (
        <li key={item.key} className={`run-event run-event-${item.kind}`} data-testid="run-event" data-kind={item.kind}>
          <LogEntry item={item} repeated={lastText?.text ?? null} />
        </li>
      ))}
    </ol>
  );
}

/** `repeated`: the last assistant text, which the result usually repeats (shown once). */
function LogEntry({ item, repeated }: { item: LogItem; repeated: string | null }) {
  switch (item.kind) {
    case 'init':
      return (
        <span className="muted">
          Started{item.model ? ` · ${item.model}` : ''}
          {item.tools > 0 ? ` · ${item.tools} tools` : ''}
          {item.cwd ? ` · ${item.cwd}` : ''}
        </span>
      );
    case 'text':
      return <p className="run-text">{item.text}</p>;
    case 'tool_use':
      return (
        <div>
          <span className="run-tool">{item.name}</span> <code className="run-input">{item.input}</code>
        </div>
      );
    case 'tool_result':
      return (
        <div>
          <span className={item.isError ? 'run-tool error' : 'run-tool'}>
            {item.isError ? '✗' : '↳'} {item.tool ?? 'result'}
          </span>
          {item.text !== '' && <pre className="run-output">{item.text}</pre>}
        </div>
      );
    case 'result':
      return <Outcome outcome={item.outcome} hideText={item.outcome.text === repeated} />;
    case 'other':
      return <span className="muted">{item.type}</span>;
  }
}

export function Outcome({ outcome, hideText = false }: { outcome: RunOutcome; hideText?: boolean }) {
  return (
    <div className={outcome.ok ? 'run-outcome ok' : 'run-outcome failed'} data-testid="run-outcome" data-ok={outcome.ok}>
      <div className="run-outcome-head">
        <strong>{outcome.ok ? 'Done' : `Failed (${outcome.subtype})`}</strong>
        <span className="muted" data-testid="run-usage">
          {formatUsage(outcome.usage)} · {formatCost(outcome.costUsd)}
          {outcome.turns !== null ? ` · ${outcome.turns} turns` : ''}
          {outcome.durationMs !== null ? ` · ${(outcome.durationMs / 1000).toFixed(1)} s` : ''}
        </span>
      </div>
      {outcome.text && !hideText && <p className="run-text">{outcome.text}</p>}
    </div>
  );
}
