//! The condition language: evaluation table, errors with positions, limits.

use serde_json::json;
use workflow::expr::{self, JsonContext, Value};

fn ctx() -> serde_json::Value {
    json!({
        "steps": {
            "setup": {"status": "succeeded", "output": "Switched to branch 'main'\n", "outputs": {"count": "12", "files": ["a.rs", "b.rs"], "n": 3}},
            "feature-auth": {"status": "failed", "output": "", "outputs": {}},
        },
        "trigger": {"event": "push", "branch": "release/1.2", "pusher": "ana"},
        "vars": {"env": "prod", "retries": 2, "flags": ["fast", "safe"], "off": false},
    })
}

fn eval(src: &str) -> Result<Value, expr::ExprError> {
    let data = ctx();
    expr::parse(src)?.eval(&JsonContext(&data))
}

#[test]
fn evaluation_table() {
    use Value::{Bool as B, Null, Num as N, Str as S};
    let cases: Vec<(&str, Value)> = vec![
        // literals
        ("true", B(true)),
        ("false", B(false)),
        ("null", Null),
        ("42", N(42.0)),
        ("-3", N(-3.0)),
        ("1.5", N(1.5)),
        ("'x'", S("x".into())),
        ("\"a \\\"b\\\" \\n\"", S("a \"b\" \n".into())),
        ("'don\\'t'", S("don't".into())),
        ("'认证'", S("认证".into())),
        (
            "[1, 'a', [true]]",
            Value::List(vec![N(1.0), S("a".into()), Value::List(vec![B(true)])]),
        ),
        ("[]", Value::List(vec![])),
        // paths
        ("steps.setup.status", S("succeeded".into())),
        ("steps.feature-auth.status", S("failed".into())),
        ("steps.setup.outputs.n", N(3.0)),
        ("trigger.event", S("push".into())),
        ("trigger.branch", S("release/1.2".into())),
        ("trigger.pusher", S("ana".into())),
        ("vars.env", S("prod".into())),
        // unknown paths are null
        ("steps.nope.status", Null),
        ("steps.setup.outputs.missing", Null),
        ("trigger.nothing", Null),
        ("vars.a.b.c", Null),
        ("steps.nope.status == null", B(true)),
        // comparisons
        ("steps.setup.status == 'succeeded'", B(true)),
        ("steps.setup.status != \"succeeded\"", B(false)),
        ("1 == 1.0", B(true)),
        ("1 == '1'", B(false)),
        ("null == false", B(false)),
        ("[1, 'a'] == [1, 'a']", B(true)),
        ("[1] == [1, 2]", B(false)),
        ("2 < 10", B(true)),
        ("'2' < '10'", B(false)),
        ("'abc' < 'abd'", B(true)),
        ("3 <= 3", B(true)),
        ("3 >= 4", B(false)),
        ("vars.retries > 1", B(true)),
        ("num(steps.setup.outputs.count) > 10", B(true)),
        ("num(' 7 ') == 7", B(true)),
        // precedence: && binds tighter than ||; ! looser than comparisons
        ("true || false && false", B(true)),
        ("(true || false) && false", B(false)),
        ("false && false || true", B(true)),
        ("!steps.setup.status == 'failed'", B(true)),
        ("!true == false", B(true)),
        ("not vars.off", B(true)),
        ("!!vars.env", B(true)),
        ("true and not false", B(true)),
        ("false or vars.env == 'prod'", B(true)),
        (
            "steps.setup.status == 'succeeded' && steps.feature-auth.status == 'failed'",
            B(true),
        ),
        // short-circuit: the right side (a type error) is never evaluated
        ("false && 1 < 'x'", B(false)),
        ("true || 1 < 'x'", B(true)),
        ("false and len(1) > 0", B(false)),
        // && / || give bools whatever their operands
        ("'a' && 'b'", B(true)),
        ("0 || ''", B(false)),
        // functions
        ("contains('hello world', 'o w')", B(true)),
        ("contains('hello', 'x')", B(false)),
        ("contains(vars.flags, 'safe')", B(true)),
        ("contains(vars.flags, 'slow')", B(false)),
        ("contains(steps.setup.outputs.files, 'b.rs')", B(true)),
        ("contains(['main', 'develop'], trigger.branch)", B(false)),
        ("contains([1, 2], 2)", B(true)),
        ("contains(steps.nope.output, 'x')", B(false)),
        ("startsWith(trigger.branch, 'release/')", B(true)),
        ("endsWith(trigger.branch, '.2')", B(true)),
        ("endsWith(trigger.branch, '.3')", B(false)),
        ("startsWith(null, 'x')", B(false)),
        ("len('认证')", N(2.0)),
        ("len(vars.flags)", N(2.0)),
        ("len(steps.nope.output)", N(0.0)),
        ("len(steps.feature-auth.output) == 0", B(true)),
        ("lower('ABC')", S("abc".into())),
        ("upper('abc')", S("ABC".into())),
        (
            "trim(steps.setup.output)",
            S("Switched to branch 'main'".into()),
        ),
        ("lower(null)", Null),
        ("len([1, [2, 3]])", N(2.0)),
    ];
    for (src, want) in cases {
        match eval(src) {
            Ok(got) => assert_eq!(got, want, "{src}"),
            Err(e) => panic!("{src}: {e}\n{}", e.caret(src)),
        }
    }
}

#[test]
fn truthiness() {
    let data = ctx();
    let c = JsonContext(&data);
    for (src, want) in [
        ("null", false),
        ("false", false),
        ("0", false),
        ("''", false),
        ("[]", false),
        ("true", true),
        ("-1", true),
        ("0.5", true),
        ("'false'", true),
        ("[null]", true),
        ("steps.setup.output", true),
        ("steps.feature-auth.output", false),
        ("steps.nope.output", false),
        ("vars.off", false),
    ] {
        assert_eq!(
            expr::parse(src).unwrap().eval_bool(&c).unwrap(),
            want,
            "{src}"
        );
    }
}

#[test]
fn type_errors_are_errors() {
    for (src, want, position) in [
        (
            "1 < 'a'",
            "compares two numbers or two strings, not number 1 and string \"a\"",
            2,
        ),
        ("steps.nope.status > 1", "not null null and number 1", 18),
        ("[1] < [2]", "compares two numbers", 4),
        ("true >= false", "compares two numbers", 5),
        ("len(5)", "len() needs a string or a list, not number 5", 0),
        ("contains(5, 5)", "contains() needs a string or a list", 0),
        ("contains('abc', 5)", "a string to look for", 0),
        ("startsWith(1, 'a')", "startsWith() needs a string", 0),
        ("num('x1')", "num(): \"x1\" is not a number", 0),
        ("num(true)", "num() needs a string or a number", 0),
        ("upper(1)", "upper() needs a string", 0),
        ("true && (1 < 'x')", "compares", 11),
    ] {
        let err = eval(src).expect_err(src);
        assert!(err.message.contains(want), "{src}: {}", err.message);
        assert_eq!(err.position, position, "{src}: {err}\n{}", err.caret(src));
    }
}

#[test]
fn syntax_errors_have_positions() {
    for (src, want, position) in [
        (
            "steps.a.status ==",
            "expected a value, found the end of the expression",
            17,
        ),
        (
            "steps.a.status = 'x'",
            "`=` is not an operator: compare with `==`",
            15,
        ),
        ("a & b", "`&` is not an operator", 2),
        ("true | false", "`|` is not an operator", 5),
        ("(true", "expected `)`", 5),
        ("true)", "unexpected `)` after the expression", 4),
        ("'abc", "unterminated string", 0),
        ("x == 'a\\q'", "unknown escape", 7),
        ("1 == 2 == 3", "comparisons cannot be chained", 7),
        ("foo == 1", "unknown name `foo`", 0),
        ("window.alert", "unknown name `window`", 0),
        (
            "eval('1')",
            "unknown function `eval` (allowed: contains, startsWith, endsWith, len",
            0,
        ),
        ("true && len", "`len` is a function", 8),
        ("len(1, 2)", "len() takes 1 argument, got 2", 0),
        ("contains('a')", "contains() takes 2 arguments, got 1", 0),
        ("steps.a", "`steps.a` is not a step path", 0),
        ("steps.a.result", "`steps.a.result` is not a step path", 0),
        ("steps.a.outputs", "is not a step path", 0),
        ("steps.a.outputs.x.y", "is not a step path", 0),
        ("steps", "`steps` needs a field", 0),
        ("vars", "`vars` needs a field", 0),
        ("steps.", "expected a name after `.`", 6),
        ("1.2.3", "malformed number", 0),
        ("12abc", "malformed number", 0),
        ("a ; b", "unexpected character `;`", 2),
        ("x => 1", "`=` is not an operator", 2),
        ("", "expected a value", 0),
        ("   ", "expected a value", 3),
        ("[1, 2", "expected `,` or `]`", 5),
        ("len(1 2)", "expected `,` or `)`", 6),
        ("'认证' == ", "expected a value", 8),
        ("== 1", "expected a value, found `==`", 0),
        ("!", "expected a value", 1),
    ] {
        let err = expr::parse(src).expect_err(src);
        assert!(err.message.contains(want), "{src:?}: {}", err.message);
        assert_eq!(err.position, position, "{src:?}: {err}\n{}", err.caret(src));
    }
}

#[test]
fn caret_points_at_the_character() {
    let src = "'认证' = 1";
    let err = expr::parse(src).unwrap_err();
    assert_eq!(err.position, 5);
    assert_eq!(err.caret(src), "'认证' = 1\n     ^");
    assert_eq!(
        err.to_string(),
        "`=` is not an operator: compare with `==` (at column 6)"
    );
}

#[test]
fn limits() {
    // Size: 1000 characters parse; 1001 do not.
    let long = format!("'{}'", "x".repeat(998));
    assert_eq!(long.chars().count(), 1000);
    assert!(expr::parse(&long).is_ok());
    let err = expr::parse(&format!("'{}'", "x".repeat(999))).unwrap_err();
    assert!(
        err.message.contains("longer than 1000 characters"),
        "{}",
        err.message
    );
    // Depth: 32 levels of parentheses parse; 33 do not.
    let nested = |n: usize| format!("{}true{}", "(".repeat(n), ")".repeat(n));
    assert!(expr::parse(&nested(32)).is_ok());
    let err = expr::parse(&nested(33)).unwrap_err();
    assert!(err.message.contains("deeper than 32"), "{}", err.message);
    assert_eq!(err.position, 32);
    assert!(expr::parse(&format!("{}true", "!".repeat(33))).is_err());
    assert!(expr::parse(&format!("{}1{}", "[".repeat(40), "]".repeat(40))).is_err());
    assert!(expr::parse(&format!("{}'a'{}", "len(".repeat(40), ")".repeat(40))).is_err());
    // A long flat chain is fine (and evaluates without trouble).
    let chain = vec!["true"; 100].join(" && ");
    let data = ctx();
    assert!(expr::parse(&chain)
        .unwrap()
        .eval_bool(&JsonContext(&data))
        .unwrap());
}

#[test]
fn paths_are_listed_once_in_order() {
    let e = expr::parse(
        "steps.b.status == 'succeeded' && contains(steps.a.outputs.files, vars.f) || steps.b.status == 'skipped' && trigger.branch == 'main'",
    )
    .unwrap();
    let paths: Vec<String> = e.paths().iter().map(|p| p.join(".")).collect();
    assert_eq!(
        paths,
        [
            "steps.b.status",
            "steps.a.outputs.files",
            "vars.f",
            "trigger.branch"
        ]
    );
    assert_eq!(e.step_refs(), ["b", "a"]);
    assert_eq!(e.source(), e.to_string());
}

#[test]
fn closures_are_contexts() {
    let e = expr::parse("steps.x.status == 'succeeded'").unwrap();
    let ctx = |path: &[&str]| {
        if path == ["steps", "x", "status"] {
            Value::from("succeeded")
        } else {
            Value::Null
        }
    };
    assert!(e.eval_bool(&ctx).unwrap());
}

#[test]
fn never_panics_on_prefixes() {
    let data = ctx();
    let src = "!(contains(['a', \"b\\n\"], steps.x-y.outputs.k) || len(trigger.branch) >= -1.5) and not startsWith(vars.v, '认证')";
    for (at, _) in src.char_indices() {
        if let Ok(e) = expr::parse(&src[..at]) {
            let _ = e.eval(&JsonContext(&data));
        }
    }
    assert!(expr::parse(src).unwrap().eval(&JsonContext(&data)).is_ok());
}
