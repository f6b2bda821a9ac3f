import CZMQ
import Foundation

/// Why a CURVE key or certificate file cannot be used: one line naming the file and the fault.
public struct CurveKeyError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A CURVE key pair, Z85-encoded (40 characters each), in ZeroMQ's certificate format: the one
/// czmq's `zcert_save` writes and pyzmq's `zmq.auth.load_certificate` reads.
///
/// `NAME.key` holds both keys (mode 0600), `NAME.pub` only the public key. Loading a file with a
/// secret key refuses one that group or others may read, as ssh does with private keys.
public struct CurveCertificate: Sendable, Equatable {
    /// Z85 public key (40 characters).
    public let publicKey: String
    /// Z85 secret key; nil for a public certificate.
    public let secretKey: String?

    public init(publicKey: String, secretKey: String?) throws {
        guard CurveCertificate.isZ85Key(publicKey) else { throw CurveKeyError("public key is not 40 Z85 characters") }
        if let secretKey, !CurveCertificate.isZ85Key(secretKey) {
            throw CurveKeyError("secret key is not 40 Z85 characters")
        }
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// True when libzmq was built with CURVE (libsodium or tweetnacl).
    public static var isAvailable: Bool { zmq_has("curve") == 1 }

    /// A fresh key pair from libzmq.
    public static func generate() throws -> CurveCertificate {
        var pub = [CChar](repeating: 0, count: 41), sec = [CChar](repeating: 0, count: 41)
        try ZMQError.check(zmq_curve_keypair(&pub, &sec), "generate a CURVE key pair")
        return try CurveCertificate(publicKey: String(cString: pub), secretKey: String(cString: sec))
    }

    /// The 32 raw key bytes of a Z85 key.
    static func decode(_ z85: String) -> [UInt8]? {
        guard z85.utf8.count == 40 else { return nil }
        var out = [UInt8](repeating: 0, count: 32)
        return zmq_z85_decode(&out, z85) == nil ? nil : out
    }

    static func isZ85Key(_ text: String) -> Bool { decode(text) != nil }

    // MARK: Files

    /// The certificate text: zcert's layout (comment header, `metadata`, `curve` section).
    public func fileText(secret: Bool, date: Date = Date()) -> String {
        let day = ISO8601DateFormatter.string(from: date, timeZone: .init(identifier: "UTC")!, formatOptions: [.withFullDate])
        var text = "#   ****  Generated on \(day) by vlmnode  ****\n"
        if secret {
            text += "#   ZeroMQ CURVE **Secret** Certificate\n"
            text += "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n"
        } else {
            text += "#   ZeroMQ CURVE Public Certificate\n"
            text += "#   Exchange securely, or use a secure mechanism to verify the contents\n"
            text += "#   of this file after exchange.\n"
        }
        text += "\nmetadata\ncurve\n    public-key = \"\(publicKey)\"\n"
        if secret, let secretKey { text += "    secret-key = \"\(secretKey)\"\n" }
        return text
    }

    /// Writes `NAME.key` (both keys, mode 0600, created with that mode so it is never readable by
    /// others) and `NAME.pub` in `directory`. Refuses to replace either unless `force`.
    /// Returns the two paths.
    @discardableResult
    public func write(name: String, directory: String, force: Bool) throws -> (secret: String, public: String) {
        guard secretKey != nil else { throw CurveKeyError("no secret key to write for \(name)") }
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw CurveKeyError("bad key name \"\(name)\": a file name without /")
        }
        let base = (directory as NSString).appendingPathComponent(name)
        let paths = (secret: base + ".key", public: base + ".pub")
        if !force {
            for path in [paths.secret, paths.public] where FileManager.default.fileExists(atPath: path) {
                throw CurveKeyError("\(path) exists; not overwriting it (use --force to replace the key pair)")
            }
        }
        try Self.writeFile(paths.secret, fileText(secret: true), mode: 0o600)
        try Self.writeFile(paths.public, fileText(secret: false), mode: 0o644)
        return paths
    }

    private static func writeFile(_ path: String, _ text: String, mode: mode_t) throws {
        // Write a sibling and rename over the target: an existing file's wider mode is never kept.
        let temp = path + ".tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw CurveKeyError("cannot create \(temp): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        let fchmodOK = fchmod(fd, mode) == 0  // the umask may have narrowed the public file
        close(fd)
        guard written == bytes.count, fchmodOK, rename(temp, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temp)
            throw CurveKeyError("cannot write \(path): \(why)")
        }
    }

    /// Reads a certificate file. `requireSecret`: the file must hold a secret key, and then it must
    /// belong to this user and be unreadable by group and others (mode 0600 or 0400).
    public static func load(_ path: String, requireSecret: Bool) throws -> CurveCertificate {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw CurveKeyError("cannot read key file \(path): \(String(cString: strerror(errno)))")
        }
        guard let data = FileManager.default.contents(atPath: path), data.count <= 64 * 1024,
              let text = String(data: data, encoding: .utf8) else {
            throw CurveKeyError("cannot read key file \(path): not a text file of at most 64 KiB")
        }
        let fields = parse(text)
        guard let pub = fields["public-key"] else { throw CurveKeyError("\(path) has no curve public-key") }
        let secret = fields["secret-key"]
        if requireSecret && secret == nil {
            throw CurveKeyError("\(path) has no secret-key (give the NAME.key file, not NAME.pub)")
        }
        if secret != nil {
            if st.st_mode & 0o077 != 0 {
                throw CurveKeyError(String(format: "%@ holds a secret key but is accessible by group or others (mode %03o); run chmod 600 %@",
                                           path, st.st_mode & 0o777, path))
            }
            if st.st_uid != getuid() {
                throw CurveKeyError("\(path) holds a secret key but belongs to another user (uid \(st.st_uid))")
            }
        }
        do {
            return try CurveCertificate(publicKey: pub, secretKey: requireSecret ? secret : nil)
        } catch let error as CurveKeyError {
            throw CurveKeyError("\(path): \(error.description)")
        }
    }

    /// `key = "value"` pairs of the `curve` section (ZPL: a section name on its own line, its
    /// properties indented below it).
    static func parse(_ text: String) -> [String: String] {
        var inCurve = false
        var fields: [String: String] = [:]
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = String(raw)
            if line.hasPrefix("#") || line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if !line.hasPrefix(" ") && !line.hasPrefix("\t") {
                inCurve = line.trimmingCharacters(in: .whitespaces) == "curve"
                continue
            }
            guard inCurve, let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            fields[key] = value
        }
        return fields
    }

    /// The public keys of every `*.pub` file in `directory` (an authorized-keys directory).
    /// A file that does not parse is an error naming it, so a typo never silently locks a peer out.
    public static func loadAuthorized(directory: String) throws -> Set<String> {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw CurveKeyError("cannot read authorized-keys directory \(directory): \(error.localizedDescription)")
        }
        var keys = Set<String>()
        for name in names.sorted() where name.hasSuffix(".pub") {
            keys.insert(try load((directory as NSString).appendingPathComponent(name), requireSecret: false).publicKey)
        }
        guard !keys.isEmpty else { throw CurveKeyError("authorized-keys directory \(directory) holds no NAME.pub file") }
        return keys
    }
}
