import { useCallback, useState } from 'react';
import type { ImportRequestBody, ProjectView } from '../../shared/api/types';
import { type ShownError, shownError } from '../../shared/ui/ErrorLine';
import { projectsApi } from './projectsApi';
import { upsertProject } from './projectStore';

export interface ImportState {
  /** What is being imported right now (the request answers once the mirror is cloned). */
  importing: string | null;
  error: ShownError | null;
  /** The last project imported from this page. */
  done: ProjectView | null;
}

/** One import at a time from the projects page (the form and the repository picker share it). */
export function useImport() {
  const [state, setState] = useState<ImportState>({ importing: null, error: null, done: null });

  const start = useCallback(async (body: ImportRequestBody): Promise<ProjectView | null> => {
    setState({ importing: body.repository.trim(), error: null, done: null });
    try {
      const project = await projectsApi.import(body);
      upsertProject(project);
      setState({ importing: null, error: null, done: project });
      return project;
    } catch (error) {
      setState({ importing: null, error: shownError(error), done: null });
      return null;
    }
  }, []);

  const clearError = useCallback(() => setState((s) => (s.error ? { ...s, error: null } : s)), []);

  return { ...state, start, clearError };
}
