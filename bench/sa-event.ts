/**
 * One realistic ATAK situational-awareness (position) event, the unit of work for the build and parse cases.
 *
 * Written for this benchmark: the shape is what ATAK-CIV sends for its own position every few seconds
 * (XML declaration, `a-f-G-U-C`, takv/contact/uid/precisionlocation/__group/status/track, remarks), the values
 * are made up. 682 bytes of UTF-8 with the declaration, about the size of a typical SA event on the wire.
 */
import type { CotEvent, CotShortInput } from '../src/index';

export const SA_UID = 'ANDROID-8c3f5a71e2d94b06';
export const SA_CALLSIGN = 'HOTEL-2';
export const SA_TIME = '2025-06-14T09:41:27.512Z';
export const SA_STALE = '2025-06-14T09:47:42.512Z';

/** Where a TAK server's streaming clients can be reached: "through the server". */
const ENDPOINT = '*:-1:stcp';

const TAKV = {
  device: 'SAMSUNG SM-G991B',
  platform: 'ATAK-CIV',
  os: '34',
  version: '5.3.0.12 (4c6a2e1f).1734967211-CIV',
};

const REMARKS = 'Heading west on foot';

/** The event as ATAK writes it: XML declaration, one line. */
export const SA_XML =
  '<?xml version="1.0" encoding="UTF-8"?>' +
  `<event version="2.0" uid="${SA_UID}" type="a-f-G-U-C" how="m-g" time="${SA_TIME}" start="${SA_TIME}" stale="${SA_STALE}">` +
  '<point lat="51.5072178" lon="-0.1275862" hae="31.4" ce="4.9" le="9999999.0"/>' +
  '<detail>' +
  `<takv device="${TAKV.device}" platform="${TAKV.platform}" os="${TAKV.os}" version="${TAKV.version}"/>` +
  `<contact endpoint="${ENDPOINT}" callsign="${SA_CALLSIGN}"/>` +
  `<uid Droid="${SA_CALLSIGN}"/>` +
  '<precisionlocation geopointsrc="GPS" altsrc="GPS"/>' +
  '<__group name="Cyan" role="Team Lead"/>' +
  '<status battery="87"/>' +
  '<track course="274.8" speed="1.35"/>' +
  `<remarks>${REMARKS}</remarks>` +
  '</detail>' +
  '</event>';

/** The same bytes a socket would hand over. */
export const SA_BYTES: Buffer = Buffer.from(SA_XML, 'utf8');

/** Elements in {@link SA_XML}: event, point, detail and its eight children. */
export const SA_ELEMENT_COUNT = 11;

/** The same event in the canonical model, as `buildCot` takes it (numbers where the XML has numbers). */
export const SA_MODEL: CotEvent = {
  version: '2.0',
  uid: SA_UID,
  type: 'a-f-G-U-C',
  how: 'm-g',
  time: SA_TIME,
  start: SA_TIME,
  stale: SA_STALE,
  point: { lat: 51.5072178, lon: -0.1275862, hae: 31.4, ce: 4.9, le: 9999999 },
  detail: {
    takv: { ...TAKV },
    contact: { endpoint: ENDPOINT, callsign: SA_CALLSIGN },
    uid: { Droid: SA_CALLSIGN },
    precisionlocation: { geopointsrc: 'GPS', altsrc: 'GPS' },
    __group: { name: 'Cyan', role: 'Team Lead' },
    status: { battery: 87 },
    track: { course: 274.8, speed: 1.35 },
    remarks: { _text: REMARKS },
  },
};

/** The same event in the short form a flow author writes; the rest goes in `detail`. */
export const SA_SHORT: CotShortInput = {
  lat: 51.5072178,
  lon: -0.1275862,
  hae: 31.4,
  ce: 4.9,
  uid: SA_UID,
  type: 'a-f-G-U-C',
  how: 'm-g',
  time: SA_TIME,
  stale: SA_STALE,
  callsign: SA_CALLSIGN,
  team: 'Cyan',
  role: 'Team Lead',
  course: 274.8,
  speed: 1.35,
  battery: 87,
  remarks: REMARKS,
  detail: {
    takv: { ...TAKV },
    contact: { endpoint: ENDPOINT },
    uid: { Droid: SA_CALLSIGN },
    precisionlocation: { geopointsrc: 'GPS', altsrc: 'GPS' },
  },
};
