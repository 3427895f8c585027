import type { CreateSandboxRequest, CredentialMode, NetworkMode } from '../../shared/api/types';

/** Same rule as the server: 1–63 of letters, digits, `-`, `_`, `.`, starting with a letter or digit. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export const DEFAULT_IMAGE = 'anycode-sandbox:latest';

export interface SandboxForm {
  name: string;
  image: string;
  cpus: string;
  memoryMb: string;
  pids: string;
  network: NetworkMode;
  /** '' = the server's default (`--credential-mode`). */
  credentialMode: CredentialMode | '';
}

export const emptyForm: SandboxForm = { name: '', image: '', cpus: '', memoryMb: '', pids: '', network: 'none', credentialMode: '' };

export type FormErrors = Partial<Record<keyof SandboxForm, string>>;

export function validateName(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed === '') return 'A name is required.';
  if (trimmed.length > 63) return 'At most 63 characters.';
  if (!NAME.test(trimmed)) return 'Letters, digits, "-", "_" and "." only, starting with a letter or digit.';
  return null;
}

function numberField(raw: string, { min, max, integer }: { min: number; max?: number; integer: boolean }): number | string | null {
  const text = raw.trim();
  if (text === '') return null;
  const value = Number(text);
  if (!Number.isFinite(value)) return 'Not a number.';
  if (integer && !Number.isInteger(value)) return 'A whole number.';
  if (value < min) return `At least ${min}.`;
  if (max !== undefined && value > max) return `At most ${max}.`;
  return value;
}

/** Validates the form; returns the request or the errors per field (empty fields use server defaults). */
export function buildRequest(form: SandboxForm): { request: CreateSandboxRequest } | { errors: FormErrors } {
  const errors: FormErrors = {};
  const request: CreateSandboxRequest = { name: form.name.trim(), network: form.network };
  if (form.credentialMode !== '') request.credentialMode = form.credentialMode;
  const nameError = validateName(form.name);
  if (nameError) errors.name = nameError;
  const image = form.image.trim();
  if (image !== '') {
    if (image.length > 255 || /\s/.test(image)) errors.image = 'Not a valid image reference.';
    else request.image = image;
  }
  const fields = [
    ['cpus', { min: 0.1, integer: false }],
    ['memoryMb', { min: 128, max: 1_048_576, integer: true }],
    ['pids', { min: 32, max: 65_536, integer: true }],
  ] as const;
  for (const [key, rule] of fields) {
    const value = numberField(form[key], rule);
    if (typeof value === 'string') errors[key] = value;
    else if (value !== null) request[key] = value;
  }
  return Object.keys(errors).length > 0 ? { errors } : { request };
}
