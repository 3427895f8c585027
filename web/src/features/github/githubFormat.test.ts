import { describe, expect, it } from 'vitest';
import { canDisconnect, devicePending, deviceStatusText, githubSourceLabel } from './githubFormat';

describe('github format', () => {
  it('labels token sources', () => {
    expect(githubSourceLabel('pat')).toBe('personal access token');
    expect(githubSourceLabel('env')).toMatch(/GITHUB_TOKEN/);
    expect(githubSourceLabel('new')).toBe('new');
    expect(githubSourceLabel(null)).toBe('unknown');
  });
  it('disconnects only stored tokens', () => {
    expect(canDisconnect({ connected: true, source: 'pat' })).toBe(true);
    expect(canDisconnect({ connected: true, source: 'device' })).toBe(true);
    expect(canDisconnect({ connected: true, source: 'env' })).toBe(false);
    expect(canDisconnect({ connected: false, source: null })).toBe(false);
  });
  it('follows the device flow', () => {
    expect(devicePending({ device: { userCode: 'A', verificationUri: 'u', status: 'pending' } })).toBe(true);
    expect(devicePending({ device: null })).toBe(false);
    expect(devicePending(null)).toBe(false);
    expect(deviceStatusText('expired')).toMatch(/expired/);
  });
});
