import { StreamErrorCode } from './errors';

/**
 * What a frame is. TAK Protocol v1 streaming frames (`0xbf`, varint length, protobuf) will be a second
 * kind: the framer tells them apart in its search state, where a frame can begin, by the first byte.
 */
export type FrameKind = 'xml';

/** Where the framer hands its results. Called synchronously from push() and end(), in stream order. */
export interface FrameSink {
  /**
   * One complete `<event>...</event>` (or self-closing `<event/>`) found by the byte-by-byte scanner,
   * exactly as it was on the wire. Return false when the bytes are not well-formed XML: the framer then
   * looks inside them for an event start it skipped as data (in an attribute value, comment or CDATA)
   * and reads on from there, which recovers good events that followed a truncated one.
   */
  frame(bytes: Buffer, kind: FrameKind): boolean;
  /**
   * Tentative frames (see TENTATIVE FRAMES), in stream order, each from `<event` to the first `</event>`
   * after it. Return true when every one was exactly one well-formed `<event>` element (its event, or
   * what is wrong with its content, then goes out); otherwise false, having reported nothing, and the
   * framer reads the same bytes again more carefully. The buffers are good only during the call.
   */
  tentative(frames: Buffer[]): boolean;
  problem(code: StreamErrorCode, message: string, bytes: number, preview: Buffer): void;
  /** Bytes outside any event that are neither whitespace nor an XML declaration. */
  skipped(reason: 'element' | 'garbage', bytes: number, preview: Buffer): void;
}

// Byte values.
const LT = 0x3c; // <
const GT = 0x3e; // >
const SLASH = 0x2f; // /
const BANG = 0x21; // !
const QUESTION = 0x3f; // ?
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const DASH = 0x2d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const EVENT_TAG = Buffer.from('<event', 'latin1');
const EVENT_NAME = Buffer.from('event', 'latin1');
const EVENT_CLOSE = Buffer.from('</event>', 'latin1');
const CDATA_OPEN = Buffer.from('[CDATA[', 'latin1');

/** Inputs to scan again, in order. */
type Replay = Buffer[];

const NO_BYTES = Buffer.alloc(0);
/** First size of the buffer that holds an event across chunks: a typical event fits. */
const HELD_MIN_BYTES = 4096;
/** Above this, the held-bytes buffer is let go once its event is done, so one huge event is not held forever. */
const HELD_KEEP_BYTES = 64 * 1024;

/** How much of a broken event or of skipped bytes is kept for the report. */
const PREVIEW_BYTES = 80;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** What may follow `<event` for it to be that element and not `<eventually>`. */
function isNameEnd(b: number): boolean {
  return b === GT || b === SLASH || isSpace(b);
}

/** `<event` followed by what ends a name, at position p (the byte after `<event` must be in the chunk). */
function isEventTagAt(chunk: Buffer, p: number): boolean {
  for (let k = 0; k < EVENT_TAG.length; k++) if (chunk[p + k] !== EVENT_TAG[k]) return false;
  return isNameEnd(chunk[p + EVENT_TAG.length] as number);
}

/** Byte `at` of `[CDATA[`, its letters in either case as sax reads them. */
function isCdataByte(b: number, at: number): boolean {
  const want = CDATA_OPEN[at] as number;
  return b === want || (want >= 0x41 && want <= 0x5a && b === (want | 0x20));
}

function isNameStart(b: number): boolean {
  return (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || b === 0x5f || b === 0x3a || b >= 0x80;
}

// States of the scanner.
const SEARCH = 0; // outside events: looking for `<event` + name end
const SEARCH_PI = 1; // outside events, inside `<?...?>` (declarations are not garbage)
const TAG = 2; // inside a start tag, outside quotes
const VALUE = 3; // inside a quoted attribute value
const AFTER_VALUE = 4; // right after a closing quote: only space, `/` or `>` may follow
const TEXT = 5; // element content
const OPEN = 6; // just after `<` in content
const OPEN_NAME = 7; // in a start tag's name
const CLOSE_NAME = 8; // in an end tag's name
const CLOSE_REST = 9; // after an end tag's name, before `>`
const MARKUP = 10; // after `<!`: a comment or CDATA must follow
const COMMENT = 11;
const CDATA = 12;
const PI = 13;
const FAST = 14; // inside an event, looking only for the next `</event>` (see TENTATIVE FRAMES below)

/**
 * Most tentative frames handed over in one call: enough to spread sax's per-call cost thin, few enough
 * that a run with one bad event in it (read again one by one) costs little.
 */
const MAX_RUN = 32;

/**
 * TENTATIVE FRAMES. Almost every event on a real stream ends at the first `</event>` after its start.
 * Finding that with a native byte search costs a fraction of reading each byte here, and the sax pass
 * that follows reads every byte anyway: if it finds one well-formed `<event>` that closes exactly at
 * the end (not self-closing, no element named event inside it, nothing after its close), the
 * byte-by-byte scanner would have cut the same frame. Anything else (a `</event>` inside CDATA, a
 * comment or a value, a truncated event, garbage, an oversized event) is scanned again byte by byte
 * from the event's start, so every problem is found and reported exactly as without the shortcut.
 * Events back to back in one chunk go to sax together, which spares a sax call per event.
 */
export interface FramerOptions {
  /** Off: every event is scanned byte by byte (the tests compare both ways). On by default. */
  tentativeFrames?: boolean;
}

/**
 * Cuts a byte stream into CoT events: a state machine over bytes that knows just enough XML (tags,
 * quoted values, comments, CDATA, processing instructions) to find where each `<event>` really ends.
 * Work is linear in the bytes; bytes are copied only when an event spans chunks, and never more than
 * the cap is held.
 */
export class CotFramer {
  private readonly sink: FrameSink;
  private readonly maxFrameBytes: number;

  private state = SEARCH;
  /** Bytes of `<event` matched so far in SEARCH, and of the candidate matcher inside an event. */
  private match = 0;
  /**
   * The current frame's bytes from earlier chunks, copied into one reused buffer (so the chunks
   * themselves can be freed), and how many of its bytes are in use.
   */
  private held: Buffer = NO_BYTES;
  private savedBytes = 0;
  /** False after the frame outgrew the cap: scan on to its end without keeping bytes. */
  private keeping = true;
  private rootTag = false;
  private slash = false;
  private quote = 0;
  /** In OPEN_NAME / CLOSE_NAME: bytes of "event" matched, or -1 when the name is something else. */
  private nameMatch = 0;
  /** In OPEN and OPEN_NAME: whitespace came between `<` and the name. */
  private spacedOpen = false;
  /** In MARKUP: bytes of `--` or `[CDATA[` matched; in COMMENT/CDATA/PI: closing bytes seen. */
  private markup = 0;
  private markupKind = 0;
  /** Frame offsets of `<event` + name end seen as data inside this frame: where to restart if it breaks. */
  private candidates: number[] = [];
  private candidateMatch = 0;
  private candidateOffset = 0;
  /** Skipped bytes outside events, reported before the next event. */
  private skippedCount = 0;
  private skippedPreview: number[] = [];
  private readonly tentativeFrames: boolean;
  /** Until this push ends, every event is scanned byte by byte: a tentative frame was given back. */
  private careful = false;
  /** In FAST: bytes of `</event>` matched at the end of the previous chunk. */
  private closeMatch = 0;
  /** While scanning a chunk: where the current frame's bytes begin in it (0 when it began in an earlier one). */
  private start = 0;
  /** While scanning a chunk: where the last run of events handed over ends. */
  private runEnd = 0;
  /** While scanning a chunk: no `</event>` lies in it from here on (a run's search found none); -1 when unknown. */
  private noCloseFrom = -1;
  /** Tentative frames to hand over one at a time: a run that held them was refused. */
  private singleFrames = 0;
  /** In FAST, once a chunk ended before `</event>`: how far the root's start tag has been read. */
  private rootTagEnded = false;
  private rootQuote = 0;
  private rootSlash = false;

  constructor(sink: FrameSink, maxFrameBytes: number, options: FramerOptions = {}) {
    this.sink = sink;
    this.maxFrameBytes = maxFrameBytes;
    this.tentativeFrames = options.tentativeFrames ?? true;
  }

  /** Bytes held for an event that has not ended yet: never more than the cap. */
  get bufferedBytes(): number {
    return this.savedBytes;
  }

  push(chunk: Buffer): void {
    this.careful = false;
    this.scanAll(chunk);
  }

  private scanAll(chunk: Buffer): void {
    // Recovery re-reads bytes already passed: part of a frame, then the rest of the input. They are
    // scanned in turn rather than copied together, so recovering inside a large chunk stays linear.
    const first = this.scan(chunk);
    if (first === undefined) return;
    const inputs: Buffer[] = [...first].reverse();
    for (let input = inputs.pop(); input !== undefined; input = inputs.pop()) {
      const replay = this.scan(input);
      if (replay === undefined) continue;
      for (let k = replay.length - 1; k >= 0; k--) {
        const part = replay[k] as Buffer;
        if (part.length > 0) inputs.push(part);
      }
    }
  }

  /** The stream has ended: an unfinished event is reported, and its restart candidates are tried. */
  end(): void {
    if (this.state === FAST) {
      // An event still open at the end: let the byte scanner say what is wrong with it.
      const held = Buffer.from(this.heldBytes());
      this.resetFrame();
      this.state = SEARCH;
      this.match = 0;
      this.careful = true;
      this.scanAll(held);
    }
    if (this.state !== SEARCH && this.state !== SEARCH_PI) {
      const frame = this.keeping ? Buffer.from(this.heldBytes()) : NO_BYTES;
      const candidate = this.keeping ? this.candidates[0] : undefined;
      if (this.keeping) {
        this.sink.problem(
          StreamErrorCode.TRUNCATED,
          `the stream ended inside an event (${frame.length} bytes); the event is lost`,
          frame.length,
          frame.subarray(0, PREVIEW_BYTES),
        );
      }
      this.resetFrame();
      this.state = SEARCH;
      if (candidate !== undefined) {
        this.push(frame.subarray(candidate));
        this.end();
        return;
      }
    }
    if (this.state === SEARCH) for (let k = 0; k < this.match; k++) this.noteSkipped(EVENT_TAG[k] as number);
    this.match = 0;
    this.state = SEARCH;
    this.flushSkipped();
  }

  private resetFrame(): void {
    this.closeMatch = 0;
    this.rootTagEnded = false;
    this.rootQuote = 0;
    this.rootSlash = false;
    this.savedBytes = 0;
    if (this.held.length > HELD_KEEP_BYTES) this.held = NO_BYTES;
    this.keeping = true;
    if (this.candidates.length > 0) this.candidates = [];
    this.candidateMatch = 0;
  }

  private noteSkipped(b: number): void {
    if (isSpace(b)) {
      if (this.skippedCount > 0 && this.skippedPreview.length < PREVIEW_BYTES) this.skippedPreview.push(b);
      return;
    }
    // A byte-order mark before the first event is not garbage.
    if (this.skippedCount === 0 && (b === 0xef || b === 0xbb || b === 0xbf)) return;
    this.skippedCount++;
    if (this.skippedPreview.length < PREVIEW_BYTES) this.skippedPreview.push(b);
  }

  private flushSkipped(): void {
    if (this.skippedCount === 0) return;
    const preview = Buffer.from(this.skippedPreview);
    const reason =
      preview[0] === LT && preview.length > 1 && (isNameStart(preview[1] as number) || preview[1] === BANG)
        ? 'element'
        : 'garbage';
    this.sink.skipped(reason, this.skippedCount, preview);
    this.skippedCount = 0;
    this.skippedPreview = [];
  }

  /** The frame so far, a buffer of its own or a view of the chunk: held bytes plus chunk[start, end). */
  private frameBytes(chunk: Buffer, start: number, end: number): Buffer {
    if (this.savedBytes === 0) return chunk.subarray(start, end);
    const frame = Buffer.allocUnsafe(this.savedBytes + (end - start));
    this.held.copy(frame, 0, 0, this.savedBytes);
    chunk.copy(frame, this.savedBytes, start, end);
    return frame;
  }

  /** The held bytes: a view of the reused buffer, valid until the next hold(). */
  private heldBytes(): Buffer {
    return this.held.subarray(0, this.savedBytes);
  }

  /** Appends bytes[from, to) to the held bytes. */
  private hold(bytes: Buffer, from: number, to: number): void {
    const needed = this.savedBytes + (to - from);
    if (needed > this.held.length) {
      const grown = Buffer.allocUnsafe(
        Math.max(needed, Math.min(this.held.length * 2 || HELD_MIN_BYTES, this.maxFrameBytes)),
      );
      this.held.copy(grown, 0, 0, this.savedBytes);
      this.held = grown;
    }
    bytes.copy(this.held, this.savedBytes, from, to);
    this.savedBytes = needed;
  }

  /**
   * Scans one input. Returns buffers to scan next, in order, when recovery must re-read bytes it
   * already passed (from a restart candidate inside a broken frame, or a whole tentative frame), the
   * last being the rest of this input; otherwise undefined.
   */
  private scan(chunk: Buffer): Replay | undefined {
    const n = chunk.length;
    let i = 0;
    this.start = 0;
    this.noCloseFrom = -1;

    while (i < n) {
      const b = chunk[i] as number;
      switch (this.state) {
        case SEARCH: {
          if (this.match === 0) {
            // Events back to back: the next one starts right here, no search needed.
            const lt = b === LT ? i : chunk.indexOf(LT, i);
            const stop = lt < 0 ? n : lt;
            for (let k = i; k < stop; k++) this.noteSkipped(chunk[k] as number);
            if (lt < 0) {
              i = n;
              continue;
            }
            this.match = 1;
            i = lt + 1;
            continue;
          }
          if (this.match < 6) {
            if (b === EVENT_TAG[this.match]) {
              this.match++;
              i++;
            } else if (this.match === 1 && b === QUESTION) {
              this.match = 0;
              this.markup = 0;
              this.state = SEARCH_PI;
              i++;
            } else {
              for (let k = 0; k < this.match; k++) this.noteSkipped(EVENT_TAG[k] as number);
              this.match = 0; // b is looked at again: it may be a `<`
            }
            continue;
          }
          if (isNameEnd(b)) {
            const at = i - 6;
            this.match = 0;
            this.beginFrame(at >= 0 ? at : -1, at >= 0 ? 0 : -at);
            continue; // b is read again as part of the start tag
          }
          for (let k = 0; k < 6; k++) this.noteSkipped(EVENT_TAG[k] as number);
          this.match = 0;
          continue;
        }
        case SEARCH_PI:
          if (b === LT) {
            // Declarations never hold a `<`: this was noise that happened to start with `<?`. Searching
            // on from here keeps it from swallowing the events after it.
            this.noteSkipped(LT);
            this.noteSkipped(QUESTION);
            this.state = SEARCH;
            continue;
          }
          if (b === GT && this.markup === 1) this.state = SEARCH;
          this.markup = b === QUESTION ? 1 : 0;
          i++;
          continue;
        case FAST: {
          let k = i;
          let end = -1;
          // A `</event>` begun at the end of the previous chunk. The pattern has no repeat in itself,
          // so a mismatch can only restart at a `<`.
          while (this.closeMatch > 0 && k < n) {
            const c = chunk[k++] as number;
            const m = this.closeMatch;
            this.closeMatch = c === EVENT_CLOSE[m] ? m + 1 : c === LT ? 1 : 0;
            if (this.closeMatch === EVENT_CLOSE.length) {
              this.closeMatch = 0;
              end = k;
            }
          }
          if (end < 0 && k < n) {
            const at = this.noCloseFrom >= 0 && k >= this.noCloseFrom ? -1 : chunk.indexOf(EVENT_CLOSE, k);
            if (at >= 0) {
              end = at + EVENT_CLOSE.length;
            } else {
              // Not here; note how much of a `</event>` the chunk ends with.
              let m = 0;
              for (let t = Math.max(k, n - EVENT_CLOSE.length + 1); t < n; t++) {
                const c = chunk[t] as number;
                m = c === EVENT_CLOSE[m] ? m + 1 : c === LT ? 1 : 0;
              }
              this.closeMatch = m;
            }
          }
          if (end < 0) {
            // No `</event>` in the rest of this chunk. Hold the event for the next one only when it
            // surely has not ended: it began in this chunk, its start tag did not close it
            // (`<event .../>`), and "event" appears nowhere after its start, as it would in an end tag
            // spelt `</event >` or in the start of a next event that cut it off. Otherwise, and always
            // at its second chunk end, the byte scanner takes it, so it comes out now.
            if (
              this.savedBytes > 0 ||
              (!this.rootTagEnded && this.scanRootTag(chunk, i, n)) ||
              chunk.indexOf(EVENT_NAME, i) >= 0
            ) {
              return this.rescan(chunk);
            }
            i = n;
            continue;
          }
          const next = this.tentative(chunk, end);
          if (typeof next !== 'number') return next;
          i = next;
          continue;
        }
        case TAG:
          if (b !== GT && b !== LT && b !== SLASH) {
            // The hot path: attribute names, `=`, spaces and whole quoted values without a `<` in them,
            // in one loop. Anything unusual is left to the general states below.
            let k = i;
            while (k < n) {
              const c = chunk[k] as number;
              if (c === GT || c === LT || c === SLASH) break;
              if (c === DQUOTE || c === SQUOTE) {
                let q = k + 1;
                let d = 0;
                while (q < n) {
                  d = chunk[q] as number;
                  if (d === c || d === LT) break;
                  q++;
                }
                // A `<` in the value, or the chunk ends: the value state takes it from the quote.
                if (q >= n || d === LT || q + 1 >= n) break;
                const after = chunk[q + 1] as number;
                if (after !== GT && after !== SLASH && !isSpace(after)) break;
                k = q + 1;
                continue;
              }
              k++;
            }
            if (k > i) this.slash = false; // `/` only closes a tag when `>` follows it at once
            i = k;
            if (k < n) {
              const c = chunk[k] as number;
              if (c === DQUOTE || c === SQUOTE) {
                this.quote = c;
                this.state = VALUE;
                i = k + 1;
              }
            }
            continue;
          }
          if (b === GT) {
            if (this.rootTag && this.slash) {
              const replay = this.completeAt(chunk, i);
              if (replay) return replay;
            } else {
              this.rootTag = false;
              this.state = TEXT;
            }
          } else if (b === LT) {
            const replay = this.broken(chunk, i, StreamErrorCode.MALFORMED, 'a "<" inside a tag');
            if (replay) return replay;
            continue;
          } else {
            this.slash = true;
          }
          i++;
          continue;
        case VALUE: {
          const quote = this.quote;
          while (i < n) {
            const c = chunk[i] as number;
            if (c === quote) break;
            if (c === LT || this.candidateMatch !== 0) this.watch(c, i);
            i++;
          }
          if (i < n) {
            this.candidateMatch = 0;
            this.state = AFTER_VALUE;
            i++;
          }
          continue;
        }
        case AFTER_VALUE:
          if (isSpace(b) || b === SLASH || b === GT) {
            this.state = TAG;
            continue;
          }
          {
            // Text glued to a closing quote: the quotes are out of step, typically because an event
            // was cut off inside a value and the next event's quotes were read the wrong way round.
            const replay = this.broken(
              chunk,
              i,
              StreamErrorCode.MALFORMED,
              'text right after a quoted attribute value',
            );
            if (replay) return replay;
          }
          continue;
        case TEXT: {
          const lt = chunk.indexOf(LT, i);
          if (lt < 0) {
            i = n;
            continue;
          }
          i = lt;
          this.spacedOpen = false;
          this.state = OPEN;
          i++;
          continue;
        }
        case OPEN:
          if (b === SLASH) {
            this.nameMatch = 0;
            this.state = CLOSE_NAME;
          } else if (b === BANG) {
            this.markup = 0;
            this.markupKind = 0;
            this.state = MARKUP;
          } else if (b === QUESTION) {
            this.markup = 0;
            this.state = PI;
          } else if (isNameStart(b)) {
            // `< event` is an element to sax, never the start of an event to us: events start `<event`.
            this.nameMatch = !this.spacedOpen && b === EVENT_NAME[0] ? 1 : -1;
            this.state = OPEN_NAME;
          } else if (!isSpace(b)) {
            // Whitespace after `<` is let through: sax reads `< point/>` as `<point/>`, and an event
            // parseCot accepts must not be refused by the stream.
            const replay = this.broken(
              chunk,
              i,
              StreamErrorCode.MALFORMED,
              `"<" followed by byte 0x${b.toString(16)} in content`,
            );
            if (replay) return replay;
            continue;
          } else {
            this.spacedOpen = true;
          }
          i++;
          continue;
        case OPEN_NAME:
          if (isNameEnd(b)) {
            if (this.nameMatch === 5) {
              // `<event` at the top of the content: the previous event was cut off. Start over here.
              const at = i - EVENT_TAG.length; // chunk position of the `<`, before this chunk when < 0
              const frame = this.keeping
                ? this.frameBytes(chunk, this.start, Math.max(at, this.start))
                : undefined;
              if (frame !== undefined) {
                const lost = at >= this.start ? frame : frame.subarray(0, this.offsetAt(at));
                this.sink.problem(
                  StreamErrorCode.TRUNCATED,
                  `a new <event> began before this one ended (${lost.length} bytes); the cut-off event is skipped`,
                  lost.length,
                  lost.subarray(0, PREVIEW_BYTES),
                );
              }
              this.beginFrame(at >= 0 ? at : -1, at >= 0 ? 0 : -at);
              continue;
            }
            this.slash = false;
            this.rootTag = false;
            this.state = TAG;
            continue;
          }
          if (b === LT) {
            const replay = this.broken(chunk, i, StreamErrorCode.MALFORMED, 'a "<" inside a tag name');
            if (replay) return replay;
            continue;
          }
          if (this.nameMatch >= 0)
            this.nameMatch = this.nameMatch < 5 && b === EVENT_NAME[this.nameMatch] ? this.nameMatch + 1 : -1;
          i++;
          continue;
        case CLOSE_NAME:
          if (this.nameMatch === 0 && isSpace(b)) {
            i++; // whitespace before the name: sax reads `</ event>` as `</event>`, so do we
            continue;
          }
          if (b === GT || isSpace(b)) {
            const closesEvent = this.nameMatch === 5;
            if (b === GT) {
              if (closesEvent) {
                const replay = this.completeAt(chunk, i);
                if (replay) return replay;
              } else {
                this.state = TEXT;
              }
            } else {
              this.markupKind = closesEvent ? 1 : 0;
              this.state = CLOSE_REST;
            }
            i++;
            continue;
          }
          if (b === LT) {
            const replay = this.broken(chunk, i, StreamErrorCode.MALFORMED, 'a "<" inside an end tag');
            if (replay) return replay;
            continue;
          }
          if (this.nameMatch >= 0)
            this.nameMatch = this.nameMatch < 5 && b === EVENT_NAME[this.nameMatch] ? this.nameMatch + 1 : -1;
          i++;
          continue;
        case CLOSE_REST:
          if (b === GT) {
            if (this.markupKind === 1) {
              const replay = this.completeAt(chunk, i);
              if (replay) return replay;
            } else {
              this.state = TEXT;
            }
          } else if (!isSpace(b)) {
            const replay = this.broken(chunk, i, StreamErrorCode.MALFORMED, 'text inside an end tag');
            if (replay) return replay;
            continue;
          }
          i++;
          continue;
        case MARKUP:
          // `<!--` (kind 1) or `<![CDATA[` (kind 2); a DOCTYPE or anything else has no place inside an event.
          if (this.markup === 0) {
            this.markupKind = b === DASH ? 1 : b === LBRACKET ? 2 : 0;
          }
          if (this.markupKind === 1 && b === DASH) {
            this.markup++;
            if (this.markup === 2) {
              this.markup = 0;
              this.state = COMMENT;
            }
          } else if (this.markupKind === 2 && isCdataByte(b, this.markup)) {
            this.markup++;
            if (this.markup === CDATA_OPEN.length) {
              this.markup = 0;
              this.state = CDATA;
            }
          } else {
            const replay = this.broken(
              chunk,
              i,
              StreamErrorCode.MALFORMED,
              'a "<!" that is neither a comment nor CDATA inside an event',
            );
            if (replay) return replay;
            continue;
          }
          i++;
          continue;
        case COMMENT:
          // Ends at `-->`: markup counts the dashes just seen.
          if (b === GT && this.markup >= 2) {
            this.state = TEXT;
            this.candidateMatch = 0;
          } else {
            this.markup = b === DASH ? this.markup + 1 : 0;
            this.watch(b, i);
          }
          i++;
          continue;
        case CDATA:
          if (b === GT && this.markup >= 2) {
            this.state = TEXT;
            this.candidateMatch = 0;
          } else {
            this.markup = b === RBRACKET ? this.markup + 1 : 0;
            this.watch(b, i);
          }
          i++;
          continue;
        case PI:
          if (b === GT && this.markup === 1) {
            this.state = TEXT;
            this.candidateMatch = 0;
          } else {
            this.markup = b === QUESTION ? 1 : 0;
            this.watch(b, i);
          }
          i++;
          continue;
      }
    }

    // The chunk ended inside a frame: keep its bytes (copied, so the chunk itself can be freed).
    if (this.state !== SEARCH && this.state !== SEARCH_PI && this.keeping) {
      const held = this.savedBytes + (n - this.start);
      // Past the cap, the byte scanner decides what is lost and where to resume.
      if (this.state === FAST && held > this.maxFrameBytes) return this.rescan(chunk);
      if (held > this.maxFrameBytes) {
        const frame = this.frameBytes(chunk, this.start, n);
        const candidate = this.candidates[0];
        this.oversize(held, frame);
        if (candidate !== undefined) {
          this.resetFrame();
          this.state = SEARCH;
          this.match = 0;
          return [frame.subarray(candidate)];
        }
        this.savedBytes = 0;
        this.candidates = [];
        // Inside a value, comment or CDATA the structure is not to be trusted any more: search afresh.
        // In plain content, scan on to the oversized event's end without keeping it.
        if (this.state === VALUE || this.state === COMMENT || this.state === CDATA || this.state === PI) {
          this.state = SEARCH;
          this.match = 0;
          this.keeping = true;
        } else {
          this.keeping = false;
        }
      } else if (n > this.start) {
        this.hold(chunk, this.start, n);
      }
    }
    return undefined;
  }

  /** Offset within the frame of position p of the chunk being scanned. */
  private offsetAt(p: number): number {
    return this.savedBytes + (p - this.start);
  }

  /**
   * Something broke inside the frame at chunk position i. Report it; restart at the first candidate if
   * one was seen, else resume searching at i.
   */
  private broken(chunk: Buffer, i: number, code: StreamErrorCode, why: string): Replay | undefined {
    const frame = this.keeping ? this.frameBytes(chunk, this.start, i) : undefined;
    if (frame !== undefined) {
      this.sink.problem(
        code,
        `${why}; the event (${frame.length} bytes so far) is skipped`,
        frame.length,
        frame.subarray(0, PREVIEW_BYTES),
      );
    }
    const candidate = frame !== undefined ? this.candidates[0] : undefined;
    this.resetFrame();
    this.state = SEARCH;
    this.match = 0;
    if (frame !== undefined && candidate !== undefined) {
      return [frame.subarray(candidate), chunk.subarray(i)];
    }
    return undefined;
  }

  /** A frame ends at chunk position i (its last byte). Returns a replay when recovery needs one. */
  private completeAt(chunk: Buffer, i: number): Replay | undefined {
    const length = this.offsetAt(i + 1);
    if (!this.keeping) {
      this.resetFrame();
      this.state = SEARCH;
      return undefined;
    }
    if (length > this.maxFrameBytes) {
      const frame = this.frameBytes(chunk, this.start, i + 1);
      const candidate = this.candidates[0];
      this.oversize(length, frame);
      this.resetFrame();
      this.state = SEARCH;
      return candidate === undefined ? undefined : [frame.subarray(candidate), chunk.subarray(i + 1)];
    }
    const frame = this.frameBytes(chunk, this.start, i + 1);
    const candidate = this.candidates[0];
    this.resetFrame();
    this.state = SEARCH;
    const accepted = this.sink.frame(frame, 'xml');
    if (!accepted && candidate !== undefined) {
      return [frame.subarray(candidate), chunk.subarray(i + 1)];
    }
    return undefined;
  }

  /** Starts a frame whose `<event` began at chunk position p, or in an earlier chunk when p < 0. */
  private beginFrame(p: number, bytesBefore: number): void {
    this.flushSkipped();
    this.resetFrame();
    if (p >= 0) {
      this.start = p;
    } else {
      // The bytes before this chunk were exactly the start of `<event`: no need to have kept them.
      this.hold(EVENT_TAG, 0, bytesBefore);
      this.start = 0;
    }
    this.rootTag = true;
    this.slash = false;
    this.state = this.tentativeFrames && !this.careful ? FAST : TAG;
  }

  /**
   * Gives a tentative frame back to the byte scanner: its bytes and the rest of this input as one
   * buffer, so the scanner meets chunk ends where it would have without the shortcut, and reads the
   * rest of this push byte by byte too (a stream that defeats the shortcut costs no more than without it).
   */
  private rescan(chunk: Buffer): Replay {
    const replay = this.frameBytes(chunk, this.start, chunk.length);
    this.resetFrame();
    this.state = SEARCH;
    this.match = 0;
    this.careful = true;
    return [replay];
  }

  /**
   * A tentative frame ends just before chunk position `end`. Hands it over, with the events that
   * follow it back to back in this chunk. Returns where scanning goes on, or a replay.
   */
  private tentative(chunk: Buffer, end: number): number | Replay {
    if (this.offsetAt(end) > this.maxFrameBytes) return this.rescan(chunk);
    // An event that began in an earlier chunk is completed in the held buffer and handed over as a view
    // of it (the sink reads it before returning); a given-back frame gets its own copy in rescan().
    const heldBefore = this.savedBytes;
    if (heldBefore > 0) this.hold(chunk, this.start, end);
    const first = heldBefore > 0 ? this.heldBytes() : chunk.subarray(this.start, end);
    if (this.singleFrames === 0) {
      const run = this.collectRun(chunk, end);
      if (run.length > 0) {
        run.unshift(first);
        if (this.sink.tentative(run)) {
          this.resetFrame();
          this.state = SEARCH;
          return this.runEnd;
        }
        this.singleFrames = run.length - 1; // first is handed over alone just below
      }
    } else {
      this.singleFrames--;
    }
    if (!this.sink.tentative([first])) {
      this.savedBytes = heldBefore; // what rescan() gives back is the held bytes and the chunk from start
      return this.rescan(chunk);
    }
    this.resetFrame();
    this.state = SEARCH;
    return end;
  }

  /**
   * Events that follow chunk position `from` with nothing but whitespace between them, each with its
   * `</event>` in this chunk and within the cap; sets runEnd to the end of the last.
   */
  private collectRun(chunk: Buffer, from: number): Buffer[] {
    const n = chunk.length;
    const run: Buffer[] = [];
    let at = from;
    while (run.length < MAX_RUN - 1) {
      let s = at;
      while (s < n && isSpace(chunk[s] as number)) s++;
      if (s + EVENT_TAG.length >= n || !isEventTagAt(chunk, s)) break;
      const close = chunk.indexOf(EVENT_CLOSE, s + EVENT_TAG.length);
      if (close < 0) this.noCloseFrom = s + EVENT_TAG.length;
      if (close < 0 || close + EVENT_CLOSE.length - s > this.maxFrameBytes) break;
      at = close + EVENT_CLOSE.length;
      run.push(chunk.subarray(s, at));
    }
    this.runEnd = at;
    return run;
  }

  /** The candidate matcher: notes `<event` + name end seen at chunk position i inside data of the frame. */
  private watch(b: number, i: number): void {
    const m = this.candidateMatch;
    if (b === LT) {
      this.candidateMatch = 1;
      this.candidateOffset = this.offsetAt(i);
    } else if (m === 0) {
      return;
    } else if (m < 6) {
      this.candidateMatch = b === EVENT_TAG[m] ? m + 1 : 0;
    } else {
      if (isNameEnd(b) && this.keeping) this.candidates.push(this.candidateOffset);
      this.candidateMatch = 0;
    }
  }

  /**
   * Reads on in the start tag of a tentative frame's root, across chunks. True when the byte scanner
   * must take over: the tag closed itself, or a `<` appeared in it.
   */
  private scanRootTag(chunk: Buffer, from: number, to: number): boolean {
    let quote = this.rootQuote;
    let slash = this.rootSlash;
    for (let k = from; k < to; k++) {
      const b = chunk[k] as number;
      if (quote !== 0) {
        if (b === quote) quote = 0;
      } else if (b === DQUOTE || b === SQUOTE) {
        quote = b;
        slash = false;
      } else if (b === GT) {
        this.rootTagEnded = true;
        return slash;
      } else if (b === LT) {
        return true;
      } else {
        slash = b === SLASH;
      }
    }
    this.rootQuote = quote;
    this.rootSlash = slash;
    return false;
  }

  private oversize(length: number, frame: Buffer): void {
    this.sink.problem(
      StreamErrorCode.OVERSIZE,
      `an event grew past ${this.maxFrameBytes} bytes (${length} so far) and is skipped; raise maxEventBytes if such events are expected`,
      length,
      frame.subarray(0, PREVIEW_BYTES),
    );
  }
}
