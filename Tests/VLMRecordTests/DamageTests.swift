import Foundation
import Testing
import TestSupport
@testable import VLMRecord

/// Bad input: not MCAP, truncated (a killed recorder), CRC mismatches, unknown topics.
@Suite struct DamageTests {
    func smallChunkFile() throws -> (path: String, messages: [SampleMessage]) {
        let path = try makeTemporaryDirectory().appendingPathComponent("d.mcap").path
        var options = MCAPWriterOptions()
        options.compression = .none
        options.chunkSize = 2000
        let messages = sampleMessages(count: 300, largeEvery: 0)
        try writeSample(messages, options: options, to: path)
        return (path, messages)
    }

    @Test func notMCAPFileIsRejectedByName() throws {
        let dir = try makeTemporaryDirectory()
        let text = dir.appendingPathComponent("notes.txt")
        try Data("hello, this is not mcap at all".utf8).write(to: text)
        #expect(throws: MCAPError.notMCAP(path: text.path)) { try MCAPReader(path: text.path) }
        let empty = dir.appendingPathComponent("empty.mcap")
        try Data().write(to: empty)
        #expect(throws: MCAPError.notMCAP(path: empty.path)) { try MCAPReader(path: empty.path) }
        let missing = dir.appendingPathComponent("missing.mcap").path
        #expect(throws: MCAPError.io(path: missing, operation: "open", errno: ENOENT)) { try MCAPReader(path: missing) }
    }

    @Test(arguments: [0.3, 0.55, 0.9, 0.999])
    func truncatedFileRecoversEveryCompleteChunk(fraction: Double) throws {
        let (path, messages) = try smallChunkFile()
        let intact = try MCAPReader(path: path)
        let size = Int(intact.fileSize)
        let cut = Int(Double(size) * fraction)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(cut))
        try handle.close()

        // Complete chunks are those whose whole record lies before the cut.
        let complete = intact.chunkIndexes.filter { $0.chunkStartOffset + $0.chunkLength <= UInt64(cut) }
        let lastCompleteEnd = complete.map(\.messageEndTime).max() ?? 0
        let expected = logTimeOrder(messages).filter { $0.logTime <= lastCompleteEnd }

        let reader = try MCAPReader(path: path)
        #expect(!reader.usedSummary)
        let back = try readAll(path)
        #expect(back == expected)
        #expect(!back.isEmpty)
        // Damage is reported unless the cut only took the summary (Data End was reached).
        #expect(reader.damage != nil || back.count == messages.count)
    }

    @Test func chunkCRCMismatchIsReportedWithItsOffset() throws {
        let (path, _) = try smallChunkFile()
        let chunk = try MCAPReader(path: path).chunkIndexes[3]
        try corrupt(path, at: Int(chunk.chunkStartOffset + chunk.chunkLength) - 5)
        let it = try MCAPReader(path: path).messages()
        #expect(throws: MCAPError.self) { while try it.nextMessage() != nil {} }
        do {
            let again = try MCAPReader(path: path).messages()
            while try again.nextMessage() != nil {}
        } catch let MCAPError.crcMismatch(_, what, offset, stored, computed) {
            #expect(what == "chunk records" && offset == chunk.chunkStartOffset && stored != computed)
            #expect(MCAPError.crcMismatch(path: path, what: what, offset: offset, stored: stored, computed: computed)
                .description.contains("at byte \(offset)"))
        }
    }

    @Test func summaryAndDataCRCMismatchesAreReported() throws {
        let (path, _) = try smallChunkFile()
        let summaryStart = try #require(try MCAPReader(path: path).summaryStart)
        try corrupt(path, at: Int(summaryStart) + 20)
        #expect {
            try MCAPReader(path: path)
        } throws: { error in
            guard case MCAPError.crcMismatch(_, "summary section", summaryStart, _, _) = error else { return false }
            return true
        }
        try corrupt(path, at: Int(summaryStart) + 20)  // restore
        try MCAPReader(path: path).verify()
        try corrupt(path, at: 57)  // inside the first schema's name: only the data CRC sees it
        #expect {
            try MCAPReader(path: path).verify()
        } throws: { error in
            guard case MCAPError.crcMismatch(_, "data section", _, _, _) = error else { return false }
            return true
        }
    }

    @Test func unknownTopicFilterNamesWhatExists() throws {
        let (path, _) = try smallChunkFile()
        let reader = try MCAPReader(path: path)
        #expect(throws: MCAPError.unknownTopics(path: path, topics: ["/nope"], available: ["/a", "/b"])) {
            try reader.messages(topics: ["/a", "/nope"])
        }
    }
}

/// Damaged files never crash the reader: deterministic random byte changes and cuts over files of
/// every layout (and the Python writer's) end in messages or an MCAPError, nothing else.
@Suite struct CorruptionFuzzTests {
    @Test func randomDamageGivesErrorsNotCrashes() throws {
        let dir = try makeTemporaryDirectory()
        var sources: [String] = [Fixtures.url("mcap/python_writer.mcap").path]
        for (name, options) in RoundTripTests.layouts {
            sources.append(try writeSample(sampleMessages(count: 60, largeEvery: 30, largeSize: 70_000), options: options,
                                           to: dir.appendingPathComponent("\(name).mcap").path))
        }
        var rng: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return Int(rng >> 1) }
        let damaged = dir.appendingPathComponent("damaged.mcap")
        var outcomes = [0, 0]  // [read to the end, stopped with an MCAPError]
        for source in sources {
            let original = try Data(contentsOf: URL(fileURLWithPath: source))
            for round in 0..<40 {
                var bytes = original
                if round % 4 == 3 {
                    bytes = bytes.prefix(next() % bytes.count)
                } else {
                    for _ in 0..<(1 + round % 3) {
                        // Favour length and count fields: overwrite 8 bytes with an extreme value.
                        let at = next() % max(bytes.count - 8, 1)
                        let value: UInt64 = [UInt64.max, 1 << 63, UInt64(next()), 0][round % 4]
                        withUnsafeBytes(of: value) { v in for k in 0..<min(8, bytes.count - at) { bytes[at + k] = v[k] } }
                    }
                }
                try bytes.write(to: damaged)
                do {
                    let reader = try MCAPReader(path: damaged.path)
                    _ = try? BagInfo(path: damaged.path)
                    let it = try reader.messages()
                    while let m = try it.nextMessage() { _ = try? WireEncoding.parts(of: m.data) }
                    outcomes[0] += 1
                } catch is MCAPError {
                    outcomes[1] += 1
                }
            }
        }
        #expect(outcomes[0] + outcomes[1] == sources.count * 40)
        #expect(outcomes[1] > 0)
    }
}
