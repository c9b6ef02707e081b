/**
 * The file-share event (`b-f-t-r`) that announces a data package on the server: ATAK shows it as "received a
 * file" and fetches it from senderUrl. Built for an upload; read from a received event for a download.
 */
import { attribute, elements } from '../cot/addressing';
import { COT_VERSION } from '../cot/defaults';
import type { CotDetail, CotEvent } from '../cot/model';
import { randomUid } from '../cot/uid';

export const FILE_SHARE_TYPE = 'b-f-t-r';
/** ATAK keeps a file offer for a while; a minute after it stops being news is enough for the receiver to act. */
export const FILE_SHARE_STALE_SECONDS = 60;

export interface FileShare {
  filename: string;
  /** The package's name as the receiver sees it. */
  name: string;
  senderUrl: string;
  sizeInBytes: number;
  sha256: string;
  senderUid: string;
  senderCallsign: string;
}

export interface FileShareOptions extends FileShare {
  /** Callsigns to deliver it to; empty or absent: everyone. */
  to?: string[];
  /** Ask the receivers for a receipt (`ackrequest`). */
  ackRequest?: boolean;
  lat?: number;
  lon?: number;
}

export function fileShareEvent(options: FileShareOptions, now: number = Date.now()): CotEvent {
  const uid = randomUid();
  const time = new Date(now).toISOString();
  const detail: CotDetail = {
    fileshare: {
      filename: options.filename,
      name: options.name,
      senderCallsign: options.senderCallsign,
      senderUid: options.senderUid,
      senderUrl: options.senderUrl,
      sha256: options.sha256,
      sizeInBytes: String(options.sizeInBytes),
    },
  };
  if (options.ackRequest) {
    detail.ackrequest = { uid: randomUid(), ackrequested: 'true', tag: options.name };
  }
  const to = (options.to ?? []).map((callsign) => callsign.trim()).filter((callsign) => callsign !== '');
  if (to.length > 0) detail.marti = { dest: to.map((callsign) => ({ callsign })) };
  return {
    version: COT_VERSION,
    uid,
    type: FILE_SHARE_TYPE,
    how: 'h-e',
    time,
    start: time,
    stale: new Date(now + FILE_SHARE_STALE_SECONDS * 1000).toISOString(),
    point: { lat: options.lat ?? 0, lon: options.lon ?? 0, hae: 9999999, ce: 9999999, le: 9999999 },
    detail,
  };
}

/** The file share a received event announces, or undefined when it is not one or lacks what a fetch needs. */
export function readFileShare(event: CotEvent): FileShare | undefined {
  if (event.type !== FILE_SHARE_TYPE) return undefined;
  const share = elements(event.detail?.fileshare)[0];
  const senderUrl = attribute(share, 'senderUrl');
  const sha256 = attribute(share, 'sha256');
  if (senderUrl === undefined || sha256 === undefined) return undefined;
  const size = Number(attribute(share, 'sizeInBytes'));
  const filename = attribute(share, 'filename') ?? `${sha256}.zip`;
  return {
    filename,
    name: attribute(share, 'name') ?? filename,
    senderUrl,
    sizeInBytes: Number.isFinite(size) && size >= 0 ? size : -1,
    sha256: sha256.toLowerCase(),
    senderUid: attribute(share, 'senderUid') ?? '',
    senderCallsign: attribute(share, 'senderCallsign') ?? '',
  };
}
