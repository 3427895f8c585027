/**
 * REST types of workflows, their runs and approvals: aliases into the generated `schema.d.ts`
 * (never hand-edit it; change the Rust types and run `scripts/gen-api`).
 */
import type { components } from '../../shared/api/schema';

type Schemas = components['schemas'];

export type WorkflowView = Schemas['WorkflowView'];
/** `GET /api/workflows/{id}`: the workflow, its steps (when valid) and its latest runs. */
export type WorkflowDetailView = Schemas['WorkflowDetailView'];
export type CreateWorkflowRequest = Schemas['CreateWorkflowRequest'];
export type UpdateWorkflowRequest = Schemas['UpdateWorkflowRequest'];
/** One problem of a definition: a stable code, a message, the steps it is about, where. */
export type ValidationProblem = Schemas['ProblemView'];
/** A step as the validator read it (enough to draw the graph). */
export type StepShape = Pick<Schemas['StepDefView'], 'id' | 'name' | 'type' | 'dependsOn'>;
export type ValidationView = Schemas['ValidationView'];
export type WorkflowRunView = Schemas['WorkflowRunView'];
export type WorkflowRunStep = Schemas['StepRunView'];
/** An approval step waiting for a person (the inbox lists them). */
export type ApprovalView = Schemas['ApprovalView'];

/** What started a run (`trigger` is `{event: "manual" | "schedule" | "push" | …, …}`). */
export function triggerLabel(trigger: unknown): string {
  if (typeof trigger === 'string') return trigger;
  if (typeof trigger !== 'object' || trigger === null) return 'unknown';
  const t = trigger as Record<string, unknown>;
  const event = typeof t.event === 'string' ? t.event : typeof t.type === 'string' ? t.type : null;
  if (!event) return 'unknown';
  const branch = typeof t.branch === 'string' ? ` ${t.branch}` : '';
  return `${event}${branch}`;
}
