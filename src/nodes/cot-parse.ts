import { CotError, CotErrorCode, describeValue } from '../cot/errors';
import type { CotEvent } from '../cot/model';
import { isModelShaped, readReceivedModel } from '../convert/received-model';
import { StreamError } from '../stream/errors';
import { DEFAULT_MAX_EVENT_BYTES, StreamParser, type StreamItem } from '../stream/stream-parser';
import type { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction } from './red';
import { readMapOutputs, withMapOutputs, type MapOutputsDef } from './map-outputs';
import { numberSetting, stringSetting } from './settings';
import { checkRuntime } from './runtime-check';
import { payloadFormat } from './payload-format';
import { serializeEvent } from '../cot/serialize';
import { decodeTakFrame } from '../takproto';

interface CotParseDef extends NodeDef, MapOutputsDef {
  /** `message`: each msg holds whole events; `stream`: msgs are chunks of one byte stream. */
  mode?: string;
  /** In stream mode, what makes one stream: `node` (all msgs), `topic`, or `session` (msg._session.id, as tcp in sets it). */
  streamKey?: string;
  maxEventKb?: string | number;
}

/**
 * 1000 streams at once (per topic or TCP session); the least recently used is dropped beyond that, so a
 * flow that sees endless new sessions cannot make the node hold endless half-read events.
 */
const MAX_STREAMS = 1000;
/** 8 MiB: TAK Server's own cap on one message; nothing a TAK network carries is larger. */
const MAX_EVENT_KB_LIMIT = 8192;
const DEFAULT_MAX_EVENT_KB = DEFAULT_MAX_EVENT_BYTES / 1024;

/** One error for the msg: the first problem, with a count when there were several. */
/** One event out of the node: `takproto` holds its protobuf bytes when it came as such. */
interface Parsed {
  event: CotEvent;
  xml: string;
  takproto?: Buffer;
}

/**
 * A stream (one per key in stream mode): its kind is fixed by its first chunk. `mesh`: datagrams, each
 * chunk one whole TAK Protocol mesh message (UDP has no stream to reassemble); `bytes`: XML or protobuf
 * stream frames, which the parser reads across chunks.
 */
interface ChunkStream {
  parser: StreamParser;
  kind: 'new' | 'mesh' | 'bytes';
}

function summarize(errors: StreamError[]): StreamError {
  const first = errors[0] as StreamError;
  if (errors.length === 1) return first;
  return new StreamError(
    first.code,
    `${errors.length} problems in msg.payload; the first: ${first.message}`,
    first.bytes,
    first.preview,
    first.cause,
    first.xml,
  );
}

export = function register(RED: NodeAPI): void {
  checkRuntime(RED);
  function CotParse(this: Node, def: CotParseDef): void {
    RED.nodes.createNode(this, def);
    let maxEventBytes: number;
    try {
      maxEventBytes =
        numberSetting(def.maxEventKb, DEFAULT_MAX_EVENT_KB, 'largest event (KiB)', 1, MAX_EVENT_KB_LIMIT) *
        1024;
    } catch (error) {
      this.status({ fill: 'red', shape: 'ring', text: RED._('cot-parse.status.badSetting') });
      this.error(error instanceof Error ? error.message : String(error));
      maxEventBytes = DEFAULT_MAX_EVENT_BYTES;
    }
    const stream = def.mode === 'stream';
    const streamKey = stringSetting(def.streamKey, 'node');
    const mapOutputs = readMapOutputs(def);
    // In message mode one parser per format serves every msg: end() after each resets it.
    const single = new StreamParser({ maxEventBytes });
    const singleFrames = new StreamParser({ maxEventBytes, mode: 'protobuf' });
    const streams = new Map<string, ChunkStream>();

    const streamFor = (msg: NodeMessage): ChunkStream => {
      let key = '';
      if (streamKey === 'topic') key = String(msg.topic ?? '');
      else if (streamKey === 'session')
        key = String((msg._session as { id?: unknown } | undefined)?.id ?? '');
      let found = streams.get(key);
      if (found) {
        streams.delete(key); // re-inserted below: the Map's order is least recently used first
      } else {
        found = { parser: new StreamParser({ maxEventBytes }), kind: 'new' };
        if (streams.size >= MAX_STREAMS) streams.delete(streams.keys().next().value as string);
      }
      streams.set(key, found);
      return found;
    };

    /** One datagram or one whole message: a mesh-framed, single stream-framed or bare TakMessage. */
    const decodeWhole = (bytes: Buffer): StreamItem[] => {
      try {
        const event = decodeTakFrame(bytes, { maxBytes: maxEventBytes });
        return [{ kind: 'event', event, xml: serializeEvent(event), takproto: bytes }];
      } catch (error) {
        if (!(error instanceof CotError)) throw error;
        const preview = bytes.subarray(0, 16).toString('hex');
        return [
          { kind: 'error', error: new StreamError(error.code, error.message, bytes.length, preview, error) },
        ];
      }
    };

    /** Stream mode: the stream's first chunk says whether it is mesh datagrams, protobuf frames or XML. */
    const pushChunk = (msg: NodeMessage, bytes: Buffer): StreamItem[] => {
      const chunks = streamFor(msg);
      if (chunks.kind === 'new' && bytes.length > 0) {
        const format = payloadFormat(bytes);
        chunks.kind = format === 'takproto-mesh' ? 'mesh' : 'bytes';
        if (format === 'takproto-stream') chunks.parser.setMode('protobuf');
      }
      return chunks.kind === 'mesh' ? decodeWhole(bytes) : chunks.parser.push(bytes);
    };

    const readWhole = (bytes: Buffer): StreamItem[] => {
      switch (payloadFormat(bytes)) {
        case 'takproto-mesh':
        case 'takproto-bare':
          return decodeWhole(bytes);
        case 'takproto-stream':
          // Several frames back to back are several events, as several XML events are.
          return [...singleFrames.push(bytes), ...singleFrames.end()];
        default:
          return [...single.push(bytes), ...single.end()];
      }
    };

    function emit(msg: NodeMessage, events: Parsed[], send: SendFunction): void {
      const template: NodeMessage = { ...msg };
      delete template.payload;
      const now = Date.now();
      events.forEach(({ event, xml, takproto }, i) => {
        const main = i === 0 ? msg : RED.util.cloneMessage(template);
        main.payload = event;
        main.cot = xml;
        if (takproto !== undefined) main.takproto = takproto;
        main.topic = event.type;
        send(withMapOutputs(RED, mapOutputs, event, main, template, now));
      });
    }

    this.on('input', (msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
      const payload = msg.payload;
      if (isModelShaped(payload)) {
        // tak-receive's model, straight in: no change node to turn it back into XML first.
        try {
          emit(msg, [readReceivedModel(payload)], send);
        } catch (error) {
          done(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        done();
        return;
      }
      if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) {
        done(
          new CotError(
            CotErrorCode.INPUT,
            `msg.payload is ${describeValue(payload)}; give CoT XML as a string or Buffer, or the CoT model ` +
              'tak-receive emits (an object with a point); to make an event from other objects use cot-build',
            'payload',
            payload,
          ),
        );
        return;
      }
      const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
      // A string is always XML; a Buffer may be TAK Protocol (protobuf).
      let items: StreamItem[];
      if (stream) items = pushChunk(msg, bytes);
      else if (typeof payload === 'string') items = [...single.push(bytes), ...single.end()];
      else items = readWhole(bytes);
      const events: Parsed[] = [];
      const errors: StreamError[] = [];
      for (const item of items) {
        if (item.kind === 'event') {
          const parsed: Parsed = { event: item.event, xml: item.xml };
          if (item.takproto !== undefined) parsed.takproto = item.takproto;
          events.push(parsed);
        } else if (item.kind === 'error') errors.push(item.error);
      }
      try {
        emit(msg, events, send);
      } catch (error) {
        done(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (errors.length > 0) done(summarize(errors));
      else if (!stream && events.length === 0) {
        done(
          new CotError(
            CotErrorCode.XML,
            `msg.payload holds no CoT event (${bytes.length} bytes starting ${describeValue(bytes.subarray(0, 40).toString('utf8'))})`,
            'payload',
          ),
        );
      } else done();
    });

    this.on('close', (_removed: boolean, done: () => void) => {
      streams.clear();
      done();
    });
  }

  RED.nodes.registerType('cot-parse', CotParse);
};
