/**
 * @fileoverview The few web-platform globals protocol/ uses, which browsers and Node 20 both
 * provide. protocol/tsconfig.json has neither DOM nor Node types, so a module here that reaches
 * for anything else (document, Buffer, process) fails the typecheck. Other areas get the real
 * declarations from their own lib or @types/node; this file is only in protocol's program.
 */
declare function structuredClone<T>(value: T): T;
declare function btoa(data: string): string;
declare function atob(data: string): string;

declare class TextEncoder {
  encode(input?: string): Uint8Array;
}

declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: ArrayBuffer | ArrayBufferView): string;
}

declare class URLSearchParams {
  constructor(init?: string | Record<string, string> | URLSearchParams);
  get(name: string): string | null;
  has(name: string): boolean;
}
