import { StreamParser, type StreamItem, type StreamParserOptions } from '../../src/index';

/** A comparable line per item: what came out, not how the bytes were cut. */
export function describeItem(item: StreamItem): string {
  if (item.kind === 'event') return `event ${item.event.uid} ${item.xml.length}`;
  if (item.kind === 'error') return `error ${item.error.code} ${item.error.bytes}`;
  return `skip ${item.reason} ${item.bytes}`;
}

/** Feeds the bytes cut at the given positions, then ends the stream; checks the buffer cap all along. */
export function feed(bytes: Buffer, cuts: number[], options: StreamParserOptions = {}): StreamItem[] {
  const parser = new StreamParser(options);
  const items: StreamItem[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut < from) continue;
    items.push(...parser.push(bytes.subarray(from, cut)));
    if (options.maxEventBytes !== undefined && parser.bufferedBytes > options.maxEventBytes) {
      throw new Error(`buffered ${parser.bufferedBytes} bytes, more than the cap ${options.maxEventBytes}`);
    }
    from = cut;
  }
  items.push(...parser.end());
  return items;
}

export function feedInChunks(bytes: Buffer, size: number, options: StreamParserOptions = {}): StreamItem[] {
  const cuts: number[] = [];
  for (let at = size; at < bytes.length; at += size) cuts.push(at);
  return feed(bytes, cuts, options);
}

export function uids(items: StreamItem[]): string[] {
  return items.flatMap((item) => (item.kind === 'event' ? [item.event.uid] : []));
}

export function codes(items: StreamItem[]): string[] {
  return items.flatMap((item) => (item.kind === 'error' ? [item.error.code] : []));
}

const T = 'time="2026-01-31T12:00:00Z" start="2026-01-31T12:00:00Z" stale="2026-01-31T12:05:00Z"';

/** A small valid event with the given uid and optional extra detail markup. */
export function ev(uid: string, detail = '<contact callsign="A"/>'): string {
  return `<event version="2.0" uid="${uid}" type="a-f-G-U-C" how="m-g" ${T}><point lat="1" lon="2" hae="0" ce="9" le="9"/><detail>${detail}</detail></event>`;
}
