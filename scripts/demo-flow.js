'use strict';
// The flow `npm start` deploys: simulated IoT sensors -> cot-build -> tak-send -> the embedded tak-server
// (or a real TAK server named by environment variables) -> tak-receive -> a live map and a debug node.

/**
 * Runs inside a function node: four trackers move around a park, each at a speed that suits its kind, with
 * a draining battery. Values are rounded as a device would report them, so the map's leader lines and
 * labels read sensibly. Written as a real function so it is linted; the flow carries its source.
 */
function simulateSensors(msg, context) {
  const center = { lat: 51.5033, lon: -0.1196 };
  // Speeds in m/s as the kind moves (a walker 1.4, a bicycle 5, a van in town 9, a small drone 12), each
  // on a circle of `radius` metres.
  const sensors = [
    { id: 'walker-1', callsign: 'Walker 1', radius: 120, speed: 1.4, type: 'a-f-G-U-C', team: 'Cyan' },
    { id: 'bike-2', callsign: 'Bike 2', radius: 300, speed: 5, type: 'a-f-G-E-V-C', team: 'Green' },
    { id: 'van-3', callsign: 'Van 3', radius: 600, speed: 9, type: 'a-f-G-E-V-C', team: 'Yellow' },
    { id: 'drone-4', callsign: 'Drone 4', radius: 200, speed: 12, type: 'a-f-A-M-F-Q', team: 'Blue' },
  ];
  const metresPerDegree = 111320;
  const t = Date.now() / 1000;
  const started = context.get('started') || t;
  context.set('started', started);
  const round = (value, decimals) => Math.round(value * 10 ** decimals) / 10 ** decimals;
  msg.payload = sensors.map((s, i) => {
    const period = (2 * Math.PI * s.radius) / s.speed;
    const angle = ((t / period) * 2 * Math.PI + i) % (2 * Math.PI);
    const degrees = s.radius / metresPerDegree;
    return {
      uid: 'takpak-demo-' + s.id,
      callsign: s.callsign,
      type: s.type,
      team: s.team,
      // Six decimals is 0.1 m: finer than any GPS.
      lat: round(center.lat + degrees * Math.sin(angle), 6),
      lon: round(center.lon + (degrees * Math.cos(angle)) / Math.cos((center.lat * Math.PI) / 180), 6),
      // Counter-clockwise on the circle: the heading is the angle's complement, in whole degrees.
      course: Math.round(360 - (angle * 180) / Math.PI) % 360,
      speed: s.speed,
      battery: Math.max(5, Math.round(100 - (t - started) / 30 - i * 7)),
      stale: 30,
    };
  });
  return msg;
}

/**
 * What the editor fills in for nodes added from the palette. The flow carries them so that, opened in the
 * editor, no node shows as unconfigured.
 */
const COT_BUILD_FIELDS = [
  'uid',
  'cotType',
  'how',
  'callsign',
  'lat',
  'lon',
  'hae',
  'ce',
  'le',
  'course',
  'speed',
  'team',
  'role',
  'battery',
  'remarks',
  'icon',
  'stale',
];
/** Our tak-config dialog's defaults: a dialog opened and closed with Done changes nothing. */
const TAK_CONFIG_DEFAULTS = {
  name: '',
  host: '127.0.0.1',
  port: 8087,
  protocol: 'tcp',
  takProtocol: 'negotiate',
  callsign: 'takpak',
  uid: '',
  team: 'Cyan',
  role: 'Team Member',
  lat: '',
  lon: '',
  presenceInterval: 60,
  identityGap: 500,
  pingAfterIdle: 15,
  pingInterval: 4.5,
  pingAfterSendIdle: 15,
  deadAfterIdle: 25,
  connectTimeout: 20,
  negotiationTimeout: 60,
  reconnectMax: 60,
  queueSize: 1000,
  maxEventKb: 1024,
  maxSendKb: '',
  rateLimit: 0,
  rateBurst: 10,
  minIntervalPerUid: 0,
  coalesce: true,
  neverCoalesce: '',
  authUser: '',
  tlsSource: 'node',
  tls: '',
  verifyServer: true,
  serverName: '',
  tlsRecordBytes: 4096,
  meshInterface: '',
  saEnabled: true,
  saGroup: '239.2.3.1',
  saPort: 6969,
  chatEnabled: true,
  chatGroup: '224.10.10.1',
  chatPort: 17012,
  ttl: 1,
  loopback: false,
  sendFormat: 'auto',
  directPort: 4242,
  rebuildAfter: 30,
  enrollUser: '',
  enrollPort: 8446,
  renewPercent: 67,
  enrollFingerprint: '',
};
const EDITOR_DEFAULTS = {
  'tak-config': TAK_CONFIG_DEFAULTS,
  'tak-send': { name: '', outputs: 0 },
  'tak-package': {
    name: '',
    mode: 'auto',
    apiProtocol: 'https',
    apiPort: 8443,
    maxMb: 50,
    announce: true,
    timeout: 60,
  },
  'tak-receive': {
    name: '',
    types: '',
    uid: '',
    how: '',
    includeControl: false,
    emitErrors: false,
    worldmap: false,
    layer: 'TAK',
    geojson: false,
    outputs: 1,
  },
  'tak-server': {
    name: '',
    host: '0.0.0.0',
    port: 8087,
    maxClients: 100,
    maxEventKb: 1024,
    idleTimeout: 600,
    queueKb: 4096,
    maxDepth: 32,
    maxPerAddress: 20,
    firstEventTimeout: 10,
    eventTimeout: 30,
    inputRateKb: 1024,
    inputBurstKb: 2048,
    handshakeTimeout: 20,
    replay: true,
    offerProtobuf: true,
    protocol: 'tcp',
    tlsSource: 'node',
    tls: '',
    requireClientCert: true,
  },
  'cot-build': Object.assign(
    {
      name: '',
      uidMode: 'auto',
      uidKey: 'payload.id',
      uidKeyType: 'msg',
      uidPrefix: '',
      extras: 'remarks',
      output: 'xml',
    },
    ...COT_BUILD_FIELDS.map((field) => ({ [field]: '', [field + 'Type']: 'payload' })),
  ),
  'cot-parse': {
    name: '',
    mode: 'message',
    streamKey: 'node',
    maxEventKb: 1024,
    worldmap: false,
    layer: 'TAK',
    geojson: false,
    outputs: 1,
  },
  inject: {
    name: '',
    props: [],
    repeat: '',
    crontab: '',
    once: false,
    onceDelay: 0.1,
    topic: '',
    payload: '',
    payloadType: 'date',
  },
  function: { name: '', outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [] },
  change: { name: '', rules: [], action: '', property: '', from: '', to: '', reg: false },
  comment: { name: '', info: '' },
  worldmap: {
    name: '',
    lat: '',
    lon: '',
    zoom: '',
    layer: 'OSMC',
    cluster: '',
    maxage: '',
    usermenu: 'show',
    layers: 'show',
    panit: 'false',
    panlock: 'false',
    zoomlock: 'false',
    hiderightclick: 'false',
    // The dialog's own value for "no coordinates": its declared default ('false') becomes 'none' on Done.
    coords: 'none',
    showgrid: 'false',
    showruler: 'false',
    allowFileDrop: 'false',
    path: '/worldmap',
    overlist: 'DR,CO,RA,DN',
    maplist: 'OSMG,OSMC,EsriC,EsriS,UKOS',
    mapname: '',
    mapurl: '',
    mapopt: '',
    mapwms: false,
  },
  debug: {
    name: '',
    active: true,
    tosidebar: true,
    console: false,
    tostatus: false,
    complete: 'payload',
    targetType: 'msg',
    statusVal: '',
    statusType: 'auto',
  },
};

function withDefaults(node) {
  return Object.assign({}, EDITOR_DEFAULTS[node.type] || {}, node);
}

/** Where the demo's trackers move, and where its own connections say they are. */
const DEMO_CENTER = { lat: 51.5033, lon: -0.1196 };
/** The embedded server's port when TAKPAK_DEMO_SERVER_PORT is not set: FreeTAKServer's plain TCP port. */
const DEMO_SERVER_PORT = 8087;
/**
 * The embedded server answers only this machine unless TAKPAK_LISTEN says otherwise: it asks no password,
 * so opening it to a network is the user's choice.
 */
const DEMO_LISTEN = '127.0.0.1';

/** What the demo reads from the environment, with its defaults. */
function demoSettings(env) {
  const listen = env.TAKPAK_LISTEN || DEMO_LISTEN;
  const serverPort = Number(env.TAKPAK_DEMO_SERVER_PORT || DEMO_SERVER_PORT);
  const wildcard = listen === '0.0.0.0' || listen === '::';
  return {
    external: Boolean(env.TAKPAK_HOST),
    protocol: env.TAKPAK_PROTOCOL || 'tcp',
    listen,
    serverPort,
    // The demo's own connections reach the embedded server on its address (loopback when it listens on all).
    serverHost: wildcard ? '127.0.0.1' : listen,
    openToNetwork: listen !== '127.0.0.1' && listen !== '::1' && listen !== 'localhost',
  };
}

/**
 * A tak-config for the demo, pointed at the embedded server or at TAKPAK_HOST. Each sits beside the
 * trackers, so the gateway's own presence shows there on a map instead of at 0,0.
 */
function config(id, name, callsign, position, env) {
  const demo = demoSettings(env);
  const tls = demo.protocol === 'tls';
  const extra = tls
    ? {
        tlsSource: 'tls-config',
        tls: 'demo-tls',
        verifyServer: true,
        serverName: env.TAKPAK_SERVER_NAME || '',
      }
    : {};
  return {
    ...TAK_CONFIG_DEFAULTS,
    ...extra,
    id,
    type: 'tak-config',
    name,
    host: env.TAKPAK_HOST || demo.serverHost,
    port: Number(env.TAKPAK_PORT || demo.serverPort),
    protocol: demo.protocol,
    callsign,
    uid: 'takpak-demo-' + id,
    team: 'Cyan',
    role: 'HQ',
    lat: String(position.lat),
    lon: String(position.lon),
  };
}

/** What the comment on the demo's tab says about the TAK server, matching what listens where. */
function aboutServer(demo) {
  if (demo.external) {
    return 'This demo talks to the TAK server named by TAKPAK_HOST; the embedded tak-server also runs, unused.';
  }
  const where = 'The TAK server is the embedded tak-server on ' + demo.listen + ':' + demo.serverPort + '. ';
  if (demo.openToNetwork) {
    return (
      where +
      "Point ATAK at this machine's address, port " +
      demo.serverPort +
      ' (TCP), to see the trackers on a phone. It asks no password: anyone who can reach the port can join.'
    );
  }
  return (
    where +
    'It answers this machine only. To see the trackers on a phone, start the demo with ' +
    "TAKPAK_LISTEN=0.0.0.0 npm start and point ATAK at this machine's address, port " +
    demo.serverPort +
    ' (TCP). The server asks no password, so do that only on a network you trust.'
  );
}

function demoFlow(env) {
  const demo = demoSettings(env);
  const nodes = [
    { id: 'demo-tab', type: 'tab', label: 'takpak demo' },
    {
      id: 'demo-about',
      type: 'comment',
      z: 'demo-tab',
      name: 'takpak demo: simulated sensors -> TAK -> live map',
      info:
        'Four simulated IoT trackers report every 2 s. cot-build turns each into a CoT event, tak-send sends it through ' +
        'the "sensors" connection, the TAK server routes it to the "map viewer" connection, and tak-receive feeds ' +
        'the map at /worldmap. The debug node "tracks" is off: click its button to see every event in the ' +
        'debug sidebar.\n\n' +
        aboutServer(demo),
      x: 250,
      y: 40,
      wires: [],
    },
    {
      id: 'demo-tick',
      type: 'inject',
      z: 'demo-tab',
      name: 'every 2 s',
      // The editor keeps payload and payloadType only when payload is among the properties it sets.
      props: [{ p: 'payload' }],
      repeat: '2',
      once: true,
      onceDelay: '1',
      x: 130,
      y: 100,
      wires: [['demo-sensors']],
    },
    {
      id: 'demo-sensors',
      type: 'function',
      z: 'demo-tab',
      name: 'simulated sensors',
      func: 'return (' + simulateSensors.toString() + ')(msg, context);',
      outputs: 1,
      x: 320,
      y: 100,
      wires: [['demo-build']],
    },
    { id: 'demo-build', type: 'cot-build', z: 'demo-tab', name: '', x: 510, y: 100, wires: [['demo-send']] },
    {
      id: 'demo-send',
      type: 'tak-send',
      z: 'demo-tab',
      name: '',
      server: 'demo-cfg-sensors',
      x: 680,
      y: 100,
      wires: [],
    },
    {
      id: 'demo-server',
      type: 'tak-server',
      z: 'demo-tab',
      name: 'embedded TAK server',
      host: demo.listen,
      port: demo.serverPort,
      x: 160,
      y: 180,
      wires: [[]],
    },
    {
      id: 'demo-receive',
      type: 'tak-receive',
      z: 'demo-tab',
      name: 'what the map viewer sees',
      server: 'demo-cfg-viewer',
      // Its own map output (a worldmap marker per event) feeds the map: no conversion node in between.
      worldmap: true,
      layer: 'TAK',
      geojson: false,
      outputs: 2,
      x: 170,
      y: 260,
      wires: [['demo-debug'], ['demo-map']],
    },
    {
      id: 'demo-debug',
      type: 'debug',
      z: 'demo-tab',
      name: 'tracks',
      // Off until the user turns it on: at 2 events/s per tracker it would bury the user's own messages.
      active: false,
      tosidebar: true,
      complete: 'payload',
      x: 420,
      y: 230,
      wires: [],
    },
    {
      id: 'demo-map',
      type: 'worldmap',
      z: 'demo-tab',
      name: 'live map',
      lat: String(DEMO_CENTER.lat),
      lon: String(DEMO_CENTER.lon),
      zoom: '15',
      layer: 'OSMC',
      path: '/worldmap',
      x: 440,
      y: 300,
      wires: [],
    },
    config('demo-cfg-sensors', 'sensors', 'takpak sensors', DEMO_CENTER, env),
    config(
      'demo-cfg-viewer',
      'map viewer',
      'takpak map',
      { lat: DEMO_CENTER.lat - 0.001, lon: DEMO_CENTER.lon },
      env,
    ),
  ];
  if (demo.protocol === 'tls') {
    // The core tls-config node reads the certificate files named by the environment (a .p12 works too).
    nodes.push({
      id: 'demo-tls',
      type: 'tls-config',
      name: 'demo certificates',
      cert: env.TAKPAK_CERT || '',
      key: env.TAKPAK_KEY || '',
      ca: env.TAKPAK_CA || '',
      certname: '',
      keyname: '',
      caname: '',
      servername: env.TAKPAK_SERVER_NAME || '',
      verifyservercert: true,
      alpnprotocol: '',
    });
  }
  return nodes.map(withDefaults);
}

/** Credentials of the demo flow: the certificate password, when one is given. */
function demoCredentials(env) {
  return env.TAKPAK_CERT_PASSWORD ? { 'demo-tls': { passphrase: env.TAKPAK_CERT_PASSWORD } } : {};
}

/** The Node-RED settings of `npm start`. */
function nodeRedSettings(host, port) {
  return {
    uiHost: host,
    uiPort: Number(port),
    flowFile: 'flows.json',
    credentialSecret: false,
    telemetry: { enabled: false },
    // No welcome tour: it covers the editor on every start, and every start is a fresh user directory.
    editorTheme: { tours: false },
  };
}

module.exports = {
  EDITOR_DEFAULTS,
  demoFlow,
  demoCredentials,
  demoSettings,
  nodeRedSettings,
  simulateSensors,
};
