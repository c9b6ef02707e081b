import type { CotEvent } from '../cot/model';
import { CotServer, type ClientInfo, type CotServerOptions } from '../server/cot-server';
import type { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction } from './red';
import { booleanSetting, numberSetting, secondsSetting, stringSetting } from './settings';
import { toWireXml } from './to-xml';

interface TakServerDef extends NodeDef {
  host?: string;
  port?: string | number;
  maxClients?: string | number;
  maxEventKb?: string | number;
  idleTimeout?: string | number;
  queueKb?: string | number;
  replay?: boolean | string;
}

/** How often the status line is refreshed with clients and events in/out: often enough to watch, rarely enough to read. */
const STATUS_INTERVAL_MS = 5_000;

function serverOptions(def: TakServerDef): CotServerOptions {
  return {
    host: stringSetting(def.host, '0.0.0.0'),
    port: numberSetting(def.port, 8087, 'port', 0, 65535),
    maxClients: numberSetting(def.maxClients, 100, 'maximum clients', 1, 100_000),
    maxEventBytes: numberSetting(def.maxEventKb, 1024, 'largest event (KiB)', 1, 8192) * 1024,
    idleTimeoutMs: secondsSetting(def.idleTimeout, 60_000, 'idle timeout', 1),
    maxQueueBytes: numberSetting(def.queueKb, 4096, 'send queue per client (KiB)', 16, 1_048_576) * 1024,
    replay: booleanSetting(def.replay, true),
  };
}

/** `msg.to`: a uid or callsign string, or `{ uid, callsign }`. */
function recipient(to: unknown): { uid?: string; callsign?: string } | undefined {
  if (typeof to === 'string' && to !== '') return { uid: to, callsign: to };
  if (typeof to === 'object' && to !== null) {
    const { uid, callsign } = to as { uid?: unknown; callsign?: unknown };
    const out: { uid?: string; callsign?: string } = {};
    if (typeof uid === 'string') out.uid = uid;
    if (typeof callsign === 'string') out.callsign = callsign;
    return out;
  }
  return undefined;
}

export = function register(RED: NodeAPI): void {
  function TakServer(this: Node, def: TakServerDef): void {
    RED.nodes.createNode(this, def);
    let options: CotServerOptions;
    try {
      options = serverOptions(def);
    } catch (error) {
      this.status({ fill: 'red', shape: 'ring', text: RED._('tak-server.status.badConfig') });
      this.error(error instanceof Error ? error.message : String(error));
      return;
    }
    const server = new CotServer(options);
    let lastReceived = 0;
    let lastSent = 0;

    const showStatus = (): void => {
      const metrics = server.metrics();
      const received = metrics.messagesReceived - lastReceived;
      const sent = metrics.messagesSent - lastSent;
      lastReceived = metrics.messagesReceived;
      lastSent = metrics.messagesSent;
      this.status({
        fill: 'green',
        shape: metrics.openSockets > 0 ? 'dot' : 'ring',
        text: RED._('tak-server.status.running', {
          clients: metrics.openSockets,
          in: received,
          out: sent,
          seconds: STATUS_INTERVAL_MS / 1000,
        }),
      });
    };

    server.on('event', (received: { event: CotEvent; xml: string; client: ClientInfo }) => {
      this.send({
        payload: received.event,
        cot: received.xml,
        topic: received.event.type,
        client: received.client,
      });
    });
    server.on(
      'clientError',
      ({ client, error }: { client: ClientInfo; error: Error & { code?: string } }) => {
        this.debug(`${client.callsign ?? client.remoteAddress}: ${error.code ?? 'error'}: ${error.message}`);
      },
    );
    server.on('error', (error: Error) => {
      this.status({
        fill: 'red',
        shape: 'ring',
        text: RED._('tak-server.status.error', { reason: error.message }),
      });
      this.error(
        RED._('tak-server.errors.listen', {
          host: options.host ?? '',
          port: options.port ?? 0,
          reason: error.message,
        }),
      );
    });

    this.status({ fill: 'yellow', shape: 'ring', text: RED._('tak-server.status.starting') });
    let timer: NodeJS.Timeout | undefined;
    server.listen().then(
      ({ address, port }) => {
        this.log(RED._('tak-server.log.listening', { address, port }));
        showStatus();
        timer = setInterval(showStatus, STATUS_INTERVAL_MS);
        timer.unref();
      },
      () => {
        // reported by the 'error' listener above
      },
    );

    this.on('input', (msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
      if (msg.topic === 'metrics') {
        send({ ...msg, payload: { ...server.metrics(), clients: server.clients() } });
        done();
        return;
      }
      try {
        const delivered = server.send(toWireXml(msg.payload), recipient(msg.to));
        msg.takpak = { delivered };
        done();
      } catch (error) {
        done(error instanceof Error ? error : new Error(String(error)));
      }
    });

    this.on('close', (_removed: boolean, done: () => void) => {
      if (timer) clearInterval(timer);
      server.close().then(done, (error: unknown) => {
        this.error(`closing the TAK server failed: ${String(error)}`);
        done();
      });
    });
  }

  RED.nodes.registerType('tak-server', TakServer);
};
