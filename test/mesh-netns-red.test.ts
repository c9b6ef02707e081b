import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Device, makeMesh, netnsUnavailable, type DeviceReport, type NetnsMesh } from './helpers/netns';

/*
 * Two real Node-RED runtimes, each in its own network namespace, running the nodes of examples/07: a mesh
 * tak-config, cot-build -> tak-send, tak-receive. What one builds, the other's tak-receive hands on.
 */

const skip = netnsUnavailable();

describe('Node-RED on the mesh across two namespaces', { skip }, () => {
  let mesh: NetnsMesh | undefined;
  const runtimes: Device[] = [];

  after(async () => {
    await Promise.all(runtimes.map((r) => r.stop()));
    mesh?.cleanup();
  });

  it('cot-build -> tak-send in one reaches tak-receive in the other, both ways, and a direct message by callsign', async () => {
    mesh = makeMesh(2);
    const [na, nb] = mesh.devices as [NetnsMesh['devices'][0], NetnsMesh['devices'][0]];
    const alpha = new Device(na.ns, { iface: 'eth0', callsign: 'alpha' }, 'mesh-red-device.js');
    runtimes.push(alpha);
    await alpha.waitReport((r) => r.t === 'ready', 'alpha runtime', 30_000);
    const bravo = new Device(nb.ns, { iface: 'eth0', callsign: 'bravo' }, 'mesh-red-device.js');
    runtimes.push(bravo);
    await bravo.waitReport((r) => r.t === 'ready', 'bravo runtime', 30_000);
    // Bravo's first announcement and SA reached alpha (alpha was already listening): alpha's status counts
    // one device, and both speak TAK Protocol, so that is what alpha sends in now.
    await alpha.waitReport(
      (r) => r.t === 'status' && r.text === 'mesh on eth0 (10.77.0.1): 1 heard, TAK Protocol',
      'alpha hearing bravo',
      15_000,
    );

    const fromAlpha = (r: DeviceReport): boolean => r.t === 'event' && r.uid === 'from-alpha';
    alpha.command({
      cmd: 'build',
      payload: { id: 'from-alpha', lat: 51.5, lon: -0.1, callsign: 'A marker' },
    });
    // The marker's uid is derived from payload.id (uidMode stable): match on the callsign in the XML.
    const got = await bravo.waitReport(
      (r) => r.t === 'event' && /A marker/.test(String(r.cot)),
      'the marker at bravo',
      15_000,
    );
    assert.equal(got.type, 'a-f-G-U-C');
    assert.equal(bravo.reports.filter(fromAlpha).length, 0);

    bravo.command({
      cmd: 'build',
      payload: { id: 'from-bravo', lat: 51.6, lon: -0.2, callsign: 'B marker' },
    });
    await alpha.waitReport(
      (r) => r.t === 'event' && /B marker/.test(String(r.cot)),
      'the marker at alpha',
      15_000,
    );

    // Straight to bravo over TCP, named by the callsign alpha heard on the mesh.
    alpha.command({
      cmd: 'build',
      payload: { id: 'direct', lat: 1, lon: 1, callsign: 'just bravo' },
      to: 'bravo',
    });
    await bravo.waitReport(
      (r) => r.t === 'event' && /just bravo/.test(String(r.cot)),
      'the direct event',
      15_000,
    );
    alpha.command({ cmd: 'build', payload: { id: 'nobody', lat: 1, lon: 1, callsign: 'x' }, to: 'zulu' });
    const refused = await alpha.waitReport((r) => r.t === 'error', 'the refusal at a catch node', 15_000);
    assert.equal(refused.code, 'ERR_MESH_UNKNOWN_CONTACT');
    const problems = [...alpha.reports, ...bravo.reports].filter(
      (r) => r.t === 'log' && Number(r.level) <= 20,
    );
    assert.deepEqual(problems, []);
  });
});
