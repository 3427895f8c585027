import { describe, expect, it } from 'vitest';
import { encodeClientMessage, parseServerMessage } from './protocol';

describe('control messages', () => {
  it('parses known server messages', () => {
    expect(parseServerMessage('{"type":"exit","payload":{"code":3,"signal":null}}')).toEqual({
      type: 'exit',
      payload: { code: 3, signal: null },
    });
  });

  it('rejects junk, unknown types and missing payloads', () => {
    expect(parseServerMessage('not json')).toBeNull();
    expect(parseServerMessage('{"type":"bogus","payload":{}}')).toBeNull();
    expect(parseServerMessage('{"type":"status"}')).toBeNull();
    expect(parseServerMessage('[1,2]')).toBeNull();
  });

  it('encodes client messages in the envelope', () => {
    expect(encodeClientMessage({ type: 'ack', payload: { offset: 10 } })).toBe('{"type":"ack","payload":{"offset":10}}');
  });
});
