//! The workflow definition language: what a workflow *is*, not how it runs. Pure — no I/O, no
//! async, no store; the engine in `orchestrator` executes what this crate parses.
//!
//! - [`parse()`] (`parse.rs`): YAML text → a validated [`Workflow`], or **every** [`Problem`]
//!   found, each with a stable [`ProblemCode`], a message and the offending step ids (line and
//!   column too when the YAML itself is broken, or where the step's `id:` is).
//! - `model.rs`: [`Workflow`], [`Step`], [`StepKind`], [`GitOp`], [`Triggers`]; the queries an
//!   engine asks: [`Workflow::order`], [`Workflow::ready`], [`Workflow::dependents`].
//! - `problem.rs`: [`Problem`] and [`ProblemCode`].
//! - [`expr`]: the small, safe language of step `condition:`s (no JavaScript).
//! - [`cron`]: 5-field cron schedules in UTC and their next fire time.
//! - `graph.rs`: topological order and cycle detection over step indices.
//! - `branch.rs`: Git branch-name rules (the same as `gitops`, which this crate cannot use).
//! - `duration.rs`: `30`, `"30s"`, `"5m"`, `"1h30m"`.
//!
//! # YAML
//! ```yaml
//! name: nightly                  # required
//! description: optional text
//! parallel: { enabled: true, maxConcurrent: 3 }     # defaults; maxConcurrent 1..=50
//! triggers:
//!   manual: true                 # default
//!   schedule: "0 2 * * *"        # cron, UTC
//!   webhook: { events: [push, pull_request], branches: [main, "release/*"] }
//! steps:
//!   - id: build                  # 1-64 of [A-Za-z0-9_-], unique
//!     name: optional label
//!     type: claude_task          # claude_task | git_operation | shell_command | wait | approval
//!     dependsOn: [setup]
//!     condition: steps.setup.status == 'succeeded'
//!     timeout: 30m               # seconds or "30s" / "5m" / "1h"
//!     config: { prompt: "...", branch: feature/x, base: main, taskType: feature, autoPR: true }
//! ```
//! `config` per type: `git_operation` takes `operation` (`checkout` | `merge` | `push` |
//! `create_pr`) with `branch`, `into` (merge), `branches`/`branch`, `targetBranch`, `title`,
//! `draft` (create_pr); `shell_command` takes `command`, `branch`; `wait` takes `duration`;
//! `approval` takes `message`, `approvers`. Unknown fields anywhere are problems
//! ([`ProblemCode::UnknownField`], with a "did you mean"), except top-level `x-…` keys, which
//! are left to the author — e.g. anchors reused through aliases and merge keys
//! (`x-defaults: &task {...}` … `- {<<: *task, id: a}`).

pub mod cron;
pub mod expr;

mod branch;
mod duration;
mod graph;
mod model;
mod parse;
mod problem;

pub use branch::{validate_branch_name, validate_branch_pattern, MAX_BRANCH_NAME};
pub use duration::{parse_duration, MAX_DURATION_SECS};
pub use model::{
    GitOp, Parallel, Step, StepKind, Triggers, WebhookTrigger, Workflow, DEFAULT_MAX_CONCURRENT,
    GIT_OPERATIONS, MAX_CONCURRENT_LIMIT, STEP_TYPES, TASK_TYPES, WEBHOOK_EVENTS,
};
pub use parse::{
    outline, parse, validate_step_id, OutlineStep, MAX_DEFINITION_BYTES, MAX_NAME_CHARS, MAX_STEPS,
    MAX_STEP_ID,
};
pub use problem::{Problem, ProblemCode};
