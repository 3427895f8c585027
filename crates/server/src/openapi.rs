//! The OpenAPI document, generated from the handlers and types. `anycode openapi` prints it;
//! `web/src/shared/api/schema.d.ts` is generated from that output (checked in CI).
use utoipa::OpenApi;

use crate::api::claude::*;
use crate::api::projects::*;
use crate::api::sandboxes::*;
use crate::api::tasks::*;
use crate::api::terminals::*;
use crate::api::workflows::*;
use crate::error::{ErrorBody, ErrorCode, ErrorDetail};
use crate::ws::messages::*;

#[derive(OpenApi)]
#[openapi(
    info(title = "AnyCode API", description = "Control room for many Claude Code agents. Every route needs the access token (Bearer header, cookie, or ?token= on WebSockets)."),
    paths(list_terminals, create_terminal, get_terminal, rename_terminal, resize_terminal, delete_terminal, get_recording,
        list_sandboxes, create_sandbox, get_sandbox, start_sandbox, stop_sandbox, delete_sandbox, exec_in_sandbox,
        credential_status, add_credential, delete_credential, claude_status, inbox, mark_seen, usage, list_agents, start_run, list_runs, get_run,
        list_projects, import_project, get_project, delete_project, list_branches, create_branch,
        git_status, sandbox_diff, sandbox_diff_file, sandbox_files, sandbox_file, sandbox_commit, sandbox_push, sandbox_pr_draft,
        create_pull, list_pulls, get_pull, merge_pull, github_auth, set_github_token, delete_github_token, start_device_flow, github_repos, github_webhook, radar,
        list_tasks, create_task, get_task, cancel_task, complete_task, task_logs, get_scheduler, set_scheduler,
        list_workflows, create_workflow, validate_workflow, get_workflow, update_workflow, delete_workflow, run_workflow, workflow_runs,
        get_workflow_run, cancel_workflow_run, approve_step, reject_step, list_approvals),
    components(schemas(
        ErrorBody, ErrorDetail, ErrorCode,
        TerminalView, TerminalStatusView, CreateTerminalRequest, RenameTerminalRequest, ResizeTerminalRequest,
        TerminalClientMessage, TerminalServerMessage, InputPayload, ResizePayload, PingPayload, CommandPayload,
        TerminalCommand, AckPayload, HelloPayload, StatusPayload, TerminalConnectionStatus, ExitPayload, WsErrorPayload,
        SandboxView, SandboxStatus, SandboxLimitsView, SandboxStatsView, NetworkModeView, CreateSandboxRequest, ExecRequest, ExecResponse,
        CredentialStatus, AddCredentialRequest, ClaudeStatus, CredentialModeView, credentials::KeyStorageKind, credentials::CredentialInfo, credentials::CredentialKind, credentials::CredentialSource, credentials::StoredKind,
        AgentStateView, AgentStatusView, AgentEntry, InboxItem, InboxKind, UsageRowView,
        StartRunRequest, RunView, RunEventView, RunDetail,
        SandboxGitView, ProjectView, ProjectTypeView, ProjectDetailView, ProjectSandboxRef, ImportRequestBody, BranchView, CreateBranchRequest,
        FileStatView, DiffPageView, DiffLineView, HunkView, FileDiffView, WorkStatusView, FilesView, FileContentView,
        CommitRequest, CommitView, PushView, CommitInfoView, PrDraftView, CreatePrRequest, ChecksView, PullView, MergeRequestBody,
        DeviceView, GithubAuthView, TokenRequest, RepoView, OverlapView,
        TaskType, CreateTaskRequest, TaskView, TaskUsageView, TaskLogView, SchedulerLimitsView, SchedulerView,
        ProblemView, WorkflowView, CreateWorkflowRequest, UpdateWorkflowRequest, ValidateRequest, StepDefView, ValidationView,
        StepRunView, WorkflowRunView, WorkflowDetailView, ApprovalView, DecisionRequest,
    )),
    tags((name = "workflows", description = "YAML workflows (claude_task, git_operation, shell_command, wait, approval), their runs and approvals"),
        (name = "tasks", description = "Tasks run unattended (or interactively) in their own sandboxes; the scheduler's limits and hold"),
        (name = "projects", description = "Imported repositories: a mirror each, branches, detected type"),
        (name = "git", description = "A project sandbox's work: status, diff (paginated), files, commit, push — Git runs inside the sandbox"),
        (name = "pulls", description = "Pull requests: drafted, conflict-checked (git merge-tree), merged"),
        (name = "github", description = "The GitHub connection (device flow, token, gh) and the signed webhook"),
        (name = "credentials", description = "The user's Claude credentials; only prefixes are ever shown"),
        (name = "agents", description = "Claude agents' states (from hooks), the inbox, token usage"),
        (name = "sandboxes", description = "A container (or local process group) per agent; state changes over WebSocket /ws/events"),
        (name = "terminals", description = "Interactive terminals; live I/O over WebSocket /ws/terminals/{id} (docs/protocol.md)"))
)]
pub struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub fn json() -> String {
    document().to_pretty_json().unwrap_or_default()
}
