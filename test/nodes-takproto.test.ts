import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import {
  buildCot,
  decodeTakFrame,
  encodeTakMeshFrame,
  encodeTakMessage,
  encodeTakStreamFrame,
  isMeshFramed,
  parseCot,
  type CotEvent,
} from '../src/index';
import { connectionSettings } from '../src/nodes/config-options';
import cotBuild from '../src/nodes/cot-build';
import cotParse from '../src/nodes/cot-parse';
import { payloadFormat } from '../src/nodes/payload-format';
import takConfig from '../src/nodes/tak-config';
import takReceive from '../src/nodes/tak-receive';
import takSend from '../src/nodes/tak-send';
import {
  collect,
  eventually,
  getNode,
  startRed,
  stopRed,
  waitFor,
  waitForConnectionStatus,
  isConnectedStatus,
} from './helpers/red';
import { SHARED_FIXTURES, sharedFixtures } from './helpers/paths';
import { asTypedNumbers, hexBytes } from './helpers/takproto';
import { NegotiatingServer, type Arrival } from './helpers/takproto-server';
import { CATCH_GETS_CODE, catchCode } from './helpers/catch-code';

type Msg = Record<string, unknown>;

/** What the runtime logged so far (the test helper spies on it; its types leave the spy out). */
function logged(): unknown[] {
  const spy = (helper as unknown as { log(): { args: Array<[{ msg?: unknown }]> } }).log();
  return spy.args.map(([entry]) => entry.msg);
}

function model(uid: string): CotEvent {
  return {
    version: '2.0',
    uid,
    type: 'a-f-G-U-C',
    how: 'm-g',
    time: '2026-01-31T12:00:00.000Z',
    start: '2026-01-31T12:00:00.000Z',
    stale: '2099-01-31T12:05:00.000Z',
    point: { lat: 51.5, lon: -0.12, hae: 10, ce: 5, le: 5 },
    detail: { contact: { callsign: uid.toUpperCase() }, track: { course: '90', speed: '3.5' } },
  };
}

/** The model as it comes back from the wire (XML or protobuf): what two events are compared by. */
function roundTripped(event: CotEvent): CotEvent {
  return parseCot(buildCot(event));
}

describe('takProtocol setting', () => {
  it('is passed to TakClient as protocol, negotiate by default', () => {
    assert.equal(
      connectionSettings({ id: 'c', type: 'tak-config', host: 'h' }).options.protocol,
      'negotiate',
    );
    for (const value of ['negotiate', 'xml', 'protobuf'] as const) {
      const { options } = connectionSettings({ id: 'c', type: 'tak-config', host: 'h', takProtocol: value });
      assert.equal(options.protocol, value);
    }
  });

  it('the protobuf answer timeout is in seconds, 60 by default (as ATAK waits)', () => {
    const def = { id: 'c', type: 'tak-config', host: 'h' };
    assert.equal(connectionSettings(def).options.negotiationTimeoutMs, 60_000);
    assert.equal(connectionSettings({ ...def, negotiationTimeout: '5' }).options.negotiationTimeoutMs, 5_000);
    assert.throws(() => connectionSettings({ ...def, negotiationTimeout: '0' }), /protobuf answer timeout/);
  });

  it('refuses anything else, naming the choices', () => {
    assert.throws(
      () => connectionSettings({ id: 'c', type: 'tak-config', host: 'h', takProtocol: 'tls' }),
      /TAK protocol "tls" is not available; use negotiate .* xml, or protobuf/,
    );
  });
});

describe('payloadFormat', () => {
  it('tells XML (with leading whitespace) from the three TAK Protocol forms', () => {
    const event = model('fmt');
    assert.equal(payloadFormat(Buffer.from(buildCot(event))), 'xml');
    assert.equal(payloadFormat(Buffer.from(`\n \r\n${buildCot(event)}`)), 'xml');
    assert.equal(payloadFormat(Buffer.from('')), 'xml');
    assert.equal(payloadFormat(encodeTakStreamFrame(event)), 'takproto-stream');
    assert.equal(payloadFormat(encodeTakMeshFrame(event)), 'takproto-mesh');
    assert.equal(payloadFormat(encodeTakMessage(event)), 'takproto-bare');
    // A TakMessage whose first field is a TakControl starts with 0x0a, a newline to XML.
    const withControl = encodeTakMessage(event, {
      control: { minProtoVersion: 1, maxProtoVersion: 1, contactUid: 'fmt' },
    });
    assert.equal(withControl[0], 0x0a);
    assert.equal(payloadFormat(withControl), 'takproto-bare');
  });
});

function parseFlow(settings: Msg = {}): Msg[] {
  return [
    { id: 'tab', type: 'tab', label: 'takproto' },
    { id: 'p', type: 'cot-parse', z: 'tab', x: 100, y: 100, wires: [['o']], ...settings },
    { id: 'o', type: 'helper', z: 'tab', x: 300, y: 100, wires: [] },
    {
      id: 'catcher',
      type: 'catch',
      z: 'tab',
      x: 100,
      y: 300,
      scope: null,
      uncaught: false,
      wires: [['caught']],
    },
    { id: 'caught', type: 'helper', z: 'tab', x: 300, y: 300, wires: [] },
  ];
}

function buildFlow(output: string): Msg[] {
  return [
    { id: 'tab', type: 'tab', label: 'takproto' },
    { id: 'b', type: 'cot-build', z: 'tab', x: 100, y: 100, output, wires: [['o']] },
    { id: 'o', type: 'helper', z: 'tab', x: 300, y: 100, wires: [] },
    {
      id: 'catcher',
      type: 'catch',
      z: 'tab',
      x: 100,
      y: 300,
      scope: null,
      uncaught: false,
      wires: [['caught']],
    },
    { id: 'caught', type: 'helper', z: 'tab', x: 300, y: 300, wires: [] },
  ];
}

describe('cot-parse and cot-build with TAK Protocol in a Node-RED runtime', () => {
  before(async () => {
    await startRed();
  });
  after(async () => {
    await stopRed();
  });
  afterEach(async () => {
    await (await startRed()).unload();
  });

  async function parser(settings: Msg = {}): Promise<{ out: Msg[]; caught: Msg[]; send(msg: Msg): void }> {
    const red = await startRed();
    await red.load(cotParse, parseFlow(settings));
    const node = getNode('p');
    return {
      out: collect(getNode('o')),
      caught: collect(getNode('caught')),
      send: (msg) => node.receive(msg),
    };
  }

  it('reads stream frames back to back in one Buffer: one msg each, XML in msg.cot, the frame in msg.takproto', async () => {
    const { out, send } = await parser();
    const frames = [encodeTakStreamFrame(model('pa')), encodeTakStreamFrame(model('pb'))];
    send({ payload: Buffer.concat(frames), topic: 'kept?' });
    await eventually(() => out.length === 2, 'two msgs');
    out.forEach((msg, i) => {
      const uid = i === 0 ? 'pa' : 'pb';
      assert.deepEqual(msg.payload, roundTripped(model(uid)));
      assert.equal(typeof msg.cot, 'string');
      assert.deepEqual(parseCot(msg.cot as string), msg.payload, 'msg.cot is the XML of the same model');
      assert.deepEqual(msg.takproto, frames[i]);
      assert.equal(msg.topic, 'a-f-G-U-C');
    });
  });

  it('reads a mesh datagram and a bare TakMessage', async () => {
    const { out, send } = await parser();
    const mesh = encodeTakMeshFrame(model('mesh'));
    send({ payload: mesh });
    send({ payload: encodeTakMessage(model('bare')) });
    await eventually(() => out.length === 2, 'two msgs');
    assert.deepEqual(out[0]?.payload, roundTripped(model('mesh')));
    assert.deepEqual(out[0]?.takproto, mesh);
    assert.deepEqual(out[1]?.payload, roundTripped(model('bare')));
  });

  it('a cut-short frame goes to Catch with its ERR_TAKPROTO code, and the next msg is read', async () => {
    const { out, caught, send } = await parser();
    const frame = encodeTakStreamFrame(model('cut'));
    send({ payload: frame.subarray(0, frame.length - 3) });
    await eventually(() => caught.length === 1, 'an error');
    if (CATCH_GETS_CODE) {
      assert.match(String((caught[0]?.error as { code?: string }).code), /^ERR_TAKPROTO_|^ERR_STREAM_/);
    }
    const mesh = encodeTakMeshFrame(model('cut'));
    send({ payload: mesh.subarray(0, 12) });
    await eventually(() => caught.length === 2, 'a second error');
    if (CATCH_GETS_CODE) assert.match(String((caught[1]?.error as { code?: string }).code), /^ERR_TAKPROTO_/);
    send({ payload: encodeTakStreamFrame(model('after')) });
    await eventually(() => out.length === 1, 'the next event');
    assert.equal((out[0]?.payload as CotEvent).uid, 'after');
  });

  it('stream mode: protobuf frames split at every byte come out whole, in order', async () => {
    const { out, caught, send } = await parser({ mode: 'stream', streamKey: 'topic' });
    const bytes = Buffer.concat([encodeTakStreamFrame(model('s1')), encodeTakStreamFrame(model('s2'))]);
    for (let cut = 1; cut < bytes.length; cut++) {
      const topic = `split-${cut}`;
      send({ payload: bytes.subarray(0, cut), topic });
      send({ payload: bytes.subarray(cut), topic });
    }
    const expected = (bytes.length - 1) * 2;
    await eventually(() => out.length === expected, `${expected} msgs`);
    assert.equal(caught.length, 0);
    for (let k = 0; k < out.length; k += 2) {
      assert.deepEqual(
        [(out[k]?.payload as CotEvent).uid, (out[k + 1]?.payload as CotEvent).uid],
        ['s1', 's2'],
      );
      assert.ok(Buffer.isBuffer(out[k]?.takproto));
    }
  });

  it('stream mode: a stream that starts with mesh datagrams reads each chunk as one', async () => {
    const { out, send } = await parser({ mode: 'stream' });
    send({ payload: encodeTakMeshFrame(model('m1')) });
    send({ payload: encodeTakMeshFrame(model('m2')) });
    await eventually(() => out.length === 2, 'two msgs');
    assert.deepEqual(
      out.map((msg) => (msg.payload as CotEvent).uid),
      ['m1', 'm2'],
    );
  });

  it('stream mode: an XML stream is still XML (its first chunk decides)', async () => {
    const { out, send } = await parser({ mode: 'stream' });
    const xml = buildCot(model('x1'));
    send({ payload: Buffer.from(xml.slice(0, 30)) });
    send({ payload: Buffer.from(xml.slice(30)) });
    await eventually(() => out.length === 1, 'one msg');
    assert.equal(out[0]?.cot, xml);
    assert.equal(out[0]?.takproto, undefined);
  });

  const vectors = sharedFixtures('takproto', '.hex');
  const inputs: Record<string, string> = {
    'lab-u1': path.join(SHARED_FIXTURES, 'takproto', 'lab-u1.input.xml'),
    'takproto-tests-wintak': path.join(SHARED_FIXTURES, 'cot', 'takproto-wintak-pli.xml'),
  };
  for (const mode of ['message', 'stream'] as const) {
    it(
      `every golden vector (../shared/fixtures/takproto) gives the model of its XML (${mode} mode${mode === 'stream' ? ', cut in two' : ''})`,
      { skip: vectors.skip },
      async () => {
        assert.ok(vectors.files.length >= 4, `${vectors.files.length} vectors`);
        const node = await parser(mode === 'stream' ? { mode, streamKey: 'topic' } : {});
        for (const file of vectors.files) {
          const name = path.basename(file);
          const input = inputs[name.replace(/\.(stream|mesh)\.hex$/, '')];
          assert.ok(input !== undefined, `the XML input of ${name}`);
          const expected = asTypedNumbers(parseCot(readFileSync(input)));
          const bytes = hexBytes(readFileSync(file, 'utf8'));
          const before = node.out.length;
          if (mode === 'stream' && name.includes('.stream.')) {
            const half = Math.floor(bytes.length / 2);
            node.send({ payload: bytes.subarray(0, half), topic: name });
            node.send({ payload: bytes.subarray(half), topic: name });
          } else node.send({ payload: bytes, topic: name });
          await eventually(() => node.out.length === before + 1, name);
          assert.deepEqual(node.out[before]?.payload, expected, name);
          if (mode === 'message') assert.deepEqual(node.out[before]?.takproto, bytes, name);
        }
        assert.equal(node.caught.length, 0);
      },
    );
  }

  for (const output of ['takproto-stream', 'takproto-mesh'] as const) {
    it(`cot-build output ${output}: a Buffer that decodes to the model in msg.cot`, async () => {
      const red = await startRed();
      await red.load(cotBuild, buildFlow(output));
      const out = collect(getNode('o'));
      getNode('b').receive({
        payload: { uid: 'built', type: 'a-f-G-U-C', lat: 1.5, lon: 2.5, callsign: 'B' },
      });
      await eventually(() => out.length === 1, 'one msg');
      const payload = out[0]?.payload as Buffer;
      assert.ok(Buffer.isBuffer(payload));
      assert.equal(isMeshFramed(payload), output === 'takproto-mesh');
      assert.equal(payload[0], 0xbf);
      const cot = out[0]?.cot as CotEvent;
      assert.equal(cot.uid, 'built');
      assert.deepEqual(decodeTakFrame(payload), roundTripped(cot));
    });
  }

  it('cot-build: an event TAK Protocol cannot carry fails the msg with its code', async () => {
    const red = await startRed();
    await red.load(cotBuild, buildFlow('takproto-stream'));
    const out = collect(getNode('o'));
    const caught = collect(getNode('caught'));
    getNode('b').receive({
      payload: { ...model('old'), time: '1969-01-01T00:00:00Z', start: '1969-01-01T00:00:00Z' },
    });
    await eventually(() => caught.length === 1, 'an error');
    assert.equal((caught[0]?.error as { code?: string }).code, catchCode('ERR_TAKPROTO_TIME'));
    assert.equal(out.length, 0);
  });
});

describe('tak-config and tak-receive against a server that offers protobuf', () => {
  let server: NegotiatingServer;

  before(async () => {
    await startRed();
  });
  after(async () => {
    await stopRed();
  });
  afterEach(async () => {
    await (await startRed()).unload();
    await server.close();
  });

  async function deploy(
    takProtocol: string,
    answers = true,
    cfg: Msg = {},
  ): Promise<{ out: Msg[]; out2: Msg[] }> {
    server = new NegotiatingServer(model('srv-welcome'), answers);
    const port = await server.listen();
    const red = await startRed();
    await red.load(
      [takConfig, takSend, takReceive],
      [
        { id: 'tab', type: 'tab', label: 'takproto' },
        {
          id: 'cfg',
          type: 'tak-config',
          host: '127.0.0.1',
          port,
          protocol: 'tcp',
          takProtocol,
          identityGap: 0,
          ...cfg,
        },
        { id: 'send', type: 'tak-send', z: 'tab', x: 100, y: 100, server: 'cfg', wires: [] },
        // Two wires: the runtime hands the second one a clone of the msg.
        {
          id: 'recv',
          type: 'tak-receive',
          z: 'tab',
          x: 100,
          y: 200,
          server: 'cfg',
          wires: [['out', 'out2']],
        },
        { id: 'out', type: 'helper', z: 'tab', x: 300, y: 200, wires: [] },
        { id: 'out2', type: 'helper', z: 'tab', x: 300, y: 300, wires: [] },
      ],
    );
    return { out: collect(getNode('out')), out2: collect(getNode('out2')) };
  }

  it('negotiate: switches to protobuf, the status says so, msg.takproto holds the frame and msg.cot the XML', async () => {
    const { out } = await deploy('negotiate');
    await waitForConnectionStatus('cfg', (text) => text === 'tak-config.status.connectedWire');
    await eventually(() => out.length === 1, 'the welcome event');
    const msg = out[0] as Msg;
    assert.deepEqual(msg.payload, roundTripped(model('srv-welcome')));
    assert.ok(Buffer.isBuffer(msg.takproto), 'the frame as received');
    assert.deepEqual(decodeTakFrame(msg.takproto as Buffer), msg.payload);
    assert.deepEqual(parseCot(msg.cot as string), msg.payload, 'msg.cot is XML of the same event');
    const arrived = waitFor<Arrival>(server, 'arrival', (a) => a.uid === 'from-flow');
    getNode('send').receive({ payload: model('from-flow') });
    assert.equal((await arrived).wire, 'protobuf', 'what the flow sends goes as protobuf');
    assert.ok(logged().includes('tak-config.log.protobuf'), 'the switch is logged');
  });

  it('negotiated protobuf: msg.cot, built when first read, is a plain property to the runtime and the flow', async () => {
    // The server's welcome event comes as protobuf, right after its answer.
    const { out, out2 } = await deploy('negotiate');
    await eventually(() => out.length === 1 && out2.length === 1, 'the event on both wires');
    assert.ok(Buffer.isBuffer(out[0]?.takproto), 'it came as protobuf');
    const [first, clone] = [out[0] as Msg, out2[0] as Msg];
    assert.notEqual(first, clone, 'the second wire got a copy');
    for (const msg of [first, clone]) {
      assert.ok(Object.keys(msg).includes('cot'), 'listed with the other properties');
      assert.deepEqual(parseCot(msg.cot as string), msg.payload, 'the XML of the same event');
      assert.equal(
        (JSON.parse(JSON.stringify(msg)) as Msg).cot,
        msg.cot,
        'in JSON, as the debug sidebar shows it',
      );
    }
    first.cot = 'changed by a flow';
    assert.equal(first.cot, 'changed by a flow');
    delete first.cot;
    assert.equal(first.cot, undefined);
    assert.equal(typeof clone.cot, 'string', 'the copy keeps its own');
  });

  it('negotiate with a server that never answers: a warning after the timeout, XML from then on', async () => {
    await deploy('negotiate', false, { negotiationTimeout: 1 });
    await waitForConnectionStatus('cfg', (text) => text === 'tak-config.status.connectedWire');
    await eventually(
      () => logged().includes('tak-config.warnings.negotiationTimeout'),
      'the timeout warning',
    );
    const arrived = waitFor<Arrival>(server, 'arrival', (a) => a.uid === 'from-flow');
    getNode('send').receive({ payload: model('from-flow') });
    assert.equal((await arrived).wire, 'xml', 'held back while waiting, then sent as XML');
  });

  it('xml: never asks, events both ways stay XML, no msg.takproto', async () => {
    const { out } = await deploy('xml');
    await waitForConnectionStatus('cfg', isConnectedStatus);
    const arrived = waitFor<Arrival>(server, 'arrival', (a) => a.uid === 'from-flow');
    getNode('send').receive({ payload: model('from-flow') });
    assert.equal((await arrived).wire, 'xml');
    server.broadcastXml(model('srv-xml'));
    await eventually(() => out.length === 1, 'the server event');
    assert.equal(out[0]?.takproto, undefined);
    assert.equal(typeof out[0]?.cot, 'string');
    assert.ok(!server.arrivals.some((a) => a.type === 't-x-takp-q'), 'no protobuf request was sent');
  });
});
