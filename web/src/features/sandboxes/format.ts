import type { SandboxStatus } from '../../shared/api/types';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 → "1.5 KiB", 268435456 → "256 MiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  const text = digits === 0 ? value.toFixed(0) : value.toFixed(digits).replace(/0+$/, '').replace(/\.$/, '');
  return `${text} ${UNITS[unit]}`;
}

export function formatCpu(percent: number): string {
  if (!Number.isFinite(percent) || percent < 0) return '–';
  return `${percent < 10 ? percent.toFixed(1) : Math.round(percent)} %`;
}

/** What a sandbox in this state can do (the server answers `invalid_state` otherwise). */
export function sandboxActions(status: SandboxStatus): { start: boolean; stop: boolean; terminal: boolean; remove: boolean } {
  return {
    start: status === 'stopped' || status === 'failed',
    stop: status === 'ready' || status === 'running' || status === 'paused' || status === 'creating' || status === 'pending',
    terminal: status === 'ready' || status === 'running' || status === 'paused',
    remove: status !== 'destroyed',
  };
}

/** States that show the server's `reason` under the badge. */
export function showsReason(status: SandboxStatus): boolean {
  return status === 'failed' || status === 'stopped';
}
