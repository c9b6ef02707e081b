import type { CotEvent } from '../cot/model';
import type { ReceiveProblem } from './connection';
import { readMapOutputs, withMapOutputs, type MapOutputsDef } from './map-outputs';
import type { Node, NodeAPI, NodeDef, NodeMessage } from './red';
import { booleanSetting, stringSetting } from './settings';
import { useConnection } from './use-connection';
import { messageWithLazyCot } from './lazy-cot';
import { checkRuntime } from './runtime-check';

/** The map outputs (`worldmap`, `layer`, `geojson`) are cot-parse's, read and written by the same code. */
interface TakReceiveDef extends NodeDef, MapOutputsDef {
  server?: string;
  /** Comma-separated type prefixes, e.g. `a-f, b-t-f`; empty = all. */
  types?: string;
  uid?: string;
  how?: string;
  includeControl?: boolean | string;
  emitErrors?: boolean | string;
}

/** A stream of garbage must not flood the log: at most one warning in this many ms, with a count. */
const PARSE_WARNING_INTERVAL_MS = 10_000;

function listSetting(value: string | undefined): string[] {
  return stringSetting(value)
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

export = function register(RED: NodeAPI): void {
  checkRuntime(RED);
  function TakReceive(this: Node, def: TakReceiveDef): void {
    RED.nodes.createNode(this, def);
    const types = listSetting(def.types);
    const uid = stringSetting(def.uid);
    const how = stringSetting(def.how);
    const emitErrors = booleanSetting(def.emitErrors, false);
    const mapOutputs = readMapOutputs(def);
    let lastWarning = 0;
    let suppressed = 0;

    const wanted = (event: CotEvent): boolean =>
      (types.length === 0 || types.some((prefix) => event.type.startsWith(prefix))) &&
      (uid === '' || event.uid === uid) &&
      (how === '' || event.how.startsWith(how));

    useConnection(RED, this, def.server, {
      wantsControl: booleanSetting(def.includeControl, false),
      onEvent: (received) => {
        const { event, takproto } = received;
        if (!wanted(event)) return;
        // msg.cot is always XML; takproto: the bytes received. When the wire was protobuf, the XML is built
        // from the model the first time something reads msg.cot: most flows use msg.payload only.
        const main: NodeMessage =
          takproto === undefined
            ? { payload: event, topic: event.type, cot: received.xml }
            : messageWithLazyCot(event, takproto, () => received.xml);
        this.send(withMapOutputs(RED, mapOutputs, event, main, {}, Date.now()));
      },
      onParseError: (error: ReceiveProblem) => {
        if (emitErrors) {
          this.send({
            topic: 'error',
            payload: error.xml ?? error.preview,
            error: { code: error.code, message: error.message },
          });
          return;
        }
        const now = Date.now();
        if (now - lastWarning < PARSE_WARNING_INTERVAL_MS) {
          suppressed++;
          return;
        }
        const more = suppressed > 0 ? ` (${suppressed} more since the last warning)` : '';
        this.warn(`${error.code}: ${error.message}${more}`);
        lastWarning = now;
        suppressed = 0;
      },
    });
  }

  RED.nodes.registerType('tak-receive', TakReceive);
};
