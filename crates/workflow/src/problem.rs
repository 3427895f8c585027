//! What is wrong with a definition: a stable code, a message, the offending step ids.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One problem with a workflow definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    pub code: ProblemCode,
    pub message: String,
    /// The steps concerned, the offending one first: for a missing dependency the step and the
    /// missing id; for a cycle the ids on the cycle in order; empty for workflow-level problems.
    pub step_ids: Vec<String>,
    /// 1-based line: where YAML itself is broken, or the line of the offending step's `id:`.
    pub line: Option<usize>,
    /// 1-based column, with [`Problem::line`].
    pub column: Option<usize>,
}

impl Problem {
    pub(crate) fn new(
        code: ProblemCode,
        message: impl Into<String>,
        step_ids: Vec<String>,
    ) -> Self {
        Problem {
            code,
            message: message.into(),
            step_ids,
            line: None,
            column: None,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}")?;
            if let Some(column) = self.column {
                write!(f, ", column {column}")?;
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.message)
    }
}

/// A stable, machine-readable kind of [`Problem`] (serialized snake_case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// Not YAML at all (line and column given), or too large.
    InvalidYaml,
    /// A required field is absent (or empty).
    MissingField,
    /// `type:` names no known step type; the message lists the allowed ones.
    UnknownStepType,
    DuplicateStepId,
    /// Not 1–64 characters of `[A-Za-z0-9_-]`.
    InvalidStepId,
    /// `dependsOn` names no step: ids = the step, the missing id.
    MissingDependency,
    /// ids = the steps on the cycle, in `dependsOn` order, starting from the earliest in the file.
    Cycle,
    /// A condition that does not parse, or refers to a step that is not upstream.
    InvalidCondition,
    InvalidCron,
    InvalidBranch,
    /// A field of the wrong type or outside its allowed values.
    InvalidValue,
    /// A field nobody reads (a typo such as `promt`); the message suggests the closest one.
    UnknownField,
}

impl ProblemCode {
    /// The serialized name, e.g. `"missing_dependency"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemCode::InvalidYaml => "invalid_yaml",
            ProblemCode::MissingField => "missing_field",
            ProblemCode::UnknownStepType => "unknown_step_type",
            ProblemCode::DuplicateStepId => "duplicate_step_id",
            ProblemCode::InvalidStepId => "invalid_step_id",
            ProblemCode::MissingDependency => "missing_dependency",
            ProblemCode::Cycle => "cycle",
            ProblemCode::InvalidCondition => "invalid_condition",
            ProblemCode::InvalidCron => "invalid_cron",
            ProblemCode::InvalidBranch => "invalid_branch",
            ProblemCode::InvalidValue => "invalid_value",
            ProblemCode::UnknownField => "unknown_field",
        }
    }
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
