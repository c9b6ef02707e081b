/**
 * Mesh receive: one ATAK SA datagram through MeshClient's receive path (read XML or TAK Protocol mesh
 * framing, the sender kept as a contact, the event emitted), on one core, against parseCot of the same
 * event's XML. The kernel's UDP work is not in it: what is timed is what this package adds per datagram.
 */
import assert from 'node:assert/strict';
import { encodeTakMessage, frameMesh, MeshClient, parseCot, type CotEvent } from '../src/index';
import { consume, measureRows, type BenchContext, type Row } from './harness';
import { SA_BYTES, SA_MODEL } from './sa-event';

const CASE = 'mesh-receive';
const XML_ROW = 'ours MeshClient SA datagram, XML';
const PROTO_ROW = 'ours MeshClient SA datagram, TAK Protocol';
const PARSE_ROW = 'ours parseCot(buffer) of the same event';

export async function runMeshReceiveCase(context: BenchContext): Promise<Row[]> {
  const client = new MeshClient({ mode: 'mesh', sendFormat: 'xml' });
  let last: CotEvent | undefined;
  client.on('event', (received: { event: CotEvent }) => {
    last = received.event;
  });
  const proto = frameMesh(encodeTakMessage(SA_MODEL));
  context.log(
    `mesh-receive: SA datagram of ${SA_BYTES.length} bytes as XML, ${proto.length} as TAK Protocol`,
  );
  client.receiveDatagram(proto, '10.0.0.7', 6969);
  assert.deepEqual(last, parseCot(SA_BYTES), 'the datagram reads as the XML model');
  assert.equal(client.contacts.size, 1, 'the sender is a contact');
  return measureRows(
    CASE,
    [
      {
        name: XML_ROW,
        fn: () => {
          client.receiveDatagram(SA_BYTES, '10.0.0.7', 6969);
          consume(last);
        },
        bytesPerOp: SA_BYTES.length,
        reference: PARSE_ROW,
      },
      {
        name: PROTO_ROW,
        fn: () => {
          client.receiveDatagram(proto, '10.0.0.7', 6969);
          consume(last);
        },
        bytesPerOp: proto.length,
        reference: PARSE_ROW,
      },
      { name: PARSE_ROW, fn: () => parseCot(SA_BYTES), bytesPerOp: SA_BYTES.length, reference: PARSE_ROW },
    ],
    context.measure,
  );
}
