// The part of the WebAssembly JavaScript API the kernels use. Node has it as a global,
// but its type declarations live in TypeScript's DOM library, which this project does
// not load (it would declare browser globals that do not exist here).
declare namespace WebAssembly {
  class Module {
    constructor(bytes: BufferSource);
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number; shared?: boolean });
    readonly buffer: ArrayBuffer;
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
}
type BufferSource = ArrayBufferView | ArrayBuffer;
