/// Which refusals of a CURVE server are worth a log line: each refused key once, each peer address
/// whose handshake failed once, at most `maxKeysPerAddress` keys per address (a client inventing a
/// fresh key per attempt gets a few lines, not one per attempt), and bounded tables (at most
/// `maxEntries` addresses and keys remembered; beyond that, one line says further ones are only
/// counted). Not thread-safe: its owner locks.
struct RefusalLog {
    static let maxEntries = 1024
    static let maxKeysPerAddress = 3

    private var keys = Set<String>()
    /// Distinct keys seen refused (bounded like the tables).
    private(set) var distinctKeys = 0
    /// Keys logged per address.
    private var keysPerAddress: [String: Int] = [:]
    private var failedAddresses = Set<String>()
    private var fullNoted = false
    /// Lines returned so far (what a flood test checks).
    private(set) var lines = 0

    /// The line for a client that completed the handshake with a key not in the authorized set, or nil.
    mutating func refusedKey(_ key: String, address: String, endpoint: String) -> String? {
        guard !keys.contains(key) else { return nil }
        guard keys.count < Self.maxEntries else { return full(endpoint) }
        keys.insert(key)
        distinctKeys = keys.count
        let logged = keysPerAddress[address]
        if logged == nil && keysPerAddress.count >= Self.maxEntries { return full(endpoint) }
        let n = (logged ?? 0) + 1
        keysPerAddress[address] = n
        if n < Self.maxKeysPerAddress {
            return line("refused CURVE client key \(key) from \(address) on \(endpoint): not in the authorized keys (further attempts with this key are counted, not logged)")
        }
        if n == Self.maxKeysPerAddress {
            return line("refused CURVE client key \(key) from \(address) on \(endpoint): not in the authorized keys; \(n) different refused keys from \(address): further ones are counted, not logged")
        }
        return nil
    }

    /// The line for a handshake that failed before a key was known (`why`), or nil.
    mutating func failedHandshake(address: String, why: String, endpoint: String) -> String? {
        guard !failedAddresses.contains(address) else { return nil }
        guard failedAddresses.count < Self.maxEntries else { return full(endpoint) }
        failedAddresses.insert(address)
        return line("refused a peer from \(address) on \(endpoint): \(why) (further ones from \(address) are counted, not logged)")
    }

    private mutating func full(_ endpoint: String) -> String? {
        guard !fullNoted else { return nil }
        fullNoted = true
        return line("refused peers on \(endpoint) exceed \(Self.maxEntries) distinct keys or addresses: further ones are counted, not logged")
    }

    private mutating func line(_ text: String) -> String {
        lines += 1
        return text
    }
}
