import { useEffect, useState } from 'react';
import { ApiError } from '../../shared/api/errors';
import { workflowsApi } from './workflowsApi';
import type { ValidationView } from './workflowTypes';

export type ValidationState =
  | { state: 'idle' }
  | { state: 'checking'; last: ValidationView | null }
  | { state: 'done'; result: ValidationView }
  | { state: 'unavailable'; message: string };

export const VALIDATE_DEBOUNCE_MS = 350;

type Answer = { definition: string; result: ValidationView } | { definition: string; error: string };

/**
 * The definition checked by the server (`POST /api/workflows/validate`) a moment after the last
 * keystroke. An answer counts only for the text it was asked about (older requests are aborted);
 * while a newer text is being checked the last result stays available (`last`).
 */
export function useValidation(definition: string): ValidationState {
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [last, setLast] = useState<ValidationView | null>(null);
  useEffect(() => {
    if (definition.trim() === '') return;
    const abort = new AbortController();
    const timer = setTimeout(() => {
      workflowsApi.validate(definition, abort.signal).then(
        (result) => {
          setAnswer({ definition, result });
          setLast(result);
        },
        (error: unknown) => {
          if (abort.signal.aborted) return;
          setAnswer({ definition, error: error instanceof ApiError ? error.message : String(error) });
        },
      );
    }, VALIDATE_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [definition]);

  if (definition.trim() === '') return { state: 'idle' };
  if (answer?.definition !== definition) return { state: 'checking', last };
  return 'result' in answer ? { state: 'done', result: answer.result } : { state: 'unavailable', message: answer.error };
}
