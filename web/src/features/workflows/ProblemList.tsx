import { problemWhere, sortProblems } from './problems';
import type { ValidationProblem } from './workflowTypes';

/** Each problem with its code, message, where (line/column) and the steps it names. */
export function ProblemList({ problems, onGoto }: { problems: readonly ValidationProblem[]; onGoto?: (line: number, column: number) => void }) {
  return (
    <ul className="wf-problems" data-testid="workflow-problems" data-count={problems.length}>
      {sortProblems(problems).map((p, i) => {
        const where = problemWhere(p);
        return (
          <li key={`${p.code}-${i}`} className="wf-problem" data-testid="workflow-problem" data-code={p.code} data-steps={(p.stepIds ?? []).join(' ')}>
            <span className="toast-code">{p.code}</span>
            <span className="wf-problem-message">{p.message}</span>
            {(p.stepIds ?? []).length > 0 && (
              <span className="wf-problem-steps">
                {p.stepIds.map((id) => (
                  <code key={id} className="wf-step-id">
                    {id}
                  </code>
                ))}
              </span>
            )}
            {where &&
              (onGoto && p.line != null ? (
                <button type="button" className="link-button wf-problem-where" onClick={() => onGoto(p.line ?? 1, p.column ?? 1)}>
                  {where}
                </button>
              ) : (
                <span className="muted wf-problem-where">{where}</span>
              ))}
          </li>
        );
      })}
    </ul>
  );
}
