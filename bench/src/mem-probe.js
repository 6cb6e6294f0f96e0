// @fileoverview Preloaded (`node --import`) into the processes whose memory the benchmark measures:
// on an IPC request it runs a full GC (with --expose-gc) and answers process.memoryUsage(), and it
// ends the process when the benchmark that started it goes away.
// Plain JavaScript because it loads before bin/comfyume.js registers tsx; a TypeScript preload
// would need a second tsx registration, which would add to the very memory being measured.
if (process.send) {
  process.on('message', (message) => {
    if (!message || message.type !== 'bench-mem') return;
    if (typeof globalThis.gc === 'function') globalThis.gc();
    process.send({ type: 'bench-mem', usage: process.memoryUsage() });
  });
  // The IPC channel must not keep a process alive that would otherwise exit, and a process the
  // benchmark started must not outlive the benchmark (Ctrl-C, crash): its channel closes then.
  process.channel?.unref();
  process.on('disconnect', () => process.exit(0));
}
