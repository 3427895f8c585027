import type { RunEventView, RunView } from '../../shared/api/types';

/** Token counts of a finished run (from the `result` line's `usage`). */
export interface RunUsage {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

/** What a headless run's final `result` line says, or why the run failed without one. */
export interface RunOutcome {
  ok: boolean;
  /** `success`, `error_max_turns`, … or `error` when the run ended without a result. */
  subtype: string;
  text: string | null;
  costUsd: number | null;
  turns: number | null;
  durationMs: number | null;
  usage: RunUsage | null;
}

/** One entry of a run's event log, as shown. */
export type LogItem =
  | { kind: 'init'; key: string; model: string | null; sessionId: string | null; tools: number; cwd: string | null }
  | { kind: 'text'; key: string; text: string }
  | { kind: 'tool_use'; key: string; id: string | null; name: string; input: string }
  | { kind: 'tool_result'; key: string; tool: string | null; text: string; isError: boolean }
  | { kind: 'result'; key: string; outcome: RunOutcome }
  | { kind: 'other'; key: string; type: string };

type Json = Record<string, unknown>;

function obj(v: unknown): Json | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function blocks(event: Json): Json[] {
  const content = obj(event.message)?.content;
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? content.map(obj).filter((b): b is Json => b !== null) : [];
}

/** A tool's input in one line: the usual fields first (`command`, `file_path`, …), else JSON. */
export function summarizeInput(input: unknown): string {
  const o = obj(input);
  if (!o) return input === undefined ? '' : JSON.stringify(input);
  for (const key of ['command', 'file_path', 'path', 'pattern', 'url', 'description']) {
    const v = str(o[key]);
    if (v) return v;
  }
  return JSON.stringify(o);
}

/** A tool result's text: a string, or the text blocks of an array. */
function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((c) => str(obj(c)?.text) ?? '')
      .filter((t) => t !== '')
      .join('\n');
  }
  return content === undefined || content === null ? '' : JSON.stringify(content);
}

function usageOf(v: unknown): RunUsage | null {
  const u = obj(v);
  if (!u) return null;
  return {
    input: num(u.input_tokens) ?? 0,
    output: num(u.output_tokens) ?? 0,
    cacheWrite: num(u.cache_creation_input_tokens) ?? 0,
    cacheRead: num(u.cache_read_input_tokens) ?? 0,
  };
}

/** The outcome of a run from its stored `result` (the final stream-json line, or `{error}`). */
export function outcomeOf(result: unknown): RunOutcome | null {
  const r = obj(result);
  if (!r) return null;
  const error = str(r.error);
  if (error !== null && r.type !== 'result') {
    return { ok: false, subtype: 'error', text: error, costUsd: null, turns: null, durationMs: null, usage: null };
  }
  const isError = r.is_error === true;
  const errors = Array.isArray(r.errors) ? r.errors.map(str).filter((e): e is string => e !== null) : [];
  return {
    ok: !isError,
    subtype: str(r.subtype) ?? (isError ? 'error' : 'success'),
    text: str(r.result) ?? (errors.length > 0 ? errors.join('\n') : null),
    costUsd: num(r.total_cost_usd),
    turns: num(r.num_turns),
    durationMs: num(r.duration_ms),
    usage: usageOf(r.usage),
  };
}

const HIDDEN = new Set(['system/hook_started', 'system/hook_response']);

/** The typed log of a run: one item per text block, tool use and tool result, plus init and result. */
export function logItems(events: readonly RunEventView[]): LogItem[] {
  const items: LogItem[] = [];
  const toolNames = new Map<string, string>();
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    const ev = obj(e.event) ?? {};
    const base = `${e.seq}`;
    if (e.kind === 'init') {
      items.push({
        kind: 'init',
        key: base,
        model: str(ev.model),
        sessionId: str(ev.session_id),
        tools: Array.isArray(ev.tools) ? ev.tools.length : 0,
        cwd: str(ev.cwd),
      });
    } else if (e.kind === 'assistant_text' || e.kind === 'tool_use') {
      blocks(ev).forEach((b, i) => {
        const key = `${base}.${i}`;
        if (b.type === 'text') {
          const text = str(b.text) ?? '';
          if (text.trim() !== '') items.push({ kind: 'text', key, text });
        } else if (b.type === 'tool_use') {
          const name = str(b.name) ?? 'tool';
          const id = str(b.id);
          if (id) toolNames.set(id, name);
          items.push({ kind: 'tool_use', key, id, name, input: summarizeInput(b.input) });
        }
      });
    } else if (e.kind === 'tool_result') {
      blocks(ev).forEach((b, i) => {
        if (b.type !== 'tool_result') return;
        const id = str(b.tool_use_id);
        items.push({
          kind: 'tool_result',
          key: `${base}.${i}`,
          tool: id ? (toolNames.get(id) ?? null) : null,
          text: resultText(b.content),
          isError: b.is_error === true,
        });
      });
    } else if (e.kind === 'result') {
      const outcome = outcomeOf(ev);
      if (outcome) items.push({ kind: 'result', key: base, outcome });
    } else {
      const type = [str(ev.type), str(ev.subtype)].filter((t) => t !== null).join('/');
      // Our own hooks fire in every run (they report agent states); their echo is noise here.
      if (!HIDDEN.has(type)) items.push({ kind: 'other', key: base, type: type || 'event' });
    }
  }
  return items;
}

export type RunStatus = 'running' | 'completed' | 'failed';

export function runStatus(run: Pick<RunView, 'status'>): RunStatus {
  return run.status === 'completed' || run.status === 'failed' ? run.status : 'running';
}

/** Newest first. */
export function sortRuns(runs: readonly RunView[]): RunView[] {
  return [...runs].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
}

/** "$0.0223" (4 significant decimals below a dollar), or "–". */
export function formatCost(usd: number | null): string {
  if (usd === null) return '–';
  return usd >= 1 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(4)}`;
}

/** "3.9k in · 82 out" (+ cache when any). */
export function formatUsage(u: RunUsage | null): string {
  if (!u) return '–';
  const k = (n: number) => (n >= 10_000 ? `${Math.round(n / 1000)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : `${n}`);
  const parts = [`${k(u.input)} in`, `${k(u.output)} out`];
  if (u.cacheWrite > 0 || u.cacheRead > 0) parts.push(`cache ${k(u.cacheWrite)} write / ${k(u.cacheRead)} read`);
  return parts.join(' · ');
}
