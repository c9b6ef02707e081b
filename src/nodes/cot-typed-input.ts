/**
 * One field of a node dialog set as a Node-RED typed input: a fixed value, a msg / flow / global property,
 * an env variable or a JSONata expression, or `payload`: "whatever msg.payload's own shape gives".
 */
import { CotError, CotErrorCode } from '../cot/errors';
import type { JSONataExpression, Node, NodeAPI, NodeMessage } from './red';

/** The typed-input type that leaves a field to the payload's shape (the dialog shows `msg.payload.<field>`). */
export const PAYLOAD_SOURCE = 'payload';

/** Fixed-value types: the dialog's own `str` and the pick lists (team, role) that also save a plain string. */
const FIXED_TEXT_TYPES = new Set(['str', 'team', 'role']);

/** `payload.deviceId`, `payload['device id']`: the top-level payload property a msg path reads. */
const PAYLOAD_PATH = /^payload(?:\.([A-Za-z_$][\w$]*)|\[\s*(["'])(.*?)\2\s*\])/;

/** JSONata throws plain objects with a message, not Errors. */
function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { message?: unknown }).message === 'string'
  ) {
    return (error as { message: string }).message;
  }
  return String(error);
}

export class TypedProperty {
  /** The setting's name as people read it in errors, e.g. `callsign`. */
  readonly field: string;
  readonly value: string;
  readonly type: string;
  /** Where the value comes from, for error messages: `msg.payload.name`, `flow.gps`, `env LAT`, `JSONata ...`. */
  readonly source: string;
  private readonly expression: JSONataExpression | undefined;
  /** Why the JSONata expression could not be prepared: reported on each use, so the flow still deploys. */
  readonly problem: string | undefined;

  constructor(
    private readonly RED: NodeAPI,
    private readonly node: Node,
    field: string,
    value: unknown,
    type: unknown,
    fallbackType: string = PAYLOAD_SOURCE,
  ) {
    this.field = field;
    this.value =
      typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
    this.type = typeof type === 'string' && type !== '' ? type : fallbackType;
    this.source = TypedProperty.describe(this.type, this.value, field);
    if (this.type === 'jsonata') {
      try {
        this.expression = RED.util.prepareJSONataExpression(this.value, node);
      } catch (error) {
        this.problem = `the JSONata expression for ${field} is invalid: ${reasonOf(error)}`;
      }
    }
  }

  static describe(type: string, value: string, field: string): string {
    switch (type) {
      case PAYLOAD_SOURCE:
        return `msg.payload.${field}`;
      case 'msg':
      case 'flow':
      case 'global':
        return `${type}.${value}`;
      case 'env':
        return `env ${value}`;
      case 'jsonata':
        return `JSONata ${value}`;
      default:
        return `the fixed value ${JSON.stringify(value)}`;
    }
  }

  /** True when the payload's own shape gives this field. */
  get fromPayload(): boolean {
    return this.type === PAYLOAD_SOURCE;
  }

  /** The top-level payload property this setting reads (`msg` type only), so it is not also kept as an extra. */
  get payloadProperty(): string | undefined {
    if (this.type !== 'msg') return undefined;
    const m = PAYLOAD_PATH.exec(this.value.trim());
    return m ? (m[1] ?? m[3]) : undefined;
  }

  /** The value for this msg; undefined for `payload` and for an empty fixed value. Rejects with a CotError naming field and source. */
  evaluate(msg: NodeMessage): Promise<unknown> {
    if (this.type === PAYLOAD_SOURCE) return Promise.resolve(undefined);
    if (this.value === '' && (FIXED_TEXT_TYPES.has(this.type) || this.type === 'num'))
      return Promise.resolve(undefined);
    if (FIXED_TEXT_TYPES.has(this.type)) return Promise.resolve(this.value);
    if (this.type === 'num') {
      // A number that is not one goes on as text, for buildCot to refuse by name.
      const n = Number(this.value);
      return Promise.resolve(Number.isFinite(n) ? n : this.value);
    }
    if (this.type === 'msg') {
      try {
        return Promise.resolve(this.RED.util.getMessageProperty(msg, this.value));
      } catch (error) {
        return Promise.reject(this.fail(error));
      }
    }
    return new Promise((resolve, reject) => {
      const callback = (error: Error | null, result: unknown): void => {
        if (error) reject(this.fail(error));
        else resolve(result);
      };
      try {
        if (this.type === 'jsonata') {
          if (!this.expression) throw new Error(this.problem);
          this.RED.util.evaluateJSONataExpression(this.expression, msg, callback);
        } else {
          this.RED.util.evaluateNodeProperty(this.value, this.type, this.node, msg, callback);
        }
      } catch (error) {
        reject(this.fail(error));
      }
    });
  }

  private fail(error: unknown): CotError {
    const reason = reasonOf(error);
    return new CotError(
      CotErrorCode.INPUT,
      `${this.field} could not be read from ${this.source}: ${reason}`,
      this.field,
      this.value,
    );
  }
}
