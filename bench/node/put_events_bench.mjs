// The Node side of the EventBridge comparison: AWS's own SDK (@aws-sdk/client-eventbridge, the
// version pinned in tests/node-wire) putting the same sentiment-shaped events into the same AWS
// emulator, 10 entries per PutEvents, C calls in flight over the SDK's keep-alive agent.
//
// usage: node bench/node/put_events_bench.mjs --sdk-dir build/release/node-wire \
//          --endpoint https://127.0.0.1:PORT [--events N] [--concurrency C] [--json]
//        (NODE_EXTRA_CA_CERTS=<aws-sim --cert-out file> for HTTPS)
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import path from 'node:path';

const opts = { events: 200000, concurrency: 8, endpoint: '', sdkDir: '', json: false };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--events') opts.events = parseInt(argv[++i], 10);
  else if (a === '--concurrency') opts.concurrency = parseInt(argv[++i], 10);
  else if (a === '--endpoint') opts.endpoint = argv[++i];
  else if (a === '--sdk-dir') opts.sdkDir = argv[++i];
  else if (a === '--json') opts.json = true;
  else throw new Error(`unknown argument ${a}`);
}
if (!opts.endpoint || !opts.sdkDir) throw new Error('--endpoint and --sdk-dir are required');
const require = createRequire(path.resolve(opts.sdkDir) + '/');
const { EventBridgeClient, PutEventsCommand } = require('@aws-sdk/client-eventbridge');

// Same Detail shape and sizes as bench/workload.cpp sentiment_detail().
const hex = (v, n) => (BigInt.asUintN(64, v) & ((1n << BigInt(4 * n)) - 1n)).toString(16).padStart(n, '0');
const uuid = (v) => `${hex(v >> 32n, 8)}-${hex(v >> 16n, 4)}-4${hex(v, 3)}-a${hex(v >> 8n, 3)}-${hex(v * 2654435761n, 12)}`;
const details = Array.from({ length: 1000 }, (_, i) => {
  const negative = (i % 10000) / 10000;
  return JSON.stringify({
    conversationId: uuid(BigInt(i) * 0x9E3779B97F4A7C15n),
    sentimentMatrix: { polarity: negative > 0.5 ? 'negative' : 'positive', confidence: 0.8734,
      positive: Number((1 - negative).toFixed(4)), neutral: 0.0445, negative: Number(negative.toFixed(4)) },
    escalationThreshold: 0.85, forwardingId: uuid(BigInt(i) ^ 0xC2B2AE3D27D4EB4Fn), timestamp: '2026-11-22T10:00:00.000Z',
  });
});

const client = new EventBridgeClient({
  region: 'us-east-1', endpoint: opts.endpoint,
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
});
const batches = Math.ceil(opts.events / 10);
let next = 0, failures = 0;
const latencies = [];
async function worker() {
  while (next < batches) {
    const b = next++;
    const n = Math.min(10, opts.events - b * 10);
    const Entries = Array.from({ length: n }, (_, k) => ({
      Source: 'genesys.sentiment.forwarder', DetailType: 'ChatSentimentAnalysis', Detail: details[(b * 10 + k) % 1000] }));
    const t0 = performance.now();
    try {
      const out = await client.send(new PutEventsCommand({ Entries }));
      failures += out.FailedEntryCount;
    } catch (e) { failures += n; }
    latencies.push(performance.now() - t0);
  }
}
const start = performance.now();
await Promise.all(Array.from({ length: opts.concurrency }, worker));
const secs = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * (latencies.length - 1)))];
const result = { events: opts.events, seconds: Number(secs.toFixed(3)), events_per_s: Math.round(opts.events / secs),
  requests: batches, p50_ms_per_request: Number(pct(0.5).toFixed(3)), p99_ms_per_request: Number(pct(0.99).toFixed(3)),
  failures, peak_rss_mb: Number((process.resourceUsage().maxRSS / 1024).toFixed(1)) };
if (opts.json) console.log(JSON.stringify(result));
else console.log(`node SDK put: ${result.events} events in ${result.seconds} s = ${result.events_per_s} events/s ` +
  `(${batches} PutEvents, ${opts.concurrency} in flight); per request p50 ${result.p50_ms_per_request} ms, ` +
  `p99 ${result.p99_ms_per_request} ms; failures ${failures}; peak RSS ${result.peak_rss_mb} MB`);
process.exit(failures ? 1 : 0);
