// The AWS emulator, checked with AWS's own JavaScript SDK: signed PutEvents calls succeed over
// HTTPS and HTTP, per-entry and whole-request errors come back as the SDK's typed errors, and bad
// signatures are refused. Prints the EventIds it got (one per line, prefixed "id ") for the
// caller to find in the emulator's JSON-lines file.
//
// usage: node put_events_wire.mjs HTTPS_URL HTTP_URL   (NODE_EXTRA_CA_CERTS: the emulator's cert)
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import assert from 'node:assert/strict';

const [httpsUrl, httpUrl] = process.argv.slice(2);
const good = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const client = (endpoint, credentials = good) =>
  new EventBridgeClient({ region: 'us-east-1', endpoint, credentials, maxAttempts: 1 });
const entry = (detail) => ({ Source: 'genesys.sentiment.forwarder', DetailType: 'ChatSentimentAnalysis', Detail: detail });
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const checks = [];
const check = (name, fn) => checks.push([name, fn]);

check('signed PutEvents over HTTPS returns an EventId per entry', async () => {
  const out = await client(httpsUrl).send(new PutEventsCommand({
    Entries: [
      { ...entry('{"conversationId":"c-1","note":"café"}'), Time: new Date(1790000000000),
        Resources: ['arn:aws:example:us-east-1:123456789012:conversation/c-1'], EventBusName: 'genesys-relay' },
      entry('{"n":2}'),
    ],
  }));
  assert.equal(out.FailedEntryCount, 0);
  assert.equal(out.Entries.length, 2);
  for (const e of out.Entries) { assert.match(e.EventId, uuid); console.log(`id ${e.EventId}`); }
  assert.match(out.$metadata.requestId, uuid);
});

check('signed PutEvents over plain HTTP works too', async () => {
  const out = await client(httpUrl).send(new PutEventsCommand({ Entries: [entry('{"n":3}')] }));
  assert.equal(out.FailedEntryCount, 0);
  console.log(`id ${out.Entries[0].EventId}`);
});

check('a malformed Detail fails only its entry', async () => {
  const out = await client(httpsUrl).send(new PutEventsCommand({ Entries: [entry('[1,2]'), entry('{"n":4}')] }));
  assert.equal(out.FailedEntryCount, 1);
  assert.equal(out.Entries[0].ErrorCode, 'MalformedDetail');
  assert.equal(out.Entries[0].ErrorMessage, 'Detail is malformed.');
  assert.match(out.Entries[1].EventId, uuid);
  console.log(`id ${out.Entries[1].EventId}`);
});

check('eleven entries are a ValidationException', async () => {
  const entries = Array.from({ length: 11 }, () => entry('{}'));
  await assert.rejects(client(httpsUrl).send(new PutEventsCommand({ Entries: entries })), (e) => {
    assert.equal(e.name, 'ValidationException');
    assert.match(e.message, /Member must have length less than or equal to 10/);
    assert.equal(e.$metadata.httpStatusCode, 400);
    return true;
  });
});

check('a wrong secret is an InvalidSignatureException', async () => {
  const bad = client(httpsUrl, { ...good, secretAccessKey: 'not-the-secret' });
  await assert.rejects(bad.send(new PutEventsCommand({ Entries: [entry('{}')] })), (e) => {
    assert.equal(e.name, 'InvalidSignatureException');
    assert.match(e.message, /The request signature we calculated does not match/);
    return true;
  });
});

check('an unknown access key is an UnrecognizedClientException', async () => {
  const stranger = client(httpsUrl, { ...good, accessKeyId: 'AKIDUNKNOWN' });
  await assert.rejects(stranger.send(new PutEventsCommand({ Entries: [entry('{}')] })), (e) => {
    assert.equal(e.name, 'UnrecognizedClientException');
    return true;
  });
});

let failed = 0;
for (const [name, fn] of checks) {
  try { await fn(); console.log(`ok   ${name}`); } catch (e) { failed++; console.log(`FAIL ${name}: ${e.stack || e}`); }
}
console.log(`node wire: ${checks.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
