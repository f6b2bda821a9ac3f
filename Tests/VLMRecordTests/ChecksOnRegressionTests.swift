import Foundation
import Testing
import TestSupport
@testable import VLMRecord

/// Inputs Fuzz/ found trapping once VLMRecord was built with overflow checks (-O instead of
/// -Ounchecked, issue 15): each must now give a result or an error, never a trap.
struct ChecksOnRegressionTests {
    /// A chunk index whose sizes sum past UInt64.max (`bag info` summed them with `+=`).
    @Test func bagInfoOfOverflowingChunkSizesDoesNotTrap() {
        let path = Fixtures.url("mcap/fuzz-baginfo-overflow.mcap").path
        if let info = try? BagInfo(path: path) { _ = info.render() }
    }
}
