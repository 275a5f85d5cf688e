'use strict';
/*
 * Publishing llm-metering's delta events from Node with kafkajs (see README.md beside this file).
 *
 * Each event is keyed by its stream id, and kafkajs' DefaultPartitioner (the default since kafkajs 2.0, named here
 * so no upgrade can change it) hashes keys with Java's murmur2, so a stream's events land in the partition the
 * Java topology expects. The producer is idempotent; `ts` is the app's clock, epoch ms.
 *
 *   BOOTSTRAP_SERVERS=localhost:9092 node produce.js     # publishes STREAMS (default 3) finished example streams
 */
const { Kafka, Partitioners, logLevel } = require('kafkajs');

const TOPIC = process.env.METERING_TOPIC || 'metering.deltas';

/** One delta event as the wire contract's JSON: type, stream_id, ts, then the fields given (null ones left out). */
function deltaEvent(type, streamId, ts, fields = {}) {
  const event = { type, stream_id: streamId, ts };
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null) event[name] = value;
  }
  return JSON.stringify(event);
}

/** A Kafka message for the event: the key is the stream id, always. */
function message(type, streamId, ts, fields) {
  return { key: streamId, value: deltaEvent(type, streamId, ts, fields) };
}

/** An example stream: begin, `tokens` output deltas 50 ms apart from 200 ms on (running counts), end. */
function exampleStream(streamId, start, tokens) {
  const events = [message('begin', streamId, start, { model: 'llama-3.1-70b', tenant: 'acme' })];
  for (let n = 1; n <= tokens; n++) {
    events.push(message('output', streamId, start + 200 + (n - 1) * 50, { running: n }));
  }
  events.push(message('end', streamId, start + 200 + tokens * 50, { final_output_tokens: tokens, input_tokens: 120 }));
  return events;
}

function meteringProducer(brokers) {
  const kafka = new Kafka({ clientId: 'llm-metering-node', brokers, logLevel: logLevel.WARN });
  return kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner, // Java's murmur2: toPositive(murmur2(key)) % partitions
    idempotent: true,
    maxInFlightRequests: 1,
  });
}

async function main() {
  const producer = meteringProducer((process.env.BOOTSTRAP_SERVERS || 'localhost:9092').split(','));
  await producer.connect();
  try {
    const start = Number(process.env.START_MS || Date.now());
    const streams = Number(process.env.STREAMS || 3);
    const messages = [];
    for (let i = 0; i < streams; i++) messages.push(...exampleStream(`node-${i}`, start, 5));
    await producer.send({ topic: TOPIC, acks: -1, messages });
    console.log(`published ${messages.length} events of ${streams} streams to ${TOPIC}`);
  } finally {
    await producer.disconnect();
  }
}

module.exports = { deltaEvent, exampleStream, meteringProducer };

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
