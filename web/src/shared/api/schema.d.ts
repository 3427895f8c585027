/**
 * TEMPORARY — hand-written stand-in so the web UI compiles before the server publishes its
 * OpenAPI document. Do not edit by hand: the lead regenerates this file with
 * `npm run gen:api` (openapi-typescript ../target/openapi.json), which overwrites it.
 * Shapes follow docs/protocol.md.
 */

export type paths = Record<string, never>;
export type webhooks = Record<string, never>;

export interface components {
  schemas: {
    TerminalView: {
      id: string;
      name: string;
      command: string[];
      cwd: string;
      cols: number;
      rows: number;
      /** @enum {string} */
      status: 'running' | 'exited';
      exitCode?: number | null;
      signal?: number | null;
      sandboxId?: string | null;
      /** Format: date-time */
      createdAt: string;
      startOffset: number;
      endOffset: number;
    };
    CreateTerminalRequest: {
      command?: string[] | null;
      cwd?: string | null;
      env?: { [key: string]: string } | null;
      cols?: number | null;
      rows?: number | null;
      name?: string | null;
      sandboxId?: string | null;
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
