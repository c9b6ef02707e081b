import sax from 'sax';
import {
  COT_VERSION,
  DEFAULT_HOW,
  DEFAULT_STALE_SECONDS,
  UNKNOWN_THRESHOLD,
  UNKNOWN_VALUE,
} from './defaults';
import { CotError, CotErrorCode } from './errors';
import type { CotElement, CotEvent, CotPoint } from './model';
import { parseTime } from './time';
import { validateEvent } from './validate';

/**
 * Strict XML with only the five XML entities (sax would otherwise accept HTML ones such as `&nbsp;`);
 * no position tracking, which costs time on every character and only decorates error messages.
 */
/** sax reads `strictEntities`; its published typings leave it out. */
interface StrictSaxOptions extends sax.SAXOptions {
  strictEntities: boolean;
}

const SAX_OPTIONS: StrictSaxOptions = {
  trim: false,
  normalize: false,
  position: false,
  strictEntities: true,
};

const WHITESPACE_ONLY = /^[ \t\r\n]*$/;
const BOM = 0xfeff;

type Attributes = Record<string, string>;

/**
 * sax's state machine position: not in its typings, but a plain field of every parser since sax 1.0, and
 * `sax.STATE` is exported. Should a future sax drop either, tentative frames are simply never accepted
 * and every event takes the byte scanner's path: slower, still right (a test fails loudly if that happens).
 */
const SAX_TEXT_STATE: number | undefined = (sax as unknown as { STATE?: Record<string, number> }).STATE?.TEXT;

function saxState(parser: sax.SAXParser): number | undefined {
  const state = (parser as unknown as { state?: unknown }).state;
  return typeof state === 'number' ? state : undefined;
}

/** Thrown inside sax callbacks to end the reading of a tentative frame that is not one event. */
class NotOneEvent extends Error {
  constructor() {
    super('the frame is not exactly one <event> element');
  }
}

/**
 * Turns sax callbacks into the model. Two ways to use it:
 * - `read(xml)`: one whole document (parseCot); the sax parser is closed and reset after each.
 * - `readFrame(xml)`: one event framed out of a stream; the sax parser stays open inside a wrapper
 *   element between events, which spares the reset of a sax parser per event.
 */
export class EventReader {
  private parser!: sax.SAXParser;
  /** Element depth of `<event>` minus one: 0 for a document, 1 inside the stream wrapper. */
  private readonly base: number;
  private depth = 0;
  private root: Attributes | undefined;
  private closed = false;
  private point: Attributes | undefined;
  private detail: CotElement | undefined;
  /** Open elements inside `<detail>`, `detail` itself first, with their text so far. */
  private stack: CotElement[] = [];
  private texts: string[] = [];
  /** Depth below which a subtree is ignored (children of point, unknown children of event). */
  private ignoreBelow = Infinity;
  /** Reading tentative frames: where their results go. Anything but one event element per frame ends the reading. */
  private results: Array<CotEvent | CotError> | undefined;

  constructor(mode: 'document' | 'stream' = 'document') {
    this.base = mode === 'stream' ? 1 : 0;
    this.startParser();
  }

  private startParser(): void {
    const parser = sax.parser(true, SAX_OPTIONS);
    parser.onopentag = (tag) => this.open(tag as sax.Tag);
    parser.onclosetag = () => this.close();
    parser.ontext = (text) => this.text(text);
    parser.oncdata = (text) => this.text(text);
    parser.onsgmldeclaration = () => {
      // Only a tentative frame can hold one: the byte scanner refuses `<!` that is not a comment or CDATA.
      throw new NotOneEvent();
    };
    parser.ondoctype = () => {
      throw new CotError(
        CotErrorCode.DOCTYPE,
        'the XML has a DOCTYPE, which CoT never uses; it is refused so no entity is ever expanded',
      );
    };
    parser.onerror = (error) => {
      throw new CotError(CotErrorCode.XML, `not well-formed XML: ${error.message.split('\n')[0]}`);
    };
    this.parser = parser;
    this.depth = 0;
    if (this.base === 1) parser.write('<stream>');
  }

  private reset(): void {
    this.depth = this.base;
    this.root = this.point = this.detail = undefined;
    this.closed = false;
    // A complete event leaves both empty; only a failed one needs fresh ones.
    if (this.stack.length > 0) this.stack = [];
    if (this.texts.length > 0) this.texts = [];
    this.ignoreBelow = Infinity;
  }

  read(xml: string): CotEvent {
    this.reset();
    this.parser.write(xml).close();
    if (!this.root) throw new CotError(CotErrorCode.XML, 'no XML element found; expected <event ...>');
    return this.toEvent(this.root);
  }

  /** One framed `<event>...</event>`. A sax error leaves sax mid-document, so a fresh one takes over. */
  readFrame(xml: string): CotEvent {
    this.reset();
    try {
      this.parser.write(xml);
    } catch (error) {
      this.startParser();
      throw error;
    }
    if (!this.closed || !this.root) {
      this.startParser();
      throw new CotError(
        CotErrorCode.XML,
        'not well-formed XML: the event does not end where its </event> is',
      );
    }
    return this.toEvent(this.root);
  }

  /**
   * Frames each cut at the first `</event>` after their start, unchecked. Returns undefined, having
   * reported nothing, unless each is exactly one well-formed `<event>` element ending at its last byte;
   * then, in order, each one's event or what is wrong with its content.
   */
  readTentativeFrames(xmls: string[]): Array<CotEvent | CotError> | undefined {
    const results: Array<CotEvent | CotError> = [];
    this.results = results;
    try {
      for (const xml of xmls) {
        this.reset();
        this.parser.write(xml);
        // Its last bytes closed its event only if sax is back in plain content: were they inside a
        // comment, CDATA or a tag after an earlier close, sax would be in the middle of that.
        const state = saxState(this.parser);
        if (!this.closed || state === undefined || state !== SAX_TEXT_STATE) throw new NotOneEvent();
      }
    } catch (error) {
      if (!(error instanceof CotError) && !(error instanceof NotOneEvent)) throw error;
      this.startParser();
      return undefined;
    } finally {
      this.results = undefined;
    }
    return results;
  }

  private open(tag: sax.Tag): void {
    if (this.results !== undefined) this.checkTentative(tag);
    const depth = ++this.depth - this.base;
    if (depth <= 0) return; // the stream wrapper
    if (depth > this.ignoreBelow) return;
    const attributes = tag.attributes as Attributes;
    if (depth === 1) {
      if (tag.name !== 'event') {
        throw new CotError(
          CotErrorCode.NOT_EVENT,
          `the root element is <${tag.name}>, not <event>`,
          undefined,
          tag.name,
        );
      }
      this.root = attributes;
    } else if (this.stack.length > 0) {
      this.openInDetail(tag.name, attributes);
    } else if (depth === 2 && tag.name === 'point' && !this.point) {
      this.point = attributes;
      this.ignoreBelow = depth;
    } else if (depth === 2 && tag.name === 'detail' && !this.detail) {
      this.detail = attributes as CotElement;
      this.checkAttributeNames(attributes);
      this.stack.push(this.detail);
      this.texts.push('');
    } else {
      this.ignoreBelow = depth;
    }
  }

  /** A root that closes itself, a second root in one frame, or an event inside an event: not one event. */
  private checkTentative(tag: sax.Tag): void {
    if (this.depth !== this.base) {
      if (tag.name === 'event') throw new NotOneEvent();
    } else if (tag.isSelfClosing || this.root !== undefined) {
      throw new NotOneEvent();
    }
  }

  /** The event just closed, or what is wrong with it: one bad event among several read together. */
  private tryToEvent(): CotEvent | CotError {
    try {
      if (!this.root) throw new CotError(CotErrorCode.XML, 'no XML element found; expected <event ...>');
      return this.toEvent(this.root);
    } catch (error) {
      if (error instanceof CotError) return error;
      throw error;
    }
  }

  private openInDetail(name: string, attributes: Attributes): void {
    this.checkAttributeNames(attributes);
    if (name === '_text' || name === '__proto__') {
      throw new CotError(
        CotErrorCode.MODEL_CONFLICT,
        `an element named ${name} cannot be held by the JSON model`,
        name,
      );
    }
    const parent = this.stack[this.stack.length - 1] as CotElement;
    const element = attributes as CotElement;
    const existing = parent[name];
    if (existing === undefined) parent[name] = element;
    else if (Array.isArray(existing)) existing.push(element);
    else if (typeof existing === 'object') parent[name] = [existing, element];
    else {
      throw new CotError(
        CotErrorCode.MODEL_CONFLICT,
        `<${name}> is both an attribute and a child element of its parent; the JSON model cannot keep both`,
        name,
      );
    }
    this.stack.push(element);
    this.texts.push('');
  }

  private checkAttributeNames(attributes: Attributes): void {
    if ('_text' in attributes) {
      throw new CotError(
        CotErrorCode.MODEL_CONFLICT,
        'an attribute named _text cannot be held by the JSON model',
        '_text',
      );
    }
  }

  private close(): void {
    if (this.results !== undefined && this.closed) throw new NotOneEvent();
    const depth = this.depth-- - this.base;
    if (depth === 1) {
      this.closed = true;
      if (this.results !== undefined) this.results.push(this.tryToEvent());
    }
    if (depth > this.ignoreBelow) return;
    if (depth === this.ignoreBelow) {
      this.ignoreBelow = Infinity;
      return;
    }
    if (this.stack.length > 0 && depth >= 2) {
      const element = this.stack.pop() as CotElement;
      const text = this.texts.pop() as string;
      // Whitespace-only text is pretty-printing, not content.
      if (text !== '' && !WHITESPACE_ONLY.test(text)) element._text = text;
    }
  }

  private text(text: string): void {
    if (this.stack.length > 0 && this.depth - this.base <= this.ignoreBelow) {
      this.texts[this.texts.length - 1] += text;
    }
  }

  private toEvent(root: Attributes): CotEvent {
    // An event with neither uid nor type is reported for those first: they say what it is.
    if (!root.uid)
      throw new CotError(CotErrorCode.MISSING_UID, 'the event has no uid attribute', 'uid', root.uid);
    if (!root.type)
      throw new CotError(CotErrorCode.MISSING_TYPE, 'the event has no type attribute', 'type', root.type);
    if (!this.point) {
      throw new CotError(
        CotErrorCode.MISSING_POINT,
        'the event has no <point>; it cannot be placed on a map',
        'point',
      );
    }
    const time = root.time ?? root.start;
    const start = root.start ?? root.time;
    let stale = root.stale;
    if (stale === undefined && start !== undefined) {
      // A missing stale is read as the builder's default lifetime rather than refusing the whole event.
      const startMs = parseTime(start);
      if (!Number.isNaN(startMs)) stale = new Date(startMs + DEFAULT_STALE_SECONDS * 1000).toISOString();
    }
    const event: CotEvent = {
      version: root.version ?? COT_VERSION,
      uid: root.uid as string,
      type: root.type as string,
      how: root.how ?? DEFAULT_HOW,
      time: time as string,
      start: start as string,
      stale: stale as string,
      point: readPoint(this.point),
    };
    if (root.access !== undefined) event.access = root.access;
    if (root.qos !== undefined) event.qos = root.qos;
    if (root.opex !== undefined) event.opex = root.opex;
    if (this.detail) event.detail = this.detail;
    validateEvent(event, { staleOrder: false });
    return event;
  }
}

function readCoordinate(text: string | undefined): number {
  if (text === undefined) return NaN;
  const value = Number(text);
  // Number('') and Number('  ') are 0: an empty attribute must not put a track at the equator.
  return value === 0 && text.trim() === '' ? NaN : value;
}

/** hae/ce/le: missing, non-numeric (ATAK writes "NaN" at times) or >= 999999 all mean unknown. */
function readMetres(text: string | undefined): number {
  const value = readCoordinate(text);
  return Number.isFinite(value) && value < UNKNOWN_THRESHOLD ? value : UNKNOWN_VALUE;
}

function readPoint(attributes: Attributes): CotPoint {
  return {
    lat: readCoordinate(attributes.lat),
    lon: readCoordinate(attributes.lon),
    hae: readMetres(attributes.hae),
    ce: readMetres(attributes.ce),
    le: readMetres(attributes.le),
  };
}

let shared: EventReader | undefined;

/**
 * Reads one CoT event (an optional XML declaration, then `<event>`) into the canonical model.
 * Lenient where real clients are, strict where the event would be useless; throws a {@link CotError}.
 */
export function parseCot(xml: string | Buffer): CotEvent {
  let text = typeof xml === 'string' ? xml : xml.toString('utf8');
  if (text.charCodeAt(0) === BOM) text = text.slice(1);
  const reader = shared ?? new EventReader();
  shared = undefined; // a throw leaves sax mid-document; the next call gets a fresh reader
  const event = reader.read(text);
  shared = reader;
  return event;
}
