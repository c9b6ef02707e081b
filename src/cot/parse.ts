import sax from 'sax';
import {
  COT_VERSION,
  DEFAULT_HOW,
  DEFAULT_STALE_SECONDS,
  UNKNOWN_THRESHOLD,
  UNKNOWN_VALUE,
} from './defaults';
import { parseDecimal } from './decimal';
import { CotError, CotErrorCode } from './errors';
import { DEFAULT_MAX_DEPTH, readMaxDepth, tooDeepToRead } from './limits';
import { PROTOCOL_DETAIL_ELEMENTS, type CotElement, type CotEvent, type CotPoint } from './model';
import { checkReceivedBytes, checkReceivedString } from './received-text';
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
 * What this reader reads of sax beyond its typings: plain fields of every parser since sax 1.0 (`state`,
 * `tag`, `tags`) and the exported `sax.STATE`. Reading them spares a close-tag callback per element,
 * which costs more than everything else this reader does. Should a future sax drop them, tentative
 * frames are never accepted and text is not read: the tests fail loudly rather than slowly.
 */
interface SaxInternals {
  state?: unknown;
  tag?: sax.Tag;
  tags?: sax.Tag[];
}

const SAX_STATES = (sax as unknown as { STATE?: Record<string, number> }).STATE;
const SAX_TEXT_STATE = SAX_STATES?.TEXT;
/** Reading a close tag's name, or the whitespace after it (`</a >`): sax has taken the element off its stack. */
const SAX_CLOSE_TAG_STATE = SAX_STATES?.CLOSE_TAG;
const SAX_CLOSE_TAG_SAW_WHITE_STATE = SAX_STATES?.CLOSE_TAG_SAW_WHITE;
const NO_TAGS: sax.Tag[] = [];

function internals(parser: sax.SAXParser): SaxInternals {
  return parser as unknown as SaxInternals;
}

/** Thrown inside sax callbacks to end the reading of a tentative frame that is not one event. */
class NotOneEvent extends Error {
  constructor() {
    super('the frame is not exactly one <event> element');
  }
}

/**
 * Turns sax callbacks into the model. Three ways to use it:
 * - `read(xml)`: one whole document (parseCot); the sax parser is closed and reset after each.
 * - `readFrame(xml)`: one event framed out of a stream; the sax parser stays open inside a wrapper
 *   element between events, which spares the reset of a sax parser per event.
 * - `readTentativeFrames(xmls)`: events cut out of a stream unchecked, confirmed or refused as a whole.
 */
export class EventReader {
  private parser!: sax.SAXParser;
  /** Element depth of `<event>` minus one: 0 for a document, 1 inside the stream wrapper. */
  private readonly base: number;
  private root: Attributes | undefined;
  private point: Attributes | undefined;
  private detail: CotElement | undefined;
  /**
   * The detail element last opened at each depth (detail itself at 2), undefined where that element is
   * not kept (point, unknown children of event and everything under them). The one at depth d - 1 is
   * the parent of whatever opens at depth d.
   */
  private elements: Array<CotElement | undefined> = [];
  /** Text seen so far directly inside kept elements (pairs by index); set as `_text` once the event is read. */
  private textOwners: CotElement[] = [];
  private textValues: string[] = [];
  /**
   * The text being read contains `_text` somewhere, so an attribute may be named that. Attribute names
   * hold no entities, so text without it needs no check per element.
   */
  private mayNameText = true;
  /** Reading a tentative frame: anything but exactly one event element ends the reading. */
  private tentative = false;
  /**
   * Reading detail content on its own (TAK Protocol's xmlDetail) inside a made-up event and detail:
   * counts elements opened at those two levels, so content that closes the detail and opens another
   * is refused rather than read as detail.
   */
  private detailOnly = false;
  private shallowOpens = 0;
  /**
   * Deepest element level read, `<event>` being 1. Checked as each tag opens, so a deep event is refused
   * before anything deep is built; sax keeps its open tags in an array, so reading never recurses.
   */
  maxDepth: number;

  constructor(mode: 'document' | 'stream' = 'document', maxDepth: number = DEFAULT_MAX_DEPTH) {
    this.base = mode === 'stream' ? 1 : 0;
    this.maxDepth = maxDepth;
    this.startParser();
  }

  private startParser(): void {
    const parser = sax.parser(true, SAX_OPTIONS);
    parser.onopentag = (tag) => this.open(tag as sax.Tag);
    parser.ontext = (text) => this.text(text);
    parser.oncdata = (text) => this.text(text);
    parser.onsgmldeclaration = () => {
      // The byte scanner refuses `<!` that is neither a comment nor CDATA: a tentative frame with one
      // must go back to it. A document keeps sax's leniency.
      if (this.tentative) throw new NotOneEvent();
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
    if (this.base === 1) parser.write('<stream>');
  }

  /** Before reading `xml`, one event's worth of text. */
  private reset(xml: string): void {
    this.root = this.point = this.detail = undefined;
    this.mayNameText = xml.includes('_text');
    if (this.textOwners.length > 0) {
      this.textOwners = [];
      this.textValues = [];
    }
  }

  /** Open elements, the stream wrapper included. */
  private openTags(): sax.Tag[] {
    return internals(this.parser).tags ?? NO_TAGS;
  }

  /** The event's root element has been read to its end. */
  private rootClosed(): boolean {
    return this.root !== undefined && this.openTags().length === this.base;
  }

  read(xml: string): CotEvent {
    this.reset(xml);
    this.parser.write(xml).close();
    if (!this.root) throw new CotError(CotErrorCode.XML, 'no XML element found; expected <event ...>');
    return this.toEvent(this.root);
  }

  /** One framed `<event>...</event>`. A sax error leaves sax mid-document, so a fresh one takes over. */
  readFrame(xml: string): CotEvent {
    this.reset(xml);
    try {
      this.parser.write(xml);
    } catch (error) {
      this.startParser();
      throw error;
    }
    if (!this.rootClosed()) {
      this.startParser();
      throw new CotError(
        CotErrorCode.XML,
        'not well-formed XML: the event does not end where its </event> is',
      );
    }
    return this.toEvent(this.root as Attributes);
  }

  /**
   * Frames each cut at the first `</event>` after their start, unchecked. Returns undefined, having
   * reported nothing, unless each is exactly one well-formed `<event>` element ending at its last byte;
   * then, in order, each one's event or what is wrong with its content.
   */
  readTentativeFrames(xmls: string[]): Array<CotEvent | CotError> | undefined {
    const results: Array<CotEvent | CotError> = [];
    this.tentative = true;
    try {
      for (const xml of xmls) {
        this.reset(xml);
        this.parser.write(xml);
        // Its last bytes closed its event only if sax is back in plain content: were they inside a
        // comment, CDATA or a tag after an earlier close, sax would be in the middle of that.
        const state = internals(this.parser).state;
        if (!this.rootClosed() || typeof state !== 'number' || state !== SAX_TEXT_STATE)
          throw new NotOneEvent();
        results.push(this.tryToEvent(this.root as Attributes));
      }
    } catch (error) {
      this.tentative = false;
      if (!(error instanceof CotError) && !(error instanceof NotOneEvent)) throw error;
      this.startParser();
      return undefined;
    }
    this.tentative = false;
    return results;
  }

  /**
   * Detail content without its `<detail>` wrapper (TAK Protocol's xmlDetail) read as the children, text
   * and attributes-free detail element it would be inside an event, under the same depth limit: its
   * children are at level 3. Throws a CotError when it is not well-formed or does not stay inside the detail.
   */
  readDetailContent(xml: string): CotElement {
    this.reset(xml);
    this.detailOnly = true;
    this.shallowOpens = 0;
    try {
      if (this.base === 0) {
        this.parser.write(DETAIL_CONTENT_OPEN).write(xml).write(DETAIL_CONTENT_CLOSE).close();
      } else {
        // Inside the stream wrapper the sax parser stays open: no reset per message.
        this.parser.write(DETAIL_CONTENT_OPEN + xml + DETAIL_CONTENT_CLOSE);
        if (!this.rootClosed()) throw new NotOneEvent();
      }
    } catch (error) {
      // Off before the fresh parser opens its stream wrapper, which would count as content otherwise.
      this.detailOnly = false;
      this.startParser();
      if (error instanceof NotOneEvent) {
        throw new CotError(
          CotErrorCode.XML,
          'not well-formed XML: the content does not stay inside its <detail>',
        );
      }
      throw error;
    }
    this.detailOnly = false;
    this.applyText();
    return this.detail ?? {};
  }

  private open(tag: sax.Tag): void {
    // sax has already put this tag on its stack.
    const depth = this.openTags().length - this.base;
    if (depth > this.maxDepth) throw tooDeepToRead(this.maxDepth);
    if (this.tentative) this.checkTentative(tag, depth);
    if (this.detailOnly && depth <= 2 && ++this.shallowOpens > 2) throw new NotOneEvent();
    if (depth <= 1) {
      if (depth === 1) this.openRoot(tag);
      return; // depth 0: the stream wrapper
    }
    const attributes = tag.attributes as Attributes;
    if (depth === 2) {
      if (tag.name === 'point' && !this.point) {
        this.point = attributes;
        this.elements[2] = undefined;
      } else if (tag.name === 'detail' && !this.detail) {
        this.checkAttributeNames(attributes);
        this.detail = attributes as CotElement;
        this.elements[2] = this.detail;
      } else {
        this.elements[2] = undefined;
      }
      return;
    }
    const parent = this.elements[depth - 1];
    this.elements[depth] = parent === undefined ? undefined : this.openInDetail(parent, tag.name, attributes);
  }

  private openRoot(tag: sax.Tag): void {
    if (tag.name !== 'event') {
      throw new CotError(
        CotErrorCode.NOT_EVENT,
        `the root element is <${tag.name}>, not <event>`,
        undefined,
        tag.name,
      );
    }
    this.root = tag.attributes as Attributes;
  }

  /** A root that closes itself, a second root in one frame, or an event inside an event: not one event. */
  private checkTentative(tag: sax.Tag, depth: number): void {
    if (depth > 1) {
      if (tag.name === 'event') throw new NotOneEvent();
    } else if (depth < 1 || tag.isSelfClosing || this.root !== undefined) {
      throw new NotOneEvent();
    }
  }

  /** The event just read, or what is wrong with it: one bad event among several read together. */
  private tryToEvent(root: Attributes): CotEvent | CotError {
    try {
      return this.toEvent(root);
    } catch (error) {
      if (error instanceof CotError) return error;
      throw error;
    }
  }

  private openInDetail(parent: CotElement, name: string, attributes: Attributes): CotElement {
    this.checkAttributeNames(attributes);
    if (name === '_text' || name === '__proto__') {
      throw new CotError(
        CotErrorCode.MODEL_CONFLICT,
        `an element named ${name} cannot be held by the JSON model`,
        name,
      );
    }
    const element = attributes as CotElement;
    const key = commonName(name);
    const existing = parent[key];
    if (existing === undefined) parent[key] = element;
    else if (Array.isArray(existing)) existing.push(element);
    else if (typeof existing === 'object') parent[key] = [existing, element];
    else {
      throw new CotError(
        CotErrorCode.MODEL_CONFLICT,
        `<${name}> is both an attribute and a child element of its parent; the JSON model cannot keep both`,
        name,
      );
    }
    return element;
  }

  private checkAttributeNames(attributes: Attributes): void {
    if (this.mayNameText && '_text' in attributes) {
      throw new CotError(
        CotErrorCode.MODEL_CONFLICT,
        'an attribute named _text cannot be held by the JSON model',
        '_text',
      );
    }
  }

  /**
   * Text directly inside an element. sax hands it over before the next tag: before an opening tag the
   * element is still the innermost open one; before a closing tag sax has already taken it off its
   * stack and holds it as the current tag.
   */
  private text(text: string): void {
    const parser = internals(this.parser);
    const closing = parser.state === SAX_CLOSE_TAG_STATE || parser.state === SAX_CLOSE_TAG_SAW_WHITE_STATE;
    const tags = parser.tags ?? NO_TAGS;
    const owner = closing ? parser.tag : tags[tags.length - 1];
    // Text flushed as sax reports an error comes with no owner, or a stale one: the error ends the reading.
    if (owner === undefined || owner === null) return;
    const depth = tags.length + (closing ? 1 : 0) - this.base;
    const element = this.elements[depth];
    if (depth < 2 || element === undefined || element !== owner.attributes) return;
    // Text comes in pieces around child elements and CDATA; the owner is nearly always the last one seen.
    for (let k = this.textOwners.length - 1; k >= 0; k--) {
      if (this.textOwners[k] === element) {
        this.textValues[k] += text;
        return;
      }
    }
    this.textOwners.push(element);
    this.textValues.push(text);
  }

  /** Text gathered while reading, set on its elements. */
  private applyText(): void {
    if (this.textOwners.length > 0) {
      // Whitespace-only text is pretty-printing, not content.
      for (let k = 0; k < this.textOwners.length; k++) {
        const text = this.textValues[k] as string;
        if (!WHITESPACE_ONLY.test(text)) (this.textOwners[k] as CotElement)._text = text;
      }
      this.textOwners = [];
      this.textValues = [];
    }
  }

  private toEvent(root: Attributes): CotEvent {
    this.applyText();
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

/** The made-up event and detail around detail content read on its own. */
const DETAIL_CONTENT_OPEN = '<event><detail>';
const DETAIL_CONTENT_CLOSE = '</detail></event>';

/** The protocol table's element names by length, to find a name sax has just spelt out among them. */
const COMMON_NAMES_BY_LENGTH: string[][] = [];
for (const name of PROTOCOL_DETAIL_ELEMENTS) (COMMON_NAMES_BY_LENGTH[name.length] ??= []).push(name);

/**
 * The same name as a string from the source, when it is a common one. sax builds each element name
 * afresh; using one as a property key makes the engine look it up in its table of names, which costs
 * more than comparing it with the few names of its length here.
 */
function commonName(name: string): string {
  const candidates = COMMON_NAMES_BY_LENGTH[name.length];
  if (candidates !== undefined) for (const candidate of candidates) if (candidate === name) return candidate;
  return name;
}

function readCoordinate(text: string | undefined): number {
  if (text === undefined) return NaN;
  const value = parseDecimal(text);
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

export interface ParseOptions {
  /**
   * Deepest element nesting accepted, `<event>` being level 1 (default DEFAULT_MAX_DEPTH, at most
   * MAX_DEPTH_LIMIT); a deeper event is refused with ERR_COT_TOO_DEEP.
   */
  maxDepth?: number;
}

/**
 * Reads one CoT event (an optional XML declaration, then `<event>`) into the canonical model.
 * Lenient where real clients are, strict where the event would be useless; throws a {@link CotError}.
 * Bytes must be valid UTF-8 and the text hold only characters XML 1.0 can carry (ERR_COT_BAD_UTF8,
 * ERR_COT_BAD_CHAR), so an event accepted is exactly what was given.
 */
export function parseCot(xml: string | Buffer, options: ParseOptions = {}): CotEvent {
  const maxDepth = readMaxDepth(options.maxDepth);
  const decoded = typeof xml === 'string' ? xml : xml.toString('utf8');
  const textError = (): CotError | undefined =>
    typeof xml === 'string' ? checkReceivedString(decoded) : checkReceivedBytes(xml, decoded);
  const text = decoded.charCodeAt(0) === BOM ? decoded.slice(1) : decoded;
  const reader = shared ?? new EventReader();
  shared = undefined; // a throw leaves sax mid-document; the next call gets a fresh reader
  reader.maxDepth = maxDepth;
  let event: CotEvent;
  try {
    event = reader.read(text);
  } catch (error) {
    throw error instanceof CotError ? readingError(error, textError) : error;
  }
  shared = reader;
  const bad = textError();
  if (bad !== undefined) throw bad;
  return event;
}

/**
 * Which of two problems an event is refused for: XML that is not well-formed first (the stream parser
 * looks for a good event inside such bytes), then text XML cannot carry, then the rest. parseCot and the
 * stream parser agree on it.
 */
export function readingError(error: CotError, textError: () => CotError | undefined): CotError {
  if (error.code === CotErrorCode.XML) return error;
  return textError() ?? error;
}
