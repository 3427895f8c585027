import { Store } from '../store';

export interface Toast {
  id: number;
  kind: 'error' | 'info';
  /** Stable error code (`invalid_size`, `network`, …) shown as a badge. */
  code?: string;
  message: string;
  requestId?: string | null;
}

export const toastStore = new Store<Toast[]>([]);

let nextId = 1;
const MAX_TOASTS = 5;
const TTL_MS = 8000;

export function showToast(toast: Omit<Toast, 'id'>): void {
  const id = nextId++;
  toastStore.update((list) => [...list, { ...toast, id }].slice(-MAX_TOASTS));
  setTimeout(() => dismissToast(id), TTL_MS);
}

export function dismissToast(id: number): void {
  toastStore.update((list) => list.filter((t) => t.id !== id));
}
