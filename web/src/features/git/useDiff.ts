import { useCallback, useEffect, useState } from 'react';
import type { FileDiffView, FileStatView } from '../../shared/api/types';
import { type ShownError, shownError } from '../../shared/ui/ErrorLine';
import { gitApi } from './gitApi';

export interface DiffListState {
  base: string;
  files: FileStatView[];
  totalFiles: number;
  additions: number;
  deletions: number;
}

/**
 * The list after the next page arrived: its files appended (a file already listed is not repeated
 * when the work changed between pages), the totals of the newest answer.
 */
export function appendPage(list: DiffListState, page: DiffListState): DiffListState {
  const known = new Set(list.files.map((f) => f.path));
  return {
    base: page.base,
    totalFiles: page.totalFiles,
    additions: page.additions,
    deletions: page.deletions,
    files: [...list.files, ...page.files.filter((f) => !known.has(f.path))],
  };
}

/** Files not fetched yet (the "Load more" count); never negative. */
export function remainingFiles(list: Pick<DiffListState, 'files' | 'totalFiles'>): number {
  return Math.max(0, list.totalFiles - list.files.length);
}

/**
 * The changed files of a sandbox against its base, a page at a time (the server never sends a
 * whole large diff): the first page on open and on every `version` bump, then `loadMore()`.
 */
export function useDiffList(sandboxId: string, pageSize: number, version: number) {
  const [loaded, setLoaded] = useState<{ version: number; list: DiffListState | null; error: ShownError | null } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);

  useEffect(() => {
    let live = true;
    gitApi.diff(sandboxId, 0, pageSize).then(
      (page) => live && setLoaded({ version, list: appendPage({ ...page, files: [] }, page), error: null }),
      (error: unknown) => live && setLoaded({ version, list: null, error: shownError(error) }),
    );
    return () => {
      live = false;
    };
  }, [sandboxId, pageSize, version]);

  const current = loaded?.version === version ? loaded : null;
  const list = current?.list ?? null;

  const loadMore = useCallback(async () => {
    if (!list || remainingFiles(list) === 0) return;
    setLoadingMore(true);
    try {
      const page = await gitApi.diff(sandboxId, list.files.length, pageSize);
      setLoaded((l) => (l?.version === version && l.list ? { ...l, list: appendPage(l.list, page) } : l));
    } catch (error) {
      setLoaded((l) => (l ? { ...l, error: shownError(error) } : l));
    } finally {
      setLoadingMore(false);
    }
  }, [list, sandboxId, pageSize, version]);

  return { list, error: current?.error ?? null, loading: current === null, loadingMore, loadMore };
}

interface FileResult {
  diff: FileDiffView | null;
  error: ShownError | null;
}

/** One file's hunks, fetched when it is first shown (cached per `version`). */
export function useFileDiff(sandboxId: string, path: string | null, version: number) {
  const [cache, setCache] = useState<ReadonlyMap<string, FileResult>>(new Map());
  const key = `${version}\n${path ?? ''}`;
  const hit = cache.get(key);

  useEffect(() => {
    if (path === null || hit) return;
    let live = true;
    gitApi.diffFile(sandboxId, path).then(
      (diff) => live && setCache((c) => new Map(c).set(key, { diff, error: null })),
      (error: unknown) => live && setCache((c) => new Map(c).set(key, { diff: null, error: shownError(error) })),
    );
    return () => {
      live = false;
    };
  }, [sandboxId, path, key, hit]);

  return { diff: hit?.diff ?? null, error: hit?.error ?? null, loading: path !== null && !hit };
}
