//! Valid definitions: the spec's example, every step type, defaults, and the engine queries.

use std::collections::HashSet;
use workflow::{GitOp, Parallel, StepKind, Triggers, WebhookTrigger, Workflow};

const SPEC_EXAMPLE: &str = include_str!("../fixtures/parallel-feature-development.yaml");

fn parse(yaml: &str) -> Workflow {
    workflow::parse(yaml).unwrap_or_else(|problems| {
        let lines: Vec<String> = problems
            .iter()
            .map(|p| format!("{}: {p}", p.code))
            .collect();
        panic!("{}", lines.join("\n"))
    })
}

fn set(ids: &[&str]) -> HashSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

fn ids(steps: &[&workflow::Step]) -> Vec<String> {
    steps.iter().map(|s| s.id.clone()).collect()
}

#[test]
fn the_spec_example_parses_as_written() {
    let wf = parse(SPEC_EXAMPLE);
    assert_eq!(wf.name, "parallel-feature-development");
    assert_eq!(wf.description.as_deref(), Some("在多个分支上并行开发功能"));
    assert_eq!(
        wf.parallel,
        Parallel {
            enabled: true,
            max_concurrent: 3
        }
    );
    assert_eq!(
        wf.triggers,
        Triggers {
            manual: true,
            schedule: None,
            webhook: None
        }
    );
    assert_eq!(wf.steps.len(), 5);

    let setup = wf.step("setup").unwrap();
    assert_eq!(setup.name.as_deref(), Some("初始化项目"));
    assert!(setup.depends_on.is_empty());
    assert_eq!(
        setup.kind,
        StepKind::GitOperation(GitOp::Checkout {
            branch: "main".into()
        })
    );

    for (id, branch, first_line) in [
        ("feature-auth", "feature/auth", "实现用户认证功能："),
        ("feature-dashboard", "feature/dashboard", "实现用户仪表板："),
        ("feature-settings", "feature/settings", "实现系统设置页面："),
    ] {
        let step = wf.step(id).unwrap();
        assert_eq!(step.depends_on, ["setup"]);
        assert_eq!(step.condition, None);
        let StepKind::ClaudeTask {
            prompt,
            branch: b,
            base,
            task_type,
            auto_pr,
        } = &step.kind
        else {
            panic!("{id} is {:?}", step.kind);
        };
        assert_eq!(b.as_deref(), Some(branch));
        assert!(prompt.starts_with(first_line), "{prompt}");
        assert_eq!(prompt.lines().count(), 4, "{prompt:?}");
        assert!(prompt.ends_with('\n'));
        assert_eq!((base, task_type, auto_pr), (&None, &None, &false));
    }

    let prs = wf.step("create-prs").unwrap();
    assert_eq!(
        prs.depends_on,
        ["feature-auth", "feature-dashboard", "feature-settings"]
    );
    assert_eq!(
        prs.kind,
        StepKind::GitOperation(GitOp::CreatePr {
            branches: vec![
                "feature/auth".into(),
                "feature/dashboard".into(),
                "feature/settings".into()
            ],
            target_branch: Some("develop".into()),
            title: None,
            draft: false,
        })
    );

    let order = wf.order();
    assert_eq!(
        order,
        [
            "setup",
            "feature-auth",
            "feature-dashboard",
            "feature-settings",
            "create-prs"
        ]
    );
    assert_eq!(wf.concurrency(), 3);
}

#[test]
fn the_spec_example_runs_three_branches_in_parallel() {
    let wf = parse(SPEC_EXAMPLE);
    let none = set(&[]);
    assert_eq!(ids(&wf.ready(&none, &none)), ["setup"]);
    assert!(
        wf.ready(&none, &set(&["setup"])).is_empty(),
        "a started step is not ready again"
    );
    let three = ["feature-auth", "feature-dashboard", "feature-settings"];
    assert_eq!(ids(&wf.ready(&set(&["setup"]), &none)), three);
    assert_eq!(
        ids(&wf.ready(&set(&["setup"]), &set(&["feature-auth"]))),
        ["feature-dashboard", "feature-settings"]
    );
    assert!(wf
        .ready(
            &set(&["setup", "feature-auth", "feature-dashboard"]),
            &set(&["feature-settings"])
        )
        .is_empty());
    assert_eq!(
        ids(&wf.ready(
            &set(&[
                "setup",
                "feature-auth",
                "feature-dashboard",
                "feature-settings"
            ]),
            &none
        )),
        ["create-prs"]
    );
    let all = set(&[
        "setup",
        "feature-auth",
        "feature-dashboard",
        "feature-settings",
        "create-prs",
    ]);
    assert!(wf.ready(&all, &none).is_empty());

    assert_eq!(
        ids(&wf.dependents("setup")),
        [
            "feature-auth",
            "feature-dashboard",
            "feature-settings",
            "create-prs"
        ]
    );
    assert_eq!(ids(&wf.dependents("feature-auth")), ["create-prs"]);
    assert!(wf.dependents("create-prs").is_empty());
    assert_eq!(
        ids(&wf.ancestors("create-prs")),
        [
            "setup",
            "feature-auth",
            "feature-dashboard",
            "feature-settings"
        ]
    );
    assert!(wf.ancestors("setup").is_empty());
}

#[test]
fn every_step_type_and_option() {
    let wf = parse(
        r#"
name: everything
parallel: { enabled: false, maxConcurrent: 10 }
triggers:
  manual: false
  schedule: " 0 9 * * mon-fri "
  webhook:
    events: [push, pull_request]
    branches: [main, "release/*"]
steps:
  - id: checkout
    type: git_operation
    timeout: 5m
    config: { operation: checkout, branch: main }
  - id: work
    type: claude_task
    dependsOn: checkout
    condition: "steps.checkout.status == 'succeeded' && trigger.event != 'pull_request'"
    timeout: 3600
    config:
      prompt: Fix the bug
      branch: fix/bug-1
      base: main
      taskType: bugfix
      autoPR: true
  - id: test
    type: shell_command
    dependsOn: [work]
    config: { command: "cargo test", branch: fix/bug-1 }
  - id: pause
    type: wait
    dependsOn: [test]
    config: { duration: 1h30m }
  - id: pause2
    type: wait
    dependsOn: [test]
    config: { duration: 45 }
  - id: ok
    type: approval
    dependsOn: [pause, pause2]
    config: { message: Merge it?, approvers: [ana, bo] }
  - id: ok2
    type: approval
    dependsOn: [pause]
  - id: merge
    type: git_operation
    dependsOn: [ok, ok2]
    condition: steps.ok.status == 'succeeded'
    config: { operation: merge, branch: fix/bug-1, into: main }
  - id: push
    type: git_operation
    dependsOn: [merge]
    config: { operation: push, branch: main }
  - id: pr
    type: git_operation
    dependsOn: [push]
    config: { operation: create_pr, branch: fix/bug-1, title: Fix, draft: true }
  - id: 7
    type: claude_task
    dependsOn: [pr]
    config: { prompt: x, autoPr: true }
"#,
    );
    assert_eq!(
        wf.parallel,
        Parallel {
            enabled: false,
            max_concurrent: 10
        }
    );
    assert_eq!(wf.concurrency(), 1);
    assert_eq!(
        wf.triggers,
        Triggers {
            manual: false,
            schedule: Some("0 9 * * mon-fri".into()),
            webhook: Some(WebhookTrigger {
                events: vec!["push".into(), "pull_request".into()],
                branches: vec!["main".into(), "release/*".into()],
            }),
        }
    );
    assert_eq!(
        wf.triggers.cron_schedule().unwrap().next_after(1704445200),
        Some(1704704400)
    );
    let hook = wf.triggers.webhook.as_ref().unwrap();
    assert!(hook.matches("push", Some("main")));
    assert!(hook.matches("pull_request", Some("release/2.0")));
    assert!(!hook.matches("push", Some("develop")));
    assert!(!hook.matches("push", None));
    assert!(!hook.matches("issues", Some("main")));

    let checkout = wf.step("checkout").unwrap();
    assert_eq!(checkout.timeout_secs, Some(300));
    let work = wf.step("work").unwrap();
    assert_eq!(work.depends_on, ["checkout"]);
    assert_eq!(work.timeout_secs, Some(3600));
    assert!(work.condition_expr().unwrap().is_ok());
    assert_eq!(
        work.kind,
        StepKind::ClaudeTask {
            prompt: "Fix the bug".into(),
            branch: Some("fix/bug-1".into()),
            base: Some("main".into()),
            task_type: Some("bugfix".into()),
            auto_pr: true,
        }
    );
    assert_eq!(
        wf.step("test").unwrap().kind,
        StepKind::ShellCommand {
            command: "cargo test".into(),
            branch: Some("fix/bug-1".into())
        }
    );
    assert_eq!(
        wf.step("pause").unwrap().kind,
        StepKind::Wait {
            duration_secs: 5400
        }
    );
    assert_eq!(
        wf.step("pause2").unwrap().kind,
        StepKind::Wait { duration_secs: 45 }
    );
    assert_eq!(
        wf.step("ok").unwrap().kind,
        StepKind::Approval {
            message: Some("Merge it?".into()),
            approvers: vec!["ana".into(), "bo".into()]
        }
    );
    assert_eq!(
        wf.step("ok2").unwrap().kind,
        StepKind::Approval {
            message: None,
            approvers: vec![]
        }
    );
    assert_eq!(
        wf.step("merge").unwrap().kind,
        StepKind::GitOperation(GitOp::Merge {
            branch: "fix/bug-1".into(),
            into: Some("main".into())
        })
    );
    assert_eq!(
        wf.step("push").unwrap().kind,
        StepKind::GitOperation(GitOp::Push {
            branch: "main".into()
        })
    );
    assert_eq!(
        wf.step("pr").unwrap().kind,
        StepKind::GitOperation(GitOp::CreatePr {
            branches: vec!["fix/bug-1".into()],
            target_branch: None,
            title: Some("Fix".into()),
            draft: true,
        })
    );
    let seven = wf.step("7").unwrap();
    assert!(matches!(
        seven.kind,
        StepKind::ClaudeTask { auto_pr: true, .. }
    ));
    assert_eq!(seven.display_name(), "7");
    assert_eq!(seven.kind.type_name(), "claude_task");
}

#[test]
fn order_is_topological_and_stable_by_file_order() {
    let wf = parse(
        "name: o\nsteps:\n\
         - {id: d, type: wait, dependsOn: [b, c], config: {duration: 1}}\n\
         - {id: c, type: wait, dependsOn: [a], config: {duration: 1}}\n\
         - {id: b, type: wait, config: {duration: 1}}\n\
         - {id: a, type: wait, config: {duration: 1}}\n\
         - {id: e, type: wait, config: {duration: 1}}\n",
    );
    // b and a are ready first (b earlier in the file), then c (needs a), then d; e is free but
    // comes after d in the file, and ready steps go lowest file index first.
    assert_eq!(wf.order(), ["b", "a", "c", "d", "e"]);
    let none = set(&[]);
    assert_eq!(ids(&wf.ready(&none, &none)), ["b", "a", "e"]);
    assert_eq!(ids(&wf.ready(&set(&["a", "b"]), &none)), ["c", "e"]);
    assert_eq!(ids(&wf.ready(&set(&["a", "b", "c"]), &set(&["e"]))), ["d"]);
}

#[test]
fn defaults_and_lenient_forms() {
    let wf = parse("name: x\nsteps:\n  - id: a\n    type: wait\n    config:\n      duration: '30s'\n    name:\n    condition:\n");
    assert_eq!(wf.parallel, Parallel::default());
    assert_eq!(wf.triggers, Triggers::default());
    let a = wf.step("a").unwrap();
    assert_eq!(
        (a.name.as_deref(), a.condition.as_deref(), a.timeout_secs),
        (None, None, None)
    );
    assert_eq!(a.kind, StepKind::Wait { duration_secs: 30 });
    assert_eq!(a.display_name(), "a");
    // An empty parallel/triggers block keeps the defaults.
    let wf = parse("name: x\nparallel:\ntriggers: {}\nsteps: [{id: a, type: approval}]\n");
    assert_eq!(
        (wf.parallel, wf.triggers),
        (Parallel::default(), Triggers::default())
    );
}

#[test]
fn json_round_trip() {
    let wf = parse(SPEC_EXAMPLE);
    let json = serde_json::to_value(&wf).unwrap();
    assert_eq!(
        json["parallel"],
        serde_json::json!({"enabled": true, "maxConcurrent": 3})
    );
    assert_eq!(json["steps"][0]["type"], "git_operation");
    assert_eq!(
        json["steps"][0]["config"],
        serde_json::json!({"operation": "checkout", "branch": "main"})
    );
    assert_eq!(json["steps"][1]["dependsOn"], serde_json::json!(["setup"]));
    assert_eq!(json["steps"][1]["config"]["branch"], "feature/auth");
    assert_eq!(json["steps"][1]["config"]["autoPR"], false);
    assert_eq!(json["steps"][4]["config"]["targetBranch"], "develop");
    let back: Workflow = serde_json::from_value(json).unwrap();
    assert_eq!(back, wf);
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let wf = parse(
        "name: dry\n\
         x-defaults: &task {type: claude_task, dependsOn: [setup]}\n\
         steps:\n\
         - {id: setup, type: git_operation, config: {operation: checkout, branch: main}}\n\
         - {<<: *task, id: a, config: {prompt: one, branch: feature/a}}\n\
         - {<<: *task, id: b, config: {prompt: two, branch: feature/b}}\n",
    );
    assert_eq!(ids(&wf.ready(&set(&["setup"]), &set(&[]))), ["a", "b"]);
    assert!(
        matches!(&wf.step("b").unwrap().kind, StepKind::ClaudeTask { prompt, .. } if prompt == "two")
    );
}
