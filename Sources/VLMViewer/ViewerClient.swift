import Foundation

/// One connected WebSocket client: its subscriptions and what waits to be sent to it. The hub
/// only ever puts messages here (never waits on the socket); the client's own writer task takes
/// them out. Image channels keep one message per subscription (the newest: a slow client skips
/// frames, never builds a backlog); other channels keep a short queue, oldest dropped.
public final class ViewerClient: @unchecked Sendable {
    /// A message ready for the socket.
    public struct Outgoing: Sendable {
        public let subscriptionID: UInt32
        public let logTime: UInt64
        public let payload: [UInt8]
    }

    public let id: UInt64
    private let lock = NSLock()
    private var subscriptions: [UInt32: (channel: UInt32, latestOnly: Bool)] = [:]
    private var texts: [String] = []
    private var pending: [UInt32: [Outgoing]] = [:]
    private var order: [UInt32] = []
    private var closed = false
    /// Messages replaced or dropped before this client could take them.
    public private(set) var skipped: UInt64 = 0
    private let signal: AsyncStream<Void>.Continuation
    /// Wakes the writer task when something is waiting (coalesced: one pending wake-up at most).
    public let wakeups: AsyncStream<Void>
    /// Queue length of non-image subscriptions.
    public static let queueCapacity = 64

    public init(id: UInt64) {
        self.id = id
        (wakeups, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Registers a subscription (the client picks the id). False if the id is taken.
    public func subscribe(id: UInt32, channel: UInt32, latestOnly: Bool) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard subscriptions[id] == nil else { return false }
        subscriptions[id] = (channel, latestOnly)
        return true
    }

    public func unsubscribe(id: UInt32) {
        lock.lock(); defer { lock.unlock() }
        subscriptions[id] = nil
        pending[id] = nil
    }

    /// Drops every subscription of channels that went away.
    public func removeChannels(_ ids: Set<UInt32>) {
        lock.lock(); defer { lock.unlock() }
        for (sub, s) in subscriptions where ids.contains(s.channel) { subscriptions[sub] = nil; pending[sub] = nil }
    }

    /// Subscription ids on `channel`.
    public func subscriptionIDs(channel: UInt32) -> [(id: UInt32, latestOnly: Bool)] {
        lock.lock(); defer { lock.unlock() }
        return subscriptions.compactMap { $0.value.channel == channel ? ($0.key, $0.value.latestOnly) : nil }
    }

    /// True if any subscription is on `channel`.
    public func isSubscribed(channel: UInt32) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return subscriptions.values.contains { $0.channel == channel }
    }

    /// Queues a text (JSON) message; these are few and never dropped.
    public func send(text: String) {
        lock.lock()
        if !closed { texts.append(text) }
        lock.unlock()
        signal.yield()
    }

    /// Offers a message on `channel` to every subscription of it. Never blocks.
    public func offer(channel: UInt32, logTime: UInt64, payload: [UInt8]) {
        lock.lock()
        var any = false
        for (sub, s) in subscriptions where s.channel == channel && !closed {
            any = true
            let message = Outgoing(subscriptionID: sub, logTime: logTime, payload: payload)
            var queue = pending[sub] ?? []
            if queue.isEmpty { order.append(sub) }
            if s.latestOnly {
                skipped += UInt64(queue.count)
                queue = [message]
            } else {
                if queue.count >= Self.queueCapacity { queue.removeFirst(); skipped += 1 }
                queue.append(message)
            }
            pending[sub] = queue
        }
        lock.unlock()
        if any { signal.yield() }
    }

    /// Everything waiting: texts first, then messages in arrival order of their subscriptions.
    public func take() -> (texts: [String], messages: [Outgoing]) {
        lock.lock(); defer { lock.unlock() }
        let t = texts
        texts = []
        var messages: [Outgoing] = []
        for sub in order { messages += pending[sub] ?? [] }
        pending = [:]
        order = []
        return (t, messages)
    }

    /// No more messages; ends `wakeups`.
    public func close() {
        lock.lock(); closed = true; texts = []; pending = [:]; order = []; lock.unlock()
        signal.finish()
    }
}
