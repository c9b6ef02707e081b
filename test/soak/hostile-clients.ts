/**
 * The soak's "hostile clients" fault: while the flow runs, the flow's own tak-server is attacked (every
 * plain-TCP attack of `npm run bench hostile` at once: idle swarm, slowloris, flood of big events, deep
 * nesting, connect-reset loop, invalid bytes) and a well-behaved pair of clients exchanges SA through it.
 * What the pair lost is reported; the rest of the soak checks that the runtime and the flow lose nothing.
 */
import { performance } from 'node:perf_hooks';
import { ATTACKS, connectPair } from '../../bench/hostile-case';

/** The pair's SA rate each: enough samples, far below any limit. */
const PAIR_RATE_PER_SEC = 10;
/** Time for the pair's last events to arrive once the attack has stopped. */
const SETTLE_MS = 1_000;

export interface HostileResult {
  sent: number;
  delivered: number;
  pairDisconnected: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function hostileClients(port: number, ms: number): Promise<HostileResult> {
  const [a, b] = await connectPair(port, false);
  await sleep(200); // both identified before the attack
  const stops = ATTACKS.filter((attack) => attack.tls !== true).map((attack) => attack.start(port));
  let sent = 0;
  const started = performance.now();
  try {
    while (performance.now() - started < ms) {
      a.send();
      b.send();
      sent += 2;
      await sleep(1000 / PAIR_RATE_PER_SEC);
    }
  } finally {
    for (const stop of stops) stop();
  }
  await sleep(SETTLE_MS);
  const result = { sent, delivered: a.received + b.received, pairDisconnected: a.closed || b.closed };
  a.socket.destroy();
  b.socket.destroy();
  return result;
}
