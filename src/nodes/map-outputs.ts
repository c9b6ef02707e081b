/**
 * The optional map outputs of cot-parse and tak-receive: a node-red-contrib-web-worldmap marker and a
 * GeoJSON Feature per event, read from the same settings (`worldmap`, `layer`, `geojson`) in both nodes.
 */
import { DELETE_TYPE } from '../cot/helpers';
import type { CotEvent } from '../cot/model';
import { cotToGeoJson } from '../convert/geojson';
import { cotToWorldmap, DEFAULT_WORLDMAP_LAYER } from '../convert/worldmap';
import type { NodeAPI, NodeMessage } from './red';
import { booleanSetting, stringSetting } from './settings';

export interface MapOutputsDef {
  /** Also emit a worldmap marker (second output). */
  worldmap?: boolean | string;
  /** The worldmap layer markers go on. */
  layer?: string;
  /** Also emit a GeoJSON Feature (after the worldmap output, when that is on). */
  geojson?: boolean | string;
}

export interface MapOutputs {
  worldmap: boolean;
  geojson: boolean;
  layer: string;
}

/** Both off unless set, so a flow saved before the outputs existed keeps its single output. */
export function readMapOutputs(def: MapOutputsDef): MapOutputs {
  return {
    worldmap: booleanSetting(def.worldmap, false),
    geojson: booleanSetting(def.geojson, false),
    layer: stringSetting(def.layer, DEFAULT_WORLDMAP_LAYER),
  };
}

/** Control events (ping, pong, protocol negotiation) are not things on a map; deletes are, as removals. */
export function isOnMap(event: CotEvent): boolean {
  return !event.type.startsWith('t-') || event.type === DELETE_TYPE;
}

/**
 * Sends `main` alone when no map output is on; otherwise `[main, marker?, feature?]`, each map msg a copy
 * of `template` (the msg's other properties) with its own payload, and null for an event not on a map.
 */
export function withMapOutputs(
  RED: NodeAPI,
  settings: MapOutputs,
  event: CotEvent,
  main: NodeMessage,
  template: NodeMessage,
  now: number,
): NodeMessage | Array<NodeMessage | null> {
  if (!settings.worldmap && !settings.geojson) return main;
  const out: Array<NodeMessage | null> = [main];
  const mapped = isOnMap(event);
  const copy = (payload: unknown): NodeMessage => ({
    ...RED.util.cloneMessage(template),
    payload,
    topic: event.type,
  });
  if (settings.worldmap) out.push(mapped ? copy(cotToWorldmap(event, { layer: settings.layer, now })) : null);
  if (settings.geojson) out.push(mapped ? copy(cotToGeoJson(event)) : null);
  return out;
}
