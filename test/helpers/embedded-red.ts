/**
 * A real Node-RED runtime embedded in this process, with this package's nodes loaded from the working
 * tree as an installed package would be: no test helper, no spies. For the bench and the soak.
 */
import { mkdtempSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './paths';

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
  deploy(flows: Array<Record<string, unknown>>): Promise<void>;
  stop(): Promise<void>;
}

/** Starting a flow takes milliseconds; seconds means it failed. */
const DEPLOY_TIMEOUT_MS = 10_000;

/**
 * Starts Node-RED with `globals` reachable from function nodes as `global.get(name)`; the editor and
 * HTTP endpoints stay off.
 */
/** One line of the runtime's log, as Node-RED hands it to a custom logger (level 20 = error, 30 = warn). */
export interface RedLogEntry {
  level: number;
  msg: unknown;
  type?: string;
  id?: string;
  name?: string;
}

export async function startEmbeddedRed(
  globals: Record<string, unknown>,
  onLog?: (entry: RedLogEntry) => void,
  /** Serve HTTP-in and worldmap endpoints (on a server that is never made to listen). */
  httpNodes = false,
): Promise<EmbeddedRed> {
  const userDir = mkdtempSync(path.join(os.tmpdir(), 'takpak-red-'));
  mkdirSync(path.join(userDir, 'node_modules'));
  symlinkSync(REPO_ROOT, path.join(userDir, 'node_modules', 'node-red-contrib-takpak'), 'dir');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require('node-red') as RedModule;
  RED.init(http.createServer(), {
    userDir,
    flowFile: 'flows.json',
    httpAdminRoot: false,
    httpNodeRoot: httpNodes ? '/' : false,
    disableEditor: true,
    credentialSecret: false,
    functionGlobalContext: globals,
    logging: {
      console: { level: process.env.TAKPAK_BENCH_LOG ?? 'warn', metrics: false, audit: false },
      ...(onLog ? { capture: { level: 'warn', metrics: false, audit: false, handler: () => onLog } } : {}),
    },
  });
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
    stop: async () => {
      await RED.stop();
      rmSync(userDir, { recursive: true, force: true });
    },
  };
}
