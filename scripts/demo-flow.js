'use strict';
// The flow `npm start` deploys: simulated IoT sensors -> cot-build -> tak-send -> the embedded tak-server
// (or a real TAK server named by environment variables) -> tak-receive -> a live map and a debug node.

/**
 * Runs inside a function node: four trackers move around a park, each with its own speed, heading and a
 * draining battery. Written as a real function so it is linted; the flow carries its source.
 */
function simulateSensors(msg, context) {
  const center = { lat: 51.5033, lon: -0.1196 };
  const sensors = [
    { id: 'bike-1', callsign: 'Bike 1', radius: 0.004, period: 90, type: 'a-f-G-E-V-C', team: 'Cyan' },
    { id: 'van-2', callsign: 'Van 2', radius: 0.007, period: 160, type: 'a-f-G-E-V-C', team: 'Green' },
    { id: 'drone-3', callsign: 'Drone 3', radius: 0.002, period: 40, type: 'a-f-A-M-F-Q', team: 'Yellow' },
    { id: 'buoy-4', callsign: 'Buoy 4', radius: 0.001, period: 300, type: 'a-f-S-X', team: 'Blue' },
  ];
  const t = Date.now() / 1000;
  const started = context.get('started') || t;
  context.set('started', started);
  msg.payload = sensors.map((s, i) => {
    const angle = ((t / s.period) * 2 * Math.PI + i) % (2 * Math.PI);
    const metresPerDegree = 111000;
    return {
      uid: 'takpak-demo-' + s.id,
      callsign: s.callsign,
      type: s.type,
      team: s.team,
      lat: center.lat + s.radius * Math.sin(angle),
      lon: center.lon + (s.radius * Math.cos(angle)) / Math.cos((center.lat * Math.PI) / 180),
      course: (360 - (angle * 180) / Math.PI) % 360,
      speed: Math.round(((2 * Math.PI * s.radius * metresPerDegree) / s.period) * 10) / 10,
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
const EDITOR_DEFAULTS = {
  'cot-build': Object.assign(
    {
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
    mode: 'message',
    streamKey: 'node',
    maxEventKb: 1024,
    worldmap: false,
    layer: 'TAK',
    geojson: false,
    outputs: 1,
  },
  worldmap: {
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
    coords: 'false',
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
  debug: { console: false, tostatus: false, statusVal: '', statusType: 'auto' },
};

function withDefaults(node) {
  return Object.assign({}, EDITOR_DEFAULTS[node.type] || {}, node);
}

/** A tak-config for the demo, pointed at the embedded server or at TAKPAK_HOST. */
function config(id, name, callsign, env) {
  const tls = (env.TAKPAK_PROTOCOL || 'tcp') === 'tls';
  const extra = tls
    ? {
        tlsSource: 'tls-config',
        tls: 'demo-tls',
        verifyServer: true,
        serverName: env.TAKPAK_SERVER_NAME || '',
      }
    : {};
  return {
    ...extra,
    id,
    type: 'tak-config',
    name,
    host: env.TAKPAK_HOST || '127.0.0.1',
    port: Number(env.TAKPAK_PORT || env.TAKPAK_DEMO_SERVER_PORT || 8087),
    protocol: env.TAKPAK_PROTOCOL || 'tcp',
    callsign,
    uid: 'takpak-demo-' + id,
    team: 'Cyan',
    role: 'HQ',
    identityGap: 500,
  };
}

function demoFlow(env) {
  const external = Boolean(env.TAKPAK_HOST);
  const serverPort = Number(env.TAKPAK_DEMO_SERVER_PORT || 8087);
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
        'the map at /worldmap and the debug sidebar.\n\n' +
        (external
          ? 'This demo talks to the TAK server named by TAKPAK_HOST; the embedded tak-server also runs, unused.'
          : 'The TAK server is the embedded tak-server on 127.0.0.1:' +
            serverPort +
            '. Point ATAK at this machine, port ' +
            serverPort +
            ' (TCP), to see the trackers on a phone.'),
      x: 250,
      y: 40,
      wires: [],
    },
    {
      id: 'demo-tick',
      type: 'inject',
      z: 'demo-tab',
      name: 'every 2 s',
      props: [],
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
      host: '127.0.0.1',
      port: serverPort,
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
      x: 170,
      y: 260,
      wires: [['demo-debug', 'demo-to-xml']],
    },
    {
      id: 'demo-debug',
      type: 'debug',
      z: 'demo-tab',
      name: 'tracks',
      active: true,
      tosidebar: true,
      complete: 'payload',
      x: 420,
      y: 230,
      wires: [],
    },
    {
      id: 'demo-to-xml',
      type: 'change',
      z: 'demo-tab',
      name: 'payload = CoT XML',
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'cot', tot: 'msg' }],
      x: 420,
      y: 290,
      wires: [['demo-parse']],
    },
    {
      id: 'demo-parse',
      type: 'cot-parse',
      z: 'demo-tab',
      name: 'to map markers',
      mode: 'message',
      worldmap: true,
      layer: 'TAK',
      geojson: false,
      outputs: 2,
      x: 620,
      y: 290,
      wires: [[], ['demo-map']],
    },
    {
      id: 'demo-map',
      type: 'worldmap',
      z: 'demo-tab',
      name: 'live map',
      lat: '51.5033',
      lon: '-0.1196',
      zoom: '15',
      layer: 'OSMC',
      path: '/worldmap',
      x: 810,
      y: 290,
      wires: [],
    },
    config('demo-cfg-sensors', 'sensors', 'takpak sensors', env),
    config('demo-cfg-viewer', 'map viewer', 'takpak map', env),
  ];
  if ((env.TAKPAK_PROTOCOL || 'tcp') === 'tls') {
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

module.exports = { demoFlow, demoCredentials, simulateSensors };
