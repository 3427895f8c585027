import { describe, expect, it } from 'vitest';
import { formatBytes, formatCpu, sandboxActions } from './format';
import { buildRequest, emptyForm, validateName } from './validation';

describe('sandbox name', () => {
  it('accepts what the server accepts', () => {
    for (const name of ['a', 'web-1', 'A.b_c-d', '9lives', 'x'.repeat(63)]) expect(validateName(name)).toBeNull();
  });
  it('rejects what the server rejects', () => {
    for (const name of ['', '  ', '-a', '.a', '_a', 'a b', 'a/b', 'é', 'x'.repeat(64)]) expect(validateName(name)).not.toBeNull();
  });
});

describe('buildRequest', () => {
  it('leaves empty fields to the server defaults', () => {
    expect(buildRequest({ ...emptyForm, name: ' box ' })).toEqual({ request: { name: 'box', network: 'none' } });
  });
  it('parses limits and reports bad ones per field', () => {
    expect(buildRequest({ ...emptyForm, name: 'b', cpus: '1.5', memoryMb: '512', pids: '256', image: 'img:1', network: 'bridge' })).toEqual({
      request: { name: 'b', cpus: 1.5, memoryMb: 512, pids: 256, image: 'img:1', network: 'bridge' },
    });
    expect(buildRequest({ ...emptyForm, name: 'b', credentialMode: 'direct' })).toEqual({
      request: { name: 'b', network: 'none', credentialMode: 'direct' },
    });
    const result = buildRequest({ ...emptyForm, name: '', cpus: '0', memoryMb: '12.5', pids: 'x' });
    expect('errors' in result && Object.keys(result.errors).sort()).toEqual(['cpus', 'memoryMb', 'name', 'pids']);
  });
});

describe('format', () => {
  it('shows bytes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(256 * 1024 * 1024)).toBe('256 MiB');
    expect(formatBytes(2 * 1024 ** 3)).toBe('2 GiB');
  });
  it('shows CPU percent', () => {
    expect(formatCpu(0.123)).toBe('0.1 %');
    expect(formatCpu(57.6)).toBe('58 %');
  });
  it('enables actions by state', () => {
    expect(sandboxActions('ready')).toEqual({ start: false, stop: true, terminal: true, remove: true });
    expect(sandboxActions('stopped')).toEqual({ start: true, stop: false, terminal: false, remove: true });
  });
});
