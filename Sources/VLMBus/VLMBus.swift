// VLMBus: the ZeroMQ bus of vlmnode, and the only module that imports CZMQ.
//
// Public API in brief (wire format: docs/protocol.md):
//   Publisher(bind:qos:allowRemote:)  .endpoint  .publish(topic:header:blobs:)  .publishFrame(…)
//                                     .stats (drops reported by subscribers)  .waitForSubscribers
//   Subscriber(connect:topics:qos:)   .receive(timeout:) -> BusMessage?  .stats  .close()
//   QoS: .latest (newest wins, frames) | .queue(capacity:) (bounded FIFO, results/events)
//   BusMessage(topic, header: MessageHeader, blobs: [Blob]); FrameInfo for vlm/Frame fields
//   Blob(takingOwnershipOf: malloc'd buffer, count:) sends without copying; Blob([UInt8]) / Blob(Data)
//   ZMQError (errno + zmq_strerror), EnvelopeError (why a message was skipped), Endpoint, BusClock
//   BusBenchmark: the measurement behind `vlmnode bench bus`
//
// Ownership: ZMQContext, ZMQSocket and ZMQMessage each own one libzmq handle and free it in deinit;
// a socket keeps its context alive; a socket is used by one thread at a time (Publisher serialises
// with a lock, Subscriber's socket lives on its receiving thread).
