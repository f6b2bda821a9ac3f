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
