/** Time wording of the task board: durations, "until 14:05:03 (in 42 s)", wait reasons. */

/** "45 s", "3 min", "3 min 20 s", "1 h 5 min", "2 d 3 h" (whole seconds, never negative). */
export function formatDuration(ms: number): string {
  const secs = Math.max(0, Math.round(Number.isFinite(ms) ? ms / 1000 : 0));
  if (secs < 60) return `${secs} s`;
  const mins = Math.floor(secs / 60);
  if (mins < 60) return secs % 60 === 0 || mins >= 10 ? `${mins} min` : `${mins} min ${secs % 60} s`;
  const hours = Math.floor(mins / 60);
  if (hours < 48) return mins % 60 === 0 ? `${hours} h` : `${hours} h ${mins % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

/** "in 42 s" for a future instant, "now" when it has come. */
export function formatIn(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  return t - now < 1000 ? 'now' : `in ${formatDuration(t - now)}`;
}

const localTime = (t: number) => new Date(t).toLocaleTimeString();

/** "14:05:03 (in 42 s)": a local clock time and how far away it is. */
export function formatUntil(iso: string, now: number, clock: (epochMs: number) => string = localTime): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  return `${clock(t)} (${formatIn(iso, now)})`;
}

/** RFC 3339 instants as the server writes them into its messages. */
const INSTANT = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/g;

/** `text` with every RFC 3339 instant in it written as "14:05:03 (in 42 s)". */
export function formatTimes(text: string, now: number, clock: (epochMs: number) => string = localTime): string {
  return text.replace(INSTANT, (iso) => formatUntil(iso, now, clock));
}

/**
 * A queued task's wait reason for people: every timestamp becomes "14:05:03 (in 42 s)", and it
 * reads "waiting: …" (`the model API rate-limited AnyCode (429); new tasks wait until 14:05:03
 * (in 42 s)` → `waiting: the model API …`).
 */
export function formatWaitReason(reason: string, now: number, clock: (epochMs: number) => string = localTime): string {
  const text = formatTimes(reason.trim(), now, clock);
  if (text === '') return 'waiting';
  return /^waiting\b/i.test(text) ? text : `waiting: ${text}`;
}

/** How long a task ran (or has been running): from `startedAt` to `finishedAt` or now. */
export function formatElapsed(startedAt: string | null | undefined, finishedAt: string | null | undefined, now: number): string | null {
  const start = startedAt ? Date.parse(startedAt) : NaN;
  if (!Number.isFinite(start)) return null;
  const end = finishedAt ? Date.parse(finishedAt) : now;
  return formatDuration((Number.isFinite(end) ? end : now) - start);
}
