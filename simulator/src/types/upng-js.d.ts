/** @fileoverview Types for upng-js (the package ships none); only what the simulator uses. */
declare module 'upng-js' {
  const UPNG: {
    encode(
      frames: ArrayBuffer[],
      width: number,
      height: number,
      colors: number,
      delays?: number[],
    ): ArrayBuffer;
    decode(buffer: ArrayBuffer): { width: number; height: number; frames: unknown[] };
    toRGBA8(image: { width: number; height: number; frames: unknown[] }): ArrayBuffer[];
  };
  export default UPNG;
}
