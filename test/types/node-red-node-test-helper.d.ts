declare module 'node-red-node-test-helper' {
  import type { EventEmitter } from 'node:events';

  interface TestNode extends EventEmitter {
    id: string;
    type: string;
    receive(msg: Record<string, unknown>): void;
    status: unknown;
  }

  interface Helper {
    init(runtimePath: string, userSettings?: Record<string, unknown>): void;
    load(
      nodes: unknown | unknown[],
      flow: Array<Record<string, unknown>>,
      credentials?: Record<string, Record<string, string>>,
    ): Promise<void>;
    unload(): Promise<void>;
    getNode(id: string): TestNode | null;
    startServer(done: (error?: Error) => void): void;
    stopServer(done: (error?: Error) => void): void;
    clearFlows(): Promise<void>;
    setFlows(
      flow: Array<Record<string, unknown>>,
      type: 'full' | 'nodes' | 'flows',
      credentials?: Record<string, Record<string, string>>,
    ): Promise<void>;
  }

  const helper: Helper;
  export = helper;
}
