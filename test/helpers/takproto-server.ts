import { EventEmitter } from 'node:events';
import net from 'node:net';
import { buildCot, encodeTakStreamFrame, StreamParser, type CotEvent } from '../../src/index';

/*
 * A loopback server that negotiates as TAK Server's streaming inputs do, for the node tests: it offers TAK
 * Protocol version 1 on connect, accepts a request, and from the byte after its answer speaks protobuf.
 */

export const TEST_SERVER_VERSION = '5.2-RELEASE-test';
const T = 'time="2026-01-31T12:00:00Z" start="2026-01-31T12:00:00Z" stale="2099-01-31T12:05:00Z"';

function controlXml(type: string, inner: string): string {
  return `<event version="2.0" uid="protouid" type="${type}" how="m-g" ${T}><point lat="0" lon="0" hae="0" ce="999999" le="999999"/><detail><TakControl>${inner}</TakControl></detail></event>`;
}

const OFFER = controlXml(
  't-x-takp-v',
  `<TakProtocolSupport version="1"/><TakServerVersionInfo serverVersion="${TEST_SERVER_VERSION}"/>`,
);
const ACCEPT = controlXml('t-x-takp-r', '<TakResponse status="true"/>');

/** What the server read, and in which format it came. */
export interface Arrival {
  uid: string;
  type: string;
  wire: 'xml' | 'protobuf';
}

export class NegotiatingServer extends EventEmitter {
  readonly arrivals: Arrival[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly server = net.createServer((socket) => this.serve(socket));

  /**
   * `welcome`: sent in protobuf right after the answer, in the same write (the client must split them).
   * `answers` false: offers, then never answers a request (a server that hangs in the middle).
   */
  constructor(
    private readonly welcome: CotEvent,
    private readonly answers = true,
  ) {
    super();
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const parser = new StreamParser();
    if (this.answers) parser.switchToProtobufAfter((event) => event.type === 't-x-takp-q');
    socket.on('data', (chunk: Buffer) => {
      for (const item of parser.push(chunk)) {
        if (item.kind !== 'event') continue;
        const arrival: Arrival = {
          uid: item.event.uid,
          type: item.event.type,
          wire: item.takproto === undefined ? 'xml' : 'protobuf',
        };
        this.arrivals.push(arrival);
        this.emit('arrival', arrival);
        if (arrival.type === 't-x-takp-q' && this.answers) {
          socket.write(Buffer.concat([Buffer.from(ACCEPT), encodeTakStreamFrame(this.welcome)]));
        }
      }
    });
    socket.write(OFFER);
  }

  /** An event in XML to every client: for a client that did not ask for protobuf. */
  broadcastXml(event: CotEvent): void {
    for (const socket of this.sockets) socket.write(buildCot(event));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
