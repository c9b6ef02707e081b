import { DEFAULT_NEGOTIATION_TIMEOUT_MS } from '../client/defaults';
import { describeCertificate } from '../tls/certificate';
import { checkCertificateFile, errorBody, importDataPackage } from '../tls/editor';
import { enrollErrorBody, enrollFromDialog, type StoredEnrollmentSecrets } from '../web/editor';
import {
  connectionSettings,
  webSideOf,
  type ConnectionSettings,
  type TakConfigCredentials,
  type TakConfigDef,
  type TakConfigNode,
} from './config-options';
import { createHash } from 'node:crypto';
import {
  HANDOVER_BUFFER_EVENTS,
  HANDOVER_MAX_AGE_MS,
  SharedConnection,
  type StateChange,
  type WireState,
} from './connection';
import { adopt, isDeploying, park, watchRuntime } from './handover';
import { meshStatus } from './mesh-status';
import { listMeshInterfaces } from '../client/mesh-interface';
import type { AdminResponse, NodeAPI, NodeStatus, TlsConfigNode } from './red';
import { checkRuntime } from './runtime-check';
import { renewFractionOf, startRenewal } from './enrollment';
import type { TlsIdentity } from '../tls/identity';
import type { TrustStore } from '../tls/truststore';
import { DEFAULT_ENROLL_PORT, DEFAULT_RENEW_FRACTION, type EnrollResult } from '../web/enroll';

type IdentitySwap = (identity: TlsIdentity, trust: TrustStore | undefined) => void;

/** How to give a connection a renewed certificate, also when a redeployed node adopted it. */
const swaps = new WeakMap<SharedConnection, IdentitySwap>();

/** Status text is kept short enough to read under a node on the canvas. */
const MAX_STATUS_REASON_CHARS = 48;

/** Who may use the dialog's certificate endpoints: those who may edit the flows. */
const ADMIN_PERMISSION = 'tak-config.write';

function shorten(text: string): string {
  return text.length > MAX_STATUS_REASON_CHARS ? `${text.slice(0, MAX_STATUS_REASON_CHARS - 1)}…` : text;
}

/** The dialog asks to enroll where the deployed node's stored password belongs (host, port, username). */
function sameTarget(target: { host: string; port: number; username: string }, body: unknown): boolean {
  const fields = (body ?? {}) as { host?: unknown; port?: unknown; username?: unknown; link?: unknown };
  if (typeof fields.link === 'string' && fields.link.trim() !== '') return false;
  return (
    String(fields.host ?? '').trim() === target.host &&
    (String(fields.port ?? '').trim() === '' ? DEFAULT_ENROLL_PORT : Number(fields.port)) === target.port &&
    String(fields.username ?? '').trim() === target.username
  );
}

function answer(res: AdminResponse, work: () => unknown): void {
  try {
    res.json(work());
  } catch (error) {
    res.status(400).json(errorBody(error));
  }
}

export = function register(RED: NodeAPI): void {
  checkRuntime(RED);
  // The dialogs send a file (base64) and get back what it holds or why it cannot be used; a data package
  // comes back as host, port, protocol and the two .p12 files for the node's credentials.
  if (RED.httpAdmin && RED.auth) {
    RED.httpAdmin.post('/takpak/tls/check', RED.auth.needsPermission(ADMIN_PERMISSION), (req, res) =>
      answer(res, () => checkCertificateFile(req.body)),
    );
    // The mesh dialog offers the host's interfaces: names and IPv4 addresses only.
    RED.httpAdmin.get('/takpak/mesh/interfaces', RED.auth.needsPermission('tak-config.read'), (_req, res) =>
      answer(res, () => listMeshInterfaces()),
    );
    RED.httpAdmin.post('/takpak/tls/data-package', RED.auth.needsPermission(ADMIN_PERMISSION), (req, res) =>
      answer(res, () => importDataPackage(req.body)),
    );
    // Enrollment happens here, on the runtime, so the key is made where it is used; the dialog gets the PEM
    // files back for the node's credentials. A password the dialog only knows as "stored" is looked up.
    RED.httpAdmin.post('/takpak/web/enroll', RED.auth.needsPermission(ADMIN_PERMISSION), (req, res) => {
      const id =
        typeof req.body === 'object' && req.body !== null ? (req.body as { id?: unknown }).id : undefined;
      const stored = { ...((typeof id === 'string' ? RED.nodes.getCredentials?.(id) : undefined) ?? {}) };
      // The stored password goes only where it was kept for: never to a host someone types into a dialog.
      const target =
        typeof id === 'string' ? (RED.nodes.getNode(id) as TakConfigNode | null)?.enrollTarget : undefined;
      if (!target || !sameTarget(target, req.body)) delete stored.enrollPassword;
      let fraction: number;
      try {
        // Renewal off (0) still shows when renewal would be due, so the dialog can say so.
        fraction = renewFractionOf((req.body ?? {}) as TakConfigDef) || DEFAULT_RENEW_FRACTION;
      } catch (error) {
        res.status(400).json(enrollErrorBody(error));
        return;
      }
      enrollFromDialog(req.body, stored as StoredEnrollmentSecrets, fraction).then(
        (result) => res.json(result),
        (error: unknown) => res.status(400).json(enrollErrorBody(error)),
      );
    });
  }

  /**
   * The wire format for the status, when there is something to say: protobuf, a negotiation under way,
   * or a server that announced its version. XML with a server that offered nothing shows no suffix.
   */
  function wireText(wire: WireState | undefined): string | undefined {
    if (wire === undefined) return undefined;
    const negotiating = wire.protocol === 'xml' && wire.reason === 'offered';
    if (wire.protocol === 'xml' && !negotiating && wire.serverVersion === undefined) return undefined;
    const format = RED._(`tak-config.status.wire.${negotiating ? 'negotiating' : wire.protocol}`);
    if (wire.serverVersion === undefined) return format;
    return RED._('tak-config.status.wire.withVersion', { format, version: shorten(wire.serverVersion) });
  }

  function formatStatus(endpoint: string, verified: boolean): (change: StateChange) => NodeStatus {
    // The last failure stays on the status while it retries, until a connection has lasted.
    let reason: string | undefined;
    return (change) => {
      const seconds = change.delayMs === undefined ? 0 : Math.ceil(change.delayMs / 1000);
      switch (change.state) {
        case 'connecting':
          return reason === undefined
            ? { fill: 'yellow', shape: 'ring', text: RED._('tak-config.status.connecting', { endpoint }) }
            : { fill: 'red', shape: 'ring', text: RED._('tak-config.status.retrying', { reason, endpoint }) };
        case 'connected':
          reason = undefined;
          if (change.throttled !== undefined) {
            return {
              fill: 'yellow',
              shape: 'dot',
              text: RED._('tak-config.status.throttling', { endpoint, waiting: change.throttled }),
            };
          }
          {
            const wire = wireText(change.wire);
            const key = `tak-config.status.connected${verified ? '' : 'Unverified'}${wire === undefined ? '' : 'Wire'}`;
            return {
              fill: verified ? 'green' : 'yellow',
              shape: 'dot',
              text: RED._(key, { endpoint, wire: wire ?? '' }),
            };
          }
        case 'reconnecting':
          if (change.error) {
            reason = shorten(change.error.message);
            return {
              fill: 'red',
              shape: 'ring',
              text: RED._('tak-config.status.error', { reason, seconds }),
            };
          }
          return {
            fill: 'yellow',
            shape: 'ring',
            text: RED._('tak-config.status.reconnecting', { seconds }),
          };
        case 'stopped':
          reason = undefined;
          return { fill: 'grey', shape: 'ring', text: RED._('tak-config.status.stopped') };
        default:
          return { fill: 'grey', shape: 'ring', text: RED._('tak-config.status.idle') };
      }
    };
  }

  watchRuntime(RED.events);

  /**
   * Everything the connection is made from: a redeployed node with the same takes over the old node's
   * connection. Hashed, so no second copy of the credentials is kept.
   */
  function settingsKey(
    def: TakConfigDef,
    credentials: TakConfigCredentials,
    tlsNode: TlsConfigNode | null | undefined,
  ): string {
    const { _users: _ignoredUsers, ...settings } = def as TakConfigDef & { _users?: unknown };
    const tls = tlsNode ? tlsNode.addTLSOptions({}) : null;
    return createHash('sha256')
      .update(JSON.stringify([settings, credentials, tls]))
      .digest('hex');
  }

  function TakConfig(this: TakConfigNode, def: TakConfigDef): void {
    RED.nodes.createNode(this, def);
    this.endpoint = `${def.host ?? ''}:${def.port ?? ''}`;
    const credentials = (this.credentials ?? {}) as TakConfigCredentials;
    const tlsNode = def.tls ? (RED.nodes.getNode(def.tls) as TlsConfigNode | null) : undefined;
    let settings: ConnectionSettings;
    try {
      settings = connectionSettings(def, credentials, tlsNode);
    } catch (error) {
      // The nodes that use this config show the reason; the flow still deploys.
      this.configError = error instanceof Error ? error.message : String(error);
      this.error(this.configError);
      return;
    }
    const { options, tls, mesh } = settings;
    this.endpoint = mesh
      ? mesh.mode === 'udp'
        ? `udp ${options.host}:${options.port}`
        : `mesh ${mesh.interface || 'default interface'}`
      : `${options.host}:${options.port}`;
    const endpoint = this.endpoint;
    if (tls) {
      this.log(
        RED._('tak-config.log.tls', {
          endpoint,
          certificate: tls.certificate ? describeCertificate(tls.certificate) : RED._('tak-config.log.none'),
          trust: tls.trust ? tls.trust.map((ca) => ca.subject).join('; ') : RED._('tak-config.log.publicCas'),
        }),
      );
      for (const warning of tls.warnings) this.warn(warning);
    }
    this.webSide = () => webSideOf(settings);
    this.enrollTarget = {
      host: options.host,
      port: Number(def.enrollPort) || DEFAULT_ENROLL_PORT,
      username: (def.enrollUser ?? '').trim(),
    };
    const verified = tls === undefined || tls.verifyServer;
    const key = settingsKey(def, credentials, tlsNode);
    const { connection: kept, closed } = adopt(this.id, key);
    if (kept) {
      this.connection = kept;
      renewEnrolled.call(this, def, credentials, settings, swaps.get(kept));
      this.on('close', (removed: boolean, done: () => void) => letGo.call(this, removed, key, kept, done));
      return;
    }
    let loggedCode: string | undefined;
    const connection = new SharedConnection(
      mesh ? { mesh } : options,
      mesh ? meshStatus(RED, mesh.mode) : formatStatus(endpoint, verified),
      {
        established: () => {
          loggedCode = undefined;
        },
        connected: () => {
          // Said on every connect, not once: an unauthenticated server must not become something people forget.
          if (!verified) this.warn(RED._('tak-config.warnings.unverified', { endpoint }));
        },
        wire: (wire) => {
          // The outcome of a negotiation goes into the log: the status shows only what holds now.
          const version = wire.serverVersion ?? RED._('tak-config.log.unknownVersion');
          if (wire.reason === 'accepted') this.log(RED._('tak-config.log.protobuf', { endpoint, version }));
          else if (wire.reason === 'timeout') {
            this.warn(
              RED._('tak-config.warnings.negotiationTimeout', {
                endpoint,
                seconds: Math.round((options.negotiationTimeoutMs ?? DEFAULT_NEGOTIATION_TIMEOUT_MS) / 1000),
              }),
            );
          }
        },
        failed: (failure) => {
          // Into the log once per kind of failure, not on every retry; the status shows it all along.
          if (failure.code === loggedCode) return;
          loggedCode = failure.code;
          this.warn(`${failure.code}: ${failure.message}`);
        },
        lost: (count, why) =>
          this.warn(
            RED._(`tak-config.warnings.handover.${why}${count === 1 ? 'One' : ''}`, {
              count,
              endpoint,
              limit: HANDOVER_BUFFER_EVENTS,
              seconds: HANDOVER_MAX_AGE_MS / 1000,
            }),
          ),
      },
      closed,
    );
    this.connection = connection;
    if (settings.replaceIdentity) swaps.set(connection, settings.replaceIdentity);
    renewEnrolled.call(this, def, credentials, settings, settings.replaceIdentity);
    this.on('close', (removed: boolean, done: () => void) =>
      letGo.call(this, removed, key, connection, done),
    );
  }

  /**
   * An enrolled certificate is enrolled again before it expires; the next connections use the new one, and it
   * replaces the stored one (saved with the next deploy; until then a restart starts from the old one, which
   * is still valid and renewed again at once).
   */
  function renewEnrolled(
    this: TakConfigNode,
    def: TakConfigDef,
    credentials: TakConfigCredentials,
    settings: ConnectionSettings,
    swap: IdentitySwap | undefined,
  ): void {
    let renewal;
    try {
      renewal = startRenewal({
        def,
        credentials,
        settings,
        uid: settings.options.presence?.uid ?? '',
        renewed: (result: EnrollResult) => {
          swap?.(result.identity, result.trust);
          if (settings.clientTls) {
            settings.clientTls = {
              ...settings.clientTls,
              identity: result.identity,
              ...(result.trust ? { trust: result.trust } : {}),
            };
          }
          const renewedCredentials: TakConfigCredentials = {
            ...credentials,
            clientCert: result.identity.cert,
            clientKey: result.identity.key,
            clientPassword: '',
          };
          if (result.trust) {
            renewedCredentials.trustStore = result.trust.ca.join('');
            renewedCredentials.trustPassword = '';
          }
          const stored = (error: unknown): void =>
            this.warn(`the renewed certificate is in use but could not be stored: ${String(error)}`);
          try {
            Promise.resolve(RED.nodes.addCredentials?.(this.id, { ...renewedCredentials })).catch(stored);
          } catch (error) {
            stored(error);
          }
          this.renewalDueAt = result.renewAt;
          this.log(
            RED._('tak-config.log.renewed', {
              certificate: describeCertificate(result.identity.certificate),
              renewAt: result.renewAt,
            }),
          );
        },
        failed: (error: unknown, retryAt: string) => {
          const code = (error as { code?: unknown }).code;
          const message = error instanceof Error ? error.message : String(error);
          this.warn(
            RED._('tak-config.warnings.renewFailed', {
              reason: `${String(code ?? 'ERR_ENROLL')}: ${message}`,
              retryAt,
            }),
          );
        },
      });
    } catch (error) {
      this.warn(error instanceof Error ? error.message : String(error));
      return;
    }
    if (!renewal) return;
    const running = renewal;
    this.renewalDueAt = running.dueAt;
    this.log(RED._('tak-config.log.renewal', { renewAt: running.dueAt }));
    this.on('close', () => running.stop());
  }

  /**
   * A deploy that does not remove the node: the connection waits for the node that replaces this one.
   * Removed, or Node-RED stopping: it closes, and the node is done once what was queued is written.
   */
  function letGo(
    this: TakConfigNode,
    removed: boolean,
    key: string,
    connection: SharedConnection,
    done: () => void,
  ): void {
    if (!removed && isDeploying()) {
      park(this.id, key, connection, (message) => this.error(message));
      done();
      return;
    }
    connection.stop().then(done, (error: unknown) => {
      this.error(`closing the connection to ${this.endpoint} failed: ${String(error)}`);
      done();
    });
  }

  RED.nodes.registerType('tak-config', TakConfig, {
    credentials: {
      password: { type: 'password' },
      clientCert: { type: 'password' },
      clientKey: { type: 'password' },
      clientPassword: { type: 'password' },
      trustStore: { type: 'password' },
      trustPassword: { type: 'password' },
      enrollPassword: { type: 'password' },
    },
  });
};
