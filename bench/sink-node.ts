/**
 * A Node-RED node type for the bench (`bench-sink`): hands every msg it receives to the function the bench
 * put in the global context as `sink`. Downstream of tak-receive it costs the runtime what any node costs
 * (routing, hooks, the hand-over on the next turn), without a function node's entry into its sandbox for
 * every message (about 10 us, more than tak-receive itself), so the e2e figure is the cost of our nodes.
 */
interface SinkConfig {
  id: string;
}

interface SinkNode {
  on(event: 'input', handler: (msg: unknown, send: unknown, done: () => void) => void): void;
  context(): { global: { get(name: string): unknown } };
}

interface SinkRed {
  nodes: {
    createNode(node: object, config: SinkConfig): void;
    registerType(type: string, constructor: (this: SinkNode, config: SinkConfig) => void): void;
  };
}

export const SINK_TYPE = 'bench-sink';

/** The editor half Node-RED wants beside a node's .js file; the bench never opens the editor. */
export const SINK_HTML = `<script type="text/javascript">
RED.nodes.registerType('${SINK_TYPE}', { category: 'function', defaults: {}, inputs: 1, outputs: 0 });
</script>
`;

function register(RED: SinkRed): void {
  RED.nodes.registerType(SINK_TYPE, function BenchSink(this: SinkNode, config: SinkConfig) {
    RED.nodes.createNode(this, config);
    const sink = this.context().global.get('sink') as (msg: unknown) => void;
    this.on('input', (msg, _send, done) => {
      sink(msg);
      done();
    });
  });
}

export default register;
