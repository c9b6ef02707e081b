/**
 * A real Node-RED runtime embedded in this process, with this package's nodes loaded from the working
 * tree as an installed package would be: no test helper, no spies. For the bench and the soak.
 */
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { NODE_RED_MAIN, REPO_ROOT } from './paths';

interface RedNodes {
  getNode(id: string): { receive(msg: Record<string, unknown>): void } | null;
  setFlows(
    flows: Array<Record<string, unknown>>,
    credentials: Record<string, unknown>,
    type: string,
  ): Promise<unknown>;
}

interface RedModule {
  init(server: http.Server, settings: Record<string, unknown>): void;
  httpAdmin: unknown;
  httpNode: unknown;
  start(): Promise<void>;
  stop(): Promise<void>;
  nodes: RedNodes;
}

/** A node as the runtime holds it: enough to reach a tak-config's live client from a test or the soak. */
export interface RuntimeNode {
  receive(msg: Record<string, unknown>): void;
}

export interface EmbeddedRed {
  nodes: RedNodes;
  /** The editor's address when started with `http: 'editor'`, else empty. */
  url: string;
  deploy(flows: Array<Record<string, unknown>>): Promise<void>;
  stop(): Promise<void>;
}

/** Starting a flow takes milliseconds; seconds means it failed. */
const DEPLOY_TIMEOUT_MS = 10_000;

/** One line of the runtime's log, as Node-RED hands it to a custom logger (level 20 = error, 30 = warn). */
export interface RedLogEntry {
  level: number;
  msg: unknown;
  type?: string;
  id?: string;
  name?: string;
}

export interface EmbeddedRedOptions {
  /** Reachable from function nodes as `global.get(name)`. */
  globals?: Record<string, unknown>;
  onLog?: (entry: RedLogEntry) => void;
  /**
   * `none`: no HTTP at all (bench, soak). `nodes`: HTTP-in and worldmap endpoints on a server that never
   * listens (deploy tests). `editor`: the editor and endpoints served on 127.0.0.1, any free port.
   */
  http?: 'none' | 'nodes' | 'editor';
  /** The editor's theme settings; by default no tour and no projects, as a test wants. */
  editorTheme?: Record<string, unknown>;
  /**
   * Extra node types, loaded as the runtime loads a user's own nodes (from its `nodes` folder): each a
   * compiled module whose default export registers the type, and the editor HTML the runtime wants beside it.
   */
  localNodes?: Array<{ name: string; module: string; html: string }>;
}

/** Starts Node-RED in this process with this working tree installed as a package. */
export async function startEmbeddedRed(options: EmbeddedRedOptions = {}): Promise<EmbeddedRed> {
  const mode = options.http ?? 'none';
  const userDir = mkdtempSync(path.join(os.tmpdir(), 'takpak-red-'));
  mkdirSync(path.join(userDir, 'node_modules'));
  symlinkSync(REPO_ROOT, path.join(userDir, 'node_modules', 'node-red-contrib-takpak'), 'dir');
  if (options.localNodes?.length) {
    const nodesDir = path.join(userDir, 'nodes');
    mkdirSync(nodesDir);
    for (const node of options.localNodes) {
      writeFileSync(
        path.join(nodesDir, `${node.name}.js`),
        `module.exports = require(${JSON.stringify(node.module)}).default;\n`,
      );
      writeFileSync(path.join(nodesDir, `${node.name}.html`), node.html);
    }
  }
  /* eslint-disable @typescript-eslint/no-require-imports */
  const RED = require(NODE_RED_MAIN) as RedModule;
  const express = require('express') as () => http.RequestListener & {
    use(path: string, handler: unknown): void;
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  const app = express();
  const server = http.createServer(app);
  const onLog = options.onLog;
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    httpAdminRoot: mode === 'editor' ? '/' : false,
    httpNodeRoot: mode === 'none' ? false : '/',
    disableEditor: mode !== 'editor',
    credentialSecret: false,
    functionGlobalContext: options.globals ?? {},
    editorTheme: options.editorTheme ?? { tours: false, projects: { enabled: false } },
    // No update-notification question in the editor, and no calls home.
    telemetry: { enabled: false },
    logging: {
      console: { level: process.env.TAKPAK_BENCH_LOG ?? 'warn', metrics: false, audit: false },
      ...(onLog ? { capture: { level: 'warn', metrics: false, audit: false, handler: () => onLog } } : {}),
    },
  });
  let url = '';
  if (mode === 'editor') {
    app.use('/', RED.httpAdmin);
    app.use('/', RED.httpNode);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  await RED.start();
  return {
    nodes: RED.nodes,
    deploy: async (flows) => {
      await RED.nodes.setFlows(flows, {}, 'full');
      // setFlows resolves once the flows are saved; the new nodes start a moment later.
      const last = flows.at(-1);
      const until = Date.now() + DEPLOY_TIMEOUT_MS;
      while (last?.id && last.type !== 'tab' && !RED.nodes.getNode(String(last.id))) {
        if (Date.now() > until)
          throw new Error(`the deployed flow did not start within ${DEPLOY_TIMEOUT_MS} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    url,
    stop: async () => {
      await RED.stop();
      if (server.listening) {
        // Keep-alive and websocket connections would otherwise hold the process open for minutes.
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      rmSync(userDir, { recursive: true, force: true });
    },
  };
}
