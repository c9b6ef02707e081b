import { toCotEvent } from '../cot/build';
import { CotError } from '../cot/errors';
import type { CotEvent } from '../cot/model';
import { serializeEvent } from '../cot/serialize';
import { itemError, splitPayload } from '../convert/detect';
import { withFields, type CotFieldValues } from '../convert/fields';
import { payloadToCotInput, TEXT_FIELDS } from '../convert/to-input';
import { withUid } from '../convert/uid-mode';
import {
  readSettings,
  type CotBuildDef,
  type CotBuildOutput,
  type CotBuildSettings,
} from './cot-build-settings';
import { encodeTakMeshFrame, encodeTakStreamFrame } from '../takproto';
import type { DoneFunction, Node, NodeAPI, NodeMessage, SendFunction } from './red';
import { checkRuntime } from './runtime-check';

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Names the item of an array or FeatureCollection the error belongs to, and the source of a field set in the dialog. */
function locate(error: unknown, index: number | undefined, sources: Map<string, string>): Error {
  let located = error;
  if (error instanceof CotError && error.field !== undefined) {
    // Point fields are reported as `point.lat`; the dialog calls them `lat`.
    const source = sources.get(error.field.replace(/^point\./, ''));
    if (source !== undefined && !error.message.includes(source)) {
      located = new CotError(error.code, `${error.message} (from ${source})`, error.field, error.value);
    }
  }
  return asError(index === undefined ? located : itemError(located, index));
}

/** msg.payload for the output setting: the model, its XML, or its TAK Protocol frame. */
function outputPayload(output: CotBuildOutput, event: CotEvent, xml: string): CotEvent | string | Buffer {
  switch (output) {
    case 'model':
      return event;
    case 'takproto-stream':
      return encodeTakStreamFrame(event);
    case 'takproto-mesh':
      return encodeTakMeshFrame(event);
    default:
      return xml;
  }
}

export = function register(RED: NodeAPI): void {
  checkRuntime(RED);
  async function buildOne(
    settings: CotBuildSettings,
    msg: NodeMessage,
    item: unknown,
    now: number,
  ): Promise<{ event: CotEvent; xml: string }> {
    const { input: base } = payloadToCotInput(item, { extras: settings.extras, consumed: settings.consumed });
    const values: Record<string, unknown> = {};
    for (const property of settings.fields) {
      if (property.fromPayload) continue;
      let value = await property.evaluate(msg);
      if (value === '' || value === null) value = undefined;
      // A number from msg/flow/global/JSONata in a text field (a unit number as callsign) is taken as its text.
      if (typeof value === 'number' && TEXT_FIELDS.has(property.field) && Number.isFinite(value))
        value = String(value);
      values[property.field] = value;
    }
    let input = withFields(base, values as CotFieldValues);
    const keyed = settings.uidMode === 'stable' || settings.uidMode === 'prefix';
    input = withUid(input, {
      mode: settings.uidMode,
      key: keyed ? await settings.uidKey.evaluate(msg) : undefined,
      keySource: settings.uidKey.source,
      prefix: settings.uidPrefix,
    });
    const event = toCotEvent(input, now);
    return { event, xml: serializeEvent(event) };
  }

  function CotBuild(this: Node, def: CotBuildDef): void {
    RED.nodes.createNode(this, def);
    const settings = readSettings(RED, this, def);
    const sources = new Map(settings.fields.filter((f) => !f.fromPayload).map((f) => [f.field, f.source]));
    if (settings.problems.length > 0) {
      this.status({ fill: 'red', shape: 'ring', text: RED._('cot-build.status.badSetting') });
      for (const problem of settings.problems) this.error(problem);
    }
    let showingError = false;
    // One msg at a time: JSONata and context reads may be asynchronous, and events must leave in order.
    let queue: Promise<void> = Promise.resolve();

    const handle = async (msg: NodeMessage, send: SendFunction): Promise<void> => {
      const now = Date.now();
      const items = splitPayload(msg.payload);
      const several = items.length !== 1 || Array.isArray(msg.payload) || items[0] !== msg.payload;
      const built: Array<{ event: CotEvent; xml: string }> = [];
      for (let i = 0; i < items.length; i++) {
        const itemMsg = several ? { ...msg, payload: items[i] } : msg;
        try {
          built.push(await buildOne(settings, itemMsg, items[i], now));
        } catch (error) {
          throw locate(error, several ? i : undefined, sources);
        }
      }
      // Encoded before anything is sent: an event TAK Protocol cannot carry fails the msg, not half of it.
      const payloads = built.map(({ event, xml }) => outputPayload(settings.output, event, xml));
      const template: NodeMessage = { ...msg };
      delete template.payload;
      built.forEach(({ event, xml }, i) => {
        const out = i === 0 ? msg : RED.util.cloneMessage(template);
        out.payload = payloads[i];
        out.cot = settings.output === 'model' ? xml : event;
        out.topic = event.type;
        send(out);
      });
    };

    this.on('input', (msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
      queue = queue.then(() =>
        handle(msg, send).then(
          () => {
            if (showingError) {
              showingError = false;
              this.status({});
            }
            done();
          },
          (error: unknown) => {
            const failure = asError(error);
            showingError = true;
            const code = (failure as { code?: unknown }).code;
            this.status({
              fill: 'red',
              shape: 'ring',
              text: typeof code === 'string' ? code : failure.message,
            });
            done(failure);
          },
        ),
      );
    });
  }

  RED.nodes.registerType('cot-build', CotBuild);
};
