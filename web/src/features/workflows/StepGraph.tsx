import { useMemo } from 'react';
import { NODE_H, NODE_W, layoutGraph } from './graph';
import type { StepShape, ValidationProblem, WorkflowRunStep } from './workflowTypes';

interface StepGraphProps {
  steps: readonly StepShape[];
  /** The selected run's step states (colours the nodes). */
  states?: ReadonlyMap<string, WorkflowRunStep>;
  /** Validation problems by step id (outlines the nodes red). */
  problems?: ReadonlyMap<string, ValidationProblem[]>;
  selected?: string | null;
  onSelect?: (stepId: string) => void;
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The steps as boxes in columns by dependency depth, with an arrow from each dependency. */
export function StepGraph({ steps, states, problems, selected = null, onSelect }: StepGraphProps) {
  const layout = useMemo(() => layoutGraph(steps), [steps]);
  if (layout.nodes.length === 0) return <p className="muted">No steps to draw.</p>;
  return (
    <div className="wf-graph" data-testid="workflow-graph">
      {/* Shrinks to fit the pane down to 70 %, then scrolls. */}
      <svg
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        style={{ width: '100%', maxWidth: layout.width, minWidth: Math.round(layout.width * 0.7) }}
        role="img"
        aria-label="Workflow steps"
      >
        <defs>
          <marker id="wf-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" className="wf-arrow" />
          </marker>
        </defs>
        {layout.edges.map((e) => (
          <path
            key={`${e.from}->${e.to}`}
            d={e.path}
            className={e.back ? 'wf-edge wf-edge-back' : 'wf-edge'}
            markerEnd="url(#wf-arrow)"
            data-testid={`graph-edge-${e.from}-${e.to}`}
          />
        ))}
        {layout.nodes.map((n) => {
          const state = states?.get(n.id);
          const status = state?.status ?? (states ? 'pending' : 'none');
          const bad = (problems?.get(n.id)?.length ?? 0) > 0 || n.cyclic || n.missing.length > 0;
          const title = [
            `${n.id}${n.name ? ` — ${n.name}` : ''}`,
            `type: ${n.type}`,
            state ? `status: ${state.status}` : null,
            state?.error ? `error: ${state.error}` : null,
            n.missing.length ? `missing dependencies: ${n.missing.join(', ')}` : null,
            n.cyclic ? 'on a dependency cycle' : null,
            ...(problems?.get(n.id) ?? []).map((p) => p.message),
          ]
            .filter(Boolean)
            .join('\n');
          return (
            <g
              key={n.id}
              transform={`translate(${n.x} ${n.y})`}
              className={`wf-node wf-status-${status}${bad ? ' wf-node-bad' : ''}${selected === n.id ? ' wf-node-selected' : ''}`}
              data-testid={`graph-node-${n.id}`}
              data-status={status}
              data-level={n.level}
              onClick={onSelect ? () => onSelect(n.id) : undefined}
              role={onSelect ? 'button' : undefined}
            >
              <title>{title}</title>
              <rect width={NODE_W} height={NODE_H} rx={6} />
              <text x={10} y={19} className="wf-node-name">
                {clip(n.name || n.id, 24)}
              </text>
              <text x={10} y={36} className="wf-node-meta">
                {clip(`${n.type}${state ? ` · ${state.status}` : ''}`, 28)}
              </text>
              {(n.missing.length > 0 || n.cyclic) && (
                <text x={NODE_W - 16} y={19} className="wf-node-warn">
                  !
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </div>
  );
}
