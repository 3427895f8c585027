/**
 * REST types used by the UI. The first group are aliases into the generated OpenAPI schema
 * (`schema.d.ts`, produced by `npm run gen:api`); the rest are shapes that protocol.md fixes
 * but does not name as schemas.
 */
import type { components } from './schema';

type Schemas = components['schemas'];

export type TerminalView = Schemas['TerminalView'];
export type CreateTerminalRequest = Schemas['CreateTerminalRequest'];
export type TerminalStatus = TerminalView['status'];

/** Body of `PATCH /api/terminals/:id`. */
export interface RenameTerminalRequest {
  name: string;
}

/** Body of `POST /api/terminals/:id/resize`. */
export interface ResizeTerminalRequest {
  cols: number;
  rows: number;
}

/** Every API error: `{"error":{"code","message","details","requestId"}}`. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    details?: unknown;
    requestId?: string | null;
  };
}
