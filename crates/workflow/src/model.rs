//! The parsed, validated workflow and the queries an engine asks of it.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Default for [`Parallel::max_concurrent`].
pub const DEFAULT_MAX_CONCURRENT: u32 = 3;
/// Largest accepted [`Parallel::max_concurrent`].
pub const MAX_CONCURRENT_LIMIT: u32 = 50;

/// A parsed, validated workflow.
///
/// Serialized (JSON) as `{name, description, steps, parallel, triggers}`, each step as
/// `{id, name, dependsOn, condition, timeoutSecs, type, config}`: the YAML's shape, with
/// durations in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workflow {
    pub name: String,
    pub description: Option<String>,
    pub steps: Vec<Step>,
    pub parallel: Parallel,
    pub triggers: Triggers,
}

/// How many steps may run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parallel {
    /// Default `true`. When `false` steps run one at a time.
    pub enabled: bool,
    /// Default 3, within `1..=50`.
    pub max_concurrent: u32,
}

impl Default for Parallel {
    fn default() -> Self {
        Parallel {
            enabled: true,
            max_concurrent: DEFAULT_MAX_CONCURRENT,
        }
    }
}

/// What starts a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Triggers {
    /// Default `true`: the user may start a run.
    pub manual: bool,
    /// A 5-field cron expression (UTC), already validated by [`crate::cron::parse`].
    pub schedule: Option<String>,
    pub webhook: Option<WebhookTrigger>,
}

impl Default for Triggers {
    fn default() -> Self {
        Triggers {
            manual: true,
            schedule: None,
            webhook: None,
        }
    }
}

impl Triggers {
    /// The parsed [`Triggers::schedule`], if any (it was validated when parsed, so `None` means
    /// there is no schedule, or the value was never validated).
    pub fn cron_schedule(&self) -> Option<crate::cron::Schedule> {
        self.schedule
            .as_deref()
            .and_then(|s| crate::cron::parse(s).ok())
    }
}

/// The forge webhook events that start a run.
pub const WEBHOOK_EVENTS: [&str; 2] = ["push", "pull_request"];

/// Runs on forge webhook deliveries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookTrigger {
    /// Some of [`WEBHOOK_EVENTS`], at least one.
    pub events: Vec<String>,
    /// Branch filter; empty = every branch. A pattern may use `*` for any run of characters
    /// (`release/*`).
    pub branches: Vec<String>,
}

impl WebhookTrigger {
    /// Whether a delivery of `event` about `branch` starts a run. `branch` is the short name
    /// (`main`, not `refs/heads/main`); `None` (an event without a branch) passes only when there
    /// is no branch filter.
    pub fn matches(&self, event: &str, branch: Option<&str>) -> bool {
        if !self.events.iter().any(|e| e == event) {
            return false;
        }
        if self.branches.is_empty() {
            return true;
        }
        match branch {
            Some(b) => self.branches.iter().any(|p| glob_match(p, b)),
            None => false,
        }
    }
}

/// `*` matches any run of characters (including `/`); everything else literally.
fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// One step of a workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// 1–64 characters of `[A-Za-z0-9_-]`, unique in the workflow.
    pub id: String,
    pub name: Option<String>,
    /// Ids of steps that must finish first (all exist; no cycles).
    pub depends_on: Vec<String>,
    /// Source of a [`crate::expr`] expression; the step runs only when it is truthy. Only
    /// refers to steps this one (transitively) depends on.
    pub condition: Option<String>,
    /// YAML `timeout`: seconds, or `"30s"`, `"5m"`, `"1h"`, `"1h30m"`.
    pub timeout_secs: Option<u64>,
    #[serde(flatten)]
    pub kind: StepKind,
}

impl Step {
    /// The name to show: `name`, or the id.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }

    /// The parsed condition, if any (validated when the workflow was parsed).
    pub fn condition_expr(&self) -> Option<Result<crate::expr::Expr, crate::expr::ExprError>> {
        self.condition.as_deref().map(crate::expr::parse)
    }
}

/// The step types allowed in YAML `type:`.
pub const STEP_TYPES: [&str; 5] = [
    "claude_task",
    "git_operation",
    "shell_command",
    "wait",
    "approval",
];

/// The task types a `claude_task` may name (`config.taskType`), as for tasks.
pub const TASK_TYPES: [&str; 5] = ["feature", "bugfix", "refactor", "review", "custom"];

/// What a step does. YAML: `type:` plus `config:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    content = "config",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum StepKind {
    /// A headless Claude run in a sandbox.
    ClaudeTask {
        prompt: String,
        /// The branch to work on (a valid Git branch name).
        branch: Option<String>,
        /// The branch to start from.
        base: Option<String>,
        /// One of [`TASK_TYPES`].
        task_type: Option<String>,
        /// YAML `autoPR` (or `autoPr`); default `false`.
        #[serde(rename = "autoPR")]
        auto_pr: bool,
    },
    GitOperation(GitOp),
    ShellCommand {
        command: String,
        branch: Option<String>,
    },
    /// YAML `duration`: seconds, or `"30s"`, `"5m"`, `"1h"`.
    Wait {
        duration_secs: u64,
    },
    /// Waits for a person's answer in the inbox.
    Approval {
        message: Option<String>,
        approvers: Vec<String>,
    },
}

impl StepKind {
    /// The YAML `type:` of this kind.
    pub fn type_name(&self) -> &'static str {
        match self {
            StepKind::ClaudeTask { .. } => "claude_task",
            StepKind::GitOperation(_) => "git_operation",
            StepKind::ShellCommand { .. } => "shell_command",
            StepKind::Wait { .. } => "wait",
            StepKind::Approval { .. } => "approval",
        }
    }
}

/// The git operations allowed in `config.operation`.
pub const GIT_OPERATIONS: [&str; 4] = ["checkout", "merge", "push", "create_pr"];

/// A `git_operation` step. YAML: `config.operation` plus its fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "operation",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum GitOp {
    Checkout {
        branch: String,
    },
    Merge {
        branch: String,
        into: Option<String>,
    },
    Push {
        branch: String,
    },
    /// YAML `branches: [...]` or a single `branch:`; `targetBranch`, `title`, `draft`.
    CreatePr {
        branches: Vec<String>,
        target_branch: Option<String>,
        title: Option<String>,
        draft: bool,
    },
}

impl Workflow {
    /// Looks a step up by id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// How many steps may run at once: `parallel.maxConcurrent`, or 1 when parallelism is off.
    pub fn concurrency(&self) -> u32 {
        if self.parallel.enabled {
            self.parallel.max_concurrent.max(1)
        } else {
            1
        }
    }

    /// Step ids in a valid execution order: topological, and among steps that could go next,
    /// the one earliest in the file first. (On an unvalidated workflow with a cycle, the steps on
    /// it follow the rest in file order.)
    pub fn order(&self) -> Vec<String> {
        crate::graph::topological_order(&self.graph_edges())
            .into_iter()
            .map(|i| self.steps[i].id.clone())
            .collect()
    }

    /// Steps whose dependencies are all in `done` and that are not themselves in `done` or
    /// `started`, in file order. `done` is every finished step whatever its outcome (succeeded,
    /// failed, skipped); what a failure means for its dependents is the engine's call.
    pub fn ready<'a>(&'a self, done: &HashSet<String>, started: &HashSet<String>) -> Vec<&'a Step> {
        self.steps
            .iter()
            .filter(|s| !done.contains(&s.id) && !started.contains(&s.id))
            .filter(|s| s.depends_on.iter().all(|d| done.contains(d)))
            .collect()
    }

    /// Every step that depends on `id`, directly or not, in file order (e.g. to skip them when
    /// `id` fails).
    pub fn dependents(&self, id: &str) -> Vec<&Step> {
        let mut reached: HashSet<&str> = HashSet::from([id]);
        let mut changed = true;
        while changed {
            changed = false;
            for s in &self.steps {
                if !reached.contains(s.id.as_str())
                    && s.depends_on.iter().any(|d| reached.contains(d.as_str()))
                {
                    reached.insert(&s.id);
                    changed = true;
                }
            }
        }
        self.steps
            .iter()
            .filter(|s| s.id != id && reached.contains(s.id.as_str()))
            .collect()
    }

    /// Every step `id` depends on, directly or not, in file order.
    pub fn ancestors(&self, id: &str) -> Vec<&Step> {
        let index: HashMap<&str, &Step> = self.steps.iter().map(|s| (s.id.as_str(), s)).collect();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut todo: Vec<&str> = index
            .get(id)
            .map(|s| s.depends_on.iter().map(String::as_str).collect())
            .unwrap_or_default();
        while let Some(d) = todo.pop() {
            if d != id && seen.insert(d) {
                if let Some(s) = index.get(d) {
                    todo.extend(s.depends_on.iter().map(String::as_str));
                }
            }
        }
        self.steps
            .iter()
            .filter(|s| seen.contains(s.id.as_str()))
            .collect()
    }

    /// Edges as indices: `edges[i]` = the steps `i` depends on (first occurrence of each id).
    fn graph_edges(&self) -> Vec<Vec<usize>> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, s) in self.steps.iter().enumerate() {
            index.entry(s.id.as_str()).or_insert(i);
        }
        self.steps
            .iter()
            .map(|s| {
                s.depends_on
                    .iter()
                    .filter_map(|d| index.get(d.as_str()).copied())
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        for (p, t, want) in [
            ("main", "main", true),
            ("main", "mainx", false),
            ("release/*", "release/1.0", true),
            ("release/*", "release", false),
            ("*", "anything/at/all", true),
            ("feat-*-x", "feat-a-x", true),
            ("feat-*-x", "feat--x", true),
            ("feat-*-x", "feat-x", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "acb", false),
        ] {
            assert_eq!(glob_match(p, t), want, "{p} vs {t}");
        }
    }
}
