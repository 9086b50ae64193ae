/**
 * What the WebAssembly kernels need to start: their module compiled once per thread
 * from the base64 that `npm run build:wasm` embeds, and an instance over a memory whose
 * regions are laid out up front.
 */

/** Regions of a kernel's memory, each starting on an 8-byte boundary. */
export class Layout {
  size = 0;

  /** Reserves `bytes` and returns where they start. */
  take(bytes: number): number {
    const start = this.size;
    this.size = (this.size + bytes + 7) & ~7;
    return start;
  }
}

/**
 * Returns `instantiate(layout)`: a new instance of the module over a memory of
 * `layout.size` bytes, and that memory's buffer. The memory is sized once and never
 * grows: growing would detach every view the caller makes of the buffer. The module's one
 * import is that memory, `env.memory`: a kernel calls no JavaScript.
 */
export function kernel<E>(base64: string): (layout: Layout) => { exports: E; buffer: ArrayBuffer } {
  let compiled: WebAssembly.Module | null = null;
  return (layout) => {
    compiled ??= new WebAssembly.Module(Buffer.from(base64, 'base64'));
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(layout.size / 65536)) });
    const instance = new WebAssembly.Instance(compiled, { env: { memory } });
    return { exports: instance.exports as unknown as E, buffer: memory.buffer };
  };
}
