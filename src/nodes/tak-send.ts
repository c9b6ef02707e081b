import type { NodeAPI, NodeDef, Node, NodeMessage, SendFunction, DoneFunction } from './red';
import type { CotInput } from '../cot/model';
import { toWireInput } from './to-xml';
import { useConnection } from './use-connection';
import { checkRuntime } from './runtime-check';

interface TakSendDef extends NodeDef {
  server?: string;
  /** 1 = hand each msg on after it was sent or queued. */
  outputs?: number | string;
}

export = function register(RED: NodeAPI): void {
  checkRuntime(RED);
  function TakSend(this: Node, def: TakSendDef): void {
    RED.nodes.createNode(this, def);
    const connection = useConnection(RED, this, def.server, {});
    const passThrough = Number(def.outputs) > 0;
    this.on('input', (msg: NodeMessage, send: SendFunction, done: DoneFunction) => {
      if (!connection) {
        done(new Error(RED._('tak-config.errors.noConnection')));
        return;
      }
      let input: string | CotInput;
      try {
        input = toWireInput(msg.payload);
      } catch (error) {
        done(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      let outcome: 'sent' | 'queued';
      try {
        // msg.to means a mesh contact only on a mesh: other flows may carry msg.to for their own reasons.
        const to = connection.isMesh && typeof msg.to === 'string' && msg.to !== '' ? msg.to : undefined;
        outcome = connection.send(input, to);
      } catch (error) {
        // Too big for the connection, or the client is stopping: to Catch, with its code.
        done(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (passThrough) {
        msg.takpak = { sent: outcome };
        send(msg);
      }
      done();
    });
  }

  RED.nodes.registerType('tak-send', TakSend);
};
