import Foundation
import Testing
import TestSupport
@testable import VLMRecord

/// Inputs Fuzz/ found trapping once VLMRecord was built with overflow checks (-O instead of
/// -Ounchecked, issue 15): each must now give a result or an error, never a trap.
struct ChecksOnRegressionTests {
    /// A chunk index whose sizes sum past UInt64.max (`bag info` summed them with `+=`).
    /// Chunk-index sizes summing past UInt64.max, chunk offset + length overflowing, message
    /// sizes summing past UInt64.max, message-index offsets whose difference overflows Int, and
    /// a record shorter than its 9-byte header: info, verify and iteration give a result or an error.
    @Test(arguments: ["fuzz-baginfo-overflow", "fuzz-mcap-baginfo-148-overflow", "fuzz-mcap-baginfo-72-overflow",
                      "fuzz-mcap-baginfo-166-overflow", "fuzz-mcap-reader-225-short-record"])
    func hostileRecordingsDoNotTrap(name: String) {
        let path = Fixtures.url("mcap/\(name).mcap").path
        if let info = try? BagInfo(path: path) { _ = info.render() }
        if let reader = try? MCAPReader(path: path) {
            if let messages = try? reader.messages() { while let m = try? messages.nextMessage() { _ = m } }
            try? reader.verify()
        }
    }
}
