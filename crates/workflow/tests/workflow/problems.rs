//! Invalid definitions: every problem code, with the offending step ids, all reported together.

use workflow::{Problem, ProblemCode as C};

fn problems(yaml: &str) -> Vec<Problem> {
    match workflow::parse(yaml) {
        Ok(wf) => panic!("expected problems, parsed {wf:?}"),
        Err(p) => p,
    }
}

/// The one problem of a definition.
fn only(yaml: &str) -> Problem {
    let p = problems(yaml);
    assert_eq!(p.len(), 1, "{p:#?}");
    p.into_iter().next().unwrap()
}

/// A definition with `steps` appended after `name: t\nsteps:\n`.
fn with_steps(steps: &str) -> String {
    format!("name: t\nsteps:\n{steps}")
}

const WAIT: &str = "type: wait, config: {duration: 1}";

#[test]
fn each_code_with_its_ids() {
    // (definition, code, step ids, words the message must contain)
    let cases: Vec<(String, C, Vec<&str>, Vec<&str>)> = vec![
        (
            with_steps(&format!("- {{id: a, dependsOn: [b], {WAIT}}}\n- {{id: b, dependsOn: [c], {WAIT}}}\n- {{id: c, dependsOn: [a], {WAIT}}}\n")),
            C::Cycle,
            vec!["a", "b", "c"],
            vec!["a → b → c → a"],
        ),
        (
            with_steps(&format!("- {{id: a, dependsOn: [c], {WAIT}}}\n- {{id: b, dependsOn: [a], {WAIT}}}\n- {{id: c, dependsOn: [b], {WAIT}}}\n")),
            C::Cycle,
            vec!["a", "c", "b"],
            vec!["a → c → b → a"],
        ),
        (
            with_steps(&format!("- {{id: x, {WAIT}}}\n- {{id: b, dependsOn: [c, x], {WAIT}}}\n- {{id: c, dependsOn: [b], {WAIT}}}\n")),
            C::Cycle,
            vec!["b", "c"],
            vec!["b → c → b"],
        ),
        (with_steps(&format!("- {{id: a, dependsOn: [a], {WAIT}}}\n")), C::Cycle, vec!["a"], vec!["step `a` depends on itself"]),
        (
            with_steps(&format!("- {{id: setup, {WAIT}}}\n- {{id: a, dependsOn: [setup, stup], {WAIT}}}\n")),
            C::MissingDependency,
            vec!["a", "stup"],
            vec!["step `a` depends on `stup`, which is not a step", "did you mean `setup`?"],
        ),
        (
            with_steps("- id: a\n  type: deploy\n  config: {env: prod}\n"),
            C::UnknownStepType,
            vec!["a"],
            vec!["unknown step type `deploy`", "claude_task, git_operation, shell_command, wait, approval"],
        ),
        (
            with_steps(&format!("- {{id: a, {WAIT}}}\n- {{id: b, {WAIT}}}\n- {{id: a, {WAIT}}}\n")),
            C::DuplicateStepId,
            vec!["a"],
            vec!["step id `a` is used by 2 steps (#1, #3)"],
        ),
        (
            with_steps(&format!("- {{id: 'has space', {WAIT}}}\n")),
            C::InvalidStepId,
            vec!["has space"],
            vec!["contains ` `"],
        ),
        (
            with_steps(&format!("- {{id: '{}', {WAIT}}}\n", "x".repeat(65))),
            C::InvalidStepId,
            vec![&*"x".repeat(65).leak()],
            vec!["longer than 64"],
        ),
        (with_steps(&format!("- {{id: '', {WAIT}}}\n")), C::InvalidStepId, vec![""], vec!["cannot be empty"]),
        (with_steps(&format!("- {{id: [a], {WAIT}}}\n")), C::InvalidStepId, vec![], vec!["step #1: `id` must be a string"]),
        (with_steps(&format!("- {{{WAIT}}}\n")), C::MissingField, vec![], vec!["step #1: `id` is required"]),
        ("steps: [{id: a, type: approval}]\n".into(), C::MissingField, vec![], vec!["`name` is required"]),
        ("name: '  '\nsteps: [{id: a, type: approval}]\n".into(), C::MissingField, vec![], vec!["`name` is empty"]),
        ("name: t\n".into(), C::MissingField, vec![], vec!["`steps` is required"]),
        ("name: t\nsteps: []\n".into(), C::MissingField, vec![], vec!["`steps` is empty"]),
        (with_steps("- {id: a}\n"), C::MissingField, vec!["a"], vec!["`type` is required"]),
        (with_steps("- {id: a, type: claude_task}\n"), C::MissingField, vec!["a"], vec!["`config.prompt` is required"]),
        (with_steps("- {id: a, type: claude_task, config: {prompt: ' '}}\n"), C::MissingField, vec!["a"], vec!["`config.prompt` is empty"]),
        (with_steps("- {id: a, type: shell_command, config: {}}\n"), C::MissingField, vec!["a"], vec!["`config.command` is required"]),
        (with_steps("- {id: a, type: wait}\n"), C::MissingField, vec!["a"], vec!["`config.duration` is required"]),
        (with_steps("- {id: a, type: git_operation, config: {branch: x}}\n"), C::MissingField, vec!["a"], vec!["`config.operation` is required", "checkout, merge, push, create_pr"]),
        (with_steps("- {id: a, type: git_operation, config: {operation: checkout}}\n"), C::MissingField, vec!["a"], vec!["`config.branch` is required"]),
        (with_steps("- {id: a, type: git_operation, config: {operation: create_pr}}\n"), C::MissingField, vec!["a"], vec!["`config.branches` (or `config.branch`) is required"]),
        ("name: t\ntriggers: {webhook: {branches: [main]}}\nsteps: [{id: a, type: approval}]\n".into(), C::MissingField, vec![], vec!["`triggers.webhook.events` is required"]),
        ("name: t\ntriggers: {webhook: {events: []}}\nsteps: [{id: a, type: approval}]\n".into(), C::MissingField, vec![], vec!["`triggers.webhook.events` is required"]),
        (
            with_steps("- id: a\n  type: claude_task\n  config:\n    promt: do it\n    prompt: do it\n"),
            C::UnknownField,
            vec!["a"],
            vec!["step `a`: unknown field `config.promt` (did you mean `config.prompt`?)"],
        ),
        (with_steps(&format!("- {{id: a, depends_on: [], {WAIT}}}\n")), C::UnknownField, vec!["a"], vec!["unknown field `depends_on` (did you mean `dependsOn`?)"]),
        (with_steps(&format!("- {{id: a, when: x, {WAIT}}}\n")), C::UnknownField, vec!["a"], vec!["unknown field `when` (allowed: id, name, type, dependsOn, condition, timeout, config)"]),
        ("name: t\nversion: 2\nsteps: [{id: a, type: approval}]\n".into(), C::UnknownField, vec![], vec!["unknown field `version`"]),
        ("name: t\nparallel: {max: 2}\nsteps: [{id: a, type: approval}]\n".into(), C::UnknownField, vec![], vec!["unknown field `parallel.max`"]),
        ("name: t\ntriggers: {cron: '* * * * *'}\nsteps: [{id: a, type: approval}]\n".into(), C::UnknownField, vec![], vec!["unknown field `triggers.cron`"]),
        (with_steps("- {id: a, type: git_operation, config: {operation: checkout, branch: main, targetBranch: x}}\n"), C::UnknownField, vec!["a"], vec!["unknown field `config.targetBranch`"]),
        (with_steps("- {id: a, type: git_operation, config: {operation: merge, branch: x, brnch: y}}\n"), C::UnknownField, vec!["a"], vec!["`config.brnch` (did you mean `config.branch`?)"]),
        (with_steps("- {id: a, type: wait, config: {duration: 1, seconds: 2}}\n"), C::UnknownField, vec!["a"], vec!["`config.seconds`"]),
        (
            with_steps("- {id: a, type: claude_task, config: {prompt: x, branch: 'feature auth'}}\n"),
            C::InvalidBranch,
            vec!["a"],
            vec!["`config.branch`: `feature auth` is not a valid branch name: it cannot contain spaces"],
        ),
        (with_steps("- {id: a, type: claude_task, config: {prompt: x, base: 'main..x'}}\n"), C::InvalidBranch, vec!["a"], vec!["`config.base`", "`..`"]),
        (with_steps("- {id: a, type: git_operation, config: {operation: checkout, branch: '-x'}}\n"), C::InvalidBranch, vec!["a"], vec!["cannot start with `-`"]),
        (with_steps("- {id: a, type: git_operation, config: {operation: merge, branch: a, into: 'b.lock'}}\n"), C::InvalidBranch, vec!["a"], vec!["`config.into`", "`.lock`"]),
        (with_steps("- {id: a, type: git_operation, config: {operation: create_pr, branches: [ok, 'x~1']}}\n"), C::InvalidBranch, vec!["a"], vec!["`config.branches`", "`x~1`"]),
        (with_steps("- {id: a, type: git_operation, config: {operation: create_pr, branch: x, targetBranch: 'a b'}}\n"), C::InvalidBranch, vec!["a"], vec!["`config.targetBranch`"]),
        (with_steps("- {id: a, type: shell_command, config: {command: ls, branch: 'HEAD'}}\n"), C::InvalidBranch, vec!["a"], vec!["reserved"]),
        ("name: t\ntriggers: {webhook: {events: [push], branches: ['a b*']}}\nsteps: [{id: a, type: approval}]\n".into(), C::InvalidBranch, vec![], vec!["not a valid branch pattern"]),
        (
            "name: t\ntriggers: {schedule: '61 * * * *'}\nsteps: [{id: a, type: approval}]\n".into(),
            C::InvalidCron,
            vec![],
            vec!["`triggers.schedule` `61 * * * *`: minute field `61`: 61 is out of range 0-59"],
        ),
        ("name: t\ntriggers: {schedule: '* * * * moon'}\nsteps: [{id: a, type: approval}]\n".into(), C::InvalidCron, vec![], vec!["day-of-week field `moon`"]),
        ("name: t\ntriggers: {schedule: 'every day'}\nsteps: [{id: a, type: approval}]\n".into(), C::InvalidCron, vec![], vec!["expected 5 fields"]),
        (
            with_steps(&format!("- {{id: a, {WAIT}}}\n- {{id: b, dependsOn: [a], condition: \"steps.a.status ==\", {WAIT}}}\n")),
            C::InvalidCondition,
            vec!["b"],
            vec!["step `b`: `condition` `steps.a.status ==`: expected a value, found the end of the expression (at column 18)"],
        ),
        (
            with_steps(&format!("- {{id: a, {WAIT}}}\n- {{id: b, dependsOn: [a], condition: \"steps.a.status = 'x'\", {WAIT}}}\n")),
            C::InvalidCondition,
            vec!["b"],
            vec!["compare with `==` (at column 16)"],
        ),
        (
            with_steps(&format!("- {{id: a, {WAIT}}}\n- {{id: b, dependsOn: [a], condition: \"require('fs')\", {WAIT}}}\n")),
            C::InvalidCondition,
            vec!["b"],
            vec!["unknown function `require`"],
        ),
        (
            with_steps(&format!("- {{id: a, {WAIT}}}\n- {{id: b, dependsOn: [a], condition: \"steps.ghost.status == 'succeeded'\", {WAIT}}}\n")),
            C::InvalidCondition,
            vec!["b", "ghost"],
            vec!["`condition` refers to step `ghost`, which does not exist"],
        ),
        (
            with_steps(&format!("- {{id: a, {WAIT}}}\n- {{id: b, condition: \"steps.a.status == 'succeeded'\", {WAIT}}}\n")),
            C::InvalidCondition,
            vec!["b", "a"],
            vec!["refers to step `a`, which it does not depend on: add `a` to `dependsOn`"],
        ),
        (
            with_steps(&format!("- {{id: a, condition: \"steps.a.status == 'x'\", {WAIT}}}\n")),
            C::InvalidCondition,
            vec!["a", "a"],
            vec!["refers to the step itself"],
        ),
        ("name: t\nparallel: {maxConcurrent: 0}\nsteps: [{id: a, type: approval}]\n".into(), C::InvalidValue, vec![], vec!["from 1 to 50, not 0"]),
        ("name: t\nparallel: {maxConcurrent: 51}\nsteps: [{id: a, type: approval}]\n".into(), C::InvalidValue, vec![], vec!["not 51"]),
        ("name: t\nparallel: {maxConcurrent: three}\nsteps: [{id: a, type: approval}]\n".into(), C::InvalidValue, vec![], vec!["not `three`"]),
        ("name: t\nparallel: {enabled: yes}\nsteps: [{id: a, type: approval}]\n".into(), C::InvalidValue, vec![], vec!["`parallel.enabled` must be true or false, not `yes`"]),
        ("name: t\nparallel: true\nsteps: [{id: a, type: approval}]\n".into(), C::InvalidValue, vec![], vec!["`parallel` must be a mapping"]),
        (
            "name: t\ntriggers: {webhook: {events: [push, issues]}}\nsteps: [{id: a, type: approval}]\n".into(),
            C::InvalidValue,
            vec![],
            vec!["unknown webhook event `issues` (allowed: push, pull_request)"],
        ),
        ("name: [x]\nsteps: [{id: a, type: approval}]\n".into(), C::InvalidValue, vec![], vec!["`name` must be a string, not a list"]),
        ("- a\n- b\n".into(), C::InvalidValue, vec![], vec!["a workflow definition is a mapping"]),
        ("name: t\nsteps: {a: 1}\n".into(), C::InvalidValue, vec![], vec!["`steps` must be a list"]),
        (with_steps("- just a string\n"), C::InvalidValue, vec![], vec!["step #1: a step must be a mapping"]),
        (with_steps("- {id: a, type: wait, config: {duration: 1.5}}\n"), C::InvalidValue, vec!["a"], vec!["1.5 is not a whole"]),
        (with_steps("- {id: a, type: wait, config: {duration: soon}}\n"), C::InvalidValue, vec!["a"], vec!["`soon` is not a duration"]),
        (with_steps("- {id: a, type: wait, config: {duration: 40d}}\n"), C::InvalidValue, vec!["a"], vec!["longer than the limit"]),
        (with_steps("- {id: a, type: approval, timeout: 0}\n"), C::InvalidValue, vec!["a"], vec!["`timeout` must be at least 1 second"]),
        (with_steps("- {id: a, type: approval, timeout: -5}\n"), C::InvalidValue, vec!["a"], vec!["`timeout`"]),
        (with_steps("- {id: a, type: approval, config: [x]}\n"), C::InvalidValue, vec!["a"], vec!["`config` must be a mapping"]),
        (with_steps("- {id: a, type: git_operation, config: {operation: rebase, branch: x}}\n"), C::InvalidValue, vec!["a"], vec!["unknown `config.operation` `rebase` (allowed: checkout, merge, push, create_pr)"]),
        (with_steps("- {id: a, type: git_operation, config: {operation: create_pr, branch: x, branches: [y]}}\n"), C::InvalidValue, vec!["a"], vec!["not both"]),
        (with_steps("- {id: a, type: claude_task, config: {prompt: x, taskType: chore}}\n"), C::InvalidValue, vec!["a"], vec!["unknown `config.taskType` `chore` (allowed: feature, bugfix, refactor, review, custom)"]),
        (with_steps("- {id: a, type: claude_task, config: {prompt: x, autoPR: 'yes'}}\n"), C::InvalidValue, vec!["a"], vec!["`config.autoPR` must be true or false"]),
        (with_steps("- {id: a, type: approval, config: {approvers: [1]}}\n"), C::InvalidValue, vec!["a"], vec!["`config.approvers` lists strings"]),
        (with_steps("- {id: a, type: approval, dependsOn: [{x: 1}]}\n"), C::InvalidValue, vec!["a"], vec!["`dependsOn` lists step ids"]),
        (with_steps("- {id: a, type: approval, condition: [x]}\n"), C::InvalidValue, vec!["a"], vec!["`condition` must be a string"]),
        (format!("name: t\nsteps:\n{}", "- {type: approval}\n".repeat(201)), C::InvalidValue, vec![], vec!["201 steps, more than the limit of 200"]),
        (format!("name: '{}'\nsteps: [{{id: a, type: approval}}]\n", "n".repeat(201)), C::InvalidValue, vec![], vec!["`name` is longer than 200"]),
    ];
    for (yaml, code, ids, words) in &cases {
        let p = only(yaml);
        assert_eq!(p.code, *code, "{yaml}\n{p:#?}");
        assert_eq!(p.step_ids, *ids, "{yaml}\n{p:#?}");
        for w in words {
            assert!(
                p.message.contains(w),
                "{yaml}\nmessage: {}\nmissing: {w}",
                p.message
            );
        }
    }
    // Every code but InvalidYaml (below) appears in the table.
    let all = [
        C::MissingField,
        C::UnknownStepType,
        C::DuplicateStepId,
        C::InvalidStepId,
        C::MissingDependency,
        C::Cycle,
        C::InvalidCondition,
        C::InvalidCron,
        C::InvalidBranch,
        C::InvalidValue,
        C::UnknownField,
    ];
    for code in all {
        assert!(
            cases.iter().any(|(_, c, _, _)| *c == code),
            "{code} untested"
        );
    }
}

#[test]
fn invalid_yaml_has_line_and_column() {
    for (yaml, line, column) in [
        ("name: t\nsteps:\n  - id: a\n   type: wait\n", 4, 4),
        ("name: t\nsteps: [a, b\n", 3, 1),
        ("name: 'open\nsteps: []\n", 3, 1),
        ("name: t\nsteps:\n  - id: a\n    config: {x: [}\n", 4, 18),
        ("\tname: t\n", 1, 1),
        // serde_yaml places a duplicate key at the start of its mapping.
        ("name: t\nname: u\nsteps: []\n", 1, 1),
    ] {
        let p = only(yaml);
        assert_eq!(p.code, C::InvalidYaml, "{yaml}: {p:#?}");
        assert!(p.message.starts_with("not valid YAML: "), "{}", p.message);
        assert!(p.step_ids.is_empty());
        assert_eq!(
            (p.line, p.column),
            (Some(line), Some(column)),
            "{yaml:?}: {}",
            p.message
        );
    }
    let too_big = format!(
        "name: t\ndescription: '{}'\nsteps: []\n",
        "x".repeat(300 * 1024)
    );
    let p = only(&too_big);
    assert_eq!(p.code, C::InvalidYaml);
    assert!(p.message.contains("more than the limit"), "{}", p.message);
}

#[test]
fn all_problems_are_reported_together() {
    let yaml = "\
name: many
parallel: {maxConcurrent: 100}
triggers: {schedule: '* * *'}
steps:
  - id: a
    type: claude_task
    dependsOn: [c]
    config:
      promt: hi
      branch: 'bad branch'
  - id: b
    type: deploy
    dependsOn: [a, nowhere]
  - id: c
    type: shell_command
    dependsOn: [b]
    condition: steps.zzz.status ==
    config: {command: make}
  - id: a
    type: wait
    config: {duration: 5}
";
    let p = problems(yaml);
    let got: Vec<(C, Vec<&str>)> = p
        .iter()
        .map(|p| (p.code, p.step_ids.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        got,
        vec![
            (C::InvalidValue, vec![]),        // maxConcurrent
            (C::InvalidCron, vec![]),         // schedule
            (C::UnknownField, vec!["a"]),     // promt
            (C::MissingField, vec!["a"]),     // prompt
            (C::InvalidBranch, vec!["a"]),    // 'bad branch'
            (C::UnknownStepType, vec!["b"]),  // deploy
            (C::InvalidCondition, vec!["c"]), // does not parse
            (C::DuplicateStepId, vec!["a"]),  // a twice
            (C::MissingDependency, vec!["b", "nowhere"]),
            (C::Cycle, vec!["a", "c", "b"]), // a → c → b → a
        ],
        "{p:#?}"
    );
    // Step problems point at the step's `id:` line (the second one for a duplicate).
    let lines: Vec<Option<usize>> = p.iter().map(|p| p.line).collect();
    assert_eq!(
        lines,
        [
            None,
            None,
            Some(5),
            Some(5),
            Some(5),
            Some(11),
            Some(14),
            Some(19),
            Some(11),
            Some(5)
        ]
    );
    assert_eq!(p[2].column, Some(5));
    // Display puts the place first.
    assert!(
        p[2].to_string()
            .starts_with("line 5, column 5: step `a`: unknown field `config.promt`"),
        "{}",
        p[2]
    );
}

#[test]
fn graph_problems_are_reported_without_a_name_too() {
    let p = problems(&format!("steps:\n- {{id: a, dependsOn: [a], {WAIT}}}\n"));
    let codes: Vec<C> = p.iter().map(|p| p.code).collect();
    assert_eq!(codes, [C::MissingField, C::Cycle], "{p:#?}");
}

#[test]
fn problems_serialize_with_stable_codes() {
    let p = only(&with_steps(&format!(
        "- {{id: a, dependsOn: [b], {WAIT}}}\n"
    )));
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "code": "missing_dependency",
            "message": "step `a` depends on `b`, which is not a step",
            "stepIds": ["a", "b"],
            "line": 3,
            "column": 4,
        })
    );
    assert_eq!(C::UnknownStepType.to_string(), "unknown_step_type");
    assert_eq!(
        serde_json::to_value(C::InvalidYaml).unwrap(),
        "invalid_yaml"
    );
}

#[test]
fn never_panics_on_truncated_or_mangled_input() {
    let spec = include_str!("../fixtures/parallel-feature-development.yaml");
    let mut cuts = 0;
    for (at, _) in spec.char_indices() {
        // Any prefix either parses or yields problems; none panics or comes back empty.
        if let Err(p) = workflow::parse(&spec[..at]) {
            assert!(!p.is_empty());
        }
        cuts += 1;
    }
    assert!(cuts > 1000);
    for mangled in [
        spec.replace("dependsOn: [setup]", "dependsOn: [create-prs]"),
        spec.replace("    config:", "    config: 7\n    x:"),
        spec.replace("type: claude_task", "type: [claude_task]"),
        spec.replace("id: setup", "id: {a: b}"),
        spec.replace("- id:", "- !tag id:"),
        spec.replace(": ", ": &a "),
    ] {
        let _ = workflow::parse(&mangled);
    }
    // The cycle introduced above is named in order.
    let p = problems(&spec.replace(
        "    dependsOn: [setup]\n    config:\n      prompt: |\n        实现用户认证功能",
        "    dependsOn: [create-prs]\n    config:\n      prompt: |\n        实现用户认证功能",
    ));
    assert_eq!(p.len(), 1, "{p:#?}");
    assert_eq!(p[0].code, C::Cycle);
    assert_eq!(p[0].step_ids, ["feature-auth", "create-prs"]);
}
