import Foundation
import Testing
@testable import vlmnode

/// Doctor sections in-process, on inputs this machine does not have: another CPU's flags.
@Suite struct DoctorSectionTests {
    static func items(_ section: DoctorReport.Section) -> [String: String] {
        Dictionary(section.lines.compactMap { if case .item(let k, let v) = $0 { (k, v) } else { nil } }) { a, _ in a }
    }

    @Test func cpuFlagsFromCpuinfo() {
        let vnni = DoctorChecks.cpu(cpuinfo: "processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: fpu sse2 avx2 fma avx512f avx512_vnni\n")
        let lines = Self.items(vnni)
        #expect(lines["model"] == "Test CPU")
        #expect(lines["avx2"]?.hasPrefix("yes") == true && lines["avx512_vnni"]?.hasPrefix("yes") == true)
        #expect(lines["avx512_bf16"]?.hasPrefix("no") == true && lines["avx_vnni"]?.hasPrefix("no") == true)
        let none = Self.items(DoctorChecks.cpu(cpuinfo: nil))
        #expect(none["features"] == "unknown (no flags in /proc/cpuinfo)" && none["model"] == "unknown")
    }

    @Test func problemsPrintWithTheirFixAndInTheSummary() {
        var s = DoctorReport.Section(title: "t")
        s.add("key", "value")
        s.problem("it is broken", fix: "mend it")
        let text = DoctorReport(sections: [s]).text
        #expect(text.contains("\n== t ==\n  key  value\n  PROBLEM: it is broken\n      fix: mend it\n"))
        #expect(text.hasSuffix("== summary ==\n  1 problem found:\n  - it is broken\n"))
        #expect(DoctorReport(sections: []).text.hasSuffix("== summary ==\n  no problems found\n"))
    }

    @Test func portStates() {
        #expect(DoctorLaunchFiles.portState(host: "example.org", port: 5560).text == "not checked (not an IPv4 address)")
        #expect(DoctorLaunchFiles.portState(host: "192.0.2.1", port: 5560) == ("not an address of this host", true))
    }
}
