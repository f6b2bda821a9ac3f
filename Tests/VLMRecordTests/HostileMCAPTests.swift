import Foundation
import Testing
import TestSupport
@testable import VLMRecord

/// Recordings from others (issue 15, findings 8, 12, 13 and 2): a decompression bomb stays
/// bounded, `verify` fails what the official reader rejects, and no command destroys a file.
@Suite struct HostileMCAPTests {
    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static func record(_ op: UInt8, _ body: [UInt8]) -> [UInt8] { [op] + le(UInt64(body.count)) + body }
    static func str(_ s: String) -> [UInt8] { le(UInt32(s.utf8.count)) + Array(s.utf8) }

    /// An MCAP file of one zstd chunk that declares `declared` uncompressed bytes and holds
    /// `zeroMiB` MiB of zeros compressed (a few KiB): no summary, so readers scan it.
    static func bomb(declared: UInt64, zeroMiB: Int) throws -> String {
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        let compressed: [UInt8] = try zeros.withUnsafeBytes { raw in
            let out = try ZstdCompressor(level: 1).compress(Array(repeating: raw, count: zeroMiB), totalSize: zeroMiB << 20)
            return withExtendedLifetime(out) { Array(out.bytes) }
        }
        let chunk = le(UInt64(0)) + le(UInt64(0)) + le(declared) + le(UInt32(0)) + str("zstd") + le(UInt64(compressed.count)) + compressed
        let bytes = mcapMagic + record(0x01, str("") + str("bomb")) + record(0x06, chunk) + record(0x0F, le(UInt32(0)))
            + record(0x02, le(UInt64(0)) + le(UInt64(0)) + le(UInt32(0))) + mcapMagic
        let path = try makeTemporaryDirectory().appendingPathComponent("bomb.mcap").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        return (Int(text.split(separator: " ").dropFirst().first ?? "0") ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    @Test func aDecompressionBombIsRefusedBeforeAllocating() throws {
        let path = try Self.bomb(declared: 1 << 32, zeroMiB: 256)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        #expect(size < 64 << 10)
        let before = Self.residentBytes()
        let reader = try MCAPReader(path: path)
        #expect(throws: MCAPError.self) { try reader.verify() }
        let it = try reader.messages()
        do {
            while try it.nextMessage() != nil {}
            Issue.record("a 4 GiB chunk was read")
        } catch {
            #expect("\(error)".contains("chunk claims 4294967296 uncompressed bytes from"), "\(error)")
            #expect("\(error)".contains("(limit 67108864;"), "ratio floor applies: \(error)")
        }
        let grown = Self.residentBytes() - before
        #expect(grown < 100 << 20, "RSS grew \(grown >> 20) MiB")
    }

    @Test func aBombThatUnderstatesItsSizeCannotOverflowItsBuffer() throws {
        // Declares 1 MiB, decompresses to 256 MiB: zstd stops at the buffer's end.
        let path = try Self.bomb(declared: 1 << 20, zeroMiB: 256)
        #expect(throws: MCAPError.self) { try MCAPReader(path: path).verify() }
    }

    @Test func chunkCeilingFollowsTheLimits() {
        let limits = MCAPReadLimits.defaults
        #expect(limits.chunkCeiling(compressedBytes: 1000) == 64 << 20)
        #expect(limits.chunkCeiling(compressedBytes: 200 << 10) == 200 << 20)
        #expect(limits.chunkCeiling(compressedBytes: 100 << 20) == 1 << 30)
        #expect(limits.chunkCeiling(compressedBytes: .max) == 1 << 30)
        let raised = MCAPReadLimits(environment: ["VLM_MCAP_MAX_CHUNK_BYTES": "\(8 << 30)", "VLM_MCAP_MAX_RATIO": "0"])
        #expect(raised.maxChunkBytes == 8 << 30 && raised.maxRatio == 1024)
    }

    @Test func aCompressibleFrameWithinTheFloorStillReads() throws {
        // A black 1080p RGB frame compresses ~1000x: well inside the 64 MiB floor.
        let path = try makeTemporaryDirectory().appendingPathComponent("black.mcap").path
        var options = MCAPWriterOptions()
        options.largeMessageCompression = .zstd
        let black = SampleMessage(topic: "/f", sequence: 0, logTime: 1, publishTime: 1, data: [UInt8](repeating: 0, count: 1920 * 1080 * 3))
        try writeSample([black], options: options, to: path)
        try MCAPReader(path: path).verify()
        #expect(try readAll(path) == [black])
    }

    @Test func playTimesSaturateInsteadOfTrapping() throws {
        let path = try makeTemporaryDirectory().appendingPathComponent("t.mcap").path
        try writeSample(sampleMessages(count: 4, largeEvery: 0), options: MCAPWriterOptions(), to: path)
        var options = PlaybackOptions()
        options.startOffset = 1e300  // converted to ns this trapped
        options.duration = 1e300
        let player = try Player(path: path, options: options)
        #expect(try player.run { _, _ in }.messages == 0)
        #expect(Player.clamped(.infinity) == .max && Player.clamped(-1) == 0 && Player.clamped(.nan) == 0)
        #expect(Player.add(.max - 1, 5) == .max && Player.nanoseconds(1.5) == 1_500_000_000)
    }

    // MARK: verify (finding 12)

    enum Patch: String, CaseIterable { case footerLength, dataEndLength, summaryStartInsideSummary, summaryStartInHeader }

    /// A sound file with one field patched: the Footer's length, Data End's length (both 2^64-1),
    /// or summary_start (with the summary CRC zeroed, so only the structure can catch it).
    func patched(_ patch: Patch) throws -> String {
        let dir = try makeTemporaryDirectory()
        let path = dir.appendingPathComponent("\(patch.rawValue).mcap").path
        try writeSample(sampleMessages(count: 40, largeEvery: 0), options: MCAPWriterOptions(), to: path)
        var d = try Data(contentsOf: URL(fileURLWithPath: path))
        let footer = d.count - 37
        let summaryStart = d[(footer + 9)..<(footer + 17)].reversed().reduce(0) { $0 << 8 | UInt64($1) }
        func put(_ value: UInt64, at offset: Int) { for i in 0..<8 { d[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) } }
        switch patch {
        case .footerLength: put(.max, at: footer + 1)
        case .dataEndLength: put(.max, at: Int(summaryStart) - 13 + 1)
        case .summaryStartInsideSummary, .summaryStartInHeader:
            put(patch == .summaryStartInHeader ? 17 : summaryStart + 7, at: footer + 9)
            for i in 0..<4 { d[footer + 25 + i] = 0 }
        }
        try d.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(arguments: Patch.allCases)
    func verifyFailsWhatTheOfficialReaderRejects(_ patch: Patch) throws {
        let path = try patched(patch)
        var ours: String?
        do { try MCAPReader(path: path).verify() } catch { ours = "\(error)" }
        #expect(ours != nil, "verify said OK on \(patch)")
        if pythonHasMCAP {
            // The official reader, both ways it reads: streaming every record, and via the summary.
            let script = """
                import sys
                from mcap.reader import make_reader
                from mcap.stream_reader import StreamReader
                for _ in StreamReader(open(sys.argv[1], "rb"), validate_crcs=True).records:
                    pass
                reader = make_reader(open(sys.argv[1], "rb"), validate_crcs=True)
                reader.get_summary()
                for _ in reader.iter_messages():
                    pass
                """
            let result = try runProcess(pythonURL!, ["-c", script, path])
            #expect(result.status != 0, "the official reader accepts \(patch), we refuse it: \(ours ?? "")")
        }
    }

    /// The first Chunk Index's start offset or length replaced (summary CRC zeroed): every read
    /// must fail with an error naming the chunk, never slice outside its buffer.
    @Test(arguments: [(16, UInt64(8), "the index points at opcode 0x1"), (24, 0, "the index gives a Chunk record of 0 bytes"),
                      (24, 5, "the index gives a Chunk record of 5 bytes"), (24, .max, "truncated at byte"),
                      (16, .max, "truncated at byte")])
    func chunkIndexPointingElsewhereIsAnError(field: Int, value: UInt64, expected: String) throws {
        let path = try makeTemporaryDirectory().appendingPathComponent("ci.mcap").path
        try writeSample(sampleMessages(count: 40, largeEvery: 0), options: MCAPWriterOptions(), to: path)
        var d = try Data(contentsOf: URL(fileURLWithPath: path))
        func u64(_ at: Int) -> UInt64 { d[at..<(at + 8)].reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        let footer = d.count - 37
        var offset = Int(u64(footer + 9))
        while d[offset] != 0x08 { offset += 9 + Int(u64(offset + 1)) }
        for i in 0..<8 { d[offset + 9 + field + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        for i in 0..<4 { d[footer + 25 + i] = 0 }
        try d.write(to: URL(fileURLWithPath: path))
        do {
            try MCAPReader(path: path).verify()
            Issue.record("verify accepted a chunk index pointing at \(value)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test func soundFilesStillVerify() throws {
        let path = try makeTemporaryDirectory().appendingPathComponent("ok.mcap").path
        try writeSample(sampleMessages(count: 40), options: MCAPWriterOptions(), to: path)
        try MCAPReader(path: path).verify()
        try MCAPReader(path: Fixtures.url("mcap/python_writer.mcap").path).verify()
        var unchunked = MCAPWriterOptions()
        unchunked.useChunks = false
        try writeSample(sampleMessages(count: 40, largeEvery: 0), options: unchunked, to: path + "2")
        try MCAPReader(path: path + "2").verify()
    }

    // MARK: the CLI never destroys a file (findings 13 and 2)

    @Test func recordRefusesToOverwriteWithoutForce() throws {
        let dir = try makeTemporaryDirectory()
        let out = dir.appendingPathComponent("existing.mcap")
        try Data("precious".utf8).write(to: out)
        let args = ["record", "-o", out.path, "--connect", "tcp://127.0.0.1:9", "--topic", "/x", "--duration", "0.3", "--quiet"]
        let refused = try VLMNodeBinary.run(args, timeout: 30)
        #expect(refused.status == 1)
        #expect(refused.stderr == "error: \(out.path): already exists; not overwriting it (pass --force to replace it)\n", "\(refused.stderr)")
        #expect(try String(contentsOf: out, encoding: .utf8) == "precious")
        let forced = try VLMNodeBinary.run(args + ["--force"], timeout: 30)
        #expect(forced.status == 0, "\(forced.stderr)")
        try MCAPReader(path: out.path).verify()
    }

    @Test func playAndSourceNeverBindOverAFile() throws {
        let dir = try makeTemporaryDirectory()
        let recording = dir.appendingPathComponent("v.mcap")
        try FileManager.default.copyItem(at: Fixtures.url("mcap/python_writer.mcap"), to: recording)
        let original = try Data(contentsOf: recording)
        let play = try VLMNodeBinary.run(["play", recording.path, "--bind", "ipc://\(recording.path)"], timeout: 30)
        #expect(play.status == 1)
        #expect(play.stderr == "error: cannot bind ipc://\(recording.path): \(recording.path) is an existing file; binding would delete it (remove it yourself or pick another path)\n", "\(play.stderr)")
        #expect(try Data(contentsOf: recording) == original)
        let notes = dir.appendingPathComponent("notes.txt")
        try Data("notes".utf8).write(to: notes)
        let source = try VLMNodeBinary.run(["source", "lavfi:testsrc", "--bind", "ipc://\(notes.path)"], timeout: 30)
        #expect(source.status != 0)
        #expect(source.stderr.contains("\(notes.path) is an existing file; binding would delete it"), "\(source.stderr)")
        #expect(try String(contentsOf: notes, encoding: .utf8) == "notes")
    }

    @Test func bagCommandsOnABombEndWithOneLine() throws {
        let path = try Self.bomb(declared: 1 << 32, zeroMiB: 64)
        let verify = try VLMNodeBinary.run(["bag", "verify", path], timeout: 60)
        #expect(verify.status == 1)
        #expect(verify.stderr.split(separator: "\n").count == 1 && verify.stderr.contains("chunk claims 4294967296 uncompressed bytes"), "\(verify.stderr)")
        let play = try VLMNodeBinary.run(["play", path, "--bind", "tcp://127.0.0.1:0", "--delay", "0"], timeout: 60)
        #expect(play.status != 0)
        #expect(play.stderr.contains("chunk claims 4294967296 uncompressed bytes"), "\(play.stderr)")
    }
}
