import type { RuntimeEvents } from './handover';
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
  /** The Node-RED version, such as "4.1.15". */
  version?: () => string;
  log?: { warn(message: string): void };
  /** The runtime's events (flows started, runtime state); absent in some test harnesses. */
  events?: RuntimeEvents;
  nodes: {
    createNode(node: Node, def: NodeDef): void;
    registerType<N extends Node, D extends NodeDef>(
      type: string,
      constructor: (this: N, def: D) => void,
      options?: { credentials?: Record<string, { type: 'text' | 'password' }> },
    ): void;
    getNode(id: string): Node | null;
    /** The stored credentials of a deployed node (absent in some test harnesses). */
    getCredentials?(id: string): Record<string, unknown> | undefined;
    /** Replaces a node's stored credentials (saved with the next flows write). */
    addCredentials?(id: string, credentials: Record<string, unknown>): Promise<void> | void;
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
  /** The editor's admin HTTP API (express), for endpoints the node dialogs call. */
  httpAdmin?: {
    post(path: string, ...handlers: AdminHandler[]): void;
    get(path: string, ...handlers: AdminHandler[]): void;
  };
  auth?: {
    /** Middleware that lets through only users with this permission (e.g. "tak-config.write"). */
    needsPermission(permission: string): AdminHandler;
  };
}

/** The parts of an express request and response an admin endpoint uses. */
export interface AdminRequest {
  /** The parsed JSON body. */
  body?: unknown;
}

export interface AdminResponse {
  status(code: number): AdminResponse;
  json(body: unknown): void;
}

export type AdminHandler = (req: AdminRequest, res: AdminResponse, next: () => void) => void;

/** Node-RED's core tls-config node, as another node sees it through RED.nodes.getNode. */
export interface TlsConfigNode extends Node {
  /** False when its files could not be read (it logged why). */
  valid?: boolean;
  /** Fills key, cert, ca, passphrase, servername, rejectUnauthorized... into opts and returns it. */
  addTLSOptions(opts: Record<string, unknown>): Record<string, unknown>;
}
