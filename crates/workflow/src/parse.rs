//! YAML text → [`Workflow`], collecting every problem on the way.
//!
//! The YAML is read into a generic value first (so broken YAML gets a line and column), then
//! walked by hand rather than deserialized with serde: a derive stops at the first error, and
//! this walk reports all of them, each with the step it belongs to.

use crate::branch::{validate_branch_name, validate_branch_pattern};
use crate::duration::{check_range, parse_duration};
use crate::model::{
    GitOp, Parallel, Step, StepKind, Triggers, WebhookTrigger, Workflow, DEFAULT_MAX_CONCURRENT,
    GIT_OPERATIONS, MAX_CONCURRENT_LIMIT, STEP_TYPES, TASK_TYPES, WEBHOOK_EVENTS,
};
use crate::problem::{Problem, ProblemCode as Code};
use crate::{cron, expr, graph};
use serde::Serialize;
use serde_yaml::{Mapping, Value as Y};
use std::collections::{HashMap, HashSet};

/// Largest definition accepted, in bytes.
pub const MAX_DEFINITION_BYTES: usize = 256 * 1024;
/// Most steps a workflow may have.
pub const MAX_STEPS: usize = 200;
/// Longest workflow name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest step id, in characters.
pub const MAX_STEP_ID: usize = 64;

const TOP_KEYS: &[&str] = &["name", "description", "parallel", "triggers", "steps"];
const PARALLEL_KEYS: &[&str] = &["enabled", "maxConcurrent"];
const TRIGGER_KEYS: &[&str] = &["manual", "schedule", "webhook"];
const WEBHOOK_KEYS: &[&str] = &["events", "branches"];
const STEP_KEYS: &[&str] = &[
    "id",
    "name",
    "type",
    "dependsOn",
    "condition",
    "timeout",
    "config",
];
const CLAUDE_KEYS: &[&str] = &["prompt", "branch", "base", "taskType", "autoPR", "autoPr"];
const SHELL_KEYS: &[&str] = &["command", "branch"];
const WAIT_KEYS: &[&str] = &["duration"];
const APPROVAL_KEYS: &[&str] = &["message", "approvers"];
const CHECKOUT_KEYS: &[&str] = &["operation", "branch"];
const MERGE_KEYS: &[&str] = &["operation", "branch", "into"];
const PUSH_KEYS: &[&str] = &["operation", "branch"];
const CREATE_PR_KEYS: &[&str] = &[
    "operation",
    "branch",
    "branches",
    "targetBranch",
    "title",
    "draft",
];
const ANY_GIT_KEYS: &[&str] = &[
    "operation",
    "branch",
    "branches",
    "into",
    "targetBranch",
    "title",
    "draft",
];

/// Checks a step id: 1–64 characters of `[A-Za-z0-9_-]`.
pub fn validate_step_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("a step id cannot be empty".into());
    }
    if id.chars().count() > MAX_STEP_ID {
        return Err(format!(
            "step id `{}` is longer than {MAX_STEP_ID} characters",
            crate::branch::shown(id)
        ));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(format!(
            "step id `{}` contains `{}`: use letters, digits, `_` and `-`",
            crate::branch::shown(id),
            c.escape_default()
        ));
    }
    Ok(())
}

/// Parses and validates a workflow definition. `Err` holds every problem found, in the order of
/// the file, then those of the step graph (missing dependencies, cycles, conditions).
pub fn parse(yaml: &str) -> Result<Workflow, Vec<Problem>> {
    if yaml.len() > MAX_DEFINITION_BYTES {
        return Err(vec![Problem::new(
            Code::InvalidYaml,
            format!(
                "the definition is {} bytes, more than the limit of {MAX_DEFINITION_BYTES}",
                yaml.len()
            ),
            vec![],
        )]);
    }
    // Anchors and aliases resolve while reading; merge keys (`<<: *defaults`) are applied here.
    let doc: Y =
        match serde_yaml::from_str::<Y>(yaml).and_then(|mut doc| doc.apply_merge().map(|()| doc)) {
            Ok(doc) => doc,
            Err(e) => {
                let loc = e.location();
                return Err(vec![Problem {
                    code: Code::InvalidYaml,
                    message: format!("not valid YAML: {e}"),
                    step_ids: vec![],
                    line: loc.as_ref().map(|l| l.line()),
                    column: loc.as_ref().map(|l| l.column()),
                }]);
            }
        };
    let mut c = Checker::default();
    let (head, drafts) = c.workflow(&doc);
    c.graph(&drafts);
    let mut problems = c.problems;
    if problems.is_empty() {
        if let Some(head) = head {
            let steps: Option<Vec<Step>> = drafts.into_iter().map(Draft::into_step).collect();
            if let Some(steps) = steps {
                return Ok(Workflow {
                    name: head.name,
                    description: head.description,
                    steps,
                    parallel: head.parallel,
                    triggers: head.triggers,
                });
            }
        }
        // Unreachable in practice: every `None` above was reported as a problem.
        problems.push(Problem::new(
            Code::InvalidValue,
            "the definition is incomplete",
            vec![],
        ));
    }
    locate(yaml, &mut problems);
    Err(problems)
}

/// Everything but the steps.
struct Head {
    name: String,
    description: Option<String>,
    parallel: Parallel,
    triggers: Triggers,
}

/// A step as far as it could be read.
struct Draft {
    /// The id as written (even if invalid), for the graph checks.
    id: Option<String>,
    name: Option<String>,
    depends_on: Vec<String>,
    condition: Option<(String, Option<expr::Expr>)>,
    timeout_secs: Option<u64>,
    kind: Option<StepKind>,
}

impl Draft {
    fn into_step(self) -> Option<Step> {
        Some(Step {
            id: self.id?,
            name: self.name,
            depends_on: self.depends_on,
            condition: self.condition.map(|(src, _)| src),
            timeout_secs: self.timeout_secs,
            kind: self.kind?,
        })
    }
}

/// Who a problem is about: the label used in messages and the ids it carries.
#[derive(Clone)]
struct Who {
    label: String,
    ids: Vec<String>,
}

impl Who {
    fn workflow() -> Who {
        Who {
            label: String::new(),
            ids: vec![],
        }
    }

    /// `"step `x`: "` or `""`.
    fn prefix(&self) -> String {
        if self.label.is_empty() {
            String::new()
        } else {
            format!("{}: ", self.label)
        }
    }
}

#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn report(&mut self, code: Code, who: &Who, message: impl AsRef<str>) {
        self.problems.push(Problem::new(
            code,
            format!("{}{}", who.prefix(), message.as_ref()),
            who.ids.clone(),
        ));
    }

    /// The head (`None` if it could not be read: reported) and every step read.
    fn workflow(&mut self, doc: &Y) -> (Option<Head>, Vec<Draft>) {
        let who = Who::workflow();
        let empty = Mapping::new();
        let map = match doc {
            Y::Mapping(m) => m,
            Y::Null => &empty,
            other => {
                self.report(
                    Code::InvalidValue,
                    &who,
                    format!(
                        "a workflow definition is a mapping with `name` and `steps`, not {}",
                        describe(other)
                    ),
                );
                return (None, vec![]);
            }
        };
        // `x-…` keys are for the author (anchors to reuse, notes), as in Compose files.
        let own: Mapping = map
            .iter()
            .filter(|(k, _)| !k.as_str().is_some_and(|k| k.starts_with("x-")))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        self.unknown_keys(&own, TOP_KEYS, &who, "");
        let name = self.required_string(map, "name", &who, "");
        if let Some(n) = &name {
            if n.chars().count() > MAX_NAME_CHARS {
                self.report(
                    Code::InvalidValue,
                    &who,
                    format!("`name` is longer than {MAX_NAME_CHARS} characters"),
                );
            }
        }
        let description = self.optional_string(map, "description", &who, "");
        let parallel = self.parallel(map.get("parallel"));
        let triggers = self.triggers(map.get("triggers"));
        let drafts = self.steps(map.get("steps"));
        let head = name.map(|name| Head {
            name,
            description,
            parallel,
            triggers,
        });
        (head, drafts)
    }

    fn parallel(&mut self, v: Option<&Y>) -> Parallel {
        let who = Who::workflow();
        let mut p = Parallel::default();
        let Some(map) = self.mapping(v, &who, "parallel") else {
            return p;
        };
        self.unknown_keys(map, PARALLEL_KEYS, &who, "parallel.");
        if let Some(b) = self.optional_bool(map, "enabled", &who, "parallel.") {
            p.enabled = b;
        }
        match present(map, "maxConcurrent") {
            None => p.max_concurrent = DEFAULT_MAX_CONCURRENT,
            Some(v) => match v.as_u64() {
                Some(n) if (1..=u64::from(MAX_CONCURRENT_LIMIT)).contains(&n) => p.max_concurrent = n as u32,
                _ => self.report(
                    Code::InvalidValue,
                    &who,
                    format!(
                        "`parallel.maxConcurrent` must be a whole number from 1 to {MAX_CONCURRENT_LIMIT}, not {}",
                        shown_value(v)
                    ),
                ),
            },
        }
        p
    }

    fn triggers(&mut self, v: Option<&Y>) -> Triggers {
        let who = Who::workflow();
        let mut t = Triggers::default();
        let Some(map) = self.mapping(v, &who, "triggers") else {
            return t;
        };
        self.unknown_keys(map, TRIGGER_KEYS, &who, "triggers.");
        if let Some(b) = self.optional_bool(map, "manual", &who, "triggers.") {
            t.manual = b;
        }
        if let Some(s) = self.optional_string(map, "schedule", &who, "triggers.") {
            match cron::parse(&s) {
                Ok(_) => t.schedule = Some(s.trim().to_owned()),
                Err(why) => self.report(
                    Code::InvalidCron,
                    &who,
                    format!("`triggers.schedule` `{s}`: {why}"),
                ),
            }
        }
        if let Some(hook) = self.mapping(map.get("webhook"), &who, "triggers.webhook") {
            self.unknown_keys(hook, WEBHOOK_KEYS, &who, "triggers.webhook.");
            let events = self.string_list(hook, "events", &who, "triggers.webhook.");
            let no_events = match present(hook, "events") {
                None => true,
                Some(Y::Sequence(items)) => items.is_empty(),
                Some(_) => false,
            };
            if no_events {
                self.report(
                    Code::MissingField,
                    &who,
                    format!(
                        "`triggers.webhook.events` is required (one or more of: {})",
                        WEBHOOK_EVENTS.join(", ")
                    ),
                );
            }
            for e in &events {
                if !WEBHOOK_EVENTS.contains(&e.as_str()) {
                    self.report(
                        Code::InvalidValue,
                        &who,
                        format!(
                            "unknown webhook event `{e}` (allowed: {})",
                            WEBHOOK_EVENTS.join(", ")
                        ),
                    );
                }
            }
            let branches = self.string_list(hook, "branches", &who, "triggers.webhook.");
            for b in &branches {
                if let Err(why) = validate_branch_pattern(b) {
                    self.report(
                        Code::InvalidBranch,
                        &who,
                        format!("`triggers.webhook.branches`: {why}"),
                    );
                }
            }
            t.webhook = Some(WebhookTrigger { events, branches });
        }
        t
    }

    fn steps(&mut self, v: Option<&Y>) -> Vec<Draft> {
        let who = Who::workflow();
        let items = match v {
            None | Some(Y::Null) => {
                self.report(
                    Code::MissingField,
                    &who,
                    "`steps` is required: a list of steps",
                );
                return vec![];
            }
            Some(Y::Sequence(items)) => items,
            Some(other) => {
                self.report(
                    Code::InvalidValue,
                    &who,
                    format!("`steps` must be a list, not {}", describe(other)),
                );
                return vec![];
            }
        };
        if items.is_empty() {
            self.report(
                Code::MissingField,
                &who,
                "`steps` is empty: a workflow needs at least one step",
            );
        }
        if items.len() > MAX_STEPS {
            self.report(
                Code::InvalidValue,
                &who,
                format!("{} steps, more than the limit of {MAX_STEPS}", items.len()),
            );
            return vec![];
        }
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.step(i, item))
            .collect()
    }

    fn step(&mut self, index: usize, v: &Y) -> Draft {
        let mut d = Draft {
            id: None,
            name: None,
            depends_on: vec![],
            condition: None,
            timeout_secs: None,
            kind: None,
        };
        let mut who = Who {
            label: format!("step #{}", index + 1),
            ids: vec![],
        };
        let Y::Mapping(map) = v else {
            self.report(
                Code::InvalidValue,
                &who,
                format!("a step must be a mapping, not {}", describe(v)),
            );
            return d;
        };
        match present(map, "id") {
            None => self.report(Code::MissingField, &who, "`id` is required"),
            Some(v) => match id_string(v) {
                Some(id) => {
                    who.ids = vec![id.clone()];
                    match validate_step_id(&id) {
                        Ok(()) => who.label = format!("step `{id}`"),
                        Err(why) => self.report(Code::InvalidStepId, &who, why),
                    }
                    d.id = Some(id);
                }
                None => self.report(
                    Code::InvalidStepId,
                    &who,
                    format!("`id` must be a string, not {}", describe(v)),
                ),
            },
        }
        self.unknown_keys(map, STEP_KEYS, &who, "");
        d.name = self.optional_string(map, "name", &who, "");
        if let Some(v) = present(map, "dependsOn") {
            let items: Vec<&Y> = match v {
                Y::Sequence(items) => items.iter().collect(),
                other => vec![other],
            };
            for item in items {
                match id_string(item) {
                    Some(dep) if !d.depends_on.contains(&dep) => d.depends_on.push(dep),
                    Some(_) => {}
                    None => self.report(
                        Code::InvalidValue,
                        &who,
                        format!("`dependsOn` lists step ids, not {}", describe(item)),
                    ),
                }
            }
        }
        if let Some(src) = self.optional_string(map, "condition", &who, "") {
            let parsed = match expr::parse(&src) {
                Ok(e) => Some(e),
                Err(e) => {
                    self.report(
                        Code::InvalidCondition,
                        &who,
                        format!("`condition` `{}`: {e}", src.trim()),
                    );
                    None
                }
            };
            d.condition = Some((src, parsed));
        }
        d.timeout_secs = match present(map, "timeout") {
            None => None,
            Some(v) => match duration(v) {
                Ok(0) => {
                    self.report(
                        Code::InvalidValue,
                        &who,
                        "`timeout` must be at least 1 second",
                    );
                    None
                }
                Ok(secs) => Some(secs),
                Err(why) => {
                    self.report(Code::InvalidValue, &who, format!("`timeout`: {why}"));
                    None
                }
            },
        };
        let ty = match present(map, "type") {
            None => {
                self.report(
                    Code::MissingField,
                    &who,
                    format!("`type` is required (one of: {})", STEP_TYPES.join(", ")),
                );
                None
            }
            Some(Y::String(t)) if STEP_TYPES.contains(&t.as_str()) => Some(t.as_str()),
            Some(other) => {
                self.report(
                    Code::UnknownStepType,
                    &who,
                    format!(
                        "unknown step type {} (allowed: {})",
                        shown_value(other),
                        STEP_TYPES.join(", ")
                    ),
                );
                None
            }
        };
        if let Some(ty) = ty {
            d.kind = self.config(ty, present(map, "config"), &who);
        }
        d
    }

    fn config(&mut self, ty: &str, v: Option<&Y>, who: &Who) -> Option<StepKind> {
        let empty = Mapping::new();
        let map = match v {
            None => &empty,
            Some(Y::Mapping(m)) => m,
            Some(other) => {
                self.report(
                    Code::InvalidValue,
                    who,
                    format!("`config` must be a mapping, not {}", describe(other)),
                );
                return None;
            }
        };
        let p = "config.";
        match ty {
            "claude_task" => {
                self.unknown_keys(map, CLAUDE_KEYS, who, p);
                let prompt = self.required_string(map, "prompt", who, p);
                let branch = self.optional_branch(map, "branch", who, p);
                let base = self.optional_branch(map, "base", who, p);
                let task_type = self.optional_string(map, "taskType", who, p);
                if let Some(t) = &task_type {
                    if !TASK_TYPES.contains(&t.as_str()) {
                        self.report(
                            Code::InvalidValue,
                            who,
                            format!(
                                "unknown `config.taskType` `{t}` (allowed: {})",
                                TASK_TYPES.join(", ")
                            ),
                        );
                    }
                }
                if present(map, "autoPR").is_some() && present(map, "autoPr").is_some() {
                    self.report(
                        Code::InvalidValue,
                        who,
                        "give `config.autoPR` once (not also `autoPr`)",
                    );
                }
                let auto_pr = self
                    .optional_bool(map, "autoPR", who, p)
                    .or(self.optional_bool(map, "autoPr", who, p));
                Some(StepKind::ClaudeTask {
                    prompt: prompt?,
                    branch: branch.ok()?,
                    base: base.ok()?,
                    task_type,
                    auto_pr: auto_pr.unwrap_or(false),
                })
            }
            "git_operation" => self.git_op(map, who).map(StepKind::GitOperation),
            "shell_command" => {
                self.unknown_keys(map, SHELL_KEYS, who, p);
                let command = self.required_string(map, "command", who, p);
                let branch = self.optional_branch(map, "branch", who, p);
                Some(StepKind::ShellCommand {
                    command: command?,
                    branch: branch.ok()?,
                })
            }
            "wait" => {
                self.unknown_keys(map, WAIT_KEYS, who, p);
                match present(map, "duration") {
                    None => {
                        self.report(
                            Code::MissingField,
                            who,
                            "`config.duration` is required (seconds, or \"30s\", \"5m\", \"1h\")",
                        );
                        None
                    }
                    Some(v) => match duration(v) {
                        Ok(duration_secs) => Some(StepKind::Wait { duration_secs }),
                        Err(why) => {
                            self.report(
                                Code::InvalidValue,
                                who,
                                format!("`config.duration`: {why}"),
                            );
                            None
                        }
                    },
                }
            }
            "approval" => {
                self.unknown_keys(map, APPROVAL_KEYS, who, p);
                let message = self.optional_string(map, "message", who, p);
                let approvers = self.string_list(map, "approvers", who, p);
                Some(StepKind::Approval { message, approvers })
            }
            _ => None,
        }
    }

    fn git_op(&mut self, map: &Mapping, who: &Who) -> Option<GitOp> {
        let p = "config.";
        let op = match present(map, "operation") {
            None => {
                self.report(
                    Code::MissingField,
                    who,
                    format!(
                        "`config.operation` is required (one of: {})",
                        GIT_OPERATIONS.join(", ")
                    ),
                );
                None
            }
            Some(Y::String(op)) if GIT_OPERATIONS.contains(&op.as_str()) => Some(op.as_str()),
            Some(other) => {
                self.report(
                    Code::InvalidValue,
                    who,
                    format!(
                        "unknown `config.operation` {} (allowed: {})",
                        shown_value(other),
                        GIT_OPERATIONS.join(", ")
                    ),
                );
                None
            }
        };
        let Some(op) = op else {
            // Still catch typos among the fields any operation could have.
            self.unknown_keys(map, ANY_GIT_KEYS, who, p);
            return None;
        };
        let keys = match op {
            "checkout" => CHECKOUT_KEYS,
            "merge" => MERGE_KEYS,
            "push" => PUSH_KEYS,
            _ => CREATE_PR_KEYS,
        };
        self.unknown_keys(map, keys, who, p);
        if op == "create_pr" {
            let single = self.optional_branch(map, "branch", who, p);
            let many = self.string_list(map, "branches", who, p);
            let mut ok = single.is_ok();
            let mut branches = Vec::new();
            if let Ok(Some(b)) = single {
                branches.push(b);
            }
            if present(map, "branch").is_some() && present(map, "branches").is_some() {
                self.report(
                    Code::InvalidValue,
                    who,
                    "give `config.branch` or `config.branches`, not both",
                );
                ok = false;
            }
            for b in many {
                match validate_branch_name(&b) {
                    Ok(()) if !branches.contains(&b) => branches.push(b),
                    Ok(()) => {}
                    Err(why) => {
                        self.report(
                            Code::InvalidBranch,
                            who,
                            format!("`config.branches`: {why}"),
                        );
                        ok = false;
                    }
                }
            }
            if branches.is_empty() && ok {
                self.report(
                    Code::MissingField,
                    who,
                    "`config.branches` (or `config.branch`) is required: the branches to open pull requests for",
                );
                ok = false;
            }
            let target_branch = self.optional_branch(map, "targetBranch", who, p);
            let title = self.optional_string(map, "title", who, p);
            let draft = self.optional_bool(map, "draft", who, p).unwrap_or(false);
            return match (ok, target_branch) {
                (true, Ok(target_branch)) => Some(GitOp::CreatePr {
                    branches,
                    target_branch,
                    title,
                    draft,
                }),
                _ => None,
            };
        }
        let branch = self.required_branch(map, "branch", who, p);
        match op {
            "checkout" => Some(GitOp::Checkout { branch: branch? }),
            "push" => Some(GitOp::Push { branch: branch? }),
            _ => {
                let into = self.optional_branch(map, "into", who, p);
                Some(GitOp::Merge {
                    branch: branch?,
                    into: into.ok()?,
                })
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // The graph: ids, dependencies, cycles, conditions.

    fn graph(&mut self, drafts: &[Draft]) {
        // Every id as written (valid or not), first occurrence → index.
        let mut first: HashMap<&str, usize> = HashMap::new();
        let mut seen_at: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, d) in drafts.iter().enumerate() {
            if let Some(id) = &d.id {
                first.entry(id.as_str()).or_insert(i);
                seen_at.entry(id.as_str()).or_default().push(i);
            }
        }
        let mut reported: HashSet<&str> = HashSet::new();
        for d in drafts {
            let Some(id) = &d.id else { continue };
            let at = &seen_at[id.as_str()];
            if at.len() > 1 && reported.insert(id) {
                let steps: Vec<String> = at.iter().map(|i| format!("#{}", i + 1)).collect();
                self.problems.push(Problem::new(
                    Code::DuplicateStepId,
                    format!(
                        "step id `{id}` is used by {} steps ({})",
                        at.len(),
                        steps.join(", ")
                    ),
                    vec![id.clone()],
                ));
            }
        }
        let all_ids: Vec<&str> = first.keys().copied().collect();
        for (i, d) in drafts.iter().enumerate() {
            let label = match &d.id {
                Some(id) => format!("step `{id}`"),
                None => format!("step #{}", i + 1),
            };
            for dep in &d.depends_on {
                if !first.contains_key(dep.as_str()) {
                    let mut ids: Vec<String> = d.id.iter().cloned().collect();
                    ids.push(dep.clone());
                    let hint = suggest(dep, &all_ids)
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default();
                    self.problems.push(Problem::new(
                        Code::MissingDependency,
                        format!("{label} depends on `{dep}`, which is not a step{hint}"),
                        ids,
                    ));
                }
            }
        }
        let edges: Vec<Vec<usize>> = drafts
            .iter()
            .map(|d| {
                d.depends_on
                    .iter()
                    .filter_map(|dep| first.get(dep.as_str()).copied())
                    .collect()
            })
            .collect();
        for cycle in graph::cycles(&edges) {
            // Only steps with an id have edges into them, so every step on a cycle has one.
            let ids: Vec<String> = cycle.iter().filter_map(|&i| drafts[i].id.clone()).collect();
            let Some(head) = ids.first() else { continue };
            let message = if ids.len() == 1 {
                format!("step `{head}` depends on itself")
            } else {
                let ring: Vec<&str> = ids.iter().chain([head]).map(String::as_str).collect();
                format!(
                    "dependency cycle: {} (each step depends on the next)",
                    ring.join(" → ")
                )
            };
            self.problems.push(Problem::new(Code::Cycle, message, ids));
        }
        for (i, d) in drafts.iter().enumerate() {
            let Some((_, Some(cond))) = &d.condition else {
                continue;
            };
            let label = match &d.id {
                Some(id) => format!("step `{id}`"),
                None => format!("step #{}", i + 1),
            };
            let upstream = ancestors(&edges, i);
            for r in cond.step_refs() {
                let mut ids: Vec<String> = d.id.iter().cloned().collect();
                ids.push(r.clone());
                let problem = match first.get(r.as_str()) {
                    None => {
                        let hint =
                            suggest(&r, &all_ids).map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default();
                        Some(format!("{label}: `condition` refers to step `{r}`, which does not exist{hint}"))
                    }
                    Some(&j) if j == i => {
                        Some(format!("{label}: `condition` refers to the step itself, whose result is not known yet"))
                    }
                    Some(&j) if !upstream.contains(&j) => Some(format!(
                        "{label}: `condition` refers to step `{r}`, which it does not depend on: add `{r}` to \
                         `dependsOn` (directly or through another step) so its result is known"
                    )),
                    Some(_) => None,
                };
                if let Some(message) = problem {
                    self.problems
                        .push(Problem::new(Code::InvalidCondition, message, ids));
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Field readers: each reports its own problem and returns what it could read.

    fn unknown_keys(&mut self, map: &Mapping, allowed: &[&str], who: &Who, prefix: &str) {
        for key in map.keys() {
            let name = match key {
                Y::String(s) => s.clone(),
                other => shown_value(other),
            };
            if allowed.contains(&name.as_str()) {
                continue;
            }
            let hint = match suggest(&name, allowed) {
                Some(s) => format!("did you mean `{prefix}{s}`?"),
                None => format!("allowed: {}", allowed.join(", ")),
            };
            self.report(
                Code::UnknownField,
                who,
                format!("unknown field `{prefix}{name}` ({hint})"),
            );
        }
    }

    fn mapping<'y>(&mut self, v: Option<&'y Y>, who: &Who, field: &str) -> Option<&'y Mapping> {
        match v {
            None | Some(Y::Null) => None,
            Some(Y::Mapping(m)) => Some(m),
            Some(other) => {
                self.report(
                    Code::InvalidValue,
                    who,
                    format!("`{field}` must be a mapping, not {}", describe(other)),
                );
                None
            }
        }
    }

    fn optional_string(
        &mut self,
        map: &Mapping,
        key: &str,
        who: &Who,
        prefix: &str,
    ) -> Option<String> {
        match present(map, key)? {
            Y::String(s) => Some(s.clone()),
            other => {
                self.report(
                    Code::InvalidValue,
                    who,
                    format!("`{prefix}{key}` must be a string, not {}", describe(other)),
                );
                None
            }
        }
    }

    /// A string that must be there and not blank.
    fn required_string(
        &mut self,
        map: &Mapping,
        key: &str,
        who: &Who,
        prefix: &str,
    ) -> Option<String> {
        if present(map, key).is_none() {
            self.report(
                Code::MissingField,
                who,
                format!("`{prefix}{key}` is required"),
            );
            return None;
        }
        let s = self.optional_string(map, key, who, prefix)?;
        if s.trim().is_empty() {
            self.report(Code::MissingField, who, format!("`{prefix}{key}` is empty"));
            return None;
        }
        Some(s)
    }

    /// `Ok(None)` when absent; `Err` when present but not a valid branch (reported).
    fn optional_branch(
        &mut self,
        map: &Mapping,
        key: &str,
        who: &Who,
        prefix: &str,
    ) -> Result<Option<String>, ()> {
        if present(map, key).is_none() {
            return Ok(None);
        }
        let s = self.optional_string(map, key, who, prefix).ok_or(())?;
        match validate_branch_name(&s) {
            Ok(()) => Ok(Some(s)),
            Err(why) => {
                self.report(Code::InvalidBranch, who, format!("`{prefix}{key}`: {why}"));
                Err(())
            }
        }
    }

    fn required_branch(
        &mut self,
        map: &Mapping,
        key: &str,
        who: &Who,
        prefix: &str,
    ) -> Option<String> {
        if present(map, key).is_none() {
            self.report(
                Code::MissingField,
                who,
                format!("`{prefix}{key}` is required"),
            );
            return None;
        }
        self.optional_branch(map, key, who, prefix).ok().flatten()
    }

    fn optional_bool(&mut self, map: &Mapping, key: &str, who: &Who, prefix: &str) -> Option<bool> {
        match present(map, key)? {
            Y::Bool(b) => Some(*b),
            other => {
                self.report(
                    Code::InvalidValue,
                    who,
                    format!(
                        "`{prefix}{key}` must be true or false, not {}",
                        shown_value(other)
                    ),
                );
                None
            }
        }
    }

    /// A list of strings, or one string as a list of one; absent = empty.
    fn string_list(&mut self, map: &Mapping, key: &str, who: &Who, prefix: &str) -> Vec<String> {
        let items: Vec<&Y> = match present(map, key) {
            None => return vec![],
            Some(Y::Sequence(items)) => items.iter().collect(),
            Some(other) => vec![other],
        };
        let mut out = Vec::new();
        for item in items {
            match item {
                Y::String(s) => out.push(s.clone()),
                other => self.report(
                    Code::InvalidValue,
                    who,
                    format!("`{prefix}{key}` lists strings, not {}", describe(other)),
                ),
            }
        }
        out
    }
}

/// The value at `key`, treating an explicit `null` (`key:` with nothing) as absent.
fn present<'y>(map: &'y Mapping, key: &str) -> Option<&'y Y> {
    map.get(key).filter(|v| !v.is_null())
}

/// An id: a string, or a whole number written without quotes (`id: 1`).
fn id_string(v: &Y) -> Option<String> {
    match v {
        Y::String(s) => Some(s.clone()),
        Y::Number(n) if n.is_u64() || n.is_i64() => Some(n.to_string()),
        _ => None,
    }
}

/// A duration: whole seconds, or a string like `"5m"`.
fn duration(v: &Y) -> Result<u64, String> {
    match v {
        Y::Number(n) => match n.as_u64() {
            Some(secs) => check_range(secs),
            None => Err(format!(
                "{n} is not a whole, non-negative number of seconds"
            )),
        },
        Y::String(s) => parse_duration(s),
        other => Err(format!(
            "expected seconds or a string such as \"5m\", not {}",
            describe(other)
        )),
    }
}

fn describe(v: &Y) -> &'static str {
    match v {
        Y::Null => "nothing",
        Y::Bool(_) => "true/false",
        Y::Number(_) => "a number",
        Y::String(_) => "a string",
        Y::Sequence(_) => "a list",
        Y::Mapping(_) => "a mapping",
        Y::Tagged(_) => "a tagged value",
    }
}

/// A scalar as written (strings in backquotes), anything else described.
fn shown_value(v: &Y) -> String {
    match v {
        Y::String(s) => format!("`{}`", crate::branch::shown(s)),
        Y::Number(n) => n.to_string(),
        Y::Bool(b) => b.to_string(),
        other => describe(other).to_owned(),
    }
}

/// Indices `i` depends on, directly or not.
fn ancestors(edges: &[Vec<usize>], i: usize) -> HashSet<usize> {
    let mut seen = HashSet::new();
    let mut todo: Vec<usize> = edges[i].clone();
    while let Some(j) = todo.pop() {
        if seen.insert(j) {
            todo.extend(&edges[j]);
        }
    }
    seen
}

/// The closest allowed name: equal ignoring case and `_`/`-`, or within edit distance 2.
pub(crate) fn suggest<'a>(name: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    if let Some(s) = allowed.iter().find(|a| norm(a) == norm(name)) {
        return Some(s);
    }
    allowed
        .iter()
        .map(|a| (edit_distance(&norm(a), &norm(name)), *a))
        .filter(|(d, a)| *d <= 2 && d * 2 < norm(a).chars().count())
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two
/// neighbours (`tpye` → `type` is 1).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// Gives problems about a step the line and column of that step's `id:` (the second occurrence
/// for a duplicate id), when it can be found in the text.
fn locate(yaml: &str, problems: &mut [Problem]) {
    for p in problems.iter_mut().filter(|p| p.line.is_none()) {
        let Some(id) = p.step_ids.first() else {
            continue;
        };
        let nth = usize::from(p.code == Code::DuplicateStepId);
        if let Some((line, column)) = id_lines(yaml, id).get(nth) {
            p.line = Some(*line);
            p.column = Some(*column);
        }
    }
}

/// 1-based (line, column) of each `id: <id>` in the text: block style (`- id: a`) or flow
/// style (`- {id: a, …}`). A heuristic for pointing an editor at a step, not a YAML parser.
fn id_lines(yaml: &str, id: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (n, line) in yaml.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i + 3 <= chars.len() {
            let is_key = chars[i..i + 3] == ['i', 'd', ':']
                && chars[..i]
                    .iter()
                    .rev()
                    .find(|c| !c.is_whitespace())
                    .is_none_or(|c| matches!(c, '-' | '{' | ','));
            if !is_key {
                i += 1;
                continue;
            }
            let rest: String = chars[i + 3..].iter().collect();
            let end = rest
                .find([',', '}'])
                .unwrap_or(rest.len())
                .min(rest.find(" #").unwrap_or(rest.len()));
            let value = rest[..end].trim();
            let unquoted = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(value);
            if unquoted == id {
                out.push((n + 1, i + 1));
            }
            i += 3;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        for (name, want) in [
            ("promt", Some("prompt")),
            ("depends_on", Some("dependsOn")),
            ("dependson", Some("dependsOn")),
            ("tpye", Some("type")),
            ("zzzzzz", None),
            ("x", None),
        ] {
            assert_eq!(
                suggest(
                    name,
                    STEP_KEYS
                        .iter()
                        .chain(CLAUDE_KEYS)
                        .copied()
                        .collect::<Vec<_>>()
                        .as_slice()
                ),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn finds_id_lines() {
        let yaml = "steps:\n  - id: a\n    type: wait\n  -   id: 'b'  # c\n  - name: x\n    id: \"a\"\n  - {id: c, dependsOn: [a]}\n  - {type: wait,id: d}\n    prompt: my id: c\n";
        assert_eq!(id_lines(yaml, "a"), vec![(2, 5), (6, 5)]);
        assert_eq!(id_lines(yaml, "b"), vec![(4, 7)]);
        assert_eq!(id_lines(yaml, "c"), vec![(7, 6)]);
        assert_eq!(id_lines(yaml, "d"), vec![(8, 17)]);
        assert_eq!(id_lines(yaml, "e"), vec![]);
    }

    #[test]
    fn step_ids() {
        assert!(validate_step_id("feature-auth_2").is_ok());
        assert!(validate_step_id(&"a".repeat(64)).is_ok());
        assert!(validate_step_id(&"a".repeat(65)).is_err());
        assert!(validate_step_id("").is_err());
        assert!(validate_step_id("a.b").is_err());
        assert!(validate_step_id("认证").is_err());
    }
}

/// One step as written, whatever problems the definition has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutlineStep {
    pub id: String,
    pub name: Option<String>,
    /// The `type` as written (may be unknown).
    pub kind: String,
    pub depends_on: Vec<String>,
}

/// The steps as written (ids, types, `dependsOn`), best effort, for drawing a definition that has
/// problems (a cycle, a missing dependency) next to them. Empty when the YAML does not parse or
/// has no step list; steps without an id are left out.
pub fn outline(yaml: &str) -> Vec<OutlineStep> {
    if yaml.len() > MAX_DEFINITION_BYTES {
        return vec![];
    }
    let Ok(doc) = serde_yaml::from_str::<Y>(yaml) else {
        return vec![];
    };
    let Some(steps) = doc.get("steps").and_then(Y::as_sequence) else {
        return vec![];
    };
    let scalar = |v: &Y| match v {
        Y::String(s) => Some(s.clone()),
        Y::Number(n) => Some(n.to_string()),
        Y::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    steps
        .iter()
        .take(MAX_STEPS)
        .filter_map(|s| {
            let id = s.get("id").and_then(scalar)?;
            let depends_on = match s.get("dependsOn") {
                Some(Y::Sequence(v)) => v.iter().filter_map(scalar).collect(),
                Some(v) => scalar(v).into_iter().collect(),
                None => vec![],
            };
            Some(OutlineStep {
                id,
                name: s.get("name").and_then(scalar),
                kind: s.get("type").and_then(scalar).unwrap_or_default(),
                depends_on,
            })
        })
        .collect()
}

#[cfg(test)]
mod outline_tests {
    use super::*;

    #[test]
    fn a_cycle_still_has_an_outline_and_junk_has_none() {
        let yaml = "name: x\nsteps:\n  - id: a\n    type: wait\n    dependsOn: [b]\n  - id: b\n    type: deploy\n    dependsOn: a\n  - {type: wait}\n";
        let o = outline(yaml);
        assert_eq!(o.len(), 2);
        assert_eq!(o[0].depends_on, vec!["b".to_string()]);
        assert_eq!(
            (o[1].kind.as_str(), o[1].depends_on.clone()),
            ("deploy", vec!["a".to_string()])
        );
        assert!(outline("name: [").is_empty());
        assert!(outline("name: x\n").is_empty());
    }
}
