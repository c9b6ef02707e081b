/**
 * The slice of the Node-RED runtime API these nodes use, typed here so the node files stay strict without
 * depending on node-red's own (untyped) modules at build time.
 */

export interface NodeMessage {
  _msgid?: string;
  payload?: unknown;
  topic?: string;
  [key: string]: unknown;
}

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export type SendFunction = (msg: NodeMessage | Array<NodeMessage | null> | null) => void;
export type DoneFunction = (error?: Error) => void;

export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  z?: string;
}

export interface Node {
  id: string;
  type: string;
  name?: string;
  z?: string;
  credentials?: Record<string, string | undefined>;
  on(event: 'input', listener: (msg: NodeMessage, send: SendFunction, done: DoneFunction) => void): void;
  on(event: 'close', listener: (removed: boolean, done: () => void) => void): void;
  send(msg: NodeMessage | Array<NodeMessage | null>): void;
  status(status: NodeStatus | Record<string, never>): void;
  log(message: string): void;
  warn(message: string): void;
  error(message: string | Error, msg?: NodeMessage): void;
  debug(message: string): void;
}

/** A prepared JSONata expression: opaque to the nodes, handed back to evaluateJSONataExpression. */
export interface JSONataExpression {
  evaluate(input: unknown, bindings?: Record<string, unknown>): unknown;
}

export interface NodeAPI {
  nodes: {
    createNode(node: Node, def: NodeDef): void;
    registerType<N extends Node, D extends NodeDef>(
      type: string,
      constructor: (this: N, def: D) => void,
      options?: { credentials?: Record<string, { type: 'text' | 'password' }> },
    ): void;
    getNode(id: string): Node | null;
  };
  util: {
    evaluateNodeProperty(
      value: string,
      type: string,
      node: Node,
      msg: NodeMessage,
      callback: (error: Error | null, result: unknown) => void,
    ): void;
    getMessageProperty(msg: NodeMessage, property: string): unknown;
    /** Parses a JSONata expression once (throws on a syntax error), for evaluateJSONataExpression. */
    prepareJSONataExpression(value: string, node: Node): JSONataExpression;
    evaluateJSONataExpression(
      expression: JSONataExpression,
      msg: NodeMessage,
      callback: (error: Error | null, result: unknown) => void,
    ): void;
    /** A deep copy of a msg (req/res are shared), for sending several msgs made from one. */
    cloneMessage<M extends NodeMessage>(msg: M): M;
  };
  /** Translates a key of this node set's message catalog. */
  _(key: string, substitutions?: Record<string, string | number>): string;
}
