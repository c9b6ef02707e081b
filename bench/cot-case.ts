/**
 * Build and parse one ATAK SA event: ours against @tak-ps/node-cot, and parse against raw sax (the floor
 * our parser sits on).
 *
 * parse: every variant reads the same Buffer, so each pays its own Buffer -> string decode.
 * build: every variant starts from plain data describing the same event and ends with an XML string.
 */
import assert from 'node:assert/strict';
import sax from 'sax';
import type * as NodeCotModule from '@tak-ps/node-cot/dist/index';
import { buildCot, buildCotWithXmlbuilder2, parseCot } from '../src/index';
import {
  describeError,
  failedRow,
  measureRow,
  measureRows,
  type BenchContext,
  type Row,
  type RowSpec,
} from './harness';
import {
  SA_BYTES,
  SA_CALLSIGN,
  SA_ELEMENT_COUNT,
  SA_MODEL,
  SA_SHORT,
  SA_STALE,
  SA_TIME,
  SA_UID,
} from './sa-event';

type NodeCot = typeof NodeCotModule;
type GeoJsonInput = Parameters<NodeCot['CoTParser']['from_geojson']>[0];
type CoTInstance = InstanceType<NodeCot['default']>;
type RawCoT = CoTInstance['raw'];

const PARSE = 'cot-parse';
const BUILD = 'cot-build';

const PARSE_OURS = 'ours parseCot(buffer)';
const PARSE_NODE_COT = 'node-cot from_xml';
const PARSE_SAX = 'raw sax (count opentags)';

const BUILD_OURS = 'ours buildCot(model)';
const BUILD_OURS_SHORT = 'ours buildCot(short form)';
const BUILD_XMLBUILDER2 = 'ours buildCotWithXmlbuilder2(model)';
const BUILD_NODE_COT_GEOJSON = 'node-cot from_geojson+to_xml';
const BUILD_NODE_COT_RAW = 'node-cot new CoT+validate+to_xml';

/**
 * node-cot is ESM-only. TypeScript compiling to CommonJS rewrites `import()` into `require()`, which cannot
 * load an ES module on Node 20, so the import is made where TypeScript cannot see it.
 */
const importEsm = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<unknown>;

async function loadNodeCot(): Promise<NodeCot> {
  return (await importEsm('@tak-ps/node-cot')) as NodeCot;
}

/**
 * node-cot's documented way to make an event: a GeoJSON Feature through `CoTParser.from_geojson` (the
 * README's "CoT GeoJSON Spec"; what CloudTAK and its ETL layers do), which checks the feature against its
 * TypeBox schema, builds the xml-js tree, then runs `CoTParser.validate` (AJV schema check, adds a
 * `_flow-tags_` stamp). It mutates its input (TypeBox Default/Clean/Convert), so each call gets a fresh one,
 * as a user building one feature per message would. The route cannot set `ce`/`le` (always 9999999).
 */
function saFeature(): GeoJsonInput {
  return {
    id: SA_UID,
    type: 'Feature',
    properties: {
      type: 'a-f-G-U-C',
      how: 'm-g',
      time: SA_TIME,
      start: SA_TIME,
      stale: SA_STALE,
      callsign: SA_CALLSIGN,
      droid: SA_CALLSIGN,
      contact: { endpoint: '*:-1:stcp' },
      group: { name: 'Cyan', role: 'Team Lead' },
      course: 274.8,
      speed: 1.35,
      status: { battery: '87' },
      takv: {
        device: 'SAMSUNG SM-G991B',
        platform: 'ATAK-CIV',
        os: '34',
        version: '5.3.0.12 (4c6a2e1f).1734967211-CIV',
      },
      precisionlocation: { geopointsrc: 'GPS', altsrc: 'GPS' },
      remarks: 'Heading west on foot',
    },
    geometry: { type: 'Point', coordinates: [-0.1275862, 51.5072178, 31.4] },
  };
}

/**
 * The lower-level route: the xml-js tree node-cot keeps in `cot.raw`, `new CoT(raw)`, then
 * `CoTParser.validate` (which `from_xml` and `from_geojson` also end with) and `to_xml`. Also fresh per call:
 * validate coerces and stamps the tree in place.
 */
function saRaw(): RawCoT {
  return {
    event: {
      _attributes: {
        version: '2.0',
        uid: SA_UID,
        type: 'a-f-G-U-C',
        how: 'm-g',
        time: SA_TIME,
        start: SA_TIME,
        stale: SA_STALE,
      },
      point: { _attributes: { lat: 51.5072178, lon: -0.1275862, hae: 31.4, ce: 4.9, le: 9999999 } },
      detail: {
        takv: {
          _attributes: {
            device: 'SAMSUNG SM-G991B',
            platform: 'ATAK-CIV',
            os: '34',
            version: '5.3.0.12 (4c6a2e1f).1734967211-CIV',
          },
        },
        contact: { _attributes: { endpoint: '*:-1:stcp', callsign: SA_CALLSIGN } },
        uid: { _attributes: { Droid: SA_CALLSIGN } },
        precisionlocation: { _attributes: { geopointsrc: 'GPS', altsrc: 'GPS' } },
        __group: { _attributes: { name: 'Cyan', role: 'Team Lead' } },
        status: { _attributes: { battery: '87' } },
        track: { _attributes: { course: '274.8', speed: '1.35' } },
        remarks: { _attributes: {}, _text: 'Heading west on foot' },
      },
    },
  };
}

/**
 * Raw sax with the options parseCot uses (strict, no position tracking, strict entities): one reused parser
 * whose only handler counts opening tags. This is the cost of tokenising, without building anything.
 */
function saxCounter(): (bytes: Buffer) => number {
  const parser = sax.parser(true, {
    trim: false,
    normalize: false,
    position: false,
    strictEntities: true,
  } as sax.SAXOptions);
  let count = 0;
  parser.onopentag = () => {
    count++;
  };
  parser.onerror = (error) => {
    throw error;
  };
  return (bytes) => {
    count = 0;
    parser.write(bytes.toString('utf8')).close();
    return count;
  };
}

/** Every variant must produce the same event before its speed means anything. */
function checkBuilt(xml: string, variant: string, exact: boolean): void {
  const event = parseCot(xml);
  if (exact) {
    assert.deepEqual(event, parseCot(SA_BYTES), `${variant} built a different event`);
    return;
  }
  assert.equal(event.uid, SA_UID, variant);
  assert.equal(event.type, 'a-f-G-U-C', variant);
  assert.equal(event.point.lat, 51.5072178, variant);
  assert.equal(event.point.lon, -0.1275862, variant);
  const detail = event.detail ?? {};
  for (const name of [
    'takv',
    'contact',
    'uid',
    'precisionlocation',
    '__group',
    'status',
    'track',
    'remarks',
  ]) {
    assert.ok(detail[name] !== undefined, `${variant} wrote no <${name}>`);
  }
}

async function parseRows(context: BenchContext): Promise<Row[]> {
  const ours = parseCot(SA_BYTES);
  assert.equal(ours.uid, SA_UID);
  assert.equal((ours.detail?.contact as { callsign?: string } | undefined)?.callsign, SA_CALLSIGN);
  const countTags = saxCounter();
  assert.equal(countTags(SA_BYTES), SA_ELEMENT_COUNT, 'raw sax saw a different number of elements');

  const common = { bytesPerOp: SA_BYTES.length, reference: PARSE_NODE_COT };
  // Ours and raw sax sampled in turns, so the ratio between them (the tight target) survives a busy machine.
  const rows = await measureRows(
    PARSE,
    [
      {
        name: PARSE_OURS,
        fn: () => parseCot(SA_BYTES),
        ...common,
        targets: [
          { against: PARSE_NODE_COT, min: 1.5 },
          { against: PARSE_SAX, min: 0.8 },
        ],
      },
      { name: PARSE_SAX, fn: () => countTags(SA_BYTES), ...common },
    ],
    context.measure,
  );
  // node-cot after both, and loaded only now: its xml-js drives the same sax module with other handlers,
  // which slows sax for every caller measured after it in the same process (seen: raw sax 49k -> 34k ops/s),
  // and loading its module graph leaves garbage that slows the first samples of whatever runs next.
  const nodeCot = await tryLoadNodeCot();
  if (nodeCot instanceof Error) {
    rows.push(failedRow(PARSE, PARSE_NODE_COT, nodeCot.message, common));
    return rows;
  }
  const { CoTParser } = nodeCot;
  const cot = CoTParser.from_xml(SA_BYTES);
  assert.equal(cot.uid(), SA_UID);
  assert.equal(cot.callsign(), SA_CALLSIGN);
  // from_xml does String(raw) itself (the same decode as ours), then xml-js, new CoT and AJV validate.
  rows.push(
    await measureRow(PARSE, PARSE_NODE_COT, () => CoTParser.from_xml(SA_BYTES), context.measure, common),
  );
  return rows;
}

async function buildRows(context: BenchContext): Promise<Row[]> {
  const lean = buildCot(SA_MODEL);
  checkBuilt(lean, BUILD_OURS, true);
  const short = buildCot(SA_SHORT);
  checkBuilt(short, BUILD_OURS_SHORT, true);
  const viaBuilder = buildCotWithXmlbuilder2(SA_MODEL);
  assert.equal(viaBuilder, lean, 'the xmlbuilder2 path wrote different bytes from the lean path');

  const reference = BUILD_NODE_COT_GEOJSON;
  const specs: RowSpec[] = [
    {
      name: BUILD_OURS,
      fn: () => buildCot(SA_MODEL),
      bytesPerOp: Buffer.byteLength(lean),
      reference,
      targets: [
        { against: BUILD_NODE_COT_GEOJSON, min: 1.0 },
        { against: BUILD_NODE_COT_RAW, min: 1.0 },
      ],
    },
    { name: BUILD_OURS_SHORT, fn: () => buildCot(SA_SHORT), bytesPerOp: Buffer.byteLength(short), reference },
    {
      name: BUILD_XMLBUILDER2,
      fn: () => buildCotWithXmlbuilder2(SA_MODEL),
      bytesPerOp: Buffer.byteLength(viaBuilder),
      reference,
    },
  ];
  const nodeCot = await tryLoadNodeCot();
  if (nodeCot instanceof Error) {
    const rows = await measureRows(BUILD, specs, context.measure);
    rows.push(failedRow(BUILD, BUILD_NODE_COT_GEOJSON, nodeCot.message, { reference }));
    rows.push(failedRow(BUILD, BUILD_NODE_COT_RAW, nodeCot.message, { reference }));
    return rows;
  }
  const { CoTParser, default: CoT } = nodeCot;
  const viaGeojson = async (): Promise<string> => CoTParser.to_xml(await CoTParser.from_geojson(saFeature()));
  const viaRaw = (): string => CoTParser.to_xml(CoTParser.validate(new CoT(saRaw())));
  const geojsonXml = await viaGeojson();
  checkBuilt(geojsonXml, BUILD_NODE_COT_GEOJSON, false);
  const rawXml = viaRaw();
  checkBuilt(rawXml, BUILD_NODE_COT_RAW, false);
  // No module is shared between the two libraries' build paths, so all five are sampled in turns.
  specs.push(
    { name: BUILD_NODE_COT_GEOJSON, fn: viaGeojson, bytesPerOp: Buffer.byteLength(geojsonXml), reference },
    { name: BUILD_NODE_COT_RAW, fn: viaRaw, bytesPerOp: Buffer.byteLength(rawXml), reference },
  );
  return measureRows(BUILD, specs, context.measure);
}

async function tryLoadNodeCot(): Promise<NodeCot | Error> {
  try {
    return await loadNodeCot();
  } catch (error) {
    return new Error(
      `@tak-ps/node-cot did not load on Node ${process.version} (it declares Node >= 22): ${describeError(error)}`,
    );
  }
}

/** Parse one SA event from a Buffer. */
export async function runCotParseCase(context: BenchContext): Promise<Row[]> {
  context.log(`cot-parse: SA event of ${SA_BYTES.length} bytes`);
  return parseRows(context);
}

/** Build one SA event from plain data. */
export async function runCotBuildCase(context: BenchContext): Promise<Row[]> {
  return buildRows(context);
}
