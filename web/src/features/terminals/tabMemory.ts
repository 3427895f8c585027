import { readJson, writeJson } from '../../shared/storage';

/**
 * What the browser remembers across reloads: the active tab and, per terminal, the offset the
 * user last saw (used to mark tabs with unseen output). The screens themselves come back from the
 * server as snapshots, since a reloaded page has an empty terminal.
 */
interface TabMemory {
  active: string | null;
  offsets: Record<string, number>;
}

const KEY = 'anycode.terminals.v1';

function load(): TabMemory {
  const value = readJson<Partial<TabMemory>>(KEY, {});
  return {
    active: typeof value.active === 'string' ? value.active : null,
    offsets: typeof value.offsets === 'object' && value.offsets !== null ? value.offsets : {},
  };
}

export const tabMemory = {
  activeTab(): string | null {
    return load().active;
  },
  setActiveTab(id: string | null): void {
    writeJson(KEY, { ...load(), active: id });
  },
  lastOffset(id: string): number | null {
    return load().offsets[id] ?? null;
  },
  setLastOffset(id: string, offset: number): void {
    const memory = load();
    if (memory.offsets[id] === offset) return;
    writeJson(KEY, { ...memory, offsets: { ...memory.offsets, [id]: offset } });
  },
  /** Drop entries of terminals that no longer exist. */
  retain(ids: readonly string[]): void {
    const memory = load();
    const keep = new Set(ids);
    const offsets = Object.fromEntries(Object.entries(memory.offsets).filter(([id]) => keep.has(id)));
    writeJson(KEY, { active: memory.active !== null && keep.has(memory.active) ? memory.active : null, offsets });
  },
};
