//! A small, safe expression language for step `condition:`s. Not JavaScript: no assignment, no
//! loops, no user functions, no property access beyond fixed paths; parsing and evaluation are
//! bounded (source ≤ [`MAX_SOURCE_CHARS`] characters, nesting ≤ [`MAX_DEPTH`]), and every type
//! mismatch is an [`ExprError`], never a panic.
//!
//! # Grammar
//! ```text
//! expr    := and (("||" | "or") and)*
//! and     := unary (("&&" | "and") unary)*
//! unary   := ("!" | "not") unary | compare
//! compare := primary (("==" | "!=" | "<" | "<=" | ">" | ">=") primary)?   -- not chained
//! primary := literal | path | call | "(" expr ")" | "[" (expr ("," expr)* ","?)? "]"
//! literal := 'text' | "text" | 12 | -3 | 1.5 | true | false | null
//! path    := steps.<id>.status | steps.<id>.output | steps.<id>.outputs.<key>
//!          | trigger.<key>(.<key>)* | vars.<key>(.<key>)*
//! call    := contains(a, b) | startsWith(a, b) | endsWith(a, b) | len(a)
//!          | num(a) | lower(a) | upper(a) | trim(a)
//! ```
//! Strings take the escapes `\\ \' \" \n \t`. Path segments may hold `-` (`steps.feature-auth.status`):
//! there is no arithmetic, so `-` is never an operator. `!`/`not` bind looser than comparisons
//! (`!a == b` is `!(a == b)`), tighter than `&&`.
//!
//! # Values and rules
//! [`Value`] is `Null | Bool | Num(f64) | Str | List`. A path the context does not know is
//! `null`.
//! - **Truthiness** (for `&&`, `||`, `!` and [`Expr::eval_bool`]): `null`, `false`, `0`, `NaN`,
//!   `""` and `[]` are false; everything else is true. `&&`/`||` short-circuit and give a bool.
//! - `==`/`!=` never convert: values of different types are unequal (`1 == "1"` is false);
//!   `1 == 1.0`; lists compare element by element.
//! - `<`, `<=`, `>`, `>=` compare two numbers or two strings (by code point); anything else is
//!   an error (`null < 1` included: compare with `num(...)` or check for `null` first).
//! - `contains(a, b)`: `b` is a substring of string `a`, or equal to an element of list `a`;
//!   `startsWith`/`endsWith` on strings; `len` of a string (characters) or list; `num` parses a
//!   string as a number; `lower`/`upper`/`trim` on strings. `null` as the first argument acts as
//!   empty (`contains(null, x)` is false, `len(null)` is 0, `lower(null)` is `null`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest accepted source, in characters.
pub const MAX_SOURCE_CHARS: usize = 1000;
/// Deepest accepted nesting (parentheses, `!`, calls, lists).
pub const MAX_DEPTH: usize = 32;

/// The fixed set of functions.
pub const FUNCTIONS: [&str; 8] = [
    "contains",
    "startsWith",
    "endsWith",
    "len",
    "num",
    "lower",
    "upper",
    "trim",
];

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    List(Vec<Value>),
}

impl Value {
    /// The truthiness rule (see the module docs).
    pub fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Num(n) => *n != 0.0 && !n.is_nan(),
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
        }
    }

    /// `null`, `bool`, `number`, `string` or `list`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Num(_) => "number",
            Value::Str(_) => "string",
            Value::List(_) => "list",
        }
    }

    /// From JSON: numbers as `f64`, arrays as lists, objects as `null` (no expression can use an
    /// object whole; reach into it with a longer path).
    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null | serde_json::Value::Object(_) => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => n.as_f64().map_or(Value::Null, Value::Num),
            serde_json::Value::String(s) => Value::Str(s.clone()),
            serde_json::Value::Array(a) => Value::List(a.iter().map(Value::from_json).collect()),
        }
    }
}

impl fmt::Display for Value {
    /// As written in an expression: strings quoted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Num(n) => write!(f, "{n}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::List(l) => {
                f.write_str("[")?;
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Num(n)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Num(n as f64)
    }
}

/// A parse or evaluation error. `position` is a 0-based **character** (not byte) index into the
/// source, so `" ".repeat(position) + "^"` under the source points at it (see [`ExprError::caret`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{message} (at column {})", .position + 1)]
pub struct ExprError {
    pub message: String,
    pub position: usize,
}

impl ExprError {
    fn new(message: impl Into<String>, position: usize) -> Self {
        ExprError {
            message: message.into(),
            position,
        }
    }

    /// Two lines: the source, and a caret under the position.
    pub fn caret(&self, src: &str) -> String {
        let shown: String = src
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        format!("{shown}\n{}^", " ".repeat(self.position))
    }
}

/// What an expression's paths resolve against.
pub trait Context {
    /// The value at `path` (e.g. `["steps", "build", "status"]`); [`Value::Null`] if unknown.
    fn lookup(&self, path: &[&str]) -> Value;
}

impl<F: Fn(&[&str]) -> Value> Context for F {
    fn lookup(&self, path: &[&str]) -> Value {
        self(path)
    }
}

/// A [`Context`] over JSON, e.g. `json!({"steps": {"a": {"status": "succeeded"}}})`: each path
/// segment is an object key (or an array index).
#[derive(Debug, Clone, Copy)]
pub struct JsonContext<'a>(pub &'a serde_json::Value);

impl Context for JsonContext<'_> {
    fn lookup(&self, path: &[&str]) -> Value {
        let mut at = self.0;
        for seg in path {
            let next = match at {
                serde_json::Value::Object(m) => m.get(*seg),
                serde_json::Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            };
            match next {
                Some(v) => at = v,
                None => return Value::Null,
            }
        }
        Value::from_json(at)
    }
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    source: String,
    root: Node,
}

#[derive(Debug, Clone, PartialEq)]
struct Node {
    pos: usize,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Lit(Value),
    Path(Vec<String>),
    List(Vec<Node>),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Cmp(CmpOp, Box<Node>, Box<Node>),
    Call(Func, Vec<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Func {
    Contains,
    StartsWith,
    EndsWith,
    Len,
    Num,
    Lower,
    Upper,
    Trim,
}

impl Func {
    fn by_name(name: &str) -> Option<Func> {
        Some(match name {
            "contains" => Func::Contains,
            "startsWith" => Func::StartsWith,
            "endsWith" => Func::EndsWith,
            "len" => Func::Len,
            "num" => Func::Num,
            "lower" => Func::Lower,
            "upper" => Func::Upper,
            "trim" => Func::Trim,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Func::Contains => "contains",
            Func::StartsWith => "startsWith",
            Func::EndsWith => "endsWith",
            Func::Len => "len",
            Func::Num => "num",
            Func::Lower => "lower",
            Func::Upper => "upper",
            Func::Trim => "trim",
        }
    }

    fn arity(self) -> usize {
        match self {
            Func::Contains | Func::StartsWith | Func::EndsWith => 2,
            Func::Len | Func::Num | Func::Lower | Func::Upper | Func::Trim => 1,
        }
    }
}

/// Parses `src`; the error's position points at the offending character.
pub fn parse(src: &str) -> Result<Expr, ExprError> {
    let chars: Vec<char> = src.chars().collect();
    if chars.len() > MAX_SOURCE_CHARS {
        return Err(ExprError::new(
            format!("the expression is longer than {MAX_SOURCE_CHARS} characters"),
            MAX_SOURCE_CHARS,
        ));
    }
    let tokens = lex(&chars)?;
    let mut p = Parser {
        tokens,
        at: 0,
        depth: 0,
    };
    let root = p.expr()?;
    let end = p.peek();
    if end.tok != Tok::End {
        return Err(ExprError::new(
            format!("unexpected {} after the expression", end.tok.describe()),
            end.pos,
        ));
    }
    Ok(Expr {
        source: src.to_owned(),
        root,
    })
}

impl Expr {
    /// The source this was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates against `ctx`.
    pub fn eval(&self, ctx: &dyn Context) -> Result<Value, ExprError> {
        eval(&self.root, ctx)
    }

    /// Evaluates and applies the truthiness rule (module docs): `null`, `false`, `0`, `NaN`, `""`
    /// and `[]` are false.
    pub fn eval_bool(&self, ctx: &dyn Context) -> Result<bool, ExprError> {
        Ok(self.eval(ctx)?.truthy())
    }

    /// Every path the expression reads, in order of first appearance, without repeats.
    pub fn paths(&self) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = Vec::new();
        collect_paths(&self.root, &mut out);
        out
    }

    /// The step ids referenced as `steps.<id>…`, in order of first appearance, without repeats.
    pub fn step_refs(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in self.paths() {
            if p.len() >= 2 && p[0] == "steps" && !out.contains(&p[1]) {
                out.push(p[1].clone());
            }
        }
        out
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

fn collect_paths(node: &Node, out: &mut Vec<Vec<String>>) {
    match &node.kind {
        Kind::Lit(_) => {}
        Kind::Path(p) => {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
        Kind::Not(a) => collect_paths(a, out),
        Kind::And(a, b) | Kind::Or(a, b) | Kind::Cmp(_, a, b) => {
            collect_paths(a, out);
            collect_paths(b, out);
        }
        Kind::List(items) | Kind::Call(_, items) => {
            items.iter().for_each(|n| collect_paths(n, out))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    /// An identifier, or a dotted path (`steps.a.status`).
    Name(Vec<String>),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Not,
    And,
    Or,
    Cmp(CmpOp),
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Num(n) => format!("number {n}"),
            Tok::Str(s) => format!("string {s:?}"),
            Tok::Name(p) => format!("`{}`", p.join(".")),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::LBracket => "`[`".into(),
            Tok::RBracket => "`]`".into(),
            Tok::Comma => "`,`".into(),
            Tok::Not => "`!`".into(),
            Tok::And => "`&&`".into(),
            Tok::Or => "`||`".into(),
            Tok::Cmp(op) => format!("`{}`", op.symbol()),
            Tok::End => "the end of the expression".into(),
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    pos: usize,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_segment_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn lex(chars: &[char]) -> Result<Vec<Token>, ExprError> {
    let mut out = Vec::new();
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied();
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let two = |second: char| at(i + 1) == Some(second);
        let tok = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            '[' => Tok::LBracket,
            ']' => Tok::RBracket,
            ',' => Tok::Comma,
            '=' if two('=') => Tok::Cmp(CmpOp::Eq),
            '=' => {
                return Err(ExprError::new(
                    "`=` is not an operator: compare with `==`",
                    start,
                ))
            }
            '!' if two('=') => Tok::Cmp(CmpOp::Ne),
            '!' => Tok::Not,
            '<' if two('=') => Tok::Cmp(CmpOp::Le),
            '<' => Tok::Cmp(CmpOp::Lt),
            '>' if two('=') => Tok::Cmp(CmpOp::Ge),
            '>' => Tok::Cmp(CmpOp::Gt),
            '&' if two('&') => Tok::And,
            '&' => {
                return Err(ExprError::new(
                    "`&` is not an operator: use `&&` (or `and`)",
                    start,
                ))
            }
            '|' if two('|') => Tok::Or,
            '|' => {
                return Err(ExprError::new(
                    "`|` is not an operator: use `||` (or `or`)",
                    start,
                ))
            }
            '\'' | '"' => {
                let (s, end) = lex_string(chars, start)?;
                i = end;
                out.push(Token {
                    tok: Tok::Str(s),
                    pos: start,
                });
                continue;
            }
            c if c.is_ascii_digit()
                || (c == '-' && at(i + 1).is_some_and(|d| d.is_ascii_digit())) =>
            {
                let mut j = i + 1;
                while at(j).is_some_and(|d| d.is_ascii_digit()) {
                    j += 1;
                }
                if at(j) == Some('.') && at(j + 1).is_some_and(|d| d.is_ascii_digit()) {
                    j += 2;
                    while at(j).is_some_and(|d| d.is_ascii_digit()) {
                        j += 1;
                    }
                }
                if at(j).is_some_and(|d| is_ident_char(d) || d == '.') {
                    return Err(ExprError::new("malformed number", start));
                }
                let text: String = chars[i..j].iter().collect();
                let n: f64 = text
                    .parse()
                    .map_err(|_| ExprError::new("malformed number", start))?;
                i = j;
                out.push(Token {
                    tok: Tok::Num(n),
                    pos: start,
                });
                continue;
            }
            c if is_ident_start(c) => {
                let mut j = i + 1;
                while at(j).is_some_and(is_ident_char) {
                    j += 1;
                }
                let mut segments = vec![chars[i..j].iter().collect::<String>()];
                while at(j) == Some('.') {
                    let seg_start = j + 1;
                    let mut k = seg_start;
                    while at(k).is_some_and(is_segment_char) {
                        k += 1;
                    }
                    if k == seg_start {
                        return Err(ExprError::new("expected a name after `.`", seg_start));
                    }
                    segments.push(chars[seg_start..k].iter().collect());
                    j = k;
                }
                i = j;
                let tok = if segments.len() == 1 {
                    match segments[0].as_str() {
                        "and" => Tok::And,
                        "or" => Tok::Or,
                        "not" => Tok::Not,
                        _ => Tok::Name(segments),
                    }
                } else {
                    Tok::Name(segments)
                };
                out.push(Token { tok, pos: start });
                continue;
            }
            other => {
                return Err(ExprError::new(
                    format!("unexpected character `{other}`"),
                    start,
                ))
            }
        };
        i += match tok {
            Tok::Cmp(CmpOp::Eq | CmpOp::Ne | CmpOp::Le | CmpOp::Ge) | Tok::And | Tok::Or => 2,
            _ => 1,
        };
        out.push(Token { tok, pos: start });
    }
    out.push(Token {
        tok: Tok::End,
        pos: chars.len(),
    });
    Ok(out)
}

/// A quoted string starting at `start`; returns it and the index after the closing quote.
fn lex_string(chars: &[char], start: usize) -> Result<(String, usize), ExprError> {
    let quote = chars[start];
    let mut s = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => return Err(ExprError::new("unterminated string", start)),
            Some(&c) if c == quote => return Ok((s, i + 1)),
            Some('\\') => {
                let escaped = match chars.get(i + 1) {
                    Some('\\') => '\\',
                    Some('\'') => '\'',
                    Some('"') => '"',
                    Some('n') => '\n',
                    Some('t') => '\t',
                    _ => {
                        return Err(ExprError::new(
                            "unknown escape (use \\\\ \\' \\\" \\n or \\t)",
                            i,
                        ))
                    }
                };
                s.push(escaped);
                i += 2;
            }
            Some(&c) => {
                s.push(c);
                i += 1;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parser

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        // The lexer always ends with `End`, and `bump` never moves past it.
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if t.tok != Tok::End {
            self.at += 1;
        }
        t
    }

    fn enter(&mut self, pos: usize) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprError::new(
                format!("the expression nests deeper than {MAX_DEPTH} levels"),
                pos,
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn expect(&mut self, want: Tok, what: &str) -> Result<Token, ExprError> {
        let t = self.bump();
        if t.tok == want {
            Ok(t)
        } else {
            Err(ExprError::new(
                format!("expected {what}, found {}", t.tok.describe()),
                t.pos,
            ))
        }
    }

    fn expr(&mut self) -> Result<Node, ExprError> {
        let mut left = self.and()?;
        while self.peek().tok == Tok::Or {
            let pos = self.bump().pos;
            let right = self.and()?;
            left = Node {
                pos,
                kind: Kind::Or(Box::new(left), Box::new(right)),
            };
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Node, ExprError> {
        let mut left = self.unary()?;
        while self.peek().tok == Tok::And {
            let pos = self.bump().pos;
            let right = self.unary()?;
            left = Node {
                pos,
                kind: Kind::And(Box::new(left), Box::new(right)),
            };
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Node, ExprError> {
        if self.peek().tok == Tok::Not {
            let pos = self.bump().pos;
            self.enter(pos)?;
            let inner = self.unary()?;
            self.leave();
            return Ok(Node {
                pos,
                kind: Kind::Not(Box::new(inner)),
            });
        }
        self.compare()
    }

    fn compare(&mut self) -> Result<Node, ExprError> {
        let left = self.primary()?;
        let Tok::Cmp(op) = self.peek().tok else {
            return Ok(left);
        };
        let pos = self.bump().pos;
        let right = self.primary()?;
        if let Tok::Cmp(_) = self.peek().tok {
            return Err(ExprError::new(
                "comparisons cannot be chained: use `&&` or parentheses",
                self.peek().pos,
            ));
        }
        Ok(Node {
            pos,
            kind: Kind::Cmp(op, Box::new(left), Box::new(right)),
        })
    }

    fn primary(&mut self) -> Result<Node, ExprError> {
        let t = self.bump();
        let pos = t.pos;
        let kind = match t.tok {
            Tok::Num(n) => Kind::Lit(Value::Num(n)),
            Tok::Str(s) => Kind::Lit(Value::Str(s)),
            Tok::LParen => {
                self.enter(pos)?;
                let inner = self.expr()?;
                self.expect(Tok::RParen, "`)`")?;
                self.leave();
                return Ok(inner);
            }
            Tok::LBracket => {
                self.enter(pos)?;
                let items = self.list(Tok::RBracket, "`,` or `]`")?;
                self.leave();
                Kind::List(items)
            }
            Tok::Name(segments) if self.peek().tok == Tok::LParen && segments.len() == 1 => {
                let name = &segments[0];
                let Some(func) = Func::by_name(name) else {
                    return Err(ExprError::new(
                        format!(
                            "unknown function `{name}` (allowed: {})",
                            FUNCTIONS.join(", ")
                        ),
                        pos,
                    ));
                };
                let open = self.bump().pos;
                self.enter(open)?;
                let args = self.list(Tok::RParen, "`,` or `)`")?;
                self.leave();
                if args.len() != func.arity() {
                    return Err(ExprError::new(
                        format!(
                            "{}() takes {} argument{}, got {}",
                            func.name(),
                            func.arity(),
                            if func.arity() == 1 { "" } else { "s" },
                            args.len()
                        ),
                        pos,
                    ));
                }
                Kind::Call(func, args)
            }
            Tok::Name(segments) => name_kind(segments, pos)?,
            Tok::End => {
                return Err(ExprError::new(
                    "expected a value, found the end of the expression",
                    pos,
                ))
            }
            other => {
                return Err(ExprError::new(
                    format!("expected a value, found {}", other.describe()),
                    pos,
                ))
            }
        };
        Ok(Node { pos, kind })
    }

    /// Comma-separated expressions up to `close` (a trailing comma allowed); `close` consumed.
    fn list(&mut self, close: Tok, what: &str) -> Result<Vec<Node>, ExprError> {
        let mut items = Vec::new();
        loop {
            if self.peek().tok == close {
                self.bump();
                return Ok(items);
            }
            items.push(self.expr()?);
            let t = self.bump();
            if t.tok == close {
                return Ok(items);
            }
            if t.tok != Tok::Comma {
                return Err(ExprError::new(
                    format!("expected {what}, found {}", t.tok.describe()),
                    t.pos,
                ));
            }
        }
    }
}

/// A bare name or a path: a keyword literal, or a path with a known root and shape.
fn name_kind(segments: Vec<String>, pos: usize) -> Result<Kind, ExprError> {
    let root = segments[0].as_str();
    if segments.len() == 1 {
        return match root {
            "true" => Ok(Kind::Lit(Value::Bool(true))),
            "false" => Ok(Kind::Lit(Value::Bool(false))),
            "null" => Ok(Kind::Lit(Value::Null)),
            name if Func::by_name(name).is_some() => Err(ExprError::new(
                format!("`{name}` is a function: call it as {name}(...)"),
                pos,
            )),
            "steps" | "trigger" | "vars" => Err(ExprError::new(
                format!("`{root}` needs a field: {}", root_help(root)),
                pos,
            )),
            name => Err(ExprError::new(
                format!("unknown name `{name}`: paths start with `steps.`, `trigger.` or `vars.`"),
                pos,
            )),
        };
    }
    match root {
        "steps" => {
            let ok = match segments.get(2).map(String::as_str) {
                Some("status" | "output") => segments.len() == 3,
                Some("outputs") => segments.len() == 4,
                _ => false,
            };
            if !ok {
                let id = &segments[1];
                return Err(ExprError::new(
                    format!(
                        "`{}` is not a step path: use steps.{id}.status, steps.{id}.output or steps.{id}.outputs.<key>",
                        segments.join(".")
                    ),
                    pos,
                ));
            }
        }
        "trigger" | "vars" => {}
        other => {
            return Err(ExprError::new(
                format!("unknown name `{other}`: paths start with `steps.`, `trigger.` or `vars.`"),
                pos,
            ))
        }
    }
    Ok(Kind::Path(segments))
}

fn root_help(root: &str) -> &'static str {
    match root {
        "steps" => "steps.<id>.status, steps.<id>.output or steps.<id>.outputs.<key>",
        "trigger" => "trigger.event, trigger.branch or trigger.<key>",
        _ => "vars.<key>",
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

fn eval(node: &Node, ctx: &dyn Context) -> Result<Value, ExprError> {
    Ok(match &node.kind {
        Kind::Lit(v) => v.clone(),
        Kind::Path(p) => {
            let path: Vec<&str> = p.iter().map(String::as_str).collect();
            ctx.lookup(&path)
        }
        Kind::List(items) => Value::List(
            items
                .iter()
                .map(|n| eval(n, ctx))
                .collect::<Result<_, _>>()?,
        ),
        Kind::Not(a) => Value::Bool(!eval(a, ctx)?.truthy()),
        Kind::And(a, b) => Value::Bool(eval(a, ctx)?.truthy() && eval(b, ctx)?.truthy()),
        Kind::Or(a, b) => Value::Bool(eval(a, ctx)?.truthy() || eval(b, ctx)?.truthy()),
        Kind::Cmp(op, a, b) => {
            let (l, r) = (eval(a, ctx)?, eval(b, ctx)?);
            Value::Bool(compare(*op, &l, &r).map_err(|m| ExprError::new(m, node.pos))?)
        }
        Kind::Call(func, args) => {
            let values = args
                .iter()
                .map(|n| eval(n, ctx))
                .collect::<Result<Vec<_>, _>>()?;
            call(*func, &values).map_err(|m| ExprError::new(m, node.pos))?
        }
    })
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q))
        }
        _ => a == b,
    }
}

fn compare(op: CmpOp, l: &Value, r: &Value) -> Result<bool, String> {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match op {
        CmpOp::Eq => return Ok(equal(l, r)),
        CmpOp::Ne => return Ok(!equal(l, r)),
        _ => match (l, r) {
            (Value::Num(a), Value::Num(b)) => a.partial_cmp(b),
            (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
            _ => {
                return Err(format!(
                    "`{}` compares two numbers or two strings, not {} {} and {} {}",
                    op.symbol(),
                    l.type_name(),
                    l,
                    r.type_name(),
                    r
                ))
            }
        },
    };
    // NaN is unordered: every ordering comparison with it is false.
    Ok(ord.is_some_and(|o| match op {
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Ge => o != Ordering::Less,
        CmpOp::Eq | CmpOp::Ne => false,
    }))
}

fn call(func: Func, args: &[Value]) -> Result<Value, String> {
    let wrong = |v: &Value, want: &str| {
        format!("{}() needs {want}, not {} {v}", func.name(), v.type_name())
    };
    let (a, b) = (&args[0], args.get(1));
    Ok(match func {
        Func::Contains => match (a, b) {
            (Value::Null, _) => Value::Bool(false),
            (Value::List(items), Some(x)) => Value::Bool(items.iter().any(|i| equal(i, x))),
            (Value::Str(s), Some(Value::Str(x))) => Value::Bool(s.contains(x.as_str())),
            (Value::Str(_), Some(x)) => return Err(wrong(x, "a string to look for in a string")),
            _ => return Err(wrong(a, "a string or a list")),
        },
        Func::StartsWith | Func::EndsWith => match (a, b) {
            (Value::Null, _) => Value::Bool(false),
            (Value::Str(s), Some(Value::Str(x))) => Value::Bool(if func == Func::StartsWith {
                s.starts_with(x.as_str())
            } else {
                s.ends_with(x.as_str())
            }),
            (Value::Str(_), Some(x)) => return Err(wrong(x, "a string")),
            _ => return Err(wrong(a, "a string")),
        },
        Func::Len => match a {
            Value::Null => Value::Num(0.0),
            Value::Str(s) => Value::Num(s.chars().count() as f64),
            Value::List(l) => Value::Num(l.len() as f64),
            _ => return Err(wrong(a, "a string or a list")),
        },
        Func::Num => match a {
            Value::Num(n) => Value::Num(*n),
            Value::Str(s) => match s.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => Value::Num(n),
                _ => return Err(format!("num(): {a} is not a number")),
            },
            _ => return Err(wrong(a, "a string or a number")),
        },
        Func::Lower | Func::Upper | Func::Trim => match a {
            Value::Null => Value::Null,
            Value::Str(s) => Value::Str(match func {
                Func::Lower => s.to_lowercase(),
                Func::Upper => s.to_uppercase(),
                _ => s.trim().to_owned(),
            }),
            _ => return Err(wrong(a, "a string")),
        },
    })
}
