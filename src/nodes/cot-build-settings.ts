/** What the cot-build dialog saves, and reading it into typed properties and options. */
import { EXTRAS_MODES, type ExtrasMode } from '../convert/extras';
import type { CotFieldValues } from '../convert/fields';
import { UID_MODES, type UidMode } from '../convert/uid-mode';
import { TypedProperty } from './cot-typed-input';
import type { Node, NodeAPI, NodeDef } from './red';

/**
 * Dialog setting -> CoT field. The type field is saved as `cotType` (a node's own `type` is its node type)
 * and the icon as `icon` (the iconset path).
 */
export const FIELD_SETTINGS = {
  uid: 'uid',
  cotType: 'type',
  how: 'how',
  callsign: 'callsign',
  lat: 'lat',
  lon: 'lon',
  hae: 'hae',
  ce: 'ce',
  le: 'le',
  course: 'course',
  speed: 'speed',
  team: 'team',
  role: 'role',
  battery: 'battery',
  remarks: 'remarks',
  icon: 'iconsetpath',
  stale: 'stale',
} as const satisfies Record<string, keyof CotFieldValues>;

export type FieldSetting = keyof typeof FIELD_SETTINGS;

export type CotBuildDef = NodeDef &
  Partial<Record<FieldSetting | `${FieldSetting}Type`, string>> & {
    uidMode?: string;
    uidKey?: string;
    uidKeyType?: string;
    uidPrefix?: string;
    extras?: string;
    /**
     * `xml`: payload is the XML, cot the model; `model`: the other way round; `takproto-stream` and
     * `takproto-mesh`: payload is a TAK Protocol frame (Buffer), cot the model.
     */
    output?: string;
  };

/** What cot-build puts in msg.payload: XML text, the model, or TAK Protocol (protobuf) framed for a stream or UDP. */
export const COT_BUILD_OUTPUTS = ['xml', 'model', 'takproto-stream', 'takproto-mesh'] as const;
export type CotBuildOutput = (typeof COT_BUILD_OUTPUTS)[number];

export interface CotBuildSettings {
  fields: TypedProperty[];
  uidMode: UidMode;
  uidKey: TypedProperty;
  uidPrefix: string;
  extras: ExtrasMode;
  output: CotBuildOutput;
  /** Top-level payload properties the settings read, which are therefore not extras. */
  consumed: Set<string>;
  /** Settings that could not be used (a JSONata syntax error): shown at deploy, reported per msg. */
  problems: string[];
}

function choice<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value)
    ? (value as T)
    : fallback;
}

export function readSettings(RED: NodeAPI, node: Node, def: CotBuildDef): CotBuildSettings {
  const fields = (Object.keys(FIELD_SETTINGS) as FieldSetting[]).map(
    (setting) => new TypedProperty(RED, node, FIELD_SETTINGS[setting], def[setting], def[`${setting}Type`]),
  );
  const uidKey = new TypedProperty(RED, node, 'uid key', def.uidKey ?? 'payload.id', def.uidKeyType, 'msg');
  const uidMode = choice(def.uidMode, UID_MODES, 'auto');
  const consumed = new Set<string>();
  const keyed = uidMode === 'stable' || uidMode === 'prefix';
  for (const property of keyed ? [...fields, uidKey] : fields) {
    const key = property.payloadProperty;
    if (key !== undefined) consumed.add(key);
  }
  const problems = fields.map((f) => f.problem).filter((p): p is string => p !== undefined);
  if (keyed && uidKey.problem !== undefined) problems.push(uidKey.problem);
  return {
    fields,
    uidMode,
    uidKey,
    uidPrefix: typeof def.uidPrefix === 'string' ? def.uidPrefix : '',
    extras: choice(def.extras, EXTRAS_MODES, 'remarks'),
    output: choice(def.output, COT_BUILD_OUTPUTS, 'xml'),
    consumed,
    problems,
  };
}
