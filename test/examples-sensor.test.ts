import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmbeddedRed, type EmbeddedRed } from './helpers/embedded-red';
import { asImported } from './helpers/examples';
import { CATCH_GETS_CODE } from './helpers/catch-code';

// A file of its own, so this runtime gets a process of its own: Node-RED before 4.1 cannot start a second
// time in one process (its registry keeps the first start's modules), and the matrix runs those versions.
describe('examples/01-sensor-to-tak.json answers the sensor', () => {
  let red: EmbeddedRed;

  before(async () => {
    red = await startEmbeddedRed({ http: 'editor' });
    await red.deploy(await asImported('01-sensor-to-tak.json'));
  });
  after(async () => {
    await red.stop();
  });

  async function post(body: string, type = 'application/json'): Promise<{ status: number; text: string }> {
    const response = await fetch(`${red.url}/sensor`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    });
    return { status: response.status, text: await response.text() };
  }

  it('204 once a reading became a CoT event', async () => {
    const answer = await post(JSON.stringify({ id: 'pump-7', lat: 51.5, lon: -0.12, name: 'Pump 7' }));
    assert.equal(answer.status, 204);
  });

  it('400 with the reason and its code for a reading it cannot use, not 204 before it looked', async () => {
    const latitude = await post(JSON.stringify({ id: 'pump-7', lat: 95, lon: -0.12, name: 'Pump 7' }));
    assert.equal(latitude.status, 400);
    const body = JSON.parse(latitude.text) as { error?: string; code?: string };
    assert.match(String(body.error), /lat/);
    // The example's function node answers with msg.error.code, which Catch gets from Node-RED 4.1 on.
    if (CATCH_GETS_CODE) assert.match(String(body.code), /^ERR_/);
    else assert.equal(body.code, undefined);

    const text = await post('pump 7 is at the gate', 'text/plain');
    assert.equal(text.status, 400);
    assert.ok((JSON.parse(text.text) as { error?: string }).error, text.text);
  });
});
