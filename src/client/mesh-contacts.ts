import type { CotElement, CotEvent } from '../cot/model';
import type { TakControl } from '../takproto/codec';
import { CONTACT_WINDOW_MS, MAX_MESH_CONTACTS, TAK_PROTOCOL_MAX, TAK_PROTOCOL_MIN } from './mesh-defaults';

/** The key of an announcement that named no contactUid: `from:<address>`. */
export const ADDRESS_KEY = 'from:';

/** A device heard on the mesh. */
export interface MeshContact {
  uid: string;
  callsign: string | undefined;
  /** `ip:port:proto` from its SA, for direct messages. */
  endpoint: string | undefined;
  /** The source address of its last datagram. */
  address: string;
  /** When it was last heard, on the client's clock. */
  heardAt: number;
  /** Its last TakControl and when it came; absent for a device that never announced (XML only). */
  control?: { min: number; max: number; at: number };
}

function attribute(element: unknown, name: string): string | undefined {
  if (element === null || typeof element !== 'object' || Array.isArray(element)) return undefined;
  const value = (element as CotElement)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The devices heard on the mesh, and the TAK Protocol version they all speak. A device counts for
 * CONTACT_WINDOW_MS after it was last heard; its announcement counts as long as the device does.
 */
export class MeshContacts {
  private readonly byUid = new Map<string, MeshContact>();

  constructor(private readonly now: () => number) {}

  /** An event heard: a device's SA (it has a contact with a callsign) makes or refreshes a contact. */
  heardEvent(event: CotEvent, address: string): void {
    const contact = event.detail?.contact;
    const callsign = attribute(contact, 'callsign');
    if (callsign === undefined || !event.type.startsWith('a-')) return;
    const entry = this.entry(event.uid, address);
    entry.callsign = callsign;
    entry.endpoint = attribute(contact, 'endpoint') ?? entry.endpoint;
  }

  /** A TakControl heard, from the device `uid` (its contactUid, or the uid of the event it came with). */
  heardControl(control: TakControl, uid: string, address: string): void {
    const entry = this.entry(uid, address);
    entry.control = { min: control.minProtoVersion, max: control.maxProtoVersion, at: this.now() };
  }

  private entry(uid: string, address: string): MeshContact {
    const now = this.now();
    let entry = this.byUid.get(uid);
    if (entry === undefined) {
      this.prune();
      if (this.byUid.size >= MAX_MESH_CONTACTS) {
        // The longest silent goes: a flood of forged uids cannot grow the table.
        const oldest = [...this.byUid.values()].sort((a, b) => a.heardAt - b.heardAt)[0] as MeshContact;
        this.byUid.delete(oldest.uid);
      }
      entry = { uid, callsign: undefined, endpoint: undefined, address, heardAt: now };
      this.byUid.set(uid, entry);
    }
    entry.heardAt = now;
    entry.address = address;
    return entry;
  }

  /** Drops devices not heard within the window. */
  prune(): void {
    const oldest = this.now() - CONTACT_WINDOW_MS;
    for (const [uid, entry] of this.byUid) if (entry.heardAt < oldest) this.byUid.delete(uid);
  }

  /** Devices heard within the window. */
  list(): MeshContact[] {
    this.prune();
    return [...this.byUid.values()];
  }

  /** Devices heard: an announcement kept under its address is not a second device beside the SA from there. */
  get size(): number {
    const list = this.list();
    const named = new Set(list.filter((c) => !c.uid.startsWith(ADDRESS_KEY)).map((c) => c.address));
    return list.filter((c) => !c.uid.startsWith(ADDRESS_KEY) || !named.has(c.address)).length;
  }

  /** A contact by uid, or else by callsign (the most recently heard with it). */
  find(to: string): MeshContact | undefined {
    const list = this.list();
    return (
      list.find((c) => c.uid === to) ??
      list.filter((c) => c.callsign === to).sort((a, b) => b.heardAt - a.heardAt)[0]
    );
  }

  /**
   * The highest TAK Protocol version every device heard in the window speaks, as ATAK chooses it: 0 (XML)
   * with no devices, or when one never announced, or when their ranges and ours share no version.
   */
  agreedVersion(): number {
    const list = this.list();
    if (list.length === 0) return 0;
    // An announcement with no contactUid is kept under its address: it speaks for the SA from there.
    const byAddress = new Map<string, NonNullable<MeshContact['control']>>();
    for (const contact of list) if (contact.control) byAddress.set(contact.address, contact.control);
    let low = TAK_PROTOCOL_MIN;
    let high = TAK_PROTOCOL_MAX;
    for (const contact of list) {
      const control = contact.control ?? byAddress.get(contact.address);
      if (control === undefined) return 0;
      low = Math.max(low, control.min);
      high = Math.min(high, control.max);
    }
    return high >= low ? high : 0;
  }
}
