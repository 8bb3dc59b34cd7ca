// kafkajs 2.2.4 side of kafkajs_test.py: admin calls and produce against the broker given as
// argv[2]. Prints "ok   ..." / "FAIL ..." lines for its own checks and, last, one line
// "SENT <json>" describing what it produced, so the Python side can read it back (kafkajs has
// only group consumers and tern has no groups yet). Exit status 1 if any check failed.
// Run: node tests/clients/kafkajs_client.js 127.0.0.1:PORT
const path = require('path')
const { Kafka, logLevel, CompressionTypes, ConfigResourceTypes } =
  require(path.join(__dirname, 'node', 'node_modules', 'kafkajs'))

const broker = process.argv[2]
let failed = 0
const ok = (cond, what, detail) => {
  if (cond) { console.log('ok   ' + what); return true }
  failed++
  console.log('FAIL ' + what + (detail === undefined ? '' : ': ' + JSON.stringify(detail)))
  return false
}
// The whole run is bounded even if a call hangs.
setTimeout(() => { console.log('FAIL kafkajs_client: time limit (120 s)'); process.exit(1) },
  120000)

const kafka = new Kafka({
  clientId: 'tern-kafkajs-test',
  brokers: [broker],
  logLevel: logLevel.ERROR,
  connectionTimeout: 5000,
  requestTimeout: 15000,
  retry: { retries: 3 },
})

async function adminChecks (admin) {
  const created = await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic: 'kj-admin', numPartitions: 3,
      configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
  })
  ok(created === true, 'createTopics kj-admin', created)
  // kafkajs answers false (not an exception) when the topic already exists.
  const again = await admin.createTopics({ topics: [{ topic: 'kj-admin', numPartitions: 1 }] })
  ok(again === false, 'createTopics again -> false (TOPIC_ALREADY_EXISTS)', again)
  ok((await admin.listTopics()).includes('kj-admin'), 'listTopics shows kj-admin')
  const md = await admin.fetchTopicMetadata({ topics: ['kj-admin'] })
  ok(md.topics.length === 1 && md.topics[0].partitions.length === 3,
    'fetchTopicMetadata: 3 partitions', md.topics)
  ok(md.topics[0].partitions.every(p => p.leader === 1 && p.partitionErrorCode === 0),
    'fetchTopicMetadata: leader 1, no errors', md.topics[0].partitions)

  const describe = async () => {
    const r = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kj-admin' }],
    })
    const e = r.resources[0].configEntries.find(c => c.configName === 'retention.ms')
    return [r.resources[0].errorCode, e && e.configValue]
  }
  const d1 = await describe()
  ok(d1[0] === 0 && d1[1] === '3600000', 'describeConfigs: retention.ms', d1)
  await admin.alterConfigs({
    validateOnly: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kj-admin',
      configEntries: [{ name: 'retention.ms', value: '7200000' }] }],
  })
  const d2 = await describe()
  ok(d2[1] === '7200000', 'alterConfigs then describeConfigs', d2)

  await admin.createPartitions({ topicPartitions: [{ topic: 'kj-admin', count: 5 }] })
  const md2 = await admin.fetchTopicMetadata({ topics: ['kj-admin'] })
  ok(md2.topics[0].partitions.length === 5, 'createPartitions 3 -> 5',
    md2.topics[0].partitions.length)

  await admin.deleteTopics({ topics: ['kj-admin'], timeout: 10000 })
  ok(!(await admin.listTopics()).includes('kj-admin'), 'deleteTopics: gone from listTopics')
}

async function produceChecks (admin) {
  ok(await admin.createTopics({ waitForLeaders: true,
    topics: [{ topic: 'kj-data', numPartitions: 3 }] }), 'createTopics kj-data')
  const before = await admin.fetchTopicOffsets('kj-data')
  ok(before.every(p => p.high === '0' && p.low === '0'), 'fetchTopicOffsets: empty topic',
    before)

  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const sent = []
  const batch = (codec, from, n) => {
    const messages = []
    for (let i = from; i < from + n; i++) {
      const m = { key: 'key' + (i % 7), value: 'value-' + i,
        headers: { seq: String(i), codec: codec } }
      messages.push(m)
      sent.push({ key: m.key, value: m.value, headers: [['seq', String(i)], ['codec', codec]] })
    }
    return messages
  }
  let total = 0
  for (const [codec, type] of [['none', CompressionTypes.None], ['gzip', CompressionTypes.GZIP]]) {
    const messages = batch(codec, total, 150)
    const res = await producer.send({ topic: 'kj-data', acks: -1, compression: type, messages })
    total += messages.length
    ok(res.length > 0 && res.every(r => r.errorCode === 0),
      `send ${messages.length} keyed messages with headers (acks -1, ${codec})`, res)
  }
  // A null key, an empty value and a null value (tombstone), to partition 0.
  const odd = [{ key: null, value: 'null-key' }, { key: 'empty', value: '' },
    { key: 'tomb', value: null }]
  const res = await producer.send({ topic: 'kj-data', acks: -1,
    messages: odd.map(m => ({ ...m, partition: 0 })) })
  ok(res.length === 1 && res[0].errorCode === 0 && res[0].partition === 0,
    'send null key / empty value / null value', res)
  for (const m of odd) sent.push({ key: m.key, value: m.value, headers: [], partition: 0 })
  total += odd.length
  await producer.disconnect()

  const after = await admin.fetchTopicOffsets('kj-data')
  const sum = after.reduce((s, p) => s + Number(p.high) - Number(p.low), 0)
  ok(sum === total, `fetchTopicOffsets: high watermarks moved by ${total}`, after)
  return sent
}

;(async () => {
  const admin = kafka.admin()
  let sent = []
  try {
    await admin.connect()
    await adminChecks(admin)
    sent = await produceChecks(admin)
  } catch (e) {
    ok(false, 'kafkajs call failed', `${e.name}: ${e.message}`)
  } finally {
    await admin.disconnect().catch(() => {})
  }
  console.log('SENT ' + JSON.stringify(sent))
  process.exit(failed ? 1 : 0)
})()
