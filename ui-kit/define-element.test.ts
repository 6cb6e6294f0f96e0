/** @fileoverview A second registration (a second copy of a bundle) never throws. */
import { describe, expect, it, vi } from 'vitest';
import { defineElement } from './define-element';

describe('defineElement', () => {
  it('registers once and keeps the first class when another copy comes', () => {
    class First extends HTMLElement {}
    class Second extends HTMLElement {}
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    defineElement('ui-kit-first', First);
    defineElement('ui-kit-first', First);
    expect(warn).not.toHaveBeenCalled();
    defineElement('ui-kit-first', Second);
    expect(customElements.get('ui-kit-first')).toBe(First);
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
  });
  it('registers one class under a second name through a subclass', () => {
    class Shared extends HTMLElement {}
    defineElement('ui-kit-a', Shared);
    defineElement('ui-kit-b', Shared);
    expect(customElements.get('ui-kit-b')).toBeDefined();
    expect(customElements.get('ui-kit-b')).not.toBe(Shared);
  });
});
