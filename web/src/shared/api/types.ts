/**
 * REST types used by the UI: thin aliases into `schema.d.ts`, which `npm run gen:api` generates
 * from the server's OpenAPI document. Never hand-edit the schema; change the Rust types instead.
 */
import type { components } from './schema';

type Schemas = components['schemas'];

export type TerminalView = Schemas['TerminalView'];
export type TerminalStatus = Schemas['TerminalStatusView'];
export type CreateTerminalRequest = Schemas['CreateTerminalRequest'];
export type RenameTerminalRequest = Schemas['RenameTerminalRequest'];
export type ResizeTerminalRequest = Schemas['ResizeTerminalRequest'];
/** Every API error: `{"error":{"code","message","details","requestId"}}`. */
export type ErrorBody = Schemas['ErrorBody'];
export type ErrorCode = Schemas['ErrorCode'];
export type SandboxView = Schemas['SandboxView'];
export type SandboxStatus = Schemas['SandboxStatus'];
export type SandboxStats = Schemas['SandboxStatsView'];
export type CreateSandboxRequest = Schemas['CreateSandboxRequest'];
export type NetworkMode = Schemas['NetworkModeView'];
export type ExecRequest = Schemas['ExecRequest'];
export type ExecResponse = Schemas['ExecResponse'];
export type AgentEntry = Schemas['AgentEntry'];
export type AgentStatus = Schemas['AgentStatusView'];
export type AgentState = Schemas['AgentStateView'];
export type InboxItem = Schemas['InboxItem'];
export type InboxKind = Schemas['InboxKind'];
export type CredentialInfo = Schemas['CredentialInfo'];
export type CredentialStatus = Schemas['CredentialStatus'];
export type AddCredentialRequest = Schemas['AddCredentialRequest'];
export type UsageRow = Schemas['UsageRowView'];
export type CredentialKind = Schemas['CredentialKind'];
export type CredentialSource = Schemas['CredentialSource'];

export type ProjectView = Schemas['ProjectView'];
export type ProjectTypeView = Schemas['ProjectTypeView'];
export type ProjectDetailView = Schemas['ProjectDetailView'];
export type ProjectSandboxRef = Schemas['ProjectSandboxRef'];
export type ImportRequestBody = Schemas['ImportRequestBody'];
export type BranchView = Schemas['BranchView'];
export type CreateBranchRequest = Schemas['CreateBranchRequest'];
export type SandboxGitView = Schemas['SandboxGitView'];
export type WorkStatusView = Schemas['WorkStatusView'];
export type FileStatView = Schemas['FileStatView'];
export type DiffPageView = Schemas['DiffPageView'];
export type DiffLineView = Schemas['DiffLineView'];
export type HunkView = Schemas['HunkView'];
export type FileDiffView = Schemas['FileDiffView'];
export type FilesView = Schemas['FilesView'];
export type FileContentView = Schemas['FileContentView'];
export type CommitRequest = Schemas['CommitRequest'];
export type CommitView = Schemas['CommitView'];
export type PushView = Schemas['PushView'];
export type CommitInfoView = Schemas['CommitInfoView'];
export type PrDraftView = Schemas['PrDraftView'];
export type CreatePrRequest = Schemas['CreatePrRequest'];
export type PullView = Schemas['PullView'];
export type ChecksView = Schemas['ChecksView'];
export type MergeRequestBody = Schemas['MergeRequestBody'];
export type GithubAuthView = Schemas['GithubAuthView'];
export type DeviceView = Schemas['DeviceView'];
export type TokenRequest = Schemas['TokenRequest'];
export type RepoView = Schemas['RepoView'];
export type ClaudeStatus = Schemas['ClaudeStatus'];
export type CredentialMode = Schemas['CredentialModeView'];
export type KeyStorageKind = Schemas['KeyStorageKind'];
export type RunView = Schemas['RunView'];
export type RunDetail = Schemas['RunDetail'];
export type RunEventView = Schemas['RunEventView'];
export type StartRunRequest = Schemas['StartRunRequest'];
