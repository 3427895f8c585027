/** A same-origin WebSocket URL (auth travels in the cookie, so no token in it). */
export function wsUrl(path: string, params: Record<string, string | number | null | undefined> = {}, base: Location | URL = window.location): string {
  const url = new URL(path, base.href);
  url.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined) url.searchParams.set(key, String(value));
  }
  return url.toString();
}
